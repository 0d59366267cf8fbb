"""The Parquet IO manager with the warehouse in object storage, against moto's S3-compatible server.

Expected values are written by hand (two-row frames); every object is read back through a fresh client."""

import io
import os
from pathlib import Path

import dagster as dg
import pandas as pd
import pyarrow.parquet as pq
import pytest

s3fs = pytest.importorskip("s3fs", reason="s3fs is not installed: pip install -c constraints.txt -e '.[cluster]' (make test does)")
from upath import UPath

from assets.duckdb_session import duckdb_session, sql_string
from assets.tables import ParquetPartitions, ParquetTable
from pipelines import object_storage
from pipelines.io_managers import ParquetIOManager
from pipelines.settings import load_settings

YEARS = dg.StaticPartitionsDefinition(["2015", "2016", "2017"])


def _frame(year: int, value: float = 1.5) -> pd.DataFrame:
    return pd.DataFrame({"year": pd.array([year, year], dtype="Int64"), "hs6": ["870323", "870899"], "value_usd": [value, 2.0]})


def _read(url: str) -> pd.DataFrame:
    fs = s3fs.S3FileSystem(skip_instance_cache=True, endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    return pq.read_table(io.BytesIO(fs.cat_file(url.removeprefix("s3://")))).to_pandas()


def test_settings_split_an_object_store_url_from_the_local_working_folder(tmp_path: Path) -> None:
    settings = load_settings({"RVC_WAREHOUSE": "s3://bucket/prefix/", "RVC_STAGING": str(tmp_path / "work")})
    assert settings.warehouse_url == "s3://bucket/prefix"
    assert settings.warehouse_location == "s3://bucket/prefix"
    assert settings.warehouse_dir == tmp_path / "work"
    assert settings.cache_dir == tmp_path / "work" / ".cache" / "extracts"  # a cache of this host's extracts
    local = load_settings({"RVC_WAREHOUSE": str(tmp_path / "wh")})
    assert local.warehouse_url is None and local.warehouse_location == str(tmp_path / "wh")
    assert object_storage.is_remote_location("gs://b/p") and not object_storage.is_remote_location("file:///tmp/x")
    assert not object_storage.is_remote_location("warehouse")


def test_frames_and_tables_are_stored_as_whole_objects_and_read_back(s3_warehouse: str, tmp_path: Path, object_keys) -> None:
    seen: dict[str, object] = {}

    @dg.asset(partitions_def=YEARS)
    def flows(context: dg.AssetExecutionContext) -> pd.DataFrame:
        return _frame(int(context.partition_key))

    @dg.asset(partitions_def=YEARS)
    def big(context: dg.AssetExecutionContext, flows: ParquetTable) -> ParquetTable:
        # A heavy stage: DuckDB reads the stored object through fsspec and writes a local staged file.
        seen["input"] = flows
        seen["as_pandas"] = flows.to_pandas()  # a small table read back through fsspec
        staged = tmp_path / "work" / "big" / f".{context.partition_key}.x.parquet.tmp"
        staged.parent.mkdir(parents=True, exist_ok=True)
        with duckdb_session() as con:
            con.execute(
                f"COPY (SELECT year, sum(value_usd) AS value_usd FROM read_parquet({sql_string(flows.path)}) GROUP BY year) "
                f"TO {sql_string(staged)} (FORMAT parquet)"
            )
        return ParquetTable(path=staged, rows=1)

    io_manager = ParquetIOManager(warehouse_dir=s3_warehouse, staging_dir=str(tmp_path / "work"))
    result = dg.materialize([flows, big], partition_key="2017", resources={"io_manager": io_manager})
    assert result.success

    assert object_keys(s3_warehouse) == ["big/2017.parquet", "flows/2017.parquet"]
    pd.testing.assert_frame_equal(_read(f"{s3_warehouse}/flows/2017.parquet"), _frame(2017))
    summed = _read(f"{s3_warehouse}/big/2017.parquet")
    assert summed["year"].tolist() == [2017] and summed["value_usd"].tolist() == [3.5]  # 1.5 + 2.0
    assert str(seen["input"].path) == f"{s3_warehouse}/flows/2017.parquet" and seen["input"].rows == 2
    assert isinstance(seen["input"].path, UPath)
    assert seen["as_pandas"].to_dict("list") == {"year": [2017, 2017], "hs6": ["870323", "870899"], "value_usd": [1.5, 2.0]}
    meta = result.asset_materializations_for_node("big")[0].metadata
    assert meta["path"].value == f"{s3_warehouse}/big/2017.parquet" and meta["dagster/row_count"].value == 1
    # Staged temporaries were uploaded and removed; nothing is left in the working folder.
    assert [p.name for p in (tmp_path / "work").rglob("*.tmp")] == []


def test_replace_is_atomic_a_failed_upload_leaves_the_previous_object(
    s3_warehouse: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, object_keys
) -> None:
    value = {"v": 1.5}

    @dg.asset(partitions_def=YEARS)
    def flows(context: dg.AssetExecutionContext) -> pd.DataFrame:
        return _frame(int(context.partition_key), value["v"])

    io_manager = ParquetIOManager(warehouse_dir=s3_warehouse, staging_dir=str(tmp_path / "work"))
    assert dg.materialize([flows], partition_key="2016", resources={"io_manager": io_manager}).success

    value["v"] = 9.0  # a re-run replaces the object whole
    assert dg.materialize([flows], partition_key="2016", resources={"io_manager": io_manager}).success
    assert _read(f"{s3_warehouse}/flows/2016.parquet")["value_usd"].tolist() == [9.0, 2.0]

    # The upload dies half-way: a multipart upload has sent its first part but is never completed.
    fs = UPath(s3_warehouse).fs  # the client the IO manager uses (fsspec caches one per configuration)

    def dying_put(lpath: str, rpath: str, *args, **kwargs) -> None:
        handle = fs.open(rpath, "wb", block_size=5 * 2**20)
        handle.write(Path(lpath).read_bytes() + b"\0" * (6 * 2**20))  # > one part: the first part is sent
        handle.flush()
        handle.closed = True  # as if the process died here: nothing more is sent (no completion at garbage collection)
        raise ConnectionError("connection reset while uploading")  # never closed: never completed

    monkeypatch.setattr(fs, "put_file", dying_put)
    value["v"] = 42.0
    result = dg.materialize([flows], partition_key="2016", resources={"io_manager": io_manager}, raise_on_error=False)
    assert not result.success
    monkeypatch.undo()
    assert _read(f"{s3_warehouse}/flows/2016.parquet")["value_usd"].tolist() == [9.0, 2.0]
    assert object_keys(s3_warehouse) == ["flows/2016.parquet"]  # no temporary object, ever
    assert list((tmp_path / "work").rglob("*.tmp")) == []  # and the local temporary is gone too


def test_missing_partition_names_the_object_and_what_to_do(s3_warehouse: str, tmp_path: Path) -> None:
    @dg.asset(partitions_def=YEARS)
    def flows(context: dg.AssetExecutionContext) -> pd.DataFrame:
        return _frame(int(context.partition_key))

    @dg.asset(partitions_def=YEARS)
    def downstream(flows: ParquetTable) -> pd.DataFrame:
        return flows.to_pandas()

    io_manager = ParquetIOManager(warehouse_dir=s3_warehouse, staging_dir=str(tmp_path / "work"))
    result = dg.materialize([flows, downstream], selection=[downstream], partition_key="2015",
                            resources={"io_manager": io_manager}, raise_on_error=False)
    assert not result.success
    message = str(result.failure_data_for_node("downstream").error.cause or result.failure_data_for_node("downstream").error)
    assert f"{s3_warehouse}/flows/2015.parquet does not exist" in message
    assert "materialize flows for that partition first" in message


def test_all_partitions_are_listed_once_and_copied_locally_refreshed_when_replaced(s3_warehouse: str, tmp_path: Path) -> None:
    seen: list[ParquetPartitions] = []
    value = {"v": 1.5}

    @dg.asset(partitions_def=YEARS)
    def clean(context: dg.AssetExecutionContext) -> pd.DataFrame:
        return _frame(int(context.partition_key), value["v"])

    @dg.asset
    def pooled(clean: ParquetPartitions) -> pd.DataFrame:
        seen.append(clean)
        return pd.concat([pd.read_parquet(p) for p in clean.paths], ignore_index=True)

    io_manager = ParquetIOManager(warehouse_dir=s3_warehouse, staging_dir=str(tmp_path / "work"))
    for year in ("2016", "2017"):
        assert dg.materialize([clean], partition_key=year, resources={"io_manager": io_manager}).success
    assert dg.materialize([clean, pooled], selection=[pooled], resources={"io_manager": io_manager}).success
    assert seen[0].keys == ("2016", "2017") and seen[0].missing == ("2015",)
    assert all(isinstance(p, Path) and p.is_file() for p in seen[0].paths)
    assert _read(f"{s3_warehouse}/pooled.parquet")["value_usd"].tolist() == [1.5, 2.0, 1.5, 2.0]

    value["v"] = 7.0  # 2017 replaced: its local copy must not be reused
    assert dg.materialize([clean], partition_key="2017", resources={"io_manager": io_manager}).success
    assert dg.materialize([clean, pooled], selection=[pooled], resources={"io_manager": io_manager}).success
    assert _read(f"{s3_warehouse}/pooled.parquet")["value_usd"].tolist() == [1.5, 2.0, 7.0, 2.0]
    copies = sorted(p.name.split(".")[0] for p in (tmp_path / "work" / "copies").rglob("*.parquet"))
    assert copies == ["2016", "2017"]  # the stale copy of 2017 was removed


def test_a_published_folder_uploads_the_linking_page_last_and_drops_stale_objects(
    s3_warehouse: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, object_keys
) -> None:
    report = tmp_path / "rvc_report"
    (report / "charts").mkdir(parents=True)
    (report / "charts" / "a.png").write_bytes(b"png-a")
    (report / "charts" / "b.png").write_bytes(b"png-b")
    (report / "index.html").write_text("<img src='charts/a.png'>")
    uploaded: list[str] = []
    real_upload = object_storage.upload_file

    def recording_upload(local: Path, remote: UPath) -> None:
        uploaded.append(str(remote).removeprefix(s3_warehouse + "/"))
        real_upload(local, remote)

    monkeypatch.setattr(object_storage, "upload_file", recording_upload)
    object_storage.publish_folder(report, UPath(s3_warehouse) / "rvc_report")
    assert uploaded == ["rvc_report/charts/a.png", "rvc_report/charts/b.png", "rvc_report/index.html"]

    (report / "charts" / "b.png").unlink()  # the next report has no chart b
    object_storage.publish_folder(report, UPath(s3_warehouse) / "rvc_report")
    assert object_keys(s3_warehouse) == ["rvc_report/charts/a.png", "rvc_report/index.html"]
    fs = s3fs.S3FileSystem(skip_instance_cache=True, endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    assert fs.cat_file(f"{s3_warehouse.removeprefix('s3://')}/rvc_report/charts/a.png") == b"png-a"
