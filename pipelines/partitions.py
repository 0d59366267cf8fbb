"""Yearly partitions, defined once and imported by assets, jobs, schedules and sensors.

The range runs from RVC_START_YEAR (default 1995) to the latest year present in the extracts, so
dropping a new year's files into RVC_EXTRACTS and reloading the code location makes its partition
appear. RVC_END_YEAR overrides the end (e.g. API mode before anything is downloaded).
"""

from __future__ import annotations

import os

import dagster as dg

from pipelines.settings import Settings, load_settings


def latest_extract_year(settings: Settings) -> int:
    """The latest refYear / TIME_PERIOD found in the Comtrade and TiVA extracts (start year if none)."""
    from assets.sources.comtrade_layouts import years_in_extracts
    from assets.sources.tiva_layouts import tiva_years_in_extracts

    years: list[int] = []
    if settings.comtrade_dir.is_dir():
        years += years_in_extracts(settings.comtrade_dir, cache_dir=settings.cache_dir)
    if settings.tiva_dir.is_dir():
        years += tiva_years_in_extracts(settings.tiva_dir)
    return max(years, default=settings.start_year)


def build_yearly_partitions(settings: Settings) -> dg.TimeWindowPartitionsDefinition:
    end_year = int(os.environ.get("RVC_END_YEAR") or latest_extract_year(settings))
    if end_year < settings.start_year:
        raise ValueError(
            f"the latest extract year {end_year} is before the start year {settings.start_year}: "
            "check RVC_EXTRACTS / RVC_START_YEAR / RVC_END_YEAR"
        )
    return dg.TimeWindowPartitionsDefinition(
        start=str(settings.start_year),
        end=str(end_year + 1),  # end is exclusive
        cron_schedule="0 0 1 1 *",
        fmt="%Y",
    )


yearly_partitions = build_yearly_partitions(load_settings())
