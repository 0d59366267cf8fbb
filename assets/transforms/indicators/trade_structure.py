"""Trade structure from HS6 lines: intra-industry trade and unit values.

Belongs here: grubel_lloyd (HS6 index, trade-weighted within a group), two_way_trade_share
(Fontagné–Freudenberg types), unit_value_usd and relative_unit_value. Not here: levels and market
shares (indicators/trade_shares.py). Definitions and references: assets/data/indicator_catalog.csv.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from assets.transforms.indicators.common import (
    DEFAULT_TRADE_VARIANT,
    NOTE_NO_QUANTITY,
    NOTE_NO_REFERENCE,
    long_rows,
    safe_ratio,
)
from assets.transforms.indicators.trade_base import partner_aggregates

# Fontagné & Freudenberg (1997): a line's trade is two-way when the minority flow exceeds 10 % of the
# majority flow; unit values within ±15 % (ratio in [1/1.15, 1.15]) make it horizontal.
TWO_WAY_OVERLAP_THRESHOLD = 0.10
UNIT_VALUE_BAND = 1.15
TWO_WAY_SUBTYPES: tuple[str, ...] = ("horizontal", "vertical_up", "vertical_down", "two_way_unclassified", "one_way")
UNIT_OF_BASIS = {"u": "usd_per_item", "kg": "usd_per_kg"}


def grubel_lloyd_by_hs6(lines: pd.DataFrame) -> pd.Series:
    """Grubel–Lloyd index per row of an HS6 line table: 1 − |X − M| / (X + M), NaN when X + M = 0.

    `lines` has columns exports and imports (one row per country, partner, hs6).
    """
    value, _ = safe_ratio((lines["exports"] - lines["imports"]).abs(), lines["exports"] + lines["imports"])
    return 1.0 - value


def grubel_lloyd(
    lines: pd.DataFrame, membership: pd.DataFrame, partner_sets: Mapping[str, set[str] | None], year: int
) -> pd.DataFrame:
    """Grubel–Lloyd index per country, partner and group, trade-weighted over the group's HS6 lines.

    GL_g = Σ_k (X_k + M_k) · GL_k / Σ_k (X_k + M_k) = 1 − Σ_k |X_k − M_k| / Σ_k (X_k + M_k). `lines`
    is the bilateral HS6 table (country, partner, hs6, exports, imports); against an aggregate
    partner X_k and M_k are first summed over its members (the country's trade with the region).
    """
    aggregated = partner_aggregates(lines, ["hs6"], ["exports", "imports"], partner_sets)
    table = pd.concat([lines[["country", "partner", "hs6", "exports", "imports"]], aggregated], ignore_index=True)
    table = table.merge(membership[["hs6", "product_group"]], on="hs6", how="inner")
    table["gap"] = (table["exports"] - table["imports"]).abs()
    table["trade"] = table["exports"] + table["imports"]
    sums = table.groupby(["country", "partner", "product_group"], sort=True)[["gap", "trade"]].sum().reset_index()
    ratio, note = safe_ratio(sums["gap"], sums["trade"])
    return long_rows(sums, year=year, indicator="grubel_lloyd", value=1.0 - ratio, unit="index",
                     variant=DEFAULT_TRADE_VARIANT, note=note)


def classify_two_way(lines: pd.DataFrame) -> pd.Series:
    """Fontagné–Freudenberg type of each bilateral HS6 line.

    `lines` has exports, imports, exports_uv_qty, imports_uv_qty. One-way when min/max of the two
    flows is at most 10 %; else horizontal when UV_x / UV_m is within [1/1.15, 1.15], vertical_up
    above (the country's exports dearer), vertical_down below, two_way_unclassified when either unit
    value is missing.
    """
    low = np.minimum(lines["exports"], lines["imports"])
    high = np.maximum(lines["exports"], lines["imports"])
    overlap, _ = safe_ratio(low, high)
    two_way = overlap > TWO_WAY_OVERLAP_THRESHOLD
    uv_x, _ = safe_ratio(lines["exports"], lines["exports_uv_qty"])
    uv_m, _ = safe_ratio(lines["imports"], lines["imports_uv_qty"])
    uv_ratio, _ = safe_ratio(uv_x, uv_m)
    subtype = np.select(
        [
            ~two_way,
            uv_ratio.isna(),
            uv_ratio > UNIT_VALUE_BAND,
            uv_ratio < 1.0 / UNIT_VALUE_BAND,
        ],
        ["one_way", "two_way_unclassified", "vertical_up", "vertical_down"],
        default="horizontal",
    )
    return pd.Series(subtype, index=lines.index, dtype="str")


def two_way_trade_share(
    lines: pd.DataFrame, membership: pd.DataFrame, partner_sets: Mapping[str, set[str] | None], year: int
) -> pd.DataFrame:
    """Shares of the pair's trade (X + M) in the group by Fontagné–Freudenberg type.

    Lines are typed bilaterally (classify_two_way); against an aggregate partner the typed trade is
    summed over its members. Every country-partner-group row gets all five subtypes (zeros kept) so
    the shares of a partition sum to 1.
    """
    typed = lines[["country", "partner", "hs6"]].copy()
    typed["trade"] = lines["exports"] + lines["imports"]
    typed["subtype"] = classify_two_way(lines)
    typed = typed.merge(membership[["hs6", "product_group"]], on="hs6", how="inner")
    bilateral = typed.groupby(["country", "partner", "product_group", "subtype"], sort=True)["trade"].sum()
    bilateral = bilateral.unstack("subtype", fill_value=0.0).reindex(columns=list(TWO_WAY_SUBTYPES), fill_value=0.0)
    bilateral = bilateral.reset_index()
    bilateral.columns.name = None
    aggregated = partner_aggregates(bilateral, ["product_group"], list(TWO_WAY_SUBTYPES), partner_sets)
    wide = pd.concat([bilateral, aggregated], ignore_index=True)
    total = wide[list(TWO_WAY_SUBTYPES)].sum(axis=1)
    frames = []
    for subtype in TWO_WAY_SUBTYPES:
        share, note = safe_ratio(wide[subtype], total)
        frames.append(long_rows(wide, year=year, indicator="two_way_trade_share", value=share, unit="share",
                                variant=DEFAULT_TRADE_VARIANT, note=note, subtype=subtype))
    return pd.concat(frames, ignore_index=True)


def unit_values(
    rows: pd.DataFrame, year: int, reference_exporter: str, quantity_basis: Mapping[str, str]
) -> list[pd.DataFrame]:
    """unit_value_usd of exports and relative_unit_value (vs the reference exporter, vs the median).

    unit value = Σ value / Σ quantity over the flows with a usable quantity (items for vehicles,
    chassis, bodies and engines; kg for parts; estimated quantities left out). `rows`: pairs and
    aggregates stacked (indicators/trade_shares.py); a row for every country-partner exporting one
    of the scope's groups that has a quantity basis (`quantity_basis`: group → "u" or "kg").
    relative_unit_value = UV_ij / UV_ref,j (variant "vs_<ref>") and UV_ij / median_i' UV_i'j over
    exporters with a unit value to the same partner (variant "vs_world_median").
    """
    rows = rows[rows["product_group"].isin(list(quantity_basis)) & (rows["exports"] > 0)].reset_index(drop=True)
    uv, note = safe_ratio(rows["exports_uv_value"], rows["exports_uv_qty"])
    note = note.mask(uv.isna(), NOTE_NO_QUANTITY)
    unit = rows["product_group"].map(dict(quantity_basis)).map(UNIT_OF_BASIS)
    frames = [long_rows(rows, year=year, indicator="unit_value_usd", value=uv, unit=unit,
                        variant=DEFAULT_TRADE_VARIANT, note=note)]

    keyed = rows[["country", "partner", "product_group"]].assign(uv=uv)
    valid = keyed[keyed["uv"].notna()]
    reference = valid[valid["country"] == reference_exporter].set_index(["partner", "product_group"])["uv"]
    median = valid.groupby(["partner", "product_group"])["uv"].median()
    index = pd.MultiIndex.from_frame(rows[["partner", "product_group"]])
    for variant, basis in ((f"vs_{reference_exporter.lower()}", reference), ("vs_world_median", median)):
        base = pd.Series(basis.reindex(index).to_numpy(), index=rows.index, dtype="float64")
        relative, rel_note = safe_ratio(uv, base)
        rel_note = rel_note.mask(base.isna() & uv.notna(), NOTE_NO_REFERENCE).mask(uv.isna(), NOTE_NO_QUANTITY)
        frames.append(long_rows(rows, year=year, indicator="relative_unit_value", value=relative, unit="ratio",
                                variant=variant, note=rel_note))
    return frames
