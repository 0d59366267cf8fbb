"""The `hs_conversion_weights` asset on the real UN tables: pooled over the stored years, metadata, blocking check."""

from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from pipelines.definitions import build_defs
from pipelines.settings import load_settings


def _clean_year(warehouse: Path, year: int, rows: list[tuple[str, str, str, float]]) -> None:
    """A stored comtrade_clean partition with the columns the pooled evidence reads."""
    frame = pd.DataFrame(rows, columns=["flow", "classification", "cmd_code", "value_usd"]).assign(year=year)
    (warehouse / "comtrade_clean").mkdir(parents=True, exist_ok=True)
    frame.to_parquet(warehouse / "comtrade_clean" / f"{year}.parquet", index=False)


@pytest.mark.real_data
def test_weights_asset_pools_stored_years_and_reports_methods(tmp_path: Path, real_data_dir: Path) -> None:
    warehouse = tmp_path / "wh"
    # Two years, two reporting sides: H0 trade in 870323 (USD 3 m) and 870390 (USD 1 m) → hybrids 3/4 : 1/4.
    _clean_year(warehouse, 2001, [("X", "H0", "870323", 2e6), ("M", "H0", "870390", 1e6)])
    _clean_year(warehouse, 2002, [("M", "H0", "870323", 1e6), ("X", "H1", "870390", 5e9)])
    defs = build_defs(load_settings({"RVC_WAREHOUSE": str(warehouse), "RVC_REFERENCE": str(real_data_dir)}))
    job = defs.resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(
        asset_selection=[dg.AssetKey("hs_concordance"), dg.AssetKey("hs_conversion_weights")],
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success

    weights = pd.read_parquet(warehouse / "hs_conversion_weights.parquet")
    hybrids = weights[(weights["from_vintage"] == "H5") & (weights["from_code"] == "870340")].set_index("to_code")
    assert hybrids.loc["870323", "weight"] == 0.75 and hybrids.loc["870390", "weight"] == 0.25
    assert set(hybrids["weight_method"]) == {"trade_share"} and hybrids["evidence_usd"].sum() == 4e6
    # No evidence for integrated circuits: the UN conversion decides.
    ic = weights[(weights["from_vintage"] == "H6") & (weights["from_code"] == "854231") & (weights["weight"] > 0)]
    assert ic[["to_code", "weight_method"]].values.tolist() == [["854211", "un_conversion"]]

    materialization = result.asset_materializations_for_node("hs_conversion_weights")[0]
    metadata = materialization.metadata
    assert metadata["dagster/row_count"].value == len(weights)
    assert metadata["years_pooled"].value == "2001, 2002"
    assert "un_conversion" in metadata["counts_by_method"].value and "trade_share" in metadata["counts_by_method"].value
    checks = result.get_asset_check_evaluations()
    assert [(c.check_name, c.passed) for c in checks if c.asset_key == dg.AssetKey("hs_conversion_weights")] == [
        ("weights_conserve_value", True)
    ]
