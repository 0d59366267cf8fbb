"""What a yearly run depends on, as one hash per year: its extract files, the reference files, and the code
versions of the assets the yearly jobs run and read.

`rvc backfill` skips a year whose fingerprint matches the one recorded at its last successful run (and
says so), so re-running with unchanged inputs does not redo the work; `--force` re-runs anyway. The code
versions are Dagster's per-asset versions (pipelines/code_versions.py: a hash of the code each asset
runs), so editing the report leaves every year as it is and editing a cleaning module re-runs them.

The panel and report stack every stored year: `summary_inputs` versions the yearly files they read (size
and modification time), and the record of those they were last built from says whether a year changed since (a run killed
between a year and the panel leaves them stale; the next run sees it and rebuilds them).

The records `<warehouse>/.fingerprints.json` and `<warehouse>/.summary_inputs.json` are shared by every
process that runs years (two `rvc backfill` at once, the UI): each update is a read-modify-write under an
exclusive lock on `<record>.lock`, written through a unique temp file in the same folder and renamed into
place, so a record is never torn and no update is lost. A record that is missing or unreadable anyway (a
crash of an older version, an edit by hand) is no record: every year re-runs, with a warning, never a crash.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from assets.files import write_bytes_atomically
from assets.sources.extract_inventory import file_sha256, inventory
from assets.sources.manifest import load_manifest
from pipelines.settings import Settings

LOGGER = logging.getLogger("rvc.fingerprints")

YEARS_RECORD = ".fingerprints.json"
SUMMARY_RECORD = ".summary_inputs.json"


def files_by_year(settings: Settings) -> dict[int, dict[str, str]]:
    """{year: {extract file: sha256}} for the readable Comtrade and TiVA files holding that year (from the manifest)."""
    manifest = load_manifest(settings.extracts_dir, settings.cache_dir)
    return {
        year: {
            entry.source_file: entry.sha256
            for family in ("comtrade", "tiva")
            for entry in manifest.files_for_year(year, family)
        }
        for year in manifest.years()
    }


def year_fingerprints(settings: Settings, code_versions: Mapping[str, str]) -> dict[int, str]:
    """{year: hash of (its extract files, the reference folder, the scope file, `code_versions`)}.

    `code_versions` is {asset key: code version} of the assets a yearly run executes or reads
    (`pipelines.jobs.yearly_code_versions`).
    """
    scope = settings.scope_path
    shared = json.dumps({
        "reference": inventory(settings.reference_dir),
        # The study's scope file decides product groups and indicators: another scope re-runs every year.
        "scope": file_sha256(scope) if scope.is_file() else str(scope),
        "code": dict(code_versions),
    }, sort_keys=True)
    return {
        year: hashlib.sha256((json.dumps(files, sort_keys=True) + shared).encode()).hexdigest()
        for year, files in files_by_year(settings).items()
    }


def summary_inputs(settings: Settings, asset_keys: tuple[str, ...]) -> dict[str, str]:
    """{"<asset>/<year>.parquet": "<size>:<mtime_ns>"} of every stored partition of `asset_keys` (what the panel
    and report read). Size and modification time, not a content hash: a partition is only ever replaced by a
    rename of a new file, so any rewrite shows, and a full-scale warehouse (gigabytes of cleaned years) is not
    read on every backfill; a rewrite with identical content costs one needless rebuild of the panel."""
    found = {}
    for key in asset_keys:
        for path in sorted((settings.warehouse_dir / key).glob("*.parquet")):
            stat = path.stat()
            found[f"{key}/{path.name}"] = f"{stat.st_size}:{stat.st_mtime_ns}"
    return found


def _record_path(settings: Settings, name: str = YEARS_RECORD) -> Path:
    return settings.warehouse_dir / name


@contextmanager
def _locked(path: Path, mode: int) -> Iterator[None]:
    """Hold `mode` (fcntl.LOCK_SH or LOCK_EX) on the record's lock file; the lock file itself stays empty.

    A separate lock file, because the record is replaced by rename: a lock on the record would be on
    the old file.
    """
    lock_path = path.with_name(path.name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as lock:
        fcntl.flock(lock.fileno(), mode)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def _read_record(path: Path) -> dict[str, str]:
    """The record as {key: hash}; {} when missing, and {} with a warning when unreadable."""
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        reason = f"it is not readable JSON ({type(exc).__name__}: {exc})"
    else:
        if isinstance(content, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in content.items()):
            return content
        reason = "it is not a {key: hash} mapping"
    LOGGER.warning(
        "%s: %s, probably torn by an interrupted write; ignoring it, so everything it records counts as changed and "
        "will re-run (the record is rewritten as runs succeed)", path, reason,
    )
    return {}


def _write_locked(path: Path, records: Mapping[str, str]) -> None:
    """Replace the record (the caller holds the exclusive lock). Temporaries of this record left by a killed
    writer are removed first: under the lock, no other writer of it can be mid-write."""
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        stale.unlink(missing_ok=True)
    write_bytes_atomically(path, json.dumps(dict(sorted(records.items())), indent=1).encode("utf-8"))


def _read_locked(path: Path) -> dict[str, str]:
    if not path.parent.is_dir():
        return {}
    with _locked(path, fcntl.LOCK_SH):
        return _read_record(path)


def recorded_fingerprints(settings: Settings) -> dict[str, str]:
    """{year: fingerprint} of the last successful run of each year; {} when none is recorded or readable."""
    return _read_locked(_record_path(settings))


def record_fingerprint(settings: Settings, year: str, fingerprint: str) -> None:
    """Remember the inputs of a successful yearly run: read, update and replace the record under the lock."""
    path = _record_path(settings)
    with _locked(path, fcntl.LOCK_EX):
        _write_locked(path, _read_record(path) | {year: fingerprint})


def forget_fingerprint(settings: Settings, year: str) -> None:
    """A year that failed or was killed part-way: its last record no longer describes what is stored."""
    path = _record_path(settings)
    with _locked(path, fcntl.LOCK_EX):
        records = _read_record(path)
        if records.pop(year, None) is not None:
            _write_locked(path, records)


def recorded_summary_inputs(settings: Settings) -> dict[str, str]:
    """The yearly files (and their hashes) the panel and report were last built from; {} when unknown."""
    return _read_locked(_record_path(settings, SUMMARY_RECORD))


def record_summary_inputs(settings: Settings, inputs: Mapping[str, str]) -> None:
    """Remember what a successful panel-and-report run stacked (replaces the whole record)."""
    path = _record_path(settings, SUMMARY_RECORD)
    with _locked(path, fcntl.LOCK_EX):
        _write_locked(path, inputs)
