"""Mirror-flow reconciliation on hand-made pairs: weights as the formula says, one-sided pairs, reconciliation
per HS chapter (no double counting across lines), wild discrepancies, CIF→FOB (flat and the chapter median
without the judged flow), reliability as BACI's exporter/importer effects, and identical output on two runs.

All frames here are hand-written; the expected numbers are computed in the test from the formulas
in the module docstring (docs/methods.md, "Mirror reconciliation"), never read back from the code's output.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assets.errors import RvcInputError
from assets.transforms.harmonization.reconciliation import (
    FLAT_CIF_FOB_RATIO,
    GROUP_KEYS,
    INPUT_COLUMNS,
    RECON_RULES,
    TRADE_FLOWS_COLUMNS,
    estimate_cif_fob_ratios,
    estimate_reliability,
    pair_reports,
    reconcile_mirror_flows,
)
from checks.harmonization import trade_flows_schema


def record(reporter, partner, flow, value, *, hs6="870323", year=2017, qty=None, unit=None, net_kg=None,
           estimated=False, vintage="H5", weight=1.0) -> dict:
    return {"year": year, "reporter": reporter, "partner": partner, "flow": flow, "hs6": hs6, "value_usd": value,
            "qty": qty, "qty_unit": unit, "net_kg": net_kg, "qty_estimated": estimated, "hs_vintage": vintage,
            "conversion_weight": weight}


def flows(*records: dict) -> pd.DataFrame:
    return pd.DataFrame(list(records), columns=INPUT_COLUMNS).astype({"year": "Int64", "qty_estimated": "boolean"})


def reliability(**sigma: float) -> pd.DataFrame:
    """Hand-made reliability table: keys like JPN_X=0.04, THA_M=0.01 (σ; the weights use 1/σ)."""
    rows = [{"reporter": k[:3], "flow": k[4:], "n_pairs": 50, "sigma": v, "reliability_source": "own"}
            for k, v in sigma.items()]
    return pd.DataFrame(rows)


def only_row(frame: pd.DataFrame) -> pd.Series:
    assert len(frame) == 1
    return frame.iloc[0]


# Both sides report


def test_both_report_weighted_by_reliability_formula():
    data = flows(record("JPN", "THA", "X", 100.0), record("THA", "JPN", "M", 110.0))
    out = only_row(reconcile_mirror_flows(data, reliability=reliability(JPN_X=0.04, THA_M=0.01)))

    w = (1 / 0.04) / (1 / 0.04 + 1 / 0.01)  # = 0.2: the importer reports more consistently
    importer_fob = 110.0 / FLAT_CIF_FOB_RATIO
    assert out["recon_rule"] == "both_weighted"
    assert out["exporter_weight"] == pytest.approx(w)
    assert out["value_usd"] == pytest.approx(w * 100.0 + (1 - w) * importer_fob)
    assert 100.0 <= out["value_usd"] <= importer_fob
    assert (out["exporter"], out["importer"]) == ("JPN", "THA")
    assert out["value_exporter_fob_usd"] == 100.0 and out["value_importer_cif_usd"] == 110.0
    assert out["value_importer_fob_usd"] == pytest.approx(importer_fob)


def test_equal_reliability_gives_the_midpoint_and_exporter_quantities():
    data = flows(
        record("JPN", "THA", "X", 100.0, qty=10, unit="u", net_kg=12_000.0),
        record("THA", "JPN", "M", 104.0, qty=11, unit="u", net_kg=13_000.0, estimated=True),
    )
    out = only_row(reconcile_mirror_flows(data, reliability=reliability(JPN_X=0.5, THA_M=0.5)))

    assert out["exporter_weight"] == pytest.approx(0.5)
    assert out["value_usd"] == pytest.approx(100.0)  # 104 / 1.04 = 100: both sides agree after CIF→FOB
    assert (out["qty"], out["qty_unit"], out["net_kg"], out["qty_estimated"]) == (10, "u", 12_000.0, False)


def test_quantities_follow_the_more_reliable_side_and_fall_back():
    data = flows(
        record("JPN", "THA", "X", 100.0, qty=10, unit="u"),
        record("THA", "JPN", "M", 110.0, qty=11, unit="u", net_kg=13_000.0),
    )
    out = only_row(reconcile_mirror_flows(data, reliability=reliability(JPN_X=1.0, THA_M=0.1)))

    assert out["exporter_weight"] < 0.5
    assert (out["qty"], out["qty_unit"]) == (11, "u")
    assert out["net_kg"] == 13_000.0

    # The importer is preferred but reports no quantity: take the exporter's rather than none.
    data = flows(record("JPN", "THA", "X", 100.0, qty=10, unit="u"), record("THA", "JPN", "M", 110.0))
    out = only_row(reconcile_mirror_flows(data, reliability=reliability(JPN_X=1.0, THA_M=0.1)))
    assert (out["qty"], out["qty_unit"]) == (10, "u")


def test_vintages_of_both_sides_are_kept():
    data = flows(record("JPN", "THA", "X", 100.0, vintage="H4"), record("THA", "JPN", "M", 110.0, vintage="H5"))
    assert only_row(reconcile_mirror_flows(data))["hs_vintage"] == "H4|H5"
    data = flows(record("JPN", "THA", "X", 100.0, vintage="H5"), record("THA", "JPN", "M", 110.0, vintage="H5"))
    assert only_row(reconcile_mirror_flows(data))["hs_vintage"] == "H5"


# One side reports


def test_exporter_only():
    out = only_row(reconcile_mirror_flows(flows(record("JPN", "MMR", "X", 70.0, qty=3, unit="u"))))

    assert out["recon_rule"] == "exporter_only"
    assert out["value_usd"] == 70.0 and out["exporter_weight"] == 1.0
    assert pd.isna(out["value_importer_cif_usd"]) and pd.isna(out["value_importer_fob_usd"])
    assert pd.isna(out["cif_fob_ratio"])
    assert out["qty"] == 3


def test_importer_only_is_fob_adjusted_and_gives_mirror_exports():
    # Laos does not report: its exports to Thailand come from Thailand's imports.
    out = only_row(reconcile_mirror_flows(flows(record("THA", "LAO", "M", 52.0, qty=2, unit="u"))))

    assert (out["exporter"], out["importer"]) == ("LAO", "THA")
    assert out["recon_rule"] == "importer_only_fob_adjusted"
    assert out["value_usd"] == pytest.approx(52.0 / FLAT_CIF_FOB_RATIO)
    assert out["exporter_weight"] == 0.0 and pd.isna(out["value_exporter_fob_usd"])
    assert out["cif_fob_ratio"] == FLAT_CIF_FOB_RATIO
    assert out["qty"] == 2


# Wildly discrepant


@pytest.mark.parametrize(
    "sigma, rule, side",
    [
        ({"JPN_X": 0.01, "THA_M": 0.5}, "both_discrepant_exporter", "value_exporter_fob_usd"),
        ({"JPN_X": 0.5, "THA_M": 0.01}, "both_discrepant_importer", "value_importer_fob_usd"),
    ],
)
def test_wild_discrepancy_takes_the_more_reliable_side(sigma, rule, side):
    # 2080 / 1.04 = 2000 = 20 × the exporter's 100: beyond the factor 10.
    data = flows(record("JPN", "THA", "X", 100.0), record("THA", "JPN", "M", 2080.0))
    out = only_row(reconcile_mirror_flows(data, reliability=reliability(**sigma)))

    assert out["recon_rule"] == rule
    assert out["value_usd"] == pytest.approx(out[side])
    assert out["exporter_weight"] == (1.0 if rule.endswith("exporter") else 0.0)


def test_just_within_the_threshold_is_still_weighted():
    data = flows(record("JPN", "THA", "X", 100.0), record("THA", "JPN", "M", 1000.0))  # 961.5 FOB < 10 × 100
    assert only_row(reconcile_mirror_flows(data))["recon_rule"] == "both_weighted"


# CIF → FOB


def test_flat_ratio_is_configurable():
    data = flows(record("THA", "LAO", "M", 110.0))
    out = only_row(reconcile_mirror_flows(data, flat_cif_fob_ratio=1.10))
    assert out["value_importer_fob_usd"] == pytest.approx(100.0)


def _chapter_year(own_ratio: float, other_ratios: list[float], **kwargs) -> pd.DataFrame:
    """JPN→THA (the flow being judged) with CIF/FOB = own_ratio; one other pair of chapter 87 per other ratio."""
    records = [record("JPN", "THA", "X", 100_000.0), record("THA", "JPN", "M", 100_000.0 * own_ratio)]
    for k, ratio in enumerate(other_ratios):
        exporter, importer = ["KOR", "CHN", "USA", "DEU", "FRA", "ITA", "GBR", "IND"][k], "VNM"
        records += [record(exporter, importer, "X", 200_000.0), record(importer, exporter, "M", 200_000.0 * ratio)]
    return estimate_cif_fob_ratios(pair_reports(flows(*records)), "chapter_median", **kwargs).set_index(["exporter", "importer"])


def test_chapter_median_leaves_the_judged_flow_out():
    # JPN→THA declares CIF 1.50 × FOB; the five other pairs of chapter 87: 1.02 1.03 1.05 1.06 1.08.
    out = _chapter_year(1.50, [1.02, 1.03, 1.05, 1.06, 1.08])
    judged = out.loc[("JPN", "THA")]
    assert judged["cif_fob_ratio"] == pytest.approx(1.05)  # median of the other five, never its own 1.50
    assert judged["cif_fob_source"] == "chapter_median"
    assert judged["value_importer_fob_usd"] == pytest.approx(150_000.0 / 1.05)
    # KOR→VNM (1.02) is judged by JPN→THA and the other four: 1.03 1.05 1.06 1.08 1.50 → 1.06.
    assert out.loc[("KOR", "VNM"), "cif_fob_ratio"] == pytest.approx(1.06)


def test_chapter_median_is_capped_at_20_percent_and_needs_five_other_pairs():
    out = _chapter_year(1.30, [1.30, 1.40, 1.50, 1.60, 1.70])
    assert out.loc[("JPN", "THA"), "cif_fob_ratio"] == pytest.approx(1.20)  # median 1.50, capped
    assert out.loc[("JPN", "THA"), "cif_fob_source"] == "chapter_median_capped"
    below = _chapter_year(0.90, [0.95, 0.97, 0.99, 0.98, 0.96])
    assert below.loc[("JPN", "THA"), "cif_fob_ratio"] == 1.0  # an importer never declares below FOB
    few = _chapter_year(1.50, [1.02, 1.03, 1.05, 1.06])  # four other pairs
    assert few.loc[("JPN", "THA"), "cif_fob_ratio"] == FLAT_CIF_FOB_RATIO
    assert few.loc[("JPN", "THA"), "cif_fob_source"] == "flat"


def test_chapter_median_ignores_small_flows_and_imports_declared_fob():
    records = [record("JPN", "THA", "X", 100_000.0), record("THA", "JPN", "M", 150_000.0)]
    for exporter, ratio in [("KOR", 1.02), ("CHN", 1.03), ("USA", 1.05), ("DEU", 1.06), ("FRA", 1.08)]:
        records += [record(exporter, "VNM", "X", 200_000.0), record("VNM", exporter, "M", 200_000.0 * ratio)]
    records += [record("ITA", "VNM", "X", 9_000.0), record("VNM", "ITA", "M", 9_000.0 * 1.9)]  # < USD 10,000
    fob = [record("GBR", "VNM", "X", 200_000.0), record("VNM", "GBR", "M", 200_000.0 * 1.9)]  # declared FOB
    data = flows(*records, *fob)
    data["value_basis"] = ["CIF"] * (len(data) - 1) + ["FOB"]
    out = estimate_cif_fob_ratios(pair_reports(data), "chapter_median").set_index(["exporter", "importer"])
    assert out.loc[("JPN", "THA"), "cif_fob_ratio"] == pytest.approx(1.05)  # still the median of the five


def test_cif_fob_method_must_be_known():
    with pytest.raises(RvcInputError, match="cif_fob method 'gravity'"):
        reconcile_mirror_flows(flows(record("JPN", "THA", "X", 1.0)), cif_fob="gravity")


# Reliability: BACI's exporter and importer effects (issue 13, item 3)

MILLION = 1_000_000.0


def _four_countries(importer_factor: dict[str, float]) -> pd.DataFrame:
    """A, B, C, D trade USD 3,000 million with each other; exports exact, each importer's CIF declaration is
    the true FOB value × 1.04 (flat CIF/FOB) × its factor."""
    records = []
    for exporter in "ABCD":
        for importer in "ABCD":
            if exporter != importer:
                records += [record(exporter, importer, "X", 3_000 * MILLION),
                            record(importer, exporter, "M", 3_000 * MILLION * 1.04 * importer_factor.get(importer, 1.0))]
    return flows(*records)


def test_an_importer_over_declaring_twice_is_found_and_the_exact_exporter_is_believed():
    # B declares its imports ×2; A, C and D are exact. The mean squared discrepancy per reporter rated A's exports as
    # unreliable too (A→B is off), giving A→B = 0.75 × 3,000 + 0.25 × 6,000 = 3,750; the decomposition puts
    # the whole discrepancy on B's imports.
    data = _four_countries({"B": 2.0})
    table = estimate_reliability(estimate_cif_fob_ratios(pair_reports(data)), min_pairs=3).set_index(["reporter", "flow"])
    assert table.loc[("B", "M"), "effect"] == pytest.approx(math.log(2.0), abs=1e-9)  # |ln(6,000 / 3,000)|
    for reporter, flow in [("A", "X"), ("B", "X"), ("C", "X"), ("D", "X"), ("A", "M"), ("C", "M"), ("D", "M")]:
        assert table.loc[(reporter, flow), "effect"] == pytest.approx(0.0, abs=1e-9)
        assert table.loc[(reporter, flow), "sigma"] == 0.01  # floored
    assert table.loc[("B", "M"), "n_pairs"] == 3 and table.loc[("B", "M"), "reliability_source"] == "own"

    out = reconcile_mirror_flows(data, min_pairs=3).set_index(["exporter", "importer"])
    # w = (1/0.01) / (1/0.01 + 1/ln 2): the σ floor of 0.01 leaves B's report a weight of
    # 0.01 / (0.01 + 0.693) = 1.4 %, so A→B is 3,000 + 3,000 × 0.014 ≈ 3,043 million; tolerance 1.5 %, the
    # floor's doing (without it the weight on B would be 0 and A→B exactly 3,000).
    w = (1 / 0.01) / (1 / 0.01 + 1 / math.log(2.0))
    assert out.loc[("A", "B"), "exporter_weight"] == pytest.approx(w)
    assert out.loc[("A", "B"), "value_usd"] == pytest.approx(3_000 * MILLION, rel=0.015)
    assert out.loc[("A", "B"), "value_usd"] == pytest.approx(w * 3_000 * MILLION + (1 - w) * 6_000 * MILLION)
    assert out.loc[("A", "C"), "value_usd"] == pytest.approx(3_000 * MILLION)


def test_flows_under_usd_10000_do_not_inform_reliability():
    small = flows(record("JPN", "THA", "X", 9_000.0), record("THA", "JPN", "M", 9_000.0 * 1.04 * 3))
    table = estimate_reliability(estimate_cif_fob_ratios(pair_reports(small)), min_pairs=1)
    assert table["n_pairs"].tolist() == [0, 0]
    assert table["reliability_source"].tolist() == ["default", "default"] and table["sigma"].tolist() == [1.0, 1.0]


def test_perfect_agreement_is_floored_and_reporters_with_few_pairs_get_the_median():
    data = _four_countries({})
    table = estimate_reliability(estimate_cif_fob_ratios(pair_reports(data)), min_pairs=3)
    assert (table["sigma"] == 0.01).all()
    table = estimate_reliability(estimate_cif_fob_ratios(pair_reports(data)), min_pairs=4)  # 3 pairs each
    assert set(table["reliability_source"]) == {"default"} and (table["sigma"] == 1.0).all()


def test_estimated_reliability_drives_the_weights():
    # JPN's exports agree with every partner, KOR's do not: a JPN→KOR flow leans to JPN's report.
    k = 1_000.0  # USD thousand: every flow is above BACI's USD 10,000
    records = []
    for partner, gap in [("THA", 1.00), ("VNM", 1.01), ("IDN", 0.99)]:
        records += [record("JPN", partner, "X", 100.0 * k), record(partner, "JPN", "M", 104.0 * gap * k)]
    for partner, gap in [("THA", 1.6), ("VNM", 0.6), ("IDN", 1.5)]:
        records += [record("KOR", partner, "X", 100.0 * k), record(partner, "KOR", "M", 104.0 * gap * k)]
    records += [record("JPN", "KOR", "X", 100.0 * k), record("KOR", "JPN", "M", 130.0 * k)]
    out = reconcile_mirror_flows(flows(*records), min_pairs=2).set_index(["exporter", "importer"])

    assert out.loc[("JPN", "KOR"), "exporter_weight"] > 0.5
    assert out.loc[("KOR", "THA"), "exporter_weight"] < 0.5


# Reconciliation per pair and HS chapter (issue 13, item 2)


def test_one_car_shipment_in_two_lines_is_counted_once():
    # JPN declares its exports to THA as 870323 (100), THA the same cars as 870324 (104 CIF = 100 FOB).
    # Line by line both were "one side only" and JPN→THA cars summed to 200.
    data = flows(record("JPN", "THA", "X", 100.0), record("THA", "JPN", "M", 104.0, hs6="870324"))
    out = reconcile_mirror_flows(data, reliability=reliability(JPN_X=0.01, THA_M=0.04)).set_index("hs6")

    w = (1 / 0.01) / (1 / 0.01 + 1 / 0.04)  # = 0.8
    total = w * 100.0 + (1 - w) * 104.0 / FLAT_CIF_FOB_RATIO  # = 100: both sides agree on chapter 87
    assert out["value_usd"].sum() == pytest.approx(100.0)
    assert out.loc["870323", "value_usd"] == pytest.approx(total * w * 100.0 / 100.0)  # 80
    assert out.loc["870324", "value_usd"] == pytest.approx(total * (1 - w) * 100.0 / 100.0)  # 20
    assert set(out["recon_rule"]) == {"both_weighted"} and set(out["recon_group"]) == {"87"}
    # Both declared lines stay in the rows.
    assert out.loc["870323", "value_exporter_fob_usd"] == 100.0 and pd.isna(out.loc["870323", "value_importer_cif_usd"])
    assert out.loc["870324", "value_importer_cif_usd"] == 104.0 and pd.isna(out.loc["870324", "value_exporter_fob_usd"])


def test_the_chapter_total_is_conserved_when_distributed_to_lines():
    data = flows(
        record("JPN", "THA", "X", 60.0), record("JPN", "THA", "X", 40.0, hs6="870324"),
        record("JPN", "THA", "X", 50.0, hs6="870840"),
        record("THA", "JPN", "M", 104.0), record("THA", "JPN", "M", 52.0, hs6="870324"),
        record("THA", "JPN", "M", 52.0, hs6="870899"),
    )
    out = reconcile_mirror_flows(data, reliability=reliability(JPN_X=0.01, THA_M=0.04)).set_index("hs6")

    w, x_total, m_total = 0.8, 150.0, 200.0  # THA's FOB lines: 100, 50, 50
    total = w * x_total + (1 - w) * m_total  # = 160
    expected = {"870323": total * (w * 60 / x_total + (1 - w) * 100 / m_total),  # 67.2
                "870324": total * (w * 40 / x_total + (1 - w) * 50 / m_total),  # 42.13
                "870840": total * (w * 50 / x_total),  # 42.67
                "870899": total * ((1 - w) * 50 / m_total)}  # 8
    for hs6, value in expected.items():
        assert out.loc[hs6, "value_usd"] == pytest.approx(value)
    assert out["value_usd"].sum() == pytest.approx(160.0, rel=1e-12)


def test_a_heading_level_keeps_headings_apart():
    data = flows(record("JPN", "THA", "X", 100.0), record("THA", "JPN", "M", 52.0, hs6="870840"),
                 record("THA", "JPN", "M", 104.0, hs6="870324"))
    out = reconcile_mirror_flows(data, reliability=reliability(JPN_X=0.01, THA_M=0.04), recon_digits=4).set_index("hs6")
    assert out.loc["870840", "recon_group"] == "8708" and out.loc["870840", "recon_rule"] == "both_unmatched_zero"
    assert out.loc["870840", "value_usd"] == 0.0  # JPN declares nothing in 8708 and is the more reliable side
    assert out.loc[["870323", "870324"], "value_usd"].sum() == pytest.approx(100.0)


def test_a_pair_the_other_side_does_not_report_is_one_sided():
    # MMR and LAO report nothing; VNM reports imports, but none from JPN.
    data = flows(record("JPN", "MMR", "X", 70.0), record("THA", "LAO", "M", 52.0),
                 record("JPN", "VNM", "X", 30.0), record("VNM", "KOR", "M", 80.0))
    out = reconcile_mirror_flows(data).set_index(["exporter", "importer"])
    assert out.loc[("JPN", "MMR"), "recon_rule"] == "exporter_only" and out.loc[("JPN", "MMR"), "value_usd"] == 70.0
    assert out.loc[("JPN", "VNM"), "recon_rule"] == "exporter_only" and out.loc[("JPN", "VNM"), "value_usd"] == 30.0
    assert out.loc[("LAO", "THA"), "recon_rule"] == "importer_only_fob_adjusted"
    assert out.loc[("LAO", "THA"), "value_usd"] == pytest.approx(52.0 / FLAT_CIF_FOB_RATIO)


@pytest.mark.parametrize(
    "sigma, rule, value",
    [({"JPN_X": 0.01, "THA_M": 0.04}, "both_unmatched_exporter", 30.0),  # JPN more reliable: its 8407 line
     ({"JPN_X": 0.04, "THA_M": 0.01}, "both_unmatched_zero", 0.0)],  # THA more reliable: it declared no chapter 84
)
def test_a_chapter_only_one_side_declares_in_a_pair_both_report(sigma, rule, value):
    data = flows(record("JPN", "THA", "X", 100.0), record("THA", "JPN", "M", 104.0),
                 record("JPN", "THA", "X", 30.0, hs6="840734"))
    out = reconcile_mirror_flows(data, reliability=reliability(**sigma)).set_index("hs6")
    assert out.loc["840734", "recon_rule"] == rule and out.loc["840734", "value_usd"] == value
    assert out.loc["840734", "value_exporter_fob_usd"] == 30.0  # the declaration stays in the row


def test_self_trade_is_refused():
    with pytest.raises(RvcInputError, match="1 rows of self-trade"):
        reconcile_mirror_flows(flows(record("THA", "THA", "M", 123.0), record("JPN", "THA", "X", 1.0)))


# Aggregation, validation, determinism


def test_records_of_one_flow_are_summed_first():
    data = flows(
        record("JPN", "THA", "X", 60.0, qty=6, unit="u", vintage="H3", weight=1.0),
        record("JPN", "THA", "X", 40.0, qty=4, unit="u", vintage="H4", weight=0.5),
    )
    pairs = only_row(pair_reports(data))
    assert pairs["value_exporter_fob_usd"] == 100.0
    assert pairs["exp_qty"] == 10 and pairs["exp_hs_vintage"] == "H3|H4"
    assert pairs["exp_conversion_weight"] == pytest.approx((60 * 1.0 + 40 * 0.5) / 100)

    mixed = flows(record("JPN", "THA", "X", 60.0, qty=6, unit="u"), record("JPN", "THA", "X", 40.0, qty=4, unit="kg"))
    assert pd.isna(only_row(pair_reports(mixed))["exp_qty"])  # no sum across units


def test_re_exports_are_refused_with_counts():
    data = flows(record("SGP", "THA", "RX", 5.0), record("SGP", "THA", "RX", 6.0), record("SGP", "THA", "X", 7.0))
    with pytest.raises(RvcInputError, match=r"'flow'.*'RX' \(2 rows\)"):
        reconcile_mirror_flows(data)


def test_missing_columns_are_named():
    with pytest.raises(RvcInputError, match=r"missing columns \['conversion_weight'\]"):
        reconcile_mirror_flows(flows(record("JPN", "THA", "X", 1.0)).drop(columns="conversion_weight"))


def _mixed_year() -> pd.DataFrame:
    return flows(
        record("JPN", "THA", "X", 100.0, hs6="870840"), record("THA", "JPN", "M", 115.0, hs6="870840"),
        record("JPN", "THA", "X", 100.0), record("THA", "JPN", "M", 3000.0),
        record("JPN", "VNM", "X", 40.0), record("THA", "LAO", "M", 9.0, hs6="870899"),
        record("CHN", "THA", "X", 0.0), record("THA", "CHN", "M", 0.0),
    )


def test_output_columns_order_and_schema():
    out = reconcile_mirror_flows(_mixed_year())

    assert list(out.columns) == TRADE_FLOWS_COLUMNS
    assert list(zip(out["exporter"], out["importer"], out["hs6"])) == sorted(zip(out["exporter"], out["importer"], out["hs6"]))
    assert set(out["recon_rule"]) <= set(RECON_RULES)
    trade_flows_schema.validate(out, lazy=True)


def test_input_order_does_not_change_the_output():
    data = _mixed_year()
    shuffled = data.sample(frac=1.0, random_state=7).reset_index(drop=True)
    pd.testing.assert_frame_equal(reconcile_mirror_flows(data), reconcile_mirror_flows(shuffled))


side_value = st.one_of(st.none(), st.floats(min_value=0.0, max_value=1e9, allow_nan=False))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["JPN", "THA", "VNM"]), st.sampled_from(["JPN", "THA", "VNM"]),
                          side_value, side_value, st.sampled_from(["870323", "870840"])),
                min_size=1, max_size=12))
def test_value_is_never_invented(cases):
    records = []
    for exporter, importer, x, m, hs6 in cases:
        if exporter == importer or (x is None and m is None):
            continue
        if x is not None:
            records.append(record(exporter, importer, "X", x, hs6=hs6))
        if m is not None:
            records.append(record(importer, exporter, "M", m, hs6=hs6))
    if not records:
        return
    out = reconcile_mirror_flows(flows(*records), cif_fob="chapter_median", min_pairs=1, min_flow_usd=0.0,
                                 min_cif_fob_pairs=1)
    # Summed over a reconciliation group, the value lies between the group's two FOB totals.
    groups = out.fillna({"value_exporter_fob_usd": 0.0, "value_importer_fob_usd": 0.0}).groupby(GROUP_KEYS)[
        ["value_usd", "value_exporter_fob_usd", "value_importer_fob_usd"]].sum()
    low = groups[["value_exporter_fob_usd", "value_importer_fob_usd"]].min(axis=1)
    high = groups[["value_exporter_fob_usd", "value_importer_fob_usd"]].max(axis=1)
    assert ((groups["value_usd"] >= low * (1 - 1e-12)) & (groups["value_usd"] <= high * (1 + 1e-12))).all()
    trade_flows_schema.validate(out, lazy=True)


# Values as declared (issue 12): an import declared FOB is not divided by the CIF/FOB ratio again


def test_an_import_declared_fob_is_used_as_declared_and_only_cif_is_brought_to_fob():
    # THA declares its imports from JPN of 870323 FOB (100) and of 870324 CIF (104); JPN reports nothing.
    data = flows(record("THA", "JPN", "M", 100.0), record("THA", "JPN", "M", 104.0, hs6="870324"))
    data["value_basis"] = ["FOB", "CIF"]
    out = reconcile_mirror_flows(data, reliability=reliability(JPN_X=0.04, THA_M=0.01)).set_index("hs6")
    assert out.loc["870323", "value_importer_fob_usd"] == 100.0  # as declared, not 100 / 1.04
    assert math.isnan(out.loc["870323", "value_importer_cif_usd"])
    assert out.loc["870323", "value_usd"] == 100.0
    assert out.loc["870324", "value_importer_fob_usd"] == pytest.approx(104.0 / FLAT_CIF_FOB_RATIO)  # = 100
    # Both bases in one line: the CIF part is adjusted, the FOB part is added as it is.
    mixed = flows(record("THA", "JPN", "M", 52.0), record("THA", "JPN", "M", 50.0))
    mixed["value_basis"] = ["CIF", "FOB"]
    line = only_row(reconcile_mirror_flows(mixed, reliability=reliability(JPN_X=0.04, THA_M=0.01)))
    assert line["value_importer_fob_usd"] == pytest.approx(52.0 / FLAT_CIF_FOB_RATIO + 50.0)  # 100
    assert line["value_importer_cif_usd"] == 52.0
    assert line["value_importer_fob_declared_usd"] == 50.0
    trade_flows_schema.validate(out.reset_index()[TRADE_FLOWS_COLUMNS], lazy=True)  # FOB-declared lines are valid


# Reproducible to the bit (issue 13, item 8): every floating-point sum is ordered


def _seeded_year(n_records: int, seed: int = 13) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    countries = np.array([f"C{i:02d}" for i in range(40)], dtype=object)
    codes = np.array([f"{c}{k:04d}" for c in ("84", "85", "87") for k in range(60)], dtype=object)
    reporter = rng.integers(0, 40, n_records)
    partner = (reporter + rng.integers(1, 40, n_records)) % 40  # never the reporter itself
    frame = pd.DataFrame({
        "year": 2022, "reporter": countries[reporter], "partner": countries[partner],
        "flow": np.where(rng.random(n_records) < 0.5, "X", "M"), "hs6": codes[rng.integers(0, len(codes), n_records)],
        "value_usd": rng.lognormal(11.0, 2.5, n_records), "qty": rng.lognormal(5.0, 1.0, n_records), "qty_unit": "kg",
        "net_kg": rng.lognormal(6.0, 1.0, n_records), "qty_estimated": False, "hs_vintage": "H5",
        "conversion_weight": rng.choice([1.0, 0.5, 0.25], n_records),
    })
    return frame.astype({"year": "Int64", "qty_estimated": "boolean"})


def test_two_runs_give_the_same_bits_whatever_the_input_order():
    # 300,000 records: enough rows for DuckDB to aggregate in parallel, where unordered sums differ in the
    # last digit from run to run.
    data = _seeded_year(300_000)
    first = reconcile_mirror_flows(data, cif_fob="chapter_median")
    second = reconcile_mirror_flows(data.sample(frac=1.0, random_state=3).reset_index(drop=True), cif_fob="chapter_median")
    pd.testing.assert_frame_equal(first, second, check_exact=True)
    for column in ["value_usd", "value_importer_fob_usd", "exporter_weight", "cif_fob_ratio"]:
        assert first[column].to_numpy().tobytes() == second[column].to_numpy().tobytes()
    assert set(first["recon_rule"]) >= {"both_weighted", "both_discrepant_exporter"}


def test_the_schema_catches_a_group_value_outside_its_totals_and_self_trade():
    import pandera.errors

    data = flows(record("JPN", "THA", "X", 100.0), record("THA", "JPN", "M", 104.0, hs6="870324"))
    out = reconcile_mirror_flows(data, reliability=reliability(JPN_X=0.01, THA_M=0.04))
    trade_flows_schema.validate(out, lazy=True)
    broken = out.assign(value_usd=out["value_usd"] * 2)  # chapter 87 at 200: above both sides' 100
    with pytest.raises(pandera.errors.SchemaErrors, match="between the group's two FOB totals"):
        trade_flows_schema.validate(broken, lazy=True)
    with pytest.raises(pandera.errors.SchemaErrors, match="no self-trade"):
        trade_flows_schema.validate(out.assign(importer="JPN"), lazy=True)
