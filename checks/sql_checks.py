"""Custom pandera checks that also run as SQL: one definition, two backends.

A check built with `sql_check` is an ordinary pandera check (the pandas function validates frames) that also
carries the SQL boolean expression `pipelines.table_validation` evaluates over a Parquet file. Column checks
write `{col}` where the column goes; frame-level checks name columns directly. Tests run both backends on
the same frames, so the twins cannot disagree unnoticed.
"""

from __future__ import annotations

from collections.abc import Callable

import pandera.pandas as pa

SQL_TWIN_ATTRIBUTE = "rvc_sql"
SQL_WINDOWS_ATTRIBUTE = "rvc_sql_windows"
SQL_GROUPS_ATTRIBUTE = "rvc_sql_groups"


def sql_check(
    function: Callable, name: str, sql: str, *, windows: dict[str, str] | None = None,
    group_by: tuple[str, ...] | None = None, aggregates: dict[str, str] | None = None, **kwargs: object,
) -> pa.Check:
    """A pandera check (`function`, vectorised) with its SQL twin `sql` (TRUE where the check passes).

    `windows`: columns the twin needs that depend on other rows (group sums, the previous row), as
    name → SQL window expression over the table's columns and `_row` (the row number in the file); the
    validator adds them to the rows before evaluating `sql`. Names start with "__" and are shared by
    all checks of a schema, so two checks may use the same one (same name, same expression).

    `group_by` + `aggregates`: a check of groups rather than rows — `sql` is evaluated once per group of the
    `group_by` columns, over the aggregates (name → SQL aggregate over the group's rows; names start with
    "__"). The pandas function still marks rows (every row of a failing group); the SQL twin counts failing
    groups and shows each by its keys and first row. A GROUP BY is a hash aggregate: much cheaper on a big
    file than the same sums as `windows` (a window sorts every row it returns)."""
    if (group_by is None) != (aggregates is None) or (windows and group_by):
        raise TypeError(f"check {name!r}: give group_by and aggregates together, and not with windows")
    check = pa.Check(function, name=name, **kwargs)
    setattr(check, SQL_TWIN_ATTRIBUTE, sql)
    if windows:
        setattr(check, SQL_WINDOWS_ATTRIBUTE, dict(windows))
    if group_by:
        setattr(check, SQL_GROUPS_ATTRIBUTE, (tuple(group_by), dict(aggregates)))
    return check
