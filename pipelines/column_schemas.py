"""The one place that builds Dagster's `dagster/column_schema` metadata: the columns the UI lists for an asset.

Three sources describe columns: a pandera schema (declared on the asset before anything runs, with each
column's description), a stored Parquet file's Arrow schema (big tables, read from the footer) and a pandas
frame (small tables, as written). Each becomes the same entry under the same key, so the UI, the data
dictionary of `rvc export` (pipelines/export.py) and the tests read one shape.
"""

from __future__ import annotations

from collections.abc import Iterable

import dagster as dg
import pandas as pd
import pandera.pandas as pa
import pyarrow

COLUMN_SCHEMA_KEY = "dagster/column_schema"


def column_schema_metadata(columns: Iterable[tuple[str, str, str | None]]) -> dict[str, dg.TableSchema]:
    """{COLUMN_SCHEMA_KEY: the table schema} of (name, type, description or None) triples, in order."""
    table = dg.TableSchema(columns=[dg.TableColumn(name=name, type=kind, description=text) for name, kind, text in columns])
    return {COLUMN_SCHEMA_KEY: table}


def pandera_columns(schema: pa.DataFrameSchema) -> list[tuple[str, str, str | None]]:
    """The declared columns of a pandera schema, with their descriptions."""
    return [(str(name), str(column.dtype), column.description) for name, column in schema.columns.items()]


def arrow_columns(schema: pyarrow.Schema) -> list[tuple[str, str, str | None]]:
    """The columns of a stored Parquet file's Arrow schema (type as Arrow names it)."""
    return [(field.name, str(field.type), None) for field in schema]


def frame_columns(frame: pd.DataFrame) -> list[tuple[str, str, str | None]]:
    """The columns of a pandas frame (type as its pandas dtype)."""
    return [(str(name), str(dtype), None) for name, dtype in frame.dtypes.items()]
