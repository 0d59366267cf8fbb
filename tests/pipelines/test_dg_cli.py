"""`dg check defs` (make validate) loads the code location from [tool.dg] without "superseded" warnings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]  # tests must not import conftest: there are several
DG = Path(sys.executable).parent / "dg"


@pytest.mark.skipif(not DG.exists(), reason="dagster-dg-cli is not installed in this environment (make test installs it)")
def test_dg_check_defs_passes_without_superseded_warnings(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RVC_", "DAGSTER_HOME"))} | {"DAGSTER_HOME": str(tmp_path)}
    env["PATH"] = f"{DG.parent}{os.pathsep}{env.get('PATH', '')}"
    done = subprocess.run([str(DG), "check", "defs"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert "All definitions loaded successfully" in output
    assert "supersed" not in output.lower() and "Warning" not in output


def test_the_makefile_uses_dg_not_the_superseded_dagster_commands() -> None:
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert "dg dev" in makefile and "dg check defs" in makefile and "dg launch" in makefile
    assert "dagster dev" not in makefile and "definitions validate" not in makefile
