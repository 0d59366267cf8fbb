"""A failed step becomes one line — the project's own message (file, row, what to do) — in the `rvc` summary
and in the run's log in the UI; an unexpected error keeps its class name and points to the full trace."""

from __future__ import annotations

import dagster as dg
import pytest

from assets.errors import RvcInputError, one_line
from pipelines.jobs import HOOKS
from pipelines.run_outcomes import failure_from_result

MESSAGE = (
    "comtrade_raw 2017: 1 extract file(s) holding 2017 cannot be read — comtrade/x.tsv: line 51 has 5 fields\n"
    "where the header has 38. Fix or re-download the file."
)


def _failing_job(error: Exception) -> dg.ExecuteInProcessResult:
    @dg.asset(name="comtrade_raw")
    def failing() -> None:
        try:
            raise UnicodeDecodeError("utf-8", b"\x81", 0, 1, "invalid start byte")
        except UnicodeDecodeError as cause:
            raise error from cause

    job = dg.define_asset_job("yearly_cleaning", selection="comtrade_raw", hooks=HOOKS)
    defs = dg.Definitions(assets=[failing], jobs=[job])
    instance = dg.DagsterInstance.ephemeral()
    return defs.resolve_job_def("yearly_cleaning").execute_in_process(instance=instance, raise_on_error=False), instance


def test_the_projects_error_is_the_one_line_cause_in_the_summary_and_the_run_log() -> None:
    result, instance = _failing_job(RvcInputError(MESSAGE))
    failure = failure_from_result(result, "yearly_cleaning", "2017")
    expected = ("comtrade_raw 2017: 1 extract file(s) holding 2017 cannot be read — comtrade/x.tsv: line 51 has 5 fields; "
                "where the header has 38. Fix or re-download the file.")
    assert failure.step == "comtrade_raw" and failure.cause == expected
    assert "UnicodeDecodeError" in failure.trace and "raise error from cause" in failure.trace  # the full chain, for the log
    logged = [record.user_message for record in instance.all_logs(result.run_id) if record.level >= 40]
    assert f"comtrade_raw failed — {expected}" in logged


def test_an_unexpected_error_keeps_its_class_and_points_to_the_log() -> None:
    result, _ = _failing_job(KeyError("reporterCode"))
    failure = failure_from_result(result, "yearly_cleaning", "2017")
    assert failure.cause == "KeyError: 'reporterCode' (unexpected error: the full trace is in the log below)"


def test_a_dagster_failure_gives_its_description() -> None:
    result, _ = _failing_job(dg.Failure(description="ComtradeRaw: 2 schema failure(s)\n  column refYear: check ge failed"))
    assert failure_from_result(result, "yearly_cleaning", "2017").cause == (
        "ComtradeRaw: 2 schema failure(s); column refYear: check ge failed"
    )


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [("a\n\n  b   c\n", 100, "a; b c"), ("x" * 10, 5, "xxxx…"), ("one line", 100, "one line")],
)
def test_one_line(text: str, limit: int, expected: str) -> None:
    assert one_line(text, limit) == expected
