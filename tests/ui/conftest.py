"""Fixtures for the Dagster UI tests: the real webserver on workspace.yaml and headless Chromium.

The start/stop logic is the one scripts/screenshot_lineage.py uses for the README screenshot, loaded
from that file so the test and the screenshot see the UI the same way.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from pipelines.webserver import location_status

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "screenshot_lineage.py"


def _load_harness() -> ModuleType:
    spec = importlib.util.spec_from_file_location("screenshot_lineage", SCRIPT)
    assert spec is not None and spec.loader is not None, f"cannot load {SCRIPT}"
    module = importlib.util.module_from_spec(spec)
    # dataclasses resolve their module through sys.modules while the class body runs.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def ui_harness() -> ModuleType:
    """scripts/screenshot_lineage.py as a module: dagster_webserver(), dump_dom(), find_chromium(), ..."""
    return _load_harness()


@pytest.fixture(scope="module")
def dagster_ui(ui_harness: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """The Dagster webserver serving the project's workspace.yaml (cwd = repo root) on a free port.

    DAGSTER_HOME and RVC_WAREHOUSE are fresh temp folders. Fails when a code location does not load,
    with Dagster's error. Teardown stops the whole process group and asserts none of it is left.
    """
    work_dir = tmp_path_factory.mktemp("dagster-ui")
    with ui_harness.dagster_webserver(work_dir) as server:
        status = location_status(server.base_url)
        errors = {name: message for name, message in status.items() if message}
        if errors or not status:
            pytest.fail(f"workspace.yaml code locations did not load: {errors or 'no location'}; "
                        f"check with `dg check defs` (make validate)", pytrace=False)
        yield server
    assert ui_harness.live_group_members(server.pid) == [], f"webserver process group {server.pid} outlived the test"


@pytest.fixture(scope="session")
def chromium(ui_harness: ModuleType) -> str:
    """Path of headless Chromium. Absent: a skip on a dev machine, a failure in CI (CI=true)."""
    path = ui_harness.find_chromium()
    if path is None:
        reason = "chromium not installed (bash scripts/ensure_chromium.sh, or apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {reason}", pytrace=False)
        pytest.skip(reason)
    return path
