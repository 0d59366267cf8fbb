"""Converting Hk trade to H0: weights, value conservation (also as hypothesis properties), the HS4 backbone.

Frames here are hand-written five-row specifications; the real UN tables are used where the brief asks
for known answers (EV subheadings, 8708 splits, the backbone over every vintage).
"""

from __future__ import annotations

import csv
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assets.duckdb_session import duckdb_session
from assets.errors import RvcInputError
from assets.sources.hs_correlation import load_hs_concordance, load_hs_conversion
from assets.transforms.harmonization.hs_conversion import (
    AUTOMOTIVE_HEADINGS,
    BACKBONE_HEADINGS,
    CONVERSION_METHODS,
    MIN_POOLED_EVIDENCE_USD,
    WEIGHT_COLUMNS,
    conservation_gap,
    conversion_weights,
    convert_to_h0,
    hs4_of,
    pooled_h0_trade,
    weights_not_summing_to_one,
)
from checks.reference import conversion_weights_schema, hs_concordance_schema


def concordance(links: list[tuple[str, str, str]]) -> pd.DataFrame:
    """Hand-written links (vintage, from_code, to_code) to H0."""
    return pd.DataFrame(
        {
            "from_vintage": [v for v, _, _ in links],
            "from_code": [a for _, a, _ in links],
            "to_vintage": "H0",
            "to_code": [b for _, _, b in links],
        },
        dtype="str",
    )


def un_conversion(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    """Hand-written UN Conversion-sheet rows (vintage, from_code, to_code)."""
    return pd.DataFrame({"from_vintage": [v for v, _, _ in rows], "from_code": [a for _, a, _ in rows],
                         "to_code": [b for _, _, b in rows]}, dtype="str")


def weight_of(weights: pd.DataFrame, vintage: str, source: str) -> dict[str, tuple[float, str]]:
    rows = weights[(weights["from_vintage"] == vintage) & (weights["from_code"] == source)]
    return {t: (w, m) for t, w, m in zip(rows["to_code"], rows["weight"], rows["weight_method"])}


def trade(rows: list[tuple[int, str, str, float]]) -> pd.DataFrame:
    """Hand-written trade rows (year, classification, cmd_code, value_usd)."""
    return pd.DataFrame(
        {
            "year": [r[0] for r in rows],
            "classification": pd.Series([r[1] for r in rows], dtype="str"),
            "cmd_code": pd.Series([r[2] for r in rows], dtype="str"),
            "value_usd": [float(r[3]) for r in rows],
        }
    )


# --- weights -----------------------------------------------------------------------------------------


def test_n_to_1_sources_each_move_whole_and_add_up():
    links = concordance([("H1", "293371", "293390"), ("H1", "293390", "293390"), ("H1", "010111", "010111")])
    weights = conversion_weights(links)
    assert weight_of(weights, "H1", "293371") == {"293390": (1.0, "n_to_1")}
    assert weight_of(weights, "H1", "293390") == {"293390": (1.0, "n_to_1")}
    assert weight_of(weights, "H1", "010111") == {"010111": (1.0, "one_to_one")}

    out = convert_to_h0(trade([(1997, "H1", "293371", 40), (1997, "H1", "293390", 60), (1997, "H1", "010111", 5)]), weights)
    assert out.groupby("hs6")["value_usd"].sum().to_dict() == {"010111": 5.0, "293390": 100.0}


def test_one_to_n_split_by_trade_in_the_targets():
    links = concordance([("H3", "870830", "870831"), ("H3", "870830", "870839")])
    h0_trade = pd.DataFrame({"hs6": ["870831", "870839", "870839", "999999"], "value_usd": [3e6, 0.5e6, 0.5e6, 1e9]})
    weights = conversion_weights(links, h0_trade)
    assert weight_of(weights, "H3", "870830") == {"870831": (0.75, "trade_share"), "870839": (0.25, "trade_share")}

    out = convert_to_h0(trade([(2008, "H3", "870830", 1000)]), weights)
    assert list(zip(out["hs6"], out["value_usd"], out["conversion_method"])) == [
        ("870831", 750.0, "trade_share"),
        ("870839", 250.0, "trade_share"),
    ]
    assert list(out["cmd_code"]) == ["870830", "870830"] and list(out["hs_vintage"]) == ["H3", "H3"]


HYBRID_LINKS = [("H5", "870340", "870321"), ("H5", "870340", "870323"), ("H5", "870340", "870390")]


def test_below_the_minimum_evidence_the_un_conversion_takes_it_all_never_equal_shares():
    links = concordance(HYBRID_LINKS)
    conversion = un_conversion([("H5", "870340", "870390")])  # as in the UN HS2017 → HS1992 Conversion sheet
    # No trade at all; trade outside the targets only; one USD 5,000 H0 line (the accident the minimum guards against).
    for h0_trade in (None, pd.DataFrame({"hs6": ["010111"], "value_usd": [1e9]}), pd.DataFrame({"hs6": ["870321"], "value_usd": [5000.0]})):
        weights = conversion_weights(links, h0_trade, conversion)
        assert {t: w for t, (w, _) in weight_of(weights, "H5", "870340").items()} == {"870321": 0.0, "870323": 0.0, "870390": 1.0}
        assert set(weights["weight_method"]) == {"un_conversion"}
    # Just at the minimum the pooled trade decides: USD 1 m, all in 870321.
    at_minimum = pd.DataFrame({"hs6": ["870321"], "value_usd": [MIN_POOLED_EVIDENCE_USD]})
    assert weight_of(conversion_weights(links, at_minimum, conversion), "H5", "870340")["870321"] == (1.0, "trade_share")


def test_a_split_below_the_minimum_without_a_un_conversion_row_raises_naming_the_table():
    with pytest.raises(RvcInputError, match=r"H5: 1 codes, e.g. \['870340'\] \(table HS2017_to_HS1992_UNSD, sheet Conversion\)"):
        conversion_weights(concordance(HYBRID_LINKS), None, un_conversion([("H5", "870323", "870323")]))


def test_value_stays_in_the_heading_of_the_un_conversion():
    # Like HS2022 854231 (ICs): n:n links into other chapters, the UN conversion says 854211.
    links = concordance([("H6", "854231", "854211"), ("H6", "854231", "854219"), ("H6", "854231", "847330"), ("H6", "854231", "382490")])
    pooled = pd.DataFrame({"hs6": ["854211", "854219", "847330", "382490"], "value_usd": [6e6, 2e6, 9e9, 9e9]})
    weights = conversion_weights(links, pooled, un_conversion([("H6", "854231", "854211")]))
    # Only the 8542 targets are kept; split by their pooled trade 6 : 2.
    assert weight_of(weights, "H6", "854231") == {"854211": (0.75, "trade_share"), "854219": (0.25, "trade_share")}
    assert weights["evidence_usd"].tolist() == [6e6, 2e6]


def test_conversion_target_outside_the_correlation_links_replaces_them():
    # HS2007 844331: the correlation table links it to 8424/8469/8471, the Conversion sheet to 844350.
    links = concordance([("H3", "844331", "842489"), ("H3", "844331", "847192")])
    weights = conversion_weights(links, None, un_conversion([("H3", "844331", "844350")]))
    assert weight_of(weights, "H3", "844331") == {"844350": (1.0, "one_to_one")}
    assert weights.attrs["conversion_replaced"] == [("H3", "844331", "844350")]


def test_target_without_trade_keeps_a_zero_weight_row_but_gets_no_value():
    links = concordance([("H5", "870340", "870321"), ("H5", "870340", "870323")])
    weights = conversion_weights(links, pd.DataFrame({"hs6": ["870323"], "value_usd": [7e6]}))
    assert weight_of(weights, "H5", "870340") == {"870321": (0.0, "trade_share"), "870323": (1.0, "trade_share")}
    out = convert_to_h0(trade([(2018, "H5", "870340", 12)]), weights)
    assert list(out["hs6"]) == ["870323"] and out["value_usd"].sum() == 12.0


def test_weights_of_a_source_sum_to_exactly_one_in_any_order():
    links = concordance([("H6", "852411", f"8529{i:02d}") for i in range(7)])
    h0_trade = pd.DataFrame({"hs6": [f"8529{i:02d}" for i in range(7)], "value_usd": [1 / 3, 2 / 7, 0.1, 1e-3, 5.5, 1e7 / 3, 0.7]})
    conversion = un_conversion([("H6", "852411", "852903")])
    for weights in (conversion_weights(links, None, conversion), conversion_weights(links, h0_trade, conversion)):
        values = list(weights["weight"])
        assert sum(values) == 1.0 and sum(reversed(values)) == 1.0 and math.fsum(values) == 1.0
        assert weights.groupby(["from_vintage", "from_code"])["weight"].sum().eq(1.0).all()
        conversion_weights_schema.validate(weights)


def test_weights_frame_columns_and_order():
    weights = conversion_weights(concordance([("H2", "870899", "870899"), ("H1", "870899", "870899")]))
    assert list(weights.columns) == WEIGHT_COLUMNS
    assert list(weights["from_vintage"]) == ["H1", "H2"]


def test_concordance_with_non_h0_targets_is_rejected():
    links = concordance([("H2", "010110", "010111")]).assign(to_vintage="H1")
    with pytest.raises(RvcInputError, match="expected links to H0 only"):
        conversion_weights(links)


# --- convert_to_h0 -----------------------------------------------------------------------------------


def test_h0_rows_pass_through_and_quantities_split_like_value():
    links = concordance([("H3", "870830", "870831"), ("H3", "870830", "870839")])
    weights = conversion_weights(links, pd.DataFrame({"hs6": ["870831", "870839"], "value_usd": [2e6, 2e6]}))
    frame = trade([(2008, "H0", "870899", 10), (2008, "H3", "870830", 100)]).assign(
        qty=pd.Series([3, pd.NA], dtype="Int64"), net_kg=[8.0, 40.0], partner=["THA", "THA"]
    )
    out = convert_to_h0(frame, weights, qty_cols=["qty", "net_kg"])

    assert list(out.columns) == [*frame.columns, "hs6", "hs_vintage", "conversion_weight", "conversion_method"]
    assert list(zip(out["hs6"], out["conversion_method"], out["conversion_weight"])) == [
        ("870899", "reported_h0", 1.0),
        ("870831", "trade_share", 0.5),
        ("870839", "trade_share", 0.5),
    ]
    assert list(out["net_kg"]) == [8.0, 20.0, 20.0]
    assert out["qty"].iloc[0] == 3 and out["qty"].iloc[1:].isna().all()  # missing stays missing
    assert set(out["conversion_method"]) <= set(CONVERSION_METHODS)


def test_code_absent_from_the_concordance_raises_listing_codes_and_vintage():
    weights = conversion_weights(concordance([("H5", "870340", "870321"), ("H5", "870340", "870390")]), None,
                                 un_conversion([("H5", "870340", "870390")]))
    frame = trade([(2018, "H5", "870340", 1), (2018, "H5", "870345", 2), (2018, "H5", "870390", 3)])
    with pytest.raises(RvcInputError, match=r"H5: 2 codes not in its table to HS1992: \['870345', '870390'\]"):
        convert_to_h0(frame, weights)


def test_valid_h0_code_the_table_omits_passes_through_as_unchanged():
    # 010111 is an H0 code (a target of H1) and the H5 table does not mention it: an omitted unchanged line.
    weights = conversion_weights(concordance([("H1", "010111", "010111"), ("H5", "870340", "870321"), ("H5", "870340", "870390")]),
                                 None, un_conversion([("H5", "870340", "870390")]))
    out = convert_to_h0(trade([(2018, "H5", "010111", 9)]), weights)
    assert list(zip(out["hs6"], out["conversion_method"], out["value_usd"])) == [("010111", "unchanged_h0", 9.0)]


def test_vintage_without_a_table_raises_with_what_to_do():
    weights = conversion_weights(concordance([("H1", "010111", "010111")]))
    with pytest.raises(RvcInputError, match=r"H6: no correlation table to HS1992 was loaded.*add the UN table HS2022_to_HS1992_UNSD"):
        convert_to_h0(trade([(2023, "H6", "010111", 1)]), weights)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [("cmd_code", "8703", "non-6-digit codes"), ("cmd_code", "TOTAL", "non-6-digit codes"), ("classification", "S3", "expected HS vintages")],
)
def test_bad_codes_and_vintages_are_rejected(column, value, message):
    frame = trade([(2018, "H0", "870323", 1)])
    frame[column] = pd.Series([value], dtype="str")
    with pytest.raises(RvcInputError, match=message):
        convert_to_h0(frame, conversion_weights(concordance([("H1", "870323", "870323")])))


def test_missing_value_column_is_named():
    with pytest.raises(RvcInputError, match=r"lacks columns \['qty'\]"):
        convert_to_h0(trade([(2018, "H0", "870323", 1)]), conversion_weights(concordance([])), qty_cols=["qty"])


# --- conservation_gap --------------------------------------------------------------------------------


def test_conservation_gap_empty_when_conserved_and_reports_a_leak():
    before = trade([(2017, "H4", "870830", 100), (2018, "H5", "870340", 50)])
    after = pd.DataFrame({"year": [2017, 2017, 2018], "value_usd": [60.0, 40.0, 49.0]})

    gaps = conservation_gap(before, after, "value_usd", by=["year"])
    assert list(gaps["year"]) == [2018]
    assert gaps[["value_before", "value_after", "gap"]].iloc[0].tolist() == [50.0, 49.0, -1.0]

    full = conservation_gap(before, after, "value_usd", by=["year"], only_violations=False)
    assert list(full["conserved"]) == [True, False]
    assert full["tolerance"].iloc[0] == pytest.approx(0.01 + 1e-9 * 100)


def test_conservation_gap_counts_a_group_missing_after_conversion():
    before = trade([(2017, "H4", "870830", 100), (2018, "H5", "870340", 50)])
    gaps = conservation_gap(before, before[before["year"] == 2017], by=["year"])
    assert list(gaps["year"]) == [2018] and gaps["value_after"].item() == 0.0


# --- HS4 backbone ------------------------------------------------------------------------------------


def test_hs4_of():
    assert hs4_of("870323") == "8703"
    assert list(hs4_of(pd.Series(["870899", "010111"], dtype="str"))) == ["8708", "0101"]
    with pytest.raises(RvcInputError):
        hs4_of("8703")


def test_backbone_keeps_automotive_value_in_its_heading():
    # Hand-written cross-heading links like HS2022 8524 (displays) ↔ HS1992 8708 (parts).
    links = concordance(
        [
            ("H6", "852411", "852990"), ("H6", "852411", "870899"),  # non-automotive source reaching into 8708
            ("H6", "870840", "870840"), ("H6", "870840", "870899"), ("H6", "870840", "848340"),  # 8708 source leaking out
            ("H6", "870380", "870390"),
        ]
    )
    h0_trade = pd.DataFrame({"hs6": ["870899", "852990", "848340", "870840"], "value_usd": [1e9, 1.0, 1e9, 1.0]})
    weights = conversion_weights(links, h0_trade)
    assert set(weight_of(weights, "H6", "852411")) == {"852990"}
    assert set(weight_of(weights, "H6", "870840")) == {"870840", "870899"}
    assert set(weights.attrs["backbone_pruned"]) == {("H6", "852411", "870899"), ("H6", "870840", "848340")}

    frame = trade([(2023, "H6", "852411", 10), (2023, "H6", "870840", 20), (2023, "H6", "870380", 30)])
    out = convert_to_h0(frame, weights)
    automotive = out["cmd_code"].str.slice(0, 4).isin(AUTOMOTIVE_HEADINGS)
    assert (hs4_of(out.loc[automotive, "hs6"]) == out.loc[automotive, "cmd_code"].str.slice(0, 4)).all()
    assert not out.loc[~automotive, "hs6"].str.slice(0, 4).isin(AUTOMOTIVE_HEADINGS).any()
    assert conservation_gap(frame, out, by=["year"]).empty


def test_cross_heading_link_kept_when_nothing_else_is_left():
    weights = conversion_weights(concordance([("H6", "852412", "870899")]))
    assert weight_of(weights, "H6", "852412") == {"870899": (1.0, "one_to_one")}
    assert weights.attrs["backbone_unpreserved"] == [("H6", "852412", "870899")]


# --- real UN tables ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_concordance(real_data_dir):
    return load_hs_concordance(real_data_dir)


@pytest.fixture(scope="module")
def real_conversion(real_data_dir):
    return load_hs_conversion(real_data_dir)


@pytest.mark.real_data
def test_real_backbone_holds_for_every_vintage(real_concordance, real_conversion):
    weights = conversion_weights(real_concordance, None, real_conversion)
    from_hs4, to_hs4 = weights["from_code"].str.slice(0, 4), weights["to_code"].str.slice(0, 4)
    from_auto = from_hs4.isin(BACKBONE_HEADINGS)
    assert (to_hs4[from_auto] == from_hs4[from_auto]).all()
    assert not to_hs4[~from_auto].isin(BACKBONE_HEADINGS).any()
    assert weights.attrs["backbone_unpreserved"] == [] and weights.attrs["conversion_overruled"] == []
    # What the UN tables link across: HS2022 8524 displays and 852990 into 8708 (SOURCES.md quirk), and
    # HS2022 8549 electrical waste into the engines 840733, 840734, 840820.
    pruned = pd.DataFrame(weights.attrs["backbone_pruned"], columns=["v", "a", "b"])
    assert set(pruned["v"]) == {"H6"} and set(pruned["b"].str.slice(0, 4)) == {"8708", "8407", "8408"}
    assert set(pruned.loc[pruned["b"].str.startswith("8708"), "a"]) == {"852411", "852412", "852419", "852491", "852492", "852499", "852990"}
    assert set(pruned.loc[pruned["b"].str.startswith(("8407", "8408")), "a"].str.slice(0, 4)) == {"8549"}
    assert weights.groupby(["from_vintage", "from_code"])["weight"].sum().eq(1.0).all()
    # Links merged with their weights still fit the asset schema (pruned links: weight missing).
    h6 = real_concordance[real_concordance["from_vintage"] == "H6"]
    merged = h6.merge(weights, on=["from_vintage", "from_code", "to_code"], how="left")
    # Missing: the backbone-pruned links and the links outside the heading of the source's UN conversion.
    heading = real_conversion[real_conversion["from_vintage"] == "H6"].set_index("from_code")["to_code"].str.slice(0, 4)
    outside = merged["to_code"].str.slice(0, 4) != merged["from_code"].map(heading)
    in_pruned = pd.Series(list(zip(merged["from_code"], merged["to_code"]))).isin(set(zip(pruned["a"], pruned["b"])))
    assert (merged["weight"].isna() == (outside | in_pruned)).all()
    hs_concordance_schema.validate(merged)


@pytest.mark.real_data
def test_real_ev_subheadings_convert_into_8703(real_concordance, real_conversion):
    weights = conversion_weights(real_concordance, None, real_conversion)
    ev = weights[weights["from_vintage"].isin(["H5", "H6"]) & weights["from_code"].isin(["870340", "870350", "870360", "870370", "870380"])]
    assert len(ev) == 2 * 19  # H5 and H6 each: 5 + 4 + 5 + 4 + 1 links
    assert ev["to_code"].str.startswith("8703").all()
    frame = trade([(2018, "H5", code, 1000) for code in ["870340", "870350", "870360", "870370", "870380"]])
    out = convert_to_h0(frame, weights)
    assert out["hs6"].str.startswith("8703").all() and conservation_gap(frame, out).empty
    # Without pooled H0 trade every EV line follows the UN conversion (870390 in the HS2017 Conversion sheet).
    assert out.groupby("cmd_code")["hs6"].agg(list).to_dict() == {c: ["870390"] for c in frame["cmd_code"]}


@pytest.mark.real_data
def test_real_h3_8708_codes_split_as_the_un_table_says(real_data_dir, real_concordance, real_conversion):
    # Golden links read with the csv module from the CSV export of HS2007 → HS1992 (columns: code, ex., code, rel.).
    path = real_data_dir / "hs_correlation" / "csv" / "HS2007_to_HS1992_UNSD__correlation.csv"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        raw = [r for r in csv.reader(handle) if r and r[0].startswith("8708")]
    targets: dict[str, set[str]] = {}
    for row in raw:
        targets.setdefault(row[0], set()).add(row[2])
    assert targets["870830"] == {"870831", "870839"}

    h0_trade = pd.DataFrame({"hs6": ["870831", "870839", "870899"], "value_usd": [3e6, 1e6, 5e6]})
    weights = conversion_weights(real_concordance, h0_trade, real_conversion)
    h3 = weights[(weights["from_vintage"] == "H3") & weights["from_code"].str.startswith("8708")]
    assert {a: set(g["to_code"]) for a, g in h3.groupby("from_code")} == targets
    assert weight_of(weights, "H3", "870830") == {"870831": (0.75, "trade_share"), "870839": (0.25, "trade_share")}
    assert weight_of(weights, "H3", "870895") == {"870899": (1.0, "n_to_1")}  # airbags: whole into 870899


# --- properties --------------------------------------------------------------------------------------

VINTAGES = ["H0", "H1", "H2", "H3", "H4", "H5", "H6"]
SOURCE_POOL = ["870323", "870340", "870830", "870899", "852411", "010121", "293371"]
TARGET_POOL = ["870321", "870323", "870390", "870831", "870839", "870899", "852990", "010111", "010120", "293390"]


@st.composite
def concordance_and_trade(draw):
    links, conversion = [], []
    vintages = draw(st.lists(st.sampled_from(VINTAGES[1:]), min_size=1, max_size=3, unique=True))
    for vintage in vintages:
        for source in SOURCE_POOL:
            targets = draw(st.lists(st.sampled_from(TARGET_POOL), min_size=1, max_size=4, unique=True))
            links += [(vintage, source, target) for target in targets]
            # The UN conversion picks one of the links, one the HS4 backbone keeps (as in the real tables).
            inside = source[:4] in BACKBONE_HEADINGS
            fitting = [t for t in targets if (t[:4] == source[:4]) if inside] or [t for t in targets if not inside and t[:4] not in BACKBONE_HEADINGS]
            conversion.append((vintage, source, draw(st.sampled_from(fitting or targets))))
    h0_trade = pd.DataFrame(
        {
            "hs6": draw(st.lists(st.sampled_from(TARGET_POOL), max_size=8)),
        }
    )
    h0_trade["value_usd"] = draw(st.lists(st.floats(0, 1e12), min_size=len(h0_trade), max_size=len(h0_trade)))
    links = concordance(links)
    links.attrs["un_conversion"] = un_conversion(conversion)
    n_rows = draw(st.integers(0, 30))
    frame = pd.DataFrame(
        {
            "year": draw(st.lists(st.sampled_from([1995, 2010, 2022]), min_size=n_rows, max_size=n_rows)),
            "classification": pd.Series(draw(st.lists(st.sampled_from(["H0", *vintages]), min_size=n_rows, max_size=n_rows)), dtype="str"),
            "cmd_code": pd.Series(draw(st.lists(st.sampled_from(SOURCE_POOL), min_size=n_rows, max_size=n_rows)), dtype="str"),
            "value_usd": draw(st.lists(st.floats(-1e9, 1e12), min_size=n_rows, max_size=n_rows)),
        }
    )
    return links, h0_trade, frame


# Few examples: each builds weights and converts (~0.1 s of pandas); the pools are small, so 20 cover
# the link shapes (1:1, n:1, 1:n, n:n, zero-trade targets, H0 rows) many times over.
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(concordance_and_trade())
def test_property_conversion_conserves_value_and_weights_sum_to_one(data):
    links, h0_trade, frame = data
    weights = conversion_weights(links, h0_trade if len(h0_trade) else None, links.attrs["un_conversion"])

    sums = weights.groupby(["from_vintage", "from_code"])["weight"].sum()
    assert sums.eq(1.0).all() and len(sums) == links["from_vintage"].nunique() * len(SOURCE_POOL)
    assert weights_not_summing_to_one(weights).empty and "equal_share" not in set(weights["weight_method"])
    out = convert_to_h0(frame, weights)
    assert conservation_gap(frame, out, "value_usd", by=["year", "classification"]).empty
    # Every output row goes to one of its source's targets (or is an H0 row passing through).
    allowed = set(zip(weights["from_vintage"], weights["from_code"], weights["to_code"]))
    converted = out[out["hs_vintage"] != "H0"]
    assert all(key in allowed for key in zip(converted["hs_vintage"], converted["cmd_code"], converted["hs6"]))
    assert (out.loc[out["hs_vintage"] == "H0", "hs6"] == out.loc[out["hs_vintage"] == "H0", "cmd_code"]).all()


@settings(max_examples=12, deadline=None)
@given(
    st.lists(st.floats(0.0, 1e6), min_size=2, max_size=12),
    st.lists(st.floats(-1e12, 1e12), min_size=1, max_size=20),
)
def test_property_random_weight_tables_conserve_value(target_trade, values):
    targets = [f"8708{i:02d}" for i in range(len(target_trade))]
    weights = conversion_weights(
        concordance([("H4", "870899", t) for t in targets]), pd.DataFrame({"hs6": targets, "value_usd": target_trade}),
        un_conversion([("H4", "870899", targets[-1])]),
    )
    frame = trade([(2015, "H4", "870899", v) for v in values])
    out = convert_to_h0(frame, weights)
    assert conservation_gap(frame, out).empty
    assert abs(out["value_usd"].sum() - frame["value_usd"].sum()) <= 1e-9 * np.abs(frame["value_usd"]).sum() + 0.01


@pytest.mark.real_data
def test_real_comtrade_rows_across_revisions_convert_one_to_one(real_data_dir, real_concordance, real_conversion):
    # Real legacy Comtrade rows of 871200 (bicycles) reported in H2..H5 by reporter and year; 1:1 in every table.
    path = real_data_dir / "comtrade_legacy" / "legacy_871200_2016-2019_allreporters_world_asreported.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [(int(r["Year"]), r["Classification"], r["Commodity Code"], float(r["Trade Value (US$)"])) for r in csv.DictReader(handle)]
    frame = trade(rows)
    assert set(frame["classification"]) == {"H2", "H3", "H4", "H5"}

    out = convert_to_h0(frame, conversion_weights(real_concordance, None, real_conversion))
    assert len(out) == len(frame)
    assert set(out["hs6"]) == {"871200"} and set(out["conversion_method"]) == {"one_to_one"}
    assert list(out["value_usd"]) == list(frame["value_usd"])
    assert conservation_gap(frame, out, by=["year"]).empty


# --- the issue-13 cases: real UN tables, pooled evidence, fallback, reproducibility ---------------------


@pytest.mark.real_data
def test_real_h6_integrated_circuits_land_in_8542_not_in_197_codes(real_concordance, real_conversion):
    h6_ic = real_concordance[(real_concordance["from_vintage"] == "H6") & (real_concordance["from_code"] == "854231")]
    assert len(h6_ic) == 197  # the correlation table's n:n group
    weights = conversion_weights(real_concordance, None, real_conversion)
    for code in ("854231", "854232", "854239"):
        rows = weight_of(weights, "H6", code)
        assert all(t.startswith("8542") for t in rows), code
        assert rows["854211"] == (1.0, "un_conversion")  # HS2022 → HS1992 Conversion sheet: 854231 → 854211
    out = convert_to_h0(trade([(2023, "H6", "854231", 1000.0)]), weights)
    assert list(zip(out["hs6"], out["value_usd"])) == [("854211", 1000.0)]


@pytest.mark.real_data
def test_real_h5_ev_lines_land_in_8703_and_engines_stay_in_8407_8408(real_concordance, real_conversion):
    # Pooled trade in 8703 large enough to split by: 870323 : 870390 = 1 : 3 (no trade in 870321/22/24).
    pooled = pd.DataFrame({"hs6": ["870323", "870390", "840733", "854911"], "value_usd": [1e9, 3e9, 5e9, 5e9]})
    weights = conversion_weights(real_concordance, pooled, real_conversion)
    for code in ("870340", "870350", "870360", "870370", "870380"):
        assert all(t.startswith("8703") for t in weight_of(weights, "H5", code)), code
    hybrids = weight_of(weights, "H5", "870340")
    assert hybrids["870323"] == (0.25, "trade_share") and hybrids["870390"] == (0.75, "trade_share")
    for vintage in ("H1", "H2", "H3", "H4", "H5", "H6"):
        for engine in ("840733", "840734", "840820"):
            assert weight_of(weights, vintage, engine) == {engine: (1.0, "one_to_one")}, (vintage, engine)
    # Nothing from HS2022 8549 (electrical waste) reaches the engine lines.
    h6_waste = weights[(weights["from_vintage"] == "H6") & weights["from_code"].str.startswith("8549")]
    assert not h6_waste["to_code"].str.slice(0, 4).isin(["8407", "8408"]).any()


def _clean_year(path, rows) -> None:
    """A comtrade_clean file with the columns the pooled evidence reads (year, classification, flow, cmd_code, value_usd)."""
    frame = pd.DataFrame(rows, columns=["year", "reporter_iso", "flow", "classification", "cmd_code", "value_usd"])
    frame.to_parquet(path, index=False)


def test_pooled_evidence_two_years_two_reporters_by_hand(tmp_path):
    _clean_year(tmp_path / "2001.parquet", [
        (2001, "JPN", "X", "H0", "870831", 1_500_000.0),
        (2001, "THA", "M", "H0", "870831", 500_000.0),
        (2001, "THA", "M", "H0", "870839", 250_000.0),
        (2001, "JPN", "RX", "H0", "870839", 9e9),  # re-export: not evidence
        (2001, "JPN", "X", "H1", "870839", 9e9),  # not H0: not evidence
    ])
    _clean_year(tmp_path / "2002.parquet", [
        (2002, "JPN", "X", "H0", "870839", 750_000.0),
        (2002, "THA", "M", "H0", "870831", -100.0),  # negative counts as 0
        (2002, "THA", "X", "H0", "870899", 400_000.0),
    ])
    with duckdb_session(tmp_path / "spill") as con:
        pooled = pooled_h0_trade(con, [tmp_path / "2001.parquet", tmp_path / "2002.parquet"])
    # 870831: 1.5 m + 0.5 m = 2.0 m (2 years? no: 2001 only, 2002's is negative); 870839: 0.25 m + 0.75 m = 1.0 m.
    assert pooled.set_index("hs6")["value_usd"].to_dict() == {"870831": 2_000_000.0, "870839": 1_000_000.0, "870899": 400_000.0}
    assert pooled.set_index("hs6")["years"].to_dict() == {"870831": 2, "870839": 2, "870899": 1}

    links = concordance([("H3", "870830", "870831"), ("H3", "870830", "870839"),
                         ("H3", "870850", "870850"), ("H3", "870850", "870899")])
    conversion = un_conversion([("H3", "870830", "870839"), ("H3", "870850", "870850")])
    weights = conversion_weights(links, pooled, conversion)
    # 870830: USD 3.0 m of evidence ≥ 1 m → 2/3 and 1/3 (2/3 rounded to the 2^-40 grid; the sum is exactly 1).
    split = weight_of(weights, "H3", "870830")
    assert split["870831"][0] == pytest.approx(2 / 3, abs=1e-12) and split["870839"][0] == pytest.approx(1 / 3, abs=1e-12)
    assert split["870831"][0] + split["870839"][0] == 1.0 and {m for _, m in split.values()} == {"trade_share"}
    # 870850: USD 0.4 m of evidence < 1 m → the UN conversion (870850) takes it all.
    assert weight_of(weights, "H3", "870850") == {"870850": (1.0, "un_conversion"), "870899": (0.0, "un_conversion")}
    assert weights.set_index(["from_code", "to_code"])["evidence_usd"].to_dict() == {
        ("870830", "870831"): 2e6, ("870830", "870839"): 1e6, ("870850", "870850"): 0.0, ("870850", "870899"): 4e5}


def test_weights_are_reproducible_to_the_byte(tmp_path):
    links = concordance([("H6", "852411", f"8529{i:02d}") for i in range(7)] + HYBRID_LINKS)
    pooled = pd.DataFrame({"hs6": [f"8529{i:02d}" for i in range(7)] * 2, "value_usd": [1 / 3, 2 / 7, 0.1, 1e-3, 5.5e6, 1e7 / 3, 0.7] * 2})
    conversion = un_conversion([("H5", "870340", "870390"), ("H6", "852411", "852900")])
    digests = []
    for order in (pooled, pooled.iloc[::-1]):  # the same trade in another row order
        path = tmp_path / f"w{len(digests)}.parquet"
        conversion_weights(links, order, conversion).to_parquet(path, index=False)
        digests.append(path.read_bytes())
    assert digests[0] == digests[1]
