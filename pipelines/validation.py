"""The pandera → Dagster bridge: a pandera schema becomes a Dagster type whose check runs before the IO manager writes.

Dagster runs an output's type check before `handle_output`, so a failing schema stops the partition and
nothing is written; the failure cases appear in the UI as the type check's metadata. We write this bridge
ourselves because dagster-pandera pins pandas < 3.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dagster as dg
import duckdb
import pandas as pd
import pandera.errors
import pandera.pandas as pa

from assets.markdown_text import markdown_cell, markdown_table
from assets.tables import ParquetTable
from assets.transforms.reference.scope import Scope, load_scope
from checks.scope import scope_of_resources
from pipelines.column_schemas import column_schema_metadata, pandera_columns
from pipelines.table_validation import assert_translatable, validate_parquet

MAX_FAILURE_CASES_SHOWN = 50


def validate_frame(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> tuple[pd.DataFrame | None, pd.DataFrame]:
    """Validate lazily (all failures at once). Returns (validated frame or None, failure cases)."""
    try:
        return schema.validate(frame, lazy=True), pd.DataFrame()
    except pandera.errors.SchemaErrors as errors:
        return None, errors.failure_cases


def failure_metadata(schema_name: str, failure_cases: pd.DataFrame) -> dict[str, Any]:
    """Readable metadata for the UI: how many failures, which columns and checks, the first cases."""
    cases = failure_cases.copy()
    columns = sorted({str(c) for c in cases.get("column", pd.Series(dtype=object)).dropna()})
    checks = sorted({str(c) for c in cases.get("check", pd.Series(dtype=object)).dropna()})
    head = cases.head(MAX_FAILURE_CASES_SHOWN).astype(object)
    shown = head.where(head.notna(), "")  # pandas 3's astype(str) keeps missing values as NaN floats
    table = markdown_table([str(c) for c in shown.columns], [list(row) for row in shown.itertuples(index=False)], cell=markdown_cell)
    return {
        "schema": schema_name,
        "failure_count": len(cases),
        "failing_columns": ", ".join(columns) or "(frame-level)",
        "failing_checks": ", ".join(checks),
        "failure_cases": dg.MetadataValue.md(table),
    }


def describe_failures(schema_name: str, failure_cases: pd.DataFrame, limit: int = 10) -> str:
    """One message naming the columns, checks and first failing values — for logs and exceptions."""
    lines = [f"{schema_name}: {len(failure_cases)} schema failure(s)"]
    for row in failure_cases.head(limit).itertuples(index=False):
        record = row._asdict()
        lines.append(
            f"  column {record.get('column')!s}: check {record.get('check')!s} failed"
            f" for value {record.get('failure_case')!r} at index {record.get('index')!s}"
        )
    if len(failure_cases) > limit:
        lines.append(f"  ... and {len(failure_cases) - limit} more (see the type check metadata in the UI)")
    return "\n".join(lines)


def pandera_dagster_type(
    schema: pa.DataFrameSchema,
    name: str,
    description: str | None = None,
    schema_of_run: Callable[[dg.TypeCheckContext], pa.DataFrameSchema] | None = None,
    required_resource_keys: set[str] | None = None,
) -> dg.DagsterType:
    """A Dagster type that passes when `schema` validates the output frame and otherwise lists every failure case.

    With `schema_of_run`, the frame is validated with the schema it returns for the run (e.g. built for the
    run's scope from its resources, which `required_resource_keys` names); `schema` then gives the columns the
    UI shows before anything runs."""

    def type_check(context: dg.TypeCheckContext, value: object) -> dg.TypeCheck:
        if not isinstance(value, pd.DataFrame):
            return dg.TypeCheck(success=False, description=f"{name}: expected a pandas DataFrame, got {type(value).__name__}")
        _, failures = validate_frame(schema_of_run(context) if schema_of_run else schema, value)
        if failures.empty:
            return dg.TypeCheck(success=True, metadata={"schema": name, "dagster/row_count": len(value)})
        return dg.TypeCheck(
            success=False,
            description=describe_failures(name, failures),
            metadata=failure_metadata(name, failures),
        )

    return dg.DagsterType(
        type_check_fn=type_check,
        name=name,
        description=description or schema.description or f"pandas DataFrame validated by the pandera schema {name}",
        typing_type=pd.DataFrame,
        metadata=column_schema_metadata(pandera_columns(schema)),
        required_resource_keys=required_resource_keys,
    )


def validated_output(schema: pa.DataFrameSchema, name: str) -> dict[str, object]:
    """Keyword arguments for @asset / AssetOut: the validating Dagster type and the declared column schema."""
    # The declared columns, so the UI shows them before anything is materialized.
    return {"dagster_type": pandera_dagster_type(schema, name), "metadata": column_schema_metadata(pandera_columns(schema))}


def scoped_validated_output(schema_for: Callable[[Scope], pa.DataFrameSchema], name: str) -> dict[str, object]:
    """As `validated_output`, for a schema whose domains depend on the study's scope (product groups): the frame
    is validated with `schema_for(scope)` of the scope file the run's `rvc` resource names — the one the assets
    read, set by build_defs from the same Settings — never a scope read from the environment on the side."""
    shown = schema_for(load_scope())  # the columns are the same under every scope

    def schema_of_run(context: dg.TypeCheckContext) -> pa.DataFrameSchema:
        return schema_for(scope_of_resources(context.resources))

    dagster_type = pandera_dagster_type(shown, name, schema_of_run=schema_of_run, required_resource_keys={"rvc"})
    return {"dagster_type": dagster_type, "metadata": column_schema_metadata(pandera_columns(shown))}


# ---------------------------------------------------------------------------------------------- big tables


def require_valid_table(con: duckdb.DuckDBPyConnection, schema: pa.DataFrameSchema, name: str, table: ParquetTable) -> ParquetTable:
    """Validate a staged Parquet table with `schema` in SQL; return it marked valid, or raise dg.Failure with the
    failure cases as metadata (the UI shows them) — before anything is moved into the warehouse."""
    failures = validate_parquet(con, schema, table.path)
    if failures.empty:
        return table.validated(name)
    raise dg.Failure(description=describe_failures(name, failures), metadata=failure_metadata(name, failures))


def parquet_table_type(schema: pa.DataFrameSchema, name: str) -> dg.DagsterType:
    """A Dagster type for a `ParquetTable` output: passes only for a table `require_valid_table` accepted
    under `name`, so no unvalidated big table reaches the IO manager."""
    assert_translatable(schema)

    def type_check(_context: dg.TypeCheckContext, value: object) -> dg.TypeCheck:
        if not isinstance(value, ParquetTable):
            return dg.TypeCheck(success=False, description=f"{name}: expected a ParquetTable, got {type(value).__name__}")
        if value.validated_as != name:
            return dg.TypeCheck(success=False, description=f"{name}: the table at {value.path} was not validated against {name}")
        return dg.TypeCheck(success=True, metadata={"schema": name, "dagster/row_count": value.rows})

    return dg.DagsterType(
        type_check_fn=type_check,
        name=name,
        description=schema.description or f"Parquet table validated in SQL by the pandera schema {name}",
        typing_type=ParquetTable,
        metadata=column_schema_metadata(pandera_columns(schema)),
    )


def validated_table_output(schema: pa.DataFrameSchema, name: str) -> dict[str, object]:
    """Keyword arguments for @asset / AssetOut of a heavy stage: the ParquetTable type and the column schema."""
    return {"dagster_type": parquet_table_type(schema, name), "metadata": column_schema_metadata(pandera_columns(schema))}
