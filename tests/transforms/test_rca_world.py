"""RCA, RSCA, world market share and trade intensity over one world of countries with a total (issue #14, item 1).

Everything below is HAND-WRITTEN (not real data). The comtrade_totals rows go through the real
country_totals rule (reported TOTAL/World, else mirrored from partners' TOTAL declarations), then the
indicators. Expected values are the arithmetic of the catalog formulas on the numbers written here.

The world of every case: countries with a total export in country_totals. Total exports (FOB):
JPN 1000, THA 400, IDN 300, USA 1500, MEX 800 → X_w = 4000 when all five have a total.
Group exports in trade_flows: cars JPN 300 (to USA), MEX 200 (to USA), THA 50 (to JPN) → 550;
parts JPN 100 (to THA), IDN 40 (to THA), MEX 60 (to USA) → 200.
"""

from __future__ import annotations

import pandas as pd
import pytest

from assets.transforms.harmonization.country_totals import country_totals_from_comtrade
from assets.transforms.indicators.trade_indicators import compute_trade_indicators
from assets.transforms.reference.country_codes import build_country_codes
from checks.indicators import indicator_schema
from tests.transforms.test_trade_indicators import PRODUCT_GROUPS, flows_frame, pick, regions_table

YEAR = 2015
M49 = {"JPN": "392", "THA": "764", "IDN": "360", "USA": "842", "MEX": "484", "WLD": "0"}

FLOWS = [
    ("JPN", "USA", "870323", 300.0, 10.0, "u", 15000.0, False),
    ("MEX", "USA", "870323", 200.0, 10.0, "u", 15000.0, False),
    ("THA", "JPN", "870323", 50.0, 2.0, "u", 3000.0, False),
    ("JPN", "THA", "870899", 100.0, 50.0, "kg", 50.0, False),
    ("IDN", "THA", "870899", 40.0, 20.0, "kg", 20.0, False),
    ("MEX", "USA", "870899", 60.0, 30.0, "kg", 30.0, False),
]
EXPORTS = {"JPN": 1000.0, "THA": 400.0, "IDN": 300.0, "USA": 1500.0, "MEX": 800.0}
IMPORTS = {"JPN": 900.0, "THA": 450.0, "IDN": 250.0, "USA": 2000.0, "MEX": 700.0}


def declaration(reporter: str, partner: str, flow: str, fob: float) -> dict:
    """A comtrade_totals TOTAL row declared FOB (no CIF value, so no CIF/FOB adjustment)."""
    return {"year": YEAR, "reporter_code": M49[reporter], "partner_code": M49[partner], "flow": flow,
            "cmd_code": "TOTAL", "is_world_partner": partner == "WLD", "value_usd": fob, "cif_usd": None, "fob_usd": fob}


# Bilateral TOTAL declarations naming IDN and MEX: THA and JPN import 200 + 100 = 300 from IDN, USA imports
# 800 from MEX — the same as IDN's and MEX's own export totals, so mirroring gives the reported value.
NAMING_IDN_MEX = [
    declaration("THA", "IDN", "M", 200.0),
    declaration("JPN", "IDN", "M", 100.0),
    declaration("USA", "MEX", "M", 800.0),
]


def comtrade_totals(reporters: list[str], bilateral: list[dict]) -> pd.DataFrame:
    rows = [declaration(c, "WLD", "X", EXPORTS[c]) for c in reporters]
    rows += [declaration(c, "WLD", "M", IMPORTS[c]) for c in reporters]
    frame = pd.DataFrame(rows + bilateral)
    return frame.astype({"year": "Int64", "is_world_partner": "boolean", "value_usd": "float64",
                         "cif_usd": "float64", "fob_usd": "float64"})


@pytest.fixture(scope="module")
def country_codes() -> pd.DataFrame:
    return build_country_codes(None)


def indicators(country_codes, reporters: list[str], bilateral: list[dict]) -> pd.DataFrame:
    totals = country_totals_from_comtrade(comtrade_totals(reporters, bilateral), country_codes)
    return compute_trade_indicators(flows_frame(FLOWS, YEAR), PRODUCT_GROUPS, totals, regions_table(), YEAR)


@pytest.fixture(scope="module")
def all_report(country_codes) -> pd.DataFrame:
    return indicators(country_codes, list(EXPORTS), NAMING_IDN_MEX)


@pytest.fixture(scope="module")
def idn_mex_mirrored(country_codes) -> pd.DataFrame:
    """IDN and MEX report no TOTAL row: their totals are mirrored from the declarations naming them."""
    return indicators(country_codes, ["JPN", "THA", "USA"], NAMING_IDN_MEX)


@pytest.fixture(scope="module")
def idn_mex_unknown(country_codes) -> pd.DataFrame:
    """IDN and MEX report nothing and nobody names them: they have no total at all."""
    return indicators(country_codes, ["JPN", "THA", "USA"], [])


def test_rca_over_the_world_of_countries_with_a_total(all_report):
    x_w = 1000 + 400 + 300 + 1500 + 800
    assert pick(all_report, "rca", "JPN", "WLD", "passenger_cars", "country_totals") == pytest.approx(
        (300 / 1000) / ((300 + 200 + 50) / x_w))  # 2.1818...
    assert pick(all_report, "rca", "IDN", "WLD", "parts_accessories", "country_totals") == pytest.approx(
        (40 / 300) / ((100 + 40 + 60) / x_w))  # 2.6667
    rca = (300 / 1000) / (550 / x_w)
    assert pick(all_report, "rca_symmetric", "JPN", "WLD", "passenger_cars", "country_totals") == pytest.approx(
        (rca - 1) / (rca + 1))
    assert pick(all_report, "world_market_share", "JPN", "WLD", "passenger_cars") == pytest.approx(300 / 550)
    # JPN sends all its cars to the USA; the USA takes 300 + 200 of the world's 550.
    assert pick(all_report, "trade_intensity", "JPN", "USA", "passenger_cars") == pytest.approx(
        (300 / 300) / (500 / 550))


def test_rca_does_not_move_when_the_missing_countries_are_mirrored(all_report, idn_mex_mirrored):
    keys = ["year", "country", "partner", "product_group", "indicator", "variant"]
    for indicator in ("rca", "rca_symmetric", "world_market_share", "trade_intensity"):
        a = all_report[all_report["indicator"] == indicator].set_index(keys)[["value", "world_countries"]]
        b = idn_mex_mirrored[idn_mex_mirrored["indicator"] == indicator].set_index(keys)[["value", "world_countries"]]
        assert len(a) > 0
        pd.testing.assert_frame_equal(a, b, rtol=1e-12)
    assert pick(idn_mex_mirrored, "rca", "MEX", "WLD", "parts_accessories", "country_totals") == pytest.approx(
        (60 / 800) / (200 / 4000))


def test_country_without_a_total_is_outside_the_world_never_a_partial_sum(idn_mex_unknown):
    out = idn_mex_unknown
    x_w = 1000 + 400 + 1500  # IDN and MEX have no total: they are not in the world
    x_w_cars = 300 + 50  # MEX's 200 of cars leave with it
    assert pick(out, "rca", "JPN", "WLD", "passenger_cars", "country_totals") == pytest.approx(
        (300 / 1000) / (x_w_cars / x_w))  # 2.4857, not 2.1818
    assert pick(out, "world_market_share", "JPN", "WLD", "passenger_cars") == pytest.approx(300 / 350)
    assert pick(out, "trade_intensity", "JPN", "USA", "passenger_cars") == pytest.approx((300 / 300) / (300 / 350))
    for indicator, variant in (("rca", "country_totals"), ("rca_symmetric", "country_totals"),
                               ("world_market_share", "reconciled")):
        assert pd.isna(pick(out, indicator, "MEX", "WLD", "passenger_cars", variant))
        assert pick(out, indicator, "MEX", "WLD", "passenger_cars", variant, column="note") == "no_country_total"
    assert pick(out, "trade_intensity", "IDN", "THA", "parts_accessories", column="note") == "no_country_total"
    assert pd.isna(pick(out, "exports_usd", "MEX", "WLD", "total_merchandise", "country_totals"))
    assert pick(out, "exports_usd", "MEX", "WLD", "total_merchandise", "country_totals", column="note") == "no_country_total"


def test_each_row_says_which_world_it_used(all_report, idn_mex_unknown):
    assert pick(all_report, "rca", "JPN", "WLD", "passenger_cars", "country_totals", column="world_countries") == 5
    assert pick(all_report, "rca", "JPN", "WLD", "passenger_cars", "country_totals",
                column="world_coverage_share") == pytest.approx(1.0)
    assert pick(idn_mex_unknown, "rca", "JPN", "WLD", "passenger_cars", "country_totals", column="world_countries") == 3
    # The world's countries export 350 of the 550 of cars in trade_flows.
    assert pick(idn_mex_unknown, "world_market_share", "JPN", "WLD", "passenger_cars",
                column="world_coverage_share") == pytest.approx(350 / 550)
    assert pick(idn_mex_unknown, "trade_intensity", "JPN", "USA", "passenger_cars",
                column="world_coverage_share") == pytest.approx(350 / 550)
    # Indicators not measured against a world carry none.
    assert pd.isna(pick(all_report, "exports_usd", "JPN", "THA", "parts_accessories", column="world_countries"))


def test_outputs_validate(all_report, idn_mex_unknown):
    indicator_schema.validate(all_report, lazy=True)
    indicator_schema.validate(idn_mex_unknown, lazy=True)
