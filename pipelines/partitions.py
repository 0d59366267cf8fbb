"""Yearly partitions, defined once and imported by assets, jobs, schedules and sensors.

The range runs from RVC_START_YEAR (default 1995) to the latest year present in the extracts (as the
extract manifest says), so dropping a new year's files into RVC_EXTRACTS and reloading the code location
makes its partition appear. RVC_END_YEAR overrides the end (e.g. API mode before anything is downloaded).
"""

from __future__ import annotations

import warnings

import dagster as dg

from assets.sources.manifest import load_manifest
from pipelines.settings import Settings, load_settings


def latest_extract_year(settings: Settings) -> int:
    """The latest plausible refYear / TIME_PERIOD in the Comtrade and TiVA extracts (start year if none), from the
    manifest. Implausible years (assets.sources.year_range: outside 1962..next year, e.g. 2099 typed into a 2017
    file) never extend the range; `rvc years` and the raw assets' metadata count and name their rows.

    The manifest answers from its cache (one stat per file); only new or changed files are read, and only
    their year column. Unreadable files do not stop the code location: their partitions name them.
    """
    return max(load_manifest(settings.extracts_dir, settings.cache_dir).years(), default=settings.start_year)


def partition_year_range(settings: Settings) -> tuple[int, int]:
    """(first, last) partition year: RVC_START_YEAR .. RVC_END_YEAR, or the latest plausible extract year."""
    end_year = settings.end_year if settings.end_year is not None else latest_extract_year(settings)
    if end_year < settings.start_year:
        raise ValueError(
            f"the latest extract year {end_year} is before the start year {settings.start_year}: "
            "check RVC_EXTRACTS / RVC_START_YEAR / RVC_END_YEAR"
        )
    return settings.start_year, end_year


def build_yearly_partitions(settings: Settings) -> dg.TimeWindowPartitionsDefinition:
    start_year, end_year = partition_year_range(settings)
    return dg.TimeWindowPartitionsDefinition(
        start=str(start_year),
        end=str(end_year + 1),  # end is exclusive
        cron_schedule="0 0 1 1 *",
        fmt="%Y",
    )


def first_and_last_year(partitions_def: dg.PartitionsDefinition) -> tuple[int, int]:
    """(first, last) year of a yearly partitions definition."""
    keys = partitions_def.get_partition_keys()
    return int(keys[0]), int(keys[-1])


yearly_partitions = build_yearly_partitions(load_settings())


def yearly_check_spec(name: str, *, asset: str, description: str | None = None, blocking: bool = False) -> dg.AssetCheckSpec:
    """An asset check of a yearly-partitioned asset, partitioned like it, so each result names its year.

    Without a partitions definition a check of a partitioned asset records results that belong to no
    partition (the UI shows one result for all years, and a failure does not say which year failed).
    Dagster 1.13 takes `partitions_def` on AssetCheckSpec ("Must be either None or the same as the
    PartitionsDefinition of the asset specified by `asset`", dagster/_core/definitions/asset_checks/
    asset_check_spec.py); the AssetCheckResult yielded while a partition materializes is then recorded
    for that partition. The parameter is marked preview in 1.13: its warning says nothing a user can act
    on, so it is silenced here (and only here).
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*partitions_def on an AssetCheckSpec")
        return dg.AssetCheckSpec(
            name, asset=asset, description=description, blocking=blocking, partitions_def=yearly_partitions
        )
