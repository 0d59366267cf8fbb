"""deploy/dagster.yaml: a killed run does not stay STARTED forever, and the instance config uses only
documented keys (no private module paths such as dagster._core.run_coordinator)."""

from __future__ import annotations

import logging
import re
import shutil
import warnings
from pathlib import Path

import dagster as dg
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]  # tests must not import conftest: there are several
DEPLOY = REPO_ROOT / "deploy"


@pytest.fixture
def instance(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    shutil.copy(DEPLOY / "dagster.yaml", tmp_path / "dagster.yaml")
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        loaded = dg.DagsterInstance.from_config(str(tmp_path))
        loaded.run_coordinator  # noqa: B018 - built lazily: build it while warnings are recorded
        loaded.run_launcher  # noqa: B018
    yield loaded, [str(w.message) for w in caught] + [r.getMessage() for r in caplog.records]
    loaded.dispose()


def test_the_instance_loads_without_warnings(instance) -> None:
    _, complaints = instance
    assert complaints == []


def test_run_monitoring_fails_runs_whose_worker_died(instance) -> None:
    loaded, _ = instance
    assert loaded.run_monitoring_enabled
    settings = loaded.run_monitoring_settings
    assert 0 < settings["start_timeout_seconds"] <= 300  # a run whose worker never came up fails soon
    # The default run launcher cannot resume runs; Dagster refuses max_resume_run_attempts > 0 with it.
    assert settings["max_resume_run_attempts"] == 0 and not loaded.run_launcher.supports_resume_run
    # It cannot check a worker's health either: the run-time limit is what ends a run whose worker was killed.
    assert settings["max_runtime_seconds"] > 0


def test_runs_are_queued_two_at_a_time(instance) -> None:
    loaded, _ = instance
    assert type(loaded.run_coordinator).__name__ == "QueuedRunCoordinator"
    assert loaded.get_concurrency_config().run_queue_config.max_concurrent_runs == 2


@pytest.mark.parametrize("name", ["dagster.yaml", "dagster.postgres.yaml"])
def test_no_private_dagster_module_paths(name: str) -> None:
    text = (DEPLOY / name).read_text()
    assert not re.search(r"module:\s*dagster\._", text)
    assert "run_monitoring:" in text


def test_the_first_ui_visit_shows_no_community_dialog(instance) -> None:
    loaded, _ = instance
    assert loaded.nux_enabled is False
