"""UN HS → BEC Rev.4 tables: quirks on hand-written fixtures, every real vintage against a csv-module reading."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from assets.errors import RvcInputError
from assets.sources.hs_bec import HS_BEC_COLUMNS, load_hs_bec, read_hs_bec_table

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "reference"  # hand-written, see its README


def bec_of(table, hs6: str) -> set[str]:
    return set(table.loc[table["hs6"] == hs6, "bec_code"].dropna())


def test_hs1996_layout_bom_relationships_and_na():
    table = read_hs_bec_table(FIXTURES / "hs_bec" / "HS1996_to_BEC4_UNSD.csv")

    assert list(table.columns) == HS_BEC_COLUMNS
    assert set(table["hs_vintage"]) == {"H1"}  # "HS96" header behind a BOM
    assert bec_of(table, "010120") == {"111", "41"}
    assert table.loc[table["hs6"] == "271000", "relationship"].item() == "1:n"  # "1ToN"
    assert set(table.loc[table["hs6"] == "010111", "relationship"]) == {"n:1"}  # "n to 1"
    na_row = table[table["hs6"] == "710820"]
    assert len(na_row) == 1 and na_row["bec_code"].isna().all()  # "n/a": kept, without a BEC code
    assert table.loc[table["hs6"] == "870899", "source_row"].item() == 13  # line in the file


def test_hs2007_dotted_codes_without_relationship_column():
    table = read_hs_bec_table(FIXTURES / "hs_bec" / "HS2007_to_BEC4_UNSD.csv")
    assert list(table["hs6"]) == ["010110", "870323", "870830", "870899"]
    assert set(table["hs_vintage"]) == {"H3"}
    assert set(table["relationship"]) == {"n:1"}  # derived: one BEC code per HS code


def test_hs2022_header_and_blank_rows():
    table = read_hs_bec_table(FIXTURES / "hs_bec" / "HS2022_to_BEC4_UNSD.csv")
    assert list(zip(table["hs6"], table["bec_code"], table["source_row"])) == [("870340", "51", 2), ("852411", "42", 5)]


def test_load_stacks_the_vintages_found():
    table = load_hs_bec(FIXTURES)
    assert table.attrs["hs_vintages_found"] == ["H1", "H3", "H6"]
    assert len(table) == 12 + 4 + 2
    assert bec_of(table[table["hs_vintage"] == "H6"], "870340") == {"51"}


def test_missing_folder_gives_an_empty_table(tmp_path):
    table = load_hs_bec(tmp_path)
    assert table.empty and list(table.columns) == HS_BEC_COLUMNS


def test_table_without_header_is_rejected(tmp_path):
    path = tmp_path / "HS2017_to_BEC4_UNSD.csv"
    path.write_text("Code,Category\n870323,51\n", encoding="utf-8")
    with pytest.raises(RvcInputError, match=r"HS2017_to_BEC4_UNSD\.csv: no header row.*'BEC' column"):
        read_hs_bec_table(path)


def test_malformed_bec_code_names_the_row(tmp_path):
    path = tmp_path / "HS2017_to_BEC4_UNSD.csv"
    path.write_text("HS 2017,BEC,Relationship\n870323,51,n:1\n870899,5x3,n:1\n", encoding="utf-8")
    with pytest.raises(RvcInputError, match=r"row 3, BEC column: expected a BEC Rev.4 code"):
        read_hs_bec_table(path)


# --- real UN tables ----------------------------------------------------------------------------------

REAL_FILES = {
    "H1": "HS1996_to_BEC4_UNSD.csv", "H2": "HS2002_to_BEC4_UNSD.csv", "H3": "HS2007_to_BEC4_UNSD.csv",
    "H4": "HS2012_to_BEC4_UNSD.csv", "H5": "HS2017_to_BEC4_UNSD.csv", "H6": "HS2022_to_BEC4_UNSD.csv",
}


def raw_pairs(path: Path) -> set[tuple[str, str]]:
    """(hs6, BEC) pairs read with the csv module: dots removed from HS2007 codes, n/a and blank rows dropped."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    return {(r[0].replace(".", ""), r[1]) for r in rows if r and r[0] and r[1] != "n/a"}


@pytest.fixture(scope="module")
def real_bec(real_data_dir):
    return load_hs_bec(real_data_dir)


@pytest.mark.real_data
@pytest.mark.parametrize(("vintage", "name"), sorted(REAL_FILES.items()))
def test_real_tables_parse_every_pair(real_data_dir, real_bec, vintage, name):
    table = real_bec[real_bec["hs_vintage"] == vintage]
    assert set(table["source_file"]) == {name}
    parsed = {(code, bec) for code, bec in zip(table["hs6"], table["bec_code"]) if isinstance(bec, str)}
    assert parsed == raw_pairs(real_data_dir / "hs_bec" / name)
    assert table["hs6"].str.fullmatch(r"\d{6}").all()
    assert table["relationship"].isin(["n:1", "n:n", "1:n"]).all() and (table["relationship"] == "n:1").sum() > 0


@pytest.mark.real_data
def test_real_automotive_lines_have_the_published_bec(real_data_dir, real_bec):
    assert real_bec.attrs["hs_vintages_found"] == ["H1", "H2", "H3", "H4", "H5", "H6"]
    for vintage, name in REAL_FILES.items():
        raw = dict(raw_pairs(real_data_dir / "hs_bec" / name))
        of_vintage = real_bec[real_bec["hs_vintage"] == vintage]
        for code in ("870323", "870899", "870421", "870310", "840820"):
            assert bec_of(of_vintage, code) == {raw[code]}, (vintage, code)
        assert raw["870323"] == "51" and raw["870899"] == "53" and raw["870421"] == "521"
