"""The pandera → Dagster bridge: a failing schema stops the step, writes nothing and lists every failure."""


from pathlib import Path

import dagster as dg
import pandas as pd
import pandera.pandas as pa

from pipelines.io_managers import ParquetIOManager
from pipelines.validation import describe_failures, pandera_dagster_type, validate_frame

SCHEMA = pa.DataFrameSchema(
    {
        "hs6": pa.Column(str, pa.Check.str_length(6, 6)),
        "value_usd": pa.Column(float, pa.Check.ge(0)),
    },
    strict=True,
)


def test_validate_frame_collects_all_failures_lazily() -> None:
    bad = pd.DataFrame({"hs6": ["870323", "8703"], "value_usd": [-1.0, -2.0]})
    validated, failures = validate_frame(SCHEMA, bad)
    assert validated is None
    assert len(failures) == 3  # one short code and two negative values, all reported at once
    message = describe_failures("Demo", failures)
    assert "hs6" in message and "value_usd" in message and "8703" in message


def test_schema_failure_fails_the_step_and_writes_nothing(tmp_path: Path) -> None:
    @dg.asset(dagster_type=pandera_dagster_type(SCHEMA, "DemoFrame"))
    def demo() -> pd.DataFrame:
        return pd.DataFrame({"hs6": ["870323", "87"], "value_usd": [1.0, -5.0]})

    result = dg.materialize([demo], resources={"io_manager": ParquetIOManager(warehouse_dir=str(tmp_path))}, raise_on_error=False)
    assert not result.success
    assert not (tmp_path / "demo.parquet").exists()
    type_checks = [e for e in result.all_events if e.event_type_value == "STEP_OUTPUT" and e.step_output_data.type_check_data]
    check = type_checks[0].step_output_data.type_check_data
    assert check.success is False
    metadata = check.metadata
    assert metadata["failure_count"].value == 2
    assert metadata["failing_columns"].value == "hs6, value_usd"


def test_valid_output_is_written(tmp_path: Path) -> None:
    @dg.asset(dagster_type=pandera_dagster_type(SCHEMA, "DemoFrame"))
    def demo() -> pd.DataFrame:
        return pd.DataFrame({"hs6": ["870323"], "value_usd": [1.0]})

    assert dg.materialize([demo], resources={"io_manager": ParquetIOManager(warehouse_dir=str(tmp_path))}).success
    assert pd.read_parquet(tmp_path / "demo.parquet")["hs6"].tolist() == ["870323"]
