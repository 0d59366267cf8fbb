"""DuckDB sessions for the heavy yearly stages, and atomic Parquet writes from a query.

What belongs here: how a connection is configured (memory limit, spill folder, threads, insertion order) and
how a query's result becomes a Parquet file. What does not: any data rule (those live with their stage).

Why these settings: a Comtrade year is 10–15 M rows, far more than a 2-core, 24 GB machine holds as pandas
frames, so the heavy stages run as DuckDB set operations over Parquet with a hard `memory_limit` and a spill
folder under the warehouse. `preserve_insertion_order` stays on: filters, projections and joins against small
tables keep the input's row order, so outputs are written in raw order and two runs give the same bytes
without sorting 15 M wide rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

# DuckDB memory_limit of one heavy step: with the step process and Dagster this keeps a 15 M-row year under
# 4 GiB of resident memory (docs/performance.md); the RVC_DUCKDB_MEMORY_LIMIT setting overrides it.
DEFAULT_MEMORY_LIMIT = "2GB"
TEMP_SUFFIX = ".parquet.tmp"  # a file being written; the IO manager removes ones a killed run left behind
PARQUET_OPTIONS = "FORMAT parquet, COMPRESSION zstd"  # DuckDB's default row groups: large ones serialize the write (measured 3x slower)
# fsspec filesystems (by protocol) that every new session reads URLs through, for a warehouse in object storage
# (pipelines.object_storage). Empty for a local warehouse, so local sessions are configured exactly as before.
_REMOTE_FILESYSTEMS: dict[str, object] = {}


def register_remote_filesystem(fs: object) -> None:
    """Let every DuckDB session opened from now on in this process read `fs`'s URLs (e.g. `s3://bucket/key`).

    Through fsspec (`register_filesystem`), not DuckDB's httpfs extension: that one is downloaded from the
    internet on first use, which a cluster without outbound access cannot do."""
    protocols = fs.protocol if isinstance(fs.protocol, (tuple, list)) else (fs.protocol,)
    _REMOTE_FILESYSTEMS.setdefault(protocols[0], fs)


@contextmanager
def duckdb_session(
    spill_dir: Path | None = None, memory_limit: str | None = None, threads: int | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB connection bounded by `memory_limit` that spills to `spill_dir` (created)."""
    config: dict[str, object] = {
        "memory_limit": memory_limit or DEFAULT_MEMORY_LIMIT,
        "preserve_insertion_order": True,
    }
    if threads:
        config["threads"] = threads
    if spill_dir is not None:
        spill_dir.mkdir(parents=True, exist_ok=True)
        config["temp_directory"] = str(spill_dir)
    con = duckdb.connect(":memory:", config=config)
    try:
        for filesystem in _REMOTE_FILESYSTEMS.values():
            con.register_filesystem(filesystem)
        yield con
    finally:
        con.close()


def sql_string(text: str | os.PathLike[str]) -> str:
    """A SQL string literal (single quotes doubled)."""
    return "'" + str(text).replace("'", "''") + "'"


def staged_path(final: Path) -> Path:
    """A unique temporary name beside `final` (same folder, so os.replace into place is atomic).

    Only the name is chosen; the writer creates the file, so it gets the permissions the umask gives (a
    mkstemp file would be 0600 and colleagues on a shared server could not read the warehouse).
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    return final.parent / f".{final.stem}.{uuid.uuid4().hex}{TEMP_SUFFIX}"


def write_query_to_parquet(con: duckdb.DuckDBPyConnection, query: str, destination: Path) -> int:
    """Write the result of `query` to `destination` (zstd Parquet); returns the row
    count. `destination` should be a temporary name that is renamed into place afterwards."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    con.execute(f"COPY ({query}) TO {sql_string(destination)} ({PARQUET_OPTIONS})")
    return int(con.execute(f"SELECT count(*) FROM read_parquet({sql_string(destination)})").fetchone()[0])


def copy_query_to_parquet(con: duckdb.DuckDBPyConnection, query: str, path: Path) -> int:
    """Write the result of `query` to `path` atomically; returns the row count.

    The file is written under a temporary name in the same folder and renamed, so a reader never sees half
    a file and a failed write leaves nothing behind.
    """
    temporary = staged_path(path)
    try:
        rows = write_query_to_parquet(con, query, temporary)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return rows


def parquet_relation(path: Path, with_position: bool = False) -> str:
    """SQL relation reading a Parquet file; with `_pos` (the row number in the file) when asked."""
    if with_position:
        return f"(SELECT * EXCLUDE (file_row_number), file_row_number AS _pos FROM read_parquet({sql_string(path)}, file_row_number = true))"
    return f"read_parquet({sql_string(path)})"
