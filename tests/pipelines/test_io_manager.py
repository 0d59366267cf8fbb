"""The Parquet IO manager: layout on disk, atomic replace, metadata, multi-partition loading."""


from pathlib import Path

import dagster as dg
import pandas as pd
import pyarrow.parquet as pq
import pytest

from pipelines.io_managers import ParquetIOManager, asset_path, content_hash, markdown_preview, write_parquet_atomically

YEARS = dg.StaticPartitionsDefinition(["2016", "2017"])


def _frame(year: int) -> pd.DataFrame:
    return pd.DataFrame(
        {"year": pd.array([year, year], dtype="Int64"), "hs6": ["870323", "870899"], "value_usd": [1.5, 2.0]}
    )


def test_asset_path_layout(tmp_path: Path) -> None:
    assert asset_path(tmp_path, dg.AssetKey("trade_flows"), "2017") == tmp_path / "trade_flows" / "2017.parquet"
    assert asset_path(tmp_path, dg.AssetKey("indicator_panel"), None) == tmp_path / "indicator_panel.parquet"


def test_materialize_writes_partitions_and_panel_reads_them_all(tmp_path: Path) -> None:
    @dg.asset(partitions_def=YEARS)
    def flows(context: dg.AssetExecutionContext) -> pd.DataFrame:
        return _frame(int(context.partition_key))

    @dg.asset
    def panel(flows: pd.DataFrame) -> pd.DataFrame:
        return flows.assign(value_usd=flows["value_usd"] * 2)

    io = ParquetIOManager(warehouse_dir=str(tmp_path))
    for key in ["2016", "2017"]:
        result = dg.materialize([flows], partition_key=key, resources={"io_manager": io})
        assert result.success
    result = dg.materialize([flows, panel], selection=[panel], resources={"io_manager": io})
    assert result.success

    on_disk = pq.read_table(tmp_path / "flows" / "2017.parquet").to_pandas()
    pd.testing.assert_frame_equal(on_disk, _frame(2017))
    stacked = pd.read_parquet(tmp_path / "panel.parquet")
    assert stacked["year"].tolist() == [2016, 2016, 2017, 2017]
    assert stacked["value_usd"].tolist() == [3.0, 4.0, 3.0, 4.0]

    materialization = result.asset_materializations_for_node("panel")[0]
    assert materialization.metadata["dagster/row_count"].value == 4
    assert [c.name for c in materialization.metadata["dagster/column_schema"].schema.columns] == ["year", "hs6", "value_usd"]
    assert "870323" in materialization.metadata["preview"].value


def test_failed_write_leaves_previous_file_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "a" / "2017.parquet"
    write_parquet_atomically(_frame(2017), target)

    def broken_write(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pq, "write_table", broken_write)
    with pytest.raises(OSError):
        write_parquet_atomically(_frame(2016), target)
    assert pd.read_parquet(target)["year"].tolist() == [2017, 2017]
    assert [p.name for p in target.parent.iterdir()] == ["2017.parquet"]  # no temp file left behind


def test_content_hash_depends_on_values_only() -> None:
    assert content_hash(_frame(2017)) == content_hash(_frame(2017).copy())
    assert content_hash(_frame(2017)) != content_hash(_frame(2016))


def test_markdown_preview_of_empty_frame() -> None:
    assert markdown_preview(_frame(2017).iloc[0:0]) == "_(no rows)_"


def test_parquet_partitions_input_lists_stored_years_and_an_unpartitioned_asset_of_a_partitioned_run_is_stored_once(
    tmp_path: Path,
) -> None:
    from assets.tables import ParquetPartitions

    years = dg.StaticPartitionsDefinition(["2015", "2016", "2017"])
    seen: list[ParquetPartitions] = []

    @dg.asset(partitions_def=years)
    def clean(context: dg.AssetExecutionContext) -> pd.DataFrame:
        return _frame(int(context.partition_key))

    @dg.asset
    def pooled(clean: ParquetPartitions) -> pd.DataFrame:
        seen.append(clean)
        return pd.concat([pd.read_parquet(p) for p in clean.paths], ignore_index=True)

    io = ParquetIOManager(warehouse_dir=str(tmp_path))
    assert dg.materialize([clean], partition_key="2016", resources={"io_manager": io}).success
    # Both in one partitioned run (as hs_conversion_weights in yearly_refresh): 2015 is never materialized.
    assert dg.materialize([clean, pooled], partition_key="2017", resources={"io_manager": io}).success

    assert seen[0].keys == ("2016", "2017") and seen[0].missing == ("2015",)
    assert seen[0].paths == (tmp_path / "clean" / "2016.parquet", tmp_path / "clean" / "2017.parquet")
    assert (tmp_path / "pooled.parquet").is_file() and not (tmp_path / "pooled").exists()
    assert pd.read_parquet(tmp_path / "pooled.parquet")["year"].tolist() == [2016, 2016, 2017, 2017]
