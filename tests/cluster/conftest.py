"""Fixtures for the object-storage and cluster tests: an S3-compatible server (moto) started for the session.

The services come from scripts/cluster_services.py, the same code `make cluster-demo` uses. A test that
needs one skips, saying why, when it cannot be started here (package or binary missing)."""

from __future__ import annotations

import importlib.util
import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "scripts"))

import cluster_services  # noqa: E402  (a script folder, not a package)


@pytest.fixture(autouse=True)
def _no_remote_filesystems_left_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    """DuckDB sessions register the object-store filesystems a test's IO manager loaded from (a process-wide
    list); each test starts and ends with none, so no other test's sessions see this session's S3 server."""
    from assets import duckdb_session

    monkeypatch.setattr(duckdb_session, "_REMOTE_FILESYSTEMS", {})


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """moto's S3 server on 127.0.0.1 with the bucket `rvc-warehouse`; AWS_* variables point s3fs at it."""
    for module in ("moto", "s3fs"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed: `pip install -c constraints.txt -e '.[cluster]'` (make test does)")
    cluster = cluster_services.LocalCluster(tmp_path_factory.mktemp("s3"), REPO_ROOT)
    with cluster, pytest.MonkeyPatch.context() as patch:
        endpoint = cluster.start_s3()
        for name, value in cluster.variables.items():
            patch.setenv(name, value)
        import s3fs

        s3fs.S3FileSystem.clear_instance_cache()  # a cached client would keep an older endpoint
        yield endpoint
        s3fs.S3FileSystem.clear_instance_cache()


@pytest.fixture
def s3_warehouse(s3_endpoint: str) -> str:
    """A fresh prefix in the bucket for one test."""
    return f"s3://{cluster_services.S3_BUCKET}/t-{uuid.uuid4().hex[:12]}"


def list_objects(url: str) -> list[str]:
    """Every object under `url`, relative to it, sorted (a fresh client, so nothing cached hides one)."""
    import s3fs

    fs = s3fs.S3FileSystem(skip_instance_cache=True, endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    root = url.removeprefix("s3://")
    return sorted(path.removeprefix(root + "/") for path in fs.find(root))


@pytest.fixture
def object_keys(s3_endpoint: str):
    return list_objects
