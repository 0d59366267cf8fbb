"""Conservation of the Comtrade cleaning stage, in SQL: every raw row lands in exactly one output, with its value.

What belongs here: the report (rows and value per destination, measured in the outputs and in the raw rows
they point to) and the list of violations the blocking asset check fails on. Rows are matched by provenance
(source_file, source_row), which the raw contract makes unique. The relations are SQL names or
`read_parquet(...)` calls, so the check runs on the files the stage wrote.

Two passes, the second only when needed. A 15 M-row year would otherwise pay for a join of every output row
with its raw row on every run: first, a balance — the row counts and two order-free checksums (sums of two
different 64-bit hashes of each row's source_file, source_row and value) over raw and over the outputs. Equal
counts and checksums mean every raw row appears in the outputs exactly as often as in raw, with its value
unchanged (a lost, doubled or altered row changes both sums unless two independent 64-bit hashes collide at
once). Only when the balance fails does the exact pass run: the join that names what was lost, doubled or
altered, which is what the check's failure reports.
"""

from __future__ import annotations

import math

import duckdb
import pandas as pd

REPORT_COLUMNS = ["reason", "destination", "rows", "value_usd", "raw_value_usd", "unmatched_rows", "altered_rows"]
_REL_TOL = 1e-9  # sums of the same float values in a different order differ only in the last bits


def _checksums(value: str) -> str:
    """Row count and the two checksums of a relation with source_file, source_row and a value column."""
    first = f"sum(CAST(hash(source_file, source_row, {value}) AS HUGEINT))"
    second = f"sum(CAST(hash({value}, source_row, source_file, 1) AS HUGEINT))"
    return f"count(*) AS rows, {first} AS h1, {second} AS h2"


def conservation_report_sql(con: duckdb.DuckDBPyConnection, raw: str, clean: str, totals: str, rejects: str) -> tuple[pd.DataFrame, dict[str, int]]:
    """(report, counts). Report: REPORT_COLUMNS, one row for clean, totals, each reject reason, and "missing"
    (raw rows in no output; should be 0). value_usd is measured in the output (value_usd or the reject's
    primaryValue), raw_value_usd on the raw rows the output rows point to; unmatched_rows counts output rows
    whose (source_file, source_row) is not in raw, altered_rows those whose value differs from their raw row's
    (a swap between two rows leaves every sum unchanged). Counts: raw_rows, raw_duplicate_provenance,
    rows_in_several_outputs.

    When the balance holds (module docstring) the outputs carry every raw row once with its value, so
    raw_value_usd equals value_usd, nothing is unmatched or missing, and no row is in several outputs; counts
    then omit raw_duplicate_provenance, which the balance does not measure (unique raw provenance is the raw
    contract, checked by cleaning before any rule runs). Otherwise the exact join measures each of them."""
    outputs = f"""
        SELECT 'clean' AS reason, 'clean' AS destination, source_file, source_row, value_usd AS v FROM {clean}
        UNION ALL SELECT 'totals', 'totals', source_file, source_row, value_usd FROM {totals}
        UNION ALL SELECT reason, 'rejects', source_file, source_row, primaryValue FROM {rejects}"""
    con.execute(f"CREATE OR REPLACE TEMP VIEW _outputs AS {outputs}")
    # The 128-bit checksums travel as text: a pandas frame would turn them into floats and lose their low bits.
    by_reason = con.execute(f"""
        SELECT reason, destination, rows, CAST(h1 AS VARCHAR) AS h1, CAST(h2 AS VARCHAR) AS h2, value_usd
        FROM (SELECT reason, destination, {_checksums('v')}, coalesce(sum(v), 0) AS value_usd FROM _outputs GROUP BY ALL)""").df()
    raw_rows, raw_h1, raw_h2 = con.execute(f"SELECT {_checksums('primaryValue')} FROM {raw}").fetchone()
    raw_h1, raw_h2 = int(raw_h1 or 0), int(raw_h2 or 0)
    balanced = (
        int(by_reason["rows"].sum()) == int(raw_rows)
        and sum(int(h) for h in by_reason["h1"].dropna()) == raw_h1
        and sum(int(h) for h in by_reason["h2"].dropna()) == raw_h2
    )
    if balanced:
        report = by_reason.assign(raw_value_usd=by_reason["value_usd"], unmatched_rows=0, altered_rows=0)
        missing = pd.DataFrame([{"reason": "missing", "destination": "none", "rows": 0, "value_usd": 0.0, "raw_value_usd": 0.0,
                                 "unmatched_rows": 0, "altered_rows": 0}])
        report = _ordered(pd.concat([report[REPORT_COLUMNS], missing], ignore_index=True))
        return report, {"raw_rows": int(raw_rows), "rows_in_several_outputs": 0}
    return _exact_report(con, raw)


def _ordered(report: pd.DataFrame) -> pd.DataFrame:
    order = {"clean": 0, "totals": 1, "missing": 9}
    report = report.assign(_o=report["reason"].map(order).fillna(2)).sort_values(["_o", "reason"]).drop(columns="_o")
    report = report.reset_index(drop=True).astype(
        {"rows": "Int64", "unmatched_rows": "Int64", "altered_rows": "Int64", "reason": "str", "destination": "str"})
    return report[REPORT_COLUMNS].astype({"value_usd": "float64", "raw_value_usd": "float64"})


def _exact_report(con: duckdb.DuckDBPyConnection, raw: str) -> tuple[pd.DataFrame, dict[str, int]]:
    """The exact pass: every output row joined with the raw row it names (view `_outputs`)."""
    raw_ids = f"(SELECT source_file, source_row, primaryValue FROM {raw})"
    report = con.execute(f"""
        SELECT o.reason, o.destination, count(*) AS rows, coalesce(sum(o.v), 0) AS value_usd,
               coalesce(sum(r.primaryValue), 0) AS raw_value_usd,
               count(*) FILTER (WHERE r.source_row IS NULL) AS unmatched_rows,
               count(*) FILTER (WHERE r.source_row IS NOT NULL AND o.v IS DISTINCT FROM r.primaryValue) AS altered_rows
        FROM _outputs o LEFT JOIN {raw_ids} r USING (source_file, source_row)
        GROUP BY ALL
        UNION ALL
        SELECT 'missing', 'none', count(*), coalesce(sum(primaryValue), 0), coalesce(sum(primaryValue), 0), 0, 0
        FROM {raw_ids} r ANTI JOIN _outputs o USING (source_file, source_row)
    """).df()
    report = _ordered(report)
    raw_rows, raw_distinct = con.execute(f"SELECT count(*), count(DISTINCT (source_file, source_row)) FROM {raw}").fetchone()
    out_rows, out_distinct = con.execute("SELECT count(*), count(DISTINCT (source_file, source_row)) FROM _outputs").fetchone()
    counts = {
        "raw_rows": int(raw_rows),
        "raw_duplicate_provenance": int(raw_rows - raw_distinct),
        "rows_in_several_outputs": int(out_rows - out_distinct),
    }
    return report, counts


def conservation_violations_from(report: pd.DataFrame, counts: dict[str, int]) -> list[str]:
    """Readable violations of "every raw row is in exactly one of clean, totals, rejects, with its value";
    an empty list means the stage conserved rows and value."""
    problems = []
    if counts.get("raw_duplicate_provenance"):
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
        if record.altered_rows:
            problems.append(f"{record.reason}: {record.altered_rows} rows carry a value other than their raw row's primaryValue")
        if not math.isclose(record.value_usd, record.raw_value_usd, rel_tol=_REL_TOL, abs_tol=1e-6):
            problems.append(
                f"{record.reason}: value {record.value_usd!r} USD differs from its raw rows' primaryValue {record.raw_value_usd!r} USD"
            )
    return problems
