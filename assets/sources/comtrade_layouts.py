"""Comtrade extract layouts: recognise a file's layout from its content and map its columns to Comtrade+ names.

Belongs here: sniffing a file (gzip, Parquet/JSON/delimited text, encoding, delimiter, header), the rules
that name its layout, each layout's column mapping, and reading a file's rows as text with the quirks of
its format (cp1252, trailing comma, JSON envelope). Does not belong here: typing values and provenance
(`comtrade_readers`), or judging rows (cleaning).

Layouts (the `source_layout` values of `checks.raw.COMTRADE_SOURCE_LAYOUTS`):
- legacy_full: legacy comtrade.un.org download, 35 columns `Classification, Year, Period, ..., Flag`
  (also as filled by the Comtrade+ site under the legacy header: `Trade Flow Code` 0, letters in `Trade Flow`).
- legacy_api_reduced: the legacy API's 12-column subset (no Period, ISO, quantity or breakdown columns).
- plus_api_json: a Comtrade+ API response `{elapsedTime, count, data, error}`.
- plus_website_csv: the Comtrade+ website download (`TradeData.csv`): every data row ends with a comma,
  so it has one field more than the header.
- plus_bulk: Comtrade+ bulk file fields (no description columns, e.g. `reporterCode` without `reporterDesc`).
- plus_bulk_snake: the same fields in snake_case (`type_code`, `partner2code`, `primary_value`), as comtradr
  writes them, with or without description columns.
- plus_plain: any other delimited or Parquet file already in Comtrade+ names.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from assets.errors import RvcInputError
from assets.vocabulary import COMTRADE_PLUS_FIELDS, COMTRADE_SOURCE_LAYOUTS

T = TypeVar("T")

GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"
_SNIFF_BYTES = 1 << 20
# Comtrade+ website files are Windows-1252; latin-1 last because it decodes any byte.
TEXT_ENCODINGS = ("utf-8", "cp1252", "latin-1")

# Pseudo-field: the legacy numeric flow code; the reader turns it (with `Trade Flow`) into flowCode.
LEGACY_FLOW_CODE = "_legacy_trade_flow_code"

# Legacy header (matched case-insensitively) -> Comtrade+ field. `Period Desc.` has no Comtrade+ name and
# goes to extra_fields. `Qty Unit` holds a description ("Number of items") but is the only unit text
# legacy files carry, so it lands in qtyUnitAbbr.
LEGACY_TO_PLUS: dict[str, str] = {
    "classification": "classificationCode",
    "year": "refYear",
    "period": "period",
    "aggregate level": "aggrLevel",
    "is leaf code": "isLeaf",
    "trade flow code": LEGACY_FLOW_CODE,
    "trade flow": "flowDesc",
    "reporter code": "reporterCode",
    "reporter": "reporterDesc",
    "reporter iso": "reporterISO",
    "partner code": "partnerCode",
    "partner": "partnerDesc",
    "partner iso": "partnerISO",
    "2nd partner code": "partner2Code",
    "2nd partner": "partner2Desc",
    "2nd partner iso": "partner2ISO",
    "customs proc. code": "customsCode",
    "customs": "customsDesc",
    "mode of transport code": "motCode",
    "mode of transport": "motDesc",
    "commodity code": "cmdCode",
    "commodity": "cmdDesc",
    "qty unit code": "qtyUnitCode",
    "qty unit": "qtyUnitAbbr",
    "qty": "qty",
    "alt qty unit code": "altQtyUnitCode",
    "alt qty unit": "altQtyUnitAbbr",
    "alt qty": "altQty",
    "netweight (kg)": "netWgt",
    "gross weight (kg)": "grossWgt",
    "trade value (us$)": "primaryValue",
    "cif trade value (us$)": "cifvalue",
    "fob trade value (us$)": "fobvalue",
    "flag": "legacyEstimationFlag",
}
_LEGACY_REQUIRED = ("year", "reporter code", "partner code", "commodity code", "trade value (us$)")
_LEGACY_MARKERS = ("trade value (us$)", "commodity code", "reporter code")
_LEGACY_FULL_MARKERS = ("period", "aggregate level")

_PLUS_REQUIRED = ("refYear", "reporterCode", "flowCode", "partnerCode", "cmdCode", "primaryValue")


def plus_key(name: str) -> str:
    """Spelling-free key of a Comtrade+ field name: `partner2Code`, `partner2code`, `partner_2_code` agree."""
    return re.sub(r"[\s_]", "", name).lower()


_PLUS_BY_KEY: dict[str, str] = {plus_key(name): name for name in COMTRADE_PLUS_FIELDS}
assert len(_PLUS_BY_KEY) == len(COMTRADE_PLUS_FIELDS), "two Comtrade+ field names share a key"

_EXPECTED_LAYOUTS_TEXT = (
    "legacy_full (legacy download: Classification, Year, Period, ..., Trade Value (US$), Flag); "
    "legacy_api_reduced (Classification, Year, Trade Flow Code, ..., Commodity Code, Trade Value (US$), Flag); "
    "plus_api_json (a JSON object {elapsedTime, count, data, error}); "
    "plus_website_csv / plus_plain / plus_bulk (Comtrade+ names: refYear, reporterCode, flowCode, partnerCode, "
    "cmdCode, primaryValue, ...); plus_bulk_snake (ref_year, reporter_code, ..., primary_value)"
)


@dataclass(frozen=True)
class FileSniff:
    """What the first bytes of a file say: container, compression, text encoding, delimiter and header."""

    container: str  # "csv" (any delimited text), "json" or "parquet"
    gzipped: bool
    header: tuple[str, ...] = ()
    encoding: str | None = None  # of the sniffed head; the reader falls back if later bytes disagree
    delimiter: str | None = None
    first_row_width: int | None = None  # fields in the first data row, None when there is none
    json_document: Any = field(default=None, compare=False, repr=False)


def is_gzipped(path: Path) -> bool:
    """True when the file's content starts with the gzip magic number (whatever its name says)."""
    with open(path, "rb") as probe:
        return probe.read(2) == GZIP_MAGIC


def open_content(path: Path) -> io.BufferedIOBase:
    """Open a file for binary reading, transparently un-gzipping it when its content is gzip."""
    return gzip.open(path, "rb") if is_gzipped(path) else open(path, "rb")


def sniff_file(path: Path) -> FileSniff:
    """Look at a file's content (never its name) and report its container, encoding, delimiter and header.

    JSON files are parsed whole here (API responses are small) and kept in `json_document`.
    Raises RvcInputError for an empty file, malformed JSON or an unreadable Parquet footer.
    """
    gzipped = is_gzipped(path)
    try:
        with open_content(path) as stream:
            head = stream.read(_SNIFF_BYTES)
            at_end = not stream.read(1)
    except (EOFError, OSError) as error:  # gzip.BadGzipFile is an OSError
        raise RvcInputError(
            f"{path}: the file ends early or its gzip data is damaged ({error}); expected a complete gzipped "
            "extract. Download the file again."
        ) from error
    if not head.strip():
        raise RvcInputError(f"{path}: the file is empty; expected a Comtrade extract with a header row.")
    if head.startswith(PARQUET_MAGIC):
        return FileSniff("parquet", gzipped, header=tuple(_parquet_columns(path, gzipped)))
    if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"["):
        return FileSniff("json", gzipped, json_document=_load_json(path))
    return sniff_delimited_head(path, head, at_end, gzipped)


def _parquet_columns(path: Path, gzipped: bool) -> list[str]:
    try:
        if gzipped:
            with open_content(path) as stream:
                return list(pq.read_schema(pa.BufferReader(stream.read())).names)
        return list(pq.read_schema(path).names)
    except (pa.ArrowException, OSError, EOFError) as error:
        raise RvcInputError(f"{path}: not a readable Parquet file ({error}); re-export or re-download it.") from error


def _load_json(path: Path) -> Any:
    try:
        with open_content(path) as stream:
            raw = stream.read()
    except (EOFError, OSError) as error:
        raise RvcInputError(
            f"{path}: the file ends early or its gzip data is damaged ({error}); expected a complete Comtrade+ "
            "API response. Download the file again."
        ) from error
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RvcInputError(
            f"{path}: malformed JSON ({error}); expected a Comtrade+ API response "
            "{elapsedTime, count, data, error}. Re-download the file."
        ) from error


def _decode_head(head: bytes, at_end: bool) -> tuple[str, str]:
    if not at_end and b"\n" in head:
        head = head[: head.rindex(b"\n") + 1]  # do not decode a character cut at the sniff boundary
    for encoding in TEXT_ENCODINGS:
        try:
            text = head.decode("utf-8-sig" if encoding == "utf-8" else encoding)
        except UnicodeDecodeError:
            continue
        return text, encoding
    raise AssertionError("latin-1 decodes any byte")


def sniff_delimited_head(path: Path, head: bytes, at_end: bool, gzipped: bool) -> FileSniff:
    """The sniff of delimited text from its first bytes (`at_end`: they are the whole content): encoding,
    delimiter, header and the first data row's width. RvcInputError when there is no header line to read."""
    if not at_end and b"\n" not in head:
        raise RvcInputError(
            f"{path}: the first {len(head) >> 20} MiB hold no line break, so there is no header row; expected "
            "delimited text (a header row, then one record per line). Check that this is a Comtrade extract "
            "(not a binary file or a page saved under a .csv name) and download it again."
        )
    text, encoding = _decode_head(head, at_end)
    first_line = text.split("\n", 1)[0]
    if first_line.count("\t") and first_line.count("\t") >= first_line.count(","):
        delimiter = "\t"
    elif first_line.count(";") > first_line.count(","):
        delimiter = ";"
    else:
        delimiter = ","
    records = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = tuple(name.strip() for name in next(records, []))
        first_row = next(records, None)
    except csv.Error as error:  # e.g. a field longer than the csv module's limit (128 KiB) in the header
        raise RvcInputError(
            f"{path}: the header row or first data row cannot be parsed as delimited text ({error}); expected a "
            "header row of column names, then one record per line. Check that this is a Comtrade extract and "
            "download it again."
        ) from error
    return FileSniff(
        "csv",
        gzipped,
        header=header,
        encoding=encoding,
        delimiter=delimiter,
        first_row_width=None if first_row is None else len(first_row),
    )


def _api_envelope_records(path: Path, document: Any) -> list[Any]:
    """The `data` records of a Comtrade+ API envelope; RvcInputError for error responses or other JSON."""
    if isinstance(document, dict) and "data" in document:
        error = document.get("error")
        if error not in (None, "", [], {}):
            raise RvcInputError(
                f"{path}: the Comtrade API answered an error instead of data: {error!r}. "
                "Fix the query (or API key) and fetch the file again."
            )
        if not isinstance(document["data"], list):
            raise RvcInputError(f"{path}: the API envelope's `data` is not a list of records; re-download the file.")
        return document["data"]
    if isinstance(document, dict) and ("statusCode" in document or "message" in document):
        raise RvcInputError(
            f"{path}: the Comtrade API answered an error instead of data: "
            f"{document.get('statusCode', '')} {document.get('message', '')}".rstrip()
            + ". Fix the query (or API key) and fetch the file again."
        )
    if isinstance(document, dict):
        found = f"a JSON object with keys {sorted(document)}"
    else:
        found = f"a JSON {type(document).__name__}"
    raise RvcInputError(
        f"{path}: unrecognised Comtrade layout. Found {found}. Expected one of: {_EXPECTED_LAYOUTS_TEXT}."
    )


def _require_count_matches(path: Path, document: dict) -> None:
    """The envelope's `count` is the number of records the API sent (it equals len(data) in every real
    response we hold): a different length means the response was cut, merged or edited after download, and
    which records are missing cannot be told. An envelope without `count` (hand-made files) is not judged."""
    if "count" not in document or document["count"] is None:
        return
    count, records = document["count"], len(document["data"])
    whole = isinstance(count, int) and not isinstance(count, bool)
    if isinstance(count, str) and count.strip().isdigit():
        count, whole = int(count), True
    if not whole:
        raise RvcInputError(
            f"{path}: the API envelope's `count` is {document['count']!r}, not a whole number of records; expected "
            "an unedited Comtrade+ API response. Fetch the file again."
        )
    if count != records:
        raise RvcInputError(
            f"{path}: the API envelope says `count` {count} but `data` holds {records} record(s): the response was "
            "cut or edited after download, so records may be missing. Fetch the file again (or delete it)."
        )


def api_envelope_records(path: Path, sniff: FileSniff) -> list[Any]:
    """The records of a sniffed plus_api_json file (validated: no API error, `data` is a list, as long as `count`
    says). Recognising the layout (`layout_of`) does not judge `count`, so a cut response is still classified
    as a Comtrade file and reported as an unreadable one, not skipped as something else."""
    records = _api_envelope_records(path, sniff.json_document)
    _require_count_matches(path, sniff.json_document)
    return records


def _unrecognised(path: Path, columns: tuple[str, ...], why: str = "") -> RvcInputError:
    shown = ", ".join(columns[:60]) + (", ..." if len(columns) > 60 else "")
    return RvcInputError(
        f"{path}: unrecognised Comtrade layout{why}. Columns found: [{shown}]. "
        f"Expected one of: {_EXPECTED_LAYOUTS_TEXT}. "
        "Check that this is a Comtrade extract and that its header row is intact."
    )


def layout_of(path: Path, sniff: FileSniff) -> str:
    """Name the layout of a sniffed file, from its content. RvcInputError when no layout fits."""
    if sniff.container == "json":
        records = _api_envelope_records(path, sniff.json_document)
        keys = tuple(dict.fromkeys(key for record in records if isinstance(record, dict) for key in record))
        found = {_PLUS_BY_KEY.get(plus_key(key)) for key in keys}
        missing = [name for name in _PLUS_REQUIRED if name not in found]
        if records and missing:
            # e.g. a data-availability listing (getDA): an API envelope, but not trade records
            raise _unrecognised(path, keys, f" (API records without {', '.join(missing)})")
        return "plus_api_json"
    columns = sniff.header
    if not any(columns):
        raise _unrecognised(path, columns, " (no header row)")
    repeated = sorted({name for name in columns if columns.count(name) > 1})
    if repeated:
        raise RvcInputError(f"{path}: the header repeats columns {repeated}; each column name must appear once.")
    lowered = {name.lower() for name in columns}
    if sum(marker in lowered for marker in _LEGACY_MARKERS) >= 2:
        missing = [name for name in _LEGACY_REQUIRED if name not in lowered]
        if not {"trade flow code", "trade flow"} & lowered:
            missing.append("trade flow code (or trade flow)")
        if missing:
            raise _unrecognised(path, columns, f" (legacy header without {', '.join(missing)})")
        return "legacy_full" if all(marker in lowered for marker in _LEGACY_FULL_MARKERS) else "legacy_api_reduced"
    known = [name for name in columns if plus_key(name) in _PLUS_BY_KEY]
    if len(known) >= 3:
        found = {_PLUS_BY_KEY[plus_key(name)] for name in known}
        missing = [name for name in _PLUS_REQUIRED if name not in found]
        if missing:
            raise _unrecognised(path, columns, f" (Comtrade+ names without {', '.join(missing)})")
        if any("_" in name for name in known):  # comtradr's snake_case (`partner2code` has none, others do)
            return "plus_bulk_snake"
        if sniff.container == "csv" and sniff.first_row_width == len(columns) + 1:
            return "plus_website_csv"
        return "plus_plain" if "reporterDesc" in found else "plus_bulk"
    raise _unrecognised(path, columns)


def detect_layout(path: Path) -> str:
    """The layout name (one of `checks.raw.COMTRADE_SOURCE_LAYOUTS`) of a Comtrade file, from its content.

    Raises RvcInputError naming the file, the columns found and the layouts expected when none fits,
    and for empty files, malformed JSON or API error responses.
    """
    path = Path(path)
    layout = layout_of(path, sniff_file(path))
    assert layout in COMTRADE_SOURCE_LAYOUTS
    return layout


def column_mapping(path: Path, columns: tuple[str, ...] | list[str], layout: str) -> dict[str, str]:
    """Source column -> Comtrade+ field (or LEGACY_FLOW_CODE) for a layout; unmapped columns are extra fields.

    Raises RvcInputError when two source columns land on the same field.
    """
    mapping: dict[str, str] = {}
    for name in columns:
        if layout.startswith("legacy_"):
            target = LEGACY_TO_PLUS.get(name.strip().lower())
        else:
            target = _PLUS_BY_KEY.get(plus_key(name))
        if target is None:
            continue
        if target in mapping.values():
            other = next(source for source, used in mapping.items() if used == target)
            raise RvcInputError(
                f"{path}: columns {other!r} and {name!r} both map to the Comtrade+ field {target!r}; "
                "remove one of them."
            )
        mapping[name] = target
    return mapping


# ---------------------------------------------------------------------------------------------- rows as text

_TRAILING_FIELD = "__trailing_field__"


def _read_delimited(path: Path, sniff: FileSniff, layout: str) -> pa.Table:
    """The whole file as one text table: its streamed batches (`consume_delimited`) concatenated, so reading a
    file whole applies the same rules as caching it — a cut last line is refused, a long row grows the block,
    a later non-UTF-8 row switches the encoding."""

    def concatenate(batches: Iterator[pa.RecordBatch]) -> pa.Table:
        tables = [pa.Table.from_batches([batch]) for batch in batches]
        if tables:
            return pa.concat_tables(tables)
        return pa.table({name: pa.array([], pa.string()) for name in sniff.header})

    return consume_delimited(path, sniff, layout, concatenate)


def _csv_options(
    sniff: FileSniff, names: list[str], encoding: str, use_threads: bool, on_bad_row: Any,
    block_size: int | None = None, include_columns: list[str] | None = None,
) -> tuple[pa_csv.ReadOptions, pa_csv.ParseOptions, pa_csv.ConvertOptions]:
    read_options = pa_csv.ReadOptions(
        column_names=names, skip_rows=1, encoding="utf8" if encoding == "utf-8" else encoding, use_threads=use_threads,
        **({} if block_size is None else {"block_size": block_size}),
    )
    parse_options = pa_csv.ParseOptions(
        delimiter=sniff.delimiter or ",", newlines_in_values=True, invalid_row_handler=on_bad_row
    )
    # Every field as text, "" kept as "" (never "N/A" -> null: "N/A" is a real qtyUnitAbbr value).
    convert_options = pa_csv.ConvertOptions(
        column_types={name: pa.string() for name in (include_columns or names)},
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
        null_values=[],
        **({} if include_columns is None else {"include_columns": include_columns}),
    )
    return read_options, parse_options, convert_options


def _bad_row_error(path: Path, bad_rows: list[Any]) -> RvcInputError:
    row = bad_rows[0]
    where = f"line {row.number}" if row.number is not None else "a row"
    return RvcInputError(
        f"{path}: {where} has {row.actual_columns} fields where the header has {row.expected_columns} "
        f"(row text: {row.text[:200]!r}); {len(bad_rows)} such row(s). Fix or re-download the file."
    )


# ---------------------------------------------------------------------------------------------- rows as text, streamed

# Bytes of text per batch; a row longer than this grows it (see StraddlingRow). Measured on a 3M-row bulk file:
# the streaming reader holds several blocks, 16 MiB blocks peaked at ~420 MB of Arrow memory, 4 MiB at ~190 MB.
STREAM_BLOCK_SIZE = 4 << 20


class NotThisEncoding(Exception):
    """A streamed file turned out not to be in the encoding it was read with: read it again with the next one."""


class StraddlingRow(Exception):
    """One row is longer than the block size: read the file again with larger blocks."""


def _stream_failure(path: Path, error: BaseException, encoding: str, rows_done: int) -> BaseException:
    message = str(error)
    if isinstance(error, pa.ArrowInvalid) and "UTF8" in message and encoding == "utf-8":
        return NotThisEncoding(message)
    if isinstance(error, pa.ArrowInvalid) and "straddl" in message:
        return StraddlingRow(message)
    if isinstance(error, UnicodeDecodeError):
        return NotThisEncoding(message)
    if isinstance(error, (EOFError, OSError)) or "compressed" in message.lower() or "gzip" in message.lower():
        return RvcInputError(
            f"{path}: the file ends early or its compressed data is damaged ({error}), after {rows_done} data "
            "row(s); expected a complete (gzipped) delimited file. Download the file again."
        )
    return RvcInputError(
        f"{path}: cannot parse as delimited text after data row {rows_done} ({error}); "
        "expected delimited text with the header's field count on every row. Fix or re-download the file."
    )


def stream_delimited(
    path: Path, sniff: FileSniff, layout: str, encoding: str, block_size: int | None = None,
    include_columns: list[str] | None = None,
) -> Iterator[pa.RecordBatch]:
    """A delimited file's rows as text batches, in file order, with memory bounded by `block_size`.

    Same text rules as `read_source_text` (every value text, "" for empty, website trailing field checked
    and dropped); `include_columns` reads only those columns. Raises NotThisEncoding when a later row is
    not in `encoding` (start again with the next of TEXT_ENCODINGS), StraddlingRow when a row is longer
    than `block_size`, RvcInputError for malformed rows, truncated gzip or damaged content.
    """
    website = layout == "plus_website_csv"
    names = list(sniff.header) + ([_TRAILING_FIELD] if website else [])
    if include_columns is not None and website:
        include_columns = [*include_columns, _TRAILING_FIELD]
    bad_rows: list[Any] = []

    def keep_bad_row(row: Any) -> str:
        bad_rows.append(row)
        return "skip"

    # Single-threaded conversion: the bad-row handler then knows the line number.
    options = _csv_options(sniff, names, encoding, False, keep_bad_row, block_size or STREAM_BLOCK_SIZE, include_columns)
    rows_done = 0
    tracked: _TailTracking | None = None
    try:
        with pa.input_stream(str(path), compression="gzip" if sniff.gzipped else None) as stream:
            tracked = _TailTracking(stream)
            reader = pa_csv.open_csv(
                pa.PythonFile(tracked, mode="r"), read_options=options[0], parse_options=options[1], convert_options=options[2]
            )
            for batch in reader:
                if bad_rows:
                    raise _bad_row_error(path, bad_rows)
                if website:
                    stray = pc.not_equal(batch.column(_TRAILING_FIELD), "")
                    if pc.any(stray).as_py():
                        row = rows_done + pc.index(stray, True).as_py() + 1
                        raise RvcInputError(
                            f"{path}: data row {row} has a value after the last header column; a Comtrade+ website "
                            "CSV ends each row with an empty field. Re-download the file."
                        )
                    batch = batch.drop_columns([_TRAILING_FIELD])
                rows_done += batch.num_rows
                yield batch
    except (RvcInputError, GeneratorExit):
        raise
    except (pa.ArrowException, OSError, EOFError, UnicodeDecodeError) as error:
        if isinstance(error, pa.ArrowInvalid) and "skip initial" in str(error) and tracked and not tracked.saw_newline:
            return  # the header alone, without a line break (sniff_file requires one within 1 MiB otherwise): no rows
        raise _stream_failure(path, error, encoding, rows_done) from error
    if bad_rows:
        raise _bad_row_error(path, bad_rows)
    assert tracked is not None
    if rows_done and tracked.saw_newline and tracked.last_byte not in (b"\n", b"\r"):
        raise RvcInputError(
            f"{path}: the last line (data row {rows_done}) has no line terminator while every other line has one: the "
            "file was cut in the middle of that row, so its last value may be shortened. Download the file again."
        )


_MAX_BLOCK_SIZE = 1 << 30


class _TailTracking:
    """A binary stream that remembers the last byte read: a delimited file whose lines end with a line
    terminator but whose last line does not was cut in the middle of that line (a download that stopped), and
    the cut row would otherwise be read with a shortened last field (17950567092 read as 17)."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self.last_byte = b""
        self.saw_newline = False

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        if data:
            self.last_byte = data[-1:]
            self.saw_newline = self.saw_newline or b"\n" in data
        return data

    def readable(self) -> bool:
        return True

    @property
    def closed(self) -> bool:
        return False

    def close(self) -> None:  # the underlying stream is closed by its own context manager
        pass


def consume_delimited(
    path: Path, sniff: FileSniff, layout: str, consume: Callable[[Iterator[pa.RecordBatch]], T],
    include_columns: list[str] | None = None, block_size: int | None = None,
) -> T:
    """`consume(stream_delimited(...))`, started again from the first row with the next encoding when a later
    row is not UTF-8, or with 4x larger blocks when a row is longer than a block. `consume` must be restartable.
    """
    encodings = list(TEXT_ENCODINGS[TEXT_ENCODINGS.index(sniff.encoding or "utf-8") :])
    block_size = block_size or STREAM_BLOCK_SIZE
    while True:
        try:
            return consume(stream_delimited(path, sniff, layout, encodings[0], block_size, include_columns))
        except NotThisEncoding as error:
            if len(encodings) == 1:
                raise RvcInputError(f"{path}: cannot decode the text ({error}); re-download the file.") from error
            encodings.pop(0)
        except StraddlingRow as error:
            if block_size >= _MAX_BLOCK_SIZE:
                raise RvcInputError(
                    f"{path}: a row is longer than {_MAX_BLOCK_SIZE >> 20} MiB ({error}); expected one record per "
                    "row — check for an unbalanced quote and re-download the file."
                ) from error
            block_size *= 4


def _json_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "" if value != value else repr(value)
    if isinstance(value, (int, str)):
        return str(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _read_api_json(path: Path, sniff: FileSniff) -> pa.Table:
    records = api_envelope_records(path, sniff)
    columns: dict[str, list[str]] = {}
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            raise RvcInputError(f"{path}: record {index + 1} of `data` is not a JSON object; re-download the file.")
        for key in record:
            columns.setdefault(key, [""] * index)
        for key, values in columns.items():
            values.append(_json_text(record.get(key)))
    return pa.table({key: pa.array(values, pa.string()) for key, values in columns.items()})


def _parquet_text(columns: pa.Table | pa.RecordBatch) -> pa.Table:
    # Typed columns (an int cmdCode, bool flags) go through the same text rules as every other layout.
    return pa.table({name: pc.cast(columns.column(name), pa.string()).fill_null("") for name in columns.column_names})


def _read_parquet(path: Path, sniff: FileSniff) -> pa.Table:
    try:
        if sniff.gzipped:
            with open_content(path) as stream:
                table = pq.read_table(pa.BufferReader(stream.read()))
        else:
            table = pq.read_table(path)
        return _parquet_text(table)
    except (pa.ArrowException, OSError, EOFError) as error:
        raise RvcInputError(
            f"{path}: cannot read the Parquet columns as text ({error}); re-export the file."
        ) from error


def stream_parquet(path: Path, sniff: FileSniff, columns: list[str] | None = None, batch_size: int = 1 << 17) -> Iterator[pa.Table]:
    """A Parquet file's rows as text tables of at most `batch_size` rows (only `columns` when given).

    A gzipped Parquet file is decompressed into memory first (Parquet needs random access).
    """
    try:
        if sniff.gzipped:
            with open_content(path) as stream:
                source = pq.ParquetFile(pa.BufferReader(stream.read()))
        else:
            source = pq.ParquetFile(path)
        for batch in source.iter_batches(batch_size=batch_size, columns=columns):
            yield _parquet_text(batch)
    except (pa.ArrowException, OSError, EOFError) as error:
        raise RvcInputError(
            f"{path}: cannot read the Parquet columns as text ({error}); re-export the file."
        ) from error


def read_source_text(path: Path, sniff: FileSniff, layout: str) -> pa.Table:
    """Every row of a file in file order, under its source column names, every value as text ("" when empty).

    Raises RvcInputError for rows whose field count differs from the header, or undecodable content.
    """
    if sniff.container == "json":
        return _read_api_json(path, sniff)
    if sniff.container == "parquet":
        return _read_parquet(path, sniff)
    return _read_delimited(path, sniff, layout)
