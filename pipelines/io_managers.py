"""Parquet IO manager: `<warehouse>/<asset_key>/<year>.parquet` for yearly assets, `<warehouse>/<asset_key>.parquet` otherwise.

Two kinds of output:
- a pandas DataFrame (small tables) is written to a temporary file in the same folder and renamed into place;
- a `ParquetTable` (the heavy yearly stages, written by DuckDB to `staged_path(...)` in the same folder)
  is renamed into place as it is, never loaded.
Either way a crash or a failed validation never leaves a half-written partition, a re-run replaces the
partition whole, and files get the permissions the umask gives. Every write reports row count, column
schema, a Markdown preview and a content hash as Dagster metadata.

After each write, `<warehouse>/rvc.duckdb` (one SQL view per asset, assets/exports/warehouse_views.py) is
rebuilt if it no longer names every stored asset or describes a moved warehouse, so runs from the UI, the
daemon and `rvc` all keep it current; a new year needs no rebuild (the views glob the year files).

Inputs are loaded as pandas, or as a `ParquetTable` pointing at the stored file when the asset's parameter
is annotated `ParquetTable` (so a 15 M-row year is never read into memory by accident), or as
`ParquetPartitions` (the stored files of all the input's partitions, for an unpartitioned asset reading
every year with DuckDB).

The warehouse may be a folder or an object-store URL (`RVC_WAREHOUSE=s3://bucket/prefix`,
`pipelines.object_storage`). For a URL every output is still written as a local file first (heavy stages
stage in the local working folder, small tables in `staging_dir`), then uploaded whole to its final key: an
object appears complete or not at all. Heavy inputs are handed over as URLs that DuckDB reads through
fsspec; `ParquetPartitions` (all years, for code that takes local file names) as local copies refreshed
when the object changed. The folder path is unchanged by this and does not touch fsspec.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import dagster as dg
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from upath import UPath

from assets.duckdb_session import TEMP_SUFFIX, register_remote_filesystem, staged_path
from assets.exports.warehouse_views import refresh_views
from assets.sources.extract_inventory import file_sha256
from assets.markdown_text import markdown_cell, markdown_table
from assets.tables import ParquetPartitions, ParquetTable, arrow_to_pandas
from pipelines.column_schemas import arrow_columns, column_schema_metadata, frame_columns
from pipelines.object_storage import is_remote, local_copy, upload_file, warehouse_root

PREVIEW_ROWS = 10


def asset_path(warehouse: Path | UPath, asset_key: dg.AssetKey, partition_key: str | None) -> Path | UPath:
    base = warehouse.joinpath(*asset_key.path)
    return base / f"{partition_key}.parquet" if partition_key is not None else base.with_suffix(".parquet")


def staged_output_path(warehouse_dir: str | Path, asset_name: str, partition_key: str | None) -> Path:
    """Where a heavy asset writes its output (a `ParquetTable`) for the IO manager to move into place.

    Temporaries a killed run left for the same partition are removed first."""
    final = asset_path(Path(warehouse_dir), dg.AssetKey(asset_name), partition_key)
    remove_stale_temporaries(final)
    return staged_path(final)


def remove_stale_temporaries(final: Path, keep: Path | None = None) -> list[Path]:
    """Delete temporary files of `final` left by a killed write (`.<stem>.*.parquet.tmp`), except `keep`."""
    removed = []
    if final.parent.is_dir():
        for leftover in final.parent.glob(f".{final.stem}.*{TEMP_SUFFIX}"):
            if keep is None or leftover.resolve() != keep.resolve():
                leftover.unlink(missing_ok=True)
                removed.append(leftover)
    return removed


def write_parquet_atomically(frame: pd.DataFrame, path: Path) -> None:
    """Write `frame` to `path` through a temp file + rename (same folder, so the rename is atomic)."""
    remove_stale_temporaries(path)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    temporary = staged_path(path)
    try:
        pq.write_table(table, temporary, compression="zstd")
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def move_into_place(table: ParquetTable, path: Path) -> None:
    """Rename a staged `ParquetTable` file to `path` (atomic when staged beside it, as `staged_path` does)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if table.path.resolve().parent == path.resolve().parent:
        os.replace(table.path, path)
    else:  # staged elsewhere (tests): copy beside the destination first, then rename
        temporary = staged_path(path)
        shutil.copyfile(table.path, temporary)
        os.replace(temporary, path)
    remove_stale_temporaries(path)


def parquet_output_metadata(table: ParquetTable, path: Path) -> dict[str, object]:
    """Metadata of a stored Parquet file, read from its footer and first rows (never the whole file)."""
    parquet = pq.ParquetFile(path)
    head = next(parquet.iter_batches(batch_size=PREVIEW_ROWS), None)
    preview = arrow_to_pandas(head) if head is not None else pd.DataFrame()
    schema = parquet.schema_arrow
    return {
        "dagster/row_count": parquet.metadata.num_rows,
        **column_schema_metadata(arrow_columns(schema)),
        "preview": dg.MetadataValue.md(markdown_preview(preview)),
        # DuckDB writes the same bytes for the same rows in the same order, so the file hash is the content hash.
        "content_hash": file_sha256(path),
        "path": dg.MetadataValue.path(str(path)),
        **dict(table.metadata),
    }


def content_hash(frame: pd.DataFrame) -> str:
    """A hash of the values and column names, independent of Parquet encoding details."""
    digest = hashlib.sha256()
    digest.update("\x1f".join(f"{c}:{t}" for c, t in frame.dtypes.astype(str).items()).encode())
    if len(frame):
        digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def markdown_preview(frame: pd.DataFrame, rows: int = PREVIEW_ROWS) -> str:
    head = frame.head(rows)
    if head.empty:
        return "_(no rows)_"
    cells = head.astype(object).where(head.notna(), "")
    return markdown_table([str(c) for c in cells.columns], [list(row) for row in cells.itertuples(index=False)], cell=markdown_cell)


def output_metadata(frame: pd.DataFrame, path: Path) -> dict[str, object]:
    return {
        "dagster/row_count": len(frame),
        **column_schema_metadata(frame_columns(frame)),
        "preview": dg.MetadataValue.md(markdown_preview(frame)),
        "content_hash": content_hash(frame),
        "path": dg.MetadataValue.path(str(path)),
    }


def upload_table(table: ParquetTable, remote: UPath) -> dict[str, object]:
    """Upload a staged `ParquetTable` file to `remote` as one object; returns its output metadata.

    The metadata (footer, preview, content hash) is read from the local file before the upload: the same
    bytes, without reading them back. A staging temporary is deleted once uploaded; a file staged elsewhere
    (tests) is left where it is, as `move_into_place` does."""
    metadata = parquet_output_metadata(table, table.path) | {"path": dg.MetadataValue.path(str(remote))}
    upload_file(table.path, remote)
    if table.path.name.endswith(TEMP_SUFFIX):
        table.path.unlink(missing_ok=True)
    return metadata


def upload_frame(frame: pd.DataFrame, remote: UPath, staging_dir: Path) -> None:
    """Write `frame` as Parquet to a local temporary file (the same bytes as `write_parquet_atomically`), then
    upload it to `remote` as one object; the temporary is removed whatever happens."""
    staging_dir.mkdir(parents=True, exist_ok=True)
    temporary = staged_path(staging_dir / f"{remote.stem}.parquet")
    try:
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), temporary, compression="zstd")
        upload_file(temporary, remote)
    finally:
        temporary.unlink(missing_ok=True)


def stored_names(folder: Path | UPath) -> set[str]:
    """File names in a warehouse folder, with one listing (one request for object storage)."""
    try:
        return {child.name for child in folder.iterdir()}
    except FileNotFoundError:
        return set()


def missing_partition_error(path: Path | UPath, asset_key: dg.AssetKey) -> FileNotFoundError:
    return FileNotFoundError(
        f"{path} does not exist: materialize {asset_key.to_user_string()} "
        "for that partition first (e.g. `make backfill`)"
    )


class ParquetIOManager(dg.ConfigurableIOManager):
    """Stores pandas DataFrames as Parquet files under the warehouse folder (or object-store URL)."""

    warehouse_dir: str
    # Local folder for temporaries and local copies when warehouse_dir is a URL (unused for a folder);
    # None: a folder in the system temporary directory.
    staging_dir: str | None = None

    def _path(self, context: dg.OutputContext | dg.InputContext, partition_key: str | None) -> Path | UPath:
        return asset_path(warehouse_root(self.warehouse_dir), context.asset_key, partition_key)

    def _staging(self) -> Path:
        return Path(self.staging_dir) if self.staging_dir else Path(tempfile.gettempdir()) / "rvc-staging"

    def handle_output(self, context: dg.OutputContext, obj: pd.DataFrame | ParquetTable) -> None:
        # An unpartitioned asset in a partitioned run (hs_conversion_weights in yearly_refresh) has a run
        # partition key but no asset partition: it is stored unpartitioned.
        partition_key = context.asset_partition_key if context.has_asset_partitions else None
        path = self._path(context, partition_key)
        if is_remote(path):
            self._upload(context, obj, path)
            return
        if isinstance(obj, ParquetTable):
            move_into_place(obj, path)
            context.add_output_metadata(parquet_output_metadata(obj, path))
        elif isinstance(obj, pd.DataFrame):
            write_parquet_atomically(obj, path)
            context.add_output_metadata(output_metadata(obj, path))
        else:
            raise TypeError(f"{context.asset_key.to_user_string()} returned {type(obj).__name__}; expected a pandas DataFrame")
        self._refresh_views(context)

    def _refresh_views(self, context: dg.OutputContext) -> None:
        # The SQL views are a convenience: a failure to rebuild them is a warning, never a failed asset.
        try:
            if refresh_views(Path(self.warehouse_dir)):
                context.log.info(f"rebuilt {Path(self.warehouse_dir) / 'rvc.duckdb'} (SQL views over the warehouse)")
        except Exception as error:  # noqa: BLE001 — any failure here must not fail the run
            context.log.warning(f"could not rebuild the SQL views in {self.warehouse_dir}/rvc.duckdb: {error}")

    def _upload(self, context: dg.OutputContext, obj: pd.DataFrame | ParquetTable, path: UPath) -> None:
        if isinstance(obj, ParquetTable):
            context.add_output_metadata(upload_table(obj, path))
            return
        if not isinstance(obj, pd.DataFrame):
            raise TypeError(f"{context.asset_key.to_user_string()} returned {type(obj).__name__}; expected a pandas DataFrame")
        upload_frame(obj, path, self._staging() / "outputs")
        context.add_output_metadata(output_metadata(obj, path))

    def load_input(self, context: dg.InputContext) -> pd.DataFrame | ParquetTable | ParquetPartitions:
        if context.dagster_type.typing_type is ParquetTable:
            return self._table(context)
        if context.dagster_type.typing_type is ParquetPartitions:
            return self._partitions(context)
        if not context.has_asset_partitions:
            return self._read(self._path(context, None), context)
        keys = sorted(context.asset_partition_keys)
        if len(keys) == 1:
            return self._read(self._path(context, keys[0]), context)
        # Several partitions (an unpartitioned asset reading all years): the materialized years, stacked in
        # order. Years never materialized are named in the log, so a partial backfill still gives a panel.
        present = [key for key in keys if self._path(context, key).exists()]
        missing = [key for key in keys if key not in present]
        if not present:
            return self._read(self._path(context, keys[0]), context)  # raises with the instruction to materialize
        if missing:
            context.log.warning(
                f"{context.asset_key.to_user_string()}: {len(missing)} of {len(keys)} partitions not materialized "
                f"({', '.join(missing[:10])}{' …' if len(missing) > 10 else ''}); stacking the {len(present)} that are"
            )
        return pd.concat([self._read(self._path(context, key), context) for key in present], ignore_index=True)

    def _read(self, path: Path | UPath, context: dg.InputContext) -> pd.DataFrame:
        if not path.exists():
            raise missing_partition_error(path, context.asset_key)
        if is_remote(path):
            with path.open("rb") as handle:
                table = pq.read_table(handle)
        else:
            table = pq.read_table(path)
        if b"pandas" in (table.schema.metadata or {}):
            return table.to_pandas()
        # Written by DuckDB (no pandas metadata): nullable integers and booleans as the contracts declare them.
        return arrow_to_pandas(table)

    def _table(self, context: dg.InputContext) -> ParquetTable:
        keys = sorted(context.asset_partition_keys) if context.has_asset_partitions else [None]
        if len(keys) != 1:
            raise ValueError(f"{context.asset_key.to_user_string()}: a ParquetTable input is one partition, got {len(keys)}")
        path = self._path(context, keys[0])
        if not path.exists():
            raise missing_partition_error(path, context.asset_key)
        if is_remote(path):
            # The consuming step's DuckDB sessions read the URL through fsspec; the footer gives the row count.
            register_remote_filesystem(path.fs)
            with path.open("rb") as handle:
                return ParquetTable(path=path, rows=pq.ParquetFile(handle).metadata.num_rows)
        return ParquetTable(path=path, rows=pq.ParquetFile(path).metadata.num_rows)

    def _partitions(self, context: dg.InputContext) -> ParquetPartitions:
        """The stored files of the input's partitions (all years for an unpartitioned consumer); missing years
        are named in the log, not an error, so weights pooled over a partial backfill still build."""
        keys = sorted(context.asset_partition_keys) if context.has_asset_partitions else [None]
        if is_remote(self._path(context, keys[0])):
            return self._remote_partitions(context, keys)
        present = [key for key in keys if self._path(context, key).exists()]
        missing = [key for key in keys if key not in present and key is not None]
        if missing:
            context.log.warning(
                f"{context.asset_key.to_user_string()}: {len(missing)} of {len(keys)} partitions not materialized "
                f"({', '.join(missing[:10])}{' …' if len(missing) > 10 else ''}); reading the {len(present)} that are"
            )
        return ParquetPartitions(
            paths=tuple(self._path(context, key) for key in present),
            keys=tuple(str(key) for key in present),
            missing=tuple(missing),
        )

    def _remote_partitions(self, context: dg.InputContext, keys: list[str | None]) -> ParquetPartitions:
        """`ParquetPartitions` of an asset in object storage: one listing finds the stored years, and each is
        handed over as a local copy (downloaded only when the object changed), because its consumers take
        local file names (`assets.transforms.harmonization.hs_conversion.pooled_h0_trade` makes a `pathlib.Path` of each)."""
        paths = {key: self._path(context, key) for key in keys}
        names = stored_names(paths[keys[0]].parent)
        present = [key for key in keys if paths[key].name in names]
        missing = [key for key in keys if key not in present and key is not None]
        if missing:
            context.log.warning(
                f"{context.asset_key.to_user_string()}: {len(missing)} of {len(keys)} partitions not materialized "
                f"({', '.join(missing[:10])}{' …' if len(missing) > 10 else ''}); reading the {len(present)} that are"
            )
        cache = self._staging() / "copies" / context.asset_key.to_python_identifier()
        return ParquetPartitions(
            paths=tuple(local_copy(paths[key], cache) for key in present),
            keys=tuple(str(key) for key in present),
            missing=tuple(missing),
        )
