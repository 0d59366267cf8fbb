"""pandera schemas evaluated as SQL over a Parquet file: the contract of the big yearly tables.

A Comtrade year is 10–15 M rows; pandera's pandas backend would need the whole year in memory. The pandera
models in `checks/` stay the single contract: this module reads each model (column dtypes, nullability, the
built-in checks by their name and statistics, uniqueness, strict/ordered columns) and evaluates it in DuckDB
over the file. A custom check takes part only if it carries its SQL twin (`checks.sql_checks.sql_check`); a
model with a check that has neither a translation nor a twin is refused, so the two backends cannot drift
apart silently (tests run both on the same small frames). A twin may need other rows: window columns (the
previous row) or, for checks of groups (a sum per reconciliation group), one GROUP BY whose failing groups are
counted and shown by their keys and first row.

The result is a failure-case frame shaped like pandera's (`column`, `check`, `failure_case`, `index` = the
0-based row number in the file), so the same bridge shows it in the UI.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow
import pyarrow.parquet as pq

from assets.duckdb_session import sql_string
from checks.sql_checks import SQL_GROUPS_ATTRIBUTE, SQL_TWIN_ATTRIBUTE, SQL_WINDOWS_ATTRIBUTE

MAX_CASES_PER_CHECK = 20
FAILURE_COLUMNS = ["column", "check", "failure_case", "index", "failures"]

# pandas dtype of the contract → the Arrow types a Parquet column may have for it.
_ARROW_TYPES: dict[str, tuple[pa_arrow.DataType, ...]] = {
    "str": (pa_arrow.string(), pa_arrow.large_string()),
    "Int64": (pa_arrow.int64(),),
    "boolean": (pa_arrow.bool_(),),
    "bool": (pa_arrow.bool_(),),
    "float64": (pa_arrow.float64(),),
}


class UntranslatableCheck(TypeError):
    """A pandera check this module cannot evaluate in SQL (and which has no SQL twin)."""


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: object) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    return sql_string(str(value))


def check_predicate(check: pa.Check, column: str | None) -> str:
    """A SQL boolean that is TRUE where `check` passes (column checks refer to `column`)."""
    twin = getattr(check, SQL_TWIN_ATTRIBUTE, None)
    if twin is not None:
        return twin.replace("{col}", _quoted(column)) if column is not None else twin
    if column is None:
        raise UntranslatableCheck(f"frame-level check {check.name!r} has no SQL twin; define it with checks.sql_checks.sql_check")
    col, stats = _quoted(column), check.statistics
    match check.name:
        case "greater_than_or_equal_to":
            return f"{col} >= {_literal(stats['min_value'])}"
        case "greater_than":
            return f"{col} > {_literal(stats['min_value'])}"
        case "less_than_or_equal_to":
            return f"{col} <= {_literal(stats['max_value'])}"
        case "less_than":
            return f"{col} < {_literal(stats['max_value'])}"
        case "equal_to":
            return f"{col} = {_literal(stats['value'])}"
        case "not_equal_to":
            return f"{col} <> {_literal(stats['value'])}"
        case "in_range":
            low = ">=" if stats.get("include_min", True) else ">"
            high = "<=" if stats.get("include_max", True) else "<"
            return f"({col} {low} {_literal(stats['min_value'])} AND {col} {high} {_literal(stats['max_value'])})"
        case "isin":
            return f"{col} IN ({', '.join(_literal(v) for v in stats['allowed_values'])})"
        case "notin":
            return f"{col} NOT IN ({', '.join(_literal(v) for v in stats['forbidden_values'])})"
        case "str_matches":
            return f"regexp_matches({col}, {sql_string('^(?:' + stats['pattern'] + ')')})"
        case "str_length":
            parts = []
            if stats.get("exact_value") is not None:
                parts.append(f"length({col}) = {int(stats['exact_value'])}")
            if stats.get("min_value") is not None:
                parts.append(f"length({col}) >= {int(stats['min_value'])}")
            if stats.get("max_value") is not None:
                parts.append(f"length({col}) <= {int(stats['max_value'])}")
            return " AND ".join(parts) or "TRUE"
    raise UntranslatableCheck(f"check {check.name!r} on column {column!r} has no SQL translation; give it a SQL twin")


def assert_translatable(schema: pa.DataFrameSchema) -> None:
    """Raise UntranslatableCheck unless every check of `schema` can run as SQL (called when assets are defined)."""
    for name, column in schema.columns.items():
        for check in column.checks:
            check_predicate(check, str(name))
    for check in schema.checks:
        check_predicate(check, None)


def _window_columns(schema: pa.DataFrameSchema) -> dict[str, str]:
    """The window columns (name → SQL) the schema's SQL twins need; one name must mean one expression."""
    found: dict[str, str] = {}
    checks = [*schema.checks, *(c for column in schema.columns.values() for c in column.checks)]
    for check in checks:
        for name, expression in (getattr(check, SQL_WINDOWS_ATTRIBUTE, None) or {}).items():
            if found.setdefault(name, expression) != expression:
                raise UntranslatableCheck(f"window column {name!r} is defined twice with different SQL (check {check.name!r})")
    return found


def _dtype_failures(schema: pa.DataFrameSchema, arrow_schema: pa_arrow.Schema) -> list[dict]:
    failures = []
    names = list(arrow_schema.names)
    expected = [str(name) for name in schema.columns]
    if schema.strict:
        for extra in (n for n in names if n not in expected):
            failures.append({"column": extra, "check": "column_in_schema", "failure_case": extra, "index": None, "failures": 1})
    for name, column in schema.columns.items():
        if str(name) not in names:
            failures.append({"column": str(name), "check": "column_in_dataframe", "failure_case": str(name), "index": None, "failures": 1})
            continue
        allowed = _ARROW_TYPES.get(str(column.dtype))
        actual = arrow_schema.field(str(name)).type
        if allowed is not None and actual not in allowed:
            failures.append({
                "column": str(name), "check": f"dtype('{column.dtype}')", "failure_case": str(actual), "index": None, "failures": 1,
            })
    if schema.ordered and not failures:
        present = [n for n in names if n in expected]
        if present != expected:
            failures.append({"column": None, "check": "column_ordered", "failure_case": ", ".join(present[:20]), "index": None, "failures": 1})
    return failures


def _cases(con: duckdb.DuckDBPyConnection, source: str, failing: str, shown: str, column: str | None, check: str, count: int) -> list[dict]:
    rows = con.execute(f"SELECT {shown}, _row FROM {source} WHERE {failing} ORDER BY _row LIMIT {MAX_CASES_PER_CHECK}").fetchall()
    return [{"column": column, "check": check, "failure_case": value, "index": row, "failures": count} for value, row in rows]


def _row_checks(schema: pa.DataFrameSchema) -> list[tuple[str | None, str, str, str, tuple[str, ...]]]:
    """(column, check name, SQL that is TRUE on a failing row, SQL of the value shown, window columns it needs)
    for every row-level check."""
    found = []
    for name, column in schema.columns.items():
        col = _quoted(str(name))
        shown = f"CAST({col} AS VARCHAR)"
        if not column.nullable:
            found.append((str(name), "not_nullable", f"{col} IS NULL", shown, ()))
        for check in column.checks:
            found.append((str(name), str(check.name), f"{col} IS NOT NULL AND NOT coalesce(({check_predicate(check, str(name))}), FALSE)",
                          shown, _windows_of(check)))
    frame_shown = "concat_ws(', ', " + ", ".join(f"CAST({_quoted(str(n))} AS VARCHAR)" for n in list(schema.columns)[:8]) + ")"
    for check in schema.checks:
        if getattr(check, SQL_GROUPS_ATTRIBUTE, None) is None:
            found.append((None, str(check.name), f"NOT coalesce(({check_predicate(check, None)}), FALSE)", frame_shown, _windows_of(check)))
    return found


def _group_checks(schema: pa.DataFrameSchema) -> dict[tuple[str, ...], list[tuple[str, str, dict[str, str]]]]:
    """Group keys → [(check name, SQL that is TRUE on a failing group, the aggregates it needs)]."""
    found: dict[tuple[str, ...], list[tuple[str, str, dict[str, str]]]] = {}
    for check in schema.checks:
        spec = getattr(check, SQL_GROUPS_ATTRIBUTE, None)
        if spec is not None:
            keys, aggregates = spec
            found.setdefault(keys, []).append((str(check.name), f"NOT coalesce(({check_predicate(check, None)}), FALSE)", aggregates))
    return found


def _group_failures(con: duckdb.DuckDBPyConnection, base: str, keys: tuple[str, ...], checks: list[tuple[str, str, dict[str, str]]]) -> list[dict]:
    """The failing groups of each group check over `keys`, counted over one GROUP BY of the file."""
    aggregates: dict[str, str] = {}
    for name, _, needed in checks:
        for alias, sql in needed.items():
            if aggregates.setdefault(alias, sql) != sql:
                raise UntranslatableCheck(f"aggregate {alias!r} is defined twice with different SQL (check {name!r})")
    columns = ", ".join(_quoted(k) for k in keys)
    grouped = (f"(SELECT {columns}, {', '.join(f'{sql} AS {_quoted(alias)}' for alias, sql in aggregates.items())}, "
               f"min(_row) AS _row FROM {base} GROUP BY {columns})")
    counts = con.execute("SELECT " + ", ".join(f"count(*) FILTER (WHERE {failing})" for _, failing, _ in checks) + f" FROM {grouped}").fetchone()
    shown = "concat_ws(' | ', " + ", ".join(f"coalesce(CAST({_quoted(k)} AS VARCHAR), '<null>')" for k in keys) + ")"
    failures = []
    for (name, failing, _), count in zip(checks, counts):
        if count:
            failures += _cases(con, grouped, failing, shown, ", ".join(keys), name, int(count))
    return failures


def _windows_of(check: pa.Check) -> tuple[str, ...]:
    return tuple(sorted(getattr(check, SQL_WINDOWS_ATTRIBUTE, None) or {}))


def validate_parquet(con: duckdb.DuckDBPyConnection, schema: pa.DataFrameSchema, path: Path) -> pd.DataFrame:
    """Every failure of `schema` on the Parquet file at `path` (empty frame = valid), at most
    MAX_CASES_PER_CHECK cases per check, each with the total number of failing rows in `failures`.

    The checks that need no other row are counted in one scan of the file; the checks that need window
    columns (group sums, the previous row) are counted per set of windows, each over a scan that computes only
    those windows — so a window's sort carries the few columns it needs, not the whole row (on a 10 M-row year,
    one windowed scan of every column cost more than the stage that wrote the file). Only failing checks are
    read again for cases."""
    failures = _dtype_failures(schema, pq.read_schema(path))
    if failures:  # values cannot be judged when the columns are not the contract's
        return pd.DataFrame(failures, columns=FAILURE_COLUMNS)
    base = f"(SELECT *, file_row_number AS _row FROM read_parquet({sql_string(path)}, file_row_number = true))"
    windows = _window_columns(schema)
    checks = _row_checks(schema)
    by_windows: dict[tuple[str, ...], list[int]] = {}
    for position, check in enumerate(checks):
        by_windows.setdefault(check[4], []).append(position)
    counted: dict[int, tuple[str, int]] = {}  # check position → (the source it was counted over, failing rows)
    for names, positions in by_windows.items():
        source = base if not names else f"(SELECT *, {', '.join(f'{windows[n]} AS {_quoted(n)}' for n in names)} FROM {base})"
        counts = con.execute(
            "SELECT " + ", ".join(f"count(*) FILTER (WHERE {checks[p][2]})" for p in positions) + f" FROM {source}"
        ).fetchone()
        counted.update({p: (source, int(n)) for p, n in zip(positions, counts)})
    for position, (column, check, failing, shown, _) in enumerate(checks):  # in the schema's order
        source, count = counted[position]
        if count:
            failures += _cases(con, source, failing, shown, column, check, count)
    for keys, group_checks in _group_checks(schema).items():
        failures += _group_failures(con, base, keys, group_checks)
    for name, column in schema.columns.items():
        if column.unique:
            failures += _duplicates(con, base, [str(name)])
    if schema.unique:
        failures += _duplicates(con, base, [str(c) for c in schema.unique])
    return pd.DataFrame(failures, columns=FAILURE_COLUMNS)


def _duplicates(con: duckdb.DuckDBPyConnection, source: str, columns: list[str]) -> list[dict]:
    keys = ", ".join(_quoted(c) for c in columns)
    # Distinct 64-bit hashes first: equal keys have equal hashes, so no repeat can hide, and counting distinct
    # integers is much cheaper than grouping a 10 M-row year on its text columns. Only when some hash repeats
    # (a real duplicate, or a collision the exact grouping then clears) are the groups built.
    if not con.execute(f"SELECT count(*) - count(DISTINCT hash({keys})) FROM {source}").fetchone()[0]:
        return []
    shown = "concat_ws(' | ', " + ", ".join(f"coalesce(CAST({_quoted(c)} AS VARCHAR), '<null>')" for c in columns) + ")"
    groups = f"(SELECT {keys}, count(*) AS n, min(_row) AS _row FROM {source} GROUP BY ALL HAVING count(*) > 1)"
    count = con.execute(f"SELECT count(*) FROM {groups}").fetchone()[0]
    if not count:
        return []
    rows = con.execute(f"SELECT {shown}, _row FROM {groups} ORDER BY _row LIMIT {MAX_CASES_PER_CHECK}").fetchall()
    check = f"unique on {', '.join(columns)}"
    return [{"column": ", ".join(columns), "check": check, "failure_case": value, "index": row, "failures": int(count)} for value, row in rows]
