"""What a yearly run depends on, as one hash per year: its extract files, the reference tables and the code.

`rvc backfill` skips a year whose fingerprint matches the one recorded at its last successful run (and
says so), so re-running with unchanged inputs does not redo the work; `--force` re-runs anyway. The raw
assets report the same input hash as their Dagster data version, so the UI marks downstream assets stale
when an input or the code changes.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from assets.sources.extract_inventory import file_sha256, inventory
from assets.sources.manifest import load_manifest
from pipelines.settings import REPO_ROOT, Settings

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


def recorded_fingerprints(settings: Settings) -> dict[str, str]:
    path = _record_path(settings)
    return json.loads(path.read_text()) if path.is_file() else {}


def record_fingerprint(settings: Settings, year: str, fingerprint: str) -> None:
    """Remember the inputs of a successful yearly run (written atomically)."""
    records = recorded_fingerprints(settings) | {year: fingerprint}
    path = _record_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(dict(sorted(records.items())), indent=1))
    temporary.replace(path)
