"""Throwaway local services for the cluster demo and its test: PostgreSQL, Redis, an S3-compatible server
(moto) and Celery workers, each on 127.0.0.1, each stopped by the `LocalCluster` that started it.

What belongs here: starting and stopping processes and waiting until they answer. What does not: anything
about the pipeline (scripts/cluster_demo.py and tests/cluster/ drive the runs).

PostgreSQL: Debian's server binaries under /usr/lib/postgresql/<version>/bin, a fresh cluster made by
initdb in a temporary folder, trust authentication on 127.0.0.1 only. initdb refuses to run as root, so
as root the cluster is made and run as the unprivileged `postgres` user Debian's package creates.
deploy/dagster.postgres.yaml is used as is, and it names port 5432, so the server listens there.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import AbstractContextManager
from pathlib import Path

PG_PORT = 5432  # fixed by deploy/dagster.postgres.yaml
PG_USER = "rvc"
PG_DB = "rvc"
S3_BUCKET = "rvc-warehouse"
# moto accepts any key; these only have to be non-empty for the AWS client libraries.
S3_TEST_KEY = "test"


class ServiceUnavailable(RuntimeError):
    """A service cannot be started here (binary missing, port taken); the message says which and what to do."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_for_port(port: int, what: str, process: subprocess.Popen | None, timeout: float = 30.0, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_in_use(port):
            return
        if process is not None and process.poll() is not None:
            break
        time.sleep(0.2)
    detail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
    raise ServiceUnavailable(f"{what} did not answer on 127.0.0.1:{port} within {timeout:.0f} s\n{detail}")


def postgres_bin_dir() -> Path:
    """The newest PostgreSQL server binaries Debian's `postgresql` package installed."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name))
    if not candidates:
        raise ServiceUnavailable("PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin); run `make cluster-deps`")
    return Path(candidates[-1]).parent


def required_binary(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise ServiceUnavailable(f"{name} not found on PATH; run `make cluster-deps` (installs Debian's redis-server and postgresql)")
    return found


class LocalCluster(AbstractContextManager):
    """Starts services on 127.0.0.1 under `root` and stops every one of them on exit (also on error).

    env() gives the variables the pipeline, Dagster and the workers need to find them."""

    def __init__(self, root: Path, repo_root: Path) -> None:
        self.root = root
        self.repo_root = repo_root
        self.processes: list[tuple[str, subprocess.Popen]] = []
        self.stops: list[tuple[str, list[str]]] = []
        self.variables: dict[str, str] = {}
        self.cleanups: list[Path] = []  # folders outside `root` to remove on stop
        self.pg_log: Path | None = None
        self.logs = root / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)

    # ------------------------------------------------------------------------------------------- plumbing

    def env(self) -> dict[str, str]:
        return {**os.environ, **self.variables}

    def _spawn(self, name: str, args: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "ab")
        # Own process group, so stopping a service also stops what it forked (Celery's pool children).
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env or self.env(), cwd=cwd, start_new_session=True)
        self.processes.append((name, process))
        return process

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        for name, process in reversed(self.processes):
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
        self.processes.clear()
        for _name, command in reversed(self.stops):
            subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        self.stops.clear()
        if self.pg_log is not None and self.pg_log.exists() and not self.pg_log.is_relative_to(self.root):
            shutil.copyfile(self.pg_log, self.logs / "postgres.log")  # keep the log with the others
        for folder in self.cleanups:
            shutil.rmtree(folder, ignore_errors=True)
        self.cleanups.clear()

    # ------------------------------------------------------------------------------------------- services

    def start_s3(self) -> str:
        """moto's S3-compatible server, with the warehouse bucket; returns the endpoint URL."""
        port = free_port()
        log = self.logs / "moto.log"
        process = self._spawn("moto", [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)])
        wait_for_port(port, "moto S3 server", process, log=log)
        endpoint = f"http://127.0.0.1:{port}"
        self.variables.update(
            AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID=S3_TEST_KEY, AWS_SECRET_ACCESS_KEY=S3_TEST_KEY, AWS_DEFAULT_REGION="us-east-1"
        )
        request = urllib.request.Request(f"{endpoint}/{S3_BUCKET}", method="PUT")
        urllib.request.urlopen(request, timeout=10).close()  # create the bucket (moto needs no signature)
        return endpoint

    def start_redis(self) -> str:
        """Debian's redis-server, in memory only (no dump file); returns the broker URL."""
        binary = required_binary("redis-server")
        port = free_port()
        process = self._spawn(
            "redis", [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no", "--dir", str(self.root)]
        )
        wait_for_port(port, "redis-server", process, log=self.logs / "redis.log")
        url = f"redis://127.0.0.1:{port}/0"
        self.variables["RVC_CELERY_BROKER"] = url
        return url

    def start_postgres(self) -> None:
        """A throwaway PostgreSQL cluster on 127.0.0.1:5432 with database `rvc`; sets the RVC_PG_* variables
        deploy/dagster.postgres.yaml reads."""
        if port_in_use(PG_PORT):
            raise ServiceUnavailable(
                f"127.0.0.1:{PG_PORT} is taken (deploy/dagster.postgres.yaml names that port): stop the PostgreSQL using it first"
            )
        bin_dir = postgres_bin_dir()
        as_user: list[str] = []
        pg_root = self.root / "postgres"
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root: Debian's `postgres` user runs them
            as_user = [required_binary("runuser"), "-u", "postgres", "--"]
            # In a folder of its own under the system temp dir: `postgres` cannot enter root's private folders.
            pg_root = Path(tempfile.mkdtemp(prefix="rvc-pg-"))
            self.cleanups.append(pg_root)
            shutil.chown(pg_root, user="postgres")
        pg_root.mkdir(exist_ok=True)
        data = pg_root / "data"
        sockets = pg_root / "socket"
        log = pg_root / "postgres.log"
        self.pg_log = log
        subprocess.run([*as_user, "mkdir", "-p", str(sockets)], check=True)
        initdb = subprocess.run(
            [*as_user, str(bin_dir / "initdb"), "-D", str(data), "-U", PG_USER, "--auth=trust", "-E", "UTF8", "--no-sync"],
            capture_output=True, text=True, check=False,
        )
        if initdb.returncode != 0:
            raise ServiceUnavailable(f"initdb failed: {initdb.stderr.strip()[-1000:]}")
        options = f"-p {PG_PORT} -h 127.0.0.1 -k {sockets} -c fsync=off"
        pg_ctl = [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data)]
        started = subprocess.run([*pg_ctl, "-o", options, "-l", str(log), "-w", "start"], capture_output=True, text=True, check=False)
        self.stops.append(("postgres", [*pg_ctl, "-m", "fast", "-w", "stop"]))
        if started.returncode != 0:
            raise ServiceUnavailable(f"PostgreSQL did not start: {started.stderr.strip()}\n{log.read_text(errors='replace')[-1500:] if log.exists() else ''}")
        created = subprocess.run(
            [str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(PG_PORT), "-U", PG_USER, PG_DB], capture_output=True, text=True, check=False
        )
        if created.returncode != 0:
            raise ServiceUnavailable(f"createdb failed: {created.stderr.strip()}")
        # Trust authentication on 127.0.0.1 for a throwaway cluster: any password is accepted, none is stored.
        self.variables.update(RVC_PG_HOST="127.0.0.1", RVC_PG_USER=PG_USER, RVC_PG_PASSWORD="unused-trust-auth", RVC_PG_DB=PG_DB)

    def start_celery_worker(self, name: str, celery_yaml: Path, env: dict[str, str]) -> subprocess.Popen:
        """One `dagster-celery` worker that runs one step at a time (the heavy steps' memory bound is per step)."""
        dagster_celery = str(Path(sys.executable).with_name("dagster-celery"))
        return self._spawn(
            f"celery-{name}",
            [dagster_celery, "worker", "start", "-A", "dagster_celery.app", "-y", str(celery_yaml), "-n", name, "--", "--concurrency=1"],
            env=env,
            cwd=self.repo_root,
        )

    def start_process(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
        """Any other long-running process (the Dagster daemon, the webserver) stopped with the services."""
        return self._spawn(name, args, env=env, cwd=self.repo_root)
