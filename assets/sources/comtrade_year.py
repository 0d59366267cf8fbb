"""One year of Comtrade rows from the per-file Parquet caches, written by DuckDB without passing through pandas.

What belongs here: the query that stacks the cached extracts of a year (files in name order, rows in file
order) under the comtrade_raw contract, with each file's location facts (relative name, API query, retrieval
time), which are not part of its cached content; and, for the files this year quarantines, their rows of
implausible years (`year_range`), which cleaning then rejects as `year_implausible`. Converting extracts to
the cache is `comtrade_readers`' job; which files hold which year is the manifest's.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from assets.duckdb_session import sql_string, write_query_to_parquet
from assets.sources.year_range import implausible_year_sql
from assets.vocabulary import COMTRADE_RAW_COLUMNS, LOCATION_COLUMNS

# pandas dtype of the contract → DuckDB type written to Parquet (read back by pyarrow as the same Arrow type).
DUCKDB_TYPES = {"str": "VARCHAR", "Int64": "BIGINT", "boolean": "BOOLEAN", "float64": "DOUBLE"}


@dataclass(frozen=True)
class CachedExtract:
    """An extract file's cached canonical rows and where the file sits (`source_file`, relative to the
    extracts folder) and how it was fetched (`api_query`, `retrieved_at` from its query sidecar).

    `located`: the cache file already carries those location columns (a cache built with a FileLocation);
    `years`: the refYears its rows hold, when known (the manifest's);
    `quarantine_implausible`: this year also takes the file's rows of implausible years (they belong to no
    partition; the manifest picks one year per file to carry them into comtrade_rejects)."""

    cache_path: Path
    source_file: str
    api_query: str | None = None
    retrieved_at: str | None = None
    located: bool = False
    years: tuple[int, ...] = ()
    quarantine_implausible: bool = False


def _select(extract: CachedExtract, year: int) -> str:
    location = {"source_file": extract.source_file, "api_query": extract.api_query, "retrieved_at": extract.retrieved_at}
    columns = []
    for name, dtype in COMTRADE_RAW_COLUMNS.items():
        value = location[name] if name in LOCATION_COLUMNS else None
        expression = (sql_string(value) if value is not None else "NULL") if name in LOCATION_COLUMNS else f'"{name}"'
        columns.append(f'CAST({expression} AS {DUCKDB_TYPES[dtype]}) AS "{name}"')
    rows = f"refYear = {int(year)}"
    if extract.quarantine_implausible:
        rows += f" OR {implausible_year_sql('refYear')}"
    return f"SELECT {', '.join(columns)} FROM read_parquet({sql_string(extract.cache_path)}) WHERE {rows}"


def raw_year_query(extracts: list[CachedExtract], year: int) -> str:
    """SQL of the year's rows from `extracts`, in the order given (DuckDB keeps UNION ALL order)."""
    if not extracts:
        columns = ", ".join(f'CAST(NULL AS {DUCKDB_TYPES[dtype]}) AS "{name}"' for name, dtype in COMTRADE_RAW_COLUMNS.items())
        return f"SELECT {columns} WHERE FALSE"
    return "\nUNION ALL\n".join(_select(extract, year) for extract in extracts)


def write_raw_year(con: duckdb.DuckDBPyConnection, extracts: list[CachedExtract], year: int, destination: Path) -> int:
    """Write the year's rows to `destination` (Parquet, a staged name); returns the row count.

    A year held by one located extract whose rows are all of that year (a Comtrade+ bulk file is one year of
    one reporter set) is that cache file already — same columns, types, rows and order as the stacking query
    gives — so it is copied rather than rewritten (a 15 M-row rewrite costs about as long as the conversion).
    """
    only = extracts[0] if len(extracts) == 1 else None
    if only is not None and only.located and only.years == (int(year),) and not only.quarantine_implausible:
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(only.cache_path, destination)  # a new file: permissions follow the umask
        return int(con.execute(f"SELECT count(*) FROM read_parquet({sql_string(destination)})").fetchone()[0])
    return write_query_to_parquet(con, raw_year_query(extracts, year), destination)
