"""Trade indicators on a hand-written ten-flow world: every formula against numbers worked out by hand.

The fixture below is HAND-WRITTEN (not real data). Expected values are written as the arithmetic a
reader can check against the FLOWS table, never taken from the code's output.
"""

from __future__ import annotations

import csv
import math

import numpy as np
import pandas as pd
import pytest

from assets.errors import RvcInputError
from assets.transforms.indicators.indicator_catalog import load_indicator_catalog, split_list
from assets.transforms.indicators.quality import missing_indicators, non_finite, range_violations
from assets.transforms.indicators.trade_indicators import compute_trade_indicators
from assets.transforms.indicators.trade_structure import grubel_lloyd_by_hs6
from checks.indicators import indicator_schema

YEAR = 2015

# Hand-written: exporter, importer, hs6, value_usd, qty, qty_unit, net_kg, qty_estimated
FLOWS = [
    ("JPN", "THA", "870899", 100.0, 50.0, "kg", 50.0, False),  # parts, UV 2 per kg
    ("THA", "JPN", "870899", 40.0, 16.0, "kg", 16.0, False),  # parts, UV 2.5 per kg
    ("JPN", "THA", "870323", 200.0, 10.0, "u", 15000.0, False),  # cars, UV 20 per item
    ("THA", "JPN", "870323", 10.0, 1.0, "u", 1500.0, False),  # cars, UV 10 per item
    ("JPN", "THA", "840734", 50.0, 5.0, "u", 900.0, False),  # engines, UV 10
    ("THA", "JPN", "840734", 45.0, 5.0, "u", 900.0, False),  # engines, UV 9
    ("JPN", "THA", "870710", 30.0, 3.0, "u", 600.0, True),  # bodies, estimated quantity
    ("THA", "JPN", "870710", 20.0, 2.0, "u", 400.0, False),  # bodies
    ("JPN", "IDN", "870899", 60.0, 20.0, "kg", 20.0, False),  # parts, UV 3 per kg
    ("JPN", "IDN", "870323", 90.0, 3.0, "u", 4500.0, False),  # cars, UV 30
    ("THA", "IDN", "870323", 50.0, 2.0, "u", 3000.0, False),  # cars, UV 25
    ("IDN", "THA", "870899", 30.0, 10.0, "kg", 10.0, False),  # parts
    ("USA", "THA", "870899", 20.0, 5.0, "kg", 5.0, False),  # parts
    ("JPN", "USA", "870323", 500.0, 20.0, "u", 30000.0, False),  # cars, UV 25
    ("JPN", "USA", "300490", 100.0, np.nan, "kg", 10.0, False),  # medicines: not automotive
]

# Hand-written product groups (hs6 → group, BEC stage).
PRODUCT_GROUPS = pd.DataFrame(
    {
        "hs6": ["870323", "870899", "840734", "870421", "870710", "300490"],
        "hs4": ["8703", "8708", "8407", "8704", "8707", "3004"],
        "product_group": ["passenger_cars", "parts_accessories", "engines", "commercial_vehicles", "bodies_chassis", "other"],
        "bec_stage": ["consumption", "parts_and_components", "parts_and_components", "capital",
                      "parts_and_components", "consumption"],
        "in_scope": [True, True, True, True, True, False],
    }
)

ASEAN_ACCESSION = {"IDN": 1967, "MYS": 1967, "PHL": 1967, "SGP": 1967, "THA": 1967, "BRN": 1984,
                   "VNM": 1995, "LAO": 1997, "MMR": 1997, "KHM": 1999}


def regions_table() -> pd.DataFrame:
    """Hand-written ASEAN (by accession year) and ASEAN10 (fixed) membership."""
    members = sorted(ASEAN_ACCESSION)
    accession = pd.DataFrame({"region": "ASEAN", "iso3": members,
                              "from_year": [ASEAN_ACCESSION[m] for m in members], "to_year": pd.NA})
    fixed = pd.DataFrame({"region": "ASEAN10", "iso3": members, "from_year": pd.NA, "to_year": pd.NA})
    return pd.concat([accession, fixed], ignore_index=True)


def flows_frame(rows=FLOWS, year: int = YEAR) -> pd.DataFrame:
    """trade_flows in the harmonization contract; both sides declared the reconciled value unless changed."""
    frame = pd.DataFrame(rows, columns=["exporter", "importer", "hs6", "value_usd", "qty", "qty_unit", "net_kg",
                                        "qty_estimated"])
    frame.insert(0, "year", pd.array([year] * len(frame), dtype="Int64"))
    frame["value_exporter_fob_usd"] = frame["value_usd"]
    frame["value_importer_cif_usd"] = frame["value_usd"] * 1.04
    frame["value_importer_fob_usd"] = frame["value_usd"]
    frame["recon_rule"] = "both_weighted"
    frame["qty_estimated"] = frame["qty_estimated"].astype("boolean")
    return frame


def totals_frame(exports: dict[str, float], year: int = YEAR) -> pd.DataFrame:
    rows = [(year, c, "X", v) for c, v in exports.items()] + [(year, c, "M", v / 2) for c, v in exports.items()]
    return pd.DataFrame(rows, columns=["year", "country", "flow", "value_usd"])


TOTALS = {"JPN": 2000.0, "THA": 500.0, "IDN": 300.0, "USA": 1000.0}


@pytest.fixture(scope="module")
def result() -> pd.DataFrame:
    return compute_trade_indicators(flows_frame(), PRODUCT_GROUPS, totals_frame(TOTALS), regions_table(), YEAR)


@pytest.fixture(scope="module")
def result_without_usa_total() -> pd.DataFrame:
    """USA has no total in country_totals (neither reported nor mirrored): it is outside the world."""
    totals = totals_frame({c: v for c, v in TOTALS.items() if c != "USA"})
    return compute_trade_indicators(flows_frame(), PRODUCT_GROUPS, totals, regions_table(), YEAR)


def pick(frame, indicator, country, partner, group, variant="reconciled", subtype=None, column="value"):
    rows = frame[(frame["indicator"] == indicator) & (frame["country"] == country) & (frame["partner"] == partner)
                 & (frame["product_group"] == group) & (frame["variant"] == variant)]
    rows = rows[rows["subtype"].isna()] if subtype is None else rows[rows["subtype"] == subtype]
    assert len(rows) == 1, f"expected one row for {indicator} {country} {partner} {group} {variant} {subtype}, got {len(rows)}"
    return rows[column].iloc[0]


# --- levels and balances ---------------------------------------------------------------------------------

def test_exports_and_imports_bilateral_and_aggregate(result):
    assert pick(result, "exports_usd", "JPN", "THA", "parts_accessories") == 100.0
    assert pick(result, "imports_usd", "THA", "JPN", "parts_accessories") == 100.0
    assert pick(result, "exports_usd", "JPN", "WLD", "all_automotive") == 100 + 200 + 50 + 30 + 60 + 90 + 500
    assert pick(result, "exports_usd", "JPN", "WLD", "parts_components_bec") == 100 + 50 + 30 + 60
    assert pick(result, "imports_usd", "THA", "ASEAN", "parts_accessories") == 30.0
    assert pick(result, "exports_usd", "THA", "ASEAN10", "passenger_cars") == 50.0
    # THA imports cars only from JPN: an explicit zero against ASEAN, not a missing row.
    assert pick(result, "imports_usd", "THA", "ASEAN", "passenger_cars") == 0.0


def test_non_automotive_lines_only_count_in_total_merchandise(result):
    assert pick(result, "exports_usd", "JPN", "USA", "all_automotive") == 500.0  # the 100 of medicines left out
    assert "other" not in set(result["product_group"])


def test_total_merchandise_from_country_totals_never_a_sum_of_lines(result_without_usa_total):
    out = result_without_usa_total
    assert pick(out, "exports_usd", "JPN", "WLD", "total_merchandise", variant="country_totals") == 2000.0
    assert pick(out, "imports_usd", "JPN", "WLD", "total_merchandise", variant="country_totals") == 1000.0
    # USA's lines (20 exported, 600 imported) are not its total: NaN with the reason.
    for indicator in ("exports_usd", "imports_usd", "trade_balance_index"):
        assert pd.isna(pick(out, indicator, "USA", "WLD", "total_merchandise", variant="country_totals"))
        assert pick(out, indicator, "USA", "WLD", "total_merchandise", variant="country_totals",
                    column="note") == "no_country_total"
    assert "flows_total" not in set(out["variant"])


def test_reported_and_mirror_variants_sum_the_declarations_that_exist():
    flows = flows_frame()
    jpn_parts = (flows["exporter"] == "JPN") & (flows["hs6"] == "870899")
    flows.loc[jpn_parts & (flows["importer"] == "IDN"), "value_exporter_fob_usd"] = np.nan
    flows.loc[(flows["exporter"] == "USA"), ["value_exporter_fob_usd", "value_importer_cif_usd",
                                            "value_importer_fob_usd"]] = np.nan
    out = compute_trade_indicators(flows, PRODUCT_GROUPS, totals_frame(TOTALS), regions_table(), YEAR)
    assert pick(out, "exports_usd", "JPN", "WLD", "parts_accessories", variant="reported") == 100.0
    assert pick(out, "exports_usd", "JPN", "WLD", "parts_accessories", variant="mirror") == 160.0
    assert pick(out, "imports_usd", "THA", "WLD", "parts_accessories", variant="reported") == pytest.approx((100 + 30) * 1.04)
    usa = (out["country"] == "USA") & (out["partner"] == "WLD") & (out["product_group"] == "parts_accessories")
    row = out[usa & (out["indicator"] == "exports_usd") & (out["variant"] == "reported")].iloc[0]
    assert math.isnan(row["value"]) and row["note"] == "not_reported"


def test_trade_balance_index(result):
    x, m = 40 + 10 + 45 + 20, 100 + 200 + 50 + 30
    assert pick(result, "trade_balance_index", "THA", "JPN", "all_automotive") == pytest.approx((x - m) / (x + m))
    assert pick(result, "trade_balance_index", "JPN", "USA", "passenger_cars") == 1.0
    tbi_total = (2000 - 1000) / (2000 + 1000)
    assert pick(result, "trade_balance_index", "JPN", "WLD", "total_merchandise", variant="country_totals") == pytest.approx(tbi_total)


def test_zero_denominator_gives_nan_with_note_never_inf(result):
    # USA trades passenger cars (imports from JPN) but none with ASEAN: X + M = 0.
    value = pick(result, "trade_balance_index", "USA", "ASEAN", "passenger_cars")
    note = pick(result, "trade_balance_index", "USA", "ASEAN", "passenger_cars", column="note")
    assert math.isnan(value) and note == "zero_denominator"
    assert not np.isinf(result["value"]).any()


# --- intra-industry trade ---------------------------------------------------------------------------------

def test_grubel_lloyd_per_hs6_line():
    lines = pd.DataFrame({"exports": [100.0, 0.0, 50.0, 0.0], "imports": [40.0, 10.0, 50.0, 0.0]})
    gl = grubel_lloyd_by_hs6(lines)
    assert gl.iloc[0] == pytest.approx(1 - 60 / 140)
    assert gl.iloc[1] == 0.0 and gl.iloc[2] == 1.0 and math.isnan(gl.iloc[3])


def test_grubel_lloyd_trade_weighted_over_group(result):
    assert pick(result, "grubel_lloyd", "JPN", "THA", "parts_accessories") == pytest.approx(1 - 60 / 140)
    gaps = abs(100 - 40) + abs(200 - 10) + abs(50 - 45) + abs(30 - 20)
    trade = 140 + 210 + 95 + 50
    assert pick(result, "grubel_lloyd", "JPN", "THA", "all_automotive") == pytest.approx(1 - gaps / trade)
    # Same as the trade-weighted mean of the HS6 indices.
    weighted = (140 * (1 - 60 / 140) + 210 * (1 - 190 / 210) + 95 * (1 - 5 / 95) + 50 * (1 - 10 / 50)) / trade
    assert pick(result, "grubel_lloyd", "JPN", "THA", "all_automotive") == pytest.approx(weighted)
    # Against WLD the HS6 flows are summed first: THA parts X = 40, M = 100 + 30 + 20.
    assert pick(result, "grubel_lloyd", "THA", "WLD", "parts_accessories") == pytest.approx(1 - 110 / 190)


def test_two_way_trade_types_fontagne_freudenberg(result):
    def share(country, partner, group, subtype):
        return pick(result, "two_way_trade_share", country, partner, group, subtype=subtype)

    # JPN-THA lines: parts two-way (40/100 > 10 %), UV 2 vs 2.5 → ratio 0.8 < 1/1.15 → vertical_down for JPN;
    # cars one-way (10/200 = 5 %); engines UV 10 vs 9 → 1.11 → horizontal; bodies two-way, estimated qty → unclassified.
    total = 140 + 210 + 95 + 50
    assert share("JPN", "THA", "all_automotive", "vertical_down") == pytest.approx(140 / total)
    assert share("JPN", "THA", "all_automotive", "one_way") == pytest.approx(210 / total)
    assert share("JPN", "THA", "all_automotive", "horizontal") == pytest.approx(95 / total)
    assert share("JPN", "THA", "all_automotive", "two_way_unclassified") == pytest.approx(50 / total)
    assert share("JPN", "THA", "all_automotive", "vertical_up") == 0.0
    # Seen from Thailand the same parts line is vertical_up (2.5 / 2 = 1.25 > 1.15).
    assert share("THA", "JPN", "parts_accessories", "vertical_up") == 1.0
    assert share("THA", "JPN", "parts_accessories", "vertical_down") == 0.0


# --- comparative advantage and market shares -------------------------------------------------------------

def test_rca_balassa_with_country_totals(result):
    x_w_parts = 100 + 40 + 60 + 30 + 20
    x_w_total = 2000 + 500 + 300 + 1000
    expected = ((100 + 60) / 2000) / (x_w_parts / x_w_total)
    assert pick(result, "rca", "JPN", "WLD", "parts_accessories", variant="country_totals") == pytest.approx(expected)
    assert pick(result, "rca_symmetric", "JPN", "WLD", "parts_accessories", variant="country_totals") == pytest.approx(
        (expected - 1) / (expected + 1))
    # THA imports passenger cars only from JPN but exports some: rca from its own exports.
    x_w_cars = 200 + 10 + 90 + 50 + 500
    assert pick(result, "rca", "THA", "WLD", "passenger_cars", variant="country_totals") == pytest.approx(
        ((10 + 50) / 500) / (x_w_cars / x_w_total))


def test_rca_without_country_total_is_nan_and_outside_the_world(result_without_usa_total):
    out = result_without_usa_total
    assert pd.isna(pick(out, "rca", "USA", "WLD", "parts_accessories", variant="country_totals"))
    assert pick(out, "rca", "USA", "WLD", "parts_accessories", variant="country_totals", column="note") == "no_country_total"
    # The world is JPN, THA, IDN: the USA's total and its 20 of parts exports both leave it.
    x_w_total = 2000 + 500 + 300
    x_w_parts = 100 + 40 + 60 + 30
    assert pick(out, "rca", "JPN", "WLD", "parts_accessories", variant="country_totals") == pytest.approx(
        ((100 + 60) / 2000) / (x_w_parts / x_w_total))
    assert pick(out, "rca", "JPN", "WLD", "parts_accessories", variant="country_totals", column="world_countries") == 3


def test_world_market_share(result):
    assert pick(result, "world_market_share", "JPN", "WLD", "parts_accessories") == pytest.approx(160 / 250)
    assert pick(result, "world_market_share", "USA", "WLD", "passenger_cars") == 0.0


def test_import_source_share_partition(result):
    assert pick(result, "import_source_share", "THA", "JPN", "parts_accessories") == pytest.approx(100 / 150)
    assert pick(result, "import_source_share", "THA", "ASEAN", "parts_accessories") == pytest.approx(30 / 150)
    bilateral = result[(result["indicator"] == "import_source_share") & (result["country"] == "THA")
                       & (result["product_group"] == "parts_accessories")
                       & ~result["partner"].isin(["WLD", "ASEAN", "ASEAN10"])]
    assert bilateral["value"].sum() == pytest.approx(1.0)


def test_trade_intensity(result):
    # JPN parts to THA: 100 of JPN's 160; THA takes 150 of world parts exports of 250.
    assert pick(result, "trade_intensity", "JPN", "THA", "parts_accessories") == pytest.approx((100 / 160) / (150 / 250))
    asean_imports = 150 + 60  # THA and IDN parts imports
    assert pick(result, "trade_intensity", "JPN", "ASEAN", "parts_accessories") == pytest.approx(
        (160 / 160) / (asean_imports / 250))


def test_partner_hhi(result):
    assert pick(result, "partner_hhi", "JPN", "WLD", "parts_accessories") == pytest.approx((100 / 160) ** 2 + (60 / 160) ** 2)
    assert pick(result, "partner_hhi", "USA", "WLD", "parts_accessories") == 1.0
    assert pick(result, "partner_hhi", "USA", "WLD", "passenger_cars", column="note") == "zero_denominator"


def test_intra_asean_share(result):
    intra = 30.0  # IDN → THA parts
    members_exports = 40 + 30  # THA, IDN parts exports
    members_imports = 150 + 60  # THA, IDN parts imports
    expected = 2 * intra / (members_exports + members_imports)
    assert pick(result, "intra_asean_share", "ASEAN", "ASEAN", "parts_accessories", variant="accession_year") == pytest.approx(expected)
    assert pick(result, "intra_asean_share", "ASEAN10", "ASEAN10", "parts_accessories", variant="fixed_asean10") == pytest.approx(expected)


def test_accession_year_membership_before_vietnam_joined():
    rows = [("THA", "VNM", "870323", 10.0, 1.0, "u", 1.0, False), ("THA", "JPN", "870323", 30.0, 1.0, "u", 1.0, False)]
    out = compute_trade_indicators(flows_frame(rows, 1994), PRODUCT_GROUPS, totals_frame({}, 1994), regions_table(), 1994)
    assert pick(out, "exports_usd", "THA", "ASEAN", "passenger_cars") == 0.0  # VNM joined in 1995
    assert pick(out, "exports_usd", "THA", "ASEAN10", "passenger_cars") == 10.0
    assert pick(out, "intra_asean_share", "ASEAN", "ASEAN", "passenger_cars", variant="accession_year") == 0.0
    assert pick(out, "intra_asean_share", "ASEAN10", "ASEAN10", "passenger_cars", variant="fixed_asean10") == pytest.approx(
        2 * 10 / (40 + 10))


def test_parts_to_vehicles_ratio(result):
    components, vehicles = 100 + 50 + 30, 200  # THA imports from JPN: parts + engines + bodies vs cars
    assert pick(result, "parts_to_vehicles_ratio", "THA", "JPN", "all_automotive") == pytest.approx(
        components / (components + vehicles))
    assert pick(result, "parts_to_vehicles_ratio", "JPN", "USA", "all_automotive", column="note") == "zero_denominator"


# --- unit values -----------------------------------------------------------------------------------------

def test_unit_values_in_matching_units(result):
    assert pick(result, "unit_value_usd", "JPN", "THA", "passenger_cars") == 20.0
    assert pick(result, "unit_value_usd", "JPN", "THA", "passenger_cars", column="unit") == "usd_per_item"
    assert pick(result, "unit_value_usd", "JPN", "THA", "parts_accessories") == 2.0
    assert pick(result, "unit_value_usd", "JPN", "THA", "parts_accessories", column="unit") == "usd_per_kg"
    assert pick(result, "unit_value_usd", "JPN", "WLD", "parts_accessories") == pytest.approx((100 + 60) / (50 + 20))
    # The only JPN→THA bodies flow has an estimated quantity: excluded, so no unit value.
    assert pick(result, "unit_value_usd", "JPN", "THA", "bodies_chassis", column="note") == "no_quantity"


def test_relative_unit_values(result):
    # Cars to IDN: THA 50 / 2 = 25 per item, JPN 90 / 3 = 30; median of the two exporters 27.5.
    assert pick(result, "relative_unit_value", "THA", "IDN", "passenger_cars", variant="vs_jpn") == pytest.approx(25 / 30)
    assert pick(result, "relative_unit_value", "THA", "IDN", "passenger_cars", variant="vs_world_median") == pytest.approx(25 / 27.5)
    # Japan never exports to Japan: THA→JPN cars have no reference.
    assert pick(result, "relative_unit_value", "THA", "JPN", "passenger_cars", variant="vs_jpn", column="note") == "no_reference_value"


# --- output contract -------------------------------------------------------------------------------------

def test_output_validates_against_schema_and_catalog(result):
    indicator_schema.validate(result, lazy=True)
    catalog = load_indicator_catalog()
    units = {row.indicator: set(row.unit.split("|")) for row in catalog.itertuples()}
    for (indicator, unit), _ in result.groupby(["indicator", "unit"]):
        assert unit in units[indicator], (indicator, unit)
    trade = set(catalog.loc[catalog["source"] == "trade", "indicator"])
    assert set(result["indicator"]) == trade
    assert range_violations(result, catalog).empty
    assert non_finite(result).empty


def test_output_is_deterministic_and_independent_of_row_order(result):
    shuffled = flows_frame().sample(frac=1.0, random_state=7).reset_index(drop=True)
    again = compute_trade_indicators(shuffled, PRODUCT_GROUPS.iloc[::-1], totals_frame(TOTALS), regions_table(), YEAR)
    pd.testing.assert_frame_equal(result, again)


def test_self_trade_is_left_out():
    rows = FLOWS + [("THA", "THA", "870899", 999.0, 1.0, "kg", 1.0, False)]
    out = compute_trade_indicators(flows_frame(rows), PRODUCT_GROUPS, totals_frame(TOTALS), regions_table(), YEAR)
    assert pick(out, "exports_usd", "THA", "WLD", "parts_accessories") == 40.0
    assert not ((out["country"] == "THA") & (out["partner"] == "THA")).any()


def test_empty_year_gives_empty_frame_with_columns():
    out = compute_trade_indicators(flows_frame([]), PRODUCT_GROUPS, totals_frame({}), regions_table(), YEAR)
    assert out.empty
    indicator_schema.validate(out)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda f, p, r: (f.drop(columns=["qty_unit"]), p, r), "qty_unit"),
        (lambda f, p, r: (f.assign(year=pd.array([2016] * len(f), dtype="Int64")), p, r), "2016"),
        (lambda f, p, r: (f.assign(value_usd=-f["value_usd"]), p, r), "non-negative"),
        (lambda f, p, r: (f, pd.concat([p, p.iloc[:1]]), r), "870323"),
        (lambda f, p, r: (f, p, r[r["region"] != "ASEAN10"]), "ASEAN10"),
    ],
    ids=["missing_column", "other_year", "negative_value", "duplicate_hs6", "unknown_region"],
)
def test_bad_inputs_raise_errors_naming_the_problem(mutate, message):
    flows, groups, regions = mutate(flows_frame(), PRODUCT_GROUPS, regions_table())
    with pytest.raises(RvcInputError, match=message):
        compute_trade_indicators(flows, groups, totals_frame(TOTALS), regions, YEAR)


# --- check helpers ---------------------------------------------------------------------------------------

def test_range_violations_flag_out_of_bounds_values(result):
    catalog = load_indicator_catalog()
    broken = result.copy()
    gl = broken.index[broken["indicator"] == "grubel_lloyd"][0]
    tbi = broken.index[broken["indicator"] == "trade_balance_index"][0]
    share = broken.index[broken["indicator"] == "import_source_share"][0]
    broken.loc[gl, "value"] = 1.2
    broken.loc[tbi, "value"] = -1.5
    broken.loc[share, "value"] = 1.0 + 1e-12  # float rounding is tolerated
    flagged = range_violations(broken, catalog)
    assert sorted(flagged["indicator"]) == ["grubel_lloyd", "trade_balance_index"]
    assert set(flagged["upper"]) == {1.0}


def test_missing_indicators_reports_a_dropped_indicator(result):
    catalog = load_indicator_catalog()
    assert missing_indicators(result, ["JPN", "THA", "IDN", "USA"], catalog).empty
    dropped = result[~((result["country"] == "THA") & (result["indicator"] == "grubel_lloyd"))]
    missing = missing_indicators(dropped, ["JPN", "THA"], catalog)
    assert set(missing["country"]) == {"THA"} and set(missing["indicator"]) == {"grubel_lloyd"}
    groups_traded = set(result.loc[(result["country"] == "THA") & (result["indicator"] == "grubel_lloyd"), "product_group"])
    assert set(missing["product_group"]) == groups_traded


def test_non_finite_flags_inf_and_unexplained_nan(result):
    broken = result.copy()
    broken.loc[0, "value"] = np.inf
    broken.loc[1, ["value", "note"]] = [np.nan, np.nan]
    assert list(non_finite(broken).index) == [0, 1]


def test_catalog_lists_every_indicator_with_definition_formula_unit_reference():
    catalog = load_indicator_catalog()
    for column in ("definition", "formula", "unit", "inputs", "reference"):
        assert (catalog[column].str.len() > 0).all(), column
    assert catalog["indicator"].str.fullmatch(r"[a-z][a-z0-9_]*").all()
    assert set(catalog.loc[catalog["growth"], "indicator"]) == {"exports_usd", "imports_usd", "unit_value_usd"}
    assert split_list(catalog.set_index("indicator").loc["two_way_trade_share", "subtypes"]) == [
        "horizontal", "vertical_up", "vertical_down", "two_way_unclassified", "one_way"]


# --- real data: Comtrade TOTAL/World rows as RCA denominators ---------------------------------------------

@pytest.mark.real_data
def test_real_comtrade_totals_as_rca_denominators(real_data_dir):
    path = real_data_dir / "comtrade_legacy" / "legacy_TOTAL_2017_allreporters_world_asreported.csv"
    flow_codes = {"1": "M", "2": "X", "3": "RX", "4": "RM"}
    rows = []
    with path.open(encoding="utf-8", newline="") as handle:
        for record in csv.DictReader(handle):
            rows.append((2017, record["Reporter ISO"], flow_codes[record["Trade Flow Code"]],
                         float(record["Trade Value (US$)"])))
    totals = pd.DataFrame(rows, columns=["year", "country", "flow", "value_usd"])
    exports = {c: v for _, c, f, v in rows if f == "X"}
    assert "THA" not in exports and "JPN" in exports  # the file's quirk: Thailand did not report in time

    flows = flows_frame([
        ("JPN", "THA", "870899", 2.0e9, 1.0e8, "kg", 1.0e8, False),
        ("THA", "JPN", "870899", 0.9e9, 4.0e7, "kg", 4.0e7, False),
        ("THA", "MYS", "870323", 1.1e9, 5.0e4, "u", 7.0e7, False),
    ], 2017)
    out = compute_trade_indicators(flows, PRODUCT_GROUPS, totals, regions_table(), 2017)

    assert pick(out, "exports_usd", "JPN", "WLD", "total_merchandise", variant="country_totals") == exports["JPN"]
    # Thailand has no total in the file: NaN with the reason, never the sum of its two lines.
    assert pick(out, "exports_usd", "THA", "WLD", "total_merchandise", variant="country_totals",
                column="note") == "no_country_total"
    # Re-exports (RX) never enter the denominator: X_w sums the reporters' X rows; THA is outside the world,
    # so its 0.9e9 of parts leaves x_wg too.
    x_w = sum(exports.values())
    x_w_parts = 2.0e9
    assert pick(out, "rca", "JPN", "WLD", "parts_accessories", variant="country_totals") == pytest.approx(
        (2.0e9 / exports["JPN"]) / (x_w_parts / x_w))
    assert pick(out, "rca", "JPN", "WLD", "parts_accessories", variant="country_totals",
                column="world_countries") == len(exports)
    assert pick(out, "rca", "THA", "WLD", "parts_accessories", variant="country_totals", column="note") == "no_country_total"
