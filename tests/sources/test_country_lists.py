"""Readers of the UN Comtrade country lists: the real lists parse, quirks are handled, bad files fail clearly."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from assets.errors import RvcInputError
from assets.sources.country_lists import (
    LEGACY_FILE,
    LIST_COLUMNS,
    PARTNER_FILE,
    REPORTER_FILE,
    load_country_lists,
    read_comtradeplus_areas,
    read_legacy_country_list,
)


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.real_data
@pytest.mark.parametrize("file_name, list_name", [(PARTNER_FILE, "comtradeplus_partner"), (REPORTER_FILE, "comtradeplus_reporter")])
def test_real_comtradeplus_list_matches_the_file_row_by_row(real_data_dir, file_name, list_name):
    path = real_data_dir / "country_codes" / file_name
    raw = _csv_rows(path)
    parsed = read_comtradeplus_areas(path, list_name)

    assert list(parsed.columns) == LIST_COLUMNS
    assert len(parsed) == len(raw)
    assert parsed["code"].tolist() == [r["id"].split(".")[0] for r in raw]
    # Comtrade+ pads pseudo codes with blanks ("_X ", "X1 "): compared stripped, empty → null.
    assert parsed["iso"].fillna("").tolist() == [r["iso_3"].strip() for r in raw]
    assert parsed["is_group"].tolist() == [r["group"] == "True" for r in raw]
    assert (parsed["list_name"] == list_name).all()
    assert parsed["source_row"].tolist() == list(range(2, len(raw) + 2))


@pytest.mark.real_data
def test_real_comtradeplus_quirks(real_data_dir):
    partner = read_comtradeplus_areas(real_data_dir / "country_codes" / PARTNER_FILE).set_index("code")

    assert partner.loc["490", "iso"] == "S19"  # Other Asia, nes = Taiwan under a pseudo ISO
    assert partner.loc["899", "iso"] == "_X"  # trailing blank stripped
    assert partner.loc["868", "iso"] == partner.loc["704", "iso"] == "VNM"  # told apart by years only
    assert partner.loc["868", "valid_to"] == 1974 and pd.isna(partner.loc["868", "valid_from"])
    assert partner.loc["704", "valid_from"] == 1975
    assert partner.loc["516", "iso2"] == "NA"  # Namibia, not a missing value
    # 1900 (and 1901 for World) mean "since the start": null, not a year.
    assert partner["valid_from"].dropna().min() > 1962
    assert partner.loc["0", "iso"] == "World"


@pytest.mark.real_data
def test_real_legacy_list_matches_the_workbook(real_data_dir):
    path = real_data_dir / "country_codes" / LEGACY_FILE
    sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    rows = [r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] is not None]
    parsed = read_legacy_country_list(path)

    assert len(parsed) == len(rows)
    assert parsed["code"].tolist() == [str(int(r[0])) for r in rows]
    by_code = parsed.set_index("code")
    assert by_code.loc["28", "iso"] == "ATA"  # the legacy list's error for Antigua and Barbuda (kept as read)
    assert pd.isna(by_code.loc["490", "iso"])  # legacy leaves Taiwan's ISO empty
    assert pd.isna(by_code.loc["899", "iso"])  # "N/A" read as missing
    assert by_code.loc["0", "iso"] == "WLD"
    assert by_code.loc["516", "iso2"] == "NA"
    assert by_code.loc["280", "valid_to"] == 1990
    assert pd.isna(by_code.loc["764", "valid_to"])  # "Now"
    assert pd.isna(by_code.loc["764", "valid_from"])  # 1962 = start of Comtrade, not a real start


@pytest.mark.real_data
def test_load_country_lists_reads_all_three_in_order(real_data_dir):
    lists = load_country_lists(real_data_dir / "country_codes")

    assert lists.attrs["files"] == [PARTNER_FILE, REPORTER_FILE, LEGACY_FILE]
    assert lists["list_name"].drop_duplicates().tolist() == ["comtradeplus_partner", "comtradeplus_reporter", "comtrade_legacy"]


# Hand-written fixtures below: tiny files in the published layouts.

def test_comtradeplus_reader_normalises_codes_and_blanks(tmp_path):
    path = tmp_path / "partner.csv"
    path.write_text(
        "id,country,iso_3,iso_2,note,entry_year,exit_year,group,last_modified\n"
        "4.0,Afghanistan ,AFG,AF,Afghanistan,1900.0,,False,2025-06-05\n"
        "899,\"Areas, nes\",_X ,,,1900.0,,False,2025-06-05\n"
        "868,Rep. of Vietnam (...1974),VNM,VN,,1900.0,1974.0,False,2025-06-05\n",
        encoding="utf-8",
    )
    parsed = read_comtradeplus_areas(path)

    assert parsed["code"].tolist() == ["4", "899", "868"]
    assert parsed["name"].tolist() == ["Afghanistan", "Areas, nes", "Rep. of Vietnam (...1974)"]
    assert parsed["iso"].tolist() == ["AFG", "_X", "VNM"]
    assert parsed["valid_to"].tolist()[2] == 1974 and parsed["valid_from"].isna().all()


def test_reader_names_file_and_missing_columns(tmp_path):
    path = tmp_path / "not_a_list.csv"
    path.write_text("code,label\n4,Afghanistan\n", encoding="utf-8")

    with pytest.raises(RvcInputError, match=r"not_a_list\.csv.*missing"):
        read_comtradeplus_areas(path)


def test_reader_rejects_non_numeric_codes(tmp_path):
    path = tmp_path / "bad_codes.csv"
    path.write_text("id,country,iso_3,entry_year,exit_year\nAFG,Afghanistan,AFG,,\n", encoding="utf-8")

    with pytest.raises(RvcInputError, match=r"bad_codes\.csv.*rows 2"):
        read_comtradeplus_areas(path)


def test_load_country_lists_without_any_list_fails_clearly(tmp_path):
    with pytest.raises(RvcInputError, match="no Comtrade country list"):
        load_country_lists(tmp_path)
