"""Trade levels, balances and market shares from the country-partner-group tables.

Belongs here: exports_usd, imports_usd, trade_balance_index, rca, rca_symmetric, world_market_share,
import_source_share, trade_intensity, partner_hhi, intra_asean_share, parts_to_vehicles_ratio.
Each function takes the tables built in indicators/trade_base.py and returns long indicator rows.
Not here: HS6-level structure indicators (indicators/trade_structure.py). Definitions, units and
references of every indicator: assets/data/indicator_catalog.csv.

Table shapes used below:
- `pairs`: country, partner (ISO3), product_group, exports, imports, exports_reported, exports_mirror,
  imports_reported, imports_mirror, exports_uv_value, exports_uv_qty — one row per pair that trades
  the group in either direction.
- `aggregates`: the same columns with partner = WLD or a region code; every country of a group's
  universe has a row per aggregate (0 where it trades with no member).
- `rows`: pairs and aggregates stacked.
- `totals`: country, exports, imports (total merchandise from country_totals, NaN where a country has none).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from assets.errors import RvcInputError
from assets.transforms.indicators.common import (
    DEFAULT_TRADE_VARIANT,
    NOTE_NOT_REPORTED,
    NOTE_NO_COUNTRY_TOTAL,
    NOTE_ZERO_DENOMINATOR,
    long_rows,
    safe_ratio,
)
from assets.transforms.reference.scope import Scope
from assets.vocabulary import TOTAL_MERCHANDISE, WORLD

VARIANT_COUNTRY_TOTALS = "country_totals"
# intra_asean_share: region code → variant naming its membership rule.
INTRA_REGIONAL_VARIANTS: dict[str, str] = {"ASEAN": "accession_year", "ASEAN10": "fixed_asean10"}


def total_merchandise(country_totals: pd.DataFrame, countries: list[str] | set[str], year: int) -> pd.DataFrame:
    """Each country's total merchandise exports and imports with the world, from `country_totals` only.

    In: country_totals (year, country, flow "X"/"M", value_usd — the `country_totals` asset: the
    country's TOTAL/World declaration, else mirrored from its partners' TOTAL declarations; FOB; other
    flow codes and columns are ignored) and the other countries the year's indicators describe
    (e.g. every exporter and importer in trade_flows). Out: country, exports, imports (float, NaN where
    country_totals has no total for that flow: never a sum of lines, which would be a partial total),
    one row per country of either input, sorted.
    """
    totals = country_totals[country_totals["flow"].isin(["X", "M"])]
    totals = totals[pd.to_numeric(totals["year"], errors="coerce") == year]
    duplicated = totals.duplicated(["country", "flow"], keep=False)
    if duplicated.any():
        sample = totals.loc[duplicated, ["country", "flow"]].head(5).to_dict("records")
        raise RvcInputError(
            f"country_totals: more than one row per country and flow in {year}, e.g. {sample}; "
            "expected one total per country and flow, as the country_totals asset gives."
        )
    by_flow = totals.pivot(index="country", columns="flow", values="value_usd").reindex(columns=["X", "M"])
    every = sorted(set(by_flow.index.astype("str")) | {str(c) for c in countries})
    by_flow = by_flow.reindex(every).astype("float64")
    return pd.DataFrame({"country": every, "exports": by_flow["X"].to_numpy(), "imports": by_flow["M"].to_numpy()})


def export_world(totals: pd.DataFrame) -> tuple[frozenset[str], float]:
    """The year's world for export shares: every country with a total export (reported or mirrored)
    in `totals` (from `total_merchandise`), and the sum of their total exports X_w."""
    known = totals[totals["exports"].notna()]
    return frozenset(known["country"].astype("str")), float(known["exports"].sum())


def _outside_world(note: pd.Series, outside: pd.Series) -> pd.Series:
    """`note`, with "no_country_total" where the row's country is outside the world (that reason first)."""
    return note.mask(outside.to_numpy(), NOTE_NO_COUNTRY_TOTAL)


def trade_values(rows: pd.DataFrame, aggregates: pd.DataFrame, year: int) -> list[pd.DataFrame]:
    """exports_usd and imports_usd rows of the line groups, with trade_balance_index (X − M)/(X + M).

    Bilateral pairs and aggregates in the reconciled variant; aggregates also as "reported" (the
    country's own declarations) and "mirror" (its partners' declarations).
    """
    frames: list[pd.DataFrame] = []
    for name, column in (("exports_usd", "exports"), ("imports_usd", "imports")):
        frames.append(long_rows(rows, year=year, indicator=name, value=column, unit="usd", variant=DEFAULT_TRADE_VARIANT))
        for variant in ("reported", "mirror"):
            # Sum of the declarations that exist; no trade at all is 0, trade nobody declared is NaN.
            declared = aggregates[f"{column}_{variant}"].where(aggregates[column] > 0, 0.0)
            note = pd.Series(NOTE_NOT_REPORTED, index=aggregates.index, dtype="str")
            frames.append(
                long_rows(aggregates, year=year, indicator=name, value=declared, unit="usd", variant=variant, note=note)
            )
    tbi, tbi_note = safe_ratio(rows["exports"] - rows["imports"], rows["exports"] + rows["imports"])
    frames.append(
        long_rows(rows, year=year, indicator="trade_balance_index", value=tbi, unit="index",
                  variant=DEFAULT_TRADE_VARIANT, note=tbi_note)
    )
    return frames


def total_merchandise_values(totals: pd.DataFrame, year: int) -> list[pd.DataFrame]:
    """exports_usd, imports_usd and trade_balance_index of total_merchandise vs WLD from `totals`.

    Variant "country_totals" (reported or mirrored; the source is in the country_totals asset). A
    country without a total for a flow gets NaN with note "no_country_total".
    """
    frames: list[pd.DataFrame] = []
    total_rows = totals.assign(partner=WORLD, product_group=TOTAL_MERCHANDISE)
    for name, column in (("exports_usd", "exports"), ("imports_usd", "imports")):
        note = pd.Series(NOTE_NO_COUNTRY_TOTAL, index=total_rows.index, dtype="str")
        frames.append(long_rows(total_rows, year=year, indicator=name, value=column, unit="usd",
                                variant=VARIANT_COUNTRY_TOTALS, note=note))
    total_tbi, total_note = safe_ratio(total_rows["exports"] - total_rows["imports"],
                                       total_rows["exports"] + total_rows["imports"])
    no_total = total_rows["exports"].isna() | total_rows["imports"].isna()
    frames.append(long_rows(total_rows, year=year, indicator="trade_balance_index", value=total_tbi, unit="index",
                            variant=VARIANT_COUNTRY_TOTALS, note=_outside_world(total_note, no_total)))
    return frames


def revealed_comparative_advantage(aggregates: pd.DataFrame, totals: pd.DataFrame, year: int) -> list[pd.DataFrame]:
    """rca (Balassa), rca_symmetric and world_market_share vs WLD, per country and line group.

    The world is `export_world(totals)`: the countries with a total export in country_totals. rca =
    (x_ig / X_i) / (x_wg / X_w): x_ig the country's exports of the group (trade_flows), X_i its total
    exports (country_totals), x_wg = Σ x_ig and X_w = Σ X_i over the world's countries only, so the
    numerator and denominator of the world share cover the same countries. world_market_share =
    x_ig / x_wg. A country outside the world: NaN, note "no_country_total". Rows for every country
    that trades the group; each says its world (world_countries, world_coverage_share = x_wg over
    the group's exports of every exporter in trade_flows).
    """
    world_countries, world_total = export_world(totals)
    rows = aggregates[aggregates["partner"] == WORLD].reset_index(drop=True)
    rows = rows.merge(totals[["country", "exports"]].rename(columns={"exports": "total_exports"}), on="country",
                      how="left")
    outside = ~rows["country"].isin(world_countries)
    every_exporter = rows.groupby("product_group")["exports"].sum()
    in_world = rows[~outside].groupby("product_group")["exports"].sum()
    x_wg = rows["product_group"].map(in_world).astype("float64").fillna(0.0)
    coverage, _ = safe_ratio(x_wg, rows["product_group"].map(every_exporter).astype("float64"))
    share_in_country, note_country = safe_ratio(rows["exports"], rows["total_exports"])
    share_in_world, note_world = safe_ratio(x_wg, pd.Series(world_total, index=rows.index))
    rca, note_rca = safe_ratio(share_in_country, share_in_world)
    note_rca = _outside_world(note_country.fillna(note_world).fillna(note_rca), outside)
    rca = rca.mask(outside)
    rca_sym = (rca - 1.0) / (rca + 1.0)
    market_share, note_share = safe_ratio(rows["exports"], x_wg)
    market_share = market_share.mask(outside)
    world = {"world_countries": len(world_countries), "world_coverage_share": coverage}
    return [
        long_rows(rows, year=year, indicator="rca", value=rca, unit="index", variant=VARIANT_COUNTRY_TOTALS,
                  note=note_rca, **world),
        long_rows(rows, year=year, indicator="rca_symmetric", value=rca_sym, unit="index",
                  variant=VARIANT_COUNTRY_TOTALS, note=note_rca, **world),
        long_rows(rows, year=year, indicator="world_market_share", value=market_share, unit="share",
                  variant=DEFAULT_TRADE_VARIANT, note=_outside_world(note_share, outside), **world),
    ]


def import_source_share(rows: pd.DataFrame, year: int) -> pd.DataFrame:
    """Partner's share of the country's imports of the group: m_ij / m_iW (pairs and regions)."""
    world = rows[rows["partner"] == WORLD].set_index(["country", "product_group"])["imports"]
    rows = rows[rows["partner"] != WORLD].reset_index(drop=True)
    total = pd.Series(world.reindex(pd.MultiIndex.from_frame(rows[["country", "product_group"]])).to_numpy(),
                      index=rows.index)
    share, note = safe_ratio(rows["imports"], total)
    return long_rows(rows, year=year, indicator="import_source_share", value=share, unit="share",
                     variant=DEFAULT_TRADE_VARIANT, note=note)


def trade_intensity(rows: pd.DataFrame, totals: pd.DataFrame, year: int) -> pd.DataFrame:
    """Export intensity (x_ij / X_i) / (x_wj / X_w) per group, for pairs and region partners.

    X_i: the country's exports of the group to WLD; x_wj: the world's exports of the group to j (or
    to the region); X_w: the world's exports of the group. The world is `export_world(totals)`, the
    same countries as for rca: x_wj and X_w sum the exports of those countries only, and a country
    outside it gets NaN with note "no_country_total".
    """
    world_countries, _ = export_world(totals)
    world = rows[rows["partner"] == WORLD]
    exports_to_world = world.set_index(["country", "product_group"])["exports"]
    in_world = world[world["country"].isin(world_countries)]
    every_exporter = world.groupby("product_group")["exports"].sum()
    world_exports = in_world.groupby("product_group")["exports"].sum().reindex(every_exporter.index, fill_value=0.0)
    coverage_by_group, _ = safe_ratio(world_exports, every_exporter)
    rows = rows[rows["partner"] != WORLD].reset_index(drop=True)
    outside = ~rows["country"].isin(world_countries)
    into_partner = rows[~outside].groupby(["partner", "product_group"])["exports"].sum()
    x_i = pd.Series(exports_to_world.reindex(pd.MultiIndex.from_frame(rows[["country", "product_group"]])).to_numpy(),
                    index=rows.index)
    x_wj = pd.Series(into_partner.reindex(pd.MultiIndex.from_frame(rows[["partner", "product_group"]])).to_numpy(),
                     index=rows.index).fillna(0.0)
    x_w = rows["product_group"].map(world_exports).astype("float64").fillna(0.0)
    own_share, note_own = safe_ratio(rows["exports"], x_i)
    world_share, note_world = safe_ratio(x_wj, x_w)
    intensity, note = safe_ratio(own_share, world_share)
    note = _outside_world(note_own.fillna(note_world).fillna(note), outside)
    return long_rows(rows, year=year, indicator="trade_intensity", value=intensity.mask(outside), unit="index",
                     variant=DEFAULT_TRADE_VARIANT, note=note, world_countries=len(world_countries),
                     world_coverage_share=rows["product_group"].map(coverage_by_group).astype("float64"))


def partner_hhi(pairs: pd.DataFrame, aggregates: pd.DataFrame, year: int) -> pd.DataFrame:
    """Herfindahl–Hirschman index of export partners Σ_j (x_ij / X_i)², reported with partner WLD."""
    world = aggregates[aggregates["partner"] == WORLD].reset_index(drop=True)
    total = pairs.groupby(["country", "product_group"])["exports"].transform("sum")
    share, _ = safe_ratio(pairs["exports"], total)
    squares = (share**2).groupby([pairs["country"], pairs["product_group"]]).sum(min_count=1)
    hhi = pd.Series(squares.reindex(pd.MultiIndex.from_frame(world[["country", "product_group"]])).to_numpy(),
                    index=world.index)
    # Countries with no exports of the group have no partner shares: the index divides by X_i = 0.
    zero = world["exports"] == 0
    hhi = hhi.where(~zero)
    note = pd.Series(pd.NA, index=world.index, dtype="str").mask(zero, NOTE_ZERO_DENOMINATOR)
    return long_rows(world, year=year, indicator="partner_hhi", value=hhi, unit="index",
                     variant=DEFAULT_TRADE_VARIANT, note=note)


def intra_asean_share(
    grouped_flows: pd.DataFrame, members: Mapping[str, set[str]], line_groups: Sequence[str], year: int
) -> pd.DataFrame:
    """Share of the members' trade (exports + imports) in the group that is with other members.

    2 · intra / (X_R + M_R): intra = Σ flows member → member, X_R the members' exports, M_R their
    imports (ADB ARIC intra-regional trade share). One row per region in `members` that has a variant
    in INTRA_REGIONAL_VARIANTS and per line group of the scope (`line_groups`); country = partner = the
    region code.
    """
    frames = []
    for region, member_set in members.items():
        if region not in INTRA_REGIONAL_VARIANTS:
            continue
        exporter_in = grouped_flows["exporter"].isin(member_set)
        importer_in = grouped_flows["importer"].isin(member_set)
        by_group = pd.DataFrame(
            {
                "intra": grouped_flows["value_usd"].where(exporter_in & importer_in, 0.0),
                "exports": grouped_flows["value_usd"].where(exporter_in, 0.0),
                "imports": grouped_flows["value_usd"].where(importer_in, 0.0),
                "product_group": grouped_flows["product_group"],
            }
        ).groupby("product_group").sum()
        by_group = by_group.reindex(list(line_groups), fill_value=0.0).reset_index()
        by_group["country"] = region
        by_group["partner"] = region
        share, note = safe_ratio(2.0 * by_group["intra"], by_group["exports"] + by_group["imports"])
        frames.append(long_rows(by_group, year=year, indicator="intra_asean_share", value=share, unit="share",
                                variant=INTRA_REGIONAL_VARIANTS[region], note=note))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def parts_to_vehicles_ratio(rows: pd.DataFrame, scope: Scope, year: int) -> pd.DataFrame:
    """Imports of components / (components + finished goods) from a partner, reported for the all-lines group.

    Components and finished goods are the scope's groups with stage "component" and "final" (automotive:
    parts_accessories, bodies_chassis, engines vs passenger_cars, commercial_vehicles). Rows for every
    country-partner (pairs and aggregates) trading the scope's goods; none when the scope lacks either stage.
    """
    if not scope.component_groups or not scope.final_groups:
        return pd.DataFrame()
    imports = rows.pivot_table(index=["country", "partner"], columns="product_group", values="imports",
                               aggfunc="sum", fill_value=0.0, sort=True)
    imports = imports.reindex(columns=list(scope.line_groups), fill_value=0.0)
    anchor = rows[rows["product_group"] == scope.all_group][["country", "partner"]].drop_duplicates()
    imports = imports.reindex(pd.MultiIndex.from_frame(anchor), fill_value=0.0)
    components = imports[list(scope.component_groups)].sum(axis=1)
    finished = imports[list(scope.final_groups)].sum(axis=1)
    ratio, note = safe_ratio(components, components + finished)
    out = anchor.reset_index(drop=True).assign(product_group=scope.all_group)
    return long_rows(out, year=year, indicator="parts_to_vehicles_ratio", value=ratio.reset_index(drop=True),
                     unit="share", variant=DEFAULT_TRADE_VARIANT, note=note.reset_index(drop=True))
