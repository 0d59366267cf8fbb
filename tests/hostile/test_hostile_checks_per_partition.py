"""Checks of yearly assets are partitioned like their asset: a failing check names the year it failed in,
in the Dagster instance (what the UI shows), and no result is recorded that belongs to no year."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from assets.transforms.cleaning.consistency import IMPLAUSIBLE_VALUE_USD
from pipelines.definitions import build_defs
from pipelines.settings import load_settings
from tests.hostile.comtrade_files import delimited, row, write

HEAVY = ["comtrade_raw", "comtrade_clean", "comtrade_totals", "comtrade_rejects"]
QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


def test_every_check_of_a_yearly_asset_has_the_yearly_partitions() -> None:
    defs = build_defs(load_settings())
    graph = defs.resolve_asset_graph()
    checked = 0
    for key in graph.asset_check_keys:
        asset_partitions = graph.get(key.asset_key).partitions_def
        check_partitions = graph.get(key).partitions_def
        assert check_partitions == asset_partitions, f"{key.to_user_string()}: partitions differ from its asset's"
        checked += asset_partitions is not None
    assert checked >= 10  # 4 cleaning + 2 TiVA + 1 trade_flows + 2 x 3 indicator checks are yearly


def test_a_failing_check_names_its_year_in_the_instance(tmp_path: Path) -> None:
    # One row worth 1e30 USD: more than all world trade, so the non-blocking values_plausible check fails.
    extracts = tmp_path / "extracts"
    write(extracts / "comtrade" / "jpn_2017.csv", delimited([row(), row(cmdCode="870324", primaryValue="1e30")]))
    settings = load_settings({"RVC_EXTRACTS": str(extracts), "RVC_WAREHOUSE": str(tmp_path / "wh")})
    job = build_defs(settings).resolve_implicit_global_asset_job_def().get_subset(
        asset_selection={dg.AssetKey(key) for key in HEAVY}
    )
    instance = dg.DagsterInstance.ephemeral()

    result = job.execute_in_process(instance=instance, partition_key="2017", run_config=QUIET, raise_on_error=False)

    assert result.success  # non-blocking: the year is written, the check reports
    check = dg.AssetCheckKey(dg.AssetKey("comtrade_clean"), "values_plausible")
    records = instance.event_log_storage.get_asset_check_execution_history(check, limit=10)
    assert len(records) == 1
    evaluation = records[0].event.dagster_event.event_specific_data
    assert evaluation.partition == "2017"
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
    assert evaluation.metadata["violations"].value == 1
    shown = evaluation.metadata["first_violations"].value
    assert "870324" in shown and "jpn_2017.csv" in shown and "870323" not in shown
    assert IMPLAUSIBLE_VALUE_USD < 1e30
    # Every check that ran in this run recorded its result for 2017, none for "no year".
    for key in (check, dg.AssetCheckKey(dg.AssetKey("comtrade_rejects"), "rows_conserved")):
        latest = instance.event_log_storage.get_asset_check_execution_history(key, limit=1)[0]
        assert latest.event.dagster_event.event_specific_data.partition == "2017", key
