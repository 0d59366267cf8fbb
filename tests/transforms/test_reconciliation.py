"""Mirror-flow reconciliation on hand-made pairs: weights as the formula says, one-sided flows,
wild discrepancies, CIF→FOB (flat and mirror unit values with clipping) and reliability.

All frames here are hand-written; the expected numbers are computed in the test from the formulas
in the module docstring, never read back from the code's output.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assets.errors import RvcInputError
from assets.transforms.reconciliation import (
    FLAT_CIF_FOB_RATIO,
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


def reliability(**sigma2: float) -> pd.DataFrame:
    """Hand-made reliability table: keys like JPN_X=0.04, THA_M=0.01."""
    rows = [{"reporter": k[:3], "flow": k[4:], "n_pairs": 50, "sigma2": v, "reliability_source": "own"}
            for k, v in sigma2.items()]
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
    "sigma2, rule, side",
    [
        ({"JPN_X": 0.01, "THA_M": 0.5}, "both_discrepant_exporter", "value_exporter_fob_usd"),
        ({"JPN_X": 0.5, "THA_M": 0.01}, "both_discrepant_importer", "value_importer_fob_usd"),
    ],
)
def test_wild_discrepancy_takes_the_more_reliable_side(sigma2, rule, side):
    # 2080 / 1.04 = 2000 = 20 × the exporter's 100: beyond the factor 10.
    data = flows(record("JPN", "THA", "X", 100.0), record("THA", "JPN", "M", 2080.0))
    out = only_row(reconcile_mirror_flows(data, reliability=reliability(**sigma2)))

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


def _priced_pair(imp_value, imp_qty, *, exp_qty=10.0, imp_unit="u", exp_estimated=False):
    pairs = pair_reports(flows(
        record("JPN", "THA", "X", 100.0, qty=exp_qty, unit="u", estimated=exp_estimated),
        record("THA", "JPN", "M", imp_value, qty=imp_qty, unit=imp_unit),
    ))
    return only_row(estimate_cif_fob_ratios(pairs, "mirror_unit_value"))


def test_mirror_unit_value_ratio_inside_the_band():
    out = _priced_pair(110.0, 10.0)  # unit values 11 vs 10
    assert out["cif_fob_ratio"] == pytest.approx((110.0 / 10) / (100.0 / 10))
    assert out["cif_fob_source"] == "mirror_unit_value"
    assert out["value_importer_fob_usd"] == pytest.approx(100.0)


@pytest.mark.parametrize(
    "imp_value, imp_qty, ratio",
    [(150.0, 10.0, 1.20), (90.0, 10.0, 1.00), (100.0, 20.0, 1.00)],  # margins 50 %, −10 %, −50 %
)
def test_mirror_unit_value_is_clipped_to_the_band(imp_value, imp_qty, ratio):
    out = _priced_pair(imp_value, imp_qty)
    assert out["cif_fob_ratio"] == pytest.approx(ratio)
    assert out["cif_fob_source"] == "mirror_unit_value_clipped"


@pytest.mark.parametrize(
    "kwargs",
    [{"imp_unit": "kg"}, {"exp_estimated": True}, {"exp_qty": None}],
    ids=["different units", "estimated quantity", "no quantity"],
)
def test_mirror_unit_value_falls_back_to_flat(kwargs):
    out = _priced_pair(110.0, 10.0, **kwargs)
    assert out["cif_fob_ratio"] == FLAT_CIF_FOB_RATIO
    assert out["cif_fob_source"] == "flat"


def test_cif_fob_method_must_be_known():
    with pytest.raises(RvcInputError, match="cif_fob method 'gravity'"):
        reconcile_mirror_flows(flows(record("JPN", "THA", "X", 1.0)), cif_fob="gravity")


# Reliability


def test_reliability_from_a_hand_computed_case():
    exp = {("JPN", "THA"): 100.0, ("JPN", "VNM"): 100.0, ("KOR", "THA"): 100.0, ("KOR", "VNM"): 100.0,
           ("CHN", "THA"): 100.0}
    imp_fob = {("JPN", "THA"): 110.0, ("JPN", "VNM"): 95.0, ("KOR", "THA"): 130.0, ("KOR", "VNM"): 100.0,
               ("CHN", "THA"): 5000.0}  # CHN→THA 50× apart: winsorised at ln 10
    priced = pd.DataFrame(
        [{"exporter": e, "importer": i, "value_exporter_fob_usd": exp[(e, i)], "value_importer_fob_usd": imp_fob[(e, i)]}
         for e, i in exp]
        + [{"exporter": "USA", "importer": "THA", "value_exporter_fob_usd": 50.0, "value_importer_fob_usd": None}]
    )
    table = estimate_reliability(priced, min_pairs=2).set_index(["reporter", "flow"])

    d2 = {k: min(abs(math.log(imp_fob[k] / exp[k])), math.log(10)) ** 2 for k in exp}
    pooled = sum(d2.values()) / len(d2)
    assert table.loc[("JPN", "X"), "sigma2"] == pytest.approx((d2[("JPN", "THA")] + d2[("JPN", "VNM")]) / 2)
    assert table.loc[("THA", "M"), "sigma2"] == pytest.approx(
        (d2[("JPN", "THA")] + d2[("KOR", "THA")] + d2[("CHN", "THA")]) / 3)
    assert table.loc[("THA", "M"), "n_pairs"] == 3
    assert table.loc[("CHN", "X"), "reliability_source"] == "pooled"  # 1 pair < min_pairs
    assert table.loc[("CHN", "X"), "sigma2"] == pytest.approx(pooled)
    assert table.loc[("USA", "X"), "n_pairs"] == 0  # reports, but never mirrored: pooled
    assert table.loc[("USA", "X"), "sigma2"] == pytest.approx(pooled)
    assert table.loc[("KOR", "X"), "reliability_source"] == "own"
    assert ("THA", "X") not in table.index  # THA reports no exports here


def test_perfect_agreement_is_floored_and_no_pairs_gives_the_default():
    agree = pd.DataFrame({"exporter": ["JPN", "JPN"], "importer": ["THA", "VNM"],
                          "value_exporter_fob_usd": [100.0, 50.0], "value_importer_fob_usd": [100.0, 50.0]})
    assert estimate_reliability(agree, min_pairs=2).set_index(["reporter", "flow"]).loc[("JPN", "X"), "sigma2"] == 1e-4

    lonely = pd.DataFrame({"exporter": ["JPN"], "importer": ["THA"],
                           "value_exporter_fob_usd": [100.0], "value_importer_fob_usd": [None]})
    table = estimate_reliability(lonely)
    assert table["reliability_source"].tolist() == ["default"] and table["sigma2"].tolist() == [1.0]


def test_estimated_reliability_drives_the_weights():
    # JPN's exports agree with every partner, KOR's do not: a JPN→KOR flow leans to JPN's report.
    records = []
    for partner, gap in [("THA", 1.00), ("VNM", 1.01), ("IDN", 0.99)]:
        records += [record("JPN", partner, "X", 100.0), record(partner, "JPN", "M", 104.0 * gap)]
    for partner, gap in [("THA", 1.6), ("VNM", 0.6), ("IDN", 1.5)]:
        records += [record("KOR", partner, "X", 100.0), record(partner, "KOR", "M", 104.0 * gap)]
    records += [record("JPN", "KOR", "X", 100.0), record("KOR", "JPN", "M", 130.0)]
    out = reconcile_mirror_flows(flows(*records), min_pairs=3).set_index(["exporter", "importer"])

    assert out.loc[("JPN", "KOR"), "exporter_weight"] > 0.5
    assert out.loc[("KOR", "THA"), "exporter_weight"] < 0.5


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
    out = reconcile_mirror_flows(flows(*records), cif_fob="mirror_unit_value", min_pairs=1)
    low = out[["value_exporter_fob_usd", "value_importer_fob_usd"]].min(axis=1)
    high = out[["value_exporter_fob_usd", "value_importer_fob_usd"]].max(axis=1)
    assert ((out["value_usd"] >= low * (1 - 1e-12)) & (out["value_usd"] <= high * (1 + 1e-12))).all()
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
