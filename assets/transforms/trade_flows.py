"""From cleaned reporter-side records to `trade_flows`: ISO3 countries, HS1992 codes, both sides reconciled.

The three steps each live in their own module (country_codes, hs_conversion, reconciliation); this one
chains them, keeps count of what each step sets aside, and returns the value-conservation check of the
HS conversion.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from assets.transforms.country_codes import to_iso3
from assets.transforms.hs_conversion import conservation_gap, convert_to_h0
from assets.transforms.reconciliation import INPUT_COLUMNS, TRADE_FLOWS_COLUMNS, VALUE_BASIS_COLUMN, reconcile_mirror_flows

FACT_FLOWS = ("X", "M")  # re-exports and re-imports stay in comtrade_clean, never in bilateral facts


@dataclass(frozen=True)
class TradeFlowsBuild:
    flows: pd.DataFrame
    steps: pd.DataFrame  # step, rows_removed, value_removed_usd, rows_after
    conversion_gap: pd.DataFrame  # years whose value changed in HS conversion (empty = conserved)


def _step(steps: list[dict], name: str, removed: pd.DataFrame, after: pd.DataFrame) -> None:
    steps.append(
        {"step": name, "rows_removed": len(removed), "value_removed_usd": float(removed["value_usd"].sum()), "rows_after": len(after)}
    )


def select_bilateral_facts(clean: pd.DataFrame, country_codes: pd.DataFrame, steps: list[dict]) -> pd.DataFrame:
    """X and M records between two identified countries, with reporter and partner as ISO3."""
    is_fact = clean["flow"].isin(FACT_FLOWS)
    _step(steps, "re-exports and re-imports kept out of bilateral facts", clean[~is_fact], clean[is_fact])
    facts = clean[is_fact]
    nes = facts["partner_is_nes"].fillna(False).astype(bool)
    _step(steps, "partner is an area n.e.s. (not a country)", facts[nes], facts[~nes])
    facts = facts[~nes].copy()
    years = facts["year"].astype("int64")
    facts["reporter"] = to_iso3(facts["reporter_code"], years, country_codes)
    facts["partner"] = to_iso3(facts["partner_code"], years, country_codes)
    unidentified = facts["reporter"].isna() | facts["partner"].isna() | (facts["partner"] == "WLD")
    _step(steps, "reporter or partner not a country (special categories, regions)", facts[unidentified], facts[~unidentified])
    facts = facts[~unidentified].copy()
    # A country's trade with itself (e.g. THA imports from THA: re-imports of own goods) is not trade between
    # countries and would be mirrored onto itself; it leaves trade_flows, counted with its value.
    self_trade = facts["reporter"] == facts["partner"]
    _step(steps, "self-trade (reporter = partner) kept out of bilateral facts", facts[self_trade], facts[~self_trade])
    facts = facts[~self_trade].copy()
    # An import declared FOB (no CIF value, a FOB value) is used as declared, never divided by CIF/FOB again.
    declared_fob = (facts["flow"] == "M") & facts["cif_usd"].isna() & facts["fob_usd"].notna()
    facts[VALUE_BASIS_COLUMN] = pd.Series("CIF", index=facts.index, dtype="str").mask(declared_fob, "FOB")
    return facts


def build_trade_flows(
    clean: pd.DataFrame, weights: pd.DataFrame, country_codes: pd.DataFrame, cif_fob_method: str = "flat"
) -> TradeFlowsBuild:
    """`comtrade_clean` of one year → `trade_flows` (see DESIGN.md), with step counts and the conversion check.

    `weights`: the `hs_conversion_weights` asset (hs_conversion.conversion_weights: pooled trade shares
    over all years, else the UN conversion), the same for every year; each row's weight and method are kept.
    """
    steps: list[dict] = []
    facts = select_bilateral_facts(clean, country_codes, steps)
    converted = convert_to_h0(
        facts, weights, code_col="cmd_code", vintage_col="classification", value_cols=["value_usd"], qty_cols=["qty", "net_kg"]
    )
    gap = conservation_gap(facts, converted, "value_usd", by=["year"])
    split = converted["conversion_weight"] < 1
    steps.append({"step": "HS conversion to H0 (rows split by 1:n links)", "rows_removed": 0, "value_removed_usd": 0.0,
                  "rows_after": len(converted), "rows_split": int(split.sum())})
    # Records sharing a key after conversion (n:1 links) are summed inside the reconciliation.
    reporter_side = converted[[*INPUT_COLUMNS, VALUE_BASIS_COLUMN]]
    flows = reconcile_mirror_flows(reporter_side, cif_fob=cif_fob_method)
    steps.append({"step": "mirror reconciliation (one row per exporter, importer, hs6)", "rows_removed": 0,
                  "value_removed_usd": 0.0, "rows_after": len(flows)})
    return TradeFlowsBuild(flows=flows[TRADE_FLOWS_COLUMNS], steps=pd.DataFrame(steps), conversion_gap=gap)
