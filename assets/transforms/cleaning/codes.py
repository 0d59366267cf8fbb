"""Vocabularies of the Comtrade cleaning stage and the vectorised normalizers that use them.

What belongs here: the quantity unit mapping, the n.e.s. partner codes, HS vintage labels, and functions that
map raw code columns onto these vocabularies and the shared ones (flows, HS vintages, World: `assets.vocabulary`).
What does not: rules that decide whether a row is rejected (`row_rules`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from assets.vocabulary import HS_VINTAGE_ENTRY_YEAR, WORLD_PARTNER_CODE, WORLD_PARTNER_ISOS

# "HS1992", "HS92", "H92", "H1992" (and the 1988 entry year of H0) name the same vintages as H0..H6.
_HS_YEAR_TO_VINTAGE: dict[int, str] = {
    1988: "H0", 1992: "H0", 1996: "H1", 2002: "H2", 2007: "H3", 2012: "H4", 2017: "H5", 2022: "H6",
}
_HS_LABEL = re.compile(r"^HS?(\d{2}|\d{4})$")

# Comtrade numeric quantity-unit codes (the WCO-based list used by legacy Comtrade and Comtrade+;
# Comtrade+ adds -1 "N/A") → the unit written to `qty_unit`.
QTY_UNIT_BY_CODE: dict[str, str] = {
    "-1": "n/a",  # Comtrade+: not available
    "1": "n/a",  # legacy: no quantity
    "2": "m2",  # area in square metres
    "3": "1000kwh",  # electrical energy in thousands of kilowatt-hours
    "4": "m",  # length in metres
    "5": "u",  # number of items
    "6": "2u",  # number of pairs
    "7": "l",  # volume in litres
    "8": "kg",  # weight in kilograms
    "9": "1000u",  # thousands of items
    "10": "pack",  # number of packages, WCO "u (jeu/pack)"
    "11": "12u",  # dozens of items
    "12": "m3",  # volume in cubic metres
    "13": "carat",  # weight in carats
}
# Used only when qtyUnitCode is empty: the abbreviations (Comtrade+) and descriptions (legacy) of the same units.
QTY_UNIT_BY_LABEL: dict[str, str] = {
    "n/a": "n/a", "-": "n/a", "no quantity": "n/a", "not available": "n/a",
    "m2": "m2", "area in square meters": "m2", "area in square metres": "m2",
    "1000 kwh": "1000kwh", "1000kwh": "1000kwh",
    "electrical energy in thousands of kilowatt-hours": "1000kwh",
    "m": "m", "length in meters": "m", "length in metres": "m",
    "u": "u", "number of items": "u",
    "2u": "2u", "number of pairs": "2u",
    "l": "l", "volume in liters": "l", "volume in litres": "l",
    "kg": "kg", "weight in kilograms": "kg",
    "1000u": "1000u", "thousands of items": "1000u", "thousand of items": "1000u",
    "u (jeu/pack)": "pack", "number of packages": "pack",
    "12u": "12u", "dozen of items": "12u", "dozens of items": "12u",
    "m3": "m3", "volume in cubic meters": "m3", "volume in cubic metres": "m3",
    "carat": "carat", "weight in carats": "carat",
}
UNKNOWN_QTY_UNIT = "unknown"  # a code outside the list above: qty kept, unit not interpretable
QTY_UNITS: tuple[str, ...] = tuple(dict.fromkeys([*QTY_UNIT_BY_CODE.values(), UNKNOWN_QTY_UNIT]))

# Comtrade partner areas "not elsewhere specified" and special categories (Comtrade+ partner list: ISO codes
# _X, X1, X2, XX and the regional "..., nes" areas). Trade with them is real but has no partner country, so it
# stays out of bilateral facts. 490 "Other Asia, nes" is deliberately absent: it is Taiwan (ISO S19).
NES_PARTNER_CODES: dict[str, str] = {
    "129": "Caribbean, nes",
    "221": "Eastern Europe, nes",
    "290": "Northern Africa, nes",
    "471": "CACM, nes",
    "472": "Africa CAMEU region, nes",
    "473": "LAIA, nes",
    "492": "Europe EU, nes",
    "527": "Oceania, nes",
    "568": "Other Europe, nes",
    "577": "Other Africa, nes",
    "636": "Rest of America, nes",
    "637": "North America and Central America, nes",
    "697": "Europe EFTA, nes",
    "837": "Bunkers",
    "838": "Free Zones",
    "839": "Special Categories",
    "879": "Western Asia, nes",
    "899": "Areas, nes",
}

CMD_CODE_PATTERN = r"^(TOTAL|\d{2}|\d{4}|\d{6})$"


def map_distinct(values: pd.Series, mapper: Callable[[Any], Any], dtype: str, na_value: Any = None) -> pd.Series:
    """`mapper` applied once per distinct value and broadcast back through factorize codes; missing values
    give `na_value`. A year has 10–15 M rows but a few thousand distinct codes, and Series.map or regex
    matching on pyarrow-backed strings costs ~1 s per million rows."""
    codes, uniques = pd.factorize(values)
    mapped = pd.array([*(mapper(u) for u in uniques), na_value], dtype=dtype)
    return pd.Series(mapped.take(codes), index=values.index)  # code -1 (missing) takes the trailing na_value


def matches(values: pd.Series, pattern: str) -> pd.Series:
    """bool per row: the value fully matches the regular expression (missing → False)."""
    compiled = re.compile(pattern)
    return map_distinct(values, lambda v: compiled.fullmatch(v) is not None, "bool", na_value=False)


def _vintage_of(label: str) -> str | None:
    text = re.sub(r"\s+", "", str(label)).upper()
    if text in HS_VINTAGE_ENTRY_YEAR:
        return text
    match = _HS_LABEL.match(text)
    if match is None:
        return None
    year = int(match.group(1))
    if year < 100:  # two-digit years: 88/92/96 are 19xx, 02..22 are 20xx
        year += 1900 if year >= 50 else 2000
    return _HS_YEAR_TO_VINTAGE.get(year)


def normalize_classification(codes: pd.Series) -> pd.Series:
    """Map raw classificationCode values to "H0".."H6".

    Accepts "H0".."H6" and the year-named variants ("HS1992", "HS92", "H92", "HS 2017", any case); anything
    else (SITC "S1".."S4", "BEC"/"BE", services "EB02"/"EB10", bare "HS", null) maps to missing.
    """
    return map_distinct(codes, _vintage_of, "str")


def _unit_code_text(code: str) -> str:
    text = str(code).strip()
    # Readers of CSV exports sometimes see integer codes written as floats ("8.0").
    return text[:-2] if re.fullmatch(r"-?\d+\.0", text) else text


def normalize_qty_unit(unit_codes: pd.Series, unit_labels: pd.Series) -> pd.Series:
    """Normalized quantity unit ("u", "kg", "l", "m2", "n/a", ...; see QTY_UNIT_BY_CODE) for each row.

    The numeric qtyUnitCode decides; the abbreviation/description (qtyUnitAbbr) is used only when the code
    is empty; neither given (legacy reduced layout) means "n/a"; an unlisted code gives "unknown".
    """
    by_code = map_distinct(unit_codes, lambda c: QTY_UNIT_BY_CODE.get(_unit_code_text(c), UNKNOWN_QTY_UNIT), "str")
    by_label = map_distinct(unit_labels, lambda s: QTY_UNIT_BY_LABEL.get(str(s).strip().lower(), UNKNOWN_QTY_UNIT), "str")
    return by_code.fillna(by_label).fillna("n/a")


def vintage_entry_year(vintages: pd.Series) -> pd.Series:
    """The entry-into-force year of each H0..H6 vintage (Int64, missing for unknown vintages)."""
    return map_distinct(vintages, HS_VINTAGE_ENTRY_YEAR.get, "Int64")


def aggregate_level_of(cmd_codes: pd.Series) -> pd.Series:
    """Comtrade aggregation level of each cmdCode: 0 for "TOTAL", else the number of digits (2, 4, 6)."""
    levels = cmd_codes.str.len().astype("Int64")
    return levels.mask(cmd_codes == "TOTAL", 0)


def is_world_partner(partner_codes: pd.Series, partner_isos: pd.Series) -> np.ndarray:
    """True where the partner is World: partnerCode 0 or ISO WLD (legacy) / W00 (Comtrade+)."""
    world_iso = map_distinct(partner_isos, lambda iso: iso.strip().upper() in WORLD_PARTNER_ISOS, "bool", na_value=False)
    return ((partner_codes == WORLD_PARTNER_CODE) | world_iso).to_numpy(dtype=bool)


def normalize_iso(isos: pd.Series) -> pd.Series:
    """ISO codes as reported, without surrounding blanks and upper case; blank → missing."""
    return map_distinct(isos, lambda iso: iso.strip().upper() or None, "str")


# ---------------------------------------------------------------------------------------------- SQL side
# The heavy stages run in DuckDB. Code vocabularies are applied there through small tables built from the
# distinct values of the year (a few thousand at most), mapped by the Python functions above, so there is
# one definition of each mapping.


def sql_list(values: Iterable[str]) -> str:
    """A SQL list of string literals: 'X', 'M', ..."""
    return ", ".join("'" + str(v).replace("'", "''") + "'" for v in values)


def register_code_tables(con: duckdb.DuckDBPyConnection, raw: str) -> None:
    """Create the temp tables the cleaning SQL joins: `classification_codes` (raw classificationCode →
    classification H0..H6, entry_year) and `qty_units` (raw qtyUnitCode, qtyUnitAbbr → qty_unit), from the
    distinct values found in the relation `raw`."""
    codes = [row[0] for row in con.execute(f"SELECT DISTINCT classificationCode FROM {raw} WHERE classificationCode IS NOT NULL").fetchall()]
    vintages = normalize_classification(pd.Series(codes, dtype="str"))
    con.execute("CREATE OR REPLACE TEMP TABLE classification_codes (code VARCHAR, classification VARCHAR, entry_year INTEGER)")
    rows = [
        (code, None if pd.isna(vintage) else vintage, None if pd.isna(vintage) else HS_VINTAGE_ENTRY_YEAR[vintage])
        for code, vintage in zip(codes, vintages)
    ]
    if rows:
        con.executemany("INSERT INTO classification_codes VALUES (?, ?, ?)", rows)
    pairs = con.execute(f"SELECT DISTINCT qtyUnitCode, qtyUnitAbbr FROM {raw}").fetchall()
    units = normalize_qty_unit(
        pd.Series([p[0] for p in pairs], dtype="str"), pd.Series([p[1] for p in pairs], dtype="str")
    )
    con.execute("CREATE OR REPLACE TEMP TABLE qty_units (code VARCHAR, label VARCHAR, qty_unit VARCHAR)")
    if pairs:
        con.executemany("INSERT INTO qty_units VALUES (?, ?, ?)", [(c, l, u) for (c, l), u in zip(pairs, units)])


def is_world_partner_sql(code: str = "partnerCode", iso: str = "partnerISO") -> str:
    """SQL: TRUE where the partner is World (code 0, ISO WLD legacy / W00 Comtrade+)."""
    return f"({code} = '{WORLD_PARTNER_CODE}' OR coalesce(upper(trim({iso})) IN ({sql_list(sorted(WORLD_PARTNER_ISOS))}), FALSE))"


def aggregate_level_sql(cmd: str = "cmdCode") -> str:
    """SQL: Comtrade aggregation level of a cmdCode: 0 for TOTAL, else its number of digits."""
    return f"(CASE WHEN {cmd} = 'TOTAL' THEN 0 ELSE length({cmd}) END)"


def normalize_iso_sql(iso: str) -> str:
    """SQL: an ISO code as reported, without surrounding blanks, upper case; blank → NULL."""
    return f"nullif(upper(trim({iso}, ' \t\r\n')), '')"
