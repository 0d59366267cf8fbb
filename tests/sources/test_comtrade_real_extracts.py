"""Every real Comtrade extract in ../shared/data/real parses, row for row, into the `comtrade_raw` contract.

Golden values are computed here from the raw files with the csv/json modules, never from the readers.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import pandas as pd
import pytest

from assets.sources.comtrade_layouts import detect_layout
from assets.sources.comtrade_readers import read_comtrade_extracts, read_comtrade_file
from assets.vocabulary import COMTRADE_RAW_COLUMNS
from checks.raw import comtrade_raw_schema

pytestmark = pytest.mark.real_data

EXPECTED_LAYOUTS = {
    "comtrade_legacy/legacy_871200_2016-2019_allreporters_partner490_OtherAsiaNes.csv": "legacy_full",
    "comtrade_legacy/legacy_871200_2016-2019_allreporters_world_asreported.csv": "legacy_full",
    "comtrade_legacy/legacy_IDN_2402_1989-2020_5partners_asreported.csv": "legacy_full",
    "comtrade_legacy/legacy_TOTAL_2017_allreporters_world_asreported.csv": "legacy_full",
    "comtrade_legacy/legacy_api_reduced_USA_CHN_HS2_2017.csv": "legacy_api_reduced",
    "comtrade_legacy/plusexport_legacyheader_JPN-ASEAN_252310_1988-2020_world.csv": "legacy_full",
    "comtrade_plus/api_CHN_exports_to_KOR-MEX-USA_TOTAL_2012-2022.csv": "plus_bulk_snake",
    "comtrade_plus/api_DEU-FRA_0306_H5_2020_world.csv": "plus_bulk_snake",
    "comtrade_plus/api_DEU_0306_H0_1990_world.csv": "plus_bulk_snake",
    "comtrade_plus/api_THA_shrimp_030613-etc_2007-2011_allpartners.csv": "plus_bulk_snake",
    "comtrade_plus/api_USA_imports_from_DEU-FRA-JPN-MEX_TOTAL_2018-2022.csv": "plus_bulk_snake",
    "comtrade_plus/api_get_C_A_HS_CHN_2010_TOTAL.json": "plus_api_json",
    "comtrade_plus/api_get_C_A_HS_MEX-etc_TOTAL_2024_bilateral.json": "plus_api_json",
    "comtrade_plus/api_get_C_A_HS_USMCA_TOTAL_2024_exports.json": "plus_api_json",
    "comtrade_plus/bulk_ARG_2000_H0_TOTAL_first100.csv": "plus_bulk_snake",
    "comtrade_plus/ui_TradeData_CHN-DEU-USA_TOTAL_2022_bypartner.csv": "plus_website_csv",
    "comtrade_plus/ui_TradeData_Services_CHN-DEU-USA_EB10_2022.csv": "plus_website_csv",
    "comtrade_plus/ui_TradeData_THA_imports_8542_2014-2024_allpartners.csv": "plus_website_csv",
}
LEGACY_CEMENT = "comtrade_legacy/plusexport_legacyheader_JPN-ASEAN_252310_1988-2020_world.csv"
LEGACY_BICYCLES_WORLD = "comtrade_legacy/legacy_871200_2016-2019_allreporters_world_asreported.csv"
LEGACY_BICYCLES_490 = "comtrade_legacy/legacy_871200_2016-2019_allreporters_partner490_OtherAsiaNes.csv"
LEGACY_REDUCED = "comtrade_legacy/legacy_api_reduced_USA_CHN_HS2_2017.csv"
WEBSITE_THA_8542 = "comtrade_plus/ui_TradeData_THA_imports_8542_2014-2024_allpartners.csv"
WEBSITE_TOTALS = "comtrade_plus/ui_TradeData_CHN-DEU-USA_TOTAL_2022_bypartner.csv"
SNAKE_SHRIMP = "comtrade_plus/api_THA_shrimp_030613-etc_2007-2011_allpartners.csv"
BULK_ARG = "comtrade_plus/bulk_ARG_2000_H0_TOTAL_first100.csv"
JSON_CHN = "comtrade_plus/api_get_C_A_HS_CHN_2010_TOTAL.json"


def raw_records(path: Path) -> list[dict[str, str]]:
    """The data rows of a raw CSV as dicts, decoded independently (UTF-8, else the website's cp1252)."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1252")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def raw_count(path: Path) -> int:
    if path.suffix == ".json":
        return len(json.loads(path.read_text(encoding="utf-8"))["data"])
    return len(raw_records(path))


@pytest.fixture(scope="module")
def frames(real_data_dir: Path) -> dict[str, pd.DataFrame]:
    return {name: read_comtrade_file(real_data_dir / name, real_data_dir) for name in EXPECTED_LAYOUTS}


def test_every_real_comtrade_file_is_listed_here(real_data_dir: Path) -> None:
    present = {
        path.relative_to(real_data_dir).as_posix()
        for folder in ("comtrade_legacy", "comtrade_plus")
        for path in (real_data_dir / folder).iterdir()
    }
    assert present == set(EXPECTED_LAYOUTS)


@pytest.mark.parametrize("name", sorted(EXPECTED_LAYOUTS))
def test_layout_rows_and_provenance(real_data_dir: Path, frames: dict[str, pd.DataFrame], name: str) -> None:
    path = real_data_dir / name
    frame = frames[name]
    assert detect_layout(path) == EXPECTED_LAYOUTS[name]
    assert len(frame) == raw_count(path)  # rows in = rows out
    assert frame["source_row"].tolist() == list(range(1, len(frame) + 1))
    assert set(frame["source_file"]) == {name}
    assert set(frame["source_sha256"]) == {hashlib.sha256(path.read_bytes()).hexdigest()}
    assert set(frame["source_layout"]) == {EXPECTED_LAYOUTS[name]}
    assert frame["unparsed_fields"].isna().all()  # every real value types cleanly


def test_all_real_frames_satisfy_the_schema(frames: dict[str, pd.DataFrame]) -> None:
    combined = pd.concat(frames.values(), ignore_index=True)
    comtrade_raw_schema.validate(combined, lazy=True)


def test_year_is_the_row_year_as_in_the_file(real_data_dir: Path, frames: dict[str, pd.DataFrame]) -> None:
    for name, frame in frames.items():
        if name.endswith(".json"):
            expected = [record["refYear"] for record in json.loads((real_data_dir / name).read_text())["data"]]
        else:
            records = raw_records(real_data_dir / name)
            column = next(key for key in ("Year", "refYear", "ref_year") if key in records[0])
            expected = [int(record[column]) for record in records]
        assert frame["refYear"].tolist() == expected, name


def test_codes_keep_their_leading_zeros(real_data_dir: Path, frames: dict[str, pd.DataFrame]) -> None:
    combined = pd.concat(frames.values(), ignore_index=True)
    assert not combined["cmdCode"].str.contains(r"\.", regex=True).any()
    six_digit_hs = combined[(combined["aggrLevel"] == 6) & combined["classificationCode"].str.match(r"H\d")]
    assert len(six_digit_hs) > 0 and (six_digit_hs["cmdCode"].str.len() == 6).all()
    shrimp_raw = [record["cmd_code"] for record in raw_records(real_data_dir / SNAKE_SHRIMP)]
    assert frames[SNAKE_SHRIMP]["cmdCode"].tolist() == shrimp_raw
    assert "030613" in shrimp_raw
    reduced_raw = [record["Commodity Code"] for record in raw_records(real_data_dir / LEGACY_REDUCED)]
    assert frames[LEGACY_REDUCED]["cmdCode"].tolist() == [code.zfill(2) for code in reduced_raw]
    assert "01" in set(frames[LEGACY_REDUCED]["cmdCode"])
    for frame in frames.values():
        assert not frame["reporterCode"].str.contains(r"\.").any() and not frame["partnerCode"].str.contains(r"\.").any()


def test_japan_bicycle_exports_2017(real_data_dir: Path, frames: dict[str, pd.DataFrame]) -> None:
    raw = [
        float(record["Trade Value (US$)"])
        for record in raw_records(real_data_dir / LEGACY_BICYCLES_WORLD)
        if record["Reporter ISO"] == "JPN" and record["Year"] == "2017" and record["Trade Flow Code"] == "2"
    ]
    frame = frames[LEGACY_BICYCLES_WORLD]
    parsed = frame[(frame["reporterISO"] == "JPN") & (frame["refYear"] == 2017) & (frame["flowCode"] == "X")]
    assert len(raw) == 1 and parsed["primaryValue"].tolist() == raw
    assert parsed["cmdCode"].tolist() == ["871200"] and parsed["partnerISO"].tolist() == ["WLD"]


def test_thailand_8542_imports_from_japan_2020(real_data_dir: Path, frames: dict[str, pd.DataFrame]) -> None:
    raw = [
        float(record["primaryValue"])
        for record in raw_records(real_data_dir / WEBSITE_THA_8542)
        if record["refYear"] == "2020" and record["partnerISO"] == "JPN" and record["flowCode"] == "M"
    ]
    frame = frames[WEBSITE_THA_8542]
    parsed = frame[(frame["refYear"] == 2020) & (frame["partnerISO"] == "JPN") & (frame["flowCode"] == "M")]
    assert len(raw) == 1 and parsed["primaryValue"].tolist() == raw
    assert parsed["reporterCode"].tolist() == ["764"] and parsed["cmdCode"].tolist() == ["8542"]


def test_cement_japan_exports_2015_from_flow_letters(real_data_dir: Path, frames: dict[str, pd.DataFrame]) -> None:
    raw = sorted(
        (float(record["Trade Value (US$)"]), record["Mode of Transport Code"], record["Customs Proc. Code"], record["2nd Partner Code"])
        for record in raw_records(real_data_dir / LEGACY_CEMENT)
        if record["Reporter ISO"] == "JPN" and record["Year"] == "2015" and record["Trade Flow"] == "X"
    )
    frame = frames[LEGACY_CEMENT]
    parsed = frame[(frame["reporterISO"] == "JPN") & (frame["refYear"] == 2015) & (frame["flowCode"] == "X")]
    assert len(raw) >= 1
    assert sorted(parsed[["primaryValue", "motCode", "customsCode", "partner2Code"]].itertuples(index=False, name=None)) == raw
    raw_flows = [record["Trade Flow"] for record in raw_records(real_data_dir / LEGACY_CEMENT)]
    assert frame["flowCode"].tolist() == raw_flows  # Trade Flow Code is 0: the letters are the flow
    assert set(frame["partnerISO"]) == {"W00"}


def test_partner_490_keeps_its_empty_iso(frames: dict[str, pd.DataFrame]) -> None:
    frame = frames[LEGACY_BICYCLES_490]
    assert set(frame["partnerCode"]) == {"490"}
    assert frame["partnerISO"].isna().all()
    assert set(frame["partnerDesc"]) == {"Other Asia, nes"}


def test_latin1_partner_names(real_data_dir: Path, frames: dict[str, pd.DataFrame]) -> None:
    raw_names = {record["partnerDesc"] for record in raw_records(real_data_dir / WEBSITE_TOTALS)}
    assert "Côte d'Ivoire" in raw_names
    assert set(frames[WEBSITE_TOTALS]["partnerDesc"]) == raw_names


def test_legacy_flags_give_the_estimation_booleans(real_data_dir: Path, frames: dict[str, pd.DataFrame]) -> None:
    flags = [int(record["Flag"]) for record in raw_records(real_data_dir / LEGACY_BICYCLES_WORLD)]
    frame = frames[LEGACY_BICYCLES_WORLD]
    assert frame["legacyEstimationFlag"].tolist() == flags
    assert frame["isQtyEstimated"].tolist() == [flag in (2, 6) for flag in flags]
    assert frame["isNetWgtEstimated"].tolist() == [flag in (4, 6) for flag in flags]


def test_json_values_and_bulk_extra_fields(real_data_dir: Path, frames: dict[str, pd.DataFrame]) -> None:
    records = json.loads((real_data_dir / JSON_CHN).read_text())["data"]
    frame = frames[JSON_CHN]
    assert frame["primaryValue"].tolist() == [record["primaryValue"] for record in records]
    assert frame["partnerCode"].tolist() == [str(record["partnerCode"]) for record in records]
    assert frame["isReported"].tolist() == [record["isReported"] for record in records]
    dataset_codes = [record["dataset_code"] for record in raw_records(real_data_dir / BULK_ARG)]
    assert [json.loads(extra) for extra in frames[BULK_ARG]["extra_fields"]] == [{"dataset_code": code} for code in dataset_codes]


def test_parquet_round_trip_keeps_dtypes(frames: dict[str, pd.DataFrame], tmp_path: Path) -> None:
    combined = pd.concat(frames.values(), ignore_index=True)
    combined.to_parquet(tmp_path / "raw.parquet")
    back = pd.read_parquet(tmp_path / "raw.parquet")
    assert {name: str(back[name].dtype) for name in back} == {name: str(combined[name].dtype) for name in combined}
    pd.testing.assert_frame_equal(back, combined)
    assert list(back.columns) == list(COMTRADE_RAW_COLUMNS)


def test_read_extracts_of_the_legacy_folder_by_year(real_data_dir: Path, tmp_path: Path) -> None:
    folder = real_data_dir / "comtrade_legacy"
    table, summary = read_comtrade_extracts(folder, years=[2017], cache_dir=tmp_path / "cache")
    expected_kept = {}
    for path in sorted(folder.iterdir()):
        years = [record["Year"] for record in raw_records(path)]
        expected_kept[path.name] = years.count("2017")
        row = summary[summary["source_file"] == path.name]
        assert row["rows_read"].tolist() == [len(years)] and row["rows_kept"].tolist() == [years.count("2017")]
    assert len(table) == sum(expected_kept.values()) and set(table["refYear"]) == {2017}
    again, _ = read_comtrade_extracts(folder, years=[2017], cache_dir=tmp_path / "cache")
    pd.testing.assert_frame_equal(again, table)
