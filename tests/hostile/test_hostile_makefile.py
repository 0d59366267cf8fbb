"""`make ui` binds to loopback even when the shell exports HOST (HOST=0.0.0.0 is common in containers)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]  # tests must not import conftest: there are several

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def ui_command(*args: str, env_host: str | None = None) -> str:
    """The `rvc ui` line (it runs dg dev) `make -n ui` would run (nothing is executed)."""
    env = {"PATH": "/usr/bin:/bin"}
    if env_host is not None:
        env["HOST"] = env_host
    dry_run = subprocess.run(
        ["make", "-n", "-C", str(REPO_ROOT), "ui", *args], capture_output=True, text=True, env=env, check=True
    )
    lines = [line for line in dry_run.stdout.splitlines() if "rvc ui" in line]
    assert len(lines) == 1, dry_run.stdout
    return lines[0]


def bound(command: str) -> tuple[str, str]:
    match = re.search(r"--host (\S+) --port (\S+)", command)
    assert match, command
    return match.group(1), match.group(2)


def test_an_exported_host_variable_does_not_open_the_ui_to_the_network() -> None:
    assert bound(ui_command(env_host="0.0.0.0"))[0] == "127.0.0.1"
    assert bound(ui_command("HOST=0.0.0.0"))[0] == "127.0.0.1"


def test_the_project_variables_choose_host_and_port() -> None:
    assert bound(ui_command()) == ("127.0.0.1", "3000")
    assert bound(ui_command("RVC_UI_HOST=0.0.0.0", "RVC_UI_PORT=3100")) == ("0.0.0.0", "3100")
