"""Hostile TiVA files: each is read correctly or refused with an RvcInputError that names the file (and
row or line), says what was expected and what to do — never a Python error, a silent skip or a wrong number.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import logging
from pathlib import Path

import pytest

from assets.errors import RvcInputError
from assets.sources.tiva_layouts import list_tiva_files, read_tiva_extracts, read_tiva_file

FLOW = "OECD.STI.PIE:DSD_TIVA_MAINLV@DF_MAINLV(1.1)"
HEADER = "DATAFLOW,MEASURE,REF_AREA,ACTIVITY,COUNTERPART_AREA,UNIT_MEASURE,TIME_PERIOD,OBS_VALUE\r\n"
ROWS = [
    f"{FLOW},EXGR,THA,C29,JPN,USD_EXC,2015,1234.5\r\n",
    f"{FLOW},EXGR,THA,C29,WLD,USD_EXC,2016,37506.698\r\n",
]
GOOD = HEADER + "".join(ROWS)


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_a_byte_that_is_no_text_in_any_supported_encoding_names_file_and_line(tmp_path: Path) -> None:
    # 0x81 is undefined in Windows-1252 and invalid in UTF-8: the reader used to die with UnboundLocalError.
    data = GOOD.encode("utf-8").replace(b"WLD", b"W\x81D")
    path = write(tmp_path / "tiva" / "tiva2025_bad_byte.csv", data)

    with pytest.raises(RvcInputError) as excinfo:
        read_tiva_file(path, tmp_path)

    message = str(excinfo.value)
    assert str(path) in message and "line 3" in message and "0x81" in message
    assert "UTF-8" in message and "re-download" in message.lower()


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-8-sig"])
def test_a_file_with_a_byte_order_mark_is_decoded_and_read(tmp_path: Path, encoding: str) -> None:
    bom = codecs.BOM_UTF16_BE if encoding == "utf-16-be" else b""
    data = bom + GOOD.encode(encoding)
    write(tmp_path / "tiva" / "tiva2025_bom.csv", data)
    write(tmp_path / "tiva" / "tiva2025_plain.csv", GOOD.encode("utf-8"))

    assert [p.name for p in list_tiva_files(tmp_path)] == ["tiva2025_bom.csv", "tiva2025_plain.csv"]  # not skipped
    rows, _ = read_tiva_extracts(tmp_path)
    bom_rows = rows[rows["source_file"] == "tiva/tiva2025_bom.csv"].reset_index(drop=True)
    plain_rows = rows[rows["source_file"] == "tiva/tiva2025_plain.csv"].reset_index(drop=True)
    columns = ["measure", "country", "partner", "year", "obs_value", "dataflow", "edition", "source_row"]
    assert bom_rows[columns].equals(plain_rows[columns])
    assert bom_rows["obs_value"].tolist() == [1234.5, 37506.698]


def test_a_utf16_file_without_byte_order_mark_is_an_error_not_a_silent_skip(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write(tmp_path / "tiva" / "tiva2025_utf16le.csv", GOOD.encode("utf-16-le"))

    with caplog.at_level(logging.INFO), pytest.raises(RvcInputError) as excinfo:
        list_tiva_files(tmp_path)

    message = str(excinfo.value)
    assert str(path) in message and "UTF-16" in message and "UTF-8" in message
    assert not [r for r in caplog.records if "skipping" in r.getMessage()]


@pytest.mark.parametrize("blank", ["", "  "])
def test_a_row_without_a_year_is_an_error_naming_the_row(tmp_path: Path, blank: str) -> None:
    data = GOOD + f"{FLOW},EXGR,THA,C29,USA,USD_EXC,{blank},99.5\r\n"
    path = write(tmp_path / "tiva" / "tiva2025_no_year.csv", data.encode("utf-8"))

    with pytest.raises(RvcInputError) as excinfo:
        read_tiva_file(path, tmp_path)  # used to keep it with no year, then drop it from every partition

    message = str(excinfo.value)
    assert str(path) in message and "row 3" in message and "TIME_PERIOD" in message and "year" in message


@pytest.mark.parametrize("terminator", ["\r\n", "\n"])
def test_a_file_cut_in_its_last_row_is_refused_not_read_with_a_short_number(tmp_path: Path, terminator: str) -> None:
    text = GOOD.replace("\r\n", terminator)
    cut = text[: text.index("37506.698") + len("375")]  # 37506.698 would have been read as 375
    path = write(tmp_path / "tiva" / "tiva2025_cut.csv", cut.encode("utf-8"))

    with pytest.raises(RvcInputError) as excinfo:
        read_tiva_file(path, tmp_path)

    message = str(excinfo.value)
    assert str(path) in message and "line 3" in message and "cut" in message and "re-download" in message.lower()


def test_a_gzipped_file_cut_short_is_refused(tmp_path: Path) -> None:
    packed = gzip.compress(GOOD.encode("utf-8") * 50)
    path = write(tmp_path / "tiva" / "tiva2025_cut.csv.gz", packed[: len(packed) // 2])

    with pytest.raises(RvcInputError) as excinfo:
        read_tiva_file(path, tmp_path)

    assert str(path) in str(excinfo.value) and "re-download" in str(excinfo.value).lower()


def test_complete_files_with_or_without_a_final_line_break_on_a_single_line_still_read(tmp_path: Path) -> None:
    header_only = write(tmp_path / "tiva" / "tiva2025_header_only.csv", HEADER.rstrip("\r\n").encode("utf-8"))
    assert read_tiva_file(header_only, tmp_path).empty
    complete = write(tmp_path / "tiva" / "tiva2025_ok.csv", (GOOD + "\r\n").encode("utf-8"))
    assert read_tiva_file(complete, tmp_path)["obs_value"].tolist() == [1234.5, 37506.698]


def test_a_gzip_without_its_trailer_is_refused(tmp_path: Path) -> None:
    # Only the 8-byte trailer (CRC32 and length) is missing: the content itself may look complete.
    path = write(tmp_path / "tiva" / "tiva2025_no_trailer.csv.gz", gzip.compress(GOOD.encode("utf-8"))[:-8])

    with pytest.raises(RvcInputError) as excinfo:
        read_tiva_file(path, tmp_path)

    assert str(path) in str(excinfo.value) and "cut short or damaged" in str(excinfo.value)


def test_an_8_mib_single_line_is_refused_naming_the_file(tmp_path: Path) -> None:
    # Used to end in `_csv.Error: field larger than field limit (131072)`.
    path = write(tmp_path / "tiva" / "tiva2025_one_line.csv", b"x" * (8 << 20))

    with pytest.raises(RvcInputError) as excinfo:
        read_tiva_file(path, tmp_path)

    message = str(excinfo.value)
    assert str(path) in message and "no line break" in message and "header line" in message


def test_an_8_mib_line_among_rows_is_refused_naming_its_row(tmp_path: Path) -> None:
    path = write(tmp_path / "tiva" / "tiva2025_long_line.csv", (GOOD + "y" * (8 << 20) + "\r\n").encode("utf-8"))

    with pytest.raises(RvcInputError) as excinfo:
        read_tiva_file(path, tmp_path)

    assert str(path) in str(excinfo.value) and "row 3" in str(excinfo.value)


def test_a_valid_file_with_a_4_mib_cell_reads(tmp_path: Path) -> None:
    long_area = "W" * (4 << 20)
    data = GOOD + f'{FLOW},EXGR,THA,C29,"{long_area}",USD_EXC,2016,1.5\r\n'
    path = write(tmp_path / "tiva" / "tiva2025_long_cell.csv", data.encode("utf-8"))

    rows = read_tiva_file(path, tmp_path)

    assert rows["obs_value"].tolist() == [1234.5, 37506.698, 1.5]
    assert rows["partner"].tolist()[2] == long_area
    assert csv.field_size_limit() == 131072  # the process-wide limit is restored


def test_an_unreadable_tiva_file_is_named_in_every_tiva_raw_partition(tmp_path: Path) -> None:
    # A UTF-16 file without byte-order mark and one with a blank TIME_PERIOD: their years are unknown, so each
    # year's tiva_raw says so in its metadata and log (what the UI shows), instead of a Python logger line.
    import dagster as dg

    from pipelines.definitions import build_defs
    from pipelines.settings import load_settings

    extracts = tmp_path / "extracts"
    write(extracts / "tiva" / "tiva2025_good.csv", GOOD.encode("utf-8"))
    write(extracts / "tiva" / "tiva2025_utf16le.csv", GOOD.encode("utf-16-le"))
    write(extracts / "tiva" / "tiva2025_no_year.csv", (GOOD + f"{FLOW},EXGR,THA,C29,USA,USD_EXC,,99.5\r\n").encode("utf-8"))
    # And a readable file with a year typed as 2099: no partition reads that row, every partition counts it.
    write(extracts / "tiva" / "tiva2025_typo.csv", (HEADER + f"{FLOW},EXGR,THA,C29,USA,USD_EXC,2099,7.5\r\n").encode("utf-8"))
    settings = load_settings({"RVC_EXTRACTS": str(extracts), "RVC_WAREHOUSE": str(tmp_path / "wh")})
    job = build_defs(settings).resolve_implicit_global_asset_job_def().get_subset(asset_selection={dg.AssetKey("tiva_raw")})

    result = job.execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), partition_key="2015",
        run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}}, raise_on_error=False,
    )

    assert result.success
    event = next(e for e in result.get_asset_materialization_events() if e.asset_key == dg.AssetKey("tiva_raw"))
    named = event.materialization.metadata["unreadable_files_years_unknown"].value
    assert "tiva/tiva2025_utf16le.csv" in named and "UTF-16" in named
    assert "tiva/tiva2025_no_year.csv" in named and "row 3: TIME_PERIOD is blank" in named
    assert event.materialization.metadata["source_files"].value == 1
    assert event.materialization.metadata["rows_outside_partitions"].value == 1
    by_file = event.materialization.metadata["rows_outside_partitions_by_file"].value
    assert "tiva/tiva2025_typo.csv" in by_file and "2099" in by_file and "year_implausible" in by_file
