"""A backfill killed at set points recovers by itself on the next run (issue 15, crashes and concurrent runs).

Each case starts `rvc backfill` in a subprocess, waits for the step line of the set point (cleaning,
harmonization, "indicator panel and report"), kills the process group with SIGKILL a moment into that
step, then runs the same backfill again and checks the warehouse: every Parquet file reads whole, no
temporary file is left, and the panel holds exactly the rows of the stored trade_indicators partitions.

One sample year keeps each run short; the cases share one warehouse, in order, so each starts from the
state the previous one left.
"""

from __future__ import annotations

import gzip
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]  # tests must not import conftest: there are several
SAMPLE = REPO_ROOT / "sample" / "extracts"
YEAR = "2010"
SERIES = ["country", "partner", "product_group", "indicator", "subtype", "variant", "unit", "year"]


def _env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RVC_", "DAGSTER_HOME"))}
    return env | {"RVC_EXTRACTS": str(root / "extracts"), "RVC_WAREHOUSE": str(root / "wh"), "DAGSTER_HOME": str(root / "dh")}


def _backfill(root: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "pipelines.cli", "backfill", "--from", YEAR, "--to", YEAR, *extra]


def run_to_the_end(root: Path, *extra: str) -> subprocess.CompletedProcess:
    done = subprocess.run(_backfill(root, *extra), cwd=REPO_ROOT, env=_env(root), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def kill_during(root: Path, step_text: str, *extra: str, delay: float = 1.5) -> str:
    """Start a backfill, SIGKILL it `delay` seconds after it announces the step containing `step_text`."""
    process = subprocess.Popen(
        _backfill(root, *extra), cwd=REPO_ROOT, env=_env(root), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        text=True, start_new_session=True,
    )
    seen = []
    try:
        for line in process.stdout:
            seen.append(line)
            if step_text in line:
                time.sleep(delay)
                break
        else:
            pytest.fail(f"the backfill ended before {step_text!r}: {''.join(seen)[-2000:]}")
        os.killpg(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, f"the process ended on its own before the kill: {''.join(seen)[-2000:]}"
    return "".join(seen)


def assert_consistent(warehouse: Path) -> None:
    leftovers = [p.relative_to(warehouse).as_posix() for p in warehouse.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == [], f"temporary files left behind: {leftovers}"
    for path in warehouse.rglob("*.parquet"):
        if ".cache" not in path.parts:
            pq.read_table(path)  # raises on a torn file
    indicators = pd.concat([pd.read_parquet(p) for p in sorted((warehouse / "trade_indicators").glob("*.parquet"))])
    panel = pd.read_parquet(warehouse / "indicator_panel.parquet")
    levels = panel[panel["period"].isna() & panel["indicator"].isin(set(indicators["indicator"]))]
    assert len(levels) == len(indicators)
    joined = indicators[[*SERIES, "value"]].merge(levels[[*SERIES, "value"]], on=SERIES, how="outer", suffixes=("_year", "_panel"),
                                                  indicator=True)
    assert set(joined["_merge"]) == {"both"}, "the panel and trade_indicators hold different series"
    pd.testing.assert_series_equal(joined["value_year"], joined["value_panel"], check_names=False)


def rescale_year(extracts: Path, factor: int) -> None:
    """Change the year's Comtrade values (every primaryValue times `factor`): its indicators change."""
    path = extracts / "comtrade" / f"sample_comtrade_{YEAR}.tsv.gz"
    lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    header = lines[0].split("\t")
    columns = [header.index(name) for name in ("primaryValue", "fobvalue", "cifvalue")]
    out = [lines[0]]
    for line in lines[1:]:
        cells = line.split("\t")
        for i in columns:
            if cells[i]:
                cells[i] = str(int(float(cells[i])) * factor)
        out.append("\t".join(cells))
    path.write_bytes(gzip.compress(("\n".join(out) + "\n").encode(), mtime=0))


@pytest.mark.slow
def test_a_backfill_killed_at_each_step_recovers_on_the_next_run(tmp_path: Path) -> None:
    shutil.copytree(SAMPLE, tmp_path / "extracts")
    warehouse = tmp_path / "wh"

    # 1. Killed while cleaning: the next run cleans and harmonizes the year again.
    kill_during(tmp_path, f"year {YEAR} (first run): cleaning")
    again = run_to_the_end(tmp_path)
    assert f"year {YEAR} (first run): cleaning" in again.stdout  # nothing was recorded for the killed year
    assert_consistent(warehouse)

    # 2. Killed while harmonizing a forced year: the year counts as changed and runs again.
    kill_during(tmp_path, f"year {YEAR}: harmonization and indicators", "--force")
    again = run_to_the_end(tmp_path)
    assert f"year {YEAR} (first run): cleaning" in again.stdout
    assert_consistent(warehouse)

    # 3. The year's data changed, and the run is killed while building the panel and report: the next run
    #    finds the year up to date but the panel built from its old indicators, and rebuilds the panel.
    before = pd.read_parquet(warehouse / "indicator_panel.parquet")
    rescale_year(tmp_path / "extracts", 3)
    kill_during(tmp_path, "indicator panel and report …", delay=0.5)
    again = run_to_the_end(tmp_path)
    assert "inputs and code unchanged since its last run — skipped" in again.stdout
    assert "indicator panel and report: rebuilt" in again.stdout
    assert_consistent(warehouse)
    after = pd.read_parquet(warehouse / "indicator_panel.parquet")
    exports = {
        label: frame.loc[(frame["indicator"] == "exports_usd") & frame["period"].isna(), "value"].sum()
        for label, frame in (("before", before), ("after", after))
    }
    assert exports["after"] == pytest.approx(3 * exports["before"], rel=1e-6)

    # 4. Nothing changed since: the panel is kept.
    kept = run_to_the_end(tmp_path)
    assert "indicator panel and report: kept" in kept.stdout
