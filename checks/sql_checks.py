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


def sql_check(function: Callable, name: str, sql: str, **kwargs: object) -> pa.Check:
    """A pandera check (`function`, vectorised) with its SQL twin `sql` (TRUE where the check passes)."""
    check = pa.Check(function, name=name, **kwargs)
    setattr(check, SQL_TWIN_ATTRIBUTE, sql)
    return check
