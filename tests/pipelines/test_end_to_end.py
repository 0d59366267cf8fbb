"""The whole chain on two sample years, through the real Dagster jobs, into a temporary warehouse."""

from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from pipelines.definitions import build_defs
from pipelines.settings import load_settings

FIXED_KEYS = {
    "hs_concordance", "product_groups", "country_codes", "comtrade_raw", "tiva_raw", "comtrade_clean",
    "comtrade_totals", "comtrade_rejects", "tiva_clean", "trade_flows", "country_totals", "value_added", "trade_indicators",
    "va_indicators", "indicator_panel", "rvc_report", "hs_conversion_weights",
}
YEARS = ["2016", "2017"]


def test_definitions_load_with_every_fixed_asset_key() -> None:
    defs = build_defs()
    dg.Definitions.validate_loadable(defs)
    keys = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    assert FIXED_KEYS <= keys


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("warehouse")
    settings = load_settings({"RVC_WAREHOUSE": str(root)})
    defs = build_defs(settings)
    instance = dg.DagsterInstance.ephemeral()
    quiet = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
    assert defs.resolve_job_def("reference_tables").execute_in_process(instance=instance, run_config=quiet).success
    for year in YEARS:
        job = defs.resolve_job_def("yearly_refresh")
        assert job.execute_in_process(instance=instance, partition_key=year, run_config=quiet).success
    assert defs.resolve_job_def("panel_and_report").execute_in_process(instance=instance, run_config=quiet).success
    return root


@pytest.mark.slow
def test_files_are_where_design_says(warehouse: Path) -> None:
    for key in ["comtrade_raw", "comtrade_clean", "comtrade_totals", "comtrade_rejects", "tiva_raw", "tiva_clean",
                "trade_flows", "country_totals", "value_added", "trade_indicators", "va_indicators"]:
        assert sorted(p.name for p in (warehouse / key).glob("*.parquet")) == [f"{y}.parquet" for y in YEARS], key
    for key in ["hs_concordance", "hs_conversion_weights", "product_groups", "country_codes", "indicator_panel"]:
        assert (warehouse / f"{key}.parquet").is_file()
    report = warehouse / "rvc_report"
    assert (report / "index.html").is_file() and (report / "report.md").is_file()
    assert "SYNTHETIC" in (report / "report.md").read_text()
    assert list((report / "charts").glob("*.png"))


@pytest.mark.slow
def test_every_raw_row_lands_in_exactly_one_cleaning_table(warehouse: Path) -> None:
    raw = pd.read_parquet(warehouse / "comtrade_raw" / "2017.parquet")
    outputs = [pd.read_parquet(warehouse / key / "2017.parquet") for key in ["comtrade_clean", "comtrade_totals", "comtrade_rejects"]]
    keys = pd.concat([o[["source_file", "source_row"]] for o in outputs], ignore_index=True)
    assert len(keys) == len(raw)
    assert not keys.duplicated().any()
    assert set(map(tuple, keys.to_numpy())) == set(map(tuple, raw[["source_file", "source_row"]].to_numpy()))


@pytest.mark.slow
def test_reconciled_value_lies_between_the_two_reports(warehouse: Path) -> None:
    flows = pd.read_parquet(warehouse / "trade_flows" / "2017.parquet")
    both = flows[flows["recon_rule"] == "both_weighted"]
    assert len(both) > 100
    # Pairs both sides report are reconciled per HS chapter (recon_group): the group's sum lies between its two
    # FOB totals; a line alone need not (its value is the group's, distributed by both sides' line shares).
    groups = both.fillna({"value_exporter_fob_usd": 0.0, "value_importer_fob_usd": 0.0}).groupby(
        ["exporter", "importer", "recon_group"])[["value_usd", "value_exporter_fob_usd", "value_importer_fob_usd"]].sum()
    low = groups[["value_exporter_fob_usd", "value_importer_fob_usd"]].min(axis=1)
    high = groups[["value_exporter_fob_usd", "value_importer_fob_usd"]].max(axis=1)
    assert ((groups["value_usd"] >= low * (1 - 1e-9)) & (groups["value_usd"] <= high * (1 + 1e-9))).all()
    assert (flows["hs6"].str.len() == 6).all()


@pytest.mark.slow
def test_indicator_equals_the_sum_of_its_flows(warehouse: Path) -> None:
    flows = pd.read_parquet(warehouse / "trade_flows" / "2017.parquet")
    expected = flows.loc[(flows["exporter"] == "JPN") & (flows["importer"] == "THA") & flows["hs6"].str.startswith("8708"), "value_usd"].sum()
    indicators = pd.read_parquet(warehouse / "trade_indicators" / "2017.parquet")
    row = indicators[
        (indicators["indicator"] == "exports_usd") & (indicators["country"] == "JPN") & (indicators["partner"] == "THA")
        & (indicators["product_group"] == "parts_accessories") & (indicators["variant"] == "reconciled")
    ]
    assert len(row) == 1
    assert row["value"].iloc[0] == pytest.approx(expected, rel=1e-12)
    assert expected > 1e9  # the sample is calibrated: Japan's parts exports to Thailand are in the billions


@pytest.mark.slow
def test_panel_holds_both_years_and_growth(warehouse: Path) -> None:
    panel = pd.read_parquet(warehouse / "indicator_panel.parquet")
    assert sorted(panel.loc[panel["period"].isna(), "year"].unique().tolist()) == [2016, 2017]
    assert panel["indicator"].str.endswith("_cagr").any()


@pytest.mark.slow
def test_demo_panel_holds_every_catalog_indicator(warehouse: Path) -> None:
    from assets.transforms.indicators.indicator_catalog import load_indicator_catalog

    panel = pd.read_parquet(warehouse / "indicator_panel.parquet")
    levels = panel[panel["period"].isna() & panel["value"].notna()]
    assert set(load_indicator_catalog()["indicator"]) <= set(levels["indicator"])


@pytest.mark.slow
def test_total_merchandise_indicators_come_from_country_totals(warehouse: Path) -> None:
    totals = pd.read_parquet(warehouse / "country_totals" / "2017.parquet")
    indicators = pd.read_parquet(warehouse / "trade_indicators" / "2017.parquet")
    rows = indicators[(indicators["product_group"] == "total_merchandise") & (indicators["partner"] == "WLD")
                      & (indicators["variant"] == "country_totals")]
    for indicator, flow in (("exports_usd", "X"), ("imports_usd", "M")):
        expected = totals[totals["flow"] == flow].set_index("country")["value_usd"]
        got = rows[rows["indicator"] == indicator].set_index("country")["value"]
        assert len(got) == len(expected) > 0
        pd.testing.assert_series_equal(got.sort_index(), expected.sort_index(), check_names=False, rtol=1e-12)


def test_jobs_order_cleaning_weights_harmonization() -> None:
    defs = build_defs()

    def keys(job: str) -> set[str]:
        return {k.to_user_string() for k in defs.resolve_job_def(job).asset_layer.executable_asset_keys}

    assert "hs_conversion_weights" not in keys("reference_tables")  # it needs cleaned years
    assert keys("conversion_weights") == {"hs_conversion_weights"}
    assert {"comtrade_clean", "hs_conversion_weights", "trade_flows"} <= keys("yearly_refresh")
    assert "trade_flows" not in keys("yearly_cleaning") and "comtrade_clean" not in keys("yearly_harmonization")
    graph = defs.resolve_asset_graph()
    weights = graph.get(dg.AssetKey("hs_conversion_weights"))
    assert weights.group_name == "reference" and weights.partitions_def is None
    assert dg.AssetKey("comtrade_clean") in weights.parent_keys
    assert dg.AssetKey("hs_conversion_weights") in graph.get(dg.AssetKey("trade_flows")).parent_keys


@pytest.mark.slow
def test_trade_flows_use_the_stored_weights(warehouse: Path) -> None:
    from checks.reference import hs_conversion_weights_schema

    weights = pd.read_parquet(warehouse / "hs_conversion_weights.parquet")
    hs_conversion_weights_schema.validate(weights)
    assert "equal_share" not in set(weights["weight_method"])
    # Only 2016 and 2017 (H4, H5) are cleaned here, so no H0 trade is pooled: every split follows the UN
    # conversion, e.g. H5 hybrids 870340 → 870390 as the sample's (hand-made) Conversion sheet says.
    split = weights.groupby(["from_vintage", "from_code"])["to_code"].transform("size") > 1
    assert set(weights.loc[split, "weight_method"]) == {"un_conversion"}
    hybrids = weights[(weights["from_vintage"] == "H5") & (weights["from_code"] == "870340")]
    assert hybrids.loc[hybrids["weight"] > 0, "to_code"].tolist() == ["870390"]
    flows = pd.read_parquet(warehouse / "trade_flows" / "2017.parquet")
    used = flows.loc[flows["hs_vintage"] == "H5", ["hs6", "conversion_weight"]].drop_duplicates()
    known = set(zip(weights["to_code"], weights["weight"])) | {(c, 1.0) for c in weights["to_code"]}
    assert set(zip(used["hs6"], used["conversion_weight"])) <= known
