"""Two sample years through two Celery workers into the S3-compatible store, with PostgreSQL storage, equal
byte for byte to the same jobs run locally into a folder.

Starts Debian's PostgreSQL and redis-server, moto's S3 server, a code server, the Dagster daemon and two
Celery workers (scripts/cluster_demo.py, as `make cluster-demo` does), then backfills the reference tables
and the yearly cleaning of 2019 and 2020 through the Dagster CLI, with deploy/dagster.postgres.yaml as is.
Skips, saying why, only when a service cannot be started here (binary or package missing, port 5432 taken);
anything that fails after the services are up fails the test."""

import importlib.util
import os
import sys
from pathlib import Path

import dagster as dg
import pytest

s3fs = pytest.importorskip("s3fs", reason="s3fs is not installed: pip install -c constraints.txt -e '.[cluster]' (make test does)")

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "scripts"))

import cluster_demo  # noqa: E402
from cluster_backfill import backfill_plan, run_backfill  # noqa: E402
from cluster_services import S3_BUCKET, LocalCluster, ServiceUnavailable  # noqa: E402

YEARS = ("2019", "2020")
# Reference tables, then the two years' cleaning as one backfill: the heavy stages, within the time budget.
# RVC_CLUSTER_TEST_THROUGH=panel_and_report runs the whole sequence (weights, harmonization, panel, report).
JOBS_THROUGH = os.environ.get("RVC_CLUSTER_TEST_THROUGH", "yearly_cleaning")


def _local_run(warehouse: Path) -> None:
    """The same jobs in-process into a local folder, in the same order (as `rvc backfill` runs them)."""
    from pipelines.definitions import build_defs
    from pipelines.settings import load_settings

    defs = build_defs(load_settings({"RVC_WAREHOUSE": str(warehouse)}))
    instance = dg.DagsterInstance.ephemeral()
    for job_name, partitions in backfill_plan(list(YEARS), JOBS_THROUGH):
        for partition in partitions or [None]:
            result = defs.resolve_job_def(job_name).execute_in_process(instance=instance, partition_key=partition, raise_on_error=False)
            assert result.success, f"local {job_name} {partition} failed"


def _stored_files(warehouse: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(warehouse)): path.read_bytes()
        for path in sorted(warehouse.rglob("*.parquet"))
        if not any(part.startswith(".") for part in path.relative_to(warehouse).parts)  # caches, spill
    }


def _stored_objects(url: str, endpoint: str) -> dict[str, bytes]:
    fs = s3fs.S3FileSystem(skip_instance_cache=True, endpoint_url=endpoint)
    root = url.removeprefix("s3://")
    return {key.removeprefix(root + "/"): fs.cat_file(key) for key in sorted(fs.find(root)) if key.endswith(".parquet")}


@pytest.mark.cluster
def test_two_years_through_two_celery_workers_equal_a_local_run_byte_for_byte(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    for module in ("dagster_celery", "dagster_postgres", "moto", "s3fs", "redis"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed: `pip install -c constraints.txt -e '.[cluster]'` (make test does)")
    root = tmp_path_factory.mktemp("cluster")
    with LocalCluster(root, REPO_ROOT) as cluster:
        try:
            env = cluster_demo.start_cluster(cluster, warehouse_prefix="test")
        except ServiceUnavailable as problem:
            pytest.skip(f"cluster services cannot start here: {problem}")
        for name, value in cluster.variables.items():
            monkeypatch.setenv(name, value)
        ran = run_backfill(int(YEARS[0]), int(YEARS[-1]), through=JOBS_THROUGH, timeout=300,
                           workspace=Path(env["RVC_CLUSTER_WORKSPACE"]))
        remote = _stored_objects(env["RVC_WAREHOUSE"], env["AWS_ENDPOINT_URL"])
        # Which worker ran each step, from the run's events (dagster-celery records the worker's name).
        with dg.DagsterInstance.get() as instance:
            workers = {
                str(getattr(entry, "value", entry))
                for run_id in ran["yearly_cleaning"]
                for event in instance.all_logs(run_id)
                if event.is_dagster_event and event.dagster_event.event_type_value == "ENGINE_EVENT"
                for label, entry in (event.dagster_event.event_specific_data.metadata or {}).items()
                if label == "Celery worker"
            }
            storage = type(instance.run_storage).__name__
    local_warehouse = root / "local"
    _local_run(local_warehouse)
    local = _stored_files(local_warehouse)

    assert storage == "PostgresRunStorage"
    assert len(ran["yearly_cleaning"]) == 2
    assert {w.split("@")[0] for w in workers} == {"worker-1", "worker-2"}, f"steps ran on {workers}"
    assert "comtrade_clean/2019.parquet" in local and "comtrade_clean/2020.parquet" in local
    assert sorted(remote) == sorted(local)
    different = [name for name in local if remote[name] != local[name]]
    assert different == [], f"differ from the local run: {different}"
