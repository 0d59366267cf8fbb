"""A project error is the failed step's description (what the Dagster UI heads the step with), its cause and
trace kept below it; the `rvc` summary reads the same line. assets/step_failures.py."""

import shutil
from pathlib import Path

import dagster as dg
import pandas as pd
import pandera.pandas as pa
import pytest

from assets.errors import RvcInputError, RvcSourceError
from assets.step_failures import MARKER, one_line_failure
from pipelines.definitions import build_defs
from pipelines.run_outcomes import failure_from_result
from pipelines.settings import load_settings
from tests.ragged_extract import add_ragged_comtrade_file

REPO_ROOT = Path(__file__).resolve().parents[2]  # tests must not import conftest: there are several
SAMPLE = REPO_ROOT / "sample" / "extracts"


def _step_failures(result: dg.ExecuteInProcessResult) -> list[dg.DagsterEvent]:
    return [event for event in result.all_events if event.is_step_failure]


def _run(asset: dg.AssetsDefinition, retry_policy: dg.RetryPolicy | None = None) -> dg.ExecuteInProcessResult:
    job = dg.define_asset_job("one_asset", selection=[asset.key], op_retry_policy=retry_policy)
    defs = dg.Definitions(assets=[asset], jobs=[job])
    return defs.resolve_job_def("one_asset").execute_in_process(instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)


def test_a_project_error_becomes_the_description_with_its_file_and_row_beside_it() -> None:
    @dg.asset
    @one_line_failure
    def comtrade_raw() -> None:
        try:
            raise UnicodeDecodeError("utf-8", b"\x81", 0, 1, "invalid start byte")
        except UnicodeDecodeError as cause:
            raise RvcInputError("x.tsv: data row 7 has no year\n  Fix or re-download the file.", file="x.tsv", row=7) from cause

    [event] = _step_failures(_run(comtrade_raw))
    data = event.step_failure_data
    description = "x.tsv: data row 7 has no year; Fix or re-download the file."
    assert data.user_failure_data.description == description
    metadata = {key: value.value for key, value in data.user_failure_data.metadata.items()}
    assert metadata == {"error_type": "RvcInputError", "file": "x.tsv", "row": 7}
    # What the UI heads the step with is the description, not Dagster's "Error occurred while executing op".
    assert data.error.cls_name == "Failure" and data.error.message.strip().endswith(description)
    # The original error and its own cause stay in the chain: the full trace is still there.
    assert data.error.cause.cls_name == "RvcInputError" and data.error.cause.cause.cls_name == "UnicodeDecodeError"
    assert "raise RvcInputError(" in data.error.to_string()


def test_a_generator_asset_is_wrapped_too_and_outputs_before_the_error_are_kept() -> None:
    @dg.asset
    @one_line_failure
    def va_indicators(context: dg.AssetExecutionContext):
        context.log.info("started")
        yield dg.Output(1)
        raise RvcSourceError("OECD SDMX: 503 after 4 tries. Try again later.")

    [event] = _step_failures(_run(va_indicators))
    assert event.step_failure_data.user_failure_data.description == "OECD SDMX: 503 after 4 tries. Try again later."


def test_a_pandera_schema_error_lists_its_failing_column_and_values() -> None:
    schema = pa.DataFrameSchema({"value_usd": pa.Column(float, pa.Check.ge(0))}, name="TradeFlows")

    @dg.asset
    @one_line_failure
    def trade_flows() -> None:
        schema.validate(pd.DataFrame({"value_usd": [1.0, -2.0, -3.0]}), lazy=True)

    [event] = _step_failures(_run(trade_flows))
    failure = event.step_failure_data.user_failure_data
    # Two values below 0, at rows 1 and 2 (the frame above): describe_failures' lines, joined into one.
    assert failure.description == (
        "TradeFlows: 2 schema failure(s); "
        "column value_usd: check greater_than_or_equal_to(0) failed for value -2.0 at index 1; "
        "column value_usd: check greater_than_or_equal_to(0) failed for value -3.0 at index 2"
    )
    assert failure.metadata["failure_count"].value == 2


def test_an_unexpected_error_is_left_to_dagster() -> None:
    @dg.asset
    @one_line_failure
    def country_totals() -> None:
        raise KeyError("reporterCode")

    [event] = _step_failures(_run(country_totals))
    assert event.step_failure_data.user_failure_data is None
    assert event.step_failure_data.error.cls_name == "DagsterExecutionStepExecutionError"


@pytest.mark.parametrize(("error", "retries"), [(RvcInputError("bad file"), 0), (RvcSourceError("API down"), 1)])
def test_bad_input_is_not_retried_but_a_failed_source_is(error: Exception, retries: int) -> None:
    @dg.asset
    @one_line_failure
    def tiva_raw() -> None:
        raise error

    result = _run(tiva_raw, retry_policy=dg.RetryPolicy(max_retries=1))
    assert sum(event.event_type_value == "STEP_UP_FOR_RETRY" for event in result.all_events) == retries
    assert _step_failures(result)[-1].step_failure_data.user_failure_data.description == str(error)


def test_every_asset_of_the_code_location_wears_the_decorator() -> None:
    defs = build_defs()
    bare = sorted(
        assets_def.node_def.name
        for assets_def in defs.resolve_asset_graph().assets_defs
        if assets_def.is_executable and not getattr(assets_def.node_def.compute_fn.decorated_fn, MARKER, False)
    )
    assert bare == []


@pytest.mark.slow
def test_a_bad_extract_is_the_failed_steps_description_in_a_real_partition_run(tmp_path: Path) -> None:
    extracts = tmp_path / "extracts"
    shutil.copytree(SAMPLE, extracts)
    bad = add_ragged_comtrade_file(extracts, 2006)
    defs = build_defs(load_settings({"RVC_EXTRACTS": str(extracts), "RVC_WAREHOUSE": str(tmp_path / "wh")}))

    result = defs.resolve_job_def("yearly_cleaning").execute_in_process(
        partition_key="2006", instance=dg.DagsterInstance.ephemeral(), raise_on_error=False
    )

    [event] = [event for event in _step_failures(result) if event.step_key == "comtrade_raw"]
    failure = event.step_failure_data.user_failure_data
    assert failure.description.startswith(f"comtrade_raw 2006: 1 extract file(s) holding 2006 cannot be read — comtrade/{bad}: ")
    assert "line 51 has 5 fields where the header has 38" in failure.description
    assert failure.description.endswith("Fix or remove them (see `rvc years`) and run 2006 again.")
    assert "\n" not in failure.description
    assert {key: value.value for key, value in failure.metadata.items()} == {"error_type": "RvcInputError", "file": f"comtrade/{bad}"}
    assert event.step_failure_data.error.cause.cls_name == "RvcInputError"
    # The CLI's summary line is the same description (run_outcomes reads a Failure's description first).
    outcome = failure_from_result(result, "yearly_cleaning", "2006")
    assert outcome.step == "comtrade_raw" and outcome.cause == failure.description
    assert "RvcInputError" in outcome.trace and ", in comtrade_raw" in outcome.trace  # the full trace, for the log
