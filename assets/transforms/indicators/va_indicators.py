"""Value-added (TiVA) indicators of one year in the long format: the `va_indicators` asset's logic.

Belongs here: `compute_va_indicators` — dva_share, fva_share, fva_origin_share, fva_by_destination_share,
forward_participation, gvc_participation for the TiVA activities of the study's scope (automotive: C29 motor
vehicles and _T all activities; electronics: C26 and _T).
Not here: reading or cleaning TiVA (tiva_cleaning), trade indicators, growth rates.

Names and units follow OECD (2023/2025) "Guide to OECD Trade in Value Added (TiVA) Indicators". Measures
accepted from `value_added` (measure, country, partner, activity, year, value, unit; levels in one unit, USD
million as tiva_clean publishes them; other measures, e.g. DEXFVAPSH, are ignored):
- EXGR, EXGR_DVA, EXGR_FVA: gross exports and their domestic / foreign value added. Their partner
  (COUNTERPART_AREA in the MAINLV dataflow) is always the DESTINATION market, WLD = all markets: the
  real 2025 extract in ../shared publishes EXGR_DVA of ten Asian economies towards OECD, i.e. value added
  in exports to the OECD. EXGR_FVA with partner WLD gives fva_share (backward participation); EXGR_FVA
  with another partner gives fva_by_destination_share, never an origin.
- Foreign value added by ORIGIN (source country), partner = the origin: EXGR_FVA_ORIGIN (the pipeline's
  explicit name), EXGR_BSCI (TiVA "origin of value added in gross exports", backward linkages by source
  country) and DEXFVA (foreign value added embodied in domestic exports, by source country). They feed
  fva_origin_share only. When one origin appears under several names the earlier one in ORIGIN_MEASURES wins.
- Forward participation: EXGR_DVAFXSH (domestic value added embodied in foreign exports, as a share of
  gross exports). TiVA publishes it in percent (UNIT_MEASURE PC): taken as published. A row in the level
  unit (USD_M, a value rather than a share) is divided by EXGR. The real TiVA 2025 extracts in ../shared
  (EXGR_DVA and EXGR_FNL towards OECD, UNIT_MEASURE USD) carry neither EXGR_DVAFXSH nor EXGR, so
  forward_participation and gvc_participation are then absent.
Activities outside the scope's `tiva_activities` are ignored; `product_group` names the activity as the scope does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from assets.errors import RvcInputError
from assets.transforms.indicators.common import (
    DEFAULT_VA_VARIANT,
    finalize_indicator_frame,
    long_rows,
    region_members,
    require_columns,
    require_single_year,
    safe_ratio,
)
from assets.transforms.reference.scope import Scope, load_scope
from assets.vocabulary import WORLD

VALUE_ADDED_COLUMNS = ["measure", "country", "partner", "activity", "year", "value", "unit"]
LEVEL_MEASURES = ("EXGR", "EXGR_DVA", "EXGR_FVA", "EXGR_FVA_ORIGIN", "EXGR_BSCI", "DEXFVA")
FORWARD_MEASURE = "EXGR_DVAFXSH"
# Units in which EXGR_DVAFXSH is a share (percent) and taken as published; any other unit is a level.
PERCENT_UNITS = frozenset({"PC", "percent"})
# Foreign value added by source country (partner = origin). Earlier names win when an origin repeats.
ORIGIN_MEASURES = ("EXGR_FVA_ORIGIN", "EXGR_BSCI", "DEXFVA")
KEYS = ["country", "partner", "activity"]


def _validated(value_added: pd.DataFrame, year: int, activities: Mapping[str, str]) -> pd.DataFrame:
    """The accepted measures and activities of `value_added`, checked for one year and unique keys."""
    require_columns(value_added, VALUE_ADDED_COLUMNS, "value_added")
    require_single_year(value_added, year, "value_added")
    rows = value_added[
        value_added["measure"].isin((*LEVEL_MEASURES, FORWARD_MEASURE)) & value_added["activity"].isin(list(activities))
    ][VALUE_ADDED_COLUMNS].copy()
    for column in ("measure", "country", "partner", "activity", "unit"):
        rows[column] = rows[column].astype("str")
    rows["value"] = pd.to_numeric(rows["value"], errors="coerce").astype("float64")
    duplicated = rows.duplicated(["measure", *KEYS], keep=False)
    if duplicated.any():
        sample = rows.loc[duplicated, ["measure", *KEYS]].head(5).to_dict("records")
        raise RvcInputError(
            f"value_added: {int(duplicated.sum())} rows share measure, country, partner, activity in {year}, "
            f"e.g. {sample}; expected one value per key. De-duplicate tiva_clean (one edition per year)."
        )
    is_level = rows["measure"].isin(LEVEL_MEASURES) | (
        (rows["measure"] == FORWARD_MEASURE) & ~rows["unit"].isin(PERCENT_UNITS))
    level_units = sorted(rows.loc[is_level, "unit"].dropna().unique())
    if len(level_units) > 1:
        raise RvcInputError(
            f"value_added: level measures {LEVEL_MEASURES} (and {FORWARD_MEASURE} given as a value) come in "
            f"several units {level_units} in {year}; expected one (USD million). Normalise units in tiva_clean "
            "before computing shares."
        )
    return rows


def _level(rows: pd.DataFrame, measure: str) -> pd.Series:
    """Values of one measure indexed by (country, partner, activity)."""
    subset = rows[rows["measure"] == measure]
    return subset.set_index(KEYS)["value"]


def _lookup(series: pd.Series, keys: pd.DataFrame) -> pd.Series:
    """`series` (indexed by KEYS) read at each row of `keys`, NaN where absent."""
    return pd.Series(series.reindex(pd.MultiIndex.from_frame(keys[KEYS])).to_numpy(), index=keys.index, dtype="float64")


def _keyed(index: pd.Index, activities: Mapping[str, str]) -> pd.DataFrame:
    """A frame of KEYS from a union of MultiIndexes, sorted, with product_group from the activity."""
    keys = index.to_frame(index=False)
    keys.columns = KEYS
    keys = keys.drop_duplicates().sort_values(KEYS).reset_index(drop=True)
    keys["product_group"] = keys["activity"].map(dict(activities))
    return keys


def _world(series: pd.Series) -> pd.Series:
    return series[series.index.get_level_values("partner") == WORLD]


def _origins(rows: pd.DataFrame) -> pd.DataFrame:
    """Foreign value added by origin: country, partner (origin), activity, value, one row per key."""
    origins = rows[rows["measure"].isin(ORIGIN_MEASURES)]
    origins = origins[(origins["partner"] != WORLD) & (origins["partner"] != origins["country"])]
    rank = origins["measure"].map({m: i for i, m in enumerate(ORIGIN_MEASURES)})
    origins = origins.assign(rank=rank).sort_values([*KEYS, "rank"]).drop_duplicates(KEYS)
    return origins[[*KEYS, "value"]].reset_index(drop=True)


def compute_va_indicators(
    value_added: pd.DataFrame,
    regions: pd.DataFrame,
    year: int,
    *,
    scope: Scope | None = None,
    origin_regions: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Value-added indicators of one year, long format (same columns as the trade indicators).

    In: value_added of `year` (see the module docstring for the measures), regions (region, iso3,
    from_year, to_year) for the origin aggregates `origin_regions` (default: the scope's partner regions).
    `scope`: the study's scope (default scopes/automotive.yaml). Out: year, country, partner,
    product_group (the scope's name of the activity, e.g. motor_vehicles_c29 | all_activities), indicator, subtype (null), variant, value
    (percent), unit "percent", note — sorted by the key. Shares are NaN with "missing_input" when a
    measure they need is absent and "zero_denominator" when the denominator is 0.
    Raises RvcInputError for missing columns, other years, duplicate keys, mixed level units.
    """
    scope = scope or load_scope()
    activities = scope.tiva_activities
    origin_regions = scope.partner_regions if origin_regions is None else tuple(origin_regions)
    rows = _validated(value_added, year, activities)
    exgr = _level(rows, "EXGR")
    dva = _level(rows, "EXGR_DVA")
    fva_all = _level(rows, "EXGR_FVA")
    fva = _world(fva_all)  # EXGR_FVA to all markets; other partners are destinations
    frames: list[pd.DataFrame] = []

    # Every country-activity with data gets both shares vs WLD, NaN "missing_input" where a measure is absent.
    world_keys = pd.MultiIndex.from_frame(rows[["country", "activity"]].drop_duplicates().assign(partner=WORLD)[KEYS])
    dva_keys = _keyed(exgr.index.union(dva.index).union(world_keys), activities)
    share, note = safe_ratio(100.0 * _lookup(dva, dva_keys), _lookup(exgr, dva_keys))
    frames.append(long_rows(dva_keys, year=year, indicator="dva_share", value=share, unit="percent",
                            variant=DEFAULT_VA_VARIANT, note=note))

    fva_keys = _keyed(fva.index.union(world_keys), activities)
    fva_share, fva_note = safe_ratio(100.0 * _lookup(fva, fva_keys), _lookup(exgr, fva_keys))
    frames.append(long_rows(fva_keys, year=year, indicator="fva_share", value=fva_share, unit="percent",
                            variant=DEFAULT_VA_VARIANT, note=fva_note))

    frames += _origin_shares(rows, exgr, fva, regions, year, origin_regions, activities)
    frames += _destination_shares(fva_all, exgr, fva, year, activities)
    frames += _participation(rows, exgr, fva_keys.assign(fva_share=fva_share), year, activities)
    return finalize_indicator_frame(frames)


def _origin_shares(
    rows: pd.DataFrame,
    exgr: pd.Series,
    fva: pd.Series,
    regions: pd.DataFrame,
    year: int,
    origin_regions: Sequence[str],
    activities: Mapping[str, str],
) -> list[pd.DataFrame]:
    """fva_origin_share rows: each origin and each origin region, over EXGR and over EXGR_FVA (vs WLD)."""
    origins = _origins(rows)
    if origins.empty:
        return []
    aggregated = []
    for region in origin_regions:
        members = region_members(regions, region, year)
        inside = origins[origins["partner"].isin(members)]
        # Only where at least one member origin is in the extract: absent origins are unknown, not zero.
        sums = inside.groupby(["country", "activity"], sort=True)["value"].sum().reset_index()
        sums["partner"] = region
        aggregated.append(sums[[*KEYS, "value"]])
    table = pd.concat([origins, *aggregated], ignore_index=True)
    table["product_group"] = table["activity"].map(dict(activities))
    world_keys = table[KEYS].assign(partner=WORLD)
    frames = []
    for variant, denominator in (("of_gross_exports", exgr), ("of_foreign_value_added", fva)):
        share, note = safe_ratio(100.0 * table["value"], _lookup(denominator, world_keys))
        frames.append(long_rows(table, year=year, indicator="fva_origin_share", value=share, unit="percent",
                                variant=variant, note=note))
    return frames


def _destination_shares(
    fva_all: pd.Series, exgr: pd.Series, fva: pd.Series, year: int, activities: Mapping[str, str]
) -> list[pd.DataFrame]:
    """fva_by_destination_share: EXGR_FVA towards each destination market (partner other than WLD).

    of_exports_to_destination = 100 * EXGR_FVA_p / EXGR_p (foreign content of the exports to p);
    of_foreign_value_added = 100 * EXGR_FVA_p / EXGR_FVA_WLD (the part of the foreign content shipped to p).
    """
    by_destination = fva_all[fva_all.index.get_level_values("partner") != WORLD]
    if by_destination.empty:
        return []
    keys = _keyed(by_destination.index, activities)
    numerator = 100.0 * _lookup(by_destination, keys)
    world_keys = keys.assign(partner=WORLD)
    frames = []
    for variant, denominator in (("of_exports_to_destination", _lookup(exgr, keys)),
                                 ("of_foreign_value_added", _lookup(fva, world_keys))):
        share, note = safe_ratio(numerator, denominator)
        frames.append(long_rows(keys, year=year, indicator="fva_by_destination_share", value=share, unit="percent",
                                variant=variant, note=note))
    return frames


def _participation(
    rows: pd.DataFrame, exgr: pd.Series, fva_rows: pd.DataFrame, year: int, activities: Mapping[str, str]
) -> list[pd.DataFrame]:
    """forward_participation (EXGR_DVAFXSH) and gvc_participation = fva_share + forward_participation, vs WLD."""
    forward_rows = rows[(rows["measure"] == FORWARD_MEASURE) & (rows["partner"] == WORLD)]
    if forward_rows.empty:
        return []
    keys = _keyed(forward_rows.set_index(KEYS).index, activities)
    published = forward_rows[forward_rows["unit"].isin(PERCENT_UNITS)].set_index(KEYS)["value"]
    level = forward_rows[~forward_rows["unit"].isin(PERCENT_UNITS)].set_index(KEYS)["value"]
    from_level, note = safe_ratio(100.0 * _lookup(level, keys), _lookup(exgr, keys))
    direct = _lookup(published, keys)
    forward = direct.fillna(from_level)
    note = note.mask(direct.notna(), pd.NA)
    frames = [long_rows(keys, year=year, indicator="forward_participation", value=forward, unit="percent",
                        variant=DEFAULT_VA_VARIANT, note=note)]
    backward = fva_rows.set_index(KEYS)["fva_share"]
    gvc = _lookup(backward, keys) + forward
    gvc_keys = keys[gvc.notna()].reset_index(drop=True)
    frames.append(long_rows(gvc_keys, year=year, indicator="gvc_participation", value=gvc.dropna().reset_index(drop=True),
                            unit="percent", variant=DEFAULT_VA_VARIANT))
    return frames
