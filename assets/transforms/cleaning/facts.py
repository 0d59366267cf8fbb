"""Building the `comtrade_clean` and `comtrade_totals` facts from the raw rows that passed every rule.

What belongs here: the output column list, the mapping of raw Comtrade+ fields to typed snake_case facts
(values on their CIF/FOB basis, quantities with zero read as missing, estimation flags), and the split into
HS6 bilateral facts and totals (TOTAL, 2- and 4-digit aggregates, partner World).
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from assets.transforms.cleaning.codes import (
    CIF_FLOWS,
    FOB_FLOWS,
    aggregate_level_of,
    is_world_partner,
    normalize_iso,
    normalize_qty_unit,
)
from assets.transforms.cleaning.duplicates import PROVENANCE_COLUMNS

FACT_KEY: tuple[str, ...] = ("year", "reporter_code", "partner_code", "flow", "classification", "cmd_code")
FACT_COLUMNS: tuple[str, ...] = (
    "year",
    "reporter_code",
    "reporter_iso",
    "partner_code",
    "partner_iso",
    "flow",
    "classification",
    "cmd_code",
    "aggregate_level",
    "value_usd",
    "cif_usd",
    "fob_usd",
    "qty",
    "qty_unit",
    "qty_unit_code",
    "net_kg",
    "qty_estimated",
    "net_kg_estimated",
    "qty_zero_to_missing",
    "net_kg_zero_to_missing",
    "partner_is_nes",
    "is_world_partner",
    "release_rank",
    *PROVENANCE_COLUMNS,
)
LEAF_LEVEL = 6

# Raw fields build_facts reads.
FACT_SOURCE_COLUMNS: tuple[str, ...] = (
    "refYear", "reporterCode", "reporterISO", "partnerCode", "partnerISO", "flowCode", "cmdCode", "primaryValue",
    "cifvalue", "fobvalue", "qty", "qtyUnitCode", "qtyUnitAbbr", "netWgt", "isQtyEstimated", "isNetWgtEstimated",
    "legacyEstimationFlag", "source_file", "source_sha256", "source_row", "source_layout", "api_query", "retrieved_at",
)

# Legacy Comtrade "Flag" (legacyEstimationFlag): 0 none, 2 quantity estimated, 4 net weight estimated, 6 both.
_LEGACY_QTY_ESTIMATED = (2, 6)
_LEGACY_NET_WEIGHT_ESTIMATED = (4, 6)


def _estimated(flag: pd.Series, legacy_flag: pd.Series, legacy_values: tuple[int, ...]) -> pd.Series:
    """The Comtrade+ boolean where given, else derived from the legacy estimation flag, else missing."""
    from_legacy = legacy_flag.isin(legacy_values).astype("boolean").mask(legacy_flag.isna())
    return flag.astype("boolean").fillna(from_legacy)


def _zero_to_missing(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Comtrade+ writes 0.0 where no quantity or weight was reported: read it as missing and flag it."""
    is_zero = values == 0
    return values.mask(is_zero), is_zero.astype("boolean")


def build_facts(
    rows: pd.DataFrame,
    classification: pd.Series,
    release_rank: np.ndarray,
    nes_partner_codes: Collection[str],
) -> pd.DataFrame:
    """Typed facts (FACT_COLUMNS) for raw `rows` that passed every rule, in the order given.

    `classification` holds the normalized vintage (H0..H6) and `release_rank` the release rank of each row.
    value_usd is primaryValue; cif_usd/fob_usd are cifvalue/fobvalue, falling back to primaryValue on the
    basis it represents (CIF for M and RM, FOB for X and RX).
    """
    flow = rows["flowCode"]
    value = rows["primaryValue"]
    qty, qty_was_zero = _zero_to_missing(rows["qty"])
    net_kg, net_kg_was_zero = _zero_to_missing(rows["netWgt"])
    legacy_flag = rows["legacyEstimationFlag"]
    facts = pd.DataFrame(
        {
            "year": rows["refYear"].astype("Int64"),
            "reporter_code": rows["reporterCode"].astype("str"),
            "reporter_iso": normalize_iso(rows["reporterISO"]),
            "partner_code": rows["partnerCode"].astype("str"),
            "partner_iso": normalize_iso(rows["partnerISO"]),
            "flow": flow.astype("str"),
            "classification": classification.astype("str"),
            "cmd_code": rows["cmdCode"].astype("str"),
            "aggregate_level": aggregate_level_of(rows["cmdCode"]),
            "value_usd": value.astype("float64"),
            "cif_usd": rows["cifvalue"].fillna(value.where(flow.isin(CIF_FLOWS))).astype("float64"),
            "fob_usd": rows["fobvalue"].fillna(value.where(flow.isin(FOB_FLOWS))).astype("float64"),
            "qty": qty.astype("float64"),
            "qty_unit": normalize_qty_unit(rows["qtyUnitCode"], rows["qtyUnitAbbr"]),
            "qty_unit_code": rows["qtyUnitCode"].astype("str"),
            "net_kg": net_kg.astype("float64"),
            "qty_estimated": _estimated(rows["isQtyEstimated"], legacy_flag, _LEGACY_QTY_ESTIMATED),
            "net_kg_estimated": _estimated(rows["isNetWgtEstimated"], legacy_flag, _LEGACY_NET_WEIGHT_ESTIMATED),
            "qty_zero_to_missing": qty_was_zero,
            "net_kg_zero_to_missing": net_kg_was_zero,
            "partner_is_nes": rows["partnerCode"].isin(list(nes_partner_codes)).astype("boolean"),
            "is_world_partner": pd.array(is_world_partner(rows["partnerCode"], rows["partnerISO"]), dtype="boolean"),
            "release_rank": pd.array(release_rank, dtype="Int64"),
            "source_file": rows["source_file"].astype("str"),
            "source_sha256": rows["source_sha256"].astype("str"),
            "source_row": rows["source_row"].astype("Int64"),
            "source_layout": rows["source_layout"].astype("str"),
            "api_query": rows["api_query"].astype("str"),
            "retrieved_at": rows["retrieved_at"].astype("str"),
        },
        index=rows.index,
    )
    return facts.reset_index(drop=True)


def is_total_row(cmd_codes: pd.Series, partner_codes: pd.Series, partner_isos: pd.Series) -> np.ndarray:
    """True for rows that belong in totals: TOTAL, 2- and 4-digit aggregates, and partner World at any level
    (the denominators of shares and RCA); False for HS6 rows with a partner other than World (clean)."""
    not_leaf = (aggregate_level_of(cmd_codes) != LEAF_LEVEL).to_numpy(dtype=bool, na_value=True)
    return not_leaf | is_world_partner(partner_codes, partner_isos)
