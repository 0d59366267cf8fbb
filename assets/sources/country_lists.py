"""Readers of the UN Comtrade country (area) lists, as the UN and comtradr publish them.

Belongs here: parsing the legacy Comtrade list (`Comtrade_Country_Code_and_ISO_list.xlsx`) and the
Comtrade+ partner/reporter area lists (comtradr's CSV exports `comtradeplus_*_areas_comtradr.csv`)
into one tidy shape. Not here: deciding ISO3 codes or kinds (assets/transforms/reference/country_codes.py).

Tidy shape (`LIST_COLUMNS`): code (numeric code as str, no padding: "0", "40", "764"), iso (the list's
ISO alpha-3 as written, stripped; may be a Comtrade+ pseudo code such as "S19", "_X", "X1"),
iso2, name, valid_from / valid_to (Int64 years, inclusive; null = open), is_group (bool), note,
list_name ("comtradeplus_partner", "comtradeplus_reporter", "comtrade_legacy"), source_file,
source_row (1-based line or sheet row; the header is row 1).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from assets.errors import RvcInputError
from assets.sources.reference_files import unreadable_table

LEGACY_FILE = "Comtrade_Country_Code_and_ISO_list.xlsx"
PARTNER_FILE = "comtradeplus_partner_areas_comtradr.csv"
REPORTER_FILE = "comtradeplus_reporter_areas_comtradr.csv"

LIST_COLUMNS = [
    "code", "iso", "iso2", "name", "valid_from", "valid_to", "is_group", "note",
    "list_name", "source_file", "source_row",
]

# Placeholders for "valid since the start": Comtrade+ writes entry year 1900 (1901 for World), the legacy
# list 1962, the first year of Comtrade data. They are not real dates, so they become null (open).
_OPEN_START_MAX_YEAR = 1962

_LEGACY_HEADERS = {
    "country code": "code",
    "country name, abbreviation": "name",
    "country comments": "note",
    "iso2-digit alpha": "iso2",
    "iso3-digit alpha": "iso",
    "start valid year": "valid_from",
    "end valid year": "valid_to",
}
_PLUS_HEADERS = {
    "id": "code",
    "country": "name",
    "iso_3": "iso",
    "iso_2": "iso2",
    "note": "note",
    "entry_year": "valid_from",
    "exit_year": "valid_to",
    "group": "is_group",
}


def _clean_text(values: pd.Series) -> pd.Series:
    """Strip surrounding blanks (Comtrade+ writes "_X ", "Switzerland "); empty text becomes null."""
    text = values.astype("str").str.strip()
    return text.mask(text.isna() | (text == ""))


def _numeric_code(values: pd.Series) -> pd.Series:
    """Numeric codes as unpadded strings: 4, "4.0", "004" → "4"; "0" stays "0"."""
    text = _clean_text(values).str.replace(r"\.0+$", "", regex=True).str.lstrip("0")
    return text.mask(text == "", "0").where(values.notna())


def _year(values: pd.Series, *, open_start: bool) -> pd.Series:
    """Years as Int64; "Now", blanks and (for start years) the lists' since-the-start placeholders → null."""
    years = pd.to_numeric(_clean_text(values).str.replace(r"\.0+$", "", regex=True), errors="coerce").astype("Int64")
    if open_start:
        years = years.mask(years <= _OPEN_START_MAX_YEAR)
    return years


def _rename_required(raw: pd.DataFrame, headers: dict[str, str], path: Path) -> pd.DataFrame:
    found = {str(c).strip().lower(): c for c in raw.columns}
    missing = [h for h in headers if h not in found]
    required = [h for h in missing if headers[h] not in ("note", "iso2", "is_group")]
    if required:
        raise RvcInputError(
            f"{path}: expected the columns {sorted(headers)} (any case, blanks ignored) of a Comtrade country list, "
            f"but {required} are missing (found {list(raw.columns)}). Pass the list as the UN or comtradr publishes it."
        )
    frame = pd.DataFrame({headers[h]: raw[found[h]] for h in headers if h in found}, index=raw.index)
    for optional in ("note", "iso2", "is_group"):
        if optional not in frame.columns:
            frame[optional] = pd.NA
    return frame


def _tidy(frame: pd.DataFrame, list_name: str, path: Path) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "code": _numeric_code(frame["code"]),
            "iso": _clean_text(frame["iso"]),
            "iso2": _clean_text(frame["iso2"]),
            "name": _clean_text(frame["name"]),
            "valid_from": _year(frame["valid_from"], open_start=True),
            "valid_to": _year(frame["valid_to"], open_start=False),
            "is_group": _clean_text(frame["is_group"]).str.lower().eq("true").astype(bool),
            "note": _clean_text(frame["note"]),
            "list_name": list_name,
            "source_file": path.name,
            # Header is row 1 in both the CSV and the sheet, so data row i (0-based) is row i + 2.
            "source_row": pd.Series(range(2, len(frame) + 2), index=frame.index, dtype="int64"),
        }
    )
    bad = out[out["code"].isna() | ~out["code"].fillna("").str.fullmatch(r"\d{1,3}")]
    if len(bad):
        rows = ", ".join(str(r) for r in bad["source_row"].head(5))
        raise RvcInputError(
            f"{path}: column of country codes must hold numeric codes of 1 to 3 digits; rows {rows} do not. "
            "Check that the file is an unmodified Comtrade country list."
        )
    return out.reset_index(drop=True)[LIST_COLUMNS]


def read_legacy_country_list(path: Path) -> pd.DataFrame:
    """The legacy UN Comtrade list (Excel: Country Code, names, ISO2/ISO3, Start/End Valid Year).

    In: the workbook path (first sheet). Out: a frame with `LIST_COLUMNS`, list_name "comtrade_legacy";
    "Now" end years and the 1962 start placeholder become null; is_group is always False (the list has
    no such flag).
    """
    path = Path(path)
    # keep_default_na=False: Namibia's ISO2 "NA" is a code; the list writes a missing ISO as "N/A".
    try:
        raw = pd.read_excel(path, sheet_name=0, dtype=str, keep_default_na=False, na_values=["", "N/A"])
    except (OSError, MemoryError):
        raise
    except Exception as exc:  # noqa: BLE001 - BadZipFile, "format cannot be determined", XLRDError, ...
        raise unreadable_table(path, "the UN Comtrade country code and ISO list workbook", exc) from exc
    return _tidy(_rename_required(raw, _LEGACY_HEADERS, path), "comtrade_legacy", path)


def read_comtradeplus_areas(path: Path, list_name: str = "comtradeplus_partner") -> pd.DataFrame:
    """A Comtrade+ partner or reporter area list in comtradr's CSV export (id, country, iso_3, iso_2, ...).

    In: the CSV path and the list name to record. Out: a frame with `LIST_COLUMNS`; iso keeps the
    Comtrade+ pseudo codes ("S19", "_X", "X1", "World") stripped of their trailing blanks.
    """
    path = Path(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")  # "NA" = Namibia
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise unreadable_table(path, f"a Comtrade+ {list_name} country list (CSV)", exc) from exc
    return _tidy(_rename_required(raw, _PLUS_HEADERS, path), list_name, path)


def load_country_lists(country_codes_dir: Path) -> pd.DataFrame:
    """Every Comtrade country list found in a `country_codes/` folder, stacked (Comtrade+ lists first).

    In: the folder (e.g. `<RVC_REFERENCE>/country_codes`). Out: `LIST_COLUMNS` rows of whichever of the
    three lists exist, in the order partner, reporter, legacy; `attrs["files"]` names the files read.
    Raises RvcInputError when the folder holds none of them.
    """
    folder = Path(country_codes_dir)
    readers = [
        (PARTNER_FILE, lambda p: read_comtradeplus_areas(p, "comtradeplus_partner")),
        (REPORTER_FILE, lambda p: read_comtradeplus_areas(p, "comtradeplus_reporter")),
        (LEGACY_FILE, read_legacy_country_list),
    ]
    frames = [read(folder / name) for name, read in readers if (folder / name).is_file()]
    if not frames:
        raise RvcInputError(
            f"{folder}: no Comtrade country list found; expected at least one of {PARTNER_FILE}, {REPORTER_FILE}, "
            f"{LEGACY_FILE}. Copy them there or build the country codes without a reference folder."
        )
    lists = pd.concat(frames, ignore_index=True)
    lists.attrs["files"] = [name for name, _ in readers if (folder / name).is_file()]
    return lists
