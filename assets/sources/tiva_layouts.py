"""Readers for OECD TiVA extract files: layout detection and the canonical `tiva_raw` frame.

Belongs here: recognising a TiVA file by its header, mapping each layout's columns onto `tiva_raw`,
reading the edition and dataflow a file belongs to, listing the TiVA files of an extracts folder.
Not here: any interpretation of the values (units, code harmonization, rejects) — that is
`assets.transforms.cleaning.tiva_cleaning`; nor downloading — that is `assets.sources.oecd_sdmx`.

Layouts (`source_layout` values):
- ``sdmx_csv_v1``: SDMX-CSV 1.0 from the OECD Data Explorer, first column ``DATAFLOW``.
- ``sdmx_csv_v2``: SDMX-CSV 2.0, ``STRUCTURE, STRUCTURE_ID, ACTION`` first (``csvfilewithlabels``).
- ``sdmx_dimension_columns``: the SDMX dimension columns only (``MEASURE, REF_AREA, ACTIVITY,
  COUNTERPART_AREA, UNIT_MEASURE, FREQ, TIME_PERIOD, OBS_VALUE``), as scripts that parse SDMX-ML
  write them; no DATAFLOW and no attribute columns.
- ``oecd_stat_tiva``: the pre-2023 OECD.Stat TiVA CSV (``VAR, Indicator, COU, Country, PAR, ...``).
SDMX files may carry labels either as extra columns (``REF_AREA, Reference area``; ignored) or in the
combined form of ``labels=both`` (header ``REF_AREA: Reference area``, cells ``THA: Thailand``; the
code before the first ": " is kept). Column order does not matter; unknown extra columns are ignored.

Text: UTF-8 (optionally with a BOM), UTF-16/UTF-32 with a BOM, or else Windows-1252. A file that is
none of these (a byte such as 0x81, UTF-16 without a BOM), a file whose last line lacks the line
terminator the other lines have (cut off mid-row: its last number would be read shortened), a
damaged .gz, and a row with a blank year are refused with `RvcInputError` naming the file and line
or row, never read in part.

Files without an ``OBS_VALUE`` or ``Value`` column (codebooks, area lists, README exports) are not
observation files: `detect_tiva_layout` returns ``NOT_OBSERVATIONS`` for them and `list_tiva_files`
skips them with an INFO log record. A file that has an observation column but none of the layouts'
required columns raises `RvcInputError`.

Edition rule (`edition` column), first match wins, never the current date:
1. an ``"edition"`` entry in the file's sidecar (see `find_sidecar`);
2. an edition year in the file name: ``tiva2025_...``/``TIVA2018...`` (year glued to "tiva"), the
   OECD.Stat dataset code ``TIVA_2018_C1``, or ``2021_edition``/``2021ed``;
3. the row's dataflow reference ``AGENCY:ID(VERSION)`` (from DATAFLOW/STRUCTURE_ID, or the sidecar's
   ``flow_ref``/``dataflow``/query URL for files without one) — the dataflow version is what tells
   editions apart on the Data Explorer;
otherwise the file is rejected with `RvcInputError` (mixing editions silently would mix revisions).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import logging
import re
import zlib
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from assets.errors import RvcInputError
from assets.sources.extract_inventory import file_sha256
from assets.vocabulary import (
    OECD_STAT_TIVA,
    QUERY_SIDECAR_SUFFIX,
    SDMX_CSV_V1,
    SDMX_CSV_V2,
    SDMX_DIMENSION_COLUMNS,
    TIVA_RAW_COLUMNS,
)

logger = logging.getLogger("rvc.tiva")

NOT_OBSERVATIONS = "not_observations"

_SDMX_REQUIRED = ["MEASURE", "REF_AREA", "ACTIVITY", "COUNTERPART_AREA", "UNIT_MEASURE", "TIME_PERIOD", "OBS_VALUE"]
_OECD_STAT_REQUIRED = ["VAR", "COU", "PAR", "IND", "TIME", "Unit Code", "Value"]
_REQUIRED_BY_LAYOUT = {
    SDMX_CSV_V1: ["DATAFLOW", *_SDMX_REQUIRED],
    SDMX_CSV_V2: ["STRUCTURE", "STRUCTURE_ID", "ACTION", *_SDMX_REQUIRED],
    SDMX_DIMENSION_COLUMNS: _SDMX_REQUIRED,
    OECD_STAT_TIVA: _OECD_STAT_REQUIRED,
}
_OBSERVATION_COLUMNS = ("OBS_VALUE", "Value")

# tiva_raw column -> source column, per layout family; a column the file lacks reads as missing.
_SDMX_MAP = {
    "measure": "MEASURE", "country": "REF_AREA", "partner": "COUNTERPART_AREA", "activity": "ACTIVITY",
    "year": "TIME_PERIOD", "obs_value": "OBS_VALUE", "unit_measure": "UNIT_MEASURE",
    "unit_mult": "UNIT_MULT", "obs_status": "OBS_STATUS",
}
_OECD_STAT_MAP = {
    "measure": "VAR", "country": "COU", "partner": "PAR", "activity": "IND", "year": "TIME",
    "obs_value": "Value", "unit_measure": "Unit Code", "unit_mult": "PowerCode Code", "obs_status": "Flag Codes",
}

_DATA_SUFFIXES = (".csv", ".txt", ".csv.gz", ".txt.gz", ".gz")
# Byte-order marks, UTF-32 before UTF-16 (FF FE 00 00 starts with the UTF-16 LE mark FF FE).
_BOM_ENCODINGS = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)
_HEAD_BYTES = 1 << 20
_REDOWNLOAD = "Re-download the extract (or re-save it as CSV UTF-8), or move it out of the extracts folder."
_DELIMITERS = (",", ";", "\t", "|")
# SDMX-CSV 2.0 actions that carry observations; "D" rows delete data and are not observations.
_OBSERVATION_ACTIONS = {"", "I", "A", "R", "M"}
_MISSING_VALUE_TEXT = {"", "NaN", "nan", "NA"}

_EDITION_IN_NAME = [
    re.compile(r"(?i)tiva(20\d\d)(?!\d)"),
    re.compile(r"(?i)tiva_(20\d\d)_c\d"),
    re.compile(r"(?i)(?<!\d)(20\d\d)[_ -]?ed(ition)?(?![a-z])"),
]
_REST_FLOW_REF = re.compile(r"^([A-Za-z0-9_.@\-]+),([A-Za-z0-9_.@\-]+),([A-Za-z0-9_.\-]+)$")
_URL_FLOW_REF = re.compile(r"/data/([A-Za-z0-9_.@\-]+,[A-Za-z0-9_.@\-]+,[A-Za-z0-9_.\-]+)/")


def _is_data_file_name(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith(_DATA_SUFFIXES) and not name.startswith(".")


def _normalize_header_cell(cell: str) -> str:
    """`REF_AREA: Reference area` -> `REF_AREA`; `STRUCTURE[;]` -> `STRUCTURE`; BOM and blanks stripped."""
    text = cell.replace("\ufeff", "").strip()
    if ": " in text:
        text = text.split(": ", 1)[0].strip()
    return re.sub(r"\[.*\]$", "", text)


def _read_bytes(path: Path, limit: int = -1) -> bytes:
    """The file's bytes (the first `limit` when given), decompressed for .gz; a damaged .gz is an RvcInputError."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            return handle.read(limit)
    except (EOFError, zlib.error, OSError) as exc:
        if isinstance(exc, OSError) and exc.errno is not None:
            raise  # a real I/O error (permissions, missing file), not damaged content
        raise RvcInputError(
            f"{path}: the compressed file is cut short or damaged ({type(exc).__name__}: {exc}); expected a "
            f"complete gzip file. {_REDOWNLOAD}"
        ) from None


def _bom_encoding(head: bytes) -> str | None:
    return next((encoding for bom, encoding in _BOM_ENCODINGS if head.startswith(bom)), None)


def _refuse_nul_bytes(path: Path, head: bytes) -> None:
    if b"\x00" in head.split(b"\n", 1)[0]:
        raise RvcInputError(
            f"{path}: the first line holds NUL bytes, so this is UTF-16 or UTF-32 text without a byte-order "
            f"mark, or not text at all; expected CSV text in UTF-8 (or UTF-16 with a byte-order mark). {_REDOWNLOAD}"
        )


def _read_first_line(path: Path) -> str:
    """The first line of a (possibly gzipped) text file: by its BOM, else UTF-8, else cp1252."""
    head = _read_bytes(path, _HEAD_BYTES)
    encoding = _bom_encoding(head)
    if encoding is not None:
        text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head)
        return text.splitlines()[0] if text else ""
    _refuse_nul_bytes(path, head)
    line = head.split(b"\n", 1)[0]
    try:
        return line.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        return line.decode("cp1252", errors="replace").rstrip("\r\n")


def _undecodable(path: Path, data: bytes, error: UnicodeDecodeError, tried: str) -> RvcInputError:
    line = data[: error.start].decode(error.encoding, errors="replace").count("\n") + 1
    return RvcInputError(
        f"{path}: line {line}: byte 0x{data[error.start]:02X} (offset {error.start}) is not {tried} text; expected "
        f"a CSV text file in UTF-8. The file is damaged or in another encoding. {_REDOWNLOAD}"
    )


def _file_text(path: Path) -> str:
    """The whole file decoded (see the module docstring), refused when undecodable or cut off mid-row."""
    data = _read_bytes(path)
    encoding = _bom_encoding(data)
    if encoding is not None:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise _undecodable(path, data, exc, f"{encoding.upper()} (as its byte-order mark says)") from None
    else:
        _refuse_nul_bytes(path, data[:_HEAD_BYTES])
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError as exc:
                raise _undecodable(path, data, exc, "UTF-8 nor Windows-1252") from None
    # Every line but the last ends with a terminator: an unterminated non-blank last line is a cut file,
    # whose last value may be a prefix of the real one (37506.698 read as 375).
    last_break = max(text.rfind("\n"), text.rfind("\r"))
    if last_break >= 0 and text[last_break + 1:].strip():
        line = len(text.splitlines())
        raise RvcInputError(
            f"{path}: line {line}, the last, has no line terminator while the lines before it do: the file was "
            "cut off mid-row (an interrupted download or copy), so its last value may be shortened. Expected "
            f"every line to end with a line break. {_REDOWNLOAD} If the file is complete, add the final line break."
        )
    return text


@contextmanager
def _fields_of_any_length(text: str) -> Iterator[None]:
    """Let the csv module read fields as long as `text` (its default limit, 128 KiB, refused a valid file with one
    long cell with `_csv.Error: field larger than field limit`). TiVA files are read whole, so memory is bounded by
    the file anyway. The limit is process-wide: it is restored on the way out."""
    previous = csv.field_size_limit()
    csv.field_size_limit(max(previous, len(text) + 1))
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def _sniff_header(path: Path) -> tuple[list[str], str]:
    """Raw header cells and the delimiter (the one that splits the header into most cells)."""
    first = _read_first_line(path)
    if not first.strip():
        raise RvcInputError(
            f"{path}: the file is empty or its first line is blank; expected a CSV header line. "
            "Re-download the extract or remove the file from the extracts folder."
        )
    if len(first.encode("utf-8", errors="replace")) >= _HEAD_BYTES:
        raise RvcInputError(
            f"{path}: the first {_HEAD_BYTES >> 20} MiB hold no line break, so there is no header line; expected CSV "
            "text (a header line, then one observation per line). Check that this is a TiVA extract (not a binary "
            "file or a page saved under a .csv name). Re-download the extract or remove the file from the extracts folder."
        )
    with _fields_of_any_length(first):
        delimiter = max(_DELIMITERS, key=lambda d: len(next(csv.reader([first], delimiter=d))))
        return next(csv.reader([first], delimiter=delimiter)), delimiter


def _layout_of_columns(columns: list[str]) -> str | None:
    present = set(columns)
    if columns and columns[0] == "DATAFLOW" and set(_REQUIRED_BY_LAYOUT[SDMX_CSV_V1]) <= present:
        return SDMX_CSV_V1
    if set(_REQUIRED_BY_LAYOUT[SDMX_CSV_V2]) <= present:
        return SDMX_CSV_V2
    if "DATAFLOW" not in present and "STRUCTURE" not in present and set(_SDMX_REQUIRED) <= present:
        return SDMX_DIMENSION_COLUMNS
    if set(_OECD_STAT_REQUIRED) <= present:
        return OECD_STAT_TIVA
    return None


def detect_tiva_layout(path: Path) -> str:
    """Name the layout of a TiVA file from its header line (one of `TIVA_LAYOUTS`).

    Returns `NOT_OBSERVATIONS` for a file with no OBS_VALUE/Value column (a codebook or area list).
    Raises RvcInputError for a file with an observation column but an unknown set of columns.
    """
    path = Path(path)
    raw_header, _ = _sniff_header(path)
    columns = [_normalize_header_cell(c) for c in raw_header]
    if not any(c in columns for c in _OBSERVATION_COLUMNS):
        return NOT_OBSERVATIONS
    layout = _layout_of_columns(columns)
    if layout is None:
        expected = "; ".join(f"{name}: {', '.join(cols)}" for name, cols in _REQUIRED_BY_LAYOUT.items())
        raise RvcInputError(
            f"{path}: unknown TiVA layout; columns found: {', '.join(columns)}. Expected one of the layouts "
            f"(required columns) {expected}. Download the extract as SDMX-CSV from the OECD Data Explorer "
            "or as CSV from OECD.Stat, or move the file out of the extracts folder."
        )
    return layout


def find_sidecar(path: Path) -> Path | None:
    """The metadata sidecar of a data file, if any.

    Looked for beside the file: `<name>.query.json` (written by our OECD client), `<stem>.query.json`,
    then `<prefix>_query_metadata.json` whose prefix starts the file name followed by "_" (longest
    prefix wins), the form of the real 2025 extracts (`tiva2025_MAINLV_EXGR_DVA_query_metadata.json`).
    """
    path = Path(path)
    stem = path.name
    for suffix in (".gz", ".csv", ".txt"):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
    for candidate in (path.with_name(path.name + QUERY_SIDECAR_SUFFIX), path.with_name(stem + QUERY_SIDECAR_SUFFIX)):
        if candidate.is_file():
            return candidate
    matches = [
        p for p in path.parent.glob("*_query_metadata.json")
        if path.name.startswith(p.name[: -len("_query_metadata.json")] + "_")
    ]
    return max(matches, key=lambda p: len(p.name)) if matches else None


def _read_sidecar(path: Path) -> dict:
    sidecar = find_sidecar(path)
    if sidecar is None:
        return {}
    try:
        content = json.loads(sidecar.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RvcInputError(
            f"{sidecar}: sidecar of {path.name} is not valid JSON ({exc}); fix or delete the sidecar."
        ) from exc
    return content if isinstance(content, dict) else {}


def normalize_dataflow(text: str | None) -> str | None:
    """A dataflow reference in SDMX-CSV form `AGENCY:ID(VERSION)`; REST form `AGENCY,ID,VERSION` converted."""
    if text is None or not str(text).strip():
        return None
    text = str(text).strip()
    rest = _REST_FLOW_REF.match(text)
    return f"{rest.group(1)}:{rest.group(2)}({rest.group(3)})" if rest else text


def _sidecar_dataflow(sidecar: dict) -> str | None:
    for key in ("flow_ref", "dataflow"):
        if isinstance(sidecar.get(key), str):
            return normalize_dataflow(sidecar[key])
    for key in ("url", "query_url"):
        match = _URL_FLOW_REF.search(str(sidecar.get(key, "")))
        if match:
            return normalize_dataflow(match.group(1))
    return None


def edition_from_file_name(name: str) -> str | None:
    """The TiVA edition year written in a file name (rule 2 of the module docstring), or None."""
    for pattern in _EDITION_IN_NAME:
        match = pattern.search(name)
        if match:
            return match.group(1)
    return None


def _read_cells(path: Path, delimiter: str, n_columns: int) -> pd.DataFrame:
    """Every cell as text ('' when empty), columns numbered by header position (duplicate names
    survive), indexed by the 1-based record number after the header.

    Blank lines are skipped. A row with a non-empty cell beyond the header is an error naming the row (a
    trailing empty cell, as some exporters write, is tolerated); so is a row with fewer cells than the header:
    which cells are missing cannot be told, and padding it would shift its values into the wrong columns (a
    unit multiplier read as the observation value).
    """
    text = _file_text(path)
    with _fields_of_any_length(text):
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))[1:]
    rows, numbers = [], []
    for number, record in enumerate(records, start=1):
        if not any(cell.strip() for cell in record):
            continue  # blank line, e.g. a trailing newline pair
        if len(record) > n_columns and any(cell.strip() for cell in record[n_columns:]):
            raise RvcInputError(
                f"{path}: row {number} has {len(record)} cells for a {n_columns}-column header; expected one "
                "cell per header column. Re-download the extract; do not edit it in a spreadsheet."
            )
        if len(record) < n_columns:
            raise RvcInputError(
                f"{path}: row {number} has {len(record)} cells for a {n_columns}-column header; expected one "
                "cell per header column (an empty cell still needs its delimiter). Re-download the extract; do "
                "not edit it in a spreadsheet."
            )
        rows.append(record[:n_columns])
        numbers.append(number)
    return pd.DataFrame(rows, columns=list(range(n_columns)), index=pd.Index(numbers, dtype="int64"), dtype="str")


def _code_text(cells: pd.Series) -> pd.Series:
    """Code cells stripped; `THA: Thailand` (labels=both) -> `THA`; empty -> missing."""
    text = cells.astype("str").str.strip().str.split(": ", n=1).str[0].str.strip()
    return text.where(text != "")


def _parse_years(text: pd.Series, path: Path, column: str) -> pd.Series:
    if text.isna().any():
        row = int(np.flatnonzero(text.isna().to_numpy())[0])
        raise RvcInputError(
            f"{path}: row {text.index[row]}: {column} is blank ({int(text.isna().sum())} row(s) like it); every "
            "TiVA observation needs its year (a row without one belongs to no yearly partition and would be "
            "lost). Expected a four-digit year. Re-download the extract; if the rows are meant to be undated, "
            "remove them from the file."
        )
    valid = text.str.fullmatch(r"\d{4}")
    if not valid.all():
        row = int(np.flatnonzero(~valid.to_numpy())[0])
        raise RvcInputError(
            f"{path}: row {text.index[row]}: time period {text.iloc[row]!r} is not a year; TiVA is annual "
            "(FREQ=A), expected a four-digit year. Download the annual series with timeFormat=original."
        )
    return pd.to_numeric(text).astype("Int64")


def _parse_unit_mult(text: pd.Series, path: Path, column: str) -> pd.Series:
    numbers = pd.to_numeric(text, errors="coerce")
    bad = text.notna() & (numbers.isna() | (numbers % 1 != 0))
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise RvcInputError(
            f"{path}: row {text.index[row]}, column {column}: {text.iloc[row]!r} is not a power of ten; "
            "expected an integer such as 0, 3 or 6. Re-download the extract."
        )
    return numbers.astype("Int64")


def _parse_values(cells: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(obs_value float64, unparsed_value): text that is present but not a finite number is kept."""
    text = cells.astype("str").str.strip()
    numbers = pd.to_numeric(text, errors="coerce").astype("float64")
    numbers = numbers.where(np.isfinite(numbers))
    unparsed = text.where(numbers.isna() & ~text.isin(_MISSING_VALUE_TEXT))
    return numbers, unparsed


def _file_edition(path: Path, sidecar: dict) -> str | None:
    edition = sidecar.get("edition")
    if edition is not None and str(edition).strip():
        return str(edition).strip()
    return edition_from_file_name(path.name)


def read_tiva_file(path: Path, extracts_root: Path) -> pd.DataFrame:
    """Read one TiVA observation file into `tiva_raw` columns (`TIVA_RAW_COLUMNS`), rows in file order.

    Every observation is kept: codes as given (labels stripped), year Int64, obs_value float64 with
    non-numeric text in `unparsed_value`, unit_mult Int64 (null when the file has none).
    `source_file` is the path relative to `extracts_root` (POSIX), `source_row` the 1-based CSV
    record number after the header (the first line after the header is 1; blank lines count but
    yield no row). Raises RvcInputError for unknown layouts, non-observation files, undecodable or cut
    files, blank or non-annual periods, bad UNIT_MULT, SDMX delete actions, rows wider than the header,
    unknown edition.
    """
    path = Path(path)
    layout = detect_tiva_layout(path)
    if layout == NOT_OBSERVATIONS:
        raise RvcInputError(
            f"{path}: no OBS_VALUE or Value column, so this is not a TiVA observation file "
            "(a codebook or area list?). Move it out of the extracts folder or pass an observation file."
        )
    raw_header, delimiter = _sniff_header(path)
    header = [_normalize_header_cell(c) for c in raw_header]
    position = {}
    for index, name in enumerate(header):
        position.setdefault(name, index)
    cells = _read_cells(path, delimiter, len(header))

    def column(name: str | None) -> pd.Series:
        if name is None or name not in position:
            return pd.Series("", index=cells.index, dtype="str")
        return cells[position[name]]

    mapping = _OECD_STAT_MAP if layout == OECD_STAT_TIVA else _SDMX_MAP
    sidecar = _read_sidecar(path)
    out = pd.DataFrame(index=cells.index)
    for target in ("measure", "country", "partner", "activity"):
        out[target] = _code_text(column(mapping[target]))
    out["year"] = _parse_years(_code_text(column(mapping["year"])), path, mapping["year"])
    out["obs_value"], out["unparsed_value"] = _parse_values(column(mapping["obs_value"]))
    out["unit_measure"] = _code_text(column(mapping["unit_measure"]))
    out["unit_mult"] = _parse_unit_mult(_code_text(column(mapping["unit_mult"])), path, mapping["unit_mult"])
    out["obs_status"] = _code_text(column(mapping["obs_status"]))

    if layout == SDMX_CSV_V2:
        actions = _code_text(column("ACTION")).fillna("")
        deletes = ~actions.isin(_OBSERVATION_ACTIONS)
        if deletes.any():
            row = int(np.flatnonzero(deletes.to_numpy())[0])
            raise RvcInputError(
                f"{path}: row {actions.index[row]}: ACTION {actions.iloc[row]!r} is not an observation (SDMX-CSV "
                "action D deletes data); expected I, A, R or M. Download a full data snapshot instead."
            )
    if layout == SDMX_CSV_V1:
        dataflow = _code_text(column("DATAFLOW"))
    elif layout == SDMX_CSV_V2:
        dataflow = _code_text(column("STRUCTURE_ID"))
    else:
        dataflow = pd.Series(_sidecar_dataflow(sidecar), index=cells.index, dtype="str")
    out["dataflow"] = dataflow.map({d: normalize_dataflow(d) for d in dataflow.dropna().unique()}).astype("str")

    edition = _file_edition(path, sidecar)
    if edition is not None:
        out["edition"] = edition
    else:
        out["edition"] = out["dataflow"]
        if out["edition"].isna().any():
            raise RvcInputError(
                f"{path}: cannot tell which TiVA edition this file is: no dataflow column, no edition in the "
                "file name and no sidecar. Put the edition year in the file name (e.g. tiva2018_...) or add "
                f'a sidecar {path.name}.query.json containing {{"edition": "2018"}}.'
            )

    out["source_file"] = _relative_name(path, extracts_root)
    out["source_sha256"] = file_sha256(path)
    out["source_row"] = pd.array(cells.index.to_numpy(), dtype="Int64")
    out["source_layout"] = layout
    return _typed_raw(out.reset_index(drop=True))


def _relative_name(path: Path, extracts_root: Path) -> str:
    """`path` relative to the extracts folder, POSIX separators (machine-independent provenance)."""
    try:
        return Path(path).resolve().relative_to(Path(extracts_root).resolve()).as_posix()
    except ValueError as exc:
        raise RvcInputError(
            f"{path}: not inside the extracts folder {extracts_root}; pass the folder that contains the file "
            "as extracts_root so source_file can be recorded relative to it."
        ) from exc


def _typed_raw(frame: pd.DataFrame) -> pd.DataFrame:
    """`tiva_raw` column order and dtypes (also for an empty frame)."""
    dtypes = {c: "str" for c in TIVA_RAW_COLUMNS}
    dtypes.update(year="Int64", obs_value="float64", unit_mult="Int64", source_row="Int64")
    if frame.empty and not len(frame.columns):
        frame = pd.DataFrame({c: pd.Series(dtype=d) for c, d in dtypes.items()})
    return frame[TIVA_RAW_COLUMNS].astype(dtypes)


def empty_tiva_raw() -> pd.DataFrame:
    """A `tiva_raw` frame with no rows and the canonical dtypes."""
    return _typed_raw(pd.DataFrame())


def _tiva_search_root(root: Path) -> Path:
    # Callers may pass the extracts folder (TiVA files under tiva/, where our OECD client saves them)
    # or the TiVA folder itself.
    root = Path(root)
    return root / "tiva" if (root / "tiva").is_dir() else root


def list_tiva_files(root: Path) -> list[Path]:
    """Every TiVA observation file (.csv, .txt, optionally .gz) below `root` (or `root/tiva`), sorted.

    Skips hidden files and folders, sidecars and other JSON, markdown, and — detected by columns, not
    by name — files without an OBS_VALUE/Value column (logged at INFO with the reason).
    """
    search_root = _tiva_search_root(root)
    found = []
    for path in sorted(search_root.rglob("*")):
        relative = path.relative_to(search_root)
        if not path.is_file() or any(part.startswith(".") for part in relative.parts):
            continue
        if not _is_data_file_name(path):
            continue
        if detect_tiva_layout(path) == NOT_OBSERVATIONS:
            logger.info("skipping %s: no OBS_VALUE/Value column, not a TiVA observation file", path)
            continue
        found.append(path)
    return found


def read_tiva_extracts(root: Path, years: Collection[int] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All TiVA observations below `root` and a per-file summary.

    Returns (rows, summary). rows: `tiva_raw` columns, sorted by source_file then source_row, filtered
    to `years` when given (rows with no year then drop out: they belong to no yearly partition).
    summary: source_file, source_layout, source_sha256, rows_read, rows_kept (Int64), years (the kept
    years as a comma list), one row per file in source_file order.
    """
    root = Path(root)
    return read_tiva_files([(path, root) for path in list_tiva_files(root)], years)


def read_tiva_files(files: list[tuple[Path, Path]], years: Collection[int] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`read_tiva_extracts` for an explicit list of (file, the folder its source_file is relative to), in
    that order: the manifest's TiVA files of a year, wherever they sit below the extracts folder."""
    wanted = None if years is None else {int(y) for y in years}
    frames, summary = [], []
    for path, root in files:
        rows = read_tiva_file(path, root)
        kept = rows if wanted is None else rows[rows["year"].isin(wanted).fillna(False).astype(bool)]
        frames.append(kept)
        summary.append({
            "source_file": _relative_name(path, root),
            "source_layout": rows["source_layout"].iloc[0] if len(rows) else detect_tiva_layout(path),
            "source_sha256": rows["source_sha256"].iloc[0] if len(rows) else file_sha256(path),
            "rows_read": len(rows),
            "rows_kept": len(kept),
            "years": ",".join(str(y) for y in sorted(kept["year"].dropna().unique())),
        })
    rows = pd.concat(frames, ignore_index=True) if frames else empty_tiva_raw()
    rows = _typed_raw(rows.sort_values(["source_file", "source_row"], kind="stable").reset_index(drop=True))
    summary_frame = pd.DataFrame(
        summary, columns=["source_file", "source_layout", "source_sha256", "rows_read", "rows_kept", "years"]
    ).astype({"source_file": "str", "source_layout": "str", "source_sha256": "str",
              "rows_read": "Int64", "rows_kept": "Int64", "years": "str"})
    return rows, summary_frame
