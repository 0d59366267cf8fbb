"""Where the project's own files are: the repository root, the bundled data tables, the docs, the scope files.

One place, so a module that is moved to another package (issue 18) does not have to recount `parents[n]`.
"""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = REPO_ROOT / "assets" / "data"  # bundled tables: country overrides, indicator catalog, reject reasons
DOCS_DIR = REPO_ROOT / "docs"
SCOPES_DIR = REPO_ROOT / "scopes"
