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
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import dagster as dg
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from assets.duckdb_session import TEMP_SUFFIX, staged_path
from assets.exports.warehouse_views import refresh_views
from assets.sources.extract_inventory import file_sha256
from assets.tables import ParquetPartitions, ParquetTable, arrow_to_pandas

PREVIEW_ROWS = 10


def asset_path(warehouse: Path, asset_key: dg.AssetKey, partition_key: str | None) -> Path:
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
        "dagster/column_schema": dg.TableSchema(columns=[dg.TableColumn(name=f.name, type=str(f.type)) for f in schema]),
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


def table_schema(frame: pd.DataFrame) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[dg.TableColumn(name=str(name), type=str(dtype)) for name, dtype in frame.dtypes.items()]
    )


def markdown_preview(frame: pd.DataFrame, rows: int = PREVIEW_ROWS) -> str:
    head = frame.head(rows)
    if head.empty:
        return "_(no rows)_"
    cells = head.astype(object).where(head.notna(), "")
    lines = ["| " + " | ".join(map(str, cells.columns)) + " |", "|" + "---|" * len(cells.columns)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in cells.itertuples(index=False)]
    return "\n".join(lines)


def output_metadata(frame: pd.DataFrame, path: Path) -> dict[str, object]:
    return {
        "dagster/row_count": len(frame),
        "dagster/column_schema": table_schema(frame),
        "preview": dg.MetadataValue.md(markdown_preview(frame)),
        "content_hash": content_hash(frame),
        "path": dg.MetadataValue.path(str(path)),
    }


class ParquetIOManager(dg.ConfigurableIOManager):
    """Stores pandas DataFrames as Parquet files under the warehouse folder."""

    warehouse_dir: str

    def _path(self, context: dg.OutputContext | dg.InputContext, partition_key: str | None) -> Path:
        return asset_path(Path(self.warehouse_dir), context.asset_key, partition_key)

    def handle_output(self, context: dg.OutputContext, obj: pd.DataFrame | ParquetTable) -> None:
        # An unpartitioned asset in a partitioned run (hs_conversion_weights in yearly_refresh) has a run
        # partition key but no asset partition: it is stored unpartitioned.
        partition_key = context.asset_partition_key if context.has_asset_partitions else None
        path = self._path(context, partition_key)
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

    def _read(self, path: Path, context: dg.InputContext) -> pd.DataFrame:
        if not path.exists():
            raise FileNotFoundError(
                f"{path} does not exist: materialize {context.asset_key.to_user_string()} "
                "for that partition first (e.g. `make backfill`)"
            )
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
            raise FileNotFoundError(
                f"{path} does not exist: materialize {context.asset_key.to_user_string()} "
                "for that partition first (e.g. `make backfill`)"
            )
        return ParquetTable(path=path, rows=pq.ParquetFile(path).metadata.num_rows)

    def _partitions(self, context: dg.InputContext) -> ParquetPartitions:
        """The stored files of the input's partitions (all years for an unpartitioned consumer); missing years
        are named in the log, not an error, so weights pooled over a partial backfill still build."""
        keys = sorted(context.asset_partition_keys) if context.has_asset_partitions else [None]
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
