"""What is in the extracts folder, by content hash: the basis for the new/changed-file sensor.

Pure functions (no Dagster): list files with their sha256, compare with a previous inventory, and say
which years the changed files hold.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

from assets.vocabulary import QUERY_SIDECAR_SUFFIX

# Files that never hold observations: saved-query sidecars, notes, hidden and temporary files.
IGNORED_SUFFIXES = (QUERY_SIDECAR_SUFFIX, ".md", ".tmp")


def file_sha256(path: Path, chunk_size: int = 1 << 20) -> str:
    """Hex sha256 of a file's bytes as stored (a gzipped file hashes its compressed bytes)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def inventory(root: Path, files: list[Path] | None = None) -> dict[str, str]:
    """{path relative to root (POSIX): sha256} for `files` (default: every candidate file below root), sorted.

    Callers that know which files their readers accept pass them; the default skips hidden files,
    sidecars and notes.
    """
    if files is None:
        if not root.is_dir():
            return {}
        files = [
            p for p in root.rglob("*")
            if p.is_file()
            and not any(part.startswith(".") for part in p.relative_to(root).parts)
            and not p.name.endswith(IGNORED_SUFFIXES)
        ]
    return {p.relative_to(root).as_posix(): file_sha256(p) for p in sorted(files)}


def changed_files(current: Mapping[str, str], previous: Mapping[str, str]) -> list[str]:
    """Files that are new or whose content hash changed since `previous` (removed files are not runs)."""
    return sorted(path for path, sha in current.items() if previous.get(path) != sha)


def encode_cursor(state: Mapping[str, str]) -> str:
    return json.dumps(dict(sorted(state.items())), separators=(",", ":"))


def decode_cursor(cursor: str | None) -> dict[str, str]:
    if not cursor:
        return {}
    state = json.loads(cursor)
    if not isinstance(state, dict):
        raise ValueError(f"sensor cursor is not a JSON object: {cursor[:80]!r}; reset the sensor cursor in the UI")
    return {str(k): str(v) for k, v in state.items()}
