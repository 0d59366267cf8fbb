"""`rvc backfill`: every year of a range that can run, with progress, a summary and a log of what failed.

Order: the reference tables; cleaning of every year; the HS conversion weights (they pool H0 trade over
every cleaned year, so no year is harmonized before all are cleaned); harmonization of every year whose
cleaning succeeded; the panel and report. A failed year does not stop later years; its harmonization is
skipped and says so. A year whose inputs and code are unchanged since its last successful run, and
whose outputs are all there, is skipped (`force=True` re-runs it). The panel and report are rebuilt
whenever a year they stack changed since they were built (pipelines/fingerprints.py `summary_inputs`),
not only when a year ran this time: a run killed between a year and the panel is caught up next time.

Each failure becomes one line naming the file, row and what to do (pipelines/run_outcomes.py); the full
traces go to `<warehouse>/logs/backfill-<time>.log`, which the summary names.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import dagster as dg

from pipelines.fingerprints import (
    forget_fingerprint,
    record_fingerprint,
    record_summary_inputs,
    recorded_fingerprints,
    recorded_summary_inputs,
    summary_inputs,
    year_fingerprints,
)
from pipelines.jobs import YEARLY_ASSET_KEYS, code_versions, summary_stacked_keys
from pipelines.progress import StepProgress
from pipelines.run_outcomes import RunFailure, failure_from_exception, failure_from_result
from pipelines.settings import Settings

WEIGHTS_FILE = "hs_conversion_weights.parquet"


@dataclass
class BackfillOutcome:
    """Per year: "done", "skipped" (unchanged) or "failed"/"not run", with one line of detail."""

    years: dict[str, tuple[str, str]] = field(default_factory=dict)
    failures: list[RunFailure] = field(default_factory=list)
    summary: str = "not asked"
    log_path: Path | None = None

    @property
    def failed(self) -> bool:
        return bool(self.failures)

    def ran(self) -> list[str]:
        return [year for year, (status, _) in self.years.items() if status == "done"]


def run_job(defs: dg.Definitions, job_name: str, instance: dg.DagsterInstance, partition_key: str | None = None) -> RunFailure | None:
    """Run one job in this process; None on success, else the failure with its one-line cause."""
    # The console gets errors only; every event is still in the instance (and the UI).
    quiet = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
    try:
        job = defs.resolve_job_def(job_name)
        result = job.execute_in_process(instance=instance, partition_key=partition_key, run_config=quiet, raise_on_error=False)
    except Exception as exc:  # a run that could not start: still one line, and the next year goes on
        return failure_from_exception(exc, job_name, partition_key)
    return failure_from_result(result, job_name, partition_key)


def outputs_present(settings: Settings, year: str) -> bool:
    return all((settings.warehouse_dir / key / f"{year}.parquet").is_file() for key in YEARLY_ASSET_KEYS)


def _file_digest(path: Path) -> str | None:
    from assets.sources.extract_inventory import file_sha256

    return file_sha256(path) if path.is_file() else None


def summary_present(settings: Settings) -> bool:
    return (settings.warehouse_dir / "indicator_panel.parquet").is_file() and (
        settings.warehouse_dir / "rvc_report" / "index.html"
    ).is_file()


def new_log_path(settings: Settings) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return settings.warehouse_dir / "logs" / f"backfill-{stamp}.log"


def write_log(path: Path, keys: list[str], outcome: BackfillOutcome) -> None:
    """The years asked for, what became of each, and the full trace of every failure."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"rvc backfill {keys[0]}..{keys[-1]} at {datetime.now(UTC).isoformat(timespec='seconds')}", ""]
    lines += [f"{year}: {status} — {detail}" for year, (status, detail) in outcome.years.items()]
    lines.append(f"indicator panel and report: {outcome.summary}")
    for failure in outcome.failures:
        where = f" partition {failure.partition}" if failure.partition else ""
        lines += ["", "=" * 100, f"{failure.job}{where}, step {failure.step or '-'}, Dagster run {failure.run_id or '-'}",
                  f"cause: {failure.cause}", "", failure.trace]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def print_summary(outcome: BackfillOutcome, out: TextIO) -> None:
    """A table of years done, skipped and failed; each failure on one line; where the log is."""
    counts = {status: sum(1 for s, _ in outcome.years.values() if s == status) for status in ("done", "skipped", "failed", "not run")}
    print("", file=out)
    print("summary: " + ", ".join(f"{n} {status}" for status, n in counts.items() if n), file=out)
    width = max([len("result"), *(len(status) for status, _ in outcome.years.values())])
    print(f"{'year':<6}{'result':<{width + 2}}detail", file=out)
    for year, (status, detail) in outcome.years.items():
        print(f"{year:<6}{status:<{width + 2}}{detail}", file=out)
    print(f"indicator panel and report: {outcome.summary}", file=out)
    if outcome.log_path is not None:
        print(f"log (full traces): {outcome.log_path}", file=out)
    out.flush()


def backfill(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    settings: Settings,
    keys: list[str],
    summary: bool = True,
    force: bool = False,
    out: TextIO = sys.stdout,
) -> BackfillOutcome:
    """Clean every year of `keys`, build the HS conversion weights, harmonize every cleaned year, then the
    panel and report; see the module docstring. Never raises for a failed year: the outcome says."""
    outcome = BackfillOutcome(years={key: ("not run", "") for key in keys})
    fingerprints = year_fingerprints(settings, code_versions(defs))
    recorded = recorded_fingerprints(settings)
    to_clean = [
        key for key in keys
        if force or recorded.get(key) != fingerprints.get(int(key), "") or not outputs_present(settings, key)
    ]
    progress = StepProgress(out, total=2 + 2 * len(to_clean) + (1 if summary else 0), years=len(keys))

    def fail(failure: RunFailure, year: str | None, stage: str) -> None:
        outcome.failures.append(failure)
        # The step's name, unless the cause already starts with it (the project's messages name their asset).
        step = f"{failure.step}: " if failure.step and not failure.cause.startswith(failure.step) else ""
        if year is not None:
            outcome.years[year] = ("failed", f"{stage} — {step}{failure.cause}")
        progress.note(f"{'year ' + year + ' ' if year else ''}{stage} FAILED — {step}{failure.cause}")

    reference_failure = _timed_job(progress, defs, instance, "reference tables …", "reference_tables")
    if reference_failure is not None:
        fail(reference_failure, None, "reference tables")
        for key in keys:
            outcome.years[key] = ("not run", "the reference tables failed (see above)")
        outcome.summary = "not run: the reference tables failed"
        progress.close()
        return _finish(settings, keys, outcome, out)

    cleaned = []
    for key in keys:
        if key not in to_clean:
            outcome.years[key] = ("skipped", "inputs and code unchanged since its last run (--force re-runs it)")
            progress.note(f"year {key}: inputs and code unchanged since its last run — skipped (--force re-runs)")
            progress.year_done()
            continue
        reason = "forced" if force else ("first run" if key not in recorded else (
            "outputs missing" if recorded.get(key) == fingerprints.get(int(key), "") else "inputs or code changed"))
        # From here until its harmonization succeeds, the stored year no longer matches its record.
        forget_fingerprint(settings, key)
        failure = _timed_job(progress, defs, instance, f"year {key} ({reason}): cleaning …", "yearly_cleaning", partition_key=key)
        if failure is not None:
            fail(failure, key, "cleaning")
            progress.skip_steps(1)  # its harmonization
            progress.year_done()
        else:
            cleaned.append(key)

    weights_path = settings.warehouse_dir / WEIGHTS_FILE
    before = _file_digest(weights_path)
    if cleaned or force or before is None:
        weights_failure = _timed_job(progress, defs, instance, "HS conversion weights (H0 trade pooled over every cleaned year) …", "conversion_weights")
        if weights_failure is not None:
            fail(weights_failure, None, "HS conversion weights")
            for key in cleaned:
                outcome.years[key] = ("failed", "cleaned, but not harmonized: the HS conversion weights failed (see above)")
            cleaned = []
    else:
        progress.skip_steps(1)
    weights_changed = _file_digest(weights_path) != before and not any(f.job == "conversion_weights" for f in outcome.failures)
    # Changed weights re-harmonize every year of the range that is not failed.
    failed_years = {key for key, (status, _) in outcome.years.items() if status == "failed"}
    harmonize = [key for key in keys if key not in failed_years and (key in cleaned or weights_changed)]
    progress.add_steps(len(harmonize) - len(cleaned))
    # Until each is harmonized with these weights, a stored year no longer matches its record: a run killed
    # part-way must re-run them all, not only the one it was in.
    for key in harmonize:
        forget_fingerprint(settings, key)
    for key in harmonize:
        note = "" if key in cleaned else " (HS conversion weights changed)"
        failure = _timed_job(progress, defs, instance, f"year {key}: harmonization and indicators{note} …", "yearly_harmonization", partition_key=key)
        if failure is not None:
            forget_fingerprint(settings, key)
            fail(failure, key, "harmonization")
        else:
            record_fingerprint(settings, key, fingerprints.get(int(key), ""))
            outcome.years[key] = ("done", "cleaned and harmonized" if key in cleaned else "re-harmonized (HS conversion weights changed)")
        progress.year_done()
    for key in failed_years:
        status, detail = outcome.years[key]
        if detail.startswith("cleaning"):
            outcome.years[key] = (status, detail + " — its harmonization was skipped")
    if weights_changed and before is not None:
        outside = sorted(
            p.stem for p in (settings.warehouse_dir / "trade_flows").glob("*.parquet") if p.stem.isdigit() and p.stem not in keys
        )
        if outside:
            progress.note(f"note: the HS conversion weights changed; years {', '.join(outside)} outside --from/--to still use "
                          "the old weights (re-run them with --force)")

    if summary:
        _panel_and_report(defs, instance, settings, outcome, progress, force)
    else:
        outcome.summary = "not asked (--no-summary)"
    progress.close()
    return _finish(settings, keys, outcome, out)


def _timed_job(progress: StepProgress, defs, instance, label: str, job_name: str, partition_key: str | None = None):
    """Run one job as one progress step (its line, elapsed and remaining time); its RunFailure or None."""
    progress.start(label)
    try:
        return run_job(defs, job_name, instance, partition_key=partition_key)
    finally:
        progress.finish()


def _panel_and_report(defs, instance, settings: Settings, outcome: BackfillOutcome, progress: StepProgress, force: bool) -> None:
    """Rebuild the panel and report when a year they stack changed since they were built (or they are missing)."""
    stacked = summary_stacked_keys(defs)
    current = summary_inputs(settings, stacked)
    if not force and summary_present(settings) and recorded_summary_inputs(settings) == current:
        outcome.summary = "kept: no year they stack changed since they were built"
        progress.note("indicator panel and report: no year changed since they were built — kept as they are")
        progress.skip_steps(1)
        return
    failure = _timed_job(progress, defs, instance, "indicator panel and report …", "panel_and_report")
    if failure is not None:
        outcome.summary = f"FAILED — {failure.step + ': ' if failure.step else ''}{failure.cause}"
        outcome.failures.append(failure)
        progress.note(f"indicator panel and report FAILED — {failure.cause}")
        return
    record_summary_inputs(settings, current)
    outcome.summary = "rebuilt"


def _finish(settings: Settings, keys: list[str], outcome: BackfillOutcome, out: TextIO) -> BackfillOutcome:
    outcome.log_path = new_log_path(settings)
    write_log(outcome.log_path, keys, outcome)
    print_summary(outcome, out)
    return outcome
