"""Group checks in the SQL validator: evaluated once per group (a GROUP BY), shown by their keys and first row."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandera.errors
import pandera.pandas as pa
import pytest

from assets.duckdb_session import duckdb_session
from checks.sql_checks import sql_check
from pipelines.table_validation import validate_parquet


def _group_total_at_most_ten(frame: pd.DataFrame) -> pd.Series:
    return frame.groupby(["country", "year"])["value"].transform("sum") <= 10


SCHEMA = pa.DataFrameSchema(
    {"country": pa.Column(str), "year": pa.Column("Int64"), "value": pa.Column("float64")},
    checks=[sql_check(_group_total_at_most_ten, "group total at most 10", "__total <= 10",
                      group_by=("country", "year"), aggregates={"__total": "sum(value)"})],
)


def test_a_failing_group_is_counted_once_and_shown_by_its_keys_and_first_row(tmp_path: Path) -> None:
    # Groups: (JPN, 2019) = 4 + 5 = 9 passes; (THA, 2019) = 6 + 7 = 13 fails (rows 1 and 3); (THA, 2020) = 3 passes.
    frame = pd.DataFrame({"country": ["JPN", "THA", "JPN", "THA", "THA"], "year": pd.array([2019, 2019, 2019, 2019, 2020], "Int64"),
                          "value": [4.0, 6.0, 5.0, 7.0, 3.0]})
    with pytest.raises(pandera.errors.SchemaErrors) as pandas_failure:
        SCHEMA.validate(frame, lazy=True)
    assert sorted(set(pandas_failure.value.failure_cases["index"].dropna().astype(int))) == [1, 3]  # pandas marks the rows
    path = tmp_path / "groups.parquet"
    frame.to_parquet(path)
    with duckdb_session() as con:
        failures = validate_parquet(con, SCHEMA, path)
    assert failures[["column", "check", "failure_case", "index", "failures"]].values.tolist() == [
        ["country, year", "group total at most 10", "THA | 2019", 1, 1]
    ]


def test_a_valid_file_has_no_group_failures(tmp_path: Path) -> None:
    frame = pd.DataFrame({"country": ["JPN", "THA"], "year": pd.array([2019, 2019], "Int64"), "value": [10.0, 2.0]})
    path = tmp_path / "valid.parquet"
    frame.to_parquet(path)
    with duckdb_session() as con:
        assert validate_parquet(con, SCHEMA, path).empty


def test_group_by_needs_its_aggregates() -> None:
    with pytest.raises(TypeError, match="group_by and aggregates together"):
        sql_check(_group_total_at_most_ten, "x", "__total <= 10", group_by=("country",))
