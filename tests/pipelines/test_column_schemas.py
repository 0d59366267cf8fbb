"""`dagster/column_schema` is built in one place (pipelines/column_schemas.py) from a pandera schema, a stored
Parquet file or a frame, and each gives the same columns in the same order."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandera.pandas as pa
import pyarrow

from pipelines.column_schemas import COLUMN_SCHEMA_KEY, arrow_columns, column_schema_metadata, frame_columns, pandera_columns
from pipelines.validation import validated_output

REPO_ROOT = Path(__file__).resolve().parents[2]

SCHEMA = pa.DataFrameSchema(
    {"year": pa.Column("Int64", description="calendar year"), "value_usd": pa.Column("float64", description="US dollars")}
)


def _columns(metadata: dict) -> list[tuple[str, str, str | None]]:
    return [(c.name, c.type, c.description) for c in metadata[COLUMN_SCHEMA_KEY].columns]


def test_each_source_of_columns_gives_names_types_and_descriptions_in_order() -> None:
    assert _columns(column_schema_metadata(pandera_columns(SCHEMA))) == [("year", "Int64", "calendar year"), ("value_usd", "float64", "US dollars")]
    arrow = pyarrow.schema([("year", pyarrow.int64()), ("value_usd", pyarrow.float64())])
    assert _columns(column_schema_metadata(arrow_columns(arrow))) == [("year", "int64", None), ("value_usd", "double", None)]
    frame = pd.DataFrame({"year": pd.array([2019], dtype="Int64"), "value_usd": [1.5]})
    assert _columns(column_schema_metadata(frame_columns(frame))) == [("year", "Int64", None), ("value_usd", "float64", None)]


def test_a_validated_asset_declares_its_pandera_columns() -> None:
    declared = validated_output(SCHEMA, "Example")["metadata"]
    assert _columns(declared) == [("year", "Int64", "calendar year"), ("value_usd", "float64", "US dollars")]


def test_no_other_module_writes_the_column_schema_key() -> None:
    writers = [
        path.relative_to(REPO_ROOT).as_posix()
        for package in ("assets", "checks", "pipelines", "deploy")
        for path in sorted((REPO_ROOT / package).rglob("*.py"))
        if '"dagster/column_schema"' in path.read_text(encoding="utf-8")
    ]
    assert writers == ["pipelines/column_schemas.py"]
