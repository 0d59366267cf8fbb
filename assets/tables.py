"""`ParquetTable`: a yearly table too big for pandas, passed between assets as a Parquet file.

The heavy stages (raw, cleaning) write their outputs with DuckDB straight to a staged Parquet file and return
a `ParquetTable`; the IO manager moves the file into the warehouse, and downstream heavy stages receive a
`ParquetTable` pointing at the stored file instead of a frame. Small consumers can still ask for pandas.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

# Parquet written by DuckDB carries no pandas metadata: integers and booleans are read back as the nullable
# dtypes the contracts declare (Int64, boolean), not numpy int64/bool (or float64 where a value is missing).
ARROW_TO_PANDAS = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}


def arrow_to_pandas(table: pa.Table | pa.RecordBatch) -> pd.DataFrame:
    """An Arrow table as pandas with the contract dtypes (Int64, boolean, str), whatever wrote it."""
    return table.to_pandas(types_mapper=ARROW_TO_PANDAS.get)


@dataclass(frozen=True)
class ParquetTable:
    """A Parquet file and what is known about it.

    path: the staged file an asset wrote, or the stored file the IO manager loaded (a `UPath` URL when the
        warehouse is in object storage; DuckDB sessions read it through fsspec).
    rows: its row count.
    validated_as: the name of the pandera schema it passed (set by `pipelines.table_validation`), else None.
    metadata: extra Dagster-ready metadata the asset wants recorded with the output.
    """

    path: Path
    rows: int
    validated_as: str | None = None
    metadata: tuple[tuple[str, object], ...] = ()

    def validated(self, schema_name: str) -> ParquetTable:
        return replace(self, validated_as=schema_name)

    def with_metadata(self, **metadata: object) -> ParquetTable:
        return replace(self, metadata=self.metadata + tuple(metadata.items()))

    def to_pandas(self, columns: list[str] | None = None) -> pd.DataFrame:
        """The table as pandas (only for tables known to be small, and for tests)."""
        if not isinstance(self.path, (str, os.PathLike)):  # in object storage (a UPath): read through fsspec
            with self.path.open("rb") as handle:
                return arrow_to_pandas(pq.read_table(handle, columns=columns))
        return arrow_to_pandas(pq.read_table(self.path, columns=columns))


@dataclass(frozen=True)
class ParquetPartitions:
    """The stored Parquet files of every partition of a yearly asset (for an unpartitioned asset that reads
    all years with DuckDB, never as one frame).

    paths: the files that exist, in partition order. keys: their partition keys.
    missing: partition keys of the asset that have no stored file (never materialized).
    """

    paths: tuple[Path, ...]
    keys: tuple[str, ...]
    missing: tuple[str, ...] = ()
