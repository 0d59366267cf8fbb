"""Quality checks on indicator frames, pure so asset checks and notebooks share them.

Belongs here: `range_violations` (values outside the catalog bounds), `missing_indicators` (an
indicator silently absent for a country-year-group with data), `non_finite` (inf, or NaN without a
note). Each returns the offending rows (empty = pass). Not here: pandera schemas (checks/indicators.py).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from assets.transforms.indicators.indicator_catalog import catalog_product_groups, growth_catalog
from assets.transforms.reference.scope import Scope, load_scope

# Shares computed as a / b with 0 <= a <= b cannot leave [0, 1] in IEEE arithmetic; the tolerance
# only absorbs sums of shares and future formulas that subtract.
RANGE_TOLERANCE = 1e-9


def _bounds(catalog: pd.DataFrame) -> pd.DataFrame:
    """indicator, lower, upper for the catalog's indicators and their growth rates."""
    full = growth_catalog(catalog).drop_duplicates("indicator")
    return full[["indicator", "lower", "upper"]]


def range_violations(indicators: pd.DataFrame, catalog: pd.DataFrame) -> pd.DataFrame:
    """Rows whose value lies outside the catalog bounds of their indicator (NaN values are not checked).

    Bounds follow the unit: shares in [0, 1], percent in [0, 100], grubel_lloyd in [0, 1],
    trade_balance_index and rca_symmetric in [-1, 1], rca and levels >= 0, CAGR >= -100; a tolerance
    of RANGE_TOLERANCE absorbs float rounding. Out: the offending rows with columns lower and upper added.
    """
    rows = indicators.merge(_bounds(catalog), on="indicator", how="left")
    value = rows["value"]
    below = rows["lower"].notna() & (value < rows["lower"] - RANGE_TOLERANCE)
    above = rows["upper"].notna() & (value > rows["upper"] + RANGE_TOLERANCE)
    return rows[below | above].reset_index(drop=True)


def missing_indicators(
    indicators: pd.DataFrame, expected_countries: Iterable[str], catalog: pd.DataFrame, scope: Scope | None = None
) -> pd.DataFrame:
    """Indicators absent for a country-year-group that has data.

    For each (year, country, product_group) with any row, where country is in `expected_countries`,
    every catalog indicator with expected_per_country whose product_groups (read through `scope`, default
    the automotive scope file) include that group must have at least one row. Out: year, country,
    product_group, indicator — one row per absence, sorted.
    """
    scope = scope or load_scope()
    expected = catalog[catalog["expected_per_country"]][["indicator", "product_groups"]].copy()
    expected["product_group"] = expected["product_groups"].map(lambda cell: catalog_product_groups(cell, scope))
    expected = expected.explode("product_group")[["indicator", "product_group"]].dropna()
    subset = indicators[indicators["country"].isin(set(expected_countries))]
    with_data = subset[["year", "country", "product_group"]].drop_duplicates()
    required = with_data.merge(expected, on="product_group", how="inner")
    present = subset[["year", "country", "product_group", "indicator"]].drop_duplicates()
    merged = required.merge(present, on=["year", "country", "product_group", "indicator"], how="left", indicator="_m")
    missing = merged[merged["_m"] == "left_only"][["year", "country", "product_group", "indicator"]]
    return missing.sort_values(["year", "country", "product_group", "indicator"]).reset_index(drop=True)


def non_finite(indicators: pd.DataFrame) -> pd.DataFrame:
    """Rows whose value is ±inf, or NaN without a note (a value silently missing)."""
    value = indicators["value"].astype("float64")
    bad = np.isinf(value) | (value.isna() & indicators["note"].isna())
    return indicators[bad].reset_index(drop=True)
