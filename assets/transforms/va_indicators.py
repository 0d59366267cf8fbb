"""Value-added (TiVA) indicators of one year in the long format: the `va_indicators` asset's logic.

Belongs here: `compute_va_indicators` — dva_share, fva_share, fva_origin_share, forward_participation,
gvc_participation for TiVA activities C29 (motor vehicles) and _T (all activities). Not here: reading
or cleaning TiVA (tiva_cleaning), trade indicators, growth rates.

Measures accepted from `value_added` (measure, country, partner, activity, year, value, unit; levels in
one unit, USD million as tiva_clean publishes them; other measures are ignored):
- EXGR, EXGR_DVA, EXGR_FVA: gross exports and their domestic / foreign value added. The partner of
  EXGR and EXGR_DVA is the destination market (WLD = all).
- Foreign value added by origin, partner = the origin country: EXGR_FVA_ORIGIN (the pipeline's explicit
  name), EXGR_BSCI (TiVA "origin of value added in gross exports"), and — with the default
  `fva_partner="origin"` — EXGR_FVA rows whose partner is not WLD (how the sample encodes origins). With
  `fva_partner="destination"` those EXGR_FVA rows are destination markets instead. When one origin
  appears under several names, EXGR_FVA_ORIGIN wins over EXGR_BSCI over EXGR_FVA.
- Forward participation: DEXFVAPSH (percent of gross exports, taken as published) or DEXFVA (level,
  divided by EXGR). The real TiVA 2025 extracts in ../shared have neither, so these rows are then absent.
Activities other than C29 and _T are ignored; `product_group` names the activity (ACTIVITY_GROUPS).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import pandas as pd

from assets.errors import RvcInputError
from assets.transforms.indicators.common import (
    DEFAULT_VA_VARIANT,
    WORLD,
    finalize_indicator_frame,
    long_rows,
    region_members,
    require_columns,
    require_single_year,
    safe_ratio,
)

ACTIVITY_GROUPS: dict[str, str] = {"C29": "motor_vehicles_c29", "_T": "all_activities"}
VALUE_ADDED_COLUMNS = ["measure", "country", "partner", "activity", "year", "value", "unit"]
LEVEL_MEASURES = ("EXGR", "EXGR_DVA", "EXGR_FVA", "EXGR_FVA_ORIGIN", "EXGR_BSCI", "DEXFVA")
PERCENT_MEASURES = ("DEXFVAPSH",)
# Earlier names win when an origin is given under several measures.
ORIGIN_MEASURES = ("EXGR_FVA_ORIGIN", "EXGR_BSCI", "EXGR_FVA")
DEFAULT_ORIGIN_REGIONS: tuple[str, ...] = ("ASEAN", "ASEAN10")
KEYS = ["country", "partner", "activity"]


def _validated(value_added: pd.DataFrame, year: int) -> pd.DataFrame:
    """The accepted measures and activities of `value_added`, checked for one year and unique keys."""
    require_columns(value_added, VALUE_ADDED_COLUMNS, "value_added")
    require_single_year(value_added, year, "value_added")
    rows = value_added[
        value_added["measure"].isin(LEVEL_MEASURES + PERCENT_MEASURES) & value_added["activity"].isin(ACTIVITY_GROUPS)
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
    level_units = sorted(rows.loc[rows["measure"].isin(LEVEL_MEASURES), "unit"].dropna().unique())
    if len(level_units) > 1:
        raise RvcInputError(
            f"value_added: level measures {LEVEL_MEASURES} come in several units {level_units} in {year}; "
            "expected one (USD million). Normalise units in tiva_clean before computing shares."
        )
    return rows


def _level(rows: pd.DataFrame, measure: str) -> pd.Series:
    """Values of one measure indexed by (country, partner, activity)."""
    subset = rows[rows["measure"] == measure]
    return subset.set_index(KEYS)["value"]


def _lookup(series: pd.Series, keys: pd.DataFrame) -> pd.Series:
    """`series` (indexed by KEYS) read at each row of `keys`, NaN where absent."""
    return pd.Series(series.reindex(pd.MultiIndex.from_frame(keys[KEYS])).to_numpy(), index=keys.index, dtype="float64")


def _keyed(index: pd.Index) -> pd.DataFrame:
    """A frame of KEYS from a union of MultiIndexes, sorted, with product_group from the activity."""
    keys = index.to_frame(index=False)
    keys.columns = KEYS
    keys = keys.drop_duplicates().sort_values(KEYS).reset_index(drop=True)
    keys["product_group"] = keys["activity"].map(ACTIVITY_GROUPS)
    return keys


def _origins(rows: pd.DataFrame, fva_partner: str) -> pd.DataFrame:
    """Foreign value added by origin: country, partner (origin), activity, value, one row per key."""
    measures = ["EXGR_FVA_ORIGIN", "EXGR_BSCI"] + (["EXGR_FVA"] if fva_partner == "origin" else [])
    origins = rows[rows["measure"].isin(measures)]
    origins = origins[(origins["partner"] != WORLD) & (origins["partner"] != origins["country"])]
    rank = origins["measure"].map({m: i for i, m in enumerate(ORIGIN_MEASURES)})
    origins = origins.assign(rank=rank).sort_values([*KEYS, "rank"]).drop_duplicates(KEYS)
    return origins[[*KEYS, "value"]].reset_index(drop=True)


def compute_va_indicators(
    value_added: pd.DataFrame,
    regions: pd.DataFrame,
    year: int,
    *,
    fva_partner: Literal["origin", "destination"] = "origin",
    origin_regions: Sequence[str] = DEFAULT_ORIGIN_REGIONS,
) -> pd.DataFrame:
    """Value-added indicators of one year, long format (same columns as the trade indicators).

    In: value_added of `year` (see the module docstring for the measures), regions (region, iso3,
    from_year, to_year) for the origin aggregates `origin_regions`. Out: year, country, partner,
    product_group (motor_vehicles_c29 | all_activities), indicator, subtype (null), variant, value
    (percent), unit "percent", note — sorted by the key. Shares are NaN with "missing_input" when a
    measure they need is absent and "zero_denominator" when EXGR is 0.
    Raises RvcInputError for missing columns, other years, duplicate keys, mixed level units.
    """
    if fva_partner not in ("origin", "destination"):
        raise RvcInputError(f"compute_va_indicators: fva_partner must be 'origin' or 'destination', got {fva_partner!r}.")
    rows = _validated(value_added, year)
    exgr = _level(rows, "EXGR")
    dva = _level(rows, "EXGR_DVA")
    fva = _level(rows, "EXGR_FVA")
    if fva_partner == "origin":
        fva = fva[fva.index.get_level_values("partner") == WORLD]
    frames: list[pd.DataFrame] = []

    # Every country-activity with data gets both shares vs WLD, NaN "missing_input" where a measure is absent.
    world_keys = pd.MultiIndex.from_frame(rows[["country", "activity"]].drop_duplicates().assign(partner=WORLD)[KEYS])
    dva_keys = _keyed(exgr.index.union(dva.index).union(world_keys))
    share, note = safe_ratio(100.0 * _lookup(dva, dva_keys), _lookup(exgr, dva_keys))
    frames.append(long_rows(dva_keys, year=year, indicator="dva_share", value=share, unit="percent",
                            variant=DEFAULT_VA_VARIANT, note=note))

    fva_index = fva.index.union(world_keys)
    if fva_partner == "destination":
        fva_index = fva_index.union(exgr.index)
    fva_keys = _keyed(fva_index)
    fva_share, fva_note = safe_ratio(100.0 * _lookup(fva, fva_keys), _lookup(exgr, fva_keys))
    frames.append(long_rows(fva_keys, year=year, indicator="fva_share", value=fva_share, unit="percent",
                            variant=DEFAULT_VA_VARIANT, note=fva_note))

    frames += _origin_shares(rows, exgr, fva, regions, year, fva_partner, origin_regions)
    frames += _participation(rows, exgr, fva_keys.assign(fva_share=fva_share), year)
    return finalize_indicator_frame(frames)


def _origin_shares(
    rows: pd.DataFrame,
    exgr: pd.Series,
    fva: pd.Series,
    regions: pd.DataFrame,
    year: int,
    fva_partner: str,
    origin_regions: Sequence[str],
) -> list[pd.DataFrame]:
    """fva_origin_share rows: each origin and each origin region, over EXGR and over EXGR_FVA (vs WLD)."""
    origins = _origins(rows, fva_partner)
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
    table["product_group"] = table["activity"].map(ACTIVITY_GROUPS)
    world_keys = table[KEYS].assign(partner=WORLD)
    frames = []
    for variant, denominator in (("of_gross_exports", exgr), ("of_foreign_value_added", fva)):
        share, note = safe_ratio(100.0 * table["value"], _lookup(denominator, world_keys))
        frames.append(long_rows(table, year=year, indicator="fva_origin_share", value=share, unit="percent",
                                variant=variant, note=note))
    return frames


def _participation(rows: pd.DataFrame, exgr: pd.Series, fva_rows: pd.DataFrame, year: int) -> list[pd.DataFrame]:
    """forward_participation (DEXFVAPSH, else DEXFVA / EXGR) and gvc_participation = fva_share + forward."""
    published = _level(rows, "DEXFVAPSH")
    level = _level(rows, "DEXFVA")
    if published.empty and level.empty:
        return []
    keys = _keyed(published.index.union(level.index))
    from_level, note = safe_ratio(100.0 * _lookup(level, keys), _lookup(exgr, keys))
    direct = _lookup(published, keys)
    forward = direct.fillna(from_level)
    note = note.mask(direct.notna(), pd.NA)
    frames = [long_rows(keys, year=year, indicator="forward_participation", value=forward, unit="percent",
                        variant=DEFAULT_VA_VARIANT, note=note)]
    backward = fva_rows.set_index(KEYS)["fva_share"]
    gvc_keys = keys.assign(forward=forward)
    gvc_keys = gvc_keys[gvc_keys["partner"] == WORLD].reset_index(drop=True)
    gvc = _lookup(backward, gvc_keys) + gvc_keys["forward"]
    gvc_keys = gvc_keys[gvc.notna()].reset_index(drop=True)
    frames.append(long_rows(gvc_keys, year=year, indicator="gvc_participation", value=gvc.dropna().reset_index(drop=True),
                            unit="percent", variant=DEFAULT_VA_VARIANT))
    return frames
