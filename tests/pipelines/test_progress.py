"""Backfill progress lines: steps, years, elapsed and remaining time (mean step time × steps still planned)."""

from __future__ import annotations

import io

from pipelines.progress import StepProgress, clock


class FakeClock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_each_step_line_says_steps_years_elapsed_and_remaining() -> None:
    out, now = io.StringIO(), FakeClock()
    progress = StepProgress(out, total=5, years=2, now=now)
    progress.start("reference tables …")
    now.t += 10
    progress.finish()
    progress.start("year 2005 (first run): cleaning …")
    now.t += 30
    progress.finish()
    progress.year_done()
    # 2 steps in 40 s: 20 s a step, 3 steps left → ~60 s.
    progress.start("year 2006 (first run): cleaning …")
    progress.skip_steps(1)  # e.g. a failed year's harmonization: 4 steps now, 2 left → ~40 s
    progress.start("HS conversion weights …")
    assert out.getvalue().splitlines() == [
        "[1/5 steps · 0/2 years · 0:00 elapsed · estimating] reference tables …",
        "[2/5 steps · 0/2 years · 0:10 elapsed · ~0:40 left] year 2005 (first run): cleaning …",
        "[3/5 steps · 1/2 years · 0:40 elapsed · ~1:00 left] year 2006 (first run): cleaning …",
        "[3/4 steps · 1/2 years · 0:40 elapsed · ~0:40 left] HS conversion weights …",
    ]


def test_clock() -> None:
    assert [clock(s) for s in (0, 59.6, 61, 3600, 3725)] == ["0:00", "1:00", "1:01", "1:00:00", "1:02:05"]
