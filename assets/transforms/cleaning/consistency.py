"""Consistency checks on Comtrade data, in SQL: breakdowns against their total, product children against parents.

What belongs here: checks that report problems as frames (one row per offending group) for asset checks and
reports; they never change data. Inputs are SQL relations (a table name or `read_parquet(...)`), so a whole
year is checked in DuckDB without loading it.

Tolerance: Comtrade publishes every value rounded to whole US dollars, so a sum of k rounded rows can exceed
the rounded total by up to about k/2 USD; partner and product breakdowns may also come from a later
processing than the total. A group is reported only when
    parts_sum > total + rel_tol * |total| + abs_tol * parts_rows,
with rel_tol = 0.001 (0.1 %) and abs_tol = 1 USD per summed row by default — for one summed row exactly
"0.1 % + 1 USD". Parts summing to less than the total are normal (confidential or unallocated trade).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from assets.transforms.cleaning.row_rules import is_breakdown_sql, trimmed
from assets.vocabulary import TOTAL_CUSTOMS_CODE, TOTAL_MOS_CODE, TOTAL_MOT_CODE, TOTAL_PARTNER2_CODE

DEFAULT_REL_TOL = 1e-3
DEFAULT_ABS_TOL_USD = 1.0
MAX_ROWS_REPORTED = 10_000  # a check lists the worst groups; the count says how many there are

_RAW_KEY = ["refYear", "reporterCode", "partnerCode", "flowCode", "classificationCode", "cmdCode", "source_file"]
BREAKDOWN_COLUMNS = [
    "year", "reporter_code", "partner_code", "flow", "classification", "cmd_code", "source_file", "dimension",
    "problem", "breakdown_rows", "breakdown_value_usd", "total_value_usd", "excess_usd",
]
CHILDREN_COLUMNS = [
    "year", "reporter_code", "partner_code", "flow", "classification", "parent_code", "parent_level",
    "child_level", "children_rows", "children_value_usd", "parent_value_usd", "excess_usd",
]
_DTYPES = {
    "year": "Int64", "source_row": "Int64", "value_usd": "float64", "breakdown_rows": "Int64", "children_rows": "Int64", "parent_level": "Int64", "child_level": "Int64",
    "breakdown_value_usd": "float64", "total_value_usd": "float64", "excess_usd": "float64",
    "children_value_usd": "float64", "parent_value_usd": "float64",
}


def _typed(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return frame[columns].astype({c: _DTYPES.get(c, "str") for c in columns})


def _exceeds(parts: str, total: str, rows: str, rel_tol: float, abs_tol: float) -> str:
    return f"{parts} > {total} + {rel_tol!r} * abs({total}) + {abs_tol!r} * {rows}"


def breakdowns_exceeding_totals_sql(
    con: duckdb.DuckDBPyConnection, raw: str, rel_tol: float = DEFAULT_REL_TOL, abs_tol: float = DEFAULT_ABS_TOL_USD
) -> pd.DataFrame:
    """Raw breakdown rows (customs procedure, mode of transport, second partner) that sum to more than their total.

    Per key (year, reporter, partner, flow, classification, cmdCode) and source file — a total and its
    breakdowns are compared within one release — and per dimension, the rows broken down on that dimension
    only (the others at their total) are summed and compared with the total row (all dimensions at total).
    Returns BREAKDOWN_COLUMNS: problem "exceeds_total" (see the module tolerance) or "total_missing"
    (breakdowns without a total row: cleaning keeps only totals, so that trade is not in the clean tables).
    Exact repeats of the same key/breakdown/value are counted once; of two different total rows in one file
    the larger is used. Motor codes are hierarchical by digit (2000 Water ⊃ 2100 Sea; 9000 ⊃ 9100 ⊃ 9110):
    a mode whose parent mode is present for the same key is not summed again.
    """
    key = ", ".join(_RAW_KEY)
    customs = f"NOT {is_breakdown_sql('customsCode', TOTAL_CUSTOMS_CODE)}"
    transport = f"NOT {is_breakdown_sql('motCode', TOTAL_MOT_CODE)} AND NOT {is_breakdown_sql('mosCode', TOTAL_MOS_CODE)}"
    partner2 = f"NOT {is_breakdown_sql('partner2Code', TOTAL_PARTNER2_CODE)}"
    at_total = {"customs": customs, "transport": f"({transport})", "partner2": partner2}
    mot = trimmed("motCode")
    parts_sql = []
    for dimension, total_condition in at_total.items():
        others = " AND ".join(c for d, c in at_total.items() if d != dimension)
        parts_sql.append(f"SELECT DISTINCT {key}, k, customsCode, motCode, mosCode, partner2Code, primaryValue, "
                         f"'{dimension}' AS dimension FROM b WHERE NOT ({total_condition}) AND {others}")
    all_at_total = f"{customs} AND {transport} AND {partner2}"
    # Two scans of the raw rows: the breakdown rows (a few % of a year; everything else works on them), then the
    # total rows of their keys.
    found = con.execute(f"""
WITH b AS (
    SELECT {key}, hash({key}) AS k, customsCode, motCode, mosCode, partner2Code, primaryValue FROM {raw}
    WHERE NOT ({all_at_total})
),
parts AS ({' UNION ALL '.join(parts_sql)}),
top_parts AS (
    SELECT p.* FROM parts p
    WHERE NOT (p.dimension = 'transport' AND length({mot.replace('motCode', 'p.motCode')}) = 4 AND EXISTS (
        SELECT 1 FROM parts q
        WHERE q.dimension = 'transport' AND {' AND '.join(f'q.{k} IS NOT DISTINCT FROM p.{k}' for k in _RAW_KEY)}
          AND {mot.replace('motCode', 'q.motCode')} <> {mot.replace('motCode', 'p.motCode')}
          AND {mot.replace('motCode', 'q.motCode')} IN (
              rpad(left({mot.replace('motCode', 'p.motCode')}, 1), 4, '0'),
              rpad(left({mot.replace('motCode', 'p.motCode')}, 2), 4, '0'),
              rpad(left({mot.replace('motCode', 'p.motCode')}, 3), 4, '0'))))
),
sums AS (SELECT {key}, k, dimension, count(*) AS breakdown_rows, sum(primaryValue) AS breakdown_value_usd FROM top_parts GROUP BY ALL),
-- Totals only of keys that have breakdowns (a few % of a year), found by the key's hash, then matched exactly.
totals AS (
    SELECT {key}, hash({key}) AS k, max(primaryValue) AS total_value_usd FROM {raw}
    WHERE {all_at_total} AND hash({key}) IN (SELECT k FROM sums)
    GROUP BY ALL
),
compared AS (
    SELECT s.* EXCLUDE (k), t.total_value_usd, s.breakdown_value_usd - t.total_value_usd AS excess_usd,
           CASE WHEN t.total_value_usd IS NULL THEN 'total_missing' ELSE 'exceeds_total' END AS problem
    FROM sums s LEFT JOIN totals t ON s.k = t.k AND {' AND '.join(f's.{c} IS NOT DISTINCT FROM t.{c}' for c in _RAW_KEY)}
)
SELECT refYear AS year, reporterCode AS reporter_code, partnerCode AS partner_code, flowCode AS flow,
       classificationCode AS classification, cmdCode AS cmd_code, source_file, dimension, problem,
       breakdown_rows, breakdown_value_usd, total_value_usd, excess_usd
FROM compared
WHERE total_value_usd IS NULL OR {_exceeds('breakdown_value_usd', 'total_value_usd', 'breakdown_rows', rel_tol, abs_tol)}
ORDER BY year, reporter_code, partner_code, flow, classification, cmd_code, source_file, dimension
LIMIT {MAX_ROWS_REPORTED}
""").df()
    return _typed(found, BREAKDOWN_COLUMNS)


def children_exceeding_parent_sql(
    con: duckdb.DuckDBPyConnection, facts: list[str], rel_tol: float = DEFAULT_REL_TOL, abs_tol: float = DEFAULT_ABS_TOL_USD
) -> pd.DataFrame:
    """Product children summing to more than their parent row, per year/reporter/partner/flow/classification.

    `facts`: relations with FACT_COLUMNS (clean and totals, checked together so partner World is checked too).
    Compares the 6-digit rows with their 4-digit heading, 4-digit with their 2-digit chapter and 2-digit
    chapters with TOTAL, wherever the parent row is present. Returns CHILDREN_COLUMNS, one row per offending
    parent (see the module tolerance).
    """
    group = "year, reporter_code, partner_code, flow, classification"
    columns = f"{group}, cmd_code, aggregate_level, value_usd"
    # Parents (TOTAL, 2- and 4-digit rows) are few; children are summed only where their parent row exists,
    # found by a hash of (group, parent code) and then matched exactly, so the HS6 lines of a 15 M-row year are
    # scanned once and never grouped as a whole.
    parent_of = {6: "left(cmd_code, 4)", 4: "left(cmd_code, 2)", 2: "'TOTAL'"}
    level_of_parent = {6: 4, 4: 2, 2: 0}
    parents = " UNION ALL ".join(
        f"SELECT {group}, cmd_code AS parent_code, aggregate_level AS parent_level, value_usd AS parent_value_usd FROM {f}"
        f" WHERE aggregate_level IN (0, 2, 4)" for f in facts
    )
    children = " UNION ALL ".join(
        f"SELECT {group}, {parent_of[child]} AS parent_code, {level_of_parent[child]} AS parent_level, {child} AS child_level, value_usd"
        f" FROM (SELECT {columns} FROM {f} WHERE aggregate_level = {child})"
        f" WHERE hash({group}, {parent_of[child]}) IN (SELECT k FROM parent_keys)"
        for f in facts for child in (6, 4, 2)
    )
    found = con.execute(f"""
WITH parents AS ({parents}),
parent_keys AS (SELECT DISTINCT hash({group}, parent_code) AS k FROM parents),
sums AS (SELECT {group}, parent_code, parent_level, child_level, count(*) AS children_rows, sum(value_usd) AS children_value_usd
         FROM ({children}) GROUP BY ALL)
SELECT s.year, s.reporter_code, s.partner_code, s.flow, s.classification, s.parent_code, s.parent_level, s.child_level,
       s.children_rows, s.children_value_usd, p.parent_value_usd, s.children_value_usd - p.parent_value_usd AS excess_usd
FROM sums s JOIN parents p USING ({group}, parent_code, parent_level)
WHERE {_exceeds('s.children_value_usd', 'p.parent_value_usd', 's.children_rows', rel_tol, abs_tol)}
ORDER BY s.year, s.reporter_code, s.partner_code, s.flow, s.classification, s.parent_level, s.parent_code
LIMIT {MAX_ROWS_REPORTED}
""").df()
    return _typed(found, CHILDREN_COLUMNS)


# No economy's total merchandise exports or imports in a year reach USD 5 trillion (the largest, China's
# exports, were about USD 3.6 trillion in 2022; world exports about USD 25 trillion): a single row above that
# is a unit or parsing error (e.g. a value in USD thousands read as USD, or 1e30), never trade.
IMPLAUSIBLE_VALUE_USD = 5e12
IMPLAUSIBLE_COLUMNS = ["year", "reporter_code", "partner_code", "flow", "classification", "cmd_code", "value_usd", "source_file", "source_row"]


def implausible_values_sql(con: duckdb.DuckDBPyConnection, facts: list[str], threshold_usd: float = IMPLAUSIBLE_VALUE_USD) -> pd.DataFrame:
    """Rows of `facts` (clean, totals) whose value_usd, cif_usd or fob_usd exceeds `threshold_usd`, largest
    first (IMPLAUSIBLE_COLUMNS). Reported by a non-blocking check: nothing is removed."""
    columns = ", ".join(IMPLAUSIBLE_COLUMNS)
    union = " UNION ALL ".join(
        f"SELECT {columns}, greatest(value_usd, coalesce(cif_usd, 0), coalesce(fob_usd, 0)) AS largest FROM {f}"
        f" WHERE greatest(value_usd, coalesce(cif_usd, 0), coalesce(fob_usd, 0)) > {float(threshold_usd)!r}"
        for f in facts
    )
    found = con.execute(f"SELECT {columns} FROM ({union}) ORDER BY largest DESC, source_file, source_row LIMIT {MAX_ROWS_REPORTED}").df()
    return _typed(found, IMPLAUSIBLE_COLUMNS)
