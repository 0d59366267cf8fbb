"""Read Comtrade extract files of any supported layout into the canonical `comtrade_raw` table.

Belongs here: typing a file's text rows into the contract of `checks.raw` (COMTRADE_RAW_COLUMNS),
provenance (file, sha256, row, API query sidecar), the per-content-hash parse cache, and listing and
concatenating the files of an extracts folder. Rows in = rows out: nothing is dropped, de-duplicated or
judged here (cleaning does that). Layout detection and format quirks live in `comtrade_layouts`.
Typing runs in pyarrow compute: a bulk year is millions of rows, and per-call pandas overhead dominates
small files.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections import deque
from collections.abc import Collection, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from assets.errors import RvcInputError
from assets.sources.comtrade_layouts import (
    LEGACY_FLOW_CODE,
    column_mapping,
    consume_delimited,
    detect_layout,
    layout_of,
    read_source_text,
    sniff_file,
    stream_parquet,
)
from assets.sources.extract_inventory import file_sha256
from assets.tables import arrow_to_pandas
from assets.vocabulary import (
    COMTRADE_PLUS_FIELDS,
    COMTRADE_RAW_COLUMNS,
    KNOWN_LEGACY_FLAGS,
    LEGACY_FLAGS_NET_WEIGHT_ESTIMATED,
    LEGACY_FLAGS_QTY_ESTIMATED,
    LEGACY_FLOW_CODES,
    LEGACY_TOTAL_CODES,
    QUERY_SIDECAR_SUFFIX,
)

# Bump when parsing rules change: cached parses written by another version are parsed again.
PARSER_VERSION = "2"
_CACHE_VERSION_KEY = b"rvc_comtrade_parser_version"

# Per-file summary of read_comtrade_extracts: column -> dtype.
SUMMARY_COLUMNS = {
    "source_file": "str",
    "source_layout": "str",
    "source_sha256": "str",
    "rows_read": "Int64",
    "rows_kept": "Int64",
    "years": "str",  # comma list of the refYears in the file
}
SUPPORTED_SUFFIXES = (".csv", ".txt", ".tsv", ".json", ".parquet")
# Query parameters that carry credentials never reach the table (sidecars should not hold them anyway).
_SECRET_PARAMS = {"subscription-key", "subscription_key", "subscriptionkey", "apikey", "api_key", "token"}

_NUMERIC_CODES = ("reporterCode", "partnerCode", "partner2Code", "motCode", "mosCode", "qtyUnitCode", "altQtyUnitCode")
_TRIMMED_TEXT = (
    "typeCode", "freqCode", "reporterISO", "flowCode", "partnerISO", "partner2ISO",
    "classificationCode", "classificationSearchCode", "customsCode",
)
_LEGACY_FLOW_WORDS = {
    "import": "M", "imports": "M", "export": "X", "exports": "X",
    "reexport": "RX", "reexports": "RX", "reimport": "RM", "reimports": "RM",
}
_TRUE_WORDS = pa.array(["true", "t", "1", "1.0", "yes", "y"])
_FALSE_WORDS = pa.array(["false", "f", "0", "0.0", "no", "n"])
_DECIMAL = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"
_NULL_TEXT = pa.scalar(None, pa.string())

Text = pa.Array | pa.ChunkedArray


# ---------------------------------------------------------------------------------------------- typing


class _Unparsed:
    """Collects source values that could not be typed, per row, as {field: original text}."""

    def __init__(self) -> None:
        self.parts: list[tuple[str, Text, Text]] = []

    def add(self, field: str, failed: Text, original: Text) -> None:
        if pc.any(failed).as_py():
            self.parts.append((field, failed, original))


def _constant(value: str | None, length: int) -> pa.Array:
    nulls = pa.nulls(length, pa.string())
    return nulls if value is None else nulls.fill_null(value)


def _json_string(values: Text) -> Text:
    """json.dumps(value, ensure_ascii=False) for every value, vectorised."""
    if pc.any(pc.match_substring_regex(values, r"[\x00-\x1f]")).as_py():
        return pa.array([json.dumps(value, ensure_ascii=False) for value in values.to_pylist()], pa.string())
    escaped = pc.replace_substring(pc.replace_substring(values, "\\", "\\\\"), '"', '\\"')
    return pc.binary_join_element_wise('"', escaped, '"', "")


def _json_objects(length: int, parts: list[tuple[str, Text, Text]]) -> pa.Array | pa.ChunkedArray:
    """Per row, the JSON object {key: text} of the parts whose mask is set there (json.dumps layout), else null."""
    body: Text = _constant(None, length)
    for key, mask, values in parts:
        member = pc.binary_join_element_wise(json.dumps(key, ensure_ascii=False) + ": ", _json_string(values), "")
        fragment = pc.if_else(mask, member, _NULL_TEXT)
        joined = pc.binary_join_element_wise(body, fragment, ", ")
        body = pc.if_else(pc.is_null(body), fragment, pc.if_else(pc.is_null(fragment), body, joined))
    return pc.binary_join_element_wise("{", body, "}", "")


def _null_if_empty(text: Text) -> Text:
    return pc.if_else(pc.equal(text, ""), _NULL_TEXT, text)


def _without_float_suffix(text: Text) -> Text:
    """"2482223.0" -> "2482223": integer-like codes written as floats (comtradr CSVs, JSON numbers)."""
    return pc.replace_substring_regex(text, r"^(-?\d+)\.0+$", r"\1")


def _numeric_code(text: Text) -> Text:
    # "156.0" -> "156"; "036" -> "36": M49, transport and unit codes are plain integers without padding.
    text = _without_float_suffix(pc.utf8_trim_whitespace(text))
    return pc.replace_substring_regex(text, r"^(-?)0+(\d)", r"\1\2")


def _decimal(stripped: Text) -> Text:
    # Plain decimals only: "n/a", "1,234", "inf" stay unparsed rather than guessed.
    return pc.cast(pc.if_else(pc.match_substring_regex(stripped, _DECIMAL), stripped, _NULL_TEXT), pa.float64())


def _float(text: Text, field: str, unparsed: _Unparsed) -> Text:
    stripped = pc.utf8_trim_whitespace(text)
    values = _decimal(stripped)
    unparsed.add(field, pc.and_(pc.not_equal(stripped, ""), pc.is_null(values)), text)
    return values


def _int(text: Text, field: str, unparsed: _Unparsed) -> Text:
    stripped = pc.utf8_trim_whitespace(text)
    numbers = _decimal(stripped)
    whole = pc.and_(pc.equal(pc.floor(numbers), numbers), pc.less(pc.abs(numbers), 2.0**53))
    values = pc.cast(pc.if_else(whole, numbers, pa.scalar(None, pa.float64())), pa.int64())
    unparsed.add(field, pc.and_(pc.not_equal(stripped, ""), pc.is_null(values)), text)
    return values


def _bool(text: Text, field: str, unparsed: _Unparsed) -> Text:
    stripped = pc.utf8_trim_whitespace(text)
    lowered = pc.utf8_lower(stripped)
    false_or_null = pc.if_else(pc.is_in(lowered, _FALSE_WORDS), False, pa.scalar(None, pa.bool_()))
    values = pc.if_else(pc.is_in(lowered, _TRUE_WORDS), True, false_or_null)
    unparsed.add(field, pc.and_(pc.not_equal(stripped, ""), pc.is_null(values)), text)
    return values


def _hs_cmd_code(cmd: Text, classification: Text, search_code: Text) -> Text:
    cmd = _without_float_suffix(pc.utf8_trim_whitespace(cmd))
    # HS codes have 2, 4 or 6 digits: an odd length means a lost leading zero (legacy API chapter "1" = "01",
    # "30613.0" = "030613"). Only for HS: EBOPS ("200") and SITC ("781") codes may have odd lengths.
    is_hs = pc.or_(
        pc.match_substring_regex(pc.utf8_trim_whitespace(classification), r"^H[0-9S]$"),
        pc.equal(pc.utf8_trim_whitespace(search_code), "HS"),
    )
    odd_digits = pc.and_(pc.match_substring_regex(cmd, r"^\d+$"), pc.equal(pc.bit_wise_and(pc.utf8_length(cmd), 1), 1))
    return pc.if_else(pc.and_(is_hs, odd_digits), pc.binary_join_element_wise("0", cmd, ""), cmd)


def _lookup(text: Text, table: dict[str, str]) -> Text:
    return pc.take(pa.array(list(table.values())), pc.index_in(text, value_set=pa.array(list(table))))


def _legacy_flow(code_text: Text, flow_text: Text, unparsed: _Unparsed) -> Text:
    code = _numeric_code(code_text)
    text = pc.utf8_trim_whitespace(flow_text)
    by_code = _lookup(code, LEGACY_FLOW_CODES)
    by_word = _lookup(pc.replace_substring_regex(pc.utf8_lower(text), r"[\s\-_]", ""), _LEGACY_FLOW_WORDS)
    # Comtrade+ exports under the legacy header: code 0 and the flow letters (X, M, RX, DX, FM, ...) in Trade Flow.
    by_letters = pc.if_else(pc.match_substring_regex(text, r"^[A-Z]{1,4}$"), text, _NULL_TEXT)
    flow = pc.coalesce(by_code, by_word, by_letters)
    original = pc.if_else(pc.is_in(code, pa.array(["", "0"])), text, code)
    unparsed.add("flowCode", pc.and_(pc.is_null(flow), pc.not_equal(original, "")), original)
    return flow


def _flag_bit(flag: Text, set_in: tuple[int, ...]) -> Text:
    known = pc.is_in(flag, pa.array(KNOWN_LEGACY_FLAGS, pa.int64()))
    return pc.if_else(known, pc.is_in(flag, pa.array(set_in, pa.int64())), pa.scalar(None, pa.bool_()))


def _typed_field(name: str, dtype: str, raw: Text, field_text: Any, legacy: bool, unparsed: _Unparsed) -> Text:
    if dtype == "Int64":
        return _int(raw, name, unparsed)
    if dtype == "boolean":
        return _bool(raw, name, unparsed)
    if dtype == "float64":
        return _float(raw, name, unparsed)
    if name in _NUMERIC_CODES:
        text = _numeric_code(raw)
    elif name == "cmdCode":
        text = _hs_cmd_code(raw, field_text("classificationCode"), field_text("classificationSearchCode"))
    elif name == "period":
        text = _without_float_suffix(pc.utf8_trim_whitespace(raw))
    elif name in _TRIMMED_TEXT:
        text = pc.utf8_trim_whitespace(raw)
    else:
        text = raw  # descriptions and unit texts stay verbatim
    # Values a legacy-header file does carry (Comtrade+ exports under the legacy header) are kept.
    if legacy and name in LEGACY_TOTAL_CODES:
        text = pc.if_else(pc.equal(text, ""), LEGACY_TOTAL_CODES[name], text)
    return _null_if_empty(text)


_ARROW_TYPES = {"str": pa.string(), "Int64": pa.int64(), "boolean": pa.bool_(), "float64": pa.float64()}
# The `comtrade_raw` contract as Arrow types: what the cache files hold and `to_canonical` returns.
COMTRADE_RAW_ARROW_SCHEMA = pa.schema([(name, _ARROW_TYPES[dtype]) for name, dtype in COMTRADE_RAW_COLUMNS.items()])


def to_canonical(
    source: pa.Table | pa.RecordBatch, layout: str, path: Path, first_row: int = 1, sha256: str | None = None
) -> pa.Table:
    """Type a batch of a file's text rows (source column names, "" for empty) into the `comtrade_raw` contract.

    Returns an Arrow table with every COMTRADE_RAW_COLUMNS column (COMTRADE_RAW_ARROW_SCHEMA). The batch's
    first row is data row `first_row` of the file, so source_row continues across the batches of one file.
    source_layout, unparsed_fields, extra_fields and (when given) source_sha256 are filled; source_file,
    api_query and retrieved_at are null for the reader to set. Raises RvcInputError when a row has no
    whole-number year.
    """
    length = source.num_rows
    mapping = column_mapping(path, tuple(source.column_names), layout)
    text = {target: source.column(name) for name, target in mapping.items()}
    blank = _constant("", length)

    def field_text(name: str) -> Text:
        return text.get(name, blank)

    legacy = layout.startswith("legacy_")
    unparsed = _Unparsed()
    columns: dict[str, Text] = {}
    for name, dtype in COMTRADE_RAW_COLUMNS.items():
        if name in COMTRADE_PLUS_FIELDS:
            columns[name] = _typed_field(name, dtype, field_text(name), field_text, legacy, unparsed)
    if legacy:
        columns["flowCode"] = _legacy_flow(field_text(LEGACY_FLOW_CODE), field_text("flowDesc"), unparsed)
        columns["isQtyEstimated"] = _flag_bit(columns["legacyEstimationFlag"], LEGACY_FLAGS_QTY_ESTIMATED)
        columns["isNetWgtEstimated"] = _flag_bit(columns["legacyEstimationFlag"], LEGACY_FLAGS_NET_WEIGHT_ESTIMATED)

    missing_year = pc.is_null(columns["refYear"])
    if pc.any(missing_year).as_py():
        row = pc.index(missing_year, True).as_py()
        raise RvcInputError(
            f"{path}: data row {first_row + row} has no whole-number year (refYear / 'Year' is "
            f"{field_text('refYear')[row].as_py()!r}); {pc.sum(missing_year).as_py()} row(s) like this in the "
            f"batch of rows {first_row}-{first_row + length - 1}. Every row needs its year: fix or re-download the file."
        )

    extras = [name for name in source.column_names if name not in mapping]
    columns.update(
        source_file=_constant(None, length),
        source_sha256=_constant(sha256, length),
        source_row=pa.array(np.arange(first_row, first_row + length, dtype=np.int64)),
        source_layout=_constant(layout, length),
        api_query=_constant(None, length),
        retrieved_at=_constant(None, length),
        unparsed_fields=_json_objects(length, unparsed.parts),
        extra_fields=_json_objects(
            length, [(name, pc.not_equal(source.column(name), ""), source.column(name)) for name in extras]
        ),
    )
    return pa.table({name: columns[name] for name in COMTRADE_RAW_COLUMNS}).cast(COMTRADE_RAW_ARROW_SCHEMA)


def whole_years(text: Text) -> Text:
    """Year text -> int64, null where it is not a whole number (the refYear rule of `to_canonical`)."""
    return _int(text, "refYear", _Unparsed())


def _frame(table: pa.Table) -> pd.DataFrame:
    return arrow_to_pandas(table)


# ---------------------------------------------------------------------------------------------- provenance


def _param_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(_param_text(item) for item in value)
    return "" if value is None else str(value)


def canonical_api_query(url: str, params: dict[str, Any]) -> str:
    """`url?k=v&...` with the url's own query merged into params, sorted by name, credentials removed."""
    parts = urlsplit(url)
    merged = dict(parse_qsl(parts.query, keep_blank_values=True))
    merged.update(params)
    items = sorted(
        (str(key), _param_text(value)) for key, value in merged.items() if str(key).lower() not in _SECRET_PARAMS
    )
    base = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    return base + ("?" + urlencode(items, safe=",:") if items else "")


def query_sidecar_path(path: Path) -> Path:
    """Where our API client saves the query of a response file: `<file>.query.json` beside it."""
    return path.with_name(path.name + QUERY_SIDECAR_SUFFIX)


def read_query_sidecar(path: Path) -> tuple[str | None, str | None]:
    """(api_query, retrieved_at as ISO-8601 UTC `...Z`) from a file's sidecar; (None, None) when there is none."""
    sidecar = query_sidecar_path(path)
    if not sidecar.is_file():
        return None, None
    try:
        document = json.loads(sidecar.read_text(encoding="utf-8"))
        url, params = document["url"], document.get("params") or {}
        if not isinstance(url, str) or not isinstance(params, dict):
            raise TypeError("`url` must be a string and `params` an object")
        retrieved = document.get("retrieved_at")
        retrieved_at = None
        if retrieved is not None:
            moment = datetime.fromisoformat(str(retrieved))
            if moment.tzinfo is None:
                raise ValueError(f"retrieved_at {retrieved!r} has no time zone")
            retrieved_at = moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise RvcInputError(
            f"{sidecar}: unreadable query sidecar ({error}); expected JSON "
            '{"url": ..., "params": {...}, "retrieved_at": "...Z"}. Fix it or delete it and fetch the data again.'
        ) from error
    return canonical_api_query(url, params), retrieved_at


def _relative_source_file(path: Path, extracts_root: Path) -> str:
    try:
        return path.resolve().relative_to(extracts_root.resolve()).as_posix()
    except ValueError as error:
        raise RvcInputError(
            f"{path}: not inside the extracts folder {extracts_root}; pass the folder that holds the file."
        ) from error


def _parse_content(path: Path, sha256: str) -> pd.DataFrame:
    """The whole file parsed in memory in one piece (small files; large ones go through `cache_comtrade_file`)."""
    sniff = sniff_file(path)
    layout = layout_of(path, sniff)
    return _frame(to_canonical(read_source_text(path, sniff, layout), layout, path, sha256=sha256))


def _with_location(frame: pd.DataFrame, path: Path, extracts_root: Path) -> pd.DataFrame:
    # Where a file sits and how it was fetched are not part of its content hash: set them on every read.
    api_query, retrieved_at = read_query_sidecar(path)
    frame = frame.copy()
    location = {
        "source_file": _relative_source_file(path, extracts_root),
        "api_query": api_query,
        "retrieved_at": retrieved_at,
    }
    for name, value in location.items():
        frame[name] = pd.Series(np.nan if value is None else value, index=frame.index, dtype="str")
    return frame


def read_comtrade_file(path: Path, extracts_root: Path) -> pd.DataFrame:
    """Every row of one Comtrade file of any supported layout, as the canonical `comtrade_raw` table.

    Columns and dtypes exactly as `checks.raw.COMTRADE_RAW_COLUMNS`, rows in file order (source_row 1..n).
    Raises RvcInputError for unrecognised layouts, malformed rows, API error responses or rows without a year.
    """
    path, extracts_root = Path(path), Path(extracts_root)
    return _with_location(_parse_content(path, file_sha256(path)), path, extracts_root)


# ---------------------------------------------------------------------------------------------- cache

_CACHE_LAYOUT_KEY = b"rvc_source_layout"
# Rows per Parquet row group. Pending rows are held typed in Arrow (~280 bytes a row) until a group is full:
# measured on a 3M-row bulk file, peak RSS 1.0 GB at 1M rows, 0.7 GB at 512K, 0.58 GB at 256K. 256K keeps
# memory at a few hundred MB and is still twice DuckDB's own row group (122,880 rows).
CACHE_ROW_GROUP_ROWS = 1 << 18


def _cache_metadata(cache_file: Path) -> dict[bytes, bytes] | None:
    """The schema metadata of a cache file written by this parser version in the contract schema, else None."""
    try:
        schema = pq.read_schema(cache_file)
    except (OSError, pa.ArrowException):
        return None
    metadata = schema.metadata or {}
    if metadata.get(_CACHE_VERSION_KEY) != PARSER_VERSION.encode():
        return None
    if not schema.remove_metadata().equals(COMTRADE_RAW_ARROW_SCHEMA):
        return None
    return metadata


# Same value on every row of a file: added per row group when it is written, not held per pending row.
_FILE_CONSTANT_COLUMNS = ("source_sha256", "source_layout")


@dataclass(frozen=True)
class FileLocation:
    """Where an extract sits (source_file, relative to the extracts folder) and how it was fetched (api_query,
    retrieved_at from its query sidecar): the location provenance of its rows, which is not part of its content."""

    source_file: str
    api_query: str | None = None
    retrieved_at: str | None = None

    def digest(self) -> str:
        text = json.dumps([self.source_file, self.api_query, self.retrieved_at], ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def columns(self) -> dict[str, str | None]:
        return {"source_file": self.source_file, "api_query": self.api_query, "retrieved_at": self.retrieved_at}
CONVERT_THREADS = 2  # this machine has 2 cores; more threads only hold more batches in memory


def _write_cache(
    batches: Iterator[pa.Table | pa.RecordBatch], layout: str, path: Path, sha256: str, cache_file: Path,
    location: FileLocation | None = None,
) -> None:
    """Type each text batch and append it to a temporary Parquet file, renamed into place when complete.
    With `location`, the location columns carry it (else they stay null)."""
    schema = COMTRADE_RAW_ARROW_SCHEMA.with_metadata(
        {_CACHE_VERSION_KEY: PARSER_VERSION.encode(), _CACHE_LAYOUT_KEY: layout.encode()}
    )
    constants = {"source_sha256": sha256, "source_layout": layout}
    temporary = cache_file.with_name(f".{cache_file.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")

    def write(writer: pq.ParquetWriter, rows: pa.Table) -> None:
        for name in _FILE_CONSTANT_COLUMNS:
            position = COMTRADE_RAW_ARROW_SCHEMA.get_field_index(name)
            rows = rows.add_column(position, COMTRADE_RAW_ARROW_SCHEMA.field(name), _constant(constants[name], rows.num_rows))
        for name, value in (location.columns().items() if location is not None else ()):
            position = rows.schema.get_field_index(name)
            rows = rows.set_column(position, COMTRADE_RAW_ARROW_SCHEMA.field(name), _constant(value, rows.num_rows))
        writer.write_table(rows.replace_schema_metadata(schema.metadata), row_group_size=CACHE_ROW_GROUP_ROWS)

    try:
        with pq.ParquetWriter(temporary, schema, compression="zstd") as writer:
            pending: list[pa.Table] = []
            pending_rows = 0
            next_row = 1
            # Typing a batch is Arrow compute, which releases the GIL: batches are typed on a small thread pool
            # while the main thread reads and writes (3 M rows: 18 s on one thread).
            # At most CONVERT_THREADS + 1 batches are in flight, so memory stays bounded by the batch size.
            with ThreadPoolExecutor(max_workers=CONVERT_THREADS) as pool:
                in_flight: deque = deque()

                def collect(typed: pa.Table) -> None:
                    nonlocal pending, pending_rows
                    pending.append(typed.drop_columns(list(_FILE_CONSTANT_COLUMNS)))
                    pending_rows += typed.num_rows
                    while pending_rows >= CACHE_ROW_GROUP_ROWS:  # full row groups only, the rest waits for more rows
                        rows = pa.concat_tables(pending)
                        write(writer, rows.slice(0, CACHE_ROW_GROUP_ROWS))
                        rest = rows.slice(CACHE_ROW_GROUP_ROWS)
                        pending, pending_rows = [rest], rest.num_rows

                for batch in batches:
                    in_flight.append(pool.submit(to_canonical, batch, layout, path, first_row=next_row))
                    next_row += batch.num_rows
                    if len(in_flight) > CONVERT_THREADS:
                        collect(in_flight.popleft().result())
                while in_flight:
                    collect(in_flight.popleft().result())
            if pending_rows:
                write(writer, pa.concat_tables(pending))
        os.replace(temporary, cache_file)  # atomic: a reader never sees half a cache file
    finally:
        temporary.unlink(missing_ok=True)


def _convert_to_cache(path: Path, sha256: str, cache_file: Path, location: FileLocation | None = None) -> None:
    sniff = sniff_file(path)
    layout = layout_of(path, sniff)
    if sniff.container == "csv":
        consume_delimited(path, sniff, layout, lambda batches: _write_cache(batches, layout, path, sha256, cache_file, location))
    elif sniff.container == "parquet":
        _write_cache(stream_parquet(path, sniff), layout, path, sha256, cache_file, location)
    else:  # API responses are small JSON documents, already parsed whole by the sniff
        _write_cache(iter([read_source_text(path, sniff, layout)]), layout, path, sha256, cache_file, location)


def cache_comtrade_file(path: Path, sha256: str, cache_dir: Path, location: FileLocation | None = None) -> Path:
    """Convert one Comtrade extract once into `<cache_dir>/<sha256>.parquet` in the `comtrade_raw` contract.

    Streams the file in batches (memory bounded by the batch size, not the file size) and writes Parquet
    (zstd, row groups of CACHE_ROW_GROUP_ROWS) through a temporary file. `sha256` is the file's content hash
    (`file_sha256`) and fills source_sha256. Without `location`, source_file, api_query and retrieved_at stay
    null (they are where the file sits, set at read time). With it they are filled, and the cache is
    `<sha256>.<location digest>.parquet`: a year held by this file alone is then the cache file as it is (the
    raw asset copies it instead of rewriting 15 M rows); the same file elsewhere is converted again.
    A valid cache file of this parser version is reused as it is.
    Raises RvcInputError naming the file (and the row when known) for unreadable content.
    """
    path, cache_dir = Path(path), Path(cache_dir)
    cache_file = cache_dir / (f"{sha256}.parquet" if location is None else f"{sha256}.{location.digest()}.parquet")
    if _cache_metadata(cache_file) is None:
        cache_dir.mkdir(parents=True, exist_ok=True)
        if location is None:
            _convert_to_cache(path, sha256, cache_file)
        else:
            _convert_to_cache(path, sha256, cache_file, location=location)
    return cache_file


def read_cached(cache_file: Path, years: Collection[int] | None = None) -> pd.DataFrame:
    """The rows of a cache file (only refYear in `years` when given), in file order, as a `comtrade_raw` frame."""
    source = pq.ParquetFile(cache_file)
    wanted = None if years is None else pa.array(sorted(int(year) for year in years), pa.int64())
    parts = []
    for group in range(source.num_row_groups):
        rows = source.read_row_group(group)
        if wanted is not None:
            rows = rows.filter(pc.is_in(rows["refYear"], value_set=wanted))
        parts.append(rows)
    table = pa.concat_tables(parts) if parts else COMTRADE_RAW_ARROW_SCHEMA.empty_table()
    return _frame(table.replace_schema_metadata(None))


# ---------------------------------------------------------------------------------------------- folders


def is_comtrade_file_name(name: str) -> bool:
    """True for names the Comtrade readers read: .csv .txt .tsv .json .parquet (optionally .gz), not sidecars or READMEs."""
    lowered = name.lower()
    if lowered.endswith(".gz"):
        lowered = lowered[: -len(".gz")]
    if lowered.endswith(QUERY_SIDECAR_SUFFIX) or lowered.startswith("readme"):
        return False
    return lowered.endswith(SUPPORTED_SUFFIXES)


def list_comtrade_files(root: Path) -> list[Path]:
    """Every supported file (.csv .txt .tsv .json .parquet, optionally .gz) below root, sorted by relative path.

    Skips query sidecars (`*.query.json`), hidden files and folders, README files and Markdown.
    Raises RvcInputError when root is not a folder.
    """
    root = Path(root)
    if not root.is_dir():
        raise RvcInputError(f"{root}: extracts folder not found; set RVC_EXTRACTS to a folder of Comtrade files.")
    found = []
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        if is_comtrade_file_name(path.name):
            found.append(path)
    return sorted(found, key=lambda path: path.relative_to(root).as_posix())


def _files_outside_cache(root: Path, cache_dir: Path | None) -> list[Path]:
    files = list_comtrade_files(root)
    if cache_dir is None:
        return files
    cache = Path(cache_dir).resolve()
    return [path for path in files if not path.resolve().is_relative_to(cache)]


def empty_comtrade_raw() -> pd.DataFrame:
    """A zero-row frame with every `comtrade_raw` column in contract order and dtype."""
    return pd.DataFrame({name: pd.Series([], dtype=dtype) for name, dtype in COMTRADE_RAW_COLUMNS.items()})


def read_comtrade_extracts(
    root: Path, years: Collection[int] | None = None, cache_dir: Path | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All Comtrade files below root as one `comtrade_raw` table, plus a per-file summary.

    Rows: files in `list_comtrade_files` order, rows in file order; only refYear in `years` when given.
    Every file is read: which files hold a year, without reading their rows, is the extract manifest's
    answer (`assets.sources.manifest`), which the pipeline uses. Summary columns: source_file (str),
    source_layout (str), source_sha256 (str), rows_read (Int64), rows_kept (Int64), years (str, comma list
    of the refYears of the rows read). With `cache_dir`, each file is
    parsed once per content hash and kept as `<cache_dir>/<sha256>.parquet`.
    """
    root = Path(root)
    cache = None if cache_dir is None else Path(cache_dir)
    wanted = None if years is None else {int(year) for year in years}
    frames, summary = [], []
    for path in _files_outside_cache(root, cache):
        sha256 = file_sha256(path)
        source_file = _relative_source_file(path, root)
        parsed = read_cached(cache_comtrade_file(path, sha256, cache)) if cache is not None else _parse_content(path, sha256)
        frame = _with_location(parsed, path, root)
        file_years = sorted(int(year) for year in frame["refYear"].dropna().unique())  # of the rows read, for the summary
        rows_read = len(frame)
        layout = detect_layout(path) if frame.empty else frame["source_layout"].iloc[0]
        kept = frame if wanted is None else frame[frame["refYear"].isin(wanted)]
        summary.append((source_file, layout, sha256, rows_read, len(kept), ",".join(str(year) for year in file_years)))
        frames.append(kept)
    table = pd.concat(frames, ignore_index=True) if frames else empty_comtrade_raw()
    columns = zip(*summary) if summary else [()] * len(SUMMARY_COLUMNS)
    summary_frame = pd.DataFrame(
        {name: pd.Series(list(values), dtype=dtype) for (name, dtype), values in zip(SUMMARY_COLUMNS.items(), columns)}
    )
    return table, summary_frame
