"""UN HS correlation tables → link table: quirks on hand-written fixtures, known answers on the real tables."""

from __future__ import annotations

import csv
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

import openpyxl
import pytest

from assets.errors import RvcInputError
from assets.sources.hs_correlation import (
    CONCORDANCE_COLUMNS,
    CORRELATION_COLUMNS,
    CONVERSION_COLUMNS,
    concordance_vintages,
    load_hs_concordance,
    load_hs_conversion,
    normalize_hs6,
    read_correlation_table,
)
from checks.reference import hs_concordance_schema

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "reference"  # hand-written, see its README
FIXTURE_CSV = FIXTURES / "hs_correlation" / "csv"
SIX_DIGITS = re.compile(r"^\d{6}$")


def links_of(frame, vintage=None) -> set[tuple[str, str]]:
    if vintage is not None:
        frame = frame[frame["from_vintage"] == vintage]
    return set(zip(frame["from_code"], frame["to_code"]))


# --- hand-written fixtures -------------------------------------------------------------------------


def test_fixture_folder_direct_chained_and_missing_vintages():
    concordance = load_hs_concordance(FIXTURES)

    assert list(concordance.columns) == CONCORDANCE_COLUMNS
    assert concordance.attrs["hs_vintages_found"] == ["H1", "H2", "H3", "H4", "H5"]
    assert concordance.attrs["hs_vintages_missing"] == ["H6"]
    assert concordance_vintages(concordance) == ["H1", "H2", "H3", "H4", "H5"]
    assert set(concordance["to_vintage"]) == {"H0"}
    # H2 has no direct table: chained through HS2002→HS1996 and the H1 links.
    assert concordance.attrs["hs_concordance_routes"]["H2"].startswith("chained: HS2002_to_HS1996_UNSD__correlation.csv")
    assert set(concordance.loc[concordance["from_vintage"] == "H2", "route"]) == {"chained"}
    assert links_of(concordance, "H2") == {("010110", "010111"), ("870323", "870323"), ("870899", "870899")}
    assert concordance.attrs["chain_dead_ends"] == {"H2": ["010120"]}
    hs_concordance_schema.validate(concordance, lazy=True)


def test_quirks_of_each_layout():
    h1 = read_correlation_table(FIXTURE_CSV / "HS1996_to_HS1992_UNSD__correlation.csv")
    h3 = read_correlation_table(FIXTURE_CSV / "HS2007_to_HS1992_UNSD__correlation.csv")
    h4 = read_correlation_table(FIXTURE_CSV / "HS2012_to_HS1992_UNSD__correlation.csv")
    h5 = read_correlation_table(FIXTURE_CSV / "HS2017_to_HS1992_UNSD__correlation.csv")
    adjacent = read_correlation_table(FIXTURE_CSV / "HS2002_to_HS1996_UNSD__correlation.csv")

    assert list(h1.columns) == CORRELATION_COLUMNS
    assert ("010119", "010119") in links_of(h1)  # written 10119: leading zero restored
    assert (adjacent["from_vintage"].iloc[0], adjacent["to_vintage"].iloc[0]) == ("H2", "H1")
    assert set(adjacent["relationship"]) == {"n:n", "1:1"}  # "'n:n" apostrophes stripped
    # "ex." column ignored, trailing blank rows skipped.
    assert links_of(h3) == {("870323", "870323"), ("870830", "870831"), ("870830", "870839"), ("870895", "870899"), ("870899", "870899")}
    assert dict(Counter(h3["relationship"])) == {"1:1": 1, "1:n": 2, "n:1": 2}
    # Title rows and two empty leading columns; "n to n"; the n/a row (HS1992 code only) is skipped and reported.
    assert set(h4["relationship"]) == {"n:n", "1:1"}
    assert len(h4) == 5
    assert h4.attrs["rows_incomplete"] == [12]
    # "From HS 2017" / "To HS 1992" headers below a "Between" banner.
    assert set(h5["from_vintage"]) == {"H5"} and len(h5) == 6


def test_source_row_is_the_line_of_the_file():
    path = FIXTURE_CSV / "HS2012_to_HS1992_UNSD__correlation.csv"
    lines = list(csv.reader(path.open(encoding="utf-8")))
    table = read_correlation_table(path)
    for code_from, code_to, row in zip(table["from_code"], table["to_code"], table["source_row"]):
        assert lines[row - 1][2:4] == [code_from, code_to]


def test_missing_header_names_the_file_and_what_was_expected():
    with pytest.raises(RvcInputError, match=r"HS2017_to_HS1992_UNSD__no_header\.csv.*no header row.*'HS 2017' and 'HS 1992'"):
        read_correlation_table(FIXTURES / "malformed" / "HS2017_to_HS1992_UNSD__no_header.csv")


def test_malformed_code_names_file_row_and_column():
    with pytest.raises(RvcInputError, match=r"__bad_code\.csv row 4, column HS 2017: expected a 6-digit HS code, found '8703X0'"):
        read_correlation_table(FIXTURES / "malformed" / "HS2017_to_HS1992_UNSD__bad_code.csv")


def test_header_contradicting_the_file_name_is_rejected():
    with pytest.raises(RvcInputError, match=r"header says HS2012 → HS1992 but the file name says HS2017 → HS1992"):
        read_correlation_table(FIXTURES / "malformed" / "HS2017_to_HS1992_UNSD__wrong_header.csv")


def test_empty_reference_folder_reports_every_vintage_missing(tmp_path):
    concordance = load_hs_concordance(tmp_path)
    assert concordance.empty and list(concordance.columns) == CONCORDANCE_COLUMNS
    assert concordance.attrs["hs_vintages_missing"] == ["H1", "H2", "H3", "H4", "H5", "H6"]


def test_workbook_numeric_codes_regain_their_leading_zero(tmp_path):
    # Hand-written workbook: codes stored as numbers (as in the UN conversion sheets), correlation sheet second.
    book = openpyxl.Workbook()
    conversion = book.active
    conversion.title = "Conversion HS12-HS92"
    conversion.append(["From HS 2012", "To HS 1992"])
    conversion.append([10121, 10111])
    correlation = book.create_sheet("Correlation HS12-HS92")
    correlation.append(["Between", None, None])
    correlation.append(["HS 2012", "HS 1992", "Relationship"])
    correlation.append([10121, 10111, "n to n"])
    correlation.append([10121.0, "010120", "n to n"])
    correlation.append([870323, 870323, "1 to 1"])
    path = tmp_path / "HS2012_to_HS1992_UNSD.xlsx"
    book.save(path)

    table = read_correlation_table(path)
    assert links_of(table) == {("010121", "010111"), ("010121", "010120"), ("870323", "870323")}
    assert list(table["source_row"]) == [3, 4, 5]
    assert table["source_file"].iloc[0] == "HS2012_to_HS1992_UNSD.xlsx"

    converted = read_correlation_table(path, sheet="Conversion HS12-HS92")
    assert links_of(converted) == {("010121", "010111")}
    assert list(converted["relationship"]) == ["1:1"]  # no Relationship column: derived from the links


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("010121", "010121"), ("'010121", "010121"), (10121, "010121"), (10121.0, "010121"), ("0101.21", "010121"), ("", None), (None, None), ("n/a", None)],
)
def test_normalize_hs6(cell, expected):
    assert normalize_hs6(cell, where="cell") == expected


@pytest.mark.parametrize("cell", ["8703", "87032311", "87A323", 10121.5])
def test_normalize_hs6_rejects(cell):
    with pytest.raises(RvcInputError, match="expected a 6-digit HS code"):
        normalize_hs6(cell, where="file.csv row 3")


# --- real UN tables ----------------------------------------------------------------------------------


@lru_cache(maxsize=None)
def raw_links(path: Path) -> tuple[frozenset[tuple[str, str]], Counter]:
    """Links and relationship counts of a CSV export, read with the csv module: rows with two 6-digit codes."""
    links, relationships = set(), Counter()
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.reader(handle):
            codes = [cell for cell in row if SIX_DIGITS.match(cell)]
            if len(codes) == 2 and (codes[0], codes[1]) not in links:
                links.add((codes[0], codes[1]))
                relationships[row[-1].strip().lstrip("'").replace(" to ", ":")] += 1
    return frozenset(links), relationships


# The direct tables to HS1992 and the adjacent ones (used when chaining). Workbooks are compared with
# their CSV exports; the three large .xlsx of 2022 and 2017→2012 only through the export (openpyxl
# needs seconds for them, and HS2017_to_HS1992.xlsx already covers the .xlsx path).
REAL_TABLES = [
    ("HS1996_to_HS1992_UNSD", ".xls"), ("HS2002_to_HS1992_UNSD", ".xls"), ("HS2007_to_HS1992_UNSD", ".xls"),
    ("HS2012_to_HS1992_UNSD", ".xls"), ("HS2017_to_HS1992_UNSD", ".xlsx"), ("HS2022_to_HS1992_UNSD", None),
    ("HS2002_to_HS1996_UNSD", ".xls"), ("HS2007_to_HS2002_UNSD", ".xls"), ("HS2012_to_HS2007_UNSD", ".xls"),
    ("HS2017_to_HS2012_UNSD", None), ("HS2022_to_HS2017_UNSD", None),
]


@pytest.mark.real_data
@pytest.mark.parametrize(("stem", "suffix"), REAL_TABLES)
def test_real_tables_give_the_raw_links_and_relationships(real_data_dir, stem, suffix):
    folder = real_data_dir / "hs_correlation"
    export = folder / "csv" / f"{stem}__correlation.csv"
    expected_links, expected_relationships = raw_links(export)

    for path in [export] + ([folder / f"{stem}{suffix}"] if suffix else []):
        table = read_correlation_table(path)
        assert links_of(table) == expected_links, path.name
        assert Counter(table["relationship"]) == expected_relationships, path.name
        assert set(expected_relationships) == {"1:1", "n:1", "1:n", "n:n"}  # every kind present, each > 0
        assert table["from_code"].str.fullmatch(r"\d{6}").all() and table["to_code"].str.fullmatch(r"\d{6}").all()


@pytest.mark.real_data
@pytest.mark.parametrize("stem", ["HS2012_to_HS1992_UNSD", "HS2022_to_HS1992_UNSD"])
def test_real_conversion_sheets_parse(real_data_dir, stem):
    # 2012: title rows and empty leading columns; 2022: the target column is headed "From HS 1992".
    export = real_data_dir / "hs_correlation" / "csv" / f"{stem}__conversion.csv"
    expected, _ = raw_links(export)
    table = read_correlation_table(export)
    assert links_of(table) == expected
    assert set(table["to_vintage"]) == {"H0"}
    assert table["from_code"].is_unique  # a conversion sheet gives each code exactly one target


@pytest.mark.real_data
def test_real_conversion_from_workbooks_equals_the_csv_exports_and_covers_every_vintage(real_data_dir, tmp_path):
    from_exports = load_hs_conversion(real_data_dir)
    assert list(from_exports.columns) == CONVERSION_COLUMNS
    assert from_exports.attrs["hs_vintages_found"] == ["H1", "H2", "H3", "H4", "H5", "H6"]
    assert not from_exports.duplicated(["from_vintage", "from_code"]).any()
    # Workbooks only (Conversion sheet; the 2012 .xls stores codes as numbers that lost their zero).
    folder = tmp_path / "hs_correlation"
    folder.mkdir()
    for name in ("HS2012_to_HS1992_UNSD.xls", "HS2022_to_HS1992_UNSD.xlsx"):
        (folder / name).write_bytes((real_data_dir / "hs_correlation" / name).read_bytes())
    from_books = load_hs_conversion(tmp_path)
    assert from_books.attrs["hs_vintages_found"] == ["H4", "H6"]
    expected = from_exports[from_exports["from_vintage"].isin(["H4", "H6"])]
    assert set(zip(from_books["from_vintage"], from_books["from_code"], from_books["to_code"])) == set(
        zip(expected["from_vintage"], expected["from_code"], expected["to_code"]))
    lookup = dict(zip(zip(from_books["from_vintage"], from_books["from_code"]), from_books["to_code"]))
    assert lookup[("H6", "854231")] == "854211" and lookup[("H4", "010121")] == "010111"


def test_conversion_is_chained_through_the_adjacent_table_when_the_direct_one_is_missing(tmp_path):
    folder = tmp_path / "hs_correlation" / "csv"
    folder.mkdir(parents=True)
    (folder / "HS1996_to_HS1992_UNSD__conversion.csv").write_text("From,To\nHS 1996,HS 1992\n870899,870899\n293371,293390\n")
    (folder / "HS2002_to_HS1996_UNSD__conversion.csv").write_text("HS 2002,HS 1996\n870895,870899\n293372,293371\n")
    conversion = load_hs_conversion(tmp_path)
    assert list(zip(conversion["from_vintage"], conversion["from_code"], conversion["to_code"], conversion["route"])) == [
        ("H1", "293371", "293390", "direct"), ("H1", "870899", "870899", "direct"),
        ("H2", "293372", "293390", "chained"), ("H2", "870895", "870899", "chained"),
    ]
    assert conversion.attrs["hs_vintages_missing"] == ["H3", "H4", "H5", "H6"]


@pytest.fixture(scope="module")
def real_concordance(real_data_dir):
    return load_hs_concordance(real_data_dir)


@pytest.mark.real_data
def test_real_concordance_has_every_vintage_direct(real_concordance):
    assert real_concordance.attrs["hs_vintages_found"] == ["H1", "H2", "H3", "H4", "H5", "H6"]
    assert real_concordance.attrs["hs_vintages_missing"] == []
    assert set(real_concordance["route"]) == {"direct"}
    counts = real_concordance.groupby(["from_vintage", "relationship"]).size()
    assert (counts > 0).all() and len(counts) == 6 * 4  # every vintage has all four relationships
    hs_concordance_schema.validate(real_concordance, lazy=True)


@pytest.mark.real_data
def test_real_ev_subheadings_land_in_8703(real_data_dir, real_concordance):
    ev_codes = {"870340", "870350", "870360", "870370", "870380"}
    for vintage, stem in (("H5", "HS2017_to_HS1992_UNSD"), ("H6", "HS2022_to_HS1992_UNSD")):
        raw, _ = raw_links(real_data_dir / "hs_correlation" / "csv" / f"{stem}__correlation.csv")
        expected = {(a, b) for a, b in raw if a in ev_codes}
        parsed = {(a, b) for a, b in links_of(real_concordance, vintage) if a in ev_codes}
        assert parsed == expected
        assert {a for a, _ in parsed} == ev_codes
        assert all(target.startswith("8703") for _, target in parsed)
        assert ("870380", "870390") in parsed  # electric only: the residual 870390


@pytest.mark.real_data
def test_real_growthlab_numeric_codes_restore_to_the_un_links(real_data_dir):
    # The Growth Lab's stacked table stores codes as numbers (10111 for 010111): restoring the zero
    # must give exactly the UN table's links.
    path = real_data_dir / "hs_correlation" / "HS_consolidated_adjacent_concordances_growthlab.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["adjustment"] == "1996 to 1992"]
    assert any(len(r["code.after"]) == 5 for r in rows)
    restored = {(normalize_hs6(r["code.after"], where="gl"), normalize_hs6(r["code.before"], where="gl")) for r in rows}
    un = read_correlation_table(real_data_dir / "hs_correlation" / "HS1996_to_HS1992_UNSD.xls")
    assert restored == links_of(un)


@pytest.mark.real_data
def test_real_chained_tables_reproduce_the_direct_ones(tmp_path, real_data_dir, real_concordance):
    # Only the adjacent workbooks (symlinked, not copied): H2 and H3 must be chained through H1.
    folder = tmp_path / "hs_correlation"
    folder.mkdir()
    for name in ("HS1996_to_HS1992_UNSD.xls", "HS2002_to_HS1996_UNSD.xls", "HS2007_to_HS2002_UNSD.xls"):
        (folder / name).symlink_to(real_data_dir / "hs_correlation" / name)
    chained = load_hs_concordance(tmp_path, vintages=["H1", "H2", "H3"])

    assert chained.attrs["hs_vintages_found"] == ["H1", "H2", "H3"]
    assert chained.attrs["hs_concordance_routes"]["H3"].startswith("chained: HS2007_to_HS2002_UNSD.xls then chained:")
    for vintage in ("H2", "H3"):
        direct, via = links_of(real_concordance, vintage), links_of(chained, vintage)
        assert {a for a, _ in direct} == {a for a, _ in via}
        # The UN's own direct and adjacent tables differ by one link (HS1996 380993 → HS1992 380999).
        assert via - direct == {("380993", "380999")} and direct <= via
