"""Each reporter's total merchandise trade with the world, from `comtrade_totals`: the RCA denominators."""

from __future__ import annotations

import pandas as pd

from assets.transforms.country_codes import to_iso3

COUNTRY_TOTALS_COLUMNS = ["year", "country", "flow", "value_usd"]


def country_totals_from_comtrade(totals: pd.DataFrame, country_codes: pd.DataFrame) -> pd.DataFrame:
    """TOTAL-commodity, partner-World, X and M rows → year, country (ISO3), flow, value_usd.

    Re-exports and re-imports are not merchandise totals of their own, so they are left out; a reporter
    without a TOTAL/World row simply has no total (the indicators then fall back to the flow matrix).
    """
    mask = (totals["cmd_code"] == "TOTAL") & totals["is_world_partner"].fillna(False).astype(bool) & totals["flow"].isin(["X", "M"])
    rows = totals.loc[mask, ["year", "reporter_code", "flow", "value_usd"]]
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(COUNTRY_TOTALS_COLUMNS, ["Int64", "str", "str", "float64"])})
    country = to_iso3(rows["reporter_code"], rows["year"].astype("int64"), country_codes)
    out = rows.assign(country=country).dropna(subset=["country"])
    out = out.groupby(["year", "country", "flow"], as_index=False)["value_usd"].sum()
    return out[COUNTRY_TOTALS_COLUMNS].sort_values(["year", "country", "flow"]).reset_index(drop=True)
