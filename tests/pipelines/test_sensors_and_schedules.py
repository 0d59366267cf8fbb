"""Sensor and schedule evaluation through Dagster's own test contexts."""

import gzip
import shutil
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg
import pytest

from pipelines.definitions import build_defs
from pipelines.schedules import monthly_refresh, yearly_refresh_march
from pipelines.sensors import extract_files_sensor
from pipelines.settings import load_settings

REPO_ROOT = Path(__file__).resolve().parents[2]  # tests must not import conftest: there are several

SAMPLE_COMTRADE = REPO_ROOT / "sample" / "extracts" / "comtrade"


def _evaluate(extracts: Path, cursor: str | None, tmp_path: Path):
    defs = build_defs(load_settings({"RVC_EXTRACTS": str(extracts), "RVC_WAREHOUSE": str(tmp_path / "wh")}))
    context = dg.build_sensor_context(cursor=cursor, resources={"rvc": defs.resources["rvc"]}, definitions=defs)
    return extract_files_sensor.evaluate_tick(context)


def _partition_keys(result) -> list[str]:
    return sorted(request.partition_key for request in result.run_requests)


@pytest.mark.slow
def test_extract_files_sensor_launches_only_changed_years(tmp_path: Path) -> None:
    extracts = tmp_path / "extracts"
    (extracts / "comtrade").mkdir(parents=True)
    for year in (2016, 2017):
        shutil.copy(SAMPLE_COMTRADE / f"sample_comtrade_{year}.tsv.gz", extracts / "comtrade")

    first = _evaluate(extracts, None, tmp_path)
    assert _partition_keys(first) == ["2016", "2017"]  # new files

    unchanged = _evaluate(extracts, first.cursor, tmp_path)
    assert unchanged.run_requests == [] and unchanged.skip_message.startswith("no new or changed")

    path = extracts / "comtrade" / "sample_comtrade_2017.tsv.gz"
    lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    path.write_bytes(gzip.compress(("\n".join(lines[:-1]) + "\n").encode(), mtime=0))  # a revised release: one row fewer
    changed = _evaluate(extracts, unchanged.cursor, tmp_path)
    assert _partition_keys(changed) == ["2017"]
    assert changed.run_requests[0].run_key != first.run_requests[1].run_key


def test_schedules_pick_partitions_for_a_fixed_date() -> None:
    repository = build_defs().get_repository_def()
    context = dg.build_schedule_context(scheduled_execution_time=datetime(2024, 3, 1, 3, tzinfo=timezone.utc), repository_def=repository)
    monthly = list(monthly_refresh.evaluate_tick(context).run_requests)
    assert [r.partition_key for r in monthly] == ["2021", "2022", "2023"]
    assert len({r.run_key for r in monthly}) == 3
    yearly = list(yearly_refresh_march.evaluate_tick(context).run_requests)
    assert [r.partition_key for r in yearly] == ["2022", "2023"]

    early = dg.build_schedule_context(scheduled_execution_time=datetime(2010, 6, 1, tzinfo=timezone.utc), repository_def=repository)
    assert [r.partition_key for r in monthly_refresh.evaluate_tick(early).run_requests] == ["2007", "2008", "2009"]


def test_an_unreadable_changed_file_launches_nothing_and_is_named(tmp_path: Path) -> None:
    from assets.sources.manifest import Manifest, ManifestEntry
    from pipelines.sensors import plan_runs_for_changes

    def entry(name: str, sha: str, years: dict[int, int], error: str | None = None, family: str = "comtrade") -> ManifestEntry:
        return ManifestEntry(name, tmp_path / name, 1, 1, sha * 64, family, None, years, error)

    manifest = Manifest(tmp_path, [
        entry("comtrade/good.tsv", "a", {2017: 10}),
        entry("comtrade/cut.tsv.gz", "b", {}, "cut.tsv.gz: the file ends early"),
        entry("comtrade/notes.zip", "c", {}, "suffix '.zip' ...", family="skipped"),
        entry("tiva/new.csv", "d", {2030: 4}, family="tiva"),
    ])
    requests, warnings, state = plan_runs_for_changes(manifest, {"comtrade/good.tsv": "a" * 64}, ["2016", "2017"])
    assert requests == []
    assert warnings == [
        "comtrade/cut.tsv.gz: unreadable, no run launched — cut.tsv.gz: the file ends early",
        "year 2030 (tiva/new.csv): not a partition yet — reload the code location to add it",
    ]
    assert sorted(state) == ["comtrade/cut.tsv.gz", "comtrade/good.tsv", "tiva/new.csv"]  # skipped files are not watched
