"""Small, named selections of the indicator panel that the charts and findings share."""

from __future__ import annotations

import pandas as pd



def yearly(panel: pd.DataFrame) -> pd.DataFrame:
    """The yearly rows (growth rows carry a period instead)."""
    if "period" in panel.columns:
        panel = panel[panel["period"].isna()]
    return panel


def series(
    panel: pd.DataFrame,
    indicator: str,
    country: str,
    partner: str,
    product_group: str,
    variant: str | None = None,
    subtype: str | None = None,
) -> pd.Series:
    """One indicator as a year-indexed series of present values (missing years dropped)."""
    rows = yearly(panel)
    mask = (
        (rows["indicator"] == indicator)
        & (rows["country"] == country)
        & (rows["partner"] == partner)
        & (rows["product_group"] == product_group)
    )
    if variant is not None and "variant" in rows.columns:
        mask &= rows["variant"] == variant
    if subtype is not None and "subtype" in rows.columns:
        mask &= rows["subtype"] == subtype
    picked = rows.loc[mask & rows["value"].notna(), ["year", "value"]]
    return picked.groupby("year")["value"].first().sort_index().astype(float)


def default_variant(panel: pd.DataFrame, indicator: str) -> str | None:
    """The variant to plot: 'reconciled' when the indicator has it, else its first variant."""
    variants = sorted(set(yearly(panel).loc[panel["indicator"] == indicator, "variant"].dropna()))
    if not variants:
        return None
    return "reconciled" if "reconciled" in variants else variants[0]


def year_span(panel: pd.DataFrame) -> tuple[int, int] | None:
    years = yearly(panel)["year"].dropna()
    return (int(years.min()), int(years.max())) if len(years) else None
