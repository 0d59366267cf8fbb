"""The indicator panel: stacking and CAGR rows, on HAND-WRITTEN indicator rows with known growth."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from assets.errors import RvcInputError
from assets.transforms.indicators.indicator_catalog import growth_catalog, load_indicator_catalog
from assets.transforms.indicators.indicator_panel import build_indicator_panel, compound_annual_growth, default_periods
from assets.transforms.indicators.quality import range_violations
from checks.indicators import indicator_panel_schema


def row(year, indicator, value, country="THA", partner="WLD", group="parts_accessories", variant="reconciled",
        unit="usd", note=None):
    return {"year": year, "country": country, "partner": partner, "product_group": group, "indicator": indicator,
            "subtype": None, "variant": variant, "value": value, "unit": unit, "note": note}


def frame(rows) -> pd.DataFrame:
    out = pd.DataFrame(rows)
    out["year"] = out["year"].astype("Int64")
    for column in ("country", "partner", "product_group", "indicator", "subtype", "variant", "unit", "note"):
        out[column] = out[column].astype("str")
    out["value"] = out["value"].astype("float64")
    return out


# Hand-written: THA parts exports grow 10 % a year 2000→2005 (100 · 1.1^5 = 161.051), then stay flat.
ROWS = [
    row(2000, "exports_usd", 100.0),
    row(2005, "exports_usd", 161.051),
    row(2010, "exports_usd", 161.051),
    row(2000, "exports_usd", 50.0, variant="reported"),
    row(2010, "exports_usd", 0.0, variant="reported"),  # reported exports vanish: −100 % a year
    row(2000, "imports_usd", 0.0),  # starts at zero: growth undefined
    row(2010, "imports_usd", 30.0),
    row(2005, "unit_value_usd", 2.0, unit="usd_per_kg"),  # no 2000 value
    row(2010, "unit_value_usd", 2.0, unit="usd_per_kg"),
    row(2000, "grubel_lloyd", 0.2, unit="index"),
    row(2010, "grubel_lloyd", 0.6, unit="index"),
]


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return build_indicator_panel(frame(ROWS))


def growth(panel, indicator, period, variant="reconciled", column="value"):
    rows = panel[(panel["indicator"] == indicator) & (panel["period"] == period) & (panel["variant"] == variant)]
    assert len(rows) == 1, (indicator, period, variant, len(rows))
    return rows[column].iloc[0]


def test_default_periods_are_complete_five_year_steps_and_the_whole_span():
    assert default_periods(list(range(1995, 2024))) == [
        (1995, 2000), (2000, 2005), (2005, 2010), (2010, 2015), (2015, 2020), (1995, 2023)]
    assert default_periods([2000, 2005, 2010]) == [(2000, 2005), (2005, 2010), (2000, 2010)]
    assert default_periods([1995, 1996, 1998]) == [(1995, 1998)]
    assert default_periods([2001]) == []


def test_cagr_on_a_known_series(panel):
    assert growth(panel, "exports_usd_cagr", "2000-2005") == pytest.approx(10.0)
    assert growth(panel, "exports_usd_cagr", "2005-2010") == pytest.approx(0.0)
    assert growth(panel, "exports_usd_cagr", "2000-2010") == pytest.approx(100 * (1.61051 ** (1 / 10) - 1))
    assert growth(panel, "exports_usd_cagr", "2000-2005", column="year") == 2005
    assert growth(panel, "exports_usd_cagr", "2000-2005", column="unit") == "percent_per_year"


def test_growth_only_for_level_indicators(panel):
    growth_rows = panel[panel["period"].notna()]
    assert set(growth_rows["indicator"]) == {"exports_usd_cagr", "imports_usd_cagr", "unit_value_usd_cagr"}
    assert not panel["indicator"].eq("grubel_lloyd_cagr").any()


def test_level_rows_are_kept_unchanged(panel):
    levels = panel[panel["period"].isna()].drop(columns="period").reset_index(drop=True)
    # The hand-written rows describe no world: the panel adds the world columns empty.
    assert levels["world_countries"].isna().all() and levels["world_coverage_share"].isna().all()
    levels = levels.drop(columns=["world_countries", "world_coverage_share"])
    expected = frame(ROWS).sort_values(["year", "country", "partner", "product_group", "indicator", "subtype",
                                        "variant"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(levels, expected)


def test_edge_cases_are_explained(panel):
    assert growth(panel, "exports_usd_cagr", "2000-2010", variant="reported") == pytest.approx(-100.0)
    assert math.isnan(growth(panel, "imports_usd_cagr", "2000-2010"))
    assert growth(panel, "imports_usd_cagr", "2000-2010", column="note") == "zero_denominator"
    assert growth(panel, "unit_value_usd_cagr", "2000-2005", column="note") == "missing_endpoint"
    assert growth(panel, "unit_value_usd_cagr", "2005-2010") == 0.0
    assert growth(panel, "exports_usd_cagr", "2000-2005", variant="reported", column="note") == "missing_endpoint"


def test_user_periods():
    panel = build_indicator_panel(frame(ROWS), periods=[(2005, 2010)])
    assert set(panel["period"].dropna()) == {"2005-2010"}
    with pytest.raises(RvcInputError, match="start < end"):
        build_indicator_panel(frame(ROWS), periods=[(2010, 2005)])


def test_stacking_a_year_twice_is_an_error():
    with pytest.raises(RvcInputError, match="share a key"):
        build_indicator_panel(frame(ROWS + ROWS[:1]))


def test_compound_annual_growth_notes():
    start = pd.Series([100.0, -5.0, np.nan, 0.0, 10.0])
    end = pd.Series([121.0, 10.0, 5.0, 3.0, 0.0])
    value, note = compound_annual_growth(start, end, 2)
    assert value.iloc[0] == pytest.approx(10.0) and value.iloc[4] == pytest.approx(-100.0)
    assert list(note.iloc[1:4]) == ["negative_value", "missing_endpoint", "zero_denominator"]


def test_panel_validates_and_respects_bounds(panel):
    indicator_panel_schema.validate(panel, lazy=True)
    assert range_violations(panel, load_indicator_catalog()).empty
    assert "exports_usd_cagr" in set(growth_catalog(load_indicator_catalog())["indicator"])


def test_empty_input_gives_an_empty_valid_panel():
    empty = frame(ROWS).iloc[:0]
    panel = build_indicator_panel(empty)
    assert panel.empty and "period" in panel.columns
    indicator_panel_schema.validate(panel)
