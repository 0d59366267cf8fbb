"""Conservation of the Comtrade cleaning stage, in SQL: every raw row lands in exactly one output, with its value.

What belongs here: the report (rows and value per destination, measured in the outputs and in the raw rows
they point to) and the list of violations the blocking asset check fails on. Rows are matched by provenance
(source_file, source_row), which the raw contract makes unique. The relations are SQL names or
`read_parquet(...)` calls, so the check runs on the files the stage wrote.
"""

from __future__ import annotations

import math

import duckdb
import pandas as pd

REPORT_COLUMNS = ["reason", "destination", "rows", "value_usd", "raw_value_usd", "unmatched_rows"]
_REL_TOL = 1e-9  # sums of the same float values in a different order differ only in the last bits


def conservation_report_sql(con: duckdb.DuckDBPyConnection, raw: str, clean: str, totals: str, rejects: str) -> tuple[pd.DataFrame, dict[str, int]]:
    """(report, counts). Report: REPORT_COLUMNS, one row for clean, totals, each reject reason, and "missing"
    (raw rows in no output; should be 0). value_usd is measured in the output (value_usd or the reject's
    primaryValue), raw_value_usd on the raw rows the output rows point to; unmatched_rows counts output rows
    whose (source_file, source_row) is not in raw. Counts: raw_rows, raw_duplicate_provenance,
    rows_in_several_outputs."""
    outputs = f"""
        SELECT 'clean' AS reason, 'clean' AS destination, source_file, source_row, value_usd AS v FROM {clean}
        UNION ALL SELECT 'totals', 'totals', source_file, source_row, value_usd FROM {totals}
        UNION ALL SELECT reason, 'rejects', source_file, source_row, primaryValue FROM {rejects}"""
    con.execute(f"CREATE OR REPLACE TEMP VIEW _outputs AS {outputs}")
    raw_ids = f"(SELECT source_file, source_row, primaryValue FROM {raw})"
    report = con.execute(f"""
        SELECT o.reason, o.destination, count(*) AS rows, coalesce(sum(o.v), 0) AS value_usd,
               coalesce(sum(r.primaryValue), 0) AS raw_value_usd,
               count(*) FILTER (WHERE r.source_row IS NULL) AS unmatched_rows
        FROM _outputs o LEFT JOIN {raw_ids} r USING (source_file, source_row)
        GROUP BY ALL
        UNION ALL
        SELECT 'missing', 'none', count(*), coalesce(sum(primaryValue), 0), coalesce(sum(primaryValue), 0), 0
        FROM {raw_ids} r ANTI JOIN _outputs o USING (source_file, source_row)
    """).df()
    order = {"clean": 0, "totals": 1, "missing": 9}
    report = report.assign(_o=report["reason"].map(order).fillna(2)).sort_values(["_o", "reason"]).drop(columns="_o")
    report = report.reset_index(drop=True).astype({"rows": "Int64", "unmatched_rows": "Int64", "reason": "str", "destination": "str"})
    raw_rows, raw_distinct = con.execute(f"SELECT count(*), count(DISTINCT (source_file, source_row)) FROM {raw}").fetchone()
    out_rows, out_distinct = con.execute("SELECT count(*), count(DISTINCT (source_file, source_row)) FROM _outputs").fetchone()
    counts = {
        "raw_rows": int(raw_rows),
        "raw_duplicate_provenance": int(raw_rows - raw_distinct),
        "rows_in_several_outputs": int(out_rows - out_distinct),
    }
    return report[REPORT_COLUMNS], counts


def conservation_violations_from(report: pd.DataFrame, counts: dict[str, int]) -> list[str]:
    """Readable violations of "every raw row is in exactly one of clean, totals, rejects, with its value";
    an empty list means the stage conserved rows and value."""
    problems = []
    if counts["raw_duplicate_provenance"]:
        problems.append(
            f"{counts['raw_duplicate_provenance']} raw rows repeat another row's (source_file, source_row); "
            "the reader must number rows uniquely"
        )
    missing = int(report.loc[report["reason"] == "missing", "rows"].iloc[0])
    if missing:
        problems.append(f"{missing} raw rows are in none of clean, totals, rejects")
    if counts["rows_in_several_outputs"]:
        problems.append(f"{counts['rows_in_several_outputs']} raw rows appear more than once across clean, totals, rejects")
    output_rows = int(report.loc[report["destination"] != "none", "rows"].sum())
    if output_rows != counts["raw_rows"]:
        problems.append(f"outputs hold {output_rows} rows, raw has {counts['raw_rows']}")
    for record in report[report["destination"] != "none"].itertuples(index=False):
        if record.unmatched_rows:
            problems.append(f"{record.reason}: {record.unmatched_rows} rows point to no raw row (source_file, source_row)")
        if not math.isclose(record.value_usd, record.raw_value_usd, rel_tol=_REL_TOL, abs_tol=1e-6):
            problems.append(
                f"{record.reason}: value {record.value_usd!r} USD differs from its raw rows' primaryValue {record.raw_value_usd!r} USD"
            )
    return problems
