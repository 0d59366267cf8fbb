"""`make cluster-demo`: the pipeline on a small cluster on this machine, and everything stopped afterwards.

Starts, on 127.0.0.1 only: a throwaway PostgreSQL (Dagster's run, event and schedule storage through
deploy/dagster.postgres.yaml, used as is), Redis (the Celery broker and result backend), moto's
S3-compatible server (the warehouse, s3://rvc-warehouse/demo) and two Celery workers, each with its own local
working folder, so the object store is the only thing they share. Then the Dagster daemon, and a backfill of
the sample's years through them (scripts/cluster_backfill.py). With --ui the Dagster UI stays up on the same
instance until Ctrl-C; without it, the demo prints how to open it. Every process it started is stopped on
exit, also on error or Ctrl-C.

    python scripts/cluster_demo.py [--from 2019 --to 2020] [--ui] [--root DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent
REPO_ROOT = SCRIPTS.parent
sys.path.insert(0, str(SCRIPTS))

from cluster_backfill import run_backfill  # noqa: E402
from cluster_services import S3_BUCKET, LocalCluster, ServiceUnavailable, free_port, wait_for_port  # noqa: E402

WORKERS = ("worker-1", "worker-2")


def check_environment() -> None:
    """Fail early, saying what to do, when the installed packages do not match the cluster extra's pins."""
    import sqlalchemy

    major, minor = (int(part) for part in sqlalchemy.__version__.split(".")[:2])
    if (major, minor) >= (2, 1):
        raise RuntimeError(
            f"SQLAlchemy {sqlalchemy.__version__} is installed, but dagster-postgres needs < 2.1 (psycopg2; see "
            "docs/deploy.md): run `pip install -c constraints.txt -e '.[dev]'` (make test does)"
        )


def start_cluster(cluster: LocalCluster, warehouse_prefix: str = "demo", workers: tuple[str, ...] = WORKERS) -> dict[str, str]:
    """Start every service and the workers in `cluster`; returns the environment for Dagster commands."""
    check_environment()
    cluster.start_postgres()
    broker = cluster.start_redis()
    cluster.start_s3()
    home = cluster.root / "dagster_home"
    home.mkdir(exist_ok=True)
    shutil.copyfile(REPO_ROOT / "deploy" / "dagster.postgres.yaml", home / "dagster.yaml")  # as is
    cluster.variables.update(
        DAGSTER_HOME=str(home),
        RVC_CELERY_BROKER=broker,
        RVC_CELERY_BACKEND=broker.rsplit("/", 1)[0] + "/1",
        RVC_WAREHOUSE=f"s3://{S3_BUCKET}/{warehouse_prefix}",
        RVC_STAGING=str(cluster.root / "staging" / "driver"),
        PYTHONPATH=str(REPO_ROOT),
        # dagster-celery starts `celery` by name: this environment's scripts first on PATH.
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    env = cluster.env()
    # Create Dagster's tables once, before the workers and the daemon connect (all at once, they race to).
    migrate = subprocess.run([str(Path(sys.executable).with_name("dagster")), "instance", "migrate"], env=env, capture_output=True, text=True, check=False)
    if migrate.returncode != 0:
        raise ServiceUnavailable(f"`dagster instance migrate` on the new PostgreSQL failed:\n{migrate.stderr[-2000:]}")
    for name in workers:
        # Each worker its own working folder (staging, spill, extracts cache), as on separate hosts.
        cluster.start_celery_worker(name, REPO_ROOT / "deploy" / "celery.yaml", env | {"RVC_STAGING": str(cluster.root / "staging" / name)})
    # One code server for the daemon, the CLI and the UI (as on a cluster), so none of them reloads the code.
    workspace = start_code_server(cluster, env)
    cluster.variables["RVC_CLUSTER_WORKSPACE"] = str(workspace)
    env = cluster.env()
    cluster.start_process("dagster-daemon", [str(Path(sys.executable).with_name("dagster-daemon")), "run", "-w", str(workspace)], env)
    wait_for_workers(cluster, len(workers))
    return env


def start_code_server(cluster: LocalCluster, env: dict[str, str]) -> Path:
    """`dagster api grpc` serving deploy/cluster_definitions.py on 127.0.0.1; returns a workspace file naming it."""
    port = free_port()
    server = cluster.start_process(
        "code-server",
        [str(Path(sys.executable).with_name("dagster")), "api", "grpc", "-h", "127.0.0.1", "-p", str(port),
         "-f", "deploy/cluster_definitions.py", "-d", str(REPO_ROOT), "-a", "defs", "--location-name", "rvc_pipeline_cluster"],
        env,
    )
    try:
        wait_for_port(port, "Dagster code server", server, timeout=120, log=cluster.logs / "code-server.log")
    except ServiceUnavailable as problem:
        # The code server is the project's own code: when it exits while loading, that is a bug to report, not
        # a service this machine lacks (a test must fail on it, never skip).
        if server.poll() is not None:
            raise RuntimeError(f"the cluster code location failed to load (deploy/cluster_definitions.py): {problem}") from None
        raise
    workspace = cluster.root / "workspace.yaml"
    workspace.write_text(
        "load_from:\n  - grpc_server:\n      host: 127.0.0.1\n"
        f"      port: {port}\n      location_name: rvc_pipeline_cluster\n"
    )
    return workspace


def wait_for_workers(cluster: LocalCluster, count: int, timeout: float = 120.0) -> None:
    """Wait until `count` Celery workers said they are ready (their logs), so the first steps are not queued blind."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready = sum(1 for log in cluster.logs.glob("celery-*.log") if b" ready." in log.read_bytes())
        if ready >= count:
            return
        for name, process in cluster.processes:
            if name.startswith("celery-") and process.poll() is not None:
                log = cluster.logs / f"{name}.log"
                raise ServiceUnavailable(f"Celery {name} exited:\n{log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.5)
    raise ServiceUnavailable(f"{count} Celery workers were not ready within {timeout:.0f} s (logs in {cluster.logs})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from", dest="first", type=int, default=None, help="first year (default: the sample's first)")
    parser.add_argument("--to", dest="last", type=int, default=None, help="last year (default: the sample's last)")
    parser.add_argument("--ui", action="store_true", help="keep the Dagster UI up on the cluster's instance until Ctrl-C")
    parser.add_argument("--port", type=int, default=3000, help="UI port with --ui (127.0.0.1 only)")
    parser.add_argument("--root", type=Path, default=None, help="folder for the services' data and logs (default: a temporary one, removed)")
    args = parser.parse_args(argv)

    # SIGTERM (e.g. from a CI timeout) ends like Ctrl-C: through the `with` below, which stops everything.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    root = args.root or Path(tempfile.mkdtemp(prefix="rvc-cluster-"))
    try:
        with LocalCluster(root, REPO_ROOT) as cluster:
            env = start_cluster(cluster)
            os.environ.update(cluster.variables)  # this process reads the same instance and settings
            first, last = args.first, args.last
            if first is None or last is None:
                from pipelines.partitions import yearly_partitions

                keys = yearly_partitions.get_partition_keys()
                first, last = first or int(keys[0]), last or int(keys[-1])
            print(f"services up (logs in {cluster.logs}); warehouse {env['RVC_WAREHOUSE']} on {env['AWS_ENDPOINT_URL']}")
            started = time.monotonic()
            run_backfill(first, last, workspace=Path(env["RVC_CLUSTER_WORKSPACE"]))
            print(f"backfill {first}–{last} done in {time.monotonic() - started:.0f} s on {len(WORKERS)} Celery workers")
            ui = f"DAGSTER_HOME=<instance folder> dagster-webserver -w deploy/workspace.cluster.yaml -h 127.0.0.1 -p {args.port}"
            if args.ui:
                webserver = str(Path(sys.executable).with_name("dagster-webserver"))
                cluster.start_process("dagster-webserver", [webserver, "-w", env["RVC_CLUSTER_WORKSPACE"], "-h", "127.0.0.1", "-p", str(args.port)], env)
                print(f"Dagster UI on http://127.0.0.1:{args.port} (runs, backfills, assets of this cluster); Ctrl-C stops everything")
                while True:
                    time.sleep(3600)
            print("The runs are in this cluster's PostgreSQL, which stops now. To browse them, run the demo with --ui")
            print("(`make cluster-demo UI=1`), which keeps the UI up until Ctrl-C; on a running cluster the UI is:")
            print(f"  {ui}")
    except ServiceUnavailable as problem:
        print(f"cluster-demo: {problem}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nstopping …")
    finally:
        if args.root is None:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
