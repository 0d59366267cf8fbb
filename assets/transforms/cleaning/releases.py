"""Which raw rows speak for a reporter's trade: one classification, one release, one row per fact (SQL).

What belongs here: the release order, the scope within which releases and classifications compete, and the
four group rules (in `REJECT_REASONS` order) that run on the rows that passed every row rule:

1. `converted_classification` — within a scope, one HS classification is kept: the one the reporter reported
   (`isOriginalClassification` true, where the layout carries it), else the classification of the latest
   release holding the scope (of two in that release, the newer vintage). The same trade published in H4
   (as reported) and H5 (converted by UNSD) would otherwise be counted twice after conversion to HS1992.
2. `superseded_release` — within the scope and the kept classification, the latest release is kept whole:
   a line an older release has and the newer one dropped is not revived (THA→JPN 8708: old 870899 = 100 and
   870829 = 50, new 870899 = 150 → 150, not 200).
3. `exact_duplicate` — within the kept release, rows with the same fact key and the same value of every
   source field (provenance excluded): the latest copy is kept.
4. `conflicting_duplicate_superseded` — within the kept release, rows sharing a fact key with different
   fields: the later row of the file is kept (appended rows are later revisions).

Scope = (year, reporter, flow, partner, HS heading), where the heading is the 4-digit heading of a 4- or
6-digit code, the chapter of a 2-digit row, or TOTAL. A release is judged per heading because extracts are
often queries for a few headings (an API call for 8703, another for 8708): a file that holds only 8703 says
nothing about 8708. Release order: `retrieved_at` (ISO-8601 UTC; a row with one is later than a row
without), then the `source_file` name that sorts later (files are named by what and when they were fetched).
Method: docs/methods.md ("One release and one classification per reporter, year and flow").

Only scopes where something competes (two files, two classifications or a repeated code) go through the
window functions: in a real year that is a small share of 10–15 M rows.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from assets.errors import RvcInputError
from assets.transforms.cleaning.row_rules import REASON_NUMBER, shown

SCOPE_COLUMNS = ("refYear", "reporterCode", "flowCode", "partnerCode", "heading")
HEADING_SQL = "(CASE WHEN cmdCode = 'TOTAL' THEN 'TOTAL' WHEN length(cmdCode) = 2 THEN cmdCode ELSE left(cmdCode, 4) END)"


def register_releases(con: duckdb.DuckDBPyConnection, raw: str) -> None:
    """Temp table `releases` (source_file, retrieved_at, retrieved_us, release_rank): every release in `raw`,
    its retrieval time in microseconds (NULL when unknown) and its rank, 1 = latest.

    Raises RvcInputError naming file and row when a retrieved_at is not an ISO-8601 timestamp.
    """
    pairs = con.execute(f"SELECT DISTINCT source_file, retrieved_at FROM {raw}").fetchall()
    frame = pd.DataFrame(pairs, columns=["source_file", "retrieved_at"], dtype="str")
    stamps = pd.to_datetime(frame["retrieved_at"], utc=True, format="ISO8601", errors="coerce")
    bad = frame["retrieved_at"].notna() & stamps.isna()
    if bad.any():
        text = frame.loc[bad, "retrieved_at"].iloc[0]
        file, row = con.execute(
            f"SELECT source_file, source_row FROM {raw} WHERE retrieved_at = ? ORDER BY _pos LIMIT 1", [text]
        ).fetchone()
        raise RvcInputError(
            f"{file} row {row}: retrieved_at {text!r} is not an ISO-8601 timestamp; the reader must write "
            "e.g. '2026-02-20T10:00:00Z' or null"
        )
    micros = stamps.dt.tz_convert(None).astype("datetime64[us]").astype("int64").where(stamps.notna())
    frame["retrieved_us"] = pd.array(micros, dtype="Int64")
    # Latest first: a known retrieval time beats none, then the later time, then the later file name.
    # Each (retrieved_at, source_file) pair is one release, so the rank is the position in that order.
    order = frame.assign(known=frame["retrieved_us"].notna(), time=frame["retrieved_us"].fillna(-1))
    order = order.sort_values(["known", "time", "source_file"], ascending=False, kind="stable")
    order["release_rank"] = range(1, len(order) + 1)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE releases (source_file VARCHAR, retrieved_at VARCHAR, retrieved_us BIGINT, release_rank BIGINT)"
    )
    records = [
        (f, None if pd.isna(r) else r, None if pd.isna(u) else int(u), int(k))
        for f, r, u, k in zip(order["source_file"], order["retrieved_at"], order["retrieved_us"], order["release_rank"])
    ]
    if records:
        con.executemany("INSERT INTO releases VALUES (?, ?, ?, ?)", records)


def _scope_text(prefix: str = "") -> str:
    return (
        f"'reporter ' || {prefix}reporterCode || ', year ' || CAST({prefix}refYear AS VARCHAR) || ', flow ' || {prefix}flowCode"
        f" || ', partner ' || {prefix}partnerCode || ', HS heading ' || {prefix}heading"
    )


def register_group_losers(con: duckdb.DuckDBPyConnection, judged: str, source_columns: list[str]) -> None:
    """Temp table `group_losers` (_pos, reason INTEGER, message VARCHAR): the rows of `judged` that pass
    every row rule (row_reason = 0) but lose one of the four group rules of this module.

    `judged` has the raw columns, `_pos`, `classification` and `row_reason`; `source_columns` are the raw
    columns compared for exact duplicates (every raw column but provenance).
    """
    scope = ", ".join(SCOPE_COLUMNS)
    row_hash = "hash(" + ", ".join(f'v."{c}"' for c in source_columns) + ")"
    con.execute(f"""
CREATE OR REPLACE TEMP TABLE group_losers AS
WITH valid AS (
    SELECT j._pos, j.refYear, j.reporterCode, j.flowCode, j.partnerCode, j.cmdCode, j.classification,
           coalesce(j.isOriginalClassification, FALSE) AS is_original, j.source_file, j.source_row,
           j.retrieved_at, r.retrieved_us, j.primaryValue, {HEADING_SQL} AS heading,
           hash(j.refYear, j.reporterCode, j.flowCode, j.partnerCode, {HEADING_SQL}) AS scope_key,
           hash(j.source_file, r.retrieved_us) AS release_key
    FROM {judged} j JOIN releases r ON j.source_file = r.source_file AND j.retrieved_at IS NOT DISTINCT FROM r.retrieved_at
    WHERE j.row_reason = 0
),
-- Scopes where something competes: two releases or two classifications, or a code repeated in one file.
-- Grouped on 64-bit hashes (much cheaper than five text columns); a collision only sends an uncontested scope
-- through the windows below, which partition on the real columns, so it cannot change a result.
contested AS (
    SELECT scope_key FROM valid GROUP BY scope_key
    HAVING min(release_key) <> max(release_key) OR min(hash(classification)) <> max(hash(classification))
    UNION
    SELECT any_value(scope_key) FROM valid GROUP BY hash(scope_key, classification, release_key, cmdCode) HAVING count(*) > 1
),
competing AS (SELECT * EXCLUDE (scope_key, release_key) FROM valid SEMI JOIN contested USING (scope_key)),
by_classification AS (
    SELECT *,
        first_value(classification) OVER w AS kept_classification,
        first_value(source_file) OVER w AS classification_file,
        first_value(is_original) OVER w AS kept_by_flag
    FROM competing
    WINDOW w AS (PARTITION BY {scope} ORDER BY is_original DESC, retrieved_us DESC NULLS LAST, source_file DESC, classification DESC)
),
by_release AS (
    SELECT *,
        first_value(source_file) OVER w AS kept_file,
        first_value(retrieved_at) OVER w AS kept_retrieved_at,
        first_value(retrieved_us) OVER w AS kept_retrieved_us
    FROM by_classification WHERE classification = kept_classification
    WINDOW w AS (PARTITION BY {scope} ORDER BY retrieved_us DESC NULLS LAST, source_file DESC)
),
in_kept_release AS (
    SELECT v.*, {row_hash} AS source_hash
    FROM by_release b JOIN {judged} v USING (_pos)
    WHERE b.source_file = b.kept_file AND b.retrieved_us IS NOT DISTINCT FROM b.kept_retrieved_us
),
copies AS (
    SELECT _pos, source_file, source_row, primaryValue, refYear, reporterCode, flowCode, partnerCode, classification, cmdCode,
        first_value(source_row) OVER (PARTITION BY refYear, reporterCode, flowCode, partnerCode, classification, cmdCode, source_hash
                                      ORDER BY source_row DESC) AS copy_kept_row
    FROM in_kept_release
),
conflicts AS (
    SELECT *,
        first_value(source_row) OVER w AS key_kept_row,
        first_value(primaryValue) OVER w AS key_kept_value
    FROM copies WHERE source_row = copy_kept_row
    WINDOW w AS (PARTITION BY refYear, reporterCode, flowCode, partnerCode, classification, cmdCode ORDER BY source_row DESC)
),
copy_fate AS (
    SELECT c._pos, c.source_file, c.copy_kept_row, k.key_kept_row
    FROM copies c JOIN conflicts k
      ON k.source_row = c.copy_kept_row AND k.source_file = c.source_file AND k.refYear = c.refYear
     AND k.reporterCode = c.reporterCode AND k.flowCode = c.flowCode AND k.partnerCode = c.partnerCode
     AND k.classification = c.classification AND k.cmdCode = c.cmdCode
    WHERE c.source_row <> c.copy_kept_row
)
SELECT _pos, {REASON_NUMBER['converted_classification']} AS reason,
    'classification ' || classification || ' is not the one kept for ' || {_scope_text()} || ': ' || kept_classification
    || ' is kept from ' || {shown('classification_file')}
    || CASE WHEN kept_by_flag THEN ' (isOriginalClassification: the classification the reporter reported)'
            ELSE ' (the classification of the latest release)' END AS message
FROM by_classification WHERE classification <> kept_classification
UNION ALL
SELECT _pos, {REASON_NUMBER['superseded_release']},
    'release ' || {shown('source_file')} || ' is superseded for ' || {_scope_text()} || ' by the later release '
    || {shown('kept_file')} || ' ('
    || CASE WHEN retrieved_us IS DISTINCT FROM kept_retrieved_us
            THEN 'retrieved_at ' || {shown('kept_retrieved_at')} || ' vs ' || {shown('retrieved_at')}
            ELSE 'its source_file name sorts later' END
    || '); primaryValue here ' || coalesce(CAST(primaryValue AS VARCHAR), '<empty>')
FROM by_release WHERE source_file <> kept_file OR retrieved_us IS DISTINCT FROM kept_retrieved_us
UNION ALL
SELECT _pos, {REASON_NUMBER['exact_duplicate']},
    'identical source fields to ' || {shown('source_file')} || ' row ' || CAST(copy_kept_row AS VARCHAR)
    || CASE WHEN key_kept_row = copy_kept_row THEN ', which is kept'
            ELSE ', itself superseded by ' || {shown('source_file')} || ' row ' || CAST(key_kept_row AS VARCHAR) END
FROM copy_fate
UNION ALL
SELECT _pos, {REASON_NUMBER['conflicting_duplicate_superseded']},
    'superseded by ' || {shown('source_file')} || ' row ' || CAST(key_kept_row AS VARCHAR)
    || ' (later release: a later row of the same file); primaryValue here '
    || coalesce(CAST(primaryValue AS VARCHAR), '<empty>') || ', kept ' || coalesce(CAST(key_kept_value AS VARCHAR), '<empty>')
FROM conflicts WHERE source_row <> key_kept_row
""")
