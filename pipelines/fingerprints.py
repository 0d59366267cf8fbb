"""What a yearly run depends on, as one hash per year: its extract files, the reference tables and the code.

`rvc backfill` skips a year whose fingerprint matches the one recorded at its last successful run (and
says so), so re-running with unchanged inputs does not redo the work; `--force` re-runs anyway. The raw
assets report the same input hash as their Dagster data version, so the UI marks downstream assets stale
when an input or the code changes.

The record `<warehouse>/.fingerprints.json` is shared by every process that runs years (two `rvc
backfill` at once, the UI): each update is a read-modify-write under an exclusive lock on
`.fingerprints.json.lock`, written through a unique temp file in the same folder and renamed into
place, so the file is never torn and no update is lost. A record that is missing or unreadable
anyway (a crash of an older version, an edit by hand) is no record: every year re-runs, with a
warning, never a crash.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from assets.files import write_bytes_atomically
from assets.sources.extract_inventory import file_sha256, inventory
from assets.sources.manifest import load_manifest
from pipelines.settings import REPO_ROOT, Settings

LOGGER = logging.getLogger("rvc.fingerprints")

CODE_FOLDERS = ("assets", "pipelines", "checks")
CODE_SUFFIXES = (".py", ".csv")


def code_fingerprint(repo_root: Path = REPO_ROOT) -> str:
    """Hash of the pipeline's code and bundled data files (paths and contents)."""
    digest = hashlib.sha256()
    for folder in CODE_FOLDERS:
        for path in sorted((repo_root / folder).rglob("*")):
            if path.is_file() and path.suffix in CODE_SUFFIXES and "__pycache__" not in path.parts:
                digest.update(path.relative_to(repo_root).as_posix().encode())
                digest.update(file_sha256(path).encode())
    return digest.hexdigest()


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


def year_fingerprints(settings: Settings) -> dict[int, str]:
    """{year: hash of (its extract files, the reference folder, the code)}."""
    shared = json.dumps({"reference": inventory(settings.reference_dir), "code": code_fingerprint()}, sort_keys=True)
    return {
        year: hashlib.sha256((json.dumps(files, sort_keys=True) + shared).encode()).hexdigest()
        for year, files in files_by_year(settings).items()
    }


def _record_path(settings: Settings) -> Path:
    return settings.warehouse_dir / ".fingerprints.json"


@contextmanager
def _locked(settings: Settings, mode: int) -> Iterator[None]:
    """Hold `mode` (fcntl.LOCK_SH or LOCK_EX) on the record's lock file; the lock file itself stays empty.

    A separate lock file, because the record is replaced by rename: a lock on the record would be on
    the old file.
    """
    lock_path = _record_path(settings).with_name(".fingerprints.json.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as lock:
        fcntl.flock(lock.fileno(), mode)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def _read_record(path: Path) -> dict[str, str]:
    """The record as {year: fingerprint}; {} when missing, and {} with a warning when unreadable."""
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        reason = f"it is not readable JSON ({type(exc).__name__}: {exc})"
    else:
        if isinstance(content, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in content.items()):
            return content
        reason = "it is not a {year: fingerprint} mapping"
    LOGGER.warning(
        "%s: %s, probably torn by an interrupted write; ignoring it, so every year counts as changed and will "
        "re-run (the record is rewritten as years succeed)", path, reason,
    )
    return {}


def recorded_fingerprints(settings: Settings) -> dict[str, str]:
    """{year: fingerprint} of the last successful run of each year; {} when none is recorded or readable."""
    if not _record_path(settings).parent.is_dir():
        return {}
    with _locked(settings, fcntl.LOCK_SH):
        return _read_record(_record_path(settings))


def record_fingerprint(settings: Settings, year: str, fingerprint: str) -> None:
    """Remember the inputs of a successful yearly run: read, update and replace the record under the lock."""
    path = _record_path(settings)
    with _locked(settings, fcntl.LOCK_EX):
        records = _read_record(path) | {year: fingerprint}
        write_bytes_atomically(path, json.dumps(dict(sorted(records.items())), indent=1).encode("utf-8"))
