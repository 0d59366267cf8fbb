"""4-digit declarations standing in for missing HS6 lines, for groups the scope defines at HS4.

Belongs here: reading a year's 4-digit declarations of the scope's headings from `comtrade_totals`
(`heading_declarations_sql`, DuckDB over its Parquet file, or `heading_declarations_from_frame`) and turning
them into flows of the indicator stage (`heading_flows`) where trade_flows has no HS6 line for that
exporter, importer and heading. Not here: cleaning (4-digit rows stay in comtrade_totals, as cleaning puts
them), trade_flows, indicator formulas.

The rule (docs/methods.md, "4-digit declarations"): a heading H is usable when the scope defines a group
by H as a whole (a 4-digit prefix, e.g. electronics 8542). For each year, pair of countries and direction
(exporter → importer) and heading H:
- trade_flows has any HS6 line of H for that exporter and importer (from either side's declaration) →
  the HS6 lines are used and every 4-digit declaration of it is left out (never counted twice);
- else the exporter's 4-digit export declaration, FOB as declared;
- else the importer's 4-digit import declaration: FOB as declared, or CIF divided by the flat CIF/FOB
  ratio (reconciliation.FLAT_CIF_FOB_RATIO, as trade_flows does for an importer's line).
Declarations with partner World, an area n.e.s. or a special code name no partner country, and declarations
with the reporter itself as partner (re-imports) are self-trade: both are left out, as trade_flows leaves them
out; `heading_flows` counts what it used and left out, with the reason.
Headings are compared as declared (HS vintage of the declaration); the 4-digit headings of the shipped
scopes (8541, 8542) have kept their number in every HS revision.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from assets.transforms.harmonization.reconciliation import FLAT_CIF_FOB_RATIO
from assets.transforms.indicators.trade_base import usable_quantity
from assets.transforms.reference.country_codes import to_iso3
from assets.transforms.reference.scope import Scope
from assets.vocabulary import WORLD

DECLARATION_COLUMNS = [
    "year", "reporter_code", "partner_code", "flow", "cmd_code", "value_usd", "cif_usd", "fob_usd",
    "qty", "qty_unit", "net_kg", "qty_estimated",
]
# What heading_flows returns: trade_flows' columns the indicator stage reads, plus the heading and who declared.
HEADING_FLOW_COLUMNS = [
    "year", "exporter", "importer", "heading", "value_usd", "value_exporter_fob_usd", "value_importer_cif_usd",
    "value_importer_fob_usd", "qty", "qty_unit", "net_kg", "qty_estimated", "declared_by",
]


def heading_declarations_sql(relation: str, headings: list[str]) -> str:
    """SQL selecting DECLARATION_COLUMNS of the 4-digit X/M declarations of `headings` in `relation`
    (comtrade_totals rows), partner World excluded, in a fixed order."""
    if not headings:
        return f"SELECT {', '.join(DECLARATION_COLUMNS)} FROM {relation} WHERE false"
    listed = ", ".join(f"'{h}'" for h in sorted(headings) if h.isdigit() and len(h) == 4)
    return f"""
SELECT {', '.join(DECLARATION_COLUMNS)} FROM {relation}
WHERE cmd_code IN ({listed}) AND flow IN ('X', 'M') AND NOT coalesce(is_world_partner, false)
ORDER BY year, reporter_code, partner_code, flow, cmd_code"""


def heading_declarations_from_frame(comtrade_totals: pd.DataFrame, headings: list[str]) -> pd.DataFrame:
    """The same selection as `heading_declarations_sql` on a comtrade_totals frame (tests, small tables)."""
    rows = comtrade_totals[
        comtrade_totals["cmd_code"].astype("str").isin(headings)
        & comtrade_totals["flow"].isin(["X", "M"])
        & ~comtrade_totals["is_world_partner"].astype("boolean").fillna(False).astype(bool)
    ]
    return rows[DECLARATION_COLUMNS].sort_values(["year", "reporter_code", "partner_code", "flow", "cmd_code"],
                                                  kind="mergesort").reset_index(drop=True)


def _fob(declarations: pd.DataFrame) -> pd.Series:
    """FOB value of each declaration: exports as declared; imports FOB as declared, else CIF / flat ratio."""
    value = pd.to_numeric(declarations["value_usd"], errors="coerce").astype("float64")
    cif = pd.to_numeric(declarations["cif_usd"], errors="coerce").astype("float64")
    fob = pd.to_numeric(declarations["fob_usd"], errors="coerce").astype("float64")
    exports = declarations["flow"] == "X"
    declared_fob = cif.isna() & fob.notna()
    imports = np.where(declared_fob, fob, cif.fillna(value) / FLAT_CIF_FOB_RATIO)
    return pd.Series(np.where(exports, fob.fillna(value), imports), index=declarations.index, dtype="float64")


def heading_flows(
    declarations: pd.DataFrame, trade_flows: pd.DataFrame, country_codes: pd.DataFrame, scope: Scope, year: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Flows from 4-digit declarations where trade_flows has no HS6 line (rule in the module docstring).

    In: declarations (DECLARATION_COLUMNS, e.g. from `heading_declarations_sql`), trade_flows of `year`
    (exporter, importer, hs6), country_codes, the scope (its 4-digit headings), the year. Out: (flows with
    HEADING_FLOW_COLUMNS, one row per exporter, importer and heading used; a summary with reason, rows,
    value_usd for every declaration: "used", "hs6_lines_exist", "other_side_used", "no_partner_country",
    "self_trade").
    """
    headings = scope.hs4_headings
    rows = declarations[declarations["cmd_code"].astype("str").isin(list(headings))].copy()
    rows = rows[pd.to_numeric(rows["year"], errors="coerce") == year].reset_index(drop=True)
    empty = pd.DataFrame({c: pd.Series(dtype="float64" if c.startswith("value") or c in ("qty", "net_kg") else "str")
                          for c in HEADING_FLOW_COLUMNS})
    if rows.empty:
        return empty, pd.DataFrame({"reason": pd.Series(dtype="str"), "rows": pd.Series(dtype="int64"),
                                    "value_usd": pd.Series(dtype="float64")})
    rows["reporter"] = to_iso3(rows["reporter_code"].astype("str"), year, country_codes).to_numpy()
    rows["partner"] = to_iso3(rows["partner_code"].astype("str"), year, country_codes).to_numpy()
    rows["fob"] = _fob(rows)
    exports = rows["flow"] == "X"
    rows["exporter"] = rows["reporter"].where(exports, rows["partner"])
    rows["importer"] = rows["partner"].where(exports, rows["reporter"])
    rows["heading"] = rows["cmd_code"].astype("str")
    no_partner = rows["partner"].isna() | rows["reporter"].isna() | (rows["partner"] == WORLD)
    # A declaration with the reporter itself as partner (re-imports) is not international trade (trade_base).
    self_trade = ~no_partner & (rows["exporter"] == rows["importer"])
    no_partner = no_partner | self_trade

    # Only the lines of the scope's headings matter: a full year of trade_flows holds millions of other lines.
    of_headings = trade_flows["hs6"].astype("str").str.slice(0, 4).isin(list(headings))
    hs6 = trade_flows.loc[of_headings, ["exporter", "importer", "hs6"]].astype("str")
    covered = set(zip(hs6["exporter"], hs6["importer"], hs6["hs6"].str.slice(0, 4)))
    has_lines = pd.Series([key in covered for key in zip(rows["exporter"], rows["importer"], rows["heading"])],
                          index=rows.index, dtype="bool") & ~no_partner
    candidate = ~no_partner & ~has_lines
    # The exporter's declaration first (FOB as declared), then the importer's.
    rank = np.where(exports, 0, 1)
    order = rows.assign(rank=rank)[candidate].sort_values(["exporter", "importer", "heading", "rank"], kind="mergesort")
    chosen = order.drop_duplicates(["exporter", "importer", "heading"])
    other_side = candidate & ~rows.index.isin(chosen.index)

    reason = pd.Series("used", index=rows.index, dtype="str")
    reason = reason.mask(other_side, "other_side_used").mask(has_lines, "hs6_lines_exist").mask(
        no_partner, "no_partner_country").mask(self_trade, "self_trade")
    summary = rows.assign(reason=reason).groupby("reason", sort=True).agg(
        rows=("fob", "size"), value_usd=("fob", "sum")).reset_index()

    chosen = chosen.reset_index(drop=True)
    by_exporter = chosen["flow"] == "X"
    out = pd.DataFrame({
        "year": pd.array([year] * len(chosen), dtype="Int64"),
        "exporter": chosen["exporter"].astype("str"),
        "importer": chosen["importer"].astype("str"),
        "heading": chosen["heading"].astype("str"),
        "value_usd": chosen["fob"].astype("float64"),
        "value_exporter_fob_usd": chosen["fob"].where(by_exporter).astype("float64"),
        "value_importer_cif_usd": pd.to_numeric(chosen["cif_usd"], errors="coerce").fillna(
            pd.to_numeric(chosen["value_usd"], errors="coerce")).where(~by_exporter).astype("float64"),
        "value_importer_fob_usd": chosen["fob"].where(~by_exporter).astype("float64"),
        "qty": pd.to_numeric(chosen["qty"], errors="coerce").astype("float64"),
        "qty_unit": chosen["qty_unit"].astype("str"),
        "net_kg": pd.to_numeric(chosen["net_kg"], errors="coerce").astype("float64"),
        "qty_estimated": chosen["qty_estimated"].astype("boolean"),
        "declared_by": np.where(by_exporter, "exporter", "importer"),
    })
    out["declared_by"] = out["declared_by"].astype("str")
    return out[HEADING_FLOW_COLUMNS].sort_values(["exporter", "importer", "heading"], kind="mergesort").reset_index(drop=True), summary


def grouped_heading_flows(flows: pd.DataFrame, product_groups: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    """Heading flows in the indicator stage's grouped form: one row per flow and output group it belongs to.

    A heading's flow belongs to the heading's group, to the scope's all-lines group, and to its BEC
    parts-and-components group when every HS6 line of the heading in `product_groups` has that stage.
    Out: exporter, importer, hs6 (the 4-digit heading: these flows have no HS6 line), the value columns,
    line_group, uv_qty (usable quantity per the group's basis), product_group.
    """
    if flows.empty:
        return pd.DataFrame()
    headings = scope.hs4_headings
    stages = product_groups.assign(heading=product_groups["hs6"].astype("str").str.slice(0, 4))
    parts_headings = {
        heading for heading, stage in stages.groupby("heading")["bec_stage"]
        if heading in headings and len(stage) and (stage == "parts_and_components").all()
    }
    base = flows.rename(columns={"heading": "hs6"}).drop(columns=["declared_by", "year"])
    base["line_group"] = base["hs6"].map(headings).astype("str")
    base["uv_qty"] = usable_quantity(flows, base["line_group"], scope.quantity_basis)
    parts = [base.assign(product_group=base["line_group"]), base.assign(product_group=scope.all_group)]
    in_parts = base["hs6"].isin(parts_headings)
    if in_parts.any():
        parts.append(base[in_parts].assign(product_group=scope.parts_components_group))
    return pd.concat(parts, ignore_index=True)
