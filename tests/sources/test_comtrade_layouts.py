"""Comtrade layout detection and readers on small hand-written fixtures (tests/fixtures/comtrade/)."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.errors
import pytest

from assets.errors import RvcInputError
from assets.sources import comtrade_readers
from assets.sources.comtrade_layouts import detect_layout
from assets.sources.comtrade_readers import (
    list_comtrade_files,
    read_comtrade_extracts,
    read_comtrade_file,
)
from assets.vocabulary import COMTRADE_RAW_COLUMNS
from checks.raw import comtrade_raw_schema

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "comtrade"


def read(name: str) -> pd.DataFrame:
    return read_comtrade_file(FIXTURES / name, FIXTURES)


def copy_fixture(name: str, folder: Path, as_name: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copyfile(FIXTURES / name, folder / (as_name or name)))


def assert_contract(frame: pd.DataFrame, *, validate: bool = False) -> None:
    assert list(frame.columns) == list(COMTRADE_RAW_COLUMNS)
    assert {name: str(frame[name].dtype) for name in frame} == {
        name: str(pd.Series([], dtype=dtype).dtype) for name, dtype in COMTRADE_RAW_COLUMNS.items()
    }
    if validate:  # the pandera run costs ~0.3 s: once per layout is enough
        comtrade_raw_schema.validate(frame, lazy=True)


@pytest.mark.parametrize(
    ("name", "layout"),
    [
        ("legacy_full_handwritten.csv", "legacy_full"),
        ("legacy_flow_letters_handwritten.csv", "legacy_full"),
        ("legacy_api_reduced_handwritten.csv", "legacy_api_reduced"),
        ("plus_api_handwritten.json", "plus_api_json"),
        ("plus_website_handwritten.csv", "plus_website_csv"),
        ("plus_bulk_handwritten.tsv", "plus_bulk"),
        ("plus_bulk_snake_handwritten.csv", "plus_bulk_snake"),
        ("plus_plain_handwritten.csv", "plus_plain"),
    ],
)
def test_each_fixture_is_detected_and_read_into_the_contract(name: str, layout: str) -> None:
    assert detect_layout(FIXTURES / name) == layout
    frame = read(name)
    assert_contract(frame, validate=True)
    assert (frame["source_layout"] == layout).all()
    assert frame["source_file"].tolist() == [name] * len(frame)
    assert frame["source_sha256"].iloc[0] == hashlib.sha256((FIXTURES / name).read_bytes()).hexdigest()
    assert frame["source_row"].tolist() == list(range(1, len(frame) + 1))


def test_layout_comes_from_content_not_from_the_file_name(tmp_path: Path) -> None:
    assert detect_layout(copy_fixture("legacy_full_handwritten.csv", tmp_path, "looks_like.json")) == "legacy_full"
    assert detect_layout(copy_fixture("plus_api_handwritten.json", tmp_path, "looks_like.csv")) == "plus_api_json"
    assert detect_layout(copy_fixture("plus_bulk_handwritten.tsv", tmp_path, "bulk.parquet")) == "plus_bulk"


def test_legacy_full_maps_flows_flags_490_and_breakdown_defaults() -> None:
    frame = read("legacy_full_handwritten.csv")
    assert frame["flowCode"].tolist() == ["X", "M", "RX", "RM"]
    assert frame["flowDesc"].tolist() == ["Export", "Import", "Re-Export", "Re-Import"]
    assert frame["refYear"].tolist() == [2017, 2017, 2018, 2018]
    assert frame["cmdCode"].tolist() == ["870323", "870829", "870829", "8708"]
    # Flag bits: 2 = quantity estimated, 4 = net weight estimated, 6 = both.
    assert frame["legacyEstimationFlag"].tolist() == [0, 2, 4, 6]
    assert frame["isQtyEstimated"].tolist() == [False, True, False, True]
    assert frame["isNetWgtEstimated"].tolist() == [False, False, True, True]
    assert frame.loc[1, "partnerCode"] == "490" and pd.isna(frame.loc[1, "partnerISO"])
    assert frame.loc[0, "partnerISO"] == "WLD"
    # No breakdown in legacy files: empty cells become the Comtrade+ total codes.
    assert frame["partner2Code"].tolist() == ["0"] * 4
    assert frame["customsCode"].tolist() == ["C00"] * 4
    assert frame["motCode"].tolist() == ["0"] * 4 and frame["mosCode"].tolist() == ["0"] * 4
    assert frame["aggrLevel"].tolist() == [6, 6, 6, 4]
    assert frame["isLeaf"].tolist() == [True, True, True, False]
    assert frame.loc[0, "qty"] == 1000.0 and np.isnan(frame.loc[1, "qty"])
    assert frame.loc[2, "primaryValue"] == 45000.5
    assert frame.loc[0, "qtyUnitAbbr"] == "Number of items"
    assert frame.loc[0, "extra_fields"] == json.dumps({"Period Desc.": "2017"})


def test_untypable_value_becomes_null_and_is_kept_in_unparsed_fields() -> None:
    frame = read("legacy_full_handwritten.csv")
    assert np.isnan(frame.loc[3, "primaryValue"])
    assert json.loads(frame.loc[3, "unparsed_fields"]) == {"primaryValue": "n/a"}
    assert frame["unparsed_fields"].iloc[:3].isna().all()  # empty cells are null, not unparsed


def test_legacy_header_with_flow_letters_keeps_its_breakdown() -> None:
    frame = read("legacy_flow_letters_handwritten.csv")
    assert frame["flowCode"].tolist() == ["X", "M", "X", "RX"]
    assert frame["partnerISO"].tolist() == ["W00"] * 4
    assert frame["partner2Code"].tolist() == ["0", "0", "156", "0"]
    assert frame["customsCode"].tolist() == ["C00", "C00", "C01", "C00"]
    assert frame["motCode"].tolist() == ["0", "0", "2100", "0"]
    assert frame["mosCode"].tolist() == ["0"] * 4  # no such column in legacy files
    assert frame["altQtyUnitCode"].tolist() == ["-1", "-1", "21", "-1"]
    assert frame.loc[0, "fobvalue"] == 9876543.21 and frame.loc[1, "cifvalue"] == 45678.9
    assert frame["legacyEstimationFlag"].tolist() == [0, 6, 0, 0]  # CRLF: no "\r" left on the last field
    assert frame["unparsed_fields"].isna().all()


def test_legacy_reduced_pads_hs_chapters_and_fills_defaults() -> None:
    frame = read("legacy_api_reduced_handwritten.csv")
    assert frame["cmdCode"].tolist() == ["01", "87", "TOTAL"]
    assert frame["flowCode"].tolist() == ["M", "X", "RX"]
    assert frame["reporterCode"].tolist() == ["842"] * 3 and frame["reporterISO"].isna().all()
    assert frame["primaryValue"].tolist() == [36000000.0, 12500000000.0, 9000000.0]
    assert frame["customsCode"].tolist() == ["C00"] * 3 and frame["partner2Code"].tolist() == ["0"] * 3
    assert frame["period"].isna().all() and frame["extra_fields"].isna().all()


def test_unknown_legacy_flow_is_null_and_reported(tmp_path: Path) -> None:
    text = (FIXTURES / "legacy_api_reduced_handwritten.csv").read_text().replace("H5,2017,3,Re-Export", "H5,2017,7,Transit")
    path = tmp_path / "flows.csv"
    path.write_text(text)
    frame = read_comtrade_file(path, tmp_path)
    assert pd.isna(frame.loc[2, "flowCode"])
    assert json.loads(frame.loc[2, "unparsed_fields"]) == {"flowCode": "7"}


def test_api_json_types_numbers_and_takes_provenance_from_the_sidecar() -> None:
    frame = read("plus_api_handwritten.json")
    assert frame["reporterCode"].tolist() == ["392", "392"]
    assert frame["motCode"].tolist() == ["0", "2100"]
    assert frame["qtyUnitCode"].tolist() == ["5", "5"] and frame["altQtyUnitCode"].tolist() == ["-1", "-1"]
    assert frame["refPeriodId"].tolist() == [20200101, 20200101]
    assert frame.loc[0, "netWgt"] == 1100000.5 and np.isnan(frame.loc[1, "netWgt"])
    assert frame["isNetWgtEstimated"].tolist() == [True, False]
    assert frame["primaryValue"].tolist() == [21654321.75, 21000000.0]
    assert frame["cifvalue"].isna().all()
    assert pd.isna(frame.loc[0, "extra_fields"])
    assert json.loads(frame.loc[1, "extra_fields"]) == {"datasetVersion": "v2"}
    assert frame["api_query"].tolist() == [
        "https://comtradeapi.un.org/data/v1/get/C/A/HS"
        "?cmdCode=870323&flowCode=X&partnerCode=764&period=2020&reporterCode=392"
    ] * 2
    assert frame["retrieved_at"].tolist() == ["2024-03-01T09:30:00Z"] * 2


def test_api_json_without_sidecar_has_no_query(tmp_path: Path) -> None:
    frame = read_comtrade_file(copy_fixture("plus_api_handwritten.json", tmp_path), tmp_path)
    assert frame["api_query"].isna().all() and frame["retrieved_at"].isna().all()


def test_sidecar_time_is_converted_to_utc_and_credentials_are_dropped(tmp_path: Path) -> None:
    path = copy_fixture("plus_api_handwritten.json", tmp_path, "answer.json")
    sidecar = {
        "url": "https://example.org/data/v1/get/C/A/HS?typeCode=C",
        "params": {"period": "2020", "subscription-key": "SECRET", "reporterCode": ["392", "764"]},
        "retrieved_at": "2024-03-01T10:30:00+01:00",
    }
    (tmp_path / "answer.json.query.json").write_text(json.dumps(sidecar))
    frame = read_comtrade_file(path, tmp_path)
    assert frame.loc[0, "api_query"] == "https://example.org/data/v1/get/C/A/HS?period=2020&reporterCode=392,764&typeCode=C"
    assert frame.loc[0, "retrieved_at"] == "2024-03-01T09:30:00Z"


def test_sidecar_with_a_naive_time_is_refused(tmp_path: Path) -> None:
    path = copy_fixture("plus_api_handwritten.json", tmp_path, "answer.json")
    (tmp_path / "answer.json.query.json").write_text(json.dumps({"url": "https://x", "params": {}, "retrieved_at": "2024-03-01T10:30:00"}))
    with pytest.raises(RvcInputError, match="answer.json.query.json"):
        read_comtrade_file(path, tmp_path)


def test_error_envelope_raises_naming_the_file_and_the_error() -> None:
    with pytest.raises(RvcInputError, match=r"plus_api_error_handwritten\.json.*period 20X0 is not a year"):
        read("plus_api_error_handwritten.json")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"elapsedTime": "0.1 secs", "count": 1, "data": [', "malformed JSON"),
        ('{"statusCode": 401, "message": "Access denied due to invalid subscription key."}', "Access denied"),
        ('{"count": 1, "data": [{"reporterCode": 392, "period": "2020", "totalRecords": 12}], "error": ""}', "refYear"),
    ],
)
def test_bad_json_raises_naming_the_file(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "answer_42.json"
    path.write_text(content)
    with pytest.raises(RvcInputError, match=message) as caught:
        detect_layout(path)
    assert "answer_42.json" in str(caught.value)


def test_website_csv_reads_cp1252_quoted_values_and_the_trailing_comma() -> None:
    frame = read("plus_website_handwritten.csv")
    assert frame["partnerDesc"].tolist() == ["Côte d'Ivoire", "Türkiye", "Other Asia, nes"]
    assert frame["partnerCode"].tolist() == ["384", "792", "490"] and frame.loc[2, "partnerISO"] == "S19"
    assert frame["refYear"].tolist() == [2020, 2020, 2021]
    assert frame["primaryValue"].tolist() == [12345.0, 678.9, 9876543210.0]
    assert frame["fobvalue"].isna().all() and np.isnan(frame.loc[1, "netWgt"])
    assert frame["isReported"].tolist() == [True, True, False]
    assert frame["isAggregate"].tolist() == [False, False, True]
    assert frame["mosCode"].tolist() == ["0", "0", "0"]  # "0 " in the file
    assert frame["cmdCode"].tolist() == ["8542"] * 3
    assert frame["unparsed_fields"].isna().all() and frame["extra_fields"].isna().all()


def test_website_csv_with_lf_endings_reads_the_same(tmp_path: Path) -> None:
    path = tmp_path / "TradeData.csv"
    path.write_bytes((FIXTURES / "plus_website_handwritten.csv").read_bytes().replace(b"\r\n", b"\n"))
    lf = read_comtrade_file(path, tmp_path).drop(columns=["source_file", "source_sha256"])
    crlf = read("plus_website_handwritten.csv").drop(columns=["source_file", "source_sha256"])
    pd.testing.assert_frame_equal(lf, crlf)


def test_website_csv_with_a_value_after_the_last_column_raises(tmp_path: Path) -> None:
    lines = (FIXTURES / "plus_website_handwritten.csv").read_bytes().split(b"\r\n")
    lines[2] = lines[2] + b'"oops"'
    path = tmp_path / "TradeData.csv"
    path.write_bytes(b"\r\n".join(lines))
    with pytest.raises(RvcInputError, match=r"TradeData\.csv: data row 2"):
        read_comtrade_file(path, tmp_path)


def test_bulk_tsv_and_its_gzipped_copy_read_alike(tmp_path: Path) -> None:
    plain = read("plus_bulk_handwritten.tsv")
    gz_path = tmp_path / "COMTRADE-FINAL-CA458H52019.txt.gz"
    gz_path.write_bytes(gzip.compress((FIXTURES / "plus_bulk_handwritten.tsv").read_bytes()))
    assert detect_layout(gz_path) == "plus_bulk"
    zipped = read_comtrade_file(gz_path, tmp_path)
    assert zipped["source_sha256"].iloc[0] == hashlib.sha256(gz_path.read_bytes()).hexdigest()
    columns = [name for name in COMTRADE_RAW_COLUMNS if name not in ("source_file", "source_sha256")]
    pd.testing.assert_frame_equal(zipped[columns], plain[columns])
    assert plain["cmdCode"].tolist() == ["870899", "040120", "TOTAL"]
    assert plain["reporterDesc"].isna().all() and plain["partnerCode"].tolist() == ["392", "704", "0"]
    assert plain["isQtyEstimated"].tolist() == [False, True, False]
    assert plain["isAggregate"].tolist() == [False, False, True]
    assert plain["primaryValue"].tolist() == [3456789.0, 18000.25, 205000000000.0]
    assert plain["extra_fields"].tolist() == [json.dumps({"datasetCode": "20192200001052000"})] * 3


@pytest.mark.parametrize(
    "name", ["legacy_flow_letters_handwritten.csv", "plus_api_handwritten.json", "plus_website_handwritten.csv", "parquet"]
)
def test_gzipped_files_read_like_their_plain_copy(tmp_path: Path, name: str) -> None:
    if name == "parquet":
        plain_path = tmp_path / "extract.parquet"
        pd.read_csv(FIXTURES / "plus_plain_handwritten.csv", dtype=str, keep_default_na=False).to_parquet(plain_path)
    else:
        plain_path = copy_fixture(name, tmp_path)
    zipped_path = tmp_path / "zipped.gz"  # no hint in the name: content decides
    zipped_path.write_bytes(gzip.compress(plain_path.read_bytes()))
    assert detect_layout(zipped_path) == detect_layout(plain_path)
    provenance = ["source_file", "source_sha256", "api_query", "retrieved_at"]
    plain = read_comtrade_file(plain_path, tmp_path).drop(columns=provenance)
    pd.testing.assert_frame_equal(read_comtrade_file(zipped_path, tmp_path).drop(columns=provenance), plain)


def test_extra_fields_are_valid_json_whatever_the_text(tmp_path: Path) -> None:
    lines = (FIXTURES / "legacy_api_reduced_handwritten.csv").read_text().splitlines()
    lines[0] += ",Note"
    lines[1] += ',"say ""hi"" \\ C:\\path"'
    lines[2] += ',"tab\there"'
    lines[3] += ","
    path = tmp_path / "notes.csv"
    path.write_text("\n".join(lines) + "\n")
    frame = read_comtrade_file(path, tmp_path)
    assert json.loads(frame.loc[0, "extra_fields"]) == {"Note": 'say "hi" \\ C:\\path'}
    assert json.loads(frame.loc[1, "extra_fields"]) == {"Note": "tab\there"}
    assert pd.isna(frame.loc[2, "extra_fields"])


def test_header_only_file_gives_no_rows_but_a_summary_line(tmp_path: Path) -> None:
    header = (FIXTURES / "legacy_api_reduced_handwritten.csv").read_text().splitlines()[0]
    (tmp_path / "empty_year.csv").write_text(header + "\n")
    assert read_comtrade_file(tmp_path / "empty_year.csv", tmp_path).empty
    table, summary = read_comtrade_extracts(tmp_path)
    assert table.empty
    assert summary[["source_layout", "rows_read", "years"]].values.tolist() == [["legacy_api_reduced", 0, ""]]


def test_snake_case_floats_and_python_booleans() -> None:
    frame = read("plus_bulk_snake_handwritten.csv")
    assert frame["reporterCode"].tolist() == ["764", "764"]  # second row says "764.0"
    assert frame["partner2Code"].tolist() == ["0", "0"]  # "0.0"
    assert frame["cmdCode"].tolist() == ["030613", "030613"]  # "30613.0" lost its zero as a float
    assert frame["mosCode"].tolist() == ["0", "0"]
    assert frame["primaryValue"].tolist() == [2482223.0, 98765.0]
    assert frame["isOriginalClassification"].tolist() == [True, True]
    assert frame["isQtyEstimated"].tolist() == [False, True]
    assert frame["reporterDesc"].tolist() == ["Thailand", "Thailand"]
    assert np.isnan(frame.loc[1, "cifvalue"])


def test_typed_parquet_in_comtrade_plus_names(tmp_path: Path) -> None:
    typed = pd.read_csv(FIXTURES / "plus_plain_handwritten.csv")  # pandas infers ints: cmdCode 306
    path = tmp_path / "extract.parquet"
    typed.to_parquet(path)
    assert detect_layout(path) == "plus_plain"
    frame = read_comtrade_file(path, tmp_path)
    assert_contract(frame)
    assert frame["cmdCode"].tolist() == ["0306", "870323"]
    assert frame["reporterCode"].tolist() == ["276", "276"]
    assert frame["isOriginalClassification"].tolist() == [True, True]
    assert frame["primaryValue"].tolist() == [75000.5, 310000.0]
    assert frame["refYear"].tolist() == [2021, 2022]


def test_unknown_header_raises_with_file_columns_and_expected_layouts() -> None:
    with pytest.raises(RvcInputError) as caught:
        read("unknown_header_handwritten.csv")
    message = str(caught.value)
    assert "unknown_header_handwritten.csv" in message
    assert "country, year, product, value" in message
    assert "legacy_full" in message and "plus_bulk_snake" in message


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"Classification,Trade Flow Code,Reporter Code,Partner Code,Commodity Code,Trade Value (US$)\nH5,1,842,156,01,5\n", "Year"),
        (b"Classification,Year,Trade Flow Code,Reporter Code,Partner Code,Commodity Code,Trade Value (US$)\nH5,2017,1,842,156\n", "line 2"),
        (b"Classification,Year,Trade Flow Code,Reporter Code,Partner Code,Commodity Code,Trade Value (US$)\nH5,,1,842,156,01,5\n", "data row 1"),
    ],
)
def test_broken_files_raise_naming_the_problem(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "broken.csv"
    path.write_bytes(content)
    with pytest.raises(RvcInputError, match=message) as caught:
        read_comtrade_file(path, tmp_path)
    assert "broken.csv" in str(caught.value)


def test_schema_refuses_object_text_columns() -> None:
    frame = read("plus_plain_handwritten.csv")
    frame["cmdCode"] = frame["cmdCode"].astype(object)
    with pytest.raises(pandera.errors.SchemaErrors):
        comtrade_raw_schema.validate(frame, lazy=True)


def test_list_comtrade_files_keeps_extracts_and_skips_the_rest(tmp_path: Path) -> None:
    for name in [
        "b.csv", "sub/a.txt.gz", "c.json", "c.json.query.json", "d.parquet", "e.tsv", ".hidden.csv",
        ".cache/x.parquet", "README.md", "README.txt", "notes.md", "f.json.truncated", "g.xlsx",
    ]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    found = [path.relative_to(tmp_path).as_posix() for path in list_comtrade_files(tmp_path)]
    assert found == ["b.csv", "c.json", "d.parquet", "e.tsv", "sub/a.txt.gz"]


def test_list_comtrade_files_refuses_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(RvcInputError, match="RVC_EXTRACTS"):
        list_comtrade_files(tmp_path / "nowhere")


@pytest.fixture
def extracts(tmp_path: Path) -> Path:
    root = tmp_path / "extracts"
    copy_fixture("legacy_full_handwritten.csv", root / "legacy")  # 2017 x2, 2018 x2
    copy_fixture("plus_website_handwritten.csv", root / "plus")  # 2020 x2, 2021 x1
    copy_fixture("plus_bulk_handwritten.tsv", root / "plus")  # 2019 x3
    return root


def test_read_extracts_concatenates_files_in_order_and_filters_years(extracts: Path) -> None:
    table, summary = read_comtrade_extracts(extracts, years=[2018, 2020])
    assert_contract(table)
    assert table["source_file"].tolist() == ["legacy/legacy_full_handwritten.csv"] * 2 + ["plus/plus_website_handwritten.csv"] * 2
    assert table["source_row"].tolist() == [3, 4, 1, 2]
    assert table["refYear"].tolist() == [2018, 2018, 2020, 2020]
    assert summary["source_file"].tolist() == [
        "legacy/legacy_full_handwritten.csv", "plus/plus_bulk_handwritten.tsv", "plus/plus_website_handwritten.csv",
    ]
    assert summary["source_layout"].tolist() == ["legacy_full", "plus_bulk", "plus_website_csv"]
    assert summary["rows_read"].tolist() == [4, 3, 3] and summary["rows_kept"].tolist() == [2, 0, 2]
    assert summary["years"].tolist() == ["2017,2018", "2019", "2020,2021"]
    assert summary["source_sha256"].iloc[1] == hashlib.sha256((FIXTURES / "plus_bulk_handwritten.tsv").read_bytes()).hexdigest()
    assert [str(dtype) for dtype in summary.dtypes] == ["str", "str", "str", "Int64", "Int64", "str"]


def test_read_extracts_of_an_empty_folder_is_an_empty_contract_table(tmp_path: Path) -> None:
    table, summary = read_comtrade_extracts(tmp_path)
    assert table.empty and summary.empty
    assert_contract(table)


def test_cache_parses_each_content_once_and_follows_the_file(extracts: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    uncached, _ = read_comtrade_extracts(extracts)
    first, _ = read_comtrade_extracts(extracts, cache_dir=cache)
    pd.testing.assert_frame_equal(first, uncached)
    sha = hashlib.sha256((FIXTURES / "plus_bulk_handwritten.tsv").read_bytes()).hexdigest()
    assert (cache / f"{sha}.parquet").is_file()
    assert sorted(path.name for path in cache.iterdir()) == sorted(f"{s}.parquet" for s in set(uncached["source_sha256"]))

    def no_parsing(path: Path, sha256: str, cache_file: Path) -> None:
        raise AssertionError(f"{path} parsed again although cached")

    monkeypatch.setattr(comtrade_readers, "_convert_to_cache", no_parsing)
    (extracts / "plus" / "plus_bulk_handwritten.tsv").rename(extracts / "moved.tsv")
    second, summary = read_comtrade_extracts(extracts, cache_dir=cache)
    moved = second[second["source_sha256"] == sha]
    assert moved["source_file"].tolist() == ["moved.tsv"] * 3  # location provenance is not cached
    assert sorted(summary["years"]) == ["2017,2018", "2019", "2020,2021"]


def test_cache_written_by_another_parser_version_is_parsed_again(extracts: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    read_comtrade_extracts(extracts, cache_dir=cache)
    monkeypatch.setattr(comtrade_readers, "PARSER_VERSION", "next")
    calls: list[Path] = []
    convert = comtrade_readers._convert_to_cache

    def counting(path: Path, sha256: str, cache_file: Path) -> None:
        calls.append(path)
        convert(path, sha256, cache_file)

    monkeypatch.setattr(comtrade_readers, "_convert_to_cache", counting)
    read_comtrade_extracts(extracts, cache_dir=cache)
    assert len(calls) == 3
