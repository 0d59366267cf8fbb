"""The indicator panel: every year's indicators stacked, plus growth rates over periods.

Belongs here: `build_indicator_panel` (the `indicator_panel` asset's logic), `default_periods` and
`compound_annual_growth`. Not here: the yearly indicators themselves (trade_indicators, va_indicators).

Growth rows: for each level indicator (catalog column `growth`: exports_usd, imports_usd,
unit_value_usd) and each period (start, end), a row with indicator "<name>_cagr", year = end,
period "start-end", the same country/partner/product_group/subtype/variant, unit "percent_per_year",
value 100 · ((V_end / V_start)^(1 / (end − start)) − 1). Level rows have period null. Shares and
indices get no growth rows (a growth rate of a share mixes two denominators' changes).
"""

from __future__ import annotations

import pandas as pd

from assets.errors import RvcInputError
from assets.transforms.indicators.common import (
    INDICATOR_COLUMNS,
    NOTE_MISSING_ENDPOINT,
    NOTE_NEGATIVE_VALUE,
    NOTE_ZERO_DENOMINATOR,
    WORLD_COLUMNS,
    finalize_indicator_frame,
    require_columns,
)
from assets.transforms.indicators.indicator_catalog import GROWTH_SUFFIX, GROWTH_UNIT, load_indicator_catalog

PERIOD_LENGTH = 5
SERIES_KEY = ["country", "partner", "product_group", "indicator", "subtype", "variant", "unit"]


def default_periods(years: list[int]) -> list[tuple[int, int]]:
    """Consecutive complete 5-year periods from the first year, then the whole span.

    E.g. 1995..2023 → (1995, 2000), (2000, 2005), ..., (2015, 2020), (1995, 2023); a trailing stub
    shorter than five years (2020–2023) gets no period of its own. One year → no periods.
    """
    if not years:
        return []
    first, last = min(years), max(years)
    periods = [(start, start + PERIOD_LENGTH) for start in range(first, last - PERIOD_LENGTH + 1, PERIOD_LENGTH)]
    if last > first and (first, last) not in periods:
        periods.append((first, last))
    return periods


def compound_annual_growth(start_value: pd.Series, end_value: pd.Series, years: int) -> tuple[pd.Series, pd.Series]:
    """CAGR in percent per year between two aligned Series `years` apart, with notes for NaN values.

    Notes: "missing_endpoint" (either value NaN), "negative_value" (either < 0), "zero_denominator"
    (start 0). A level falling to 0 gives −100.
    """
    start = start_value.astype("float64")
    end = end_value.astype("float64")
    missing = start.isna() | end.isna()
    negative = ~missing & ((start < 0) | (end < 0))
    zero = ~missing & ~negative & (start == 0)
    valid = ~(missing | negative | zero)
    ratio = (end / start.where(valid)).where(valid)
    value = 100.0 * (ratio ** (1.0 / years) - 1.0)
    note = pd.Series(pd.NA, index=start.index, dtype="str")
    note = note.mask(zero, NOTE_ZERO_DENOMINATOR).mask(negative, NOTE_NEGATIVE_VALUE).mask(missing, NOTE_MISSING_ENDPOINT)
    return value.where(valid), note


def build_indicator_panel(frames: pd.DataFrame, periods: list[tuple[int, int]] | None = None) -> pd.DataFrame:
    """Stack yearly indicator rows and add CAGR rows for the catalog's level indicators.

    In: `frames`, the yearly indicator frames of all years already stacked (INDICATOR_COLUMNS);
    `periods` as (start, end) year pairs with start < end (default: default_periods of the years
    present). Out: INDICATOR_COLUMNS + period (str, null on level rows, "1995-2000" on growth rows; growth
    rows carry no world columns),
    sorted by key and period. A series with a value in only one endpoint year still gets a row
    (NaN, "missing_endpoint"), so a gap is visible rather than silently absent.
    Raises RvcInputError for missing columns, a period with start >= end, or duplicate keys.
    """
    require_columns(frames, [c for c in INDICATOR_COLUMNS if c not in WORLD_COLUMNS], "indicator frames")
    # The world columns describe rows measured against a world (rca, shares); frames without them have none.
    levels = frames.reindex(columns=INDICATOR_COLUMNS).copy()
    levels["period"] = pd.Series(pd.NA, index=levels.index, dtype="str")
    years = sorted(int(y) for y in pd.to_numeric(levels["year"]).dropna().unique())
    chosen = default_periods(years) if periods is None else [(int(a), int(b)) for a, b in periods]
    bad = [p for p in chosen if p[0] >= p[1]]
    if bad:
        raise RvcInputError(f"indicator panel: periods must have start < end; got {bad}. Pass (start, end) year pairs.")

    catalog = load_indicator_catalog()
    growth_names = set(catalog.loc[catalog["growth"], "indicator"])
    series = levels[levels["indicator"].isin(growth_names)]
    series = series.assign(subtype=series["subtype"].fillna("<none>"))
    growth_frames = [levels]
    for start, end in chosen:
        at_start = series[series["year"] == start][SERIES_KEY + ["value"]].rename(columns={"value": "start_value"})
        at_end = series[series["year"] == end][SERIES_KEY + ["value"]].rename(columns={"value": "end_value"})
        both = at_start.merge(at_end, on=SERIES_KEY, how="outer", sort=True)
        if both.empty:
            continue
        value, note = compound_annual_growth(both["start_value"], both["end_value"], end - start)
        growth = both[SERIES_KEY].assign(
            year=pd.array([end] * len(both), dtype="Int64"),
            indicator=both["indicator"] + GROWTH_SUFFIX,
            subtype=both["subtype"].mask(both["subtype"] == "<none>"),
            unit=GROWTH_UNIT,
            value=value,
            note=note.mask(value.notna()),
            period=f"{start}-{end}",
            world_countries=pd.NA,
            world_coverage_share=float("nan"),
        )
        growth_frames.append(growth[INDICATOR_COLUMNS + ["period"]])
    return finalize_indicator_frame(growth_frames, with_period=True)
