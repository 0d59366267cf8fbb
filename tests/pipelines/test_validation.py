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


def _output_type(defs: dg.Definitions, key: str) -> dg.DagsterType:
    return defs.resolve_assets_def(key).op.output_defs[0].dagster_type


def test_checks_validate_with_the_scope_of_the_settings_build_defs_was_given(tmp_path: Path, monkeypatch) -> None:
    """build_defs(Settings(scope_path=electronics)) with no RVC_SCOPE: the product_groups and indicator checks
    accept the electronics groups and reject the automotive ones, as the assets (rvc.scope_path) use them."""
    from dataclasses import replace

    from assets.transforms.reference.product_groups import build_product_groups
    from assets.transforms.reference.scope import SCOPES_DIR, load_scope
    from pipelines.definitions import build_defs
    from pipelines.settings import load_settings

    monkeypatch.delenv("RVC_SCOPE", raising=False)
    electronics = SCOPES_DIR / "electronics.yaml"
    settings = replace(load_settings({"RVC_WAREHOUSE": str(tmp_path / "wh")}), scope_path=electronics)
    defs = build_defs(settings)
    assert defs.resources["rvc"].scope_path == str(electronics)  # the assets read this file
    product_groups_type = _output_type(defs, "product_groups")
    codes = ["854231", "870323"]  # an integrated circuit and a passenger car

    def run(frame: pd.DataFrame):
        @dg.asset(name="groups_under_test", dagster_type=product_groups_type)
        def groups_under_test() -> pd.DataFrame:
            return frame

        return dg.materialize([groups_under_test], resources=defs.resources, raise_on_error=False)

    accepted = run(build_product_groups(codes, scope=load_scope(electronics)))
    assert accepted.success
    assert (tmp_path / "wh" / "groups_under_test.parquet").exists()
    rejected = run(build_product_groups(codes, scope=load_scope()))  # automotive: passenger_cars, other
    assert not rejected.success
    check = next(e for e in rejected.all_events if e.event_type_value == "STEP_OUTPUT").step_output_data.type_check_data
    assert "passenger_cars" in check.description and "electronics.yaml" in check.description

    # The indicator types take their scope the same way (from the run's rvc resource, not the environment).
    panel_type = _output_type(defs, "indicator_panel")
    assert panel_type.required_resource_keys == {"rvc"}
