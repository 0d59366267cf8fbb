"""Properties every indicator frame keeps, on small random worlds (hypothesis; all data synthetic).

Bounds (GL in [0, 1], TBI in [-1, 1], every catalog range), partitions summing to 1, RCA = 1 for a
country whose export mix equals the world's, invariance to the currency scale, CAGR of a known
series. Example counts are small because each example runs the whole indicator stage.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from assets.transforms.indicators.indicator_catalog import load_indicator_catalog
from assets.transforms.indicators.indicator_panel import build_indicator_panel, compound_annual_growth
from assets.transforms.indicators.quality import non_finite, range_violations
from assets.transforms.indicators.trade_indicators import compute_trade_indicators
from assets.transforms.indicators.trade_structure import grubel_lloyd_by_hs6

YEAR = 2010
COUNTRIES = ["JPN", "THA", "IDN", "VNM", "USA", "CHN"]
LINES = ["870323", "870899", "840734", "870421", "870710", "300490"]
# Hand-written product groups for the synthetic worlds.
PRODUCT_GROUPS = pd.DataFrame(
    {
        "hs6": LINES,
        "product_group": ["passenger_cars", "parts_accessories", "engines", "commercial_vehicles", "bodies_chassis", "other"],
        "bec_stage": ["consumption", "parts_and_components", "parts_and_components", "capital", "parts_and_components",
                      "consumption"],
        "in_scope": [True, True, True, True, True, False],
    }
)
REGIONS = pd.DataFrame(
    {
        "region": ["ASEAN"] * 3 + ["ASEAN10"] * 3,
        "iso3": ["THA", "IDN", "VNM"] * 2,
        "from_year": [1967, 1967, 1995, None, None, None],
        "to_year": [None] * 6,
    }
)
AGGREGATES = {"WLD", "ASEAN", "ASEAN10"}
# Each example runs the indicator stage (about half a second), so few examples; no example database.
SETTINGS = settings(max_examples=4, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
CHEAP = settings(max_examples=60, deadline=None, database=None)

flow_rows = st.lists(
    st.tuples(
        st.sampled_from(COUNTRIES),
        st.sampled_from(COUNTRIES),
        st.sampled_from(LINES),
        st.floats(1.0, 1e9),
        st.one_of(st.none(), st.floats(1.0, 1e6)),
        st.booleans(),
    ),
    min_size=1,
    max_size=30,
    unique_by=lambda r: (r[0], r[1], r[2]),
).map(lambda rows: [r for r in rows if r[0] != r[1]]).filter(bool)


def flows_frame(rows, scale: float = 1.0) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["exporter", "importer", "hs6", "value_usd", "qty", "qty_estimated"])
    frame["value_usd"] = frame["value_usd"] * scale
    frame.insert(0, "year", pd.array([YEAR] * len(frame), dtype="Int64"))
    frame["value_exporter_fob_usd"] = frame["value_usd"]
    frame["value_importer_cif_usd"] = frame["value_usd"]
    frame["value_importer_fob_usd"] = frame["value_usd"]
    frame["recon_rule"] = "both_weighted"
    frame["qty"] = frame["qty"].astype("float64")
    frame["qty_unit"] = np.where(frame["hs6"] == "870899", "kg", "u")
    frame["net_kg"] = frame["qty"]
    frame["qty_estimated"] = frame["qty_estimated"].astype("boolean")
    return frame


def totals_twice_the_lines(flows: pd.DataFrame) -> pd.DataFrame:
    """country_totals where every country's total is twice what its lines add up to (exports and imports),
    so every country trading is in the world and the totals keep the mix of the lines."""
    exports = flows.groupby("exporter")["value_usd"].sum().reindex(COUNTRIES, fill_value=0.0) * 2.0
    imports = flows.groupby("importer")["value_usd"].sum().reindex(COUNTRIES, fill_value=0.0) * 2.0
    rows = [(YEAR, c, "X", exports[c]) for c in COUNTRIES] + [(YEAR, c, "M", imports[c]) for c in COUNTRIES]
    return pd.DataFrame(rows, columns=["year", "country", "flow", "value_usd"])


def compute(rows, scale: float = 1.0) -> pd.DataFrame:
    flows = flows_frame(rows, scale)
    return compute_trade_indicators(flows, PRODUCT_GROUPS, totals_twice_the_lines(flows), REGIONS, YEAR)


@SETTINGS
@given(flow_rows, st.integers(-10, 10))
def test_bounds_partitions_and_scale_invariance_hold_for_any_world(rows, exponent):
    out = compute(rows)
    catalog = load_indicator_catalog()
    assert range_violations(out, catalog).empty
    assert non_finite(out).empty
    gl = out.loc[out["indicator"] == "grubel_lloyd", "value"].dropna()
    assert ((gl >= 0) & (gl <= 1)).all()
    tbi = out.loc[out["indicator"] == "trade_balance_index", "value"].dropna()
    assert ((tbi >= -1) & (tbi <= 1)).all()

    sources = out[(out["indicator"] == "import_source_share") & ~out["partner"].isin(AGGREGATES)]
    sums = sources.groupby(["country", "product_group"])["value"].sum(min_count=1).dropna()
    assert np.allclose(sums, 1.0)
    two_way = out[out["indicator"] == "two_way_trade_share"].dropna(subset=["value"])
    assert np.allclose(two_way.groupby(["country", "partner", "product_group"])["value"].sum(), 1.0)
    market = out[out["indicator"] == "world_market_share"].dropna(subset=["value"])
    in_scope = set(PRODUCT_GROUPS.loc[PRODUCT_GROUPS["in_scope"], "hs6"])
    # Market shares exist exactly when the world trades some good of the scope (a world of other goods has none).
    assert market.empty != any(row[2] in in_scope for row in rows)
    assert np.allclose(market.groupby("product_group")["value"].sum(), 1.0)

    # Scaling every value by a power of two is exact: shares and indices must not move, levels scale.
    scale = 2.0**exponent
    scaled = compute(rows, scale)
    pd.testing.assert_frame_equal(out.drop(columns="value"), scaled.drop(columns="value"))
    level = out["unit"].isin(["usd", "usd_per_item", "usd_per_kg"]).to_numpy()
    np.testing.assert_allclose(scaled["value"].to_numpy()[level], out["value"].to_numpy()[level] * scale, rtol=1e-12)
    np.testing.assert_allclose(scaled["value"].to_numpy()[~level], out["value"].to_numpy()[~level], rtol=1e-12)


@SETTINGS
@given(flow_rows.map(lambda rows: [r for r in rows if r[0] != "THA"]).filter(bool), st.floats(0.01, 100.0))
def test_rca_is_one_for_a_country_exporting_the_world_mix(rows, multiple):
    # THA exports every line in proportion to the rest of the world's exports of it, so its mix is the world's.
    others = pd.DataFrame(rows, columns=["exporter", "importer", "hs6", "value_usd", "qty", "qty_estimated"])
    # A world trading only goods outside the scope has no group to compare (no RCA row, by design).
    in_scope = set(PRODUCT_GROUPS.loc[PRODUCT_GROUPS["in_scope"], "hs6"])
    assume(others["hs6"].isin(in_scope).any())
    by_line = others.groupby("hs6")["value_usd"].sum()
    thai = [("THA", "USA", hs6, multiple * value, None, False) for hs6, value in by_line.items()]
    out = compute(rows + thai)
    rca = out[(out["indicator"] == "rca") & (out["country"] == "THA")]
    assert not rca.empty
    assert np.allclose(rca["value"], 1.0)
    assert (rca["variant"] == "country_totals").all()


@CHEAP
@given(st.lists(st.tuples(st.floats(0, 1e12), st.floats(0, 1e12)), min_size=1, max_size=20))
def test_grubel_lloyd_per_line_is_between_zero_and_one(pairs):
    lines = pd.DataFrame(pairs, columns=["exports", "imports"])
    gl = grubel_lloyd_by_hs6(lines)
    both_zero = (lines["exports"] + lines["imports"]) == 0
    assert gl[both_zero].isna().all()
    assert ((gl[~both_zero] >= 0) & (gl[~both_zero] <= 1)).all()


@CHEAP
@given(st.floats(1e-3, 1e9), st.floats(-0.9, 2.0), st.integers(1, 30))
def test_cagr_recovers_a_constant_growth_rate(start, rate, years):
    end = start * (1 + rate) ** years
    value, note = compound_annual_growth(pd.Series([start]), pd.Series([end]), years)
    assert value.iloc[0] == pytest.approx(100 * rate, abs=1e-6)
    assert note.isna().all()


@settings(max_examples=4, deadline=None, database=None)
@given(st.floats(1.0, 1e9), st.floats(-0.5, 1.0))
def test_panel_cagr_on_a_known_series(start, rate):
    years = list(range(2000, 2011))
    rows = pd.DataFrame(
        {
            "year": pd.array(years, dtype="Int64"),
            "country": "JPN",
            "partner": "THA",
            "product_group": "parts_accessories",
            "indicator": "exports_usd",
            "subtype": pd.Series([None] * len(years), dtype="str"),
            "variant": "reconciled",
            "value": [start * (1 + rate) ** (y - 2000) for y in years],
            "unit": "usd",
            "note": pd.Series([None] * len(years), dtype="str"),
        }
    )
    panel = build_indicator_panel(rows)
    growth = panel[panel["period"].notna()]
    assert set(growth["period"]) == {"2000-2005", "2005-2010", "2000-2010"}
    assert np.allclose(growth["value"], 100 * rate, atol=1e-6)
