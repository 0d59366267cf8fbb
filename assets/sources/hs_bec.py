"""UN Statistics Division HS → BEC Rev.4 correspondence tables: parsing and finding them.

What belongs here: reading one `HS{year}_to_BEC4_UNSD.csv` (or a workbook in the same layout) into a
tidy table (`read_hs_bec_table`) and stacking every vintage found under `<reference_dir>/hs_bec/`
(`load_hs_bec`). What does not: BEC → end-use stage and the product groups
(assets/transforms/reference/product_groups.py).

Quirks handled (SOURCES.md §5): UTF-8 BOM; header names per vintage ("HS96", "HS02", "HS2007",
"HS 2012", "HS 2022" / "BEC 4"); HS2007 codes written "0101.10" and no Relationship column;
relationships "n to 1", "n:1", "1ToN"; "n/a" for HS codes without a BEC (710820, 711890); blank
rows (HS2022). BEC "32" (processed fuels, parent of 321 and 322) and "7" (goods n.e.s.) are kept
as published.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from assets.errors import RvcInputError
from assets.sources.hs_correlation import (
    VINTAGE_OF_YEAR,
    hs_year,
    is_plain_code,
    normalize_hs6,
    normalize_relationship,
    read_table_rows,
)
from assets.vocabulary import HS_VINTAGE_YEARS

HS_BEC_COLUMNS: list[str] = ["hs_vintage", "hs6", "bec_code", "relationship", "source_file", "source_row"]

_HEADER_SCAN_ROWS = 40
_HS_HEADER = re.compile(r"^\s*hs\s*(\d{4}|\d{2})\s*$", re.IGNORECASE)
_BEC_HEADER = re.compile(r"^\s*bec(\s*(rev\.?\s*)?4)?\s*$", re.IGNORECASE)
_RELATIONSHIP_HEADER = re.compile(r"^\s*relationship\s*$", re.IGNORECASE)
_BEC_CODE = re.compile(r"^\d{1,3}$")
_FILE_YEAR = re.compile(r"^HS\s*(\d{4})_to_BEC", re.IGNORECASE)
_NO_BEC = frozenset({"n/a", "na", ""})


def _bec_code(value: object, *, where: str) -> str | None:
    """BEC Rev.4 code as text ("53", "521", "7"); None for "n/a" or an empty cell."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if text.lower() in _NO_BEC:
        return None
    if not _BEC_CODE.match(text):
        raise RvcInputError(f"{where}: expected a BEC Rev.4 code of 1 to 3 digits (or n/a), found {value!r}")
    return text


def read_hs_bec_table(path: Path | str) -> pd.DataFrame:
    """One UN HS → BEC Rev.4 table → one row per (HS code, BEC code).

    The header row is found by content (an "HS yy"/"HS yyyy" column and a "BEC" column); its HS
    edition must agree with a file name like HS2017_to_BEC4_UNSD.csv.
    Returns HS_BEC_COLUMNS: hs_vintage ("H1".."H6"), hs6 (6 chars), bec_code (text; missing where
    the UN writes "n/a"), relationship ("n:1", "n:n", "1:n", ...; where the table has none, "n:1"
    for an HS code with one BEC code and "n:n" for one with several), source_file, source_row
    (1-based row in the file), in file order. Blank rows are skipped.
    Raises RvcInputError when the header is missing or a code cell is malformed.
    """
    path = Path(path)
    rows, label = read_table_rows(path, expected="a UN HS to BEC Rev.4 correspondence table (workbook or its CSV export)")
    header = hs_col = bec_col = None
    rel_col: int | None = None
    year = 0
    for r, row in enumerate(rows[:_HEADER_SCAN_ROWS]):
        texts = [("" if v is None else str(v)) for v in row]
        hs_cells = [(c, _HS_HEADER.match(t)) for c, t in enumerate(texts)]
        hs_cells = [(c, m) for c, m in hs_cells if m]
        bec_cells = [c for c, t in enumerate(texts) if _BEC_HEADER.match(t)]
        if hs_cells and bec_cells:
            header, (hs_col, match), bec_col = r, hs_cells[0], bec_cells[0]
            year = hs_year(match.group(1))
            rel_cols = [c for c, t in enumerate(texts) if _RELATIONSHIP_HEADER.match(t)]
            rel_col = rel_cols[0] if rel_cols else None
            break
    if header is None:
        raise RvcInputError(
            f"{label}: no header row found in the first {_HEADER_SCAN_ROWS} rows; expected an HS column "
            "('HS96', 'HS 2012', ...) and a 'BEC' column as in the UN HS to BEC Rev.4 tables"
        )
    if year not in VINTAGE_OF_YEAR or year == HS_VINTAGE_YEARS["H0"]:
        raise RvcInputError(f"{label} row {header + 1}: HS edition {year} has no UN BEC Rev.4 table; expected one of 1996..2022")
    named = _FILE_YEAR.match(path.name)
    if named and int(named.group(1)) != year:
        raise RvcInputError(
            f"{label} row {header + 1}: the header says HS{year} but the file name says HS{named.group(1)}; "
            "rename the file or check its content"
        )

    records: list[tuple[str, str | None, str | None, int]] = []
    bec_codes: dict[object, str | None] = {}
    relationships: dict[object, str | None] = {}
    for r in range(header + 1, len(rows)):
        row = rows[r]
        where = f"{label} row {r + 1}"
        raw_hs = row[hs_col] if hs_col < len(row) else None
        hs6 = raw_hs if is_plain_code(raw_hs) else normalize_hs6(raw_hs, where=f"{where}, HS column")
        raw_bec = row[bec_col] if bec_col < len(row) else None
        if raw_bec not in bec_codes:
            bec_codes[raw_bec] = _bec_code(raw_bec, where=f"{where}, BEC column")
        bec = bec_codes[raw_bec]
        if hs6 is None:
            if bec is not None:
                raise RvcInputError(f"{where}: BEC code {bec} without an HS code; fix or delete the row")
            continue
        relationship = None
        if rel_col is not None and rel_col < len(row):
            raw_rel = row[rel_col]
            if raw_rel not in relationships:
                relationships[raw_rel] = normalize_relationship(raw_rel, where=f"{where}, Relationship column")
            relationship = relationships[raw_rel]
        records.append((hs6, bec, relationship, r + 1))

    table = pd.DataFrame(records, columns=["hs6", "bec_code", "relationship", "source_row"])
    if table["relationship"].isna().any():
        several = table.groupby("hs6")["hs6"].transform("size") > 1
        derived = several.map({True: "n:n", False: "n:1"})
        table["relationship"] = table["relationship"].where(table["relationship"].notna(), derived)
    table.insert(0, "hs_vintage", VINTAGE_OF_YEAR[year])
    table["source_file"] = path.name
    table = table.drop_duplicates(subset=["hs6", "bec_code"], keep="first")
    table = table.astype({c: "str" for c in HS_BEC_COLUMNS if c != "source_row"} | {"source_row": "int64"})
    return table[HS_BEC_COLUMNS].reset_index(drop=True)


def load_hs_bec(reference_dir: Path | str) -> pd.DataFrame:
    """Every HS → BEC Rev.4 table under `<reference_dir>/hs_bec/` (files HS{year}_to_BEC4*.csv/.xls/.xlsx), stacked.

    Returns HS_BEC_COLUMNS sorted by hs_vintage, hs6, bec_code; an empty frame with these columns
    when the folder or the tables are missing. attrs["hs_vintages_found"] lists the vintages read.
    """
    folder = Path(reference_dir) / "hs_bec"
    candidates = folder.glob("*") if folder.is_dir() else []
    suffixes = (".csv", ".xls", ".xlsx")
    paths = sorted(p for p in candidates if p.is_file() and _FILE_YEAR.match(p.name) and p.suffix.lower() in suffixes)
    frames = [read_hs_bec_table(p) for p in paths]
    if frames:
        table = pd.concat(frames, ignore_index=True)
    else:
        table = pd.DataFrame({c: pd.Series(dtype="int64" if c == "source_row" else "str") for c in HS_BEC_COLUMNS})
    duplicated_vintages = table.groupby("hs_vintage")["source_file"].nunique()
    if (duplicated_vintages > 1).any():
        twice = list(duplicated_vintages[duplicated_vintages > 1].index)
        raise RvcInputError(f"{folder}: several HS→BEC tables for vintage(s) {twice}; keep one file per HS edition")
    table = table.sort_values(["hs_vintage", "hs6", "bec_code"], kind="stable").reset_index(drop=True)
    table.attrs["hs_vintages_found"] = sorted(set(table["hs_vintage"]))
    return table
