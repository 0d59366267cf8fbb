"""Rows whose year no partition reads (issue #15: "2099 in a 2017 file ... belong to no partition and vanish").

An implausible year (outside 1962..next year) never creates a partition; its rows are counted and named in
`rvc years` and in every comtrade_raw partition's metadata, and the run of the earliest year their file holds
quarantines them in comtrade_rejects with reason `year_implausible`. Plausible years outside the partition range
are counted and named too."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import dagster as dg
import pandas as pd

from assets.sources.manifest import AFTER_LAST_YEAR, BEFORE_FIRST_YEAR, load_manifest
from assets.sources.year_range import YEAR_IMPLAUSIBLE, is_plausible_year, last_plausible_year
from pipelines.cli import describe_extracts
from pipelines.definitions import build_defs
from pipelines.partitions import build_yearly_partitions, first_and_last_year, yearly_partitions
from pipelines.settings import load_settings
from tests.hostile.comtrade_files import delimited, row, write

HEAVY = ["comtrade_raw", "comtrade_clean", "comtrade_totals", "comtrade_rejects"]
QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


def test_the_plausible_range_is_1962_to_next_year() -> None:
    assert last_plausible_year(date(2026, 12, 1)) == 2027
    assert [is_plausible_year(y, date(2026, 12, 1)) for y in (1961, 1962, 2027, 2028, 2099)] == [False, True, True, False, False]


def extracts_with_stray_years(tmp_path: Path) -> Path:
    extracts = tmp_path / "extracts"
    # One file of 2016 and 2017 with a row typed as 2099 and one of 1990 (before the start year 1995).
    write(extracts / "comtrade" / "jpn.csv", delimited([
        row(refYear="2016", period="2016", classificationCode="H4"),
        row(),
        row(refYear="2099", period="2099", cmdCode="870324", primaryValue="111"),
        row(refYear="1990", period="1990", cmdCode="870322", primaryValue="222"),
    ]))
    # A file holding only implausible years: no run reads it, its rows are counted only.
    write(extracts / "comtrade" / "typo.csv", delimited([row(refYear="9999", period="9999", primaryValue="333")]))
    return extracts


def test_implausible_years_make_no_partition_and_rvc_years_names_them(tmp_path: Path) -> None:
    extracts = extracts_with_stray_years(tmp_path)
    settings = load_settings({"RVC_EXTRACTS": str(extracts), "RVC_WAREHOUSE": str(tmp_path / "wh"), "RVC_START_YEAR": "1995"})

    manifest = load_manifest(extracts, settings.cache_dir)
    assert manifest.years() == [1990, 2016, 2017]
    partitions = build_yearly_partitions(settings)
    assert (partitions.get_partition_keys()[0], partitions.get_partition_keys()[-1]) == ("1995", "2017")
    outside = {(r.source_file, r.year): (r.rows, r.why, r.quarantined_in) for r in manifest.rows_outside_partitions(1995, 2017)}
    assert outside == {
        ("comtrade/jpn.csv", 1990): (1, BEFORE_FIRST_YEAR, None),
        ("comtrade/jpn.csv", 2099): (1, YEAR_IMPLAUSIBLE, 2016),
        ("comtrade/typo.csv", 9999): (1, YEAR_IMPLAUSIBLE, None),
    }
    # With RVC_END_YEAR=2016, 2017 lies after the range: counted, and the 2099 row still goes to 2016.
    shorter = {(r.source_file, r.year): (r.rows, r.why, r.quarantined_in) for r in manifest.rows_outside_partitions(1995, 2016)}
    assert shorter[("comtrade/jpn.csv", 2017)] == (1, AFTER_LAST_YEAR, None)
    assert shorter[("comtrade/jpn.csv", 2099)] == (1, YEAR_IMPLAUSIBLE, 2016)

    out = io.StringIO()
    describe_extracts(settings, out=out)
    text = out.getvalue()
    assert "rows outside the partition years 1995..2017" in text
    assert "  comtrade/jpn.csv: 1 comtrade row(s) of 2099 (year_implausible) — quarantined as year_implausible in 2016's comtrade_rejects" in text
    assert "  comtrade/jpn.csv: 1 comtrade row(s) of 1990 (before_first_partition_year) — counted only" in text
    assert "  comtrade/typo.csv: 1 comtrade row(s) of 9999 (year_implausible) — counted only" in text


def materialize(extracts: Path, warehouse: Path, year: str) -> dg.ExecuteInProcessResult:
    settings = load_settings({"RVC_EXTRACTS": str(extracts), "RVC_WAREHOUSE": str(warehouse)})
    job = build_defs(settings).resolve_implicit_global_asset_job_def().get_subset(
        asset_selection={dg.AssetKey(key) for key in HEAVY}
    )
    return job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), partition_key=year, run_config=QUIET, raise_on_error=False)


def raw_metadata(result: dg.ExecuteInProcessResult) -> dict:
    event = next(e for e in result.get_asset_materialization_events() if e.asset_key == dg.AssetKey("comtrade_raw"))
    return {key: value.value for key, value in event.materialization.metadata.items()}


def test_the_earliest_year_of_the_file_quarantines_its_implausible_rows(tmp_path: Path) -> None:
    extracts = extracts_with_stray_years(tmp_path)
    warehouse = tmp_path / "wh"
    first, last = first_and_last_year(yearly_partitions)  # the code location's range: 2016 and 2017 lie inside
    assert first <= 2016 and 2017 <= last

    later = materialize(extracts, warehouse, "2017")
    assert later.success
    assert pd.read_parquet(warehouse / "comtrade_raw" / "2017.parquet")["refYear"].tolist() == [2017]
    assert raw_metadata(later)["rows_quarantined_implausible_year"] == 0

    earlier = materialize(extracts, warehouse, "2016")
    assert earlier.success
    raw = pd.read_parquet(warehouse / "comtrade_raw" / "2016.parquet")
    assert raw["refYear"].tolist() == [2016, 2099] and raw["source_row"].tolist() == [1, 3]
    rejects = pd.read_parquet(warehouse / "comtrade_rejects" / "2016.parquet")
    quarantined = rejects[rejects["reason"] == YEAR_IMPLAUSIBLE]
    assert quarantined[["source_file", "source_row", "refYear", "primaryValue"]].values.tolist() == [["comtrade/jpn.csv", 3, 2099, 111.0]]
    assert "refYear 2099 is not a plausible trade year" in quarantined["message"].iloc[0]
    clean = pd.read_parquet(warehouse / "comtrade_clean" / "2016.parquet")
    assert clean["year"].unique().tolist() == [2016]
    metadata = raw_metadata(earlier)
    assert metadata["rows_quarantined_implausible_year"] == 1
    # 1990 lies before the code location's first year only when that year is after 1990 (default 1995).
    assert metadata["rows_outside_partitions"] == 2 + (first > 1990)
    assert "typo.csv" in metadata["rows_outside_partitions_by_file"] and "9999" in metadata["rows_outside_partitions_by_file"]
