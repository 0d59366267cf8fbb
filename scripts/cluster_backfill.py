"""Run a backfill of a year range on the cluster code location and wait for it: the order `rvc backfill` uses,
with each step of each run executed by a Celery worker.

    reference_tables → yearly_cleaning (a backfill: one run per year, queued together)
    → conversion_weights (pools every cleaned year) → yearly_harmonization (a backfill) → panel_and_report

Runs are submitted through the Dagster CLI to the instance in DAGSTER_HOME (queued; the daemon launches
them, at most `max_concurrent_runs` at once), so they show in the UI like any backfill. Needs a running
`dagster-daemon`, the instance's storage, the Celery workers and the warehouse (scripts/cluster_demo.py
starts all of them on one machine).

    python scripts/cluster_backfill.py --from 2019 --to 2020 [--no-summary]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
WORKSPACE = REPO_ROOT / "deploy" / "workspace.cluster.yaml"
BATCH_TAG = "rvc/cluster_batch"


def _dagster(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("dagster")), *args]


def submit(job: str, years: list[str] | None, workspace: Path = WORKSPACE) -> str:
    """Queue `job` (one run per year of `years` as a backfill, else one run); returns the batch tag value."""
    batch = uuid.uuid4().hex[:12]
    tags = json.dumps({BATCH_TAG: batch})
    if years:
        command = _dagster("job", "backfill", "-w", str(workspace), "-j", job, "--partitions", ",".join(years), "--tags", tags, "--noprompt")
    else:
        command = _dagster("job", "launch", "-w", str(workspace), "-j", job, "--tags", tags)
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"cluster backfill: submitting {job} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return batch


def wait(job: str, batch: str, expected_runs: int, timeout: float) -> list[str]:
    """Wait until the batch's runs have all finished; returns their run ids, or exits naming the failures."""
    import dagster as dg
    from dagster._core.storage.dagster_run import FINISHED_STATUSES, DagsterRunStatus, RunsFilter

    deadline = time.monotonic() + timeout
    with dg.DagsterInstance.get() as instance:
        while True:
            runs = instance.get_runs(filters=RunsFilter(tags={BATCH_TAG: batch}))
            if len(runs) >= expected_runs and all(run.status in FINISHED_STATUSES for run in runs):
                break
            if time.monotonic() > deadline:
                states = ", ".join(f"{r.run_id[:8]} {r.status.value}" for r in runs) or "no run created"
                raise SystemExit(f"cluster backfill: {job} did not finish within {timeout:.0f} s ({states}); is dagster-daemon running?")
            time.sleep(1.0)
        failed = [run for run in runs if run.status != DagsterRunStatus.SUCCESS]
        if failed:
            lines = []
            for run in failed:
                errors = [e for e in instance.all_logs(run.run_id) if e.is_dagster_event and e.dagster_event.is_failure]
                detail = "; ".join(str(e.dagster_event.message or e.user_message)[:300] for e in errors[:3])
                lines.append(f"  run {run.run_id} ({run.tags.get('dagster/partition', 'unpartitioned')}): {run.status.value} {detail}")
            raise SystemExit(f"cluster backfill: {job} failed:\n" + "\n".join(lines))
        return [run.run_id for run in runs]


def backfill_plan(years: list[str], through: str = "panel_and_report") -> list[tuple[str, list[str] | None]]:
    """The jobs in order (with their partitions, None for an unpartitioned job), up to and including `through`."""
    plan: list[tuple[str, list[str] | None]] = [
        ("reference_tables", None),
        ("yearly_cleaning", years),
        ("conversion_weights", None),
        ("yearly_harmonization", years),
        ("panel_and_report", None),
    ]
    names = [job for job, _ in plan]
    if through not in names:
        raise ValueError(f"through={through!r}: expected one of {', '.join(names)}")
    return plan[: names.index(through) + 1]


def run_backfill(
    first: int, last: int, through: str = "panel_and_report", timeout: float = 1800.0, workspace: Path = WORKSPACE, out=sys.stdout
) -> dict[str, list[str]]:
    """The sequence for years first..last up to the job `through`; returns the run ids of each job."""
    plan = backfill_plan([str(year) for year in range(first, last + 1)], through)
    ran: dict[str, list[str]] = {}
    for job, partitions in plan:
        started = time.monotonic()
        print(f"{job}{' ' + ','.join(partitions) if partitions else ''} …", file=out, flush=True)
        batch = submit(job, partitions, workspace)
        ran[job] = wait(job, batch, len(partitions or [None]), timeout)
        print(f"  {len(ran[job])} run(s) succeeded in {time.monotonic() - started:.0f} s", file=out, flush=True)
    return ran


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from", dest="first", type=int, required=True)
    parser.add_argument("--to", dest="last", type=int, required=True)
    parser.add_argument("--no-summary", action="store_true", help="skip the panel and report")
    parser.add_argument("-w", "--workspace", type=Path, default=WORKSPACE, help="workspace file (default: deploy/workspace.cluster.yaml)")
    args = parser.parse_args(argv)
    through = "yearly_harmonization" if args.no_summary else "panel_and_report"
    run_backfill(args.first, args.last, through=through, workspace=args.workspace)
    return 0


if __name__ == "__main__":
    sys.exit(main())
