"""The streaming Parquet cache (`cache_comtrade_file`) holds exactly what the whole-file reader gives.

The reference is `_parse_content`, which reads a file in one piece (pyarrow's multi-threaded `read_csv`
and one call of `to_canonical`); the cache is written batch by batch through `open_csv`. Tiny block
sizes and row groups force many batches, so a row numbering or typing that depends on the batch shows.
"""

from __future__ import annotations

import gzip
import hashlib
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from assets.errors import RvcInputError
from assets.sources import comtrade_layouts, comtrade_readers
from assets.sources.comtrade_readers import (
    COMTRADE_RAW_ARROW_SCHEMA,
    PARSER_VERSION,
    _CACHE_VERSION_KEY,
    _parse_content,
    cache_comtrade_file,
    read_cached,
)
from assets.vocabulary import COMTRADE_RAW_COLUMNS

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "comtrade"
REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "real"
READABLE_FIXTURES = sorted(
    path.name for path in FIXTURES.iterdir()
    if path.suffix in (".csv", ".tsv", ".json") and "error" not in path.name and "unknown" not in path.name
    and not path.name.endswith(".query.json")
)
REAL_FILES = sorted(
    path.relative_to(REAL).as_posix()
    for folder in ("comtrade_legacy", "comtrade_plus") if (REAL / folder).is_dir()
    for path in (REAL / folder).iterdir()
)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cached_frame(path: Path, cache_dir: Path) -> pd.DataFrame:
    return read_cached(cache_comtrade_file(path, sha(path), cache_dir))


def assert_same_as_whole_file(path: Path, cache_dir: Path) -> pd.DataFrame:
    streamed = cached_frame(path, cache_dir)
    whole = _parse_content(path, sha(path))
    pd.testing.assert_frame_equal(streamed, whole)
    assert list(streamed.columns) == list(COMTRADE_RAW_COLUMNS)
    assert all(streamed[name].dtype == dtype for name, dtype in COMTRADE_RAW_COLUMNS.items())
    assert streamed["source_row"].tolist() == list(range(1, len(streamed) + 1))
    return streamed


@pytest.fixture
def tiny_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of 1 KiB (a few rows each, longer rows grow them) and row groups of 3 rows."""
    monkeypatch.setattr(comtrade_layouts, "STREAM_BLOCK_SIZE", 1 << 10)
    monkeypatch.setattr(comtrade_readers, "CACHE_ROW_GROUP_ROWS", 3)


@pytest.mark.parametrize("name", READABLE_FIXTURES)
def test_cache_equals_the_whole_file_reader_for_every_fixture(name: str, tmp_path: Path, tiny_blocks: None) -> None:
    assert_same_as_whole_file(FIXTURES / name, tmp_path / "cache")


@pytest.mark.real_data
@pytest.mark.parametrize("relative", REAL_FILES or ["(no real extracts)"])
def test_cache_equals_the_whole_file_reader_for_every_real_file(relative: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not REAL_FILES:
        pytest.skip("../shared/data/real is not here")
    monkeypatch.setattr(comtrade_layouts, "STREAM_BLOCK_SIZE", 64 << 10)  # several batches per file
    monkeypatch.setattr(comtrade_readers, "CACHE_ROW_GROUP_ROWS", 500)
    assert_same_as_whole_file(REAL / relative, tmp_path / "cache")


def test_source_row_continues_across_batches_and_row_groups(tmp_path: Path, tiny_blocks: None) -> None:
    path = gzipped_bulk(tmp_path, copies=40)  # 120 rows of ~200 bytes: about 25 blocks, 40 row groups
    calls: list[int] = []
    to_canonical = comtrade_readers.to_canonical

    def counting(source, layout, path, first_row=1, sha256=None):
        calls.append(first_row)
        return to_canonical(source, layout, path, first_row, sha256)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(comtrade_readers, "to_canonical", counting)
        cache_file = cache_comtrade_file(path, sha(path), tmp_path / "cache")
    assert len(calls) > 10 and calls[0] == 1  # really batched
    assert pq.ParquetFile(cache_file).num_row_groups == 40
    frame = read_cached(cache_file)
    assert frame["source_row"].tolist() == list(range(1, 121))
    pd.testing.assert_frame_equal(frame, _parse_content(path, sha(path)))


def gzipped_bulk(folder: Path, copies: int, extra_rows: list[str] = ()) -> Path:
    lines = (FIXTURES / "plus_bulk_handwritten.tsv").read_text().splitlines()
    body = lines[1:] * copies + list(extra_rows)
    path = folder / "bulk.tsv.gz"
    path.write_bytes(gzip.compress(("\n".join([lines[0], *body]) + "\n").encode("latin-1"), mtime=0))
    return path


def test_cache_schema_carries_the_contract_and_parser_version(tmp_path: Path) -> None:
    path = gzipped_bulk(tmp_path, copies=1)
    cache_file = cache_comtrade_file(path, sha(path), tmp_path / "cache")
    assert cache_file == tmp_path / "cache" / f"{sha(path)}.parquet"
    schema = pq.read_schema(cache_file)
    assert schema.remove_metadata().equals(COMTRADE_RAW_ARROW_SCHEMA)
    assert schema.metadata[_CACHE_VERSION_KEY] == PARSER_VERSION.encode()
    assert pq.read_metadata(cache_file).row_group(0).column(0).compression == "ZSTD"
    table = pq.read_table(cache_file)
    assert set(table["source_sha256"].to_pylist()) == {sha(path)}
    assert table["source_file"].null_count == len(table)  # where the file sits is set at read time
    assert not list(cache_file.parent.glob("*.tmp"))


def test_a_valid_cache_file_is_reused_and_another_version_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = gzipped_bulk(tmp_path, copies=1)
    calls: list[Path] = []
    convert = comtrade_readers._convert_to_cache

    def counting(path: Path, sha256: str, cache_file: Path) -> None:
        calls.append(path)
        convert(path, sha256, cache_file)

    monkeypatch.setattr(comtrade_readers, "_convert_to_cache", counting)
    cache_comtrade_file(path, sha(path), tmp_path / "cache")
    cache_comtrade_file(path, sha(path), tmp_path / "cache")
    assert len(calls) == 1
    monkeypatch.setattr(comtrade_readers, "PARSER_VERSION", "next")
    cache_comtrade_file(path, sha(path), tmp_path / "cache")
    assert len(calls) == 2


def test_rows_longer_than_a_block_grow_the_block(tmp_path: Path, tiny_blocks: None) -> None:
    lines = (FIXTURES / "plus_plain_handwritten.csv").read_text().splitlines()
    header = lines[0].split(",")
    cells = next(iter(__import__("csv").reader([lines[1]])))
    cells[header.index("cmdDesc")] = "a very long description, with a line break\n" + "x" * 5000
    path = tmp_path / "long.csv"
    import csv

    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows([cells] + [next(iter(csv.reader([line]))) for line in lines[1:]])
    frame = assert_same_as_whole_file(path, tmp_path / "cache")
    assert frame["cmdDesc"].iloc[0].endswith("x" * 5000)


def test_a_late_cp1252_row_restarts_the_conversion_as_cp1252(tmp_path: Path) -> None:
    # The sniff sees 1 MiB of ASCII and says UTF-8; a row after it is Windows-1252 ("é" is one byte 0xE9).
    late_row = (FIXTURES / "plus_bulk_handwritten.tsv").read_text().splitlines()[1].replace("\tC\tA\t", "\tC\tA\t", 1)
    cells = late_row.split("\t")
    cells[0] = "caf\u00e9"  # datasetCode, an extra field: kept verbatim in extra_fields
    path = tmp_path / "bulk.tsv.gz"
    lines = (FIXTURES / "plus_bulk_handwritten.tsv").read_text().splitlines()
    text = "\n".join([lines[0], *(lines[1:] * 4000), "\t".join(cells)]) + "\n"
    path.write_bytes(gzip.compress(text.encode("cp1252"), mtime=0))
    assert comtrade_layouts.sniff_file(path).encoding == "utf-8"
    frame = assert_same_as_whole_file(path, tmp_path / "cache")
    assert frame["extra_fields"].iloc[-1] == '{"datasetCode": "caf\u00e9"}'


def test_a_website_row_with_a_value_after_the_last_column_is_named(tmp_path: Path, tiny_blocks: None) -> None:
    lines = (FIXTURES / "plus_website_handwritten.csv").read_bytes().split(b"\r\n")
    lines[2] = lines[2] + b'"oops"'
    path = tmp_path / "TradeData.csv"
    path.write_bytes(b"\r\n".join(lines))
    with pytest.raises(RvcInputError, match=r"TradeData\.csv: data row 2 has a value after the last header column"):
        cache_comtrade_file(path, sha(path), tmp_path / "cache")
    assert not (tmp_path / "cache" / f"{sha(path)}.parquet").exists()


def test_a_malformed_row_is_named_by_its_line(tmp_path: Path, tiny_blocks: None) -> None:
    path = gzipped_bulk(tmp_path, copies=10, extra_rows=["2019\tX\t1"])
    with pytest.raises(RvcInputError, match=r"bulk\.tsv\.gz: line 32 has 3 fields where the header has 34"):
        cache_comtrade_file(path, sha(path), tmp_path / "cache")


@pytest.mark.parametrize("keep", [0.5, 0.02])
def test_a_truncated_gzip_raises_an_input_error_naming_the_file(tmp_path: Path, keep: float) -> None:
    whole = gzipped_bulk(tmp_path, copies=20000).read_bytes()
    path = tmp_path / "cut.tsv.gz"
    path.write_bytes(whole[: int(len(whole) * keep)])
    with pytest.raises(RvcInputError, match=r"cut\.tsv\.gz: the file ends early .*Download the file again"):
        cache_comtrade_file(path, sha(path), tmp_path / "cache")
    assert not list((tmp_path / "cache").glob("*")) if (tmp_path / "cache").exists() else True


def test_an_undecodable_parquet_raises_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"PAR1" + b"\0" * 100)
    with pytest.raises(RvcInputError, match=r"broken\.parquet: not a readable Parquet file"):
        cache_comtrade_file(path, sha(path), tmp_path / "cache")


def test_a_parquet_extract_is_streamed_by_row_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    frame = pd.read_csv(FIXTURES / "plus_plain_handwritten.csv", dtype=str, keep_default_na=False)
    path = tmp_path / "plain.parquet"
    pq.write_table(pa.Table.from_pandas(pd.concat([frame] * 7, ignore_index=True), preserve_index=False), path)
    monkeypatch.setattr(comtrade_readers, "CACHE_ROW_GROUP_ROWS", 4)
    original = comtrade_layouts.stream_parquet

    def small_batches(path, sniff, columns=None, batch_size=1 << 17):
        return original(path, sniff, columns, batch_size=5)

    monkeypatch.setattr(comtrade_readers, "stream_parquet", small_batches)
    assert_same_as_whole_file(path, tmp_path / "cache")


def test_read_extracts_through_the_cache_equals_reading_without_it(tmp_path: Path) -> None:
    root = tmp_path / "extracts"
    for name in READABLE_FIXTURES:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(FIXTURES / name, root / name)
    shutil.copyfile(FIXTURES / "plus_api_handwritten.json.query.json", root / "plus_api_handwritten.json.query.json")
    plain, plain_summary = comtrade_readers.read_comtrade_extracts(root, years=[2019, 2020])
    cached, cached_summary = comtrade_readers.read_comtrade_extracts(root, years=[2019, 2020], cache_dir=tmp_path / "cache")
    pd.testing.assert_frame_equal(cached, plain)
    pd.testing.assert_frame_equal(cached_summary, plain_summary)
    assert cached["api_query"].notna().any()  # location facts are set at read time, also through the cache


def test_a_file_cut_inside_its_last_value_is_refused_not_read_short(tmp_path: Path) -> None:
    # Comtrade+ names with the value last: a download cut after "17" of 17950567092 keeps the field count.
    header = "refYear\treporterCode\tflowCode\tpartnerCode\tcmdCode\tprimaryValue\n"
    rows = "2017\t764\tX\t392\t870323\t100\n2017\t764\tX\t156\t870323\t17950567092\n"
    whole = tmp_path / "whole.tsv"
    whole.write_text(header + rows, encoding="utf-8")
    cut = tmp_path / "cut.tsv"
    cut.write_text(header + rows[: rows.index("17950567092") + 2], encoding="utf-8")
    cached = cache_comtrade_file(whole, "a" * 64, tmp_path / "cache")
    assert pq.read_table(cached, columns=["primaryValue"]).column(0).to_pylist() == [100.0, 17950567092.0]
    with pytest.raises(RvcInputError, match=r"cut\.tsv: the last line \(data row 2\) has no line terminator"):
        cache_comtrade_file(cut, "b" * 64, tmp_path / "cache")
