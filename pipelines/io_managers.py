"""Parquet IO manager: `<warehouse>/<asset_key>/<year>.parquet` for yearly assets, `<warehouse>/<asset_key>.parquet` otherwise.

Writes go to a temporary file in the same folder and are renamed into place, so a crash or a failed
validation never leaves a half-written partition, and a re-run replaces the partition whole. Every write
reports row count, column schema, a Markdown preview and a content hash as Dagster metadata.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import dagster as dg
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

PREVIEW_ROWS = 10


def asset_path(warehouse: Path, asset_key: dg.AssetKey, partition_key: str | None) -> Path:
    base = warehouse.joinpath(*asset_key.path)
    return base / f"{partition_key}.parquet" if partition_key is not None else base.with_suffix(".parquet")


def write_parquet_atomically(frame: pd.DataFrame, path: Path) -> None:
    """Write `frame` to `path` through a temp file + rename (same folder, so the rename is atomic)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".parquet.tmp", dir=path.parent)
    os.close(fd)
    try:
        pq.write_table(table, tmp_name, compression="zstd")
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


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

    def handle_output(self, context: dg.OutputContext, obj: pd.DataFrame) -> None:
        if not isinstance(obj, pd.DataFrame):
            raise TypeError(f"{context.asset_key.to_user_string()} returned {type(obj).__name__}; expected a pandas DataFrame")
        partition_key = context.partition_key if context.has_partition_key else None
        path = self._path(context, partition_key)
        write_parquet_atomically(obj, path)
        context.add_output_metadata(output_metadata(obj, path))

    def load_input(self, context: dg.InputContext) -> pd.DataFrame:
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
        return pq.read_table(path).to_pandas()
