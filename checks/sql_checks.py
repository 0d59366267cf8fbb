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


def sql_check(function: Callable, name: str, sql: str, *, windows: dict[str, str] | None = None, **kwargs: object) -> pa.Check:
    """A pandera check (`function`, vectorised) with its SQL twin `sql` (TRUE where the check passes).

    `windows`: columns the twin needs that depend on other rows (group sums, the previous row), as
    name → SQL window expression over the table's columns and `_row` (the row number in the file); the
    validator adds them to the rows before evaluating `sql`. Names start with "__" and are shared by
    all checks of a schema, so two checks may use the same one (same name, same expression)."""
    check = pa.Check(function, name=name, **kwargs)
    setattr(check, SQL_TWIN_ATTRIBUTE, sql)
    if windows:
        setattr(check, SQL_WINDOWS_ATTRIBUTE, dict(windows))
    return check
