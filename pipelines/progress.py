"""Progress of a backfill: steps done of planned, years done, elapsed and remaining time.

Every step is announced on its own line with a prefix such as `[3/9 steps · 1/3 years · 0:41 elapsed ·
~1:10 left]`, so a log file or a CI console shows progress as well as a terminal. On a terminal, rich
also keeps a live bar at the bottom. The remaining time is the mean time of the steps finished so far
times the steps still planned (a cleaning and a harmonization step count alike), so it is a rough guide.
"""

from __future__ import annotations

import time
from typing import TextIO


def clock(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class StepProgress:
    def __init__(self, out: TextIO, total: int, years: int, now=time.monotonic) -> None:
        self.out = out
        self.total = max(total, 0)
        self.years = years
        self.done = 0
        self.years_done = 0
        self.now = now
        self.started = now()
        self._bar = None
        if getattr(out, "isatty", lambda: False)():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                TextColumn("{task.fields[left]}"), console=Console(file=out), transient=True,
            )
            self._task = self._bar.add_task("backfill", total=self.total, left="")
            self._bar.start()

    def remaining(self) -> float | None:
        if self.done == 0:
            return None
        return (self.now() - self.started) / self.done * max(self.total - self.done, 0)

    def prefix(self) -> str:
        left = self.remaining()
        return (f"[{self.done + 1}/{self.total} steps · {self.years_done}/{self.years} years · "
                f"{clock(self.now() - self.started)} elapsed · {'~' + clock(left) + ' left' if left is not None else 'estimating'}]")

    def _print(self, text: str) -> None:
        if self._bar is not None:
            self._bar.console.print(text, markup=False, highlight=False, soft_wrap=True)
        else:
            print(text, file=self.out, flush=True)

    def _refresh(self, description: str | None = None) -> None:
        if self._bar is not None:
            left = self.remaining()
            self._bar.update(self._task, total=self.total, completed=self.done,
                             left=f"~{clock(left)} left" if left is not None else "",
                             **({"description": description} if description else {}))

    def start(self, label: str) -> None:
        self._print(f"{self.prefix()} {label}")
        self._refresh(label.rstrip(" …"))

    def finish(self) -> None:
        self.done += 1
        self._refresh()

    def note(self, text: str) -> None:
        self._print(text)

    def skip_steps(self, count: int) -> None:
        """Planned steps that will not run (a failed year's harmonization, unchanged weights)."""
        self.total = max(self.total - count, self.done)
        self._refresh()

    def add_steps(self, count: int) -> None:
        self.total = max(self.total + count, self.done)
        self._refresh()

    def year_done(self) -> None:
        self.years_done += 1

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
