"""From trade_flows to the tables every trade indicator reads: groups per line, pairs, HS6 lines.

Belongs here: which HS6 lines make which output product group, the usable quantity of a flow for unit
values, the country-partner tables (each flow seen once from the exporter's side as X and once from
the importer's side as M) at group and at HS6 level, and their sums over partner aggregates (WLD and
regions). Not here: indicator formulas.

Self-trade rows (exporter == importer, e.g. re-imports) are not international trade and are left out.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from assets.errors import RvcInputError
from assets.transforms.indicators.common import require_columns
from assets.transforms.reference.scope import Scope
from assets.vocabulary import WORLD

PARTS_AND_COMPONENTS = "parts_and_components"

FLOW_COLUMNS = [
    "year",
    "exporter",
    "importer",
    "hs6",
    "value_usd",
    "value_exporter_fob_usd",
    "value_importer_cif_usd",
    "value_importer_fob_usd",
    "qty",
    "qty_unit",
    "net_kg",
    "qty_estimated",
]
PRODUCT_GROUP_COLUMNS = ["hs6", "product_group", "bec_stage", "in_scope"]


def group_membership(product_groups: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    """Which output product groups each HS6 line of the scope belongs to.

    In: product_groups (hs6, product_group, bec_stage, in_scope) and the scope. Out: columns hs6,
    product_group (one of scope.line_groups), line_group (the line's own group of the scope, or "other");
    a line appears once per group it belongs to: its own group, the scope's all-lines group when in
    scope, the BEC parts-and-components group when also bec_stage == "parts_and_components". Lines
    outside the scope have no row (they only count in total_merchandise).
    """
    require_columns(product_groups, PRODUCT_GROUP_COLUMNS, "product_groups")
    lines = product_groups[PRODUCT_GROUP_COLUMNS].copy()
    lines["hs6"] = lines["hs6"].astype("str")
    duplicated = lines["hs6"].duplicated(keep=False)
    if duplicated.any():
        codes = sorted(lines.loc[duplicated, "hs6"].unique())[:10]
        raise RvcInputError(
            f"product_groups: hs6 codes listed more than once: {codes}; expected one row per HS6 (H0) code. "
            "Rebuild product_groups so each code has one group."
        )
    own_groups = scope.group_names
    lines["line_group"] = lines["product_group"].astype("str").where(lines["product_group"].isin(own_groups), "other")
    in_scope = lines["in_scope"].fillna(False).astype(bool) | lines["line_group"].isin(own_groups)
    parts = in_scope & (lines["bec_stage"].astype("str") == PARTS_AND_COMPONENTS)
    own = lines[lines["line_group"].isin(own_groups)].assign(product_group=lambda f: f["line_group"])
    every_line = lines[in_scope].assign(product_group=scope.all_group)
    pc = lines[parts].assign(product_group=scope.parts_components_group)
    membership = pd.concat([own, every_line, pc], ignore_index=True)[["hs6", "product_group", "line_group"]]
    return membership.sort_values(["hs6", "product_group"], kind="mergesort").reset_index(drop=True)


def usable_quantity(flows: pd.DataFrame, line_group: pd.Series, quantity_basis: Mapping[str, str]) -> pd.Series:
    """The quantity a flow contributes to unit values, NaN where it has none that can be used.

    `quantity_basis` maps a group to "u" (items) or "kg" (the scope's `quantity`): items for groups
    counted in items, kilograms for weighed ones (qty when qty_unit is "kg", else net_kg); flows with
    qty_estimated True are excluded (an estimated quantity makes an invented unit value). `line_group`
    is aligned with `flows`.
    """
    basis = line_group.map(dict(quantity_basis))
    qty = pd.to_numeric(flows["qty"], errors="coerce").astype("float64")
    net_kg = pd.to_numeric(flows["net_kg"], errors="coerce").astype("float64")
    unit = flows["qty_unit"].astype("str")
    items = qty.where((basis == "u") & (unit == "u"))
    kilograms = qty.where(unit == "kg").fillna(net_kg).where(basis == "kg")
    quantity = items.fillna(kilograms)
    estimated = flows["qty_estimated"].astype("boolean").fillna(False).astype(bool)
    return quantity.where(~estimated & (quantity > 0))


def prepare_flows(trade_flows: pd.DataFrame, membership: pd.DataFrame, quantity_basis: Mapping[str, str]) -> pd.DataFrame:
    """trade_flows without self-trade, with line_group and usable quantity (`uv_qty`) per flow.

    Out: exporter, importer, hs6, value_usd, value_exporter_fob_usd, value_importer_cif_usd,
    value_importer_fob_usd, line_group ("other" outside the scope), uv_qty (float, NaN if unusable).
    """
    flows = trade_flows[trade_flows["exporter"] != trade_flows["importer"]]
    line_groups = membership.drop_duplicates("hs6").set_index("hs6")["line_group"]
    out = pd.DataFrame(
        {
            "exporter": flows["exporter"].astype("str"),
            "importer": flows["importer"].astype("str"),
            "hs6": flows["hs6"].astype("str"),
        }
    )
    for column in ("value_usd", "value_exporter_fob_usd", "value_importer_cif_usd", "value_importer_fob_usd"):
        out[column] = pd.to_numeric(flows[column], errors="coerce").astype("float64")
    if out["value_usd"].isna().any() or (out["value_usd"] < 0).any():
        bad = out.loc[out["value_usd"].isna() | (out["value_usd"] < 0)].head(5)
        raise RvcInputError(
            f"trade_flows: value_usd must be a non-negative number on every row; e.g. "
            f"{bad[['exporter', 'importer', 'hs6', 'value_usd']].to_dict('records')}. Re-run reconciliation."
        )
    out["line_group"] = out["hs6"].map(line_groups).fillna("other").astype("str")
    out["uv_qty"] = usable_quantity(flows, out["line_group"], quantity_basis)
    return out.reset_index(drop=True)


def group_flows(flows: pd.DataFrame, membership: pd.DataFrame) -> pd.DataFrame:
    """One row per flow and output line group it belongs to (flows of lines outside the scope drop out)."""
    return flows.merge(membership[["hs6", "product_group"]], on="hs6", how="inner", validate="many_to_many")


def two_sided(
    flows: pd.DataFrame,
    keys: list[str],
    export_values: Mapping[str, str],
    import_values: Mapping[str, str],
    nan_columns: frozenset[str] = frozenset(),
) -> pd.DataFrame:
    """Each flow seen by both countries: as exports of the exporter and as imports of the importer.

    `keys` are the extra key columns (e.g. product_group, hs6). `export_values` maps output column →
    flow column for the exporter's view (absent in the importer's view), `import_values` likewise.
    Out: country, partner, *keys, and the summed value columns, one row per country-partner-keys
    that has a flow in either direction; absent counts as 0 except in `nan_columns` (quantities,
    declarations), which stay NaN where nothing was there to sum.
    """
    exp = flows[["exporter", "importer", *keys]].rename(columns={"exporter": "country", "importer": "partner"})
    imp = flows[["importer", "exporter", *keys]].rename(columns={"importer": "country", "exporter": "partner"})
    for out_col, flow_col in export_values.items():
        exp[out_col] = flows[flow_col].to_numpy()
        imp[out_col] = np.nan
    for out_col, flow_col in import_values.items():
        imp[out_col] = flows[flow_col].to_numpy()
        exp[out_col] = np.nan
    both = pd.concat([exp, imp], ignore_index=True)
    value_cols = list(export_values) + [c for c in import_values if c not in export_values]
    sums = both.groupby(["country", "partner", *keys], sort=True, observed=True)[value_cols].sum(min_count=1)
    zero_filled = [c for c in value_cols if c not in nan_columns]
    sums[zero_filled] = sums[zero_filled].fillna(0.0)
    return sums.reset_index()


def partner_aggregates(
    table: pd.DataFrame,
    keys: list[str],
    value_cols: list[str],
    partner_sets: Mapping[str, set[str] | None],
    nan_columns: frozenset[str] = frozenset(),
) -> pd.DataFrame:
    """Sum a country-partner table over partner aggregates.

    `partner_sets` maps an aggregate code to its member set (None = every partner, i.e. WLD). Every
    (country, *keys) present in `table` gets one row per aggregate, 0 where it trades with no member,
    so "no trade with ASEAN" is an explicit zero. Columns in `nan_columns` stay NaN where every
    member is NaN. Out: country, partner (the aggregate code), *keys, value_cols.
    """
    universe = table[["country", *keys]].drop_duplicates()
    codes = list(partner_sets)
    membership = pd.DataFrame(
        [(partner, code) for code, members in partner_sets.items() if members is not None for partner in sorted(members)],
        columns=["partner", "aggregate"],
    )
    world = [code for code, members in partner_sets.items() if members is None]
    parts = [table.assign(aggregate=code) for code in world]
    if not membership.empty:
        parts.append(table.merge(membership, on="partner", how="inner"))
    stacked = pd.concat(parts, ignore_index=True) if parts else table.assign(aggregate=pd.Series(dtype="str"))
    sums = stacked.groupby(["country", "aggregate", *keys], sort=True, observed=True)[value_cols].sum(min_count=1)
    grid = universe.merge(pd.DataFrame({"aggregate": codes}), how="cross")
    out = grid.merge(sums.reset_index(), on=["country", "aggregate", *keys], how="left")
    zero_filled = [c for c in value_cols if c not in nan_columns]
    out[zero_filled] = out[zero_filled].fillna(0.0)
    out = out.rename(columns={"aggregate": "partner"})
    return out[["country", "partner", *keys, *value_cols]]


def partner_sets_for(regions_members: Mapping[str, set[str]]) -> dict[str, set[str] | None]:
    """WLD (every partner) followed by the given region member sets, in a stable order."""
    return {WORLD: None, **{code: regions_members[code] for code in regions_members}}
