"""The extract manifest: rows per year for every file, refreshed only for what changed, never crashing on bad input."""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from assets.errors import RvcInputError
from assets.sources import comtrade_readers, manifest as manifest_module
from assets.sources.comtrade_readers import read_comtrade_file
from assets.sources.manifest import ManifestEntry, load_manifest, manifest_file
from assets.sources.tiva_layouts import read_tiva_file

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
REAL = REPO.parent / "shared" / "data" / "real"
SAMPLE = REPO / "sample" / "extracts"


def put(source: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copyfile(source, target))


@pytest.fixture
def extracts(tmp_path: Path) -> Path:
    root = tmp_path / "extracts"
    put(FIXTURES / "comtrade" / "legacy_full_handwritten.csv", root / "comtrade" / "legacy.csv")  # 2017 x2, 2018 x2
    put(FIXTURES / "comtrade" / "plus_bulk_handwritten.tsv", root / "comtrade" / "plus" / "bulk.tsv")  # 2019 x3
    put(FIXTURES / "comtrade" / "plus_api_handwritten.json", root / "comtrade" / "api.json")
    put(FIXTURES / "comtrade" / "plus_api_handwritten.json.query.json", root / "comtrade" / "api.json.query.json")
    put(FIXTURES / "tiva" / "TIVA_2018_C1_hand_written.csv", root / "tiva" / "TIVA_2018_C1_hand_written.csv")
    put(FIXTURES / "tiva" / "activity_codebook_hand_written.csv", root / "tiva" / "activity_codebook_hand_written.csv")
    return root


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the Comtrade files whose year column was streamed."""
    calls: list[str] = []
    count = manifest_module.comtrade_rows_by_year

    def counting(path: Path):
        calls.append(path.name)
        return count(path)

    monkeypatch.setattr(manifest_module, "comtrade_rows_by_year", counting)
    return calls


def by_file(manifest) -> dict[str, ManifestEntry]:
    return {entry.source_file: entry for entry in manifest.entries}


def test_entries_say_family_layout_and_rows_per_year(extracts: Path, tmp_path: Path) -> None:
    manifest = load_manifest(extracts, tmp_path / "wh" / ".cache" / "extracts")
    entries = by_file(manifest)
    legacy = entries["comtrade/legacy.csv"]
    assert (legacy.family, legacy.layout, legacy.rows_by_year, legacy.error) == ("comtrade", "legacy_full", {2017: 2, 2018: 2}, None)
    assert legacy.path == extracts.resolve() / "comtrade" / "legacy.csv"
    assert legacy.size == (extracts / "comtrade" / "legacy.csv").stat().st_size
    assert entries["comtrade/plus/bulk.tsv"].rows_by_year == {2019: 3}
    tiva_rows = read_tiva_file(extracts / "tiva" / "TIVA_2018_C1_hand_written.csv", extracts / "tiva")
    assert entries["tiva/TIVA_2018_C1_hand_written.csv"].rows_by_year == {
        int(year): int(n) for year, n in tiva_rows["year"].value_counts().items()
    }
    assert entries["comtrade/api.json.query.json"].family == "skipped"
    assert "codebook" in entries["tiva/activity_codebook_hand_written.csv"].error
    assert manifest.years("comtrade")[:3] == [2017, 2018, 2019]
    assert manifest.years() == sorted(set(manifest.years("comtrade")) | set(manifest.years("tiva")))
    assert [e.source_file for e in manifest.files_for_year(2019, "comtrade")] == ["comtrade/plus/bulk.tsv"]
    assert manifest.files_for_year(2019, "tiva") == []
    assert manifest_file(tmp_path / "wh" / ".cache" / "extracts").is_file()


def test_refresh_reuses_unchanged_entries_and_recomputes_changed_ones(extracts: Path, tmp_path: Path, counted: list[str]) -> None:
    cache = tmp_path / "wh" / ".cache" / "extracts"
    first = load_manifest(extracts, cache)
    assert sorted(counted) == ["api.json", "bulk.tsv", "legacy.csv"]

    counted.clear()
    again = load_manifest(extracts, cache)
    assert counted == [] and again.entries == first.entries

    bulk = extracts / "comtrade" / "plus" / "bulk.tsv"
    lines = bulk.read_text().splitlines()
    bulk.write_text("\n".join(lines + [lines[1].replace("\t2019\t", "\t2020\t")]) + "\n")  # a revised file, one more row
    changed = load_manifest(extracts, cache)
    assert counted == ["bulk.tsv"]
    assert by_file(changed)["comtrade/plus/bulk.tsv"].rows_by_year == {2019: 3, 2020: 1}
    assert by_file(changed)["comtrade/legacy.csv"] == by_file(first)["comtrade/legacy.csv"]

    counted.clear()
    legacy = extracts / "comtrade" / "legacy.csv"
    os.utime(legacy, ns=(legacy.stat().st_atime_ns, legacy.stat().st_mtime_ns + 10**9))  # touched, same bytes
    shutil.copyfile(legacy, extracts / "comtrade" / "legacy_copy.csv")  # the same content under a new name
    touched = load_manifest(extracts, cache)
    assert counted == []  # known content: hashed again, not read again
    assert by_file(touched)["comtrade/legacy_copy.csv"].rows_by_year == {2017: 2, 2018: 2}
    assert by_file(touched)["comtrade/legacy.csv"].mtime_ns == legacy.stat().st_mtime_ns

    (extracts / "comtrade" / "legacy_copy.csv").unlink()
    assert "comtrade/legacy_copy.csv" not in by_file(load_manifest(extracts, cache))


def test_a_bad_file_is_listed_with_its_reason_and_only_its_family_is_affected(extracts: Path, tmp_path: Path) -> None:
    good = load_manifest(extracts, tmp_path / "good" / "extracts")
    whole = gzip.compress((FIXTURES / "comtrade" / "plus_bulk_handwritten.tsv").read_bytes() * 2000)
    (extracts / "comtrade" / "cut.tsv.gz").write_bytes(whole[: len(whole) // 2])
    put(FIXTURES / "comtrade" / "unknown_header_handwritten.csv", extracts / "comtrade" / "unknown.csv")
    (extracts / "tiva" / "broken_tiva.csv").write_text("OBS_VALUE,WHATEVER\n1,2\n")

    manifest = load_manifest(extracts, tmp_path / "wh" / "extracts")
    bad = {e.source_file: e for e in manifest.unreadable()}
    assert sorted(bad) == ["comtrade/cut.tsv.gz", "comtrade/unknown.csv", "tiva/broken_tiva.csv"]
    assert "cut.tsv.gz: the file ends early" in bad["comtrade/cut.tsv.gz"].error
    assert "unknown.csv: unrecognised Comtrade layout" in bad["comtrade/unknown.csv"].error
    assert "unknown TiVA layout" in bad["tiva/broken_tiva.csv"].error
    assert all(e.family in ("comtrade", "tiva") for e in bad.values())
    assert bad["comtrade/unknown.csv"].rows_by_year == bad["tiva/broken_tiva.csv"].rows_by_year == {}
    # the rows before the cut still say which years the cut file holds (so those partitions fail naming it)
    assert list(bad["comtrade/cut.tsv.gz"].rows_by_year) == [2019]
    # the readable files and their years are as without the bad ones
    assert manifest.years() == good.years()
    for year in good.years():
        for family in ("comtrade", "tiva"):
            assert manifest.files_for_year(year, family) == good.files_for_year(year, family)
    # years unknown: every year of the family names them, and only them
    assert [e.source_file for e in manifest.bad_files_for_year(2019, "comtrade")] == ["comtrade/cut.tsv.gz", "comtrade/unknown.csv"]
    assert [e.source_file for e in manifest.bad_files_for_year(2019, "tiva")] == ["tiva/broken_tiva.csv"]


def test_bad_files_with_known_years_affect_only_those_years(tmp_path: Path) -> None:
    manifest = manifest_module.Manifest(tmp_path, [
        ManifestEntry("comtrade/a.csv", tmp_path / "comtrade/a.csv", 1, 1, "a" * 64, "comtrade", "plus_plain", {2018: 5}, None),
        ManifestEntry("comtrade/b.csv", tmp_path / "comtrade/b.csv", 1, 1, "b" * 64, "comtrade", "plus_plain", {2019: 5}, "row 3 is bad"),
    ])
    assert manifest.bad_files_for_year(2018, "comtrade") == []
    assert [e.source_file for e in manifest.bad_files_for_year(2019, "comtrade")] == ["comtrade/b.csv"]
    # 2019 is still a partition (it fails naming b.csv) but no readable file feeds it
    assert manifest.years() == [2018, 2019] and manifest.files_for_year(2019, "comtrade") == []


def test_files_no_reader_reads_are_skipped_entries_with_a_reason(extracts: Path, tmp_path: Path) -> None:
    for name in ("archive.zip", "codes.xlsx", "year.tsv.bz2", "NOSUFFIX"):
        (extracts / "comtrade" / name).write_bytes(b"not read")
    (extracts / "tiva" / "tiva.zip").write_bytes(b"not read")
    (extracts / "loose.csv").write_text("refYear,reporterCode\n2019,4\n")
    (extracts / "comtrade" / ".hidden.csv").write_text("editor backup")
    manifest = load_manifest(extracts, tmp_path / "wh" / "extracts")
    skipped = {e.source_file: e.error for e in manifest.skipped()}
    assert "'.zip' is not one the Comtrade readers read" in skipped["comtrade/archive.zip"]
    assert "'.xlsx'" in skipped["comtrade/codes.xlsx"] and "'.tsv.bz2'" in skipped["comtrade/year.tsv.bz2"]
    assert "'(none)'" in skipped["comtrade/NOSUFFIX"]
    assert "'.zip' is not one the TiVA readers read" in skipped["tiva/tiva.zip"]
    # Outside comtrade/ and tiva/ a file is classified by content: this one is neither layout.
    assert "not a Comtrade extract (unrecognised Comtrade layout" in skipped["loose.csv"]
    assert "not TiVA observations" in skipped["loose.csv"]
    assert "sidecar" in skipped["comtrade/api.json.query.json"]
    assert "comtrade/.hidden.csv" not in by_file(manifest)
    assert all(e.rows_by_year == {} for e in manifest.skipped())
    assert manifest.unreadable() == []


@pytest.mark.parametrize("content", ["", "{", '{"version": "1", "files": [{"source_file": 3}]}', "[]", "\0\0\0"])
def test_a_torn_manifest_is_rebuilt(extracts: Path, tmp_path: Path, content: str, counted: list[str]) -> None:
    cache = tmp_path / "wh" / ".cache" / "extracts"
    expected = load_manifest(extracts, cache)
    manifest_file(cache).write_text(content)
    counted.clear()
    rebuilt = load_manifest(extracts, cache)
    assert rebuilt.entries == expected.entries and len(counted) == 3
    saved = json.loads(manifest_file(cache).read_text())
    assert [record["source_file"] for record in saved["files"]] == [e.source_file for e in expected.entries]
    assert not [p for p in manifest_file(cache).parent.iterdir() if p.name.endswith(".tmp")]


def test_a_manifest_of_another_folder_is_not_reused(extracts: Path, tmp_path: Path, counted: list[str]) -> None:
    cache = tmp_path / "wh" / ".cache" / "extracts"
    load_manifest(extracts, cache)
    other = tmp_path / "other"
    shutil.copytree(extracts, other)
    counted.clear()
    assert by_file(load_manifest(other, cache))["comtrade/legacy.csv"].path == other.resolve() / "comtrade" / "legacy.csv"


def test_a_manifest_that_cannot_be_saved_is_still_answered(extracts: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "wh"
    blocker.write_text("a file where the warehouse folder should be")
    manifest = load_manifest(extracts, blocker / ".cache" / "extracts")
    assert manifest.years("comtrade")[:3] == [2017, 2018, 2019]


def test_the_settings_path_is_the_manifest_file_of_the_cache_folder(tmp_path: Path) -> None:
    from pipelines.settings import load_settings

    settings = load_settings({"RVC_WAREHOUSE": str(tmp_path / "wh")})
    assert settings.manifest_path == manifest_file(settings.cache_dir)


COMTRADE_FILES = sorted(
    [p for p in (FIXTURES / "comtrade").iterdir() if p.suffix in (".csv", ".tsv", ".json")
     and not p.name.endswith(".query.json") and "error" not in p.name and "unknown" not in p.name]
    + ([p for folder in ("comtrade_legacy", "comtrade_plus") for p in (REAL / folder).iterdir()] if REAL.is_dir() else [])
)


@pytest.mark.parametrize("path", COMTRADE_FILES, ids=lambda p: p.name)
def test_streamed_year_counts_equal_the_readers_rows(path: Path) -> None:
    layout, rows_by_year = manifest_module.comtrade_rows_by_year(path)
    frame = read_comtrade_file(path, path.parent)
    assert layout == frame["source_layout"].iloc[0]
    assert rows_by_year == {int(year): int(n) for year, n in sorted(frame["refYear"].value_counts().items())}


def test_year_counts_stream_in_blocks_and_name_a_row_without_year(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from assets.sources import comtrade_layouts

    monkeypatch.setattr(comtrade_layouts, "STREAM_BLOCK_SIZE", 1 << 10)
    lines = (FIXTURES / "comtrade" / "plus_bulk_handwritten.tsv").read_text().splitlines()
    path = tmp_path / "bulk.tsv.gz"
    path.write_bytes(gzip.compress(("\n".join([lines[0], *(lines[1:] * 50)]) + "\n").encode()))
    assert manifest_module.comtrade_rows_by_year(path) == ("plus_bulk", {2019: 150})
    bad = lines[1].split("\t")
    bad[lines[0].split("\t").index("refYear")] = "20x9"
    path.write_bytes(gzip.compress(("\n".join([lines[0], *(lines[1:] * 50), "\t".join(bad)]) + "\n").encode()))
    with pytest.raises(RvcInputError, match=r"bulk\.tsv\.gz: data row 151 has no whole-number year \(refYear is '20x9'\)"):
        manifest_module.comtrade_rows_by_year(path)


def test_rvc_years_lists_rows_unreadable_and_skipped_files(extracts: Path, tmp_path: Path) -> None:
    from pipelines.cli import describe_extracts
    from pipelines.settings import load_settings

    (extracts / "comtrade" / "archive.zip").write_bytes(b"zip")
    put(FIXTURES / "comtrade" / "unknown_header_handwritten.csv", extracts / "comtrade" / "unknown.csv")
    out = io.StringIO()
    describe_extracts(load_settings({"RVC_EXTRACTS": str(extracts), "RVC_WAREHOUSE": str(tmp_path / "wh")}), out=out)
    text = out.getvalue()
    assert re.search(r"(?m)^2019 +3 +0 +1$", text)  # year, Comtrade rows, TiVA rows, files (bulk.tsv only)
    assert "unreadable files" in text and "  comtrade/unknown.csv: " in text and "unrecognised Comtrade layout" in text
    assert "skipped files" in text and "  comtrade/archive.zip: suffix '.zip'" in text


def test_partitions_come_from_the_manifest_without_parsing_extracts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipelines.partitions import build_yearly_partitions
    from pipelines.settings import load_settings

    extracts = tmp_path / "extracts"
    for year in (2016, 2017):
        put(SAMPLE / "comtrade" / f"sample_comtrade_{year}.tsv.gz", extracts / "comtrade" / f"sample_comtrade_{year}.tsv.gz")
    whole = (SAMPLE / "comtrade" / "sample_comtrade_2018.tsv.gz").read_bytes()
    (extracts / "comtrade" / "cut_2018.tsv.gz").write_bytes(whole[: len(whole) // 3])  # one unreadable file
    settings = load_settings({"RVC_EXTRACTS": str(extracts), "RVC_WAREHOUSE": str(tmp_path / "wh"), "RVC_START_YEAR": "2015"})

    def no_typing(*args, **kwargs):
        raise AssertionError("rows typed while building partitions")

    monkeypatch.setattr(comtrade_readers, "to_canonical", no_typing)
    monkeypatch.delenv("RVC_END_YEAR", raising=False)
    partitions = build_yearly_partitions(settings)
    # The cut 2018 file's rows before the cut say it holds 2018: that partition exists (and fails naming the file).
    assert partitions.get_partition_keys() == ["2015", "2016", "2017", "2018"]
    assert not list(settings.cache_dir.glob("*.parquet")) if settings.cache_dir.exists() else True
    assert settings.manifest_path.is_file()

    def no_reading(path: Path):
        raise AssertionError(f"{path} read again although the manifest has it")

    monkeypatch.setattr(manifest_module, "comtrade_rows_by_year", no_reading)
    assert build_yearly_partitions(settings).get_partition_keys() == ["2015", "2016", "2017", "2018"]
