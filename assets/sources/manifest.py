"""The extract manifest: every file below the extracts folder, what it is and which years it holds.

Belongs here: listing the extracts folder, classifying each file (Comtrade, TiVA, or skipped with a
reason), counting its rows per year by streaming the year column only, and keeping the answer in a cached
`manifest.json` that is refreshed only for new or changed files (size or mtime changed). It is the one
answer to "which years does this file hold" for partitions, sensors, fingerprints and `rvc years`.
Does not belong here: typing rows (`comtrade_readers`, `tiva_layouts`) or anything Dagster.

Memory is bounded independent of file size: delimited Comtrade files are streamed in blocks with only
the year column converted, Parquet by row batches of one column; Comtrade+ API responses (JSON) and TiVA
files are small and read whole. A file that cannot be read gets its reason in `error` and never stops the
others; a torn or unreadable manifest.json is treated as empty and rebuilt.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from assets.errors import RvcInputError
from assets.files import write_bytes_atomically
from assets.sources.comtrade_layouts import (
    GZIP_MAGIC,
    sniff_delimited_head,
    column_mapping,
    consume_delimited,
    is_gzipped,
    layout_of,
    plus_key,
    read_source_text,
    sniff_file,
    stream_parquet,
)
from assets.sources.comtrade_readers import PARSER_VERSION, is_comtrade_file_name, whole_years
from assets.sources.extract_inventory import file_sha256
from assets.sources.year_range import YEAR_IMPLAUSIBLE, is_plausible_year
from assets.vocabulary import QUERY_SIDECAR_SUFFIX

COMTRADE, TIVA, SKIPPED = "comtrade", "tiva", "skipped"
FAMILIES = (COMTRADE, TIVA, SKIPPED)
MANIFEST_FILE_NAME = "manifest.json"
# Why rows of a readable file belong to no partition (RowsOutsidePartitions.why).
BEFORE_FIRST_YEAR, AFTER_LAST_YEAR = "before_first_partition_year", "after_last_partition_year"
# Bump when the classification or counting rules change: every entry is then computed again.
MANIFEST_VERSION = f"4/comtrade-parser-{PARSER_VERSION}"  # 2: broken files keep the years of their readable rows; 3: files anywhere, by content; 4: also gzips cut within their first MiB, JSON count checked


@dataclass(frozen=True)
class ManifestEntry:
    """One file below the extracts folder.

    `family` is comtrade, tiva or skipped (a file no reader reads; `error` then says why). `error` is
    None for a readable file; for a Comtrade or TiVA file it is the reason it cannot be read, and
    `rows_by_year` is then empty (its years are unknown).
    """

    source_file: str  # relative to the extracts folder, POSIX separators
    path: Path  # absolute
    size: int
    mtime_ns: int
    sha256: str
    family: str
    layout: str | None
    rows_by_year: dict[int, int] = field(default_factory=dict)
    error: str | None = None

    @property
    def readable(self) -> bool:
        return self.family != SKIPPED and self.error is None


@dataclass(frozen=True)
class RowsOutsidePartitions:
    """Rows of one year of one readable file that no partition reads.

    `why` is YEAR_IMPLAUSIBLE (outside year_range's plausible years: never a partition), BEFORE_FIRST_YEAR
    or AFTER_LAST_YEAR (a plausible year outside RVC_START_YEAR..RVC_END_YEAR). `quarantined_in` is the
    partition whose Comtrade run puts the rows into comtrade_rejects (reason YEAR_IMPLAUSIBLE), None when
    none does (the rows are then only counted and named).
    """

    source_file: str
    family: str
    year: int
    rows: int
    why: str
    quarantined_in: int | None


@dataclass(frozen=True)
class Manifest:
    extracts_dir: Path
    entries: list[ManifestEntry]

    def years(self, family: str | None = None) -> list[int]:
        """Plausible years (year_range) with at least one row (of `family` when given), ascending. An unreadable
        file's years count too, so the partitions it would feed exist and fail naming it rather than silently
        lacking it. Implausible years (2099 in a 2017 file) never make a partition: see rows_outside_partitions."""
        return sorted({
            year
            for entry in self.entries
            if family is None or entry.family == family
            for year, rows in entry.rows_by_year.items()
            if rows > 0 and is_plausible_year(year)
        })

    def quarantine_year(self, entry: ManifestEntry, first_year: int, last_year: int) -> int | None:
        """The partition whose Comtrade run quarantines `entry`'s rows of implausible years: the earliest year of
        the file within first_year..last_year. None when the file has no such rows, or no year in the range."""
        if entry.family != COMTRADE or not entry.readable:
            return None
        if all(is_plausible_year(year) for year in entry.rows_by_year):
            return None
        return min((year for year in entry.rows_by_year if first_year <= year <= last_year), default=None)

    def rows_outside_partitions(self, first_year: int, last_year: int) -> list[RowsOutsidePartitions]:
        """Rows of readable files whose year no partition of first_year..last_year reads, by file and year.
        (Unreadable files are not here: their errors name them.)"""
        found = []
        for entry in sorted(self.entries, key=lambda e: e.source_file):
            if not entry.readable:
                continue
            quarantine = self.quarantine_year(entry, first_year, last_year)
            for year, rows in sorted(entry.rows_by_year.items()):
                if rows <= 0 or (first_year <= year <= last_year and is_plausible_year(year)):
                    continue
                if not is_plausible_year(year):
                    why, where = YEAR_IMPLAUSIBLE, quarantine
                else:
                    why, where = (BEFORE_FIRST_YEAR if year < first_year else AFTER_LAST_YEAR), None
                found.append(RowsOutsidePartitions(entry.source_file, entry.family, year, rows, why, where))
        return found

    def files_for_year(self, year: int, family: str) -> list[ManifestEntry]:
        """Readable files of `family` holding rows of `year`, by source_file."""
        return sorted(
            (e for e in self.entries if e.readable and e.family == family and e.rows_by_year.get(int(year), 0) > 0),
            key=lambda e: e.source_file,
        )

    def bad_files_for_year(self, year: int, family: str) -> list[ManifestEntry]:
        """Unreadable files of `family` that may hold `year`: those whose years are known to include it, and
        every unreadable file whose years are unknown (so a partition can name them)."""
        return sorted(
            (
                e for e in self.unreadable()
                if e.family == family and (not e.rows_by_year or e.rows_by_year.get(int(year), 0) > 0)
            ),
            key=lambda e: e.source_file,
        )

    def unreadable(self) -> list[ManifestEntry]:
        """Comtrade and TiVA files that cannot be read, with the reason in `error`."""
        return [e for e in self.entries if e.family != SKIPPED and e.error is not None]

    def skipped(self) -> list[ManifestEntry]:
        """Files no reader reads (unsupported suffix, sidecar, codebook, outside comtrade/ and tiva/), with the reason."""
        return [e for e in self.entries if e.family == SKIPPED]


def manifest_file(cache_dir: Path) -> Path:
    """`<warehouse>/.cache/manifest.json` for the extracts cache folder `<warehouse>/.cache/extracts`."""
    return Path(cache_dir).parent / MANIFEST_FILE_NAME


# ---------------------------------------------------------------------------------------------- counting years


def _count_years(path: Path, batches: Iterable[pa.Table | pa.RecordBatch], column: str) -> dict[int, int]:
    counts: Counter[int] = Counter()
    rows_done = 0
    for batch in batches:
        text = batch.column(column)
        years = whole_years(text)
        if years.null_count:
            row = pc.index(pc.is_null(years), True).as_py()
            raise RvcInputError(
                f"{path}: data row {rows_done + row + 1} has no whole-number year ({column} is "
                f"{text[row].as_py()!r}). Every row needs its year: fix or re-download the file."
            )
        for item in pc.value_counts(years).to_pylist():
            counts[int(item["values"])] += int(item["counts"])
        rows_done += batch.num_rows
    return dict(sorted(counts.items()))


def comtrade_rows_by_year(path: Path) -> tuple[str, dict[int, int]]:
    """(layout, {refYear: rows}) of one Comtrade file, streaming its year column only.

    Raises RvcInputError for files the readers cannot read (unknown layout, truncated gzip, malformed rows,
    rows without a whole-number year).
    """
    sniff = sniff_file(path)
    layout = layout_of(path, sniff)
    if sniff.container == "json":
        table = read_source_text(path, sniff, layout)
        columns: tuple[str, ...] = tuple(table.column_names)
    else:
        columns = sniff.header
    year_columns = [name for name, target in column_mapping(path, columns, layout).items() if target == "refYear"]
    if not year_columns:
        return layout, {}  # an API response without records
    column = year_columns[0]
    if sniff.container == "json":
        return layout, _count_years(path, [table], column)
    if sniff.container == "parquet":
        return layout, _count_years(path, stream_parquet(path, sniff, columns=[column]), column)
    counted = consume_delimited(
        path, sniff, layout, lambda batches: _count_years(path, batches, column), include_columns=[column]
    )
    return layout, counted


def _decompressed_prefix(path: Path, chunk_size: int = 1 << 20) -> Iterator[bytes]:
    """The file's bytes, un-gzipped when its content is gzip, as far as they go: a cut or damaged gzip stream
    ends the iteration where it breaks instead of raising, so the rows before the break can still be counted."""
    with open(path, "rb") as raw:
        if raw.read(2) != GZIP_MAGIC:
            raw.seek(0)
            while chunk := raw.read(chunk_size):
                yield chunk
            return
        raw.seek(0)
        inflate = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        while chunk := raw.read(chunk_size):
            try:
                data = inflate.decompress(chunk)
            except zlib.error:
                return
            if data:
                yield data
            if inflate.eof:
                return


def _text_lines(chunks: Iterator[bytes], encoding: str) -> Iterator[str]:
    """Lines of a byte stream for csv.reader, decoded incrementally (a file object opened with newline="" would
    give the same lines); a partial last line is kept."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    pending = ""
    for chunk in chunks:
        pending += decoder.decode(chunk)
        cut = pending.rfind("\n") + 1
        if cut:
            yield from io.StringIO(pending[:cut], newline="")
            pending = pending[cut:]
    pending += decoder.decode(b"", final=True)
    if pending:
        yield from io.StringIO(pending, newline="")


def years_despite_errors(path: Path) -> dict[int, int]:
    """{year: rows} of the rows that do parse in a delimited Comtrade file that cannot be read whole (a malformed
    row, a cut or damaged gzip, even one cut within its first MiB), so its failure lands on the partitions of the
    years it holds instead of on none or all. Python's csv module, one row at a time: slow, but only for broken
    files. {} when even that fails."""
    counts: Counter[int] = Counter()
    try:
        if (json_years := _api_response_years(path)) is not None:
            return json_years
        head = b""
        for chunk in _decompressed_prefix(path):
            head += chunk
            if len(head) >= (1 << 20):
                break
        sniff = sniff_delimited_head(path, head, at_end=len(head) < (1 << 20), gzipped=is_gzipped(path))
        layout = layout_of(path, sniff)
        mapping = column_mapping(path, sniff.header, layout)
        year_column = next(name for name, target in mapping.items() if target == "refYear")
        index = list(sniff.header).index(year_column)
        lines = _text_lines(_decompressed_prefix(path), "utf-8-sig" if sniff.encoding == "utf-8" else sniff.encoding or "utf-8")
        rows = csv.reader(lines, delimiter=sniff.delimiter or ",")
        next(rows, None)
        with _fields_of_any_length():
            try:
                for row in rows:
                    value = row[index].strip() if len(row) > index else ""
                    if value.removesuffix(".0").isdigit():
                        counts[int(value.removesuffix(".0"))] += 1
            except csv.Error:
                pass  # a malformed row: the rows before it still say which years the file holds
    except (RvcInputError, StopIteration, ValueError, OSError):
        return dict(counts)
    return dict(sorted(counts.items()))


def _api_response_years(path: Path) -> dict[int, int] | None:
    """{year: records} of a parseable Comtrade+ API envelope that cannot be read (its `count` disagrees with its
    `data`), counted from the records' refYear; None for any other file."""
    try:
        sniff = sniff_file(path)
    except RvcInputError:
        return None
    document = sniff.json_document
    if sniff.container != "json" or not isinstance(document, dict) or not isinstance(document.get("data"), list):
        return None
    counts: Counter[int] = Counter()
    for record in document["data"]:
        if isinstance(record, dict):
            value = next((v for k, v in record.items() if plus_key(str(k)) == "refyear"), None)
            if str(value).removesuffix(".0").isdigit():
                counts[int(str(value).removesuffix(".0"))] += 1
    return dict(sorted(counts.items()))


@contextmanager
def _fields_of_any_length() -> Iterator[None]:
    # A broken file may hold a huge field (an unbalanced quote swallows the rest): count what parses.
    previous = csv.field_size_limit()
    csv.field_size_limit(1 << 30)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def tiva_rows_by_year(path: Path, tiva_root: Path) -> tuple[str, dict[int, int]]:
    """(layout, {year: observations}) of one TiVA observation file (TiVA files are small: read whole)."""
    from assets.sources.tiva_layouts import read_tiva_file

    rows = read_tiva_file(path, tiva_root)
    counts = rows["year"].dropna().astype(int).value_counts()
    layout = str(rows["source_layout"].iloc[0]) if len(rows) else ""
    return layout, {int(year): int(n) for year, n in sorted(counts.items())}


# ---------------------------------------------------------------------------------------------- classifying


def _classify(relative: Path, path: Path) -> tuple[str, str | None]:
    """(family, skip reason): which reader reads this file, or SKIPPED and why none does.

    Files in `comtrade/` or `tiva/` belong to that family when their suffix is one its readers read (a bad
    file there is reported as unreadable, not skipped). Files anywhere else are classified by their content:
    a Comtrade layout first, then TiVA observations, else skipped with both reasons."""
    from assets.sources.tiva_layouts import NOT_OBSERVATIONS, _is_data_file_name, detect_tiva_layout

    name = path.name.lower()
    if name.endswith(QUERY_SIDECAR_SUFFIX):
        return SKIPPED, "query sidecar: read together with its data file, not on its own"
    if name.endswith(".md") or name.startswith("readme"):
        return SKIPPED, "notes (README or Markdown), not data"
    folder = relative.parts[0] if len(relative.parts) > 1 else None
    if folder == COMTRADE:
        if not is_comtrade_file_name(path.name):
            return SKIPPED, (
                f"suffix {''.join(path.suffixes) or '(none)'!r} is not one the Comtrade readers read "
                "(.csv .txt .tsv .json .parquet, optionally .gz): unpack or convert it"
            )
        return COMTRADE, None
    if folder == TIVA:
        return TIVA, _tiva_skip_reason(path, name)
    # Anywhere else: by content.
    why_not = []
    if is_comtrade_file_name(path.name):
        try:
            layout_of(path, sniff_file(path))
            return COMTRADE, None
        except Exception as error:  # noqa: BLE001 - any failure means "not a Comtrade file we recognise"
            why_not.append(f"not a Comtrade extract ({str(error).split(': ', 1)[-1][:160]})")
    if _is_data_file_name(path) and not name.endswith((".json", ".json.gz")):
        try:
            if detect_tiva_layout(path) != NOT_OBSERVATIONS:
                return TIVA, None
            why_not.append("not TiVA observations (no OBS_VALUE or Value column)")
        except Exception as error:  # noqa: BLE001
            why_not.append(f"not TiVA observations ({str(error).split(': ', 1)[-1][:160]})")
    if not why_not:
        why_not.append(
            f"suffix {''.join(path.suffixes) or '(none)'!r} is not one the readers read (Comtrade: .csv .txt .tsv .json "
            ".parquet; TiVA: .csv .txt; optionally .gz): unpack or convert it"
        )
    return SKIPPED, "; ".join(why_not)


def _tiva_skip_reason(path: Path, name: str) -> str | None:
    from assets.sources.tiva_layouts import NOT_OBSERVATIONS, _is_data_file_name, detect_tiva_layout

    if name.endswith((".json", ".json.gz")):
        return "JSON metadata (a query sidecar), not observations: the TiVA readers read .csv and .txt"
    if not _is_data_file_name(path):
        return (
            f"suffix {''.join(path.suffixes) or '(none)'!r} is not one the TiVA readers read "
            "(.csv .txt, optionally .gz): unpack or convert it"
        )
    try:
        if detect_tiva_layout(path) == NOT_OBSERVATIONS:
            return "no OBS_VALUE or Value column: a codebook or area list, not TiVA observations"
    except Exception:  # noqa: BLE001 - an unknown TiVA layout is an unreadable TiVA file, reported by _measure
        return None
    return None


def tiva_root_of(entry_source_file: str, extracts_dir: Path) -> Path:
    """The folder a TiVA file's `source_file` is recorded relative to: `tiva/` for files in it (as the TiVA
    readers always did), else the extracts folder."""
    return extracts_dir / TIVA if entry_source_file.startswith(f"{TIVA}/") else extracts_dir


def _measure(path: Path, relative: Path, extracts_dir: Path) -> tuple[str, str | None, dict[int, int], str | None]:
    """(family, layout, rows_by_year, error) of one file. Never raises for a bad file: the reason goes in error."""
    try:
        family, reason = _classify(relative, path)
    except Exception as error:  # noqa: BLE001 - one bad file must not stop the manifest
        return SKIPPED, None, {}, f"cannot classify ({type(error).__name__}: {error})"
    if reason is not None:
        return SKIPPED, None, {}, reason
    try:
        if family == COMTRADE:
            layout, rows = comtrade_rows_by_year(path)
        else:
            layout, rows = tiva_rows_by_year(path, tiva_root_of(relative.as_posix(), extracts_dir))
    except RvcInputError as error:
        years = years_despite_errors(path) if family == COMTRADE else {}
        return family, None, years, str(error)
    except Exception as error:  # noqa: BLE001 - unexpected failures are reported per file, never crash the load
        return family, None, {}, f"{path}: cannot be read ({type(error).__name__}: {error})"
    return family, layout, rows, None


def _candidate_files(extracts_dir: Path, cache_dir: Path) -> Iterator[Path]:
    cache_root = Path(cache_dir).resolve().parent
    for path in sorted(extracts_dir.rglob("*")):
        relative = path.relative_to(extracts_dir)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue  # hidden files and folders (editor temp files, our own .cache)
        if path.resolve().is_relative_to(cache_root):
            continue
        yield path


# ---------------------------------------------------------------------------------------------- the cached file


def _entry_record(entry: ManifestEntry) -> dict:
    record = asdict(entry)
    del record["path"]
    record["rows_by_year"] = {str(year): rows for year, rows in entry.rows_by_year.items()}
    return record


def _entry_from_record(record: dict, extracts_dir: Path) -> ManifestEntry:
    return ManifestEntry(
        source_file=str(record["source_file"]),
        path=extracts_dir / record["source_file"],
        size=int(record["size"]),
        mtime_ns=int(record["mtime_ns"]),
        sha256=str(record["sha256"]),
        family=str(record["family"]) if record["family"] in FAMILIES else SKIPPED,
        layout=None if record["layout"] is None else str(record["layout"]),
        rows_by_year={int(year): int(rows) for year, rows in record["rows_by_year"].items()},
        error=None if record["error"] is None else str(record["error"]),
    )


def read_manifest_file(path: Path, extracts_dir: Path) -> list[ManifestEntry]:
    """The entries of a saved manifest for `extracts_dir`; [] when it is missing, torn, of another version or
    written for another folder (it is then rebuilt)."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
        if document.get("version") != MANIFEST_VERSION or document.get("extracts_dir") != str(extracts_dir):
            return []
        return [_entry_from_record(record, extracts_dir) for record in document["files"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return []


def save_manifest(manifest: Manifest, path: Path) -> None:
    """Write atomically: a unique temporary file in the same folder, then os.replace."""
    document = {
        "version": MANIFEST_VERSION,
        "extracts_dir": str(manifest.extracts_dir),
        "files": [_entry_record(entry) for entry in manifest.entries],
    }
    write_bytes_atomically(Path(path), json.dumps(document, indent=1).encode("utf-8"))


def refresh_manifest(extracts_dir: Path, cache_dir: Path, previous: list[ManifestEntry]) -> Manifest:
    """The manifest of `extracts_dir` now: entries of unchanged files (same path, size and mtime) reused,
    entries of files with known content (same sha256 in the same family folder) copied, the rest measured."""
    extracts_dir = Path(extracts_dir).resolve()
    by_location = {entry.source_file: entry for entry in previous}
    by_content = {(entry.sha256, entry.source_file.split("/", 1)[0]): entry for entry in previous}
    entries = []
    if extracts_dir.is_dir():
        for path in _candidate_files(extracts_dir, cache_dir):
            relative = path.relative_to(extracts_dir)
            source_file = relative.as_posix()
            stat = path.stat()
            known = by_location.get(source_file)
            if known is not None and known.size == stat.st_size and known.mtime_ns == stat.st_mtime_ns:
                entries.append(known)
                continue
            sha256 = file_sha256(path)
            same_content = by_content.get((sha256, relative.parts[0]))
            if same_content is not None and same_content.family != SKIPPED:
                family, layout, rows, error = same_content.family, same_content.layout, same_content.rows_by_year, same_content.error
            else:
                family, layout, rows, error = _measure(path, relative, extracts_dir)
            entries.append(ManifestEntry(source_file, path, stat.st_size, stat.st_mtime_ns, sha256, family, layout, rows, error))
    return Manifest(extracts_dir, entries)


def load_manifest(extracts_dir: Path, cache_dir: Path) -> Manifest:
    """The manifest of `extracts_dir`, refreshed for new and changed files and saved to `manifest_file(cache_dir)`.

    Cheap when nothing changed (one stat per file). Never raises for bad extracts or a bad manifest file;
    a manifest that cannot be saved (read-only warehouse) is still returned.
    """
    extracts_dir = Path(extracts_dir).resolve()
    target = manifest_file(cache_dir)
    previous = read_manifest_file(target, extracts_dir)
    manifest = refresh_manifest(extracts_dir, cache_dir, previous)
    if [_entry_record(e) for e in manifest.entries] != [_entry_record(e) for e in previous]:
        try:
            save_manifest(manifest, target)
        except OSError:
            pass  # the answer is right; the next load measures the changed files again
    return manifest
