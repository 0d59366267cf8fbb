"""The heavy yearly stages (comtrade_raw and the Comtrade cleaning) through Dagster on small extract folders:
Parquet written by DuckDB and moved into place, all-or-nothing, byte-identical re-runs, files readable as
the umask says, and a bad file failing only the years it holds."""

from __future__ import annotations

import copy
import gzip
import hashlib
import os
import shutil
from pathlib import Path

import dagster as dg
import pandas as pd

import assets.cleaning
from checks.cleaning import comtrade_totals_schema
from checks.sql_checks import sql_check
from pipelines.definitions import build_defs
from pipelines.settings import REPO_ROOT, load_settings

SAMPLE_COMTRADE = REPO_ROOT / "sample" / "extracts" / "comtrade"
HEAVY = ["comtrade_raw", "comtrade_clean", "comtrade_totals", "comtrade_rejects"]
QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


def extracts_with(tmp_path: Path, years: list[int]) -> Path:
    folder = tmp_path / "extracts" / "comtrade"
    folder.mkdir(parents=True)
    for year in years:
        shutil.copy(SAMPLE_COMTRADE / f"sample_comtrade_{year}.tsv.gz", folder)
    return folder.parent


def materialize(extracts: Path, warehouse: Path, year: str) -> dg.ExecuteInProcessResult:
    settings = load_settings({"RVC_EXTRACTS": str(extracts), "RVC_WAREHOUSE": str(warehouse)})
    defs = build_defs(settings)
    job = defs.resolve_implicit_global_asset_job_def().get_subset(asset_selection={dg.AssetKey(k) for k in HEAVY})
    return job.execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), partition_key=year, run_config=QUIET, raise_on_error=False,
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_year_is_written_by_duckdb_and_a_rerun_gives_identical_bytes(tmp_path: Path) -> None:
    extracts = extracts_with(tmp_path, [2017])
    previous_umask = os.umask(0o022)
    try:
        assert materialize(extracts, tmp_path / "wh", "2017").success
    finally:
        os.umask(previous_umask)
    files = {key: tmp_path / "wh" / key / "2017.parquet" for key in HEAVY}
    first = {key: digest(path) for key, path in files.items()}
    for path in files.values():
        assert oct(path.stat().st_mode & 0o777) == oct(0o644), path  # readable by colleagues, as the umask says
    raw = pd.read_parquet(files["comtrade_raw"])
    outputs = sum(len(pd.read_parquet(files[k])) for k in HEAVY[1:])
    assert len(raw) == outputs > 0
    assert not list((tmp_path / "wh").rglob("*.tmp")), "no temporaries left behind"

    assert materialize(extracts, tmp_path / "wh", "2017").success
    assert {key: digest(path) for key, path in files.items()} == first


def test_cleaning_writes_none_of_its_three_tables_when_one_fails_its_contract(tmp_path: Path, monkeypatch) -> None:
    extracts = extracts_with(tmp_path, [2017])
    never = sql_check(lambda frame: pd.Series(False, index=frame.index), "never_valid", "FALSE")
    broken = copy.deepcopy(comtrade_totals_schema)
    broken.checks = [*broken.checks, never]
    monkeypatch.setitem(assets.cleaning.COMTRADE_SCHEMAS, "totals", (broken, "ComtradeTotals"))
    result = materialize(extracts, tmp_path / "wh", "2017")
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "never_valid" in str(failure.event_specific_data.error.message) or "never_valid" in str(
        failure.event_specific_data.user_failure_data.description
    )
    for key in HEAVY[1:]:
        assert not (tmp_path / "wh" / key / "2017.parquet").exists(), key
    assert not list((tmp_path / "wh").rglob("*.tmp"))


def test_an_unreadable_file_fails_only_the_years_it_holds(tmp_path: Path) -> None:
    extracts = extracts_with(tmp_path, [2016, 2017])
    # A 2017 file whose second data row has a field too many: 2017 cannot be read, 2016 can.
    with gzip.open(SAMPLE_COMTRADE / "sample_comtrade_2017.tsv.gz", "rt", encoding="utf-8") as handle:
        header, first, second = handle.readline(), handle.readline(), handle.readline()
    (extracts / "comtrade" / "broken_2017.tsv").write_text(header + first + second.rstrip("\n") + "\textra\n", encoding="utf-8")
    assert materialize(extracts, tmp_path / "wh", "2016").success
    failed = materialize(extracts, tmp_path / "wh", "2017")
    assert not failed.success
    error = next(e for e in failed.all_events if e.event_type_value == "STEP_FAILURE").event_specific_data.error
    message = error.to_string()  # the step error and its cause, as the UI shows them
    assert "broken_2017.tsv" in message and "line 3 has 39 fields" in message and "comtrade_raw 2017" in message
    assert not (tmp_path / "wh" / "comtrade_raw" / "2017.parquet").exists()


def test_extracts_anywhere_below_the_folder_are_classified_by_content_and_symlinks_followed(tmp_path: Path) -> None:
    # No comtrade/ or tiva/ folders: a Comtrade file at the top, a TiVA file in a folder of its own, a
    # symlinked Comtrade file, and a stray spreadsheet that no reader reads.
    extracts = tmp_path / "downloads"
    (extracts / "oecd").mkdir(parents=True)
    shutil.copy(SAMPLE_COMTRADE / "sample_comtrade_2016.tsv.gz", extracts)
    tiva = sorted((REPO_ROOT / "sample" / "extracts" / "tiva").glob("*.csv"))[0]
    shutil.copy(tiva, extracts / "oecd" / tiva.name)
    (extracts / "linked_2017.tsv.gz").symlink_to(SAMPLE_COMTRADE / "sample_comtrade_2017.tsv.gz")
    (extracts / "notes.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    from assets.sources.manifest import load_manifest

    manifest = load_manifest(extracts, tmp_path / "wh" / ".cache" / "extracts")
    families = {e.source_file: e.family for e in manifest.entries}
    assert families == {
        "sample_comtrade_2016.tsv.gz": "comtrade", "linked_2017.tsv.gz": "comtrade",
        f"oecd/{tiva.name}": "tiva", "notes.xlsx": "skipped",
    }
    assert "notes.xlsx" in [e.source_file for e in manifest.skipped()]
    assert materialize(extracts, tmp_path / "wh", "2017").success
    raw = pd.read_parquet(tmp_path / "wh" / "comtrade_raw" / "2017.parquet")
    assert set(raw["source_file"]) == {"linked_2017.tsv.gz"} and len(raw) > 0


def test_harmonization_rebuilt_from_the_same_inputs_gives_identical_bytes(tmp_path: Path) -> None:
    # Issue 13 item 8: DuckDB sums in parallel, so an unordered float sum can differ in its last digit from run to
    # run; trade_flows, country_totals and the weights order (or sum exactly) before they sum.
    extracts = extracts_with(tmp_path, [2016, 2017])
    settings = load_settings({"RVC_EXTRACTS": str(extracts), "RVC_WAREHOUSE": str(tmp_path / "wh")})
    defs = build_defs(settings)
    instance = dg.DagsterInstance.ephemeral()

    def run(job_name: str, year: str | None = None) -> None:
        result = defs.resolve_job_def(job_name).execute_in_process(
            instance=instance, partition_key=year, run_config=QUIET, raise_on_error=False)
        assert result.success, job_name

    run("reference_tables")
    for year in ("2016", "2017"):
        run("yearly_cleaning", year)
    built = {"hs_conversion_weights": tmp_path / "wh" / "hs_conversion_weights.parquet",
             "trade_flows": tmp_path / "wh" / "trade_flows" / "2017.parquet",
             "country_totals": tmp_path / "wh" / "country_totals" / "2017.parquet"}
    digests = []
    for _ in range(2):
        run("conversion_weights")
        run("yearly_harmonization", "2017")
        digests.append({name: digest(path) for name, path in built.items()})
    assert pd.read_parquet(built["trade_flows"]).shape[0] > 0
    assert digests[0] == digests[1]


def test_a_year_held_by_one_file_is_its_located_cache_copied_and_equals_the_stacked_year(tmp_path: Path) -> None:
    # The raw asset copies a located cache instead of rewriting the year; the copy must be what the stacking
    # query writes: same columns and types, same rows in the same order, location columns filled.
    from assets.duckdb_session import duckdb_session, sql_string
    from assets.sources.comtrade_readers import FileLocation, cache_comtrade_file
    from assets.sources.comtrade_year import CachedExtract, write_raw_year
    from assets.sources.extract_inventory import file_sha256

    source = SAMPLE_COMTRADE / "sample_comtrade_2017.tsv.gz"
    location = FileLocation("comtrade/sample_comtrade_2017.tsv.gz", "https://example.invalid/q?x=1", "2026-01-02T03:04:05Z")
    located = cache_comtrade_file(source, file_sha256(source), tmp_path / "cache", location)
    plain = cache_comtrade_file(source, file_sha256(source), tmp_path / "cache")
    assert located != plain
    fields = (location.source_file, location.api_query, location.retrieved_at)
    with duckdb_session() as con:
        copied, stacked = tmp_path / "copied.parquet", tmp_path / "stacked.parquet"
        rows = write_raw_year(con, [CachedExtract(located, *fields, located=True, years=(2017,))], 2017, copied)
        assert write_raw_year(con, [CachedExtract(plain, *fields)], 2017, stacked) == rows > 0
        assert copied.read_bytes() == located.read_bytes()  # copied, not rewritten

        def described(path: Path) -> list:
            return con.execute(f"DESCRIBE SELECT * FROM read_parquet({sql_string(path)})").fetchall()

        assert described(copied) == described(stacked)
        frames = [con.execute(f"SELECT * FROM read_parquet({sql_string(p)})").df() for p in (copied, stacked)]
        pd.testing.assert_frame_equal(frames[0], frames[1])
        assert set(frames[0]["retrieved_at"]) == {"2026-01-02T03:04:05Z"} and set(frames[0]["source_file"]) == {location.source_file}
        # A file holding several years (or one whose years are unknown) is stacked as before.
        several = tmp_path / "several.parquet"
        write_raw_year(con, [CachedExtract(located, *fields, located=True, years=(2016, 2017))], 2017, several)
        assert several.read_bytes() != located.read_bytes()
