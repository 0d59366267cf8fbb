"""The long indicator format shared by trade, value-added and panel indicators.

Belongs here: the column order and dtypes of every indicator frame, the note codes that explain a
missing value, division that never yields inf, region membership by year, and the final sort.
Not here: any indicator formula (trade_indicators, va_indicators, indicators/trade_*).

Note codes (column `note`, null when the value is present):
- ``zero_denominator``: the formula divides by zero (e.g. X + M = 0); the value is NaN, never inf.
- ``missing_input``: an input the formula needs is absent (e.g. EXGR_DVA without EXGR).
- ``not_reported``: a reported/mirror variant where no declaration of that side exists.
- ``no_quantity``: a unit value where no line has a usable (non-estimated, matching-unit) quantity.
- ``no_reference_value``: a relative unit value whose reference (Japan, world median) is missing.
- ``missing_endpoint``: a growth rate whose start or end year has no value.
- ``negative_value``: a growth rate of a series with a negative endpoint (undefined).
- ``no_country_total``: a share of a country's or the world's total (rca, rca_symmetric,
  world_market_share, trade_intensity, total_merchandise) for a country without a total in
  `country_totals` (neither reported nor mirrored): it is outside that year's world, and a partial
  sum of its lines is never used instead.

World columns (null except on rows measured against a world of countries): ``world_countries`` is
the number of countries in the year's world (every country with a total export row in
`country_totals`, reported or mirrored); ``world_coverage_share`` is the share of the group's exports
in `trade_flows` made by those countries (1 = every exporter of the group is in the world).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from assets.errors import RvcInputError

INDICATOR_COLUMNS: list[str] = [
    "year",
    "country",
    "partner",
    "product_group",
    "indicator",
    "subtype",
    "variant",
    "value",
    "unit",
    "note",
    "world_countries",
    "world_coverage_share",
]
WORLD_COLUMNS: list[str] = ["world_countries", "world_coverage_share"]
# One row per key; `value`, `unit` and `note` describe it.
KEY_COLUMNS: list[str] = ["year", "country", "partner", "product_group", "indicator", "subtype", "variant"]
TEXT_COLUMNS: list[str] = ["country", "partner", "product_group", "indicator", "subtype", "variant", "unit", "note"]

DEFAULT_TRADE_VARIANT = "reconciled"
DEFAULT_VA_VARIANT = "tiva"

NOTE_ZERO_DENOMINATOR = "zero_denominator"
NOTE_MISSING_INPUT = "missing_input"
NOTE_NOT_REPORTED = "not_reported"
NOTE_NO_QUANTITY = "no_quantity"
NOTE_NO_REFERENCE = "no_reference_value"
NOTE_MISSING_ENDPOINT = "missing_endpoint"
NOTE_NEGATIVE_VALUE = "negative_value"
NOTE_NO_COUNTRY_TOTAL = "no_country_total"


def safe_ratio(numerator: pd.Series, denominator: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Divide two aligned float Series without ever producing inf.

    Returns (value, note): value is numerator / denominator as float64; where the denominator is 0 the
    value is NaN and the note "zero_denominator"; where either side is NaN the value is NaN and the
    note "missing_input" (unless the side already carries a reason, see `combine_notes`).
    """
    index = numerator.index if isinstance(numerator, pd.Series) else denominator.index
    num = np.asarray(numerator, dtype="float64")
    den = np.asarray(denominator, dtype="float64")
    missing = np.isnan(num) | np.isnan(den)
    zero = ~missing & (den == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(missing | zero, np.nan, num / np.where(zero, 1.0, den))
    note = np.full(len(num), None, dtype=object)
    note[zero] = NOTE_ZERO_DENOMINATOR
    note[missing] = NOTE_MISSING_INPUT
    return pd.Series(value, index=index, dtype="float64"), pd.Series(note, index=index, dtype="str")


def combine_notes(*notes: pd.Series) -> pd.Series:
    """The first non-null note of several aligned note Series (earlier arguments win)."""
    result = notes[0].astype("str")
    for other in notes[1:]:
        result = result.fillna(other.astype("str"))
    return result


def long_rows(
    frame: pd.DataFrame,
    *,
    year: int,
    indicator: str,
    value: pd.Series | str,
    unit: pd.Series | str,
    variant: pd.Series | str,
    note: pd.Series | None = None,
    subtype: pd.Series | str | None = None,
    world_countries: pd.Series | int | None = None,
    world_coverage_share: pd.Series | float | None = None,
) -> pd.DataFrame:
    """Rows of one indicator in the long format.

    `frame` holds the columns country, partner, product_group (one row per output row); `value`,
    `unit`, `variant`, `note`, `subtype`, `world_countries`, `world_coverage_share` are Series
    aligned with it or constants (the world ones null when not given). Returns a frame
    with INDICATOR_COLUMNS; a NaN value without a note gets "missing_input" so nothing is silently
    missing.
    """
    n = len(frame)
    index = pd.RangeIndex(n)

    def text(item: pd.Series | str | None) -> pd.Series:
        # Stay in Arrow-backed strings: a round trip through Python objects costs more than the formulas.
        if isinstance(item, pd.Series):
            array = item.array if item.dtype == "str" else item.astype("str").array
            return pd.Series(array, index=index)
        return pd.Series(pd.array([item], dtype="str").take(np.zeros(n, dtype="intp")), index=index)

    values = (frame[value] if isinstance(value, str) else value).to_numpy(dtype="float64", na_value=np.nan)
    missing = np.isnan(values)
    if note is None:
        notes = np.full(n, None, dtype=object)
    else:
        notes = note.to_numpy(dtype=object, na_value=None).copy()
    notes[~missing] = None
    unexplained = missing & pd.isna(notes)
    notes[unexplained] = NOTE_MISSING_INPUT

    def numbers(item: pd.Series | float | None) -> np.ndarray:
        if isinstance(item, pd.Series):
            return item.to_numpy(dtype="float64", na_value=np.nan)
        return np.full(n, np.nan if item is None else float(item), dtype="float64")

    counts = numbers(world_countries)
    return pd.DataFrame(
        {
            "year": pd.array(np.full(n, year, dtype="int64"), dtype="Int64"),
            "country": text(frame["country"]),
            "partner": text(frame["partner"]),
            "product_group": text(frame["product_group"]),
            "indicator": text(indicator),
            "subtype": text(subtype),
            "variant": text(variant),
            "value": values,
            "unit": text(unit),
            "note": pd.Series(notes, index=index, dtype="str"),
            "world_countries": pd.Series(counts, index=index).astype("Int64"),
            "world_coverage_share": numbers(world_coverage_share),
        },
        index=index,
    )


def finalize_indicator_frame(frames: Iterable[pd.DataFrame], *, with_period: bool = False) -> pd.DataFrame:
    """Stack indicator frames, set the dtypes and sort by the key so the output is deterministic.

    Out: INDICATOR_COLUMNS (+ `period` after them when `with_period`, part of the key). Raises
    RvcInputError when two rows share a key (a bug upstream or a year stacked twice).
    """
    extra = ["period"] if with_period else []
    frames = [f for f in frames if len(f)]
    if frames:
        out = pd.concat(frames, ignore_index=True)
    else:
        out = pd.DataFrame({c: [] for c in INDICATOR_COLUMNS + extra})
    for column in WORLD_COLUMNS:
        if column not in out.columns:
            # Frames built before the world columns existed (or by hand) describe no world.
            out[column] = np.nan
    out = out[INDICATOR_COLUMNS + extra]
    out["year"] = out["year"].astype("Int64")
    out["world_countries"] = out["world_countries"].astype("Int64")
    out["world_coverage_share"] = out["world_coverage_share"].astype("float64")
    for column in TEXT_COLUMNS + extra:
        out[column] = out[column].astype("str")
    out["value"] = out["value"].astype("float64")
    sort_columns = KEY_COLUMNS + extra
    # Integer codes of the sorted distinct values (missing first) make the duplicate check and the
    # sort cheap on millions of rows of text.
    codes = pd.DataFrame({c: pd.factorize(out[c], sort=True)[0] for c in sort_columns})
    duplicated = codes.duplicated(keep=False).to_numpy()
    if duplicated.any():
        sample = out.loc[duplicated, KEY_COLUMNS].head(5).to_dict("records")
        raise RvcInputError(
            f"indicator rows: {int(duplicated.sum())} rows share a key ({', '.join(KEY_COLUMNS)}), e.g. {sample}; "
            "expected one row per key. Check that each year's indicator frame is stacked only once."
        )
    order = np.lexsort([codes[c].to_numpy() for c in reversed(sort_columns)])
    return out.take(order).reset_index(drop=True)


def region_members(regions: pd.DataFrame, region: str, year: int) -> set[str]:
    """ISO3 members of `region` in `year` (from_year <= year <= to_year; a null bound is open).

    `regions` has columns region, iso3, from_year, to_year. Raises RvcInputError when the region has
    no rows at all, so a mistyped or missing region never silently yields empty aggregates.
    """
    missing = {"region", "iso3", "from_year", "to_year"} - set(regions.columns)
    if missing:
        raise RvcInputError(
            f"regions: missing columns {sorted(missing)}; expected region, iso3, from_year, to_year "
            "(as assets/data/regions.csv). Pass the `regions` reference table."
        )
    rows = regions[regions["region"] == region]
    if rows.empty:
        raise RvcInputError(
            f"regions: no rows for region {region!r} (regions present: {sorted(regions['region'].dropna().unique())}); "
            "add its members to the regions table or drop it from the partner regions."
        )
    start = pd.to_numeric(rows["from_year"], errors="coerce")
    end = pd.to_numeric(rows["to_year"], errors="coerce")
    active = (start.isna() | (start <= year)) & (end.isna() | (end >= year))
    return set(rows.loc[active, "iso3"].astype("str"))


def require_columns(frame: pd.DataFrame, columns: Iterable[str], name: str) -> None:
    """Raise RvcInputError naming the input frame and its missing columns."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise RvcInputError(
            f"{name}: missing columns {missing}; found {list(frame.columns)}. "
            f"Pass the `{name}` table as the pipeline builds it (see DESIGN.md, Key columns)."
        )


def require_single_year(frame: pd.DataFrame, year: int, name: str) -> None:
    """Raise RvcInputError when `frame` holds rows of a year other than `year`."""
    years = pd.to_numeric(frame["year"], errors="coerce")
    other = sorted({int(y) for y in years.dropna().unique() if int(y) != year})
    if other or years.isna().any():
        raise RvcInputError(
            f"{name}: expected only rows of year {year}, found years {other}"
            f"{' and null years' if years.isna().any() else ''}; pass one year's partition."
        )
