"""Two runs on a fresh DAGSTER_HOME do not race to create the instance's tables ("table ... already exists").

Four processes open the same new instance at the same moment; each must succeed. Opening it without the
lock (plain DagsterInstance.from_config) fails this way on SQLite storage, which is why the `rvc` command
and `make ui` open it through pipelines.instance.
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

PROCESSES = 4


def _open(home: str, barrier) -> None:
    from pipelines.instance import open_instance

    barrier.wait(timeout=60)
    instance = open_instance(Path(home))
    instance.get_runs(limit=1)
    instance.dispose()


def test_processes_opening_a_fresh_instance_at_once_all_succeed(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    workers = [context.Process(target=_open, args=(str(tmp_path / "home"), barrier)) for _ in range(PROCESSES)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=180)
    assert [worker.exitcode for worker in workers] == [0] * PROCESSES
    # The project's instance settings were put in place for the new home.
    assert "run_monitoring:" in (tmp_path / "home" / "dagster.yaml").read_text()


def test_without_dagster_home_runs_go_to_the_projects_instance() -> None:
    from pipelines.instance import PROJECT_HOME, instance_home

    assert instance_home({}) == PROJECT_HOME and PROJECT_HOME.name == ".dagster"
    assert instance_home({"DAGSTER_HOME": "/somewhere/else"}) == Path("/somewhere/else")
