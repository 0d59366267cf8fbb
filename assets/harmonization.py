"""Harmonization assets: trade flows in HS1992 and ISO3 with both reported sides reconciled; TiVA on the same codes."""


import dagster as dg
import pandas as pd

from assets.metadata import check_result_from_frame, column_lineage, md_table
from assets.transforms.trade_flows import build_trade_flows
from assets.transforms.value_added import build_value_added
from checks.harmonization import trade_flows_schema
from checks.value_added import value_added_schema
from pipelines.partitions import yearly_partitions
from pipelines.resources import RvcConfig
from pipelines.validation import validated_output

GROUP = "harmonization"

TRADE_FLOWS_LINEAGE = column_lineage(
    {
        "exporter": [("comtrade_clean", "reporter_code"), ("comtrade_clean", "partner_code"), ("country_codes", "iso3")],
        "importer": [("comtrade_clean", "reporter_code"), ("comtrade_clean", "partner_code"), ("country_codes", "iso3")],
        "hs6": [("comtrade_clean", "cmd_code"), ("comtrade_clean", "classification"), ("hs_conversion_weights", "to_code")],
        "value_exporter_fob_usd": [("comtrade_clean", "value_usd"), ("comtrade_clean", "fob_usd")],
        "value_importer_cif_usd": [("comtrade_clean", "value_usd"), ("comtrade_clean", "cif_usd")],
        "value_importer_fob_usd": [("comtrade_clean", "value_usd"), ("comtrade_clean", "cif_usd")],
        "value_usd": [("comtrade_clean", "value_usd"), ("comtrade_clean", "fob_usd"), ("comtrade_clean", "cif_usd")],
        "qty": [("comtrade_clean", "qty")],
        "hs_vintage": [("comtrade_clean", "classification")],
    }
)


@dg.asset(
    group_name=GROUP,
    kinds={"pandas", "parquet", "duckdb"},
    partitions_def=yearly_partitions,
    **validated_output(trade_flows_schema, "TradeFlows"),
    check_specs=[
        dg.AssetCheckSpec("conversion_conserves_value", asset="trade_flows", blocking=True,
                          description="Converting to HS1992 neither adds nor loses value (sum before = sum after)."),
    ],
    code_version="2",
)
def trade_flows(
    context: dg.AssetExecutionContext,
    rvc: RvcConfig,
    comtrade_clean: pd.DataFrame,
    hs_conversion_weights: pd.DataFrame,
    country_codes: pd.DataFrame,
):
    """Exporter → importer → HS6 (H0) facts: the exporter's FOB report, the importer's CIF and FOB-adjusted reports, the reconciled value and the rule."""
    built = build_trade_flows(comtrade_clean, hs_conversion_weights, country_codes, cif_fob_method=rvc.cif_fob_method)
    yield dg.Output(
        built.flows,
        metadata={
            "dagster/column_lineage": TRADE_FLOWS_LINEAGE,
            "rows_by_rule": md_table(built.flows.groupby("recon_rule").agg(rows=("value_usd", "size"), value_usd=("value_usd", "sum")).reset_index()),
            "steps": md_table(built.steps),
            "value_usd": float(built.flows["value_usd"].sum()),
        },
    )
    yield check_result_from_frame("conversion_conserves_value", "trade_flows", built.conversion_gap, "value changed by HS conversion")


@dg.asset(
    group_name=GROUP,
    kinds={"pandas", "parquet"},
    partitions_def=yearly_partitions,
    **validated_output(value_added_schema, "ValueAdded"),
    code_version="1",
)
def value_added(context: dg.AssetExecutionContext, tiva_clean: pd.DataFrame, country_codes: pd.DataFrame) -> pd.DataFrame:
    """TiVA measures (USD million) by country, partner or origin, and activity, on the pipeline's ISO3 and region codes."""
    frame = build_value_added(tiva_clean, country_codes)
    context.add_output_metadata({"measures": md_table(frame.groupby(["measure", "activity"]).size().rename("rows").reset_index())})
    return frame
