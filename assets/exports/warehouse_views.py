"""What the warehouse holds, and `rvc.duckdb`: one DuckDB view per stored asset, so SQL needs no file paths.

Belongs here: listing the stored assets from the folder layout the IO manager writes (yearly assets in
`<warehouse>/<asset>/<year>.parquet`, the others in `<warehouse>/<asset>.parquet`), the SQL of each view,
building the database file atomically and deciding whether it is stale. Not here: any data rule.

Why absolute paths: DuckDB resolves a relative path in a view against the working directory of the process
that queries it (or `file_search_path`, a session setting that is not stored in the file), never against the
database file, so views with relative paths break as soon as a user runs `duckdb warehouse/rvc.duckdb` from
elsewhere. The views therefore name the warehouse by its absolute path, the database records that path, and
the file is rebuilt whenever the warehouse it describes has moved (or an asset appeared or disappeared).

Why it rarely needs rebuilding: a view over `<asset>/*.parquet` is re-read at every query, so a new year of an
asset, or a new column, shows up without a rebuild; only the set of views depends on what is stored.

Atomic: the file is built under a temporary name beside the final one and renamed into place, so a reader
never sees half a database, and a session that has the old file open keeps reading the old file.
"""

from __future__ import annotations

import fcntl
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from assets.duckdb_session import sql_string

DATABASE_NAME = "rvc.duckdb"
CATALOG_TABLE = "rvc_views"  # one row per view: what it reads, and the warehouse it was built for


@dataclass(frozen=True)
class StoredAsset:
    """An asset the warehouse holds: its name, whether it is stored by year, and the files it lives in."""

    name: str
    partitioned: bool
    pattern: Path  # the glob `<warehouse>/<asset>/*.parquet` or the single file `<warehouse>/<asset>.parquet`

    @property
    def kind(self) -> str:
        return "yearly" if self.partitioned else "single"


def database_path(warehouse: Path) -> Path:
    return Path(warehouse) / DATABASE_NAME


def _is_view_name(name: str) -> bool:
    # Folders and files the IO manager writes are asset keys (snake_case); hidden ones are caches/temporaries.
    return not name.startswith(".") and name.replace("_", "a").isalnum()


def stored_assets(warehouse: Path) -> list[StoredAsset]:
    """Every asset with at least one Parquet file in `warehouse`, sorted by name.

    A folder holding `*.parquet` is a yearly asset; a top-level `<name>.parquet` is an unpartitioned one.
    Hidden folders (`.cache`), temporaries (`*.parquet.tmp`) and folders without Parquet (`rvc_report/`)
    are not assets.
    """
    warehouse = Path(warehouse).resolve()
    if not warehouse.is_dir():
        return []
    assets = []
    for entry in sorted(warehouse.iterdir()):
        if entry.is_dir() and _is_view_name(entry.name) and any(entry.glob("*.parquet")):
            assets.append(StoredAsset(entry.name, True, entry / "*.parquet"))
        elif entry.is_file() and entry.suffix == ".parquet" and _is_view_name(entry.stem):
            assets.append(StoredAsset(entry.stem, False, entry))
    return assets


def find_asset(warehouse: Path, name: str) -> StoredAsset:
    """The stored asset `name`, or an error listing the assets the warehouse holds."""
    assets = {asset.name: asset for asset in stored_assets(warehouse)}
    if name not in assets:
        held = ", ".join(assets) or "none (run `rvc demo` or `rvc backfill` first)"
        raise LookupError(f"no asset {name!r} in the warehouse {Path(warehouse).resolve()}; stored assets: {held}")
    return assets[name]


def view_sql(asset: StoredAsset) -> str:
    """CREATE VIEW over the asset's Parquet (years stacked by column name, so a year written with an extra
    column still reads)."""
    source = f"read_parquet({sql_string(asset.pattern)}, union_by_name = true)" if asset.partitioned else (
        f"read_parquet({sql_string(asset.pattern)})"
    )
    return f'CREATE VIEW "{asset.name}" AS SELECT * FROM {source}'


def _catalog_rows(warehouse: Path, assets: list[StoredAsset]) -> list[tuple[str, str, str, str]]:
    return [(a.name, a.kind, str(a.pattern), str(Path(warehouse).resolve())) for a in assets]


def build_views_database(warehouse: Path, destination: Path | None = None) -> Path:
    """Write `rvc.duckdb` (or `destination`) with one view per stored asset and the `rvc_views` catalog; atomic."""
    warehouse = Path(warehouse).resolve()
    destination = Path(destination) if destination is not None else database_path(warehouse)
    destination.parent.mkdir(parents=True, exist_ok=True)
    # One builder at a time (the lock file beside the database): under the lock, a temporary of this database
    # can only be one a killed builder left, so it is removed rather than left forever.
    with destination.with_name(f".{destination.name}.lock").open("a") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            for stale in destination.parent.glob(f".{destination.name}.*.tmp*"):
                stale.unlink(missing_ok=True)
            return _write_views_database(warehouse, destination)
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def _write_views_database(warehouse: Path, destination: Path) -> Path:
    assets = stored_assets(warehouse)
    temporary = destination.with_name(f".{destination.name}.{uuid.uuid4().hex}.tmp")
    try:
        con = duckdb.connect(str(temporary))
        try:
            con.execute(f"CREATE TABLE {CATALOG_TABLE} (view_name VARCHAR, kind VARCHAR, reads VARCHAR, warehouse VARCHAR)")
            con.executemany(f"INSERT INTO {CATALOG_TABLE} VALUES (?, ?, ?, ?)", _catalog_rows(warehouse, assets))
            for asset in assets:
                con.execute(view_sql(asset))
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(temporary, destination)
    except BaseException:
        temporary.unlink(missing_ok=True)
        Path(f"{temporary}.wal").unlink(missing_ok=True)
        raise
    return destination


def recorded_catalog(database: Path) -> list[tuple[str, str, str, str]] | None:
    """The `rvc_views` rows of an existing database, or None when it is missing or cannot be read (a user's
    session holding the write lock, an old or damaged file): either way, rebuild."""
    if not Path(database).is_file():
        return None
    try:
        con = duckdb.connect(str(database), read_only=True)
    except duckdb.Error:
        return None
    try:
        return [tuple(row) for row in con.execute(f"SELECT * FROM {CATALOG_TABLE} ORDER BY view_name").fetchall()]
    except duckdb.Error:
        return None
    finally:
        con.close()


def views_are_current(warehouse: Path, database: Path | None = None) -> bool:
    """True when the database names exactly the stored assets, in this warehouse folder (not a moved copy)."""
    database = Path(database) if database is not None else database_path(warehouse)
    return recorded_catalog(database) == _catalog_rows(warehouse, stored_assets(warehouse))


def refresh_views(warehouse: Path, force: bool = False) -> bool:
    """Rebuild `rvc.duckdb` when it is missing or stale (or always with `force`); True when it was rebuilt."""
    if not force and views_are_current(warehouse):
        return False
    build_views_database(warehouse)
    return True
