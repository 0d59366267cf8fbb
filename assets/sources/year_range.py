"""Which years a row may claim: the plausible range of trade data years, and the reason code of rows outside it.

Belongs here: the bounds (first and last plausible year) and the reason code, used by the manifest (a year
outside the range never creates a partition), the raw assets (which run quarantines such rows) and the
cleaning rule that rejects them. Does not belong here: the configured partition range (RVC_START_YEAR,
RVC_END_YEAR: `pipelines.partitions`).

Bounds: UN Comtrade's annual series start in 1962 (the first year the database holds), and no office
publishes trade of a year that has not begun; the last plausible year is next year, one year of margin
so that a machine clock a little behind, or a data year labelled ahead of the calendar, is not refused.
A row outside 1962..next year is a typo, a placeholder (2099, 9999) or a shifted column, never trade.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

FIRST_PLAUSIBLE_YEAR = 1962
# Reason code of a Comtrade row whose refYear lies outside FIRST_PLAUSIBLE_YEAR..last_plausible_year()
# (docs/reject_reasons.md).
YEAR_IMPLAUSIBLE = "year_implausible"


def last_plausible_year(today: date | None = None) -> int:
    """Next year (of `today`, default the UTC date now)."""
    return (today or datetime.now(UTC).date()).year + 1


def is_plausible_year(year: int, today: date | None = None) -> bool:
    return FIRST_PLAUSIBLE_YEAR <= int(year) <= last_plausible_year(today)


def implausible_year_sql(column: str, today: date | None = None) -> str:
    """SQL: TRUE where the integer `column` lies outside the plausible range (FALSE for NULL)."""
    return f"coalesce({column} NOT BETWEEN {FIRST_PLAUSIBLE_YEAR} AND {last_plausible_year(today)}, FALSE)"
