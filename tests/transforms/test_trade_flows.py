"""build_trade_flows on a hand-made year: facts only, ISO3, HS1992 codes, both sides brought together."""

import pandas as pd
import pytest

from assets.transforms.harmonization.hs_conversion import conversion_weights
from assets.transforms.harmonization.trade_flows import build_trade_flows
from assets.transforms.reference.country_codes import build_country_codes

CONCORDANCE = pd.DataFrame(
    {
        "from_vintage": ["H5", "H5", "H5"],
        "from_code": ["870340", "870340", "870323"],
        "to_vintage": ["H0", "H0", "H0"],
        "to_code": ["870322", "870323", "870323"],
        "relationship": ["n:n", "n:n", "n:n"],
    }
)
UN_CONVERSION = pd.DataFrame({"from_vintage": ["H5", "H5"], "from_code": ["870340", "870323"], "to_code": ["870323", "870323"]})
# Pooled H0 trade (all reporters, all years): USD 3 m in 870322, 1 m in 870323 → hybrids split 3/4 : 1/4.
POOLED = pd.DataFrame({"hs6": ["870322", "870323"], "value_usd": [3e6, 1e6]})
WEIGHTS = conversion_weights(CONCORDANCE, POOLED, UN_CONVERSION)


def _record(reporter: str, partner: str, flow: str, cmd: str, value: float, **extra) -> dict:
    # cif_usd / fob_usd as cleaning fills them: the declared basis (imports CIF, exports FOB).
    row = dict(year=2018, reporter_code=reporter, partner_code=partner, flow=flow, classification="H5", cmd_code=cmd,
               value_usd=value, cif_usd=value if flow == "M" else None, fob_usd=value if flow == "X" else None,
               qty=None, qty_unit="u", net_kg=None, qty_estimated=False, partner_is_nes=False)
    return row | extra


def test_facts_are_converted_and_reconciled() -> None:
    clean = pd.DataFrame(
        [
            _record("392", "764", "X", "870340", 100.0),  # JPN exports hybrids to THA (H5, splits 1:2 in H0)
            _record("764", "392", "M", "870340", 104.0),  # THA's mirror import report, CIF
            _record("392", "764", "X", "870323", 50.0),  # only Japan reports this line
            _record("392", "764", "RX", "870323", 7.0),  # a re-export: never a bilateral fact
            _record("392", "899", "X", "870323", 9.0, partner_is_nes=True),  # areas n.e.s.: not a country
        ]
    )
    clean["qty"] = clean["qty"].astype("float64")
    clean["net_kg"] = clean["net_kg"].astype("float64")
    built = build_trade_flows(clean, WEIGHTS, build_country_codes(None))

    steps = built.steps.set_index("step")
    assert steps.loc["re-exports and re-imports kept out of bilateral facts", "value_removed_usd"] == 7.0
    assert steps.loc["partner is an area n.e.s. (not a country)", "rows_removed"] == 1
    assert built.conversion_gap.empty  # value conserved by the conversion

    flows = built.flows.set_index("hs6")
    assert set(built.flows["exporter"]) == {"JPN"} and set(built.flows["importer"]) == {"THA"}
    # The year has no H0 trade; the pooled weights (3/4 to 870322, 1/4 to 870323) split the hybrids.
    assert flows.loc["870322", "value_exporter_fob_usd"] == pytest.approx(75.0)
    assert flows.loc["870322", "value_importer_cif_usd"] == pytest.approx(78.0)
    assert flows.loc["870322", "conversion_weight"] == pytest.approx(0.75)
    # 870323 gets the other quarter of the hybrids plus Japan's own 870323 line (n:1 sums).
    assert flows.loc["870323", "value_exporter_fob_usd"] == pytest.approx(25.0 + 50.0)
    assert flows.loc["870323", "value_importer_cif_usd"] == pytest.approx(26.0)
    assert flows.loc["870322", "value_importer_fob_usd"] == pytest.approx(78.0 / 1.04)
    # Both report the pair, so chapter 87 is reconciled as a whole: Japan 150, Thailand 104 / 1.04 = 100; with no
    # flow of USD 10,000 to judge reliability both sides weigh 0.5 → 125, distributed by both sides' line shares.
    assert set(built.flows["recon_group"]) == {"87"} and set(built.flows["recon_rule"]) == {"both_weighted"}
    assert built.flows["value_usd"].sum() == pytest.approx(0.5 * 150.0 + 0.5 * 100.0)
    assert flows.loc["870322", "value_usd"] == pytest.approx(125.0 * (0.5 * 75.0 / 150.0 + 0.5 * 78.0 / 104.0))


def test_the_same_cars_in_two_vintages_are_counted_once() -> None:
    # Japan reports its hybrids in H5 870340 (100), Thailand the same cars in H4 870322 (104 CIF). After
    # conversion Japan's 870340 is split 50/50 over H0 870322 and 870323: line by line 870323 was Japan's alone
    # (50) on top of 870322 weighted between 50 and 100, so JPN→THA cars came to 100–150 (125 with equal
    # weights, 140 in the case). Reconciled per chapter both sides say 100.
    concordance = pd.concat([CONCORDANCE, pd.DataFrame({"from_vintage": ["H4"], "from_code": ["870322"], "to_vintage": ["H0"],
                                                        "to_code": ["870322"], "relationship": ["1:1"]})], ignore_index=True)
    # Equal pooled evidence in the two H0 targets: the hybrids split 50/50.
    weights = conversion_weights(concordance, pd.DataFrame({"hs6": ["870322", "870323"], "value_usd": [1e6, 1e6]}), UN_CONVERSION)
    clean = pd.DataFrame([_record("392", "764", "X", "870340", 100.0),
                          _record("764", "392", "M", "870322", 104.0, classification="H4")])
    clean["qty"] = clean["qty"].astype("float64")
    clean["net_kg"] = clean["net_kg"].astype("float64")
    built = build_trade_flows(clean, weights, build_country_codes(None))

    assert built.flows["value_usd"].sum() == pytest.approx(100.0)  # w × 100 + (1 − w) × 104 / 1.04 for any w
    assert set(built.flows["hs6"]) == {"870322", "870323"}


def test_self_trade_leaves_trade_flows_counted_with_its_value() -> None:
    clean = pd.DataFrame([_record("764", "764", "M", "870323", 123.0),  # THA "imports from THA"
                          _record("392", "764", "X", "870323", 50.0)])
    clean["qty"] = clean["qty"].astype("float64")
    clean["net_kg"] = clean["net_kg"].astype("float64")
    built = build_trade_flows(clean, WEIGHTS, build_country_codes(None))

    step = built.steps.set_index("step").loc["self-trade (reporter = partner) kept out of bilateral facts"]
    assert (step["rows_removed"], step["value_removed_usd"]) == (1, 123.0)
    assert not (built.flows["exporter"] == built.flows["importer"]).any()
    assert built.flows["value_usd"].sum() == 50.0
