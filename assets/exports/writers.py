"""Writing a selection to CSV, Parquet, Stata (.dta) or Excel (.xlsx), with its data dictionary beside it.

Belongs here: the formats, their limits and their naming rules; writing through a temporary file renamed into
place, so a failed export leaves no half file. Not here: which rows (selection.py), descriptions (dictionary.py).

CSV and Parquet are written by DuckDB straight from the Parquet warehouse (a 10 M-row year of trade_flows never
passes through pandas). Stata and Excel files are built in memory by pandas, so they are refused above the
formats' limits, naming the limit and the filters that shrink the selection:
- Excel: 1,048,576 rows per sheet including the header row, 16,384 columns, 32,767 characters in a cell
  (Microsoft, "Excel specifications and limits").
- Stata .dta format 118 (Stata 14+, UTF-8): at most 32,767 variables, 2,147,483,647 observations; variable names
  of 1–32 characters, letters, digits and underscores, not starting with a digit, not a reserved word; variable
  labels up to 80 characters; strings up to 2,045 bytes as str# (pandas sizes each column to its longest value),
  longer ones as strL, which pandas chooses by itself for format 118 (Stata manual, [P] file formats .dta; [D] limits).
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import duckdb
import pandas as pd

from assets.duckdb_session import sql_string
from assets.exports.dictionary import DICTIONARY_COLUMNS
from assets.exports.selection import Selection

FORMATS = {".csv": "csv", ".parquet": "parquet", ".dta": "stata", ".xlsx": "excel"}
EXCEL_MAX_ROWS = 1_048_576 - 1  # one row is the header
EXCEL_MAX_COLUMNS = 16_384
EXCEL_MAX_CELL_CHARS = 32_767
STATA_MAX_ROWS = 2_147_483_647
STATA_MAX_VARIABLES = 32_767
STATA_NAME_LENGTH = 32
STATA_LABEL_LENGTH = 80
STATA_DTA_VERSION = 118
# Stata's reserved names ([U] 11.3 Naming conventions) and Mata's reserved words, the list pandas renames
# (it would rename such a column on its own, and the dictionary's stata_name would then be wrong).
STATA_RESERVED = frozenset(
    "_all _b byte _coef _cons double float if in int long _n _N _pi _pred _rc _se _skip str# strL using with "
    "aggregate array boolean break case catch class colvector complex const continue default delegate delete do "
    "else eltypedef end enum explicit export external for friend function global goto inline local NULL pragma "
    "protected quad rowvector short typedef typename virtual".split()
)


class ExportLimitError(ValueError):
    """The selection does not fit the output format."""


def output_format(path: Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"{path}: unknown output format {suffix or '(no suffix)'}; name the file .csv, .parquet, .dta or .xlsx")
    return FORMATS[suffix]


def dictionary_path(path: Path) -> Path:
    """`flows.dta` → `flows.dictionary.csv` (beside the export, same stem)."""
    return Path(path).with_name(f"{Path(path).stem}.dictionary.csv")


def indicators_path(path: Path) -> Path:
    return Path(path).with_name(f"{Path(path).stem}.indicators.csv")


def _temporary(path: Path) -> Path:
    return path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")


def _replace_atomically(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = _temporary(path)
    try:
        write(temporary)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def stata_names(columns: list[str]) -> dict[str, str]:
    """A valid, unique Stata variable name for each column (unchanged when already valid)."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for column in columns:
        name = re.sub(r"[^A-Za-z0-9_]", "_", column) or "_"
        if name[0].isdigit():
            name = "_" + name
        if name in STATA_RESERVED:
            name = "_" + name
        name = name[:STATA_NAME_LENGTH]
        stem, counter = name, 1
        while name in taken:  # truncation or replacement made two names equal: number them
            counter += 1
            suffix = f"_{counter}"
            name = stem[: STATA_NAME_LENGTH - len(suffix)] + suffix
        taken.add(name)
        names[column] = name
    return names


def _label(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= STATA_LABEL_LENGTH else text[: STATA_LABEL_LENGTH - 3] + "..."


def _check_limits(selection: Selection, fmt: str) -> None:
    rows, columns = selection.rows, len(selection.columns)
    shrink = ("filter it: --years, --countries, --partners, --product-groups, --indicators, --columns; "
              "or write .csv or .parquet, which have no row limit")
    if fmt == "excel" and (rows > EXCEL_MAX_ROWS or columns > EXCEL_MAX_COLUMNS):
        raise ExportLimitError(
            f"{selection.asset.name}: the selection has {rows:,} rows and {columns} columns; an Excel sheet holds at most "
            f"{EXCEL_MAX_ROWS:,} data rows and {EXCEL_MAX_COLUMNS:,} columns — {shrink}"
        )
    if fmt == "stata" and (rows > STATA_MAX_ROWS or columns > STATA_MAX_VARIABLES):
        raise ExportLimitError(
            f"{selection.asset.name}: the selection has {rows:,} rows and {columns} columns; a Stata .dta file holds at "
            f"most {STATA_MAX_ROWS:,} observations and {STATA_MAX_VARIABLES:,} variables — {shrink}"
        )


def _frame(con: duckdb.DuckDBPyConnection, selection: Selection) -> pd.DataFrame:
    return con.execute(selection.sql).df()


def _write_stata(frame: pd.DataFrame, dictionary: pd.DataFrame, selection: Selection, path: Path) -> pd.DataFrame:
    names = stata_names(list(frame.columns))
    labels = {names[row.column]: _label(row.description) for row in dictionary.itertuples(index=False)}
    frame = frame.rename(columns=names)
    filters = "; ".join(f"{k}: {v}" for k, v in selection.request.filters().items())
    _replace_atomically(path, lambda tmp: frame.to_stata(
        tmp, write_index=False, version=STATA_DTA_VERSION, variable_labels=labels,
        data_label=_label(f"rvc-pipeline {selection.asset.name}" + (f" ({filters})" if filters else "")),
    ))
    return dictionary.assign(stata_name=dictionary["column"].map(names))


def _check_excel_cells(frame: pd.DataFrame, selection: Selection) -> None:
    for column in frame.columns:
        if pd.api.types.is_string_dtype(frame[column]):
            lengths = frame[column].dropna().map(lambda v: len(str(v)))
            if len(lengths) and lengths.max() > EXCEL_MAX_CELL_CHARS:
                raise ExportLimitError(
                    f"{selection.asset.name}: column {column} has a value of {lengths.max():,} characters; an Excel cell "
                    f"holds at most {EXCEL_MAX_CELL_CHARS:,} — leave the column out with --columns, or write .csv or .parquet"
                )


def _write_excel(frame: pd.DataFrame, dictionary: pd.DataFrame, indicators: pd.DataFrame, selection: Selection,
                 path: Path) -> None:
    _check_excel_cells(frame, selection)

    def write(tmp: Path) -> None:
        with pd.ExcelWriter(tmp, engine="openpyxl") as book:
            frame.to_excel(book, sheet_name=selection.asset.name[:31], index=False)
            dictionary.to_excel(book, sheet_name="dictionary", index=False)
            if len(indicators):
                indicators.to_excel(book, sheet_name="indicators", index=False)

    _replace_atomically(path, write)


def write_selection(
    con: duckdb.DuckDBPyConnection, selection: Selection, path: Path, dictionary: pd.DataFrame, indicators: pd.DataFrame
) -> list[Path]:
    """Write the selection to `path` (format from its suffix) and the dictionary (and indicator list, if any)
    beside it; returns the files written. Stata and Excel are checked against their limits before any row is read."""
    path = Path(path)
    fmt = output_format(path)
    _check_limits(selection, fmt)
    if fmt == "csv":
        _replace_atomically(path, lambda tmp: con.execute(f"COPY ({selection.sql}) TO {sql_string(tmp)} (FORMAT csv, HEADER)"))
    elif fmt == "parquet":
        _replace_atomically(path, lambda tmp: con.execute(
            f"COPY ({selection.sql}) TO {sql_string(tmp)} (FORMAT parquet, COMPRESSION zstd)"))
    elif fmt == "stata":
        dictionary = _write_stata(_frame(con, selection), dictionary, selection, path)
    else:
        _write_excel(_frame(con, selection), dictionary, indicators, selection, path)
    written = [path]
    columns = DICTIONARY_COLUMNS + (["stata_name"] if "stata_name" in dictionary.columns else [])
    _replace_atomically(dictionary_path(path), lambda tmp: dictionary[columns].to_csv(tmp, index=False))
    written.append(dictionary_path(path))
    if len(indicators):
        _replace_atomically(indicators_path(path), lambda tmp: indicators.to_csv(tmp, index=False))
        written.append(indicators_path(path))
    return written
