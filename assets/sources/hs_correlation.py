"""UN Statistics Division HS correlation tables (HS1996..HS2022 → HS1992): parsing and finding them.

What belongs here: reading one UN workbook sheet or its CSV export into a tidy link table
(`read_correlation_table`), and assembling, from a reference folder laid out like
`../shared/data/real`, one link table from every vintage H1..H6 to H0 (`load_hs_concordance`).
Cell-level helpers shared with the HS→BEC parser live here too (`normalize_hs6`, `read_table_rows`).
The UN one-to-one conversion sheets (each workbook's "Conversion" sheet or its `__conversion.csv`
export) are read by the same parser (`load_hs_conversion`). What does not: conversion weights and applying
them to trade (assets/transforms/harmonization/hs_conversion.py).

Quirks of the UN tables handled (SOURCES.md §4): title and "Between" banner rows above the header;
headers that differ by vintage ("HS1996", "HS 2002", "From HS 2017", "To HS 1992", " HS2017", and
"From HS 1992" for the target column of the 2022→1992 conversion sheet); an "ex." column (2002→1992,
2007→1992); two empty leading columns (2012→1992); codes stored as numbers that lost their leading
zero (10121 → "010121"); relationships written "1:1", "'n:n", "n to 1", "1ToN"; UTF-8 BOMs; blank
rows inside and after the table; rows holding only an HS1992 code (end of 2012→1992).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from assets.errors import RvcInputError
from assets.sources.reference_files import unreadable_table
from assets.vocabulary import HS_VINTAGE_YEARS

VINTAGE_OF_YEAR: dict[int, str] = {year: vintage for vintage, year in HS_VINTAGE_YEARS.items()}
TARGET_VINTAGE = "H0"
SOURCE_VINTAGES: tuple[str, ...] = ("H1", "H2", "H3", "H4", "H5", "H6")
RELATIONSHIPS: tuple[str, ...] = ("1:1", "n:1", "1:n", "n:n")

CORRELATION_COLUMNS: list[str] = [
    "from_vintage", "from_code", "to_vintage", "to_code", "relationship", "source_file", "source_row",
]
CONCORDANCE_COLUMNS: list[str] = [*CORRELATION_COLUMNS, "route"]
# One row per source code: the single HS1992 code the UN's Conversion sheet assigns it.
CONVERSION_COLUMNS: list[str] = ["from_vintage", "from_code", "to_code", "source_file", "source_row", "route"]

# Keys of DataFrame.attrs set by load_hs_concordance.
ATTR_FOUND = "hs_vintages_found"
ATTR_MISSING = "hs_vintages_missing"
ATTR_ROUTES = "hs_concordance_routes"

_HEADER_SCAN_ROWS = 40
_HS_HEADER = re.compile(r"^\s*(?:from|to)?\s*hs\s*(\d{4}|\d{2})\s*$", re.IGNORECASE)
_RELATIONSHIP_HEADER = re.compile(r"^\s*relationship\s*$", re.IGNORECASE)
_RELATIONSHIP = re.compile(r"^([1n])\s*(?::|to)\s*([1n])$", re.IGNORECASE)
_NO_CODE = frozenset({"n/a", "na"})
_FILE_YEARS = re.compile(r"HS\s*(\d{4})_to_HS\s*(\d{4})", re.IGNORECASE)


def hs_year(text: str) -> int:
    """Four-digit HS edition year from a header's "96", "02", "2007" (two digits: 9x → 19xx, else 20xx)."""
    year = int(text)
    if year < 100:
        year += 1900 if year >= 90 else 2000
    return year


def normalize_hs6(value: object, *, where: str) -> str | None:
    """A 6-digit HS code as text from one cell; None for an empty cell.

    Accepts "010121", "'010121", " 010121", "0101.21" (HS2007→BEC layout), the number 10121 or
    10121.0 (a workbook cell that lost its leading zero: five digits get one "0" back).
    "n/a" counts as empty: the UN writes it where a code has no counterpart in the other edition
    (e.g. HS1992 380999 and 291639 at the end of the 2012→1992 workbook).
    Raises RvcInputError naming `where` (file, row, column) for anything else.
    """
    if value is None:
        return None
    if isinstance(value, float):
        if value != value:  # NaN: an empty spreadsheet cell
            return None
        if not value.is_integer():
            raise RvcInputError(
                f"{where}: expected a 6-digit HS code, found the number {value!r}; fix the cell or re-export the table"
            )
        value = int(value)
    text = str(value).strip().lstrip("'").replace(".", "").replace(" ", "")
    if text == "" or text.lower() in _NO_CODE:
        return None
    if text.isdigit() and len(text) == 5:
        # Spreadsheets store codes as numbers: 010121 became 10121 (chapters 01-09 lose the zero).
        text = "0" + text
    if not (text.isdigit() and len(text) == 6):
        raise RvcInputError(f"{where}: expected a 6-digit HS code, found {value!r}; fix the cell or re-export the table")
    return text


def normalize_relationship(value: object, *, where: str) -> str | None:
    """"1:1", "n:1", "1:n" or "n:n" from "'n:n", "n to 1", "1ToN", ...; None for an empty cell."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip().lstrip("'").strip()
    if text == "" or text.lower() in _NO_CODE:
        return None
    match = _RELATIONSHIP.match(text)
    if match is None:
        raise RvcInputError(f"{where}: expected a relationship like 1:1, n:1, 1:n or n:n (or '1 to n'), found {value!r}")
    return f"{match.group(1).lower()}:{match.group(2).lower()}"


def read_table_rows(
    path: Path, sheet: str | None = None, sheet_hint: str | None = None, expected: str = "a reference table"
) -> tuple[list[list[object]], str]:
    """All rows of a CSV file or one workbook sheet, as lists of raw cell values; and a label for messages.

    CSV: every cell is text (BOM removed; cp1252 when not UTF-8). Workbooks (.xls via xlrd, .xlsx via
    openpyxl): cells keep their types, so numeric codes arrive as numbers. The sheet is `sheet` when
    given, else the first whose name contains `sheet_hint` (case-insensitive), else the first sheet.
    Row i of the list is row i+1 of the file or sheet (blank rows kept) so row numbers stay exact.
    A file the CSV or workbook reader cannot open at all (a cut .xlsx/.xls, an HTML page under a
    workbook name, binary data) raises RvcInputError naming the file and `expected`, the table it
    should hold, e.g. "a UN HS correlation table".
    """
    path = Path(path)
    try:
        return _read_table_rows(path, sheet, sheet_hint)
    except (RvcInputError, OSError, MemoryError):
        raise  # our own message, or trouble of the disk rather than of the file's content
    except Exception as exc:  # noqa: BLE001 - BadZipFile, IndexError, XLRDError, CompDocError, KeyError, ...
        raise unreadable_table(path, expected, exc) from exc


def _read_table_rows(path: Path, sheet: str | None, sheet_hint: str | None) -> tuple[list[list[object]], str]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                return [list(row) for row in csv.reader(handle)], path.name
        except UnicodeDecodeError:
            with path.open(encoding="cp1252", newline="") as handle:
                return [list(row) for row in csv.reader(handle)], path.name
    if suffix == ".xls":
        import xlrd

        book = xlrd.open_workbook(str(path), on_demand=True)
        name = _pick_sheet(path, book.sheet_names(), sheet, sheet_hint)
        table = book.sheet_by_name(name)
        rows = [[_xlrd_value(table.cell(r, c)) for c in range(table.ncols)] for r in range(table.nrows)]
        book.release_resources()
        return rows, f"{path.name} [{name}]"
    if suffix in (".xlsx", ".xlsm"):
        import openpyxl

        book = openpyxl.load_workbook(str(path), read_only=True, data_only=True)
        try:
            name = _pick_sheet(path, book.sheetnames, sheet, sheet_hint)
            rows = [list(row) for row in book[name].iter_rows(values_only=True)]
        finally:
            book.close()
        return rows, f"{path.name} [{name}]"
    raise RvcInputError(f"{path}: expected a .csv, .xls or .xlsx table, found suffix {suffix!r}")


def _pick_sheet(path: Path, names: list[str], sheet: str | None, hint: str | None) -> str:
    if sheet is not None:
        if sheet not in names:
            raise RvcInputError(f"{path.name}: no sheet named {sheet!r}; sheets are {names}")
        return sheet
    if hint is not None:
        for name in names:
            if hint.lower() in name.lower():
                return name
        raise RvcInputError(
            f"{path.name}: expected a sheet whose name contains {hint!r}, sheets are {names}; pass sheet= explicitly"
        )
    return names[0]


def _xlrd_value(cell) -> object:
    import xlrd

    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None
    return cell.value


def is_plain_code(value: object) -> bool:
    """True for the usual text cell "010121" (no normalization needed)."""
    return type(value) is str and len(value) == 6 and value.isdigit()


def _find_header(rows: list[list[object]], label: str) -> tuple[int, int, int, int, int, int | None]:
    """(header row index, from column, from year, to column, to year, relationship column or None)."""
    for r, row in enumerate(rows[:_HEADER_SCAN_ROWS]):
        hs_cells = [(c, _HS_HEADER.match(str(v))) for c, v in enumerate(row) if v is not None]
        hs_cells = [(c, m) for c, m in hs_cells if m is not None]
        if len(hs_cells) >= 2:
            (from_col, from_match), (to_col, to_match) = hs_cells[0], hs_cells[1]
            rel_cols = [c for c, v in enumerate(row) if v is not None and _RELATIONSHIP_HEADER.match(str(v))]
            rel_col = rel_cols[0] if rel_cols else None
            return r, from_col, hs_year(from_match.group(1)), to_col, hs_year(to_match.group(1)), rel_col
    raise RvcInputError(
        f"{label}: no header row found in the first {_HEADER_SCAN_ROWS} rows; expected a row with two HS edition "
        "columns such as 'HS 2017' and 'HS 1992' (optionally 'From'/'To' and a 'Relationship' column), as in the "
        "UN Statistics Division correlation tables; check that this is an HS correlation table"
    )


def relationship_from_links(links: pd.DataFrame) -> pd.Series:
    """The relationship each link has in the link structure: "1:n" when its source code has several
    targets, "n:1" when its target has several sources, "n:n" both, "1:1" neither.

    The UN labels whole groups of linked codes, so a table may say "n:n" where this says "1:n";
    used only where a table has no relationship column (conversion sheets) or leaves a cell empty.
    """
    many_targets = links.groupby("from_code")["to_code"].transform("size") > 1
    many_sources = links.groupby("to_code")["from_code"].transform("size") > 1
    left = many_sources.map({True: "n", False: "1"})
    right = many_targets.map({True: "n", False: "1"})
    return (left + ":" + right).astype("str")


def read_correlation_table(path: Path | str, sheet: str | None = None, sheet_hint: str = "correl") -> pd.DataFrame:
    """One UN HS correlation (or conversion) table → one row per link.

    `path` is a workbook (.xls/.xlsx; its "Correlation" sheet unless `sheet` names another, or the first
    sheet whose name contains `sheet_hint`, e.g. "conver" for the Conversion sheet) or a CSV
    export (`<stem>__correlation.csv` / `__conversion.csv`, all cells text). The header row is found
    by content (two "HS yyyy" columns); the editions come from it and must agree with a file name
    like HS2017_to_HS1992_UNSD.
    Returns columns from_vintage ("H1".."H6"), from_code (6 chars), to_vintage ("H0".."H5"),
    to_code (6 chars), relationship ("1:1", "n:1", "1:n", "n:n"; derived from the link structure
    when the table has none), source_file (file name), source_row (1-based row in the sheet/file),
    in file order, one row per distinct (from_code, to_code). attrs["rows_incomplete"] lists the
    source rows skipped because one of the two codes was empty.
    Raises RvcInputError when no header is found, the editions are unknown or contradict the file
    name, or a code or relationship cell is malformed.
    """
    path = Path(path)
    hint = None if sheet is not None or path.suffix.lower() == ".csv" else sheet_hint
    rows, label = read_table_rows(path, sheet=sheet, sheet_hint=hint, expected="a UN HS correlation table (workbook or its CSV export)")
    header, from_col, from_year, to_col, to_year, rel_col = _find_header(rows, label)
    for year in (from_year, to_year):
        if year not in VINTAGE_OF_YEAR:
            raise RvcInputError(f"{label} row {header + 1}: HS edition {year} is not one of {sorted(VINTAGE_OF_YEAR)}")
    named = _FILE_YEARS.search(path.name)
    if named and (int(named.group(1)), int(named.group(2))) != (from_year, to_year):
        raise RvcInputError(
            f"{label} row {header + 1}: the header says HS{from_year} → HS{to_year} but the file name says "
            f"HS{named.group(1)} → HS{named.group(2)}; rename the file or check its content"
        )
    if from_year <= to_year:
        raise RvcInputError(
            f"{label} row {header + 1}: expected a newer HS edition converted to an older one, "
            f"found HS{from_year} → HS{to_year}"
        )

    records: list[tuple[str, str, str | None, int]] = []
    incomplete: list[int] = []
    relationships: dict[object, str | None] = {}
    for r in range(header + 1, len(rows)):
        row = rows[r]
        raw_from = row[from_col] if from_col < len(row) else None
        raw_to = row[to_col] if to_col < len(row) else None
        # Fast path for the usual text cell "010121"; everything else goes through normalize_hs6.
        if is_plain_code(raw_from):
            from_code = raw_from
        else:
            from_code = normalize_hs6(raw_from, where=f"{label} row {r + 1}, column HS {from_year}")
        to_code = raw_to if is_plain_code(raw_to) else normalize_hs6(raw_to, where=f"{label} row {r + 1}, column HS {to_year}")
        if from_code is None and to_code is None:
            continue
        if from_code is None or to_code is None:
            incomplete.append(r + 1)
            continue
        relationship = None
        if rel_col is not None and rel_col < len(row):
            raw_rel = row[rel_col]
            if raw_rel not in relationships:
                relationships[raw_rel] = normalize_relationship(raw_rel, where=f"{label} row {r + 1}, column Relationship")
            relationship = relationships[raw_rel]
        records.append((from_code, to_code, relationship, r + 1))

    links = pd.DataFrame(records, columns=["from_code", "to_code", "relationship", "source_row"])
    links = links.astype({"from_code": "str", "to_code": "str", "relationship": "object", "source_row": "int64"})
    links = links.drop_duplicates(subset=["from_code", "to_code"], keep="first").reset_index(drop=True)
    if links["relationship"].isna().any():
        derived = relationship_from_links(links)
        links["relationship"] = links["relationship"].where(links["relationship"].notna(), derived)
    links["relationship"] = links["relationship"].astype("str")
    links.insert(0, "from_vintage", VINTAGE_OF_YEAR[from_year])
    links.insert(2, "to_vintage", VINTAGE_OF_YEAR[to_year])
    links["source_file"] = path.name
    links = _typed(links[CORRELATION_COLUMNS])
    links.attrs["rows_incomplete"] = incomplete
    return links


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    types = {c: "str" for c in frame.columns if c != "source_row"}
    types["source_row"] = "int64"
    return frame.astype(types)


def find_correlation_file(correlation_dir: Path, from_year: int, to_year: int, sheet: str = "correlation") -> Path | None:
    """The table HS{from_year} → HS{to_year} in `correlation_dir`, or None.

    Preference: the CSV export of the workbook's Correlation sheet
    (`csv/HS2017_to_HS1992_UNSD__correlation.csv`, also accepted directly in `correlation_dir`),
    then the UN workbook itself (`HS2017_to_HS1992_UNSD.xlsx` or `.xls`). Both hold the same links
    (tests/sources/test_hs_correlation.py checks it on the real tables); the export is all text,
    so codes keep their zeros, and it reads ten times faster. `sheet="conversion"` finds the export of
    the Conversion sheet instead (the workbook holds both sheets).
    """
    stem = f"HS{from_year}_to_HS{to_year}_UNSD"
    candidates = [
        correlation_dir / "csv" / f"{stem}__{sheet}.csv",
        correlation_dir / f"{stem}__{sheet}.csv",
        correlation_dir / f"{stem}.xlsx",
        correlation_dir / f"{stem}.xls",
    ]
    return next((p for p in candidates if p.is_file()), None)


def _compose(first: pd.DataFrame, rest: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Links A→C from A→B (`first`) and B→C (`rest`); and the B codes that have no link onward."""
    joined = first.merge(
        rest[["from_code", "to_code", "to_vintage", "source_file"]].rename(
            columns={"from_code": "to_code", "to_code": "next_code", "to_vintage": "next_vintage", "source_file": "next_file"}
        ),
        on="to_code",
        how="left",
    )
    dead_ends = sorted(set(joined.loc[joined["next_code"].isna(), "to_code"]))
    joined = joined.dropna(subset=["next_code"])
    composed = pd.DataFrame(
        {
            "from_vintage": joined["from_vintage"],
            "from_code": joined["from_code"],
            "to_vintage": joined["next_vintage"],
            "to_code": joined["next_code"],
            "source_file": joined["source_file"] + " + " + joined["next_file"],
            "source_row": joined["source_row"],
        }
    )
    composed = composed.sort_values(["from_code", "to_code", "source_row"], kind="stable")
    composed = composed.drop_duplicates(subset=["from_code", "to_code"], keep="first").reset_index(drop=True)
    composed["relationship"] = relationship_from_links(composed)
    return _typed(composed[CORRELATION_COLUMNS]), dead_ends


def load_hs_concordance(reference_dir: Path | str, vintages: Iterable[str] = SOURCE_VINTAGES) -> pd.DataFrame:
    """Links from every HS vintage H1..H6 to H0 (HS1992) found under `<reference_dir>/hs_correlation/`.

    For each vintage the direct table HS{year}_to_HS1992 is used (the `__correlation.csv` export of
    the workbook's Correlation sheet, else the workbook; see `find_correlation_file`). Only when the direct table is
    missing are adjacent tables chained (e.g. H2 → H1 → H0 from HS2002_to_HS1996 and the H1 links):
    a chained link exists when some intermediate code connects the two; its relationship is derived
    from the resulting link structure, source_file names both tables and source_row is the row in
    the first. Chaining loses nothing the direct table would keep only if no intermediate code is a
    dead end; dead ends are listed in attrs.
    Returns CONCORDANCE_COLUMNS (those of `read_correlation_table` plus route = "direct" or
    "chained"), to_vintage always "H0", sorted by from_vintage, from_code, to_code.
    Missing vintages are allowed and reported: attrs["hs_vintages_found"] and
    attrs["hs_vintages_missing"] (lists of "H1".."H6"), attrs["hs_concordance_routes"] (vintage →
    how it was obtained). `concordance_vintages(frame)` recovers the found vintages from the rows.
    """
    correlation_dir = Path(reference_dir) / "hs_correlation"
    to_h0: dict[str, pd.DataFrame] = {}
    routes: dict[str, str] = {}
    dead_ends: dict[str, list[str]] = {}
    wanted = set(vintages)
    for vintage in SOURCE_VINTAGES:  # ascending, so a chain can reuse the vintage below
        year = HS_VINTAGE_YEARS[vintage]
        h0_year = HS_VINTAGE_YEARS[TARGET_VINTAGE]
        direct = find_correlation_file(correlation_dir, year, h0_year) if correlation_dir.is_dir() else None
        if direct is not None:
            to_h0[vintage] = read_correlation_table(direct).assign(route="direct")
            routes[vintage] = f"direct: {direct.name}"
            continue
        below = SOURCE_VINTAGES[SOURCE_VINTAGES.index(vintage) - 1] if vintage != "H1" else None
        if below is None or below not in to_h0 or not correlation_dir.is_dir():
            continue
        adjacent = find_correlation_file(correlation_dir, year, HS_VINTAGE_YEARS[below])
        if adjacent is None:
            continue
        composed, gaps = _compose(read_correlation_table(adjacent), to_h0[below])
        to_h0[vintage] = composed.assign(route="chained")
        routes[vintage] = f"chained: {adjacent.name} then {routes[below]}"
        if gaps:
            dead_ends[vintage] = gaps

    found = [v for v in SOURCE_VINTAGES if v in to_h0 and v in wanted]
    frames = [to_h0[v] for v in found]
    if frames:
        concordance = pd.concat(frames, ignore_index=True)
    else:
        concordance = pd.DataFrame({c: pd.Series(dtype="int64" if c == "source_row" else "str") for c in CONCORDANCE_COLUMNS})
    concordance = concordance.astype({"route": "str"})
    concordance = concordance.sort_values(["from_vintage", "from_code", "to_code"], kind="stable").reset_index(drop=True)
    concordance = concordance[CONCORDANCE_COLUMNS]
    concordance.attrs[ATTR_FOUND] = found
    concordance.attrs[ATTR_MISSING] = [v for v in SOURCE_VINTAGES if v in wanted and v not in to_h0]
    concordance.attrs[ATTR_ROUTES] = {v: routes[v] for v in found}
    concordance.attrs["chain_dead_ends"] = {v: codes for v, codes in dead_ends.items() if v in wanted}
    return concordance


def _read_conversion(path: Path) -> pd.DataFrame:
    table = read_correlation_table(path, sheet_hint="conver")
    # One target per source code; a repeated source keeps its first row (none in the UN tables of 1996-2022).
    table = table.drop_duplicates(subset=["from_code"], keep="first").reset_index(drop=True)
    return table[["from_vintage", "from_code", "to_vintage", "to_code", "source_file", "source_row"]]


def load_hs_conversion(reference_dir: Path | str, vintages: Iterable[str] = SOURCE_VINTAGES) -> pd.DataFrame:
    """The UN one-to-one conversion from every HS vintage H1..H6 to H0 found under `<reference_dir>/hs_correlation/`.

    The UN publishes with each correlation table a "Conversion" sheet that assigns every code of the
    newer edition the single older code most of it goes to (e.g. HS2022 854231 → HS1992 854211,
    HS2017 870340 → 870390). Read from `csv/HS{year}_to_HS1992_UNSD__conversion.csv` (the sheet's
    export), else the workbook's Conversion sheet; when the direct table is missing, the adjacent
    conversions are chained (H2 → H1 → H0), which stays one-to-one.
    Returns CONVERSION_COLUMNS (from_vintage, from_code, to_code, source_file, source_row, route
    "direct" or "chained"), one row per (from_vintage, from_code), sorted by them; attrs
    ["hs_vintages_found"], ["hs_vintages_missing"] as in `load_hs_concordance`.
    """
    correlation_dir = Path(reference_dir) / "hs_correlation"
    to_h0: dict[str, pd.DataFrame] = {}
    wanted = set(vintages)
    h0_year = HS_VINTAGE_YEARS[TARGET_VINTAGE]
    for vintage in SOURCE_VINTAGES:  # ascending, so a chain can reuse the vintage below
        year = HS_VINTAGE_YEARS[vintage]
        direct = find_correlation_file(correlation_dir, year, h0_year, "conversion") if correlation_dir.is_dir() else None
        if direct is not None:
            to_h0[vintage] = _read_conversion(direct).assign(route="direct")
            continue
        below = SOURCE_VINTAGES[SOURCE_VINTAGES.index(vintage) - 1] if vintage != "H1" else None
        if below is None or below not in to_h0 or not correlation_dir.is_dir():
            continue
        adjacent = find_correlation_file(correlation_dir, year, HS_VINTAGE_YEARS[below], "conversion")
        if adjacent is None:
            continue
        step = _read_conversion(adjacent)
        onward = dict(zip(to_h0[below]["from_code"], to_h0[below]["to_code"]))
        step = step.assign(to_code=step["to_code"].map(onward), to_vintage=TARGET_VINTAGE).dropna(subset=["to_code"])
        step["source_file"] = step["source_file"] + " + " + to_h0[below]["source_file"].iloc[0]
        to_h0[vintage] = step.assign(route="chained")

    found = [v for v in SOURCE_VINTAGES if v in to_h0 and v in wanted]
    if found:
        conversion = pd.concat([to_h0[v] for v in found], ignore_index=True)
    else:
        conversion = pd.DataFrame({c: pd.Series(dtype="int64" if c == "source_row" else "str") for c in CONVERSION_COLUMNS})
    conversion = conversion.astype({c: "str" for c in CONVERSION_COLUMNS if c != "source_row"} | {"source_row": "int64"})
    conversion = conversion.sort_values(["from_vintage", "from_code"], kind="stable").reset_index(drop=True)[CONVERSION_COLUMNS]
    conversion.attrs[ATTR_FOUND] = found
    conversion.attrs[ATTR_MISSING] = [v for v in SOURCE_VINTAGES if v in wanted and v not in to_h0]
    return conversion


def concordance_vintages(concordance: pd.DataFrame) -> list[str]:
    """The source vintages ("H1".."H6") that have at least one link in `concordance`, in order."""
    present = set(concordance["from_vintage"])
    return [v for v in SOURCE_VINTAGES if v in present]
