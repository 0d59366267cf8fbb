"""Trade indicators of one year in the long format: the `trade_indicators` asset's logic.

Belongs here: `compute_trade_indicators`, which validates the inputs, builds the shared tables once
(indicators/trade_base.py) and stacks every trade indicator (indicators/trade_shares.py,
indicators/trade_structure.py). Not here: formulas, value-added indicators (va_indicators.py),
growth rates (indicator_panel.py). The catalog (assets/data/indicator_catalog.csv) defines every
indicator this returns.

Which rows, so the size stays proportional to the trade that exists rather than N × N × groups:
- bilateral indicators only for country-partner pairs that trade the group in either direction;
- aggregate partners WLD and the scope's partner regions (automotive and electronics scopes: ASEAN by
  accession year and ASEAN10) for every country trading the group, with explicit zeros where it has no
  trade with a region;
- rca, rca_symmetric, world_market_share, partner_hhi vs WLD only; intra_asean_share with
  country = partner = the region; total_merchandise only for exports_usd, imports_usd and
  trade_balance_index vs WLD (bilateral totals are not an input).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from assets.transforms.indicators.common import (
    finalize_indicator_frame,
    region_members,
    require_columns,
    require_single_year,
)
from assets.transforms.indicators.heading_declarations import grouped_heading_flows
from assets.transforms.indicators.trade_base import (
    FLOW_COLUMNS,
    group_flows,
    group_membership,
    partner_aggregates,
    partner_sets_for,
    prepare_flows,
    two_sided,
)
from assets.transforms.indicators.trade_shares import (
    import_source_share,
    intra_asean_share,
    parts_to_vehicles_ratio,
    partner_hhi,
    revealed_comparative_advantage,
    total_merchandise,
    total_merchandise_values,
    trade_intensity,
    trade_values,
)
from assets.transforms.indicators.trade_structure import grubel_lloyd, two_way_trade_share, unit_values
from assets.transforms.reference.scope import Scope, load_scope


_PAIR_EXPORT_VALUES = {
    "exports": "value_usd",
    "exports_reported": "value_exporter_fob_usd",
    "exports_mirror": "value_importer_fob_usd",
    "exports_uv_value": "uv_value",
    "exports_uv_qty": "uv_qty",
}
_PAIR_IMPORT_VALUES = {
    "imports": "value_usd",
    # The importer's own declaration is CIF as declared; its partners' are FOB.
    "imports_reported": "value_importer_cif_usd",
    "imports_mirror": "value_exporter_fob_usd",
}
_NAN_COLUMNS = frozenset(
    {"exports_reported", "exports_mirror", "imports_reported", "imports_mirror", "exports_uv_value", "exports_uv_qty"}
)


def compute_trade_indicators(
    trade_flows: pd.DataFrame,
    product_groups: pd.DataFrame,
    country_totals: pd.DataFrame,
    regions: pd.DataFrame,
    year: int,
    *,
    scope: Scope | None = None,
    heading_flows: pd.DataFrame | None = None,
    partner_regions: Sequence[str] | None = None,
    reference_exporter: str | None = None,
) -> pd.DataFrame:
    """Every trade indicator of the catalog for one year, long format.

    In: trade_flows of `year` (exporter, importer, hs6, value_usd and the reported sides, qty,
    qty_unit, net_kg, qty_estimated), product_groups (hs6, product_group, bec_stage, in_scope),
    country_totals of `year` (country, flow "X"/"M", value_usd; may lack countries), regions (region,
    iso3, from_year, to_year). `scope`: the study's scope (default: scopes/automotive.yaml) — its groups,
    quantity bases and stages; `partner_regions` (the region partners besides WLD) and `reference_exporter`
    (the country relative unit values compare with) default to the scope's. `heading_flows`: flows from
    4-digit declarations of the scope's HS4 headings where trade_flows has no HS6 line
    (indicators/heading_declarations.py, `heading_flows`); they count in every group-level indicator and
    in no HS6-level one (grubel_lloyd, two_way_trade_share).
    Out: year (Int64), country, partner, product_group, indicator, subtype, variant, value (float64,
    NaN only with a note), unit, note — one row per key, sorted by the key.
    Raises RvcInputError for missing columns, rows of another year, negative or missing values,
    duplicated product_groups codes or country_totals rows, regions absent from `regions`.
    """
    require_columns(trade_flows, FLOW_COLUMNS, "trade_flows")
    require_columns(country_totals, ["year", "country", "flow", "value_usd"], "country_totals")
    require_single_year(trade_flows, year, "trade_flows")
    scope = scope or load_scope()
    partner_regions = scope.partner_regions if partner_regions is None else tuple(partner_regions)
    reference_exporter = reference_exporter or scope.reference_exporter
    membership = group_membership(product_groups, scope)
    members = {region: region_members(regions, region, year) for region in partner_regions}
    partner_sets = partner_sets_for(members)

    flows = prepare_flows(trade_flows, membership, scope.quantity_basis)
    totals = total_merchandise(country_totals, set(flows["exporter"]) | set(flows["importer"]), year)
    grouped = group_flows(flows, membership)
    if heading_flows is not None and len(heading_flows):
        from_headings = grouped_heading_flows(heading_flows, product_groups, scope)
        grouped = pd.concat([grouped, from_headings[list(grouped.columns)]], ignore_index=True)
    frames: list[pd.DataFrame] = total_merchandise_values(totals, year)
    if grouped.empty:
        # No flow of the scope's goods this year: only the totals can be described.
        return finalize_indicator_frame(frames)
    grouped["uv_value"] = grouped["value_usd"].where(grouped["uv_qty"].notna())
    pairs = two_sided(grouped, ["product_group"], _PAIR_EXPORT_VALUES, _PAIR_IMPORT_VALUES, _NAN_COLUMNS)
    aggregates = partner_aggregates(pairs, ["product_group"], [c for c in pairs.columns if c not in
                                    ("country", "partner", "product_group")], partner_sets, _NAN_COLUMNS)
    scope_flows = flows[flows["hs6"].isin(membership["hs6"])]
    lines = two_sided(
        scope_flows,
        ["hs6"],
        {"exports": "value_usd", "exports_uv_qty": "uv_qty"},
        {"imports": "value_usd", "imports_uv_qty": "uv_qty"},
        frozenset({"exports_uv_qty", "imports_uv_qty"}),
    )

    rows = pd.concat([pairs, aggregates], ignore_index=True)

    frames += trade_values(rows, aggregates, year)
    frames += revealed_comparative_advantage(aggregates, totals, year)
    frames.append(import_source_share(rows, year))
    frames.append(trade_intensity(rows, totals, year))
    frames.append(partner_hhi(pairs, aggregates, year))
    frames.append(intra_asean_share(grouped, members, scope.line_groups, year))
    frames.append(parts_to_vehicles_ratio(rows, scope, year))
    frames.append(grubel_lloyd(lines, membership, partner_sets, year))
    frames.append(two_way_trade_share(lines, membership, partner_sets, year))
    frames += unit_values(rows, year, reference_exporter, scope.quantity_basis)
    return finalize_indicator_frame(frames)
