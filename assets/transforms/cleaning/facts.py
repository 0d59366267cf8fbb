"""The `comtrade_clean` and `comtrade_totals` facts from the raw rows that passed every rule, as SQL.

What belongs here: the output column list, the mapping of raw Comtrade+ fields to typed snake_case facts
(values as declared, quantities with zero read as missing, estimation flags), and the split into HS6
bilateral facts and totals (TOTAL, 2- and 4-digit aggregates, partner World).

Values as declared (docs/methods.md, "Values as declared"): Comtrade+ publishes `primaryValue` (CIF for
imports where known, else FOB; FOB for exports) and, separately, `cifvalue` and `fobvalue`, where 0 means
"not available", not zero. So:
- `fob_usd` = `fobvalue` when > 0; for exports and re-exports, else `primaryValue`.
- `cif_usd` = `cifvalue` when > 0; for imports and re-imports with no FOB declaration, else `primaryValue`
  (Comtrade's default basis for imports). An import declared FOB (`fobvalue` > 0, no `cifvalue`) has no CIF
  value: it is carried as FOB and never divided by a CIF/FOB factor downstream.
"""

from __future__ import annotations

from assets.transforms.cleaning.codes import (
    NES_PARTNER_CODES,
    aggregate_level_sql,
    is_world_partner_sql,
    normalize_iso_sql,
    sql_list,
)
from assets.vocabulary import (
    CIF_FLOWS,
    FOB_FLOWS,
    LEGACY_FLAGS_NET_WEIGHT_ESTIMATED,
    LEGACY_FLAGS_QTY_ESTIMATED,
    PROVENANCE_COLUMNS,
)

FACT_KEY: tuple[str, ...] = ("year", "reporter_code", "partner_code", "flow", "classification", "cmd_code")
LEAF_LEVEL = 6

# Output column → SQL over the judged raw rows (aliases: `qty_units` u, `releases` r). Order = column order.


def _estimated(flag: str, legacy_values: tuple[int, ...]) -> str:
    """The Comtrade+ boolean where given, else derived from the legacy estimation flag, else NULL."""
    listed = ", ".join(str(v) for v in legacy_values)
    return f"coalesce({flag}, CASE WHEN legacyEstimationFlag IS NULL THEN NULL ELSE legacyEstimationFlag IN ({listed}) END)"


_CIF_DECLARED = "(CASE WHEN cifvalue > 0 THEN cifvalue END)"
_FOB_DECLARED = "(CASE WHEN fobvalue > 0 THEN fobvalue END)"

FACT_SQL: dict[str, str] = {
    "year": "CAST(refYear AS BIGINT)",
    "reporter_code": "reporterCode",
    "reporter_iso": normalize_iso_sql("reporterISO"),
    "partner_code": "partnerCode",
    "partner_iso": normalize_iso_sql("partnerISO"),
    "flow": "flowCode",
    "classification": "classification",
    "cmd_code": "cmdCode",
    "aggregate_level": f"CAST({aggregate_level_sql()} AS BIGINT)",
    "value_usd": "CAST(primaryValue AS DOUBLE)",
    "cif_usd": f"CAST(coalesce({_CIF_DECLARED}, CASE WHEN flowCode IN ({sql_list(sorted(CIF_FLOWS))}) AND {_FOB_DECLARED} IS NULL"
    " THEN primaryValue END) AS DOUBLE)",
    "fob_usd": f"CAST(coalesce({_FOB_DECLARED}, CASE WHEN flowCode IN ({sql_list(sorted(FOB_FLOWS))}) THEN primaryValue END) AS DOUBLE)",
    "qty": "CAST(nullif(qty, 0) AS DOUBLE)",
    "qty_unit": "coalesce(u.qty_unit, 'n/a')",
    "qty_unit_code": "qtyUnitCode",
    "net_kg": "CAST(nullif(netWgt, 0) AS DOUBLE)",
    "qty_estimated": _estimated("isQtyEstimated", LEGACY_FLAGS_QTY_ESTIMATED),
    "net_kg_estimated": _estimated("isNetWgtEstimated", LEGACY_FLAGS_NET_WEIGHT_ESTIMATED),
    # Comtrade+ writes 0.0 where no quantity or weight was reported: read as missing and flagged.
    "qty_zero_to_missing": "coalesce(qty = 0, FALSE)",
    "net_kg_zero_to_missing": "coalesce(netWgt = 0, FALSE)",
    "partner_is_nes": "coalesce(partnerCode IN ({nes}), FALSE)",
    "is_world_partner": is_world_partner_sql(),
    "release_rank": "r.release_rank",
    **{name: f"j.{name}" for name in PROVENANCE_COLUMNS},
}
FACT_COLUMNS: tuple[str, ...] = tuple(FACT_SQL)

# HS6 rows with a partner other than World are bilateral facts; the rest are the denominators.
IS_TOTAL_ROW_SQL = f"({aggregate_level_sql()} <> {LEAF_LEVEL} OR {is_world_partner_sql()})"


def facts_select(judged: str, nes_partner_codes: list[str] | None = None) -> str:
    """SQL selecting FACT_COLUMNS plus `_pos` (raw order) and `_is_total` (belongs in totals) for the kept rows
    of `judged`: row_reason = 0 and not in `group_losers`. `nes_partner_codes` default: the Comtrade n.e.s. areas (codes.NES_PARTNER_CODES)."""
    nes = sql_list(sorted(NES_PARTNER_CODES) if nes_partner_codes is None else nes_partner_codes) or "NULL"
    columns = ",\n    ".join(f"{sql.format(nes=nes)} AS {name}" for name, sql in FACT_SQL.items())
    return f"""
SELECT {columns},
    j._pos AS _pos,
    {IS_TOTAL_ROW_SQL} AS _is_total
FROM {judged} j
LEFT JOIN qty_units u ON j.qtyUnitCode IS NOT DISTINCT FROM u.code AND j.qtyUnitAbbr IS NOT DISTINCT FROM u.label
JOIN releases r ON j.source_file = r.source_file AND j.retrieved_at IS NOT DISTINCT FROM r.retrieved_at
WHERE j.row_reason = 0 AND j._pos NOT IN (SELECT _pos FROM group_losers)
"""
