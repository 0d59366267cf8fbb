"""TiVA readers: layout detection, every layout variant, sidecars and editions, listing, real extracts.

Hand-written fixtures live in tests/fixtures/tiva (see its README); the real 2025 extracts are read in
place through the `real_data_dir` fixture, with golden values computed here by the csv module.
"""

from __future__ import annotations

import csv
import gzip
import json
import logging
import shutil
from pathlib import Path

import pandas as pd
import pytest

from assets.errors import RvcInputError
from assets.sources.tiva_layouts import (
    NOT_OBSERVATIONS,
    detect_tiva_layout,
    edition_from_file_name,
    find_sidecar,
    list_tiva_files,
    normalize_dataflow,
    read_tiva_extracts,
    read_tiva_file,
)
from assets.vocabulary import OECD_STAT_TIVA, SDMX_CSV_V1, SDMX_CSV_V2, SDMX_DIMENSION_COLUMNS, TIVA_RAW_COLUMNS
from checks.tiva import tiva_raw_schema

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tiva"
MAINLV_2025 = "OECD.STI.PIE:DSD_TIVA_MAINLV@DF_MAINLV(1.1)"
REAL_FILES = {
    "EXGR_DVA": "tiva2025_MAINLV_EXGR_DVA_10asia_vs_OECD_totalactivity_2000-2022.csv",
    "EXGR_FNL": "tiva2025_MAINLV_EXGR_FNL_10asia_vs_OECD_totalactivity_2000-2022.csv",
}
# Hand-written: the dimension-columns layout of the real extracts, two invented rows.
DIMENSION_CSV = (
    "MEASURE,REF_AREA,ACTIVITY,COUNTERPART_AREA,UNIT_MEASURE,FREQ,TIME_PERIOD,OBS_VALUE\n"
    "EXGR,THA,C29,JPN,USD,A,2014,10.5\n"
    "EXGR,THA,C29,JPN,USD,A,2015,11.25\n"
)


def _read_fixture(name: str) -> pd.DataFrame:
    return read_tiva_file(FIXTURES / name, FIXTURES)


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "layout"),
    [
        ("sdmx_csv_v1_unit_mult.csv", SDMX_CSV_V1),
        ("sdmx_csv_v1_labels_both.csv", SDMX_CSV_V1),
        ("sdmx_csv_v2_labels_columns.csv", SDMX_CSV_V2),
        ("TIVA_2018_C1_hand_written.csv", OECD_STAT_TIVA),
        ("activity_codebook_hand_written.csv", NOT_OBSERVATIONS),
    ],
)
def test_detect_layout_of_each_fixture(name, layout):
    assert detect_tiva_layout(FIXTURES / name) == layout


def test_sdmx_v1_keeps_values_and_unit_mult_as_given():
    raw = _read_fixture("sdmx_csv_v1_unit_mult.csv")
    assert list(raw.columns) == TIVA_RAW_COLUMNS
    tiva_raw_schema.validate(raw, lazy=True)
    assert raw["measure"].tolist() == ["EXGR", "EXGR_DVA", "EXGR_FVA", "EXGR_DVASH", "EXGR", "EXGR"]
    assert raw["unit_mult"].tolist() == [6, 3, 6, 0, 6, 6]
    assert raw["obs_value"].iloc[1] == 16500250.0  # the reader does not rescale; cleaning does
    assert raw["partner"].iloc[0] == "W"  # as given; the W -> WLD rename is a cleaning rule
    assert raw["obs_status"].tolist() == ["A", "A", "A", "A", "A", "M"]
    assert pd.isna(raw["obs_value"].iloc[5]) and pd.isna(raw["unparsed_value"].iloc[5])
    assert set(raw["dataflow"]) == {MAINLV_2025} and set(raw["edition"]) == {MAINLV_2025}
    assert raw["source_row"].tolist() == [1, 2, 3, 4, 5, 6]
    assert raw["source_file"].iloc[0] == "sdmx_csv_v1_unit_mult.csv"
    assert raw["year"].dtype == "Int64" and raw["obs_value"].dtype == "float64"


def test_sdmx_v1_labels_both_keeps_codes_only():
    raw = _read_fixture("sdmx_csv_v1_labels_both.csv")
    first = raw.iloc[0]
    assert (first["measure"], first["country"], first["activity"], first["partner"]) == ("EXGR_DVA", "THA", "C29", "JPN")
    assert (first["unit_measure"], first["unit_mult"], first["obs_status"], first["year"]) == ("USD_EXC", 6, "A", 2015)
    assert first["dataflow"] == MAINLV_2025
    assert first["obs_value"] == 4200.125
    assert raw["activity"].iloc[1] == "_T" and raw["partner"].iloc[1] == "ASEAN" and raw["obs_status"].iloc[1] == "E"


def test_sdmx_v2_label_columns_are_ignored_and_structure_id_is_the_dataflow():
    raw = _read_fixture("sdmx_csv_v2_labels_columns.csv")
    assert raw["measure"].tolist() == ["EXGR_FVA", "EXGR_FVA"]
    assert raw["country"].tolist() == ["VNM", "VNM"] and raw["partner"].tolist() == ["JPN", "JPN"]
    assert raw["obs_value"].tolist() == [812.5, 812500.0]
    assert raw["unit_mult"].tolist() == [6, 3]
    assert raw["unit_measure"].tolist() == ["USD_EXC", "USD_EXC"]
    assert set(raw["dataflow"]) == {MAINLV_2025}
    assert set(raw["source_layout"]) == {SDMX_CSV_V2}


def test_oecd_stat_layout_maps_powercode_flags_and_keeps_unparsed_text():
    raw = _read_fixture("TIVA_2018_C1_hand_written.csv")
    tiva_raw_schema.validate(raw, lazy=True)
    assert raw["country"].tolist()[:5] == ["THA", "CN1", "CN2", "MX1", "MX2"]
    assert raw["activity"].tolist()[:5] == ["D29", "D29", "D29", "DTOTAL", "DTOTAL"]
    assert raw["unit_mult"].tolist()[3:5] == [0, 6]
    assert raw["obs_value"].iloc[3] == 1_000_000.0
    last = raw.iloc[-1]
    assert pd.isna(last["obs_value"]) and last["unparsed_value"] == ".." and last["obs_status"] == "E"
    assert raw["dataflow"].isna().all()
    assert set(raw["edition"]) == {"2018"}  # from the OECD.Stat dataset code in the file name


def test_gzipped_tab_separated_txt_reads_like_the_csv(tmp_path):
    source = FIXTURES / "sdmx_csv_v1_unit_mult.csv"
    with source.open(newline="", encoding="utf-8") as handle:
        records = list(csv.reader(handle))
    target = tmp_path / "sdmx_csv_v1_unit_mult.txt.gz"
    with gzip.open(target, "wt", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter="\t").writerows(records)
    expected = read_tiva_file(source, FIXTURES).drop(columns=["source_file", "source_sha256"])
    got = read_tiva_file(target, tmp_path)
    assert got["source_file"].iloc[0] == "sdmx_csv_v1_unit_mult.txt.gz"
    pd.testing.assert_frame_equal(got.drop(columns=["source_file", "source_sha256"]), expected)


def test_semicolon_separated_sdmx_v2_with_structure_subfield_marker(tmp_path):
    path = _write(
        tmp_path / "explorer_fr.csv",
        "STRUCTURE[|];STRUCTURE_ID;ACTION;MEASURE;REF_AREA;ACTIVITY;COUNTERPART_AREA;UNIT_MEASURE;TIME_PERIOD;OBS_VALUE\n"
        f"dataflow;{MAINLV_2025};I;EXGR;THA;C29;JPN;USD_EXC;2015;7.5\n",
    )
    raw = read_tiva_file(path, tmp_path)
    assert detect_tiva_layout(path) == SDMX_CSV_V2
    assert (raw["measure"].iloc[0], raw["obs_value"].iloc[0], raw["year"].iloc[0]) == ("EXGR", 7.5, 2015)


def test_unknown_layout_names_file_columns_and_expected_layouts(tmp_path):
    path = _write(tmp_path / "odd_download.csv", "DATAFLOW,REF_AREA,TIME_PERIOD,OBS_VALUE\nX,THA,2015,1\n")
    with pytest.raises(RvcInputError) as caught:
        detect_tiva_layout(path)
    message = str(caught.value)
    assert "odd_download.csv" in message
    assert "DATAFLOW, REF_AREA, TIME_PERIOD, OBS_VALUE" in message
    for layout in (SDMX_CSV_V1, SDMX_CSV_V2, SDMX_DIMENSION_COLUMNS, OECD_STAT_TIVA):
        assert layout in message
    assert "COUNTERPART_AREA" in message  # says what was missing from the expected layouts


def test_reading_a_codebook_is_an_error_naming_the_file():
    with pytest.raises(RvcInputError, match="activity_codebook_hand_written.csv.*not a TiVA observation file"):
        _read_fixture("activity_codebook_hand_written.csv")


def test_non_annual_period_is_an_error_with_row(tmp_path):
    path = _write(tmp_path / "tiva2025_q.csv", DIMENSION_CSV.replace("2015,11.25", "2015-Q1,11.25"))
    with pytest.raises(RvcInputError, match=r"row 2.*'2015-Q1'.*annual"):
        read_tiva_file(path, tmp_path)


def test_bad_unit_mult_is_an_error_naming_the_column(tmp_path):
    text = (FIXTURES / "sdmx_csv_v1_unit_mult.csv").read_text(encoding="utf-8").replace(",3,A,0", ",x,A,0")
    path = _write(tmp_path / "bad_mult.csv", text)
    with pytest.raises(RvcInputError, match=r"row 2, column UNIT_MULT: 'x'"):
        read_tiva_file(path, tmp_path)


def test_sdmx_delete_action_is_not_an_observation(tmp_path):
    text = (FIXTURES / "sdmx_csv_v2_labels_columns.csv").read_text(encoding="utf-8").replace(",I,EXGR_FVA", ",D,EXGR_FVA", 1)
    path = _write(tmp_path / "delete.csv", text)
    with pytest.raises(RvcInputError, match="ACTION 'D'"):
        read_tiva_file(path, tmp_path)


def test_rows_wider_or_shorter_than_the_header_are_errors_and_blank_lines_are_skipped(tmp_path):
    header = "DATAFLOW,MEASURE,REF_AREA,ACTIVITY,COUNTERPART_AREA,UNIT_MEASURE,TIME_PERIOD,OBS_VALUE,UNIT_MULT\n"
    path = _write(tmp_path / "blank.csv", header + f"{MAINLV_2025},EXGR,THA,C29,JPN,USD,2015,1.5,\n\n"
                  f"{MAINLV_2025},EXGR,THA,C29,JPN,USD,2016,2.5,6,\n")
    raw = read_tiva_file(path, tmp_path)
    assert raw["source_row"].tolist() == [1, 3]  # the blank record 2 counts but yields no row
    assert raw["unit_mult"].isna().tolist() == [True, False] and raw["obs_value"].tolist() == [1.5, 2.5]
    wide = _write(tmp_path / "wide.csv", header + f"{MAINLV_2025},EXGR,THA,C29,JPN,USD,2015,1.5,6,oops\n")
    with pytest.raises(RvcInputError, match=r"wide.csv: row 1 has 10 cells for a 9-column header"):
        read_tiva_file(wide, tmp_path)
    # Two cells missing somewhere: which ones cannot be told, so padding would read the unit multiplier (6) as
    # the value, or the value as the year; the row is refused instead.
    short = _write(tmp_path / "short.csv", header + f"{MAINLV_2025},EXGR,THA,C29,JPN,USD,2015,1.5,6\n"
                   f"{MAINLV_2025},EXGR,THA,2016,2.5,6,\n")
    with pytest.raises(RvcInputError, match=r"short.csv: row 2 has 7 cells for a 9-column header"):
        read_tiva_file(short, tmp_path)
    empty = read_tiva_file(_write(tmp_path / "header_only.csv", header), tmp_path)
    assert empty.empty and list(empty.columns) == TIVA_RAW_COLUMNS
    tiva_raw_schema.validate(empty)


def test_edition_from_sidecar_beats_dataflow_and_url_gives_dataflow(tmp_path):
    path = _write(tmp_path / "api" / "exgr_tha.csv", DIMENSION_CSV)
    url = "https://sdmx.oecd.org/public/rest/data/OECD.STI.PIE,DSD_TIVA_MAINLV@DF_MAINLV,1.1/EXGR.THA.C29.JPN.USD.A"
    sidecar = _write(path.parent / "exgr_tha.csv.query.json", json.dumps({"url": url, "params": {}, "status": 200}))
    assert find_sidecar(path) == sidecar
    raw = read_tiva_file(path, tmp_path)
    assert set(raw["dataflow"]) == {MAINLV_2025} and set(raw["edition"]) == {MAINLV_2025}
    assert raw["source_file"].iloc[0] == "api/exgr_tha.csv"
    sidecar.write_text(json.dumps({"url": url, "edition": "2023"}), encoding="utf-8")
    assert set(read_tiva_file(path, tmp_path)["edition"]) == {"2023"}


def test_file_without_any_edition_hint_is_rejected_with_what_to_do(tmp_path):
    path = _write(tmp_path / "exgr_tha.csv", DIMENSION_CSV)
    with pytest.raises(RvcInputError, match=r"exgr_tha.csv.*edition.*exgr_tha.csv.query.json"):
        read_tiva_file(path, tmp_path)


@pytest.mark.parametrize(
    ("name", "edition"),
    [
        ("tiva2025_MAINLV_EXGR_DVA.csv", "2025"),
        ("TIVA_2018_C1_export.csv", "2018"),
        ("oecd_tiva_2021_edition_c29.csv", "2021"),
        ("tiva_2000-2022_exgr.csv", None),  # data years, not an edition
        ("sample_tiva_mainlv.csv", None),
    ],
)
def test_edition_from_file_name(name, edition):
    assert edition_from_file_name(name) == edition


def test_normalize_dataflow_converts_rest_form():
    assert normalize_dataflow("OECD.STI.PIE,DSD_TIVA_MAINLV@DF_MAINLV,1.1") == MAINLV_2025
    assert normalize_dataflow(MAINLV_2025) == MAINLV_2025
    assert normalize_dataflow("  ") is None


def test_list_skips_sidecars_hidden_markdown_and_non_observation_files(tmp_path, caplog):
    tiva = tmp_path / "tiva"
    (tiva / "nested").mkdir(parents=True)
    for name in ("sdmx_csv_v1_unit_mult.csv", "activity_codebook_hand_written.csv", "README.md"):
        shutil.copy(FIXTURES / name, tiva / name)
    _write(tiva / "sdmx_csv_v1_unit_mult.csv.query.json", "{}")
    _write(tiva / ".hidden.csv", DIMENSION_CSV)
    _write(tiva / ".cache" / "tiva2025_x.csv", DIMENSION_CSV)
    with gzip.open(tiva / "nested" / "tiva2025_nested.csv.gz", "wt", encoding="utf-8") as handle:
        handle.write(DIMENSION_CSV)
    _write(tmp_path / "comtrade" / "legacy.csv", "Classification,Year,Trade Value (US$)\nH5,2017,1\n")
    with caplog.at_level(logging.INFO, logger="rvc.tiva"):
        found = list_tiva_files(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "tiva/nested/tiva2025_nested.csv.gz",
        "tiva/sdmx_csv_v1_unit_mult.csv",
    ]
    assert any("activity_codebook_hand_written.csv" in r.getMessage() and "OBS_VALUE" in r.getMessage() for r in caplog.records)


def test_read_extracts_filters_years_and_summarises_each_file():
    rows, summary = read_tiva_extracts(FIXTURES, years=[2015])
    tiva_raw_schema.validate(rows, lazy=True)
    assert set(rows["year"]) == {2015}
    by_file = summary.set_index("source_file")
    assert by_file.loc["sdmx_csv_v1_unit_mult.csv", "rows_read"] == 6
    assert by_file.loc["sdmx_csv_v1_unit_mult.csv", "rows_kept"] == 5
    assert by_file.loc["TIVA_2018_C1_hand_written.csv", "rows_kept"] == 0
    assert by_file.loc["sdmx_csv_v2_labels_columns.csv", "source_layout"] == SDMX_CSV_V2
    assert int(summary["rows_kept"].sum()) == len(rows)
    assert "activity_codebook_hand_written.csv" not in by_file.index
    assert list(rows[["source_file", "source_row"]].itertuples(index=False)) == sorted(
        rows[["source_file", "source_row"]].itertuples(index=False)
    )


def manifest_tiva_years(tiva_folder: Path, tmp_path: Path) -> list[int]:
    """The TiVA years the extract manifest gives for a copy of `tiva_folder` as `<extracts>/tiva`."""
    from assets.sources.manifest import load_manifest

    shutil.copytree(tiva_folder, tmp_path / "extracts" / "tiva")
    return load_manifest(tmp_path / "extracts", tmp_path / "wh" / "extracts").years("tiva")


def test_years_in_extracts(tmp_path):
    assert manifest_tiva_years(FIXTURES, tmp_path) == [2011, 2015, 2016]


# --- real extracts (../shared/data/real/tiva), golden values by the csv module -----------------------

def _csv_records(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.real_data
@pytest.mark.parametrize("measure", sorted(REAL_FILES))
def test_real_2025_extract_parses_with_golden_values(real_data_dir, measure):
    path = real_data_dir / "tiva" / REAL_FILES[measure]
    records = _csv_records(path)
    raw = read_tiva_file(path, real_data_dir)
    tiva_raw_schema.validate(raw, lazy=True)
    assert detect_tiva_layout(path) == SDMX_DIMENSION_COLUMNS
    assert len(raw) == len(records)
    assert set(raw["measure"]) == {measure}
    assert raw["source_file"].iloc[0] == f"tiva/{REAL_FILES[measure]}"
    assert set(raw["edition"]) == {"2025"}  # file name tiva2025_...
    assert set(raw["dataflow"]) == {MAINLV_2025}  # from the sidecar's flow_ref
    assert raw["unit_mult"].isna().all() and set(raw["unit_measure"]) == {"USD"}
    tha_2015 = [r for r in records if r["REF_AREA"] == "THA" and r["TIME_PERIOD"] == "2015"]
    assert len(tha_2015) == 1
    got = raw[(raw["country"] == "THA") & (raw["year"] == 2015)]
    assert got["obs_value"].tolist() == [float(tha_2015[0]["OBS_VALUE"])]
    expected = {(r["REF_AREA"], int(r["TIME_PERIOD"])): float(r["OBS_VALUE"]) for r in records}
    assert dict(zip(zip(raw["country"], raw["year"].astype(int)), raw["obs_value"])) == expected
    assert set(raw["partner"]) == {r["COUNTERPART_AREA"] for r in records} == {"OECD"}


@pytest.mark.real_data
def test_real_folder_lists_only_the_two_observation_files(real_data_dir, tmp_path):
    found = list_tiva_files(real_data_dir)
    assert sorted(p.name for p in found) == sorted(REAL_FILES.values())
    rows, summary = read_tiva_extracts(real_data_dir, years=[2015])
    assert summary["rows_read"].tolist() == [len(_csv_records(p)) for p in found]
    assert summary["rows_kept"].tolist() == [10, 10]  # ten reporters, one year
    assert manifest_tiva_years(real_data_dir, tmp_path) == list(range(2000, 2023))
