"""Comtrade cleaning: the canonical raw table → typed, totals-only facts, totals and rejects, as DuckDB SQL.

What belongs here: the stage as one function over SQL relations (`clean_comtrade_files`, used by the asset on
a year's Parquet file) and its frame form (`clean_comtrade`, for tests and small tables), which run the same
SQL. The rules live in `assets.transforms.cleaning` (row_rules, releases, facts); conservation and
consistency checks in the same package.

Every raw row ends in exactly one of `clean` (HS6 bilateral facts), `totals` (TOTAL, 2-/4-digit aggregates
and partner World: the RCA denominators) or `rejects` (raw fields + reason + message). Rules, in the order
applied, are `REJECT_REASONS`; docs/reject_reasons.md explains each. All outputs keep the raw row order
(files by name, rows in file order), so two runs write the same bytes.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from assets.duckdb_session import copy_query_to_parquet, duckdb_session, parquet_relation
from assets.errors import RvcInputError
from assets.tables import arrow_to_pandas
from assets.transforms.cleaning.codes import register_code_tables
from assets.transforms.cleaning.conservation import conservation_report_sql, conservation_violations_from
from assets.transforms.cleaning.consistency import (
    breakdowns_exceeding_totals_sql,
    children_exceeding_parent_sql,
    implausible_values_sql,
)
from assets.transforms.cleaning.facts import FACT_COLUMNS, facts_select
from assets.transforms.cleaning.releases import register_group_losers, register_releases
from assets.transforms.cleaning.row_rules import REASON_NUMBER, REJECT_REASONS, reason_name_sql, row_message_sql, row_reason_sql
from assets.vocabulary import COMTRADE_RAW_COLUMNS, PROVENANCE_COLUMNS

STEP_COLUMNS = ["step", "rows_removed", "value_removed_usd", "rows_after"]
OUTPUTS = ("clean", "totals", "rejects")
RAW_VIEW, JUDGED_VIEW = "raw_in", "judged"

@dataclass(frozen=True)
class CleaningResult:
    """The cleaning stage's outputs as frames (small tables and tests).

    clean: HS6 bilateral facts (FACT_COLUMNS), one row per FACT_KEY.
    totals: TOTAL, 2- and 4-digit rows and partner World rows (FACT_COLUMNS), one row per FACT_KEY.
    rejects: every raw column as given + reason + message.
    steps: STEP_COLUMNS, one row per rule in the order applied.
    """

    clean: pd.DataFrame
    totals: pd.DataFrame
    rejects: pd.DataFrame
    steps: pd.DataFrame


@dataclass(frozen=True)
class CleaningFiles:
    """What `clean_comtrade_files` wrote: row counts per output and the steps table."""

    rows: dict[str, int]
    steps: pd.DataFrame


def _check_contract(con: duckdb.DuckDBPyConnection) -> None:
    columns = [row[0] for row in con.execute(f"DESCRIBE {RAW_VIEW}").fetchall()]
    missing = [c for c in COMTRADE_RAW_COLUMNS if c not in columns]
    if missing:
        raise RvcInputError(
            f"comtrade_raw: missing column(s) {', '.join(missing)}; expected the canonical comtrade_raw table "
            "(Comtrade+ field names + provenance) as written by the raw readers"
        )
    # One scan counts the problems; examples are looked up only when there is one. Repeated provenance is found
    # by distinct 64-bit hashes of (source_file, source_row), far cheaper than grouping the strings of a 15 M-row
    # year; a hash collision can only raise a false alarm, which the exact lookup then clears.
    no_year, no_provenance, repeats = con.execute(f"""
        SELECT count(*) FILTER (WHERE refYear IS NULL), count(*) FILTER (WHERE source_file IS NULL OR source_row IS NULL),
               count(*) - count(DISTINCT hash(source_file, source_row))
        FROM {RAW_VIEW}""").fetchone()
    if no_year:
        row = con.execute(f"SELECT source_file, source_row FROM {RAW_VIEW} WHERE refYear IS NULL ORDER BY _pos LIMIT 1").fetchone()
        raise RvcInputError(f"{row[0]} row {row[1]}: refYear is empty; the raw contract requires a year on every row")
    bad = None
    if no_provenance:
        bad = con.execute(f"SELECT source_file, source_row FROM {RAW_VIEW} WHERE source_file IS NULL OR source_row IS NULL LIMIT 1").fetchone()
    elif repeats:
        bad = con.execute(f"SELECT source_file, source_row FROM {RAW_VIEW} GROUP BY ALL HAVING count(*) > 1 LIMIT 1").fetchone()
    if bad:
        raise RvcInputError(
            f"comtrade_raw: (source_file, source_row) = ({bad[0]}, {bad[1]}) is empty or repeated; every raw row needs "
            "a unique file and row number so cleaning can account for it — re-read the extracts"
        )


def _prepare(con: duckdb.DuckDBPyConnection) -> None:
    """Judge every row of RAW_VIEW: code tables, releases, the `judged` view (row rules) and `group_losers`."""
    _check_contract(con)
    register_code_tables(con, RAW_VIEW)
    register_releases(con, RAW_VIEW)
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW {JUDGED_VIEW} AS
        SELECT raw.*, c.classification, c.entry_year, {row_reason_sql()} AS row_reason
        FROM {RAW_VIEW} raw LEFT JOIN classification_codes c ON raw.classificationCode = c.code""")
    source_columns = [c for c in COMTRADE_RAW_COLUMNS if c not in PROVENANCE_COLUMNS]
    register_group_losers(con, JUDGED_VIEW, source_columns)


def _output_queries(nes_partner_codes: Collection[str] | None) -> dict[str, str]:
    facts = facts_select(JUDGED_VIEW, None if nes_partner_codes is None else sorted(nes_partner_codes))
    fact_columns = ", ".join(FACT_COLUMNS)
    raw_columns = ", ".join(f'j."{c}"' for c in COMTRADE_RAW_COLUMNS)
    rejects = f"""
        SELECT {raw_columns},
            coalesce({reason_name_sql('j.row_reason')}, {reason_name_sql('g.reason')}) AS reason,
            CASE WHEN j.row_reason > 0 THEN {row_message_sql('j.row_reason')} ELSE g.message END AS message
        FROM {JUDGED_VIEW} j LEFT JOIN group_losers g ON j._pos = g._pos
        WHERE j.row_reason > 0 OR g._pos IS NOT NULL
        ORDER BY j._pos"""
    return {
        "clean": f"SELECT {fact_columns} FROM ({facts}) WHERE NOT _is_total ORDER BY _pos",
        "totals": f"SELECT {fact_columns} FROM ({facts}) WHERE _is_total ORDER BY _pos",
        "rejects": rejects,
    }


def _steps(con: duckdb.DuckDBPyConnection, rejects: str, raw_rows: int) -> pd.DataFrame:
    removed = dict(
        (reason, (rows, value))
        for reason, rows, value in con.execute(
            f"SELECT reason, count(*), coalesce(sum(primaryValue), 0) FROM {rejects} GROUP BY reason"
        ).fetchall()
    )
    rows_after, records = raw_rows, []
    for reason in REJECT_REASONS:
        rows, value = removed.get(reason, (0, 0.0))
        rows_after -= rows
        records.append((reason, rows, float(value), rows_after))
    steps = pd.DataFrame.from_records(records, columns=STEP_COLUMNS)
    return steps.astype({"step": "str", "rows_removed": "Int64", "value_removed_usd": "float64", "rows_after": "Int64"})


def clean_comtrade_files(
    con: duckdb.DuckDBPyConnection,
    raw_relation: str,
    destinations: dict[str, Path],
    nes_partner_codes: Collection[str] | None = None,
) -> CleaningFiles:
    """Clean the raw rows of `raw_relation` (a SQL relation with the comtrade_raw columns and `_pos`, the raw
    order) into Parquet files at `destinations["clean" | "totals" | "rejects"]` (written atomically).

    `nes_partner_codes`: partner codes flagged `partner_is_nes` (default: the Comtrade n.e.s. areas).
    Raises RvcInputError when the relation breaks the raw contract (missing columns, empty year, repeated or
    empty provenance, malformed retrieved_at).
    """
    con.execute(f"CREATE OR REPLACE TEMP VIEW {RAW_VIEW} AS SELECT * FROM {raw_relation}")
    _prepare(con)
    queries = _output_queries(nes_partner_codes)
    rows = {name: copy_query_to_parquet(con, queries[name], destinations[name]) for name in OUTPUTS}
    raw_rows = con.execute(f"SELECT count(*) FROM {RAW_VIEW}").fetchone()[0]
    return CleaningFiles(rows=rows, steps=_steps(con, parquet_relation(destinations["rejects"]), raw_rows))




# ---------------------------------------------------------------------------------------------- frames


def register_frame(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
    """Register a pandas frame as relation `name` with `_pos` = its row order (NaN floats become NULL)."""
    table = pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)
    table = table.append_column("_pos", pa.array(np.arange(len(frame), dtype=np.int64)))
    con.register(name, table)


def clean_comtrade(raw: pd.DataFrame, nes_partner_codes: Collection[str] | None = None, work_dir: Path | None = None) -> CleaningResult:
    """Clean one partition of the canonical `comtrade_raw` table given as a frame (same SQL as the asset).

    Output: CleaningResult (clean, totals, rejects, steps). Raises RvcInputError when the frame breaks the
    raw contract (missing columns, empty year, repeated or empty provenance, malformed retrieved_at).
    """
    import tempfile

    with tempfile.TemporaryDirectory(dir=work_dir) as folder, duckdb_session(Path(folder) / "spill") as con:
        register_frame(con, "raw_frame", raw)
        paths = {name: Path(folder) / f"{name}.parquet" for name in OUTPUTS}
        files = clean_comtrade_files(con, "raw_frame", paths, nes_partner_codes)
        tables = {name: arrow_to_pandas(pq.read_table(path)) for name, path in paths.items()}
    rejects = tables["rejects"]
    for column, dtype in COMTRADE_RAW_COLUMNS.items():  # raw columns keep the raw contract's dtypes
        rejects[column] = rejects[column].astype(dtype)
    return CleaningResult(clean=tables["clean"], totals=tables["totals"], rejects=rejects, steps=files.steps)


def _with_frames(function, *frames: pd.DataFrame):
    with duckdb_session() as con:
        names = []
        for number, frame in enumerate(frames):
            register_frame(con, f"frame_{number}", frame)
            names.append(f"frame_{number}")
        return function(con, *names)


def conservation_report(raw: pd.DataFrame, result: CleaningResult) -> pd.DataFrame:
    """Rows and value per destination (conservation.REPORT_COLUMNS); see conservation_report_sql."""
    return _with_frames(lambda con, *n: conservation_report_sql(con, *n)[0], raw, result.clean, result.totals, result.rejects)


def conservation_violations(raw: pd.DataFrame, result: CleaningResult) -> list[str]:
    """Readable violations of "every raw row is in exactly one output, with its value"; [] = conserved."""
    return _with_frames(
        lambda con, *n: conservation_violations_from(*conservation_report_sql(con, *n)), raw, result.clean, result.totals, result.rejects
    )


def breakdowns_exceeding_totals(raw: pd.DataFrame, **tolerances: float) -> pd.DataFrame:
    """consistency.breakdowns_exceeding_totals_sql on a frame."""
    return _with_frames(lambda con, name: breakdowns_exceeding_totals_sql(con, name, **tolerances), raw)


def implausible_values(clean: pd.DataFrame, totals: pd.DataFrame, **threshold: float) -> pd.DataFrame:
    """consistency.implausible_values_sql on frames."""
    return _with_frames(lambda con, *names: implausible_values_sql(con, list(names), **threshold), clean, totals)


def children_exceeding_parent(clean: pd.DataFrame, totals: pd.DataFrame, **tolerances: float) -> pd.DataFrame:
    """consistency.children_exceeding_parent_sql on frames."""
    return _with_frames(lambda con, *names: children_exceeding_parent_sql(con, list(names), **tolerances), clean, totals)


# Reason numbers are an implementation detail of the SQL; the public vocabulary is REJECT_REASONS.
assert set(REASON_NUMBER) == set(REJECT_REASONS)
