"""The cluster backfill's job order is `rvc backfill`'s, and names jobs that exist."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

from cluster_backfill import backfill_plan  # noqa: E402


def test_plan_cleans_every_year_before_the_weights_and_harmonizes_after() -> None:
    assert backfill_plan(["2019", "2020"]) == [
        ("reference_tables", None),
        ("yearly_cleaning", ["2019", "2020"]),
        ("conversion_weights", None),
        ("yearly_harmonization", ["2019", "2020"]),
        ("panel_and_report", None),
    ]
    assert [job for job, _ in backfill_plan(["2019"], through="yearly_cleaning")] == ["reference_tables", "yearly_cleaning"]
    with pytest.raises(ValueError, match="through='report'"):
        backfill_plan(["2019"], through="report")


def test_plan_names_only_jobs_the_code_location_defines() -> None:
    from pipelines.jobs import ALL_JOBS

    defined = {job.name for job in ALL_JOBS}
    assert {job for job, _ in backfill_plan(["2019"])} <= defined
