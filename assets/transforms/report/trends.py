"""A yearly series described in words: its path through peaks and troughs (turning points), not only its
endpoints, and a caveat when coverage is thin.

Method (docs/methods.md, "Report findings"): turning points are dated with an amplitude filter in the
tradition of Bry and Boschan (1971): a peak is a year whose value is followed by a fall of at least the
threshold before any higher value, a trough the mirror image. The threshold is the larger of 15 % of the
series' range and 3 % of its largest absolute value, so year-to-year noise is not called a turn and a
flat series has none. No minimum phase length is imposed (the panels are short).
Thin coverage: fewer than MIN_YEARS years with a value, or values in under COVERAGE_SHARE of the years of
the series' span (gaps inside it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

RANGE_SHARE = 0.15
LEVEL_SHARE = 0.03
MIN_YEARS = 5
COVERAGE_SHARE = 0.8
MAX_NAMED_TURNS = 5  # more turning points than this: the sentence gives their number and the extremes


@dataclass(frozen=True)
class TurningPoint:
    year: int
    value: float
    kind: str  # "peak" or "trough"


def turning_points(data: pd.Series) -> list[TurningPoint]:
    """Peaks and troughs of a year-indexed series (NaN dropped), in time order; endpoints are never turns."""
    data = data.dropna().sort_index()
    values, years = data.to_numpy(dtype="float64"), [int(y) for y in data.index]
    if len(values) < 3:
        return []
    threshold = max(RANGE_SHARE * (values.max() - values.min()), LEVEL_SHARE * abs(values).max())
    if threshold == 0:
        return []
    points: list[TurningPoint] = []
    trend, extreme = None, 0
    for i in range(1, len(values)):
        if trend is None:
            if values[i] - values[0] >= threshold:
                trend, extreme = "up", i
            elif values[0] - values[i] >= threshold:
                trend, extreme = "down", i
            continue
        if trend == "up":
            if values[i] >= values[extreme]:
                extreme = i
            elif values[extreme] - values[i] >= threshold:
                points.append(TurningPoint(years[extreme], float(values[extreme]), "peak"))
                trend, extreme = "down", i
        else:
            if values[i] <= values[extreme]:
                extreme = i
            elif values[i] - values[extreme] >= threshold:
                points.append(TurningPoint(years[extreme], float(values[extreme]), "trough"))
                trend, extreme = "up", i
    return points


def coverage_caveat(data: pd.Series) -> str:
    """"" when coverage is adequate, else a caveat naming how many years of the span have a value."""
    data = data.dropna()
    if data.empty:
        return ""
    first, last = int(data.index.min()), int(data.index.max())
    span = last - first + 1
    if len(data) >= MIN_YEARS and len(data) >= COVERAGE_SHARE * span:
        return ""
    return f"Caveat: thin coverage, values for {len(data)} of the {span} years {first}–{last}."


def _verb(start: float, end: float) -> str:
    return "rose" if end > start else "fell" if end < start else "was unchanged"


def describe(subject: str, data: pd.Series, fmt: Callable[[float], str], source: str, missing: str = "no data") -> str:
    """One sentence: endpoints, every turning point on the way (or the extremes when there are many), the
    indicator and unit in brackets, and the coverage caveat.

    E.g. "Japan's parts exports to ASEAN-10 rose from US$ 1.20 bn in 2000 to a peak of US$ 3.40 bn in 2013,
    then fell to US$ 2.10 bn in 2023 [exports_usd, reconciled; US$ bn]."
    """
    data = data.dropna().sort_index()
    subject = subject[:1].upper() + subject[1:]  # "the Philippines'" opens a sentence
    if data.empty:
        return f"{subject}: {missing} [{source}]."
    caveat = coverage_caveat(data)
    tail = f" [{source}]." + (f" {caveat}" if caveat else "")
    first_year, last_year = int(data.index[0]), int(data.index[-1])
    first, last = float(data.iloc[0]), float(data.iloc[-1])
    if len(data) == 1:
        return f"{subject} was {fmt(first)} in {first_year}, the only year with a value" + tail
    if data.nunique() == 1:
        return f"{subject} stayed at {fmt(first)} from {first_year} to {last_year}" + tail
    points = turning_points(data)
    # The highest and lowest values are said even when the filter does not call them turns (a late peak
    # that the last years have not confirmed, or a small one).
    named = {first_year, last_year} | {p.year for p in points}
    extremes = [f"{label} {fmt(float(data[year]))} in {year}" for label, year in
                [("highest", int(data.idxmax())), ("lowest", int(data.idxmin()))] if year not in named]
    tail = (f" ({', '.join(extremes)})" if extremes else "") + tail
    if not points:
        return f"{subject} {_verb(first, last)} from {fmt(first)} in {first_year} to {fmt(last)} in {last_year}" + tail
    if len(points) > MAX_NAMED_TURNS:
        high = max(points, key=lambda p: p.value)
        low = min(points, key=lambda p: p.value)
        return (f"{subject} went from {fmt(first)} in {first_year} to {fmt(last)} in {last_year} through "
                f"{len(points)} turning points, the highest peak {fmt(high.value)} in {high.year} and the lowest trough "
                f"{fmt(low.value)} in {low.year}" + tail)
    parts = [f"{subject} {_verb(first, points[0].value)} from {fmt(first)} in {first_year} to "
             f"{'a peak' if points[0].kind == 'peak' else 'a low'} of {fmt(points[0].value)} in {points[0].year}"]
    for before, point in zip(points, points[1:]):
        parts.append(f"{_verb(before.value, point.value)} to {'a peak' if point.kind == 'peak' else 'a low'} of "
                     f"{fmt(point.value)} in {point.year}")
    parts.append(f"then {_verb(points[-1].value, last)} to {fmt(last)} in {last_year}")
    return ", ".join(parts) + tail
