"""Hostile Comtrade extracts (issue #15): each is read correctly or refused with an RvcInputError that names the
file (and row where known), says what was expected and what to do — never a Python error, a silent skip, a
shortened number or a row that vanishes. Every case is built in a temporary folder from named fields."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pytest

from assets.errors import RvcInputError
from assets.sources.comtrade_readers import cache_comtrade_file, read_comtrade_file, read_cached
from assets.sources.extract_inventory import file_sha256
from assets.sources.manifest import SKIPPED, load_manifest
from pipelines.cli import describe_extracts
from pipelines.settings import load_settings
from tests.hostile.comtrade_files import delimited, row, write

GOOD = delimited([row(), row(cmdCode="870324", primaryValue="17950567092")])


def refused(path: Path, tmp_path: Path) -> list[str]:
    """The error texts of the two ways a file is read — whole (read_comtrade_file) and streamed into the per-file
    cache — and of its manifest entry (what `rvc years` and the partitions show)."""
    extracts = tmp_path / "extracts"
    messages = []
    for read in (lambda: read_comtrade_file(path, path.parent), lambda: cache_comtrade_file(path, file_sha256(path), tmp_path / "cache")):
        with pytest.raises(RvcInputError) as excinfo:
            read()
        messages.append(str(excinfo.value))
    entry = next(e for e in load_manifest(extracts, tmp_path / ".cache" / "extracts").entries if e.path == path)
    assert not entry.readable
    messages.append(entry.error)
    return messages


def test_a_file_cut_inside_its_last_value_is_refused_not_read_as_17(tmp_path: Path) -> None:
    # The value is the last column: cut after "17", 17950567092 would be read as 17.
    cut = GOOD[: GOOD.rindex("17950567092") + 2]
    path = write(tmp_path / "extracts" / "comtrade" / "cut_value.csv", cut)

    for message in refused(path, tmp_path):
        assert "cut_value.csv" in message and "data row 2" in message
        assert "no line terminator" in message and "Download the file again" in message


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_last_line_without_terminator_among_terminated_lines_is_refused(tmp_path: Path, newline: str) -> None:
    whole = delimited([row(), row(cmdCode="870324")], newline=newline)
    path = write(tmp_path / "extracts" / "comtrade" / "no_final_newline.csv", whole.removesuffix(newline))

    for message in refused(path, tmp_path):
        assert "no_final_newline.csv" in message and "last line (data row 2) has no line terminator" in message


def test_a_single_line_file_without_terminator_still_reads(tmp_path: Path) -> None:
    # Only the header, no line break at all: nothing says it was cut, and there are no rows to shorten.
    path = write(tmp_path / "extracts" / "comtrade" / "header_only.csv", delimited([]).rstrip("\n"))
    assert len(read_comtrade_file(path, path.parent)) == 0


@pytest.mark.parametrize("cut", [8, 4, 1])
def test_a_gzip_without_its_trailer_is_refused_naming_the_file(tmp_path: Path, cut: int) -> None:
    # The gzip trailer is 8 bytes (CRC32 and length): without it the content may be complete or not.
    data = gzip.compress(GOOD.encode())[:-cut]
    path = write(tmp_path / "extracts" / "comtrade" / "no_trailer.csv.gz", data)

    for message in refused(path, tmp_path):
        assert "no_trailer.csv.gz" in message and "ends early" in message and "Download the file again" in message
    # Its years are still known from the rows before the break, so the 2017 partition fails naming it.
    entry = load_manifest(tmp_path / "extracts", tmp_path / ".cache" / "extracts").entries[0]
    assert entry.rows_by_year == {2017: 2}


def test_a_gzip_cut_within_its_first_mib_still_says_which_years_it_holds(tmp_path: Path) -> None:
    rows = [row(refYear=str(year), period=str(year), primaryValue=str(n)) for n in range(300) for year in (2016, 2017)]
    whole = gzip.compress(delimited(rows).encode())
    path = write(tmp_path / "extracts" / "comtrade" / "cut.csv.gz", whole[: len(whole) // 2])

    entry = load_manifest(tmp_path / "extracts", tmp_path / ".cache" / "extracts").entries[0]

    assert entry.source_file == "comtrade/cut.csv.gz" and not entry.readable and "ends early" in entry.error
    assert set(entry.rows_by_year) == {2016, 2017} and 0 < sum(entry.rows_by_year.values()) < 600
    assert str(path) in entry.error


def envelope(records: list[dict], count: object) -> str:
    return json.dumps({"elapsedTime": "0.5 secs", "count": count, "data": records, "error": ""})


RECORD = {"refYear": 2017, "reporterCode": 392, "flowCode": "X", "partnerCode": 764, "cmdCode": "870323", "primaryValue": 5.0}


@pytest.mark.parametrize(("count", "expected"), [(3, "says `count` 3 but `data` holds 1 record(s)"), (0, "`count` 0 but `data` holds 1"), ("many", "not a whole number")])
def test_a_json_envelope_whose_count_differs_from_its_data_is_refused(tmp_path: Path, count: object, expected: str) -> None:
    path = write(tmp_path / "extracts" / "comtrade" / "api" / "answer.json", envelope([RECORD], count))

    for message in refused(path, tmp_path):
        assert "answer.json" in message and expected in message and "Fetch the file again" in message
    # Its records still say which year it holds, so that partition fails naming it (not every year warns).
    entry = load_manifest(tmp_path / "extracts", tmp_path / ".cache" / "extracts").entries[0]
    assert entry.rows_by_year == {2017: 1}


@pytest.mark.parametrize("count", [1, "1", None])
def test_a_json_envelope_whose_count_matches_reads(tmp_path: Path, count: object) -> None:
    path = write(tmp_path / "extracts" / "comtrade" / "answer.json", envelope([RECORD], count))
    frame = read_comtrade_file(path, path.parent)
    assert frame["primaryValue"].tolist() == [5.0] and frame["refYear"].tolist() == [2017]


def test_an_8_mib_single_line_is_refused_naming_the_file(tmp_path: Path) -> None:
    # Used to end in `_csv.Error: field larger than field limit (131072)`.
    path = write(tmp_path / "extracts" / "comtrade" / "one_line.csv", "x" * (8 << 20))

    for message in refused(path, tmp_path):
        assert "one_line.csv" in message and "no line break" in message and "header row" in message


def test_an_8_mib_line_after_a_good_row_is_refused_naming_its_line(tmp_path: Path) -> None:
    path = write(tmp_path / "extracts" / "comtrade" / "long_line.csv", delimited([row()]) + "y" * (8 << 20) + "\n")

    for message in refused(path, tmp_path):
        assert "long_line.csv" in message and "line 3 has 1 fields where the header has 17" in message


def test_a_valid_file_with_a_4_mib_field_reads_both_ways(tmp_path: Path) -> None:
    # Used to be refused as a "straddling object ... increase block size" when read whole.
    long_text = "J" * (4 << 20)
    path = write(tmp_path / "extracts" / "comtrade" / "long_field.csv", delimited([row(), row(reporterISO=long_text), row(cmdCode="870324")]))

    whole = read_comtrade_file(path, path.parent)
    cached = read_cached(cache_comtrade_file(path, file_sha256(path), tmp_path / "cache"))
    for frame in (whole, cached):
        assert frame["reporterISO"].tolist() == ["JPN", long_text, "JPN"]
        assert frame["primaryValue"].tolist() == [17950567092.0] * 3


@pytest.mark.parametrize("name", ["extract.zip", "extract.xlsx", "extract.csv.bz2", "extract"])
def test_files_with_suffixes_no_reader_reads_are_listed_as_skipped_with_the_reason(tmp_path: Path, name: str) -> None:
    extracts = tmp_path / "extracts"
    write(extracts / "comtrade" / "good.csv", GOOD)
    for folder in ("comtrade", "tiva", "elsewhere"):
        write(extracts / folder / name, b"PK\x03\x04 not read")
    settings = load_settings({"RVC_EXTRACTS": str(extracts), "RVC_WAREHOUSE": str(tmp_path / "wh")})

    manifest = load_manifest(extracts, settings.cache_dir)
    skipped = {e.source_file: e.error for e in manifest.skipped()}
    suffix = "".join(Path(name).suffixes) or "(none)"
    assert set(skipped) == {f"comtrade/{name}", f"tiva/{name}", f"elsewhere/{name}"}
    assert all(f"suffix {suffix!r} is not one the" in reason and "unpack or convert it" in reason for reason in skipped.values())
    out = io.StringIO()
    describe_extracts(settings, out=out)
    text = out.getvalue()
    assert "skipped files (no reader reads them):" in text
    for folder in ("comtrade", "tiva", "elsewhere"):
        assert f"  {folder}/{name}: suffix {suffix!r}" in text
    assert all(e.family != SKIPPED for e in manifest.entries if e.source_file == "comtrade/good.csv")
