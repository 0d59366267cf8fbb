"""The bench's measurement of one stage process: exit status, wall and CPU time, the kill above a memory cap."""

from __future__ import annotations

import sys
from pathlib import Path

from benchmarks.bench import Measurement, report_table, run_measured

BUSY = "import time\nend = time.process_time() + 0.4\nwhile time.process_time() < end: pass"


def test_a_busy_process_is_measured_with_its_cpu_time(tmp_path: Path) -> None:
    m = run_measured(Measurement("busy", "plain", [sys.executable, "-c", BUSY]), {}, tmp_path, max_rss_gib=16)
    assert m.ok
    assert m.cpu_seconds is not None and m.cpu_seconds >= 0.4  # it spun for 0.4 s of CPU
    assert m.seconds >= m.cpu_seconds * 0.5  # a single thread cannot use much more CPU than wall time


def test_a_failing_process_keeps_its_exit_status_and_stderr(tmp_path: Path) -> None:
    command = [sys.executable, "-c", "import sys; sys.stderr.write('bad input\\n'); sys.exit(3)"]
    m = run_measured(Measurement("fails", "plain", command), {}, tmp_path, max_rss_gib=16)
    assert m.exit_status == 3 and not m.ok
    assert "bad input" in m.stderr_tail


def test_a_process_above_the_memory_cap_is_killed(tmp_path: Path) -> None:
    command = [sys.executable, "-c", "import time\nblock = bytearray(300 * 2**20)\ntime.sleep(30)"]
    m = run_measured(Measurement("big", "plain", command), {}, tmp_path, max_rss_gib=0.1)
    assert m.killed_over_gib is not None and m.killed_over_gib > 0.1
    assert not m.ok and m.seconds < 25


def test_the_report_gives_cpu_ratios() -> None:
    pipeline = Measurement("trade_flows", "pipeline", [], seconds=30.0, cpu_seconds=45.0, peak_rss_bytes=2**31, exit_status=0)
    plain = Measurement("trade_flows", "plain", [], seconds=20.0, cpu_seconds=30.0, peak_rss_bytes=2**30, exit_status=0)
    row = report_table(["trade_flows"], [pipeline, plain]).splitlines()[-1]
    assert row == "| trade_flows | 30.0 | 20.0 | 1.5× | 45.0 | 30.0 | 1.5× | 2.00 | 1.00 | 2.0× |"
