"""pandera schemas of the Comtrade cleaning outputs: `comtrade_clean`, `comtrade_totals`, `comtrade_rejects`.

What belongs here: column types, vocabularies and the invariants cleaning promises (one row per fact key,
HS6 bilateral rows in clean and everything else in totals, aggregate level agreeing with the code, a vintage
in force in the year, zero quantities read as missing). The rules themselves live in
assets/transforms/cleaning/comtrade_cleaning.py. All checks are vectorised: a year is 10–15 M rows.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from assets.transforms.cleaning.codes import CMD_CODE_PATTERN, QTY_UNITS, matches, vintage_entry_year
from assets.transforms.cleaning.facts import FACT_KEY, LEAF_LEVEL
from assets.transforms.cleaning.row_rules import REJECT_REASONS
from assets.vocabulary import FLOW_CODES, HS_VINTAGES, HS_VINTAGE_ENTRY_YEAR
from checks.sql_checks import sql_check


def _matching(pattern: str) -> pa.Check:
    """Full regex match, evaluated once per distinct value (pandera's str_matches runs per row)."""
    sql_pattern = pattern.replace("'", "''")
    return sql_check(lambda values: matches(values, pattern), f"matches {pattern}", f"regexp_full_match({{col}}, '{sql_pattern}')")


def _col(dtype, description: str, *checks: pa.Check, nullable: bool = False) -> pa.Column:
    return pa.Column(dtype, checks=list(checks), nullable=nullable, description=description)


def _fact_columns() -> dict[str, pa.Column]:
    return {
        "year": _col("Int64", "Reference year (refYear)", pa.Check.in_range(1962, 2100)),
        "reporter_code": _col(str, "Reporter, Comtrade M49 numeric code as text", _matching(r"\d+")),
        "reporter_iso": _col(str, "Reporter ISO code as reported, upper case", nullable=True),
        "partner_code": _col(str, "Partner, Comtrade M49 numeric code as text (0 = World)", _matching(r"\d+")),
        "partner_iso": _col(str, "Partner ISO code as reported (W00/WLD World, S19 Taiwan, empty in legacy 490)", nullable=True),
        "flow": _col(str, "X export, M import, RX re-export, RM re-import (never summed together)", pa.Check.isin(FLOW_CODES)),
        "classification": _col(str, "HS vintage the row is reported in, H0..H6", pa.Check.isin(HS_VINTAGES)),
        "cmd_code": _col(str, "HS code with leading zeros, or TOTAL", _matching(CMD_CODE_PATTERN)),
        "aggregate_level": _col("Int64", "0 for TOTAL, else the number of digits (2, 4, 6)", pa.Check.isin([0, 2, 4, 6])),
        "value_usd": _col("float64", "primaryValue, USD (CIF for M/RM, FOB for X/RX)", pa.Check.ge(0)),
        # cifvalue/fobvalue and quantities are passed on as reported (no rule screens their sign); the only
        # promise cleaning makes about them is that a reported 0 quantity or weight is read as missing.
        "cif_usd": _col("float64", "CIF value, USD: cifvalue, else primaryValue for M/RM", nullable=True),
        "fob_usd": _col("float64", "FOB value, USD: fobvalue, else primaryValue for X/RX", nullable=True),
        "qty": _col("float64", "Quantity in qty_unit; missing when not reported (0 read as missing)", pa.Check.ne(0), nullable=True),
        "qty_unit": _col(str, "Normalized quantity unit (u, kg, l, m2, n/a, ...; docs/reject_reasons.md)", pa.Check.isin(QTY_UNITS)),
        "qty_unit_code": _col(str, "qtyUnitCode as reported", nullable=True),
        "net_kg": _col("float64", "Net weight, kg; missing when not reported (0 read as missing)", pa.Check.ne(0), nullable=True),
        "qty_estimated": _col("boolean", "Quantity estimated by UNSD (isQtyEstimated or legacy flag 2/6)", nullable=True),
        "net_kg_estimated": _col("boolean", "Net weight estimated by UNSD (isNetWgtEstimated or legacy flag 4/6)", nullable=True),
        "qty_zero_to_missing": _col("boolean", "qty was 0.0 in the source and is read as missing"),
        "net_kg_zero_to_missing": _col("boolean", "netWgt was 0.0 in the source and is read as missing"),
        "partner_is_nes": _col("boolean", "Partner is an area n.e.s. or special category (899, 839, 837, ...); not 490"),
        "is_world_partner": _col("boolean", "Partner is World (code 0, ISO W00/WLD)"),
        "release_rank": _col("Int64", "Rank of the row's release (retrieved_at, source_file) in the input, 1 = latest", pa.Check.ge(1)),
        "source_file": _col(str, "Extract file, relative to the extracts folder"),
        "source_sha256": _col(str, "SHA-256 of the extract file"),
        "source_row": _col("Int64", "1-based data row (or JSON record) number in source_file", pa.Check.ge(1)),
        "source_layout": _col(str, "Layout the reader recognised"),
        "api_query": _col(str, "API query that fetched the row, if any", nullable=True),
        "retrieved_at": _col(str, "Retrieval time (ISO-8601 UTC), if known", nullable=True),
    }


def _level_matches_code(frame: pd.DataFrame) -> pd.Series:
    expected = frame["cmd_code"].str.len().where(frame["cmd_code"] != "TOTAL", 0)
    return (frame["aggregate_level"] == expected).fillna(False).astype(bool)


def _vintage_in_force(frame: pd.DataFrame) -> pd.Series:
    entry_year = vintage_entry_year(frame["classification"])
    return (entry_year <= frame["year"]).fillna(False).astype(bool)


def _zero_flag_means_missing(frame: pd.DataFrame) -> pd.Series:
    qty_ok = ~frame["qty_zero_to_missing"].astype(bool) | frame["qty"].isna()
    net_ok = ~frame["net_kg_zero_to_missing"].astype(bool) | frame["net_kg"].isna()
    return qty_ok & net_ok


def _is_leaf_bilateral(frame: pd.DataFrame) -> pd.Series:
    return (frame["aggregate_level"] == LEAF_LEVEL).fillna(False).astype(bool) & ~frame["is_world_partner"].astype(bool)


_ENTRY_YEAR_SQL = "CASE classification " + " ".join(f"WHEN '{v}' THEN {y}" for v, y in HS_VINTAGE_ENTRY_YEAR.items()) + " END"
_LEAF_BILATERAL_SQL = "(aggregate_level = 6 AND NOT is_world_partner)"

_FACT_CHECKS = [
    sql_check(_level_matches_code, "aggregate_level_matches_cmd_code",
              "aggregate_level = CASE WHEN cmd_code = 'TOTAL' THEN 0 ELSE length(cmd_code) END"),
    sql_check(_vintage_in_force, "classification_in_force_in_year", f"{_ENTRY_YEAR_SQL} <= year"),
    sql_check(_zero_flag_means_missing, "zero_flags_mean_missing",
              "(NOT qty_zero_to_missing OR qty IS NULL) AND (NOT net_kg_zero_to_missing OR net_kg IS NULL)"),
]

comtrade_clean_schema = pa.DataFrameSchema(
    _fact_columns(),
    checks=[*_FACT_CHECKS, sql_check(_is_leaf_bilateral, "hs6_and_not_world", _LEAF_BILATERAL_SQL)],
    unique=list(FACT_KEY),
    strict=True,
    ordered=True,
    name="comtrade_clean",
    description="HS6 bilateral Comtrade facts, totals-only breakdowns, one row per fact key",
)

comtrade_totals_schema = pa.DataFrameSchema(
    _fact_columns(),
    checks=[*_FACT_CHECKS, sql_check(lambda f: ~_is_leaf_bilateral(f), "aggregate_or_world", f"NOT {_LEAF_BILATERAL_SQL}")],
    unique=list(FACT_KEY),
    strict=True,
    ordered=True,
    name="comtrade_totals",
    description="Comtrade TOTAL, 2- and 4-digit aggregates and partner World rows: the RCA denominators",
)

comtrade_rejects_schema = pa.DataFrameSchema(
    {
        "source_file": _col(str, "Extract file, relative to the extracts folder"),
        "source_row": _col("Int64", "1-based data row (or JSON record) number in source_file", pa.Check.ge(1)),
        "primaryValue": _col("float64", "primaryValue as read (may be missing or negative here)", nullable=True),
        "reason": _col(str, "Reject reason code (docs/reject_reasons.md)", pa.Check.isin(REJECT_REASONS)),
        "message": _col(str, "What was wrong: the field, its value and what to do", pa.Check.str_length(min_value=1)),
    },
    unique=["source_file", "source_row"],
    strict=False,
    name="comtrade_rejects",
    description="Every raw Comtrade row kept out of clean and totals: raw fields + reason + message",
)
