"""Shared pytest fixtures: where the real public extracts live, and the repository root."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
# CI and developers have ../shared beside the clone; a user's clone does not.
REAL_DATA_DIR = REPO_ROOT.parent / "shared" / "data" / "real"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    """The folder of real public extracts; skips the test when ../shared is not beside the clone."""
    if not REAL_DATA_DIR.is_dir():
        pytest.skip(f"real extracts not found at {REAL_DATA_DIR} (../shared/data/real is only beside CI and dev clones)")
    return REAL_DATA_DIR
