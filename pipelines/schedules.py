"""Schedules that pick their partitions themselves: a monthly refresh of recent years and a yearly run.

Comtrade revises recent years for months, so the monthly schedule re-runs the latest N years that could
have been published by the scheduled date (a year's data appears during the following year).
"""

from __future__ import annotations

from datetime import datetime

import dagster as dg

from pipelines.jobs import yearly_job
from pipelines.partitions import yearly_partitions
from pipelines.settings import load_settings


def refresh_years(partition_keys: list[str], scheduled: datetime, years_back: int) -> list[str]:
    """The latest `years_back` partition years not after the year before `scheduled`."""
    last_publishable = scheduled.year - 1
    eligible = [key for key in partition_keys if int(key) <= last_publishable]
    return eligible[-years_back:] if years_back > 0 else []


def _refresh_requests(context: dg.ScheduleEvaluationContext, years_back: int, label: str):
    scheduled = context.scheduled_execution_time
    keys = refresh_years(yearly_partitions.get_partition_keys(), scheduled, years_back)
    if not keys:
        yield dg.SkipReason(f"no partition year up to {scheduled.year - 1} in the extracts")
        return
    for key in keys:
        yield dg.RunRequest(partition_key=key, run_key=f"{label}-{scheduled:%Y-%m-%d}-{key}", tags={"rvc/trigger": label})


@dg.schedule(job=yearly_job, cron_schedule="0 3 1 * *", execution_timezone="UTC", name="monthly_refresh")
def monthly_refresh(context: dg.ScheduleEvaluationContext):
    """Re-run the latest N years (RVC_REFRESH_YEARS, default 3) on the 1st of every month."""
    # Read at each tick, as before: changing RVC_REFRESH_YEARS for the daemon needs no code reload.
    years_back = load_settings().refresh_years
    yield from _refresh_requests(context, years_back, "monthly")


@dg.schedule(job=yearly_job, cron_schedule="0 4 1 3 *", execution_timezone="UTC", name="yearly_refresh_march")
def yearly_refresh_march(context: dg.ScheduleEvaluationContext):
    """Every 1 March: run the year just ended and the one before (first releases and revisions)."""
    yield from _refresh_requests(context, 2, "yearly")
