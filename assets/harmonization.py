"""Harmonization assets: trade flows in HS1992 and ISO3 with both reported sides reconciled; TiVA on the same codes."""


import dagster as dg
import pandas as pd

from assets.duckdb_session import duckdb_session, parquet_relation, write_query_to_parquet
from assets.metadata import check_result_from_frame, column_lineage, md_table
from assets.step_failures import one_line_failure
from assets.tables import ParquetTable
from assets.transforms.harmonization import build_value_added, country_totals_table, trade_flows_in_duckdb
from checks.harmonization import country_totals_schema, trade_flows_schema
from checks.value_added import value_added_schema
from pipelines.io_managers import staged_output_path
from pipelines.partitions import yearly_check_spec, yearly_partitions
from pipelines.resources import RvcConfig
from pipelines.validation import require_valid_table, validated_output, validated_table_output

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
    kinds={"duckdb", "parquet"},
    partitions_def=yearly_partitions,
    **validated_table_output(trade_flows_schema, "TradeFlows"),
    check_specs=[
        yearly_check_spec("conversion_conserves_value", asset="trade_flows", blocking=True,
                          description="Converting to HS1992 neither adds nor loses value (sum before = sum after)."),
    ],
)
@one_line_failure
def trade_flows(
    context: dg.AssetExecutionContext,
    rvc: RvcConfig,
    comtrade_clean: ParquetTable,
    hs_conversion_weights: pd.DataFrame,
    country_codes: pd.DataFrame,
):
    """Exporter → importer → HS6 (H0) facts: the exporter's FOB report, the importer's CIF and FOB-adjusted reports, the reconciled value and the rule.

    A DuckDB set operation over the year's comtrade_clean Parquet file (trade_flows_in_duckdb), written with
    DuckDB in key order and validated in SQL before the IO manager moves it into the warehouse; memory is
    bounded by rvc.duckdb_memory_limit (spilling to rvc.spill_dir)."""
    staged = staged_output_path(rvc.warehouse_dir, "trade_flows", context.partition_key)
    try:
        with duckdb_session(rvc.spill_dir, rvc.duckdb_memory_limit) as con:
            built = trade_flows_in_duckdb(
                con, parquet_relation(comtrade_clean.path, with_position=True), hs_conversion_weights, country_codes,
                cif_fob_method=rvc.cif_fob_method,
            )
            rows = write_query_to_parquet(con, built.flows.sql_query(), staged)
            table = require_valid_table(con, trade_flows_schema, "TradeFlows", ParquetTable(staged, rows))
            written = parquet_relation(staged)
            by_rule = con.execute(f"""
                SELECT recon_rule, count(*) AS rows, sum(value_usd) AS value_usd FROM {written}
                GROUP BY recon_rule ORDER BY recon_rule""").df()
            total = float(con.execute(f"SELECT coalesce(sum(value_usd), 0) FROM {written}").fetchall()[0][0])
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    yield dg.Output(
        table.with_metadata(
            **{"dagster/column_lineage": TRADE_FLOWS_LINEAGE, "rows_by_rule": md_table(by_rule), "steps": md_table(built.steps),
               "value_usd": total}
        ),
    )
    yield check_result_from_frame("conversion_conserves_value", "trade_flows", built.conversion_gap, "value changed by HS conversion")


@dg.asset(
    group_name=GROUP,
    kinds={"pandas", "parquet"},
    partitions_def=yearly_partitions,
    **validated_output(value_added_schema, "ValueAdded"),
)
@one_line_failure
def value_added(context: dg.AssetExecutionContext, tiva_clean: pd.DataFrame, country_codes: pd.DataFrame) -> pd.DataFrame:
    """TiVA measures (USD million) by country, partner or origin, and activity, on the pipeline's ISO3 and region codes."""
    frame = build_value_added(tiva_clean, country_codes)
    context.add_output_metadata({"measures": md_table(frame.groupby(["measure", "activity"]).size().rename("rows").reset_index())})
    return frame


COUNTRY_TOTALS_LINEAGE = column_lineage(
    {
        "country": [("comtrade_totals", "reporter_code"), ("comtrade_totals", "partner_code"), ("country_codes", "iso3")],
        "flow": [("comtrade_totals", "flow")],
        "value_usd": [("comtrade_totals", "value_usd"), ("comtrade_totals", "cif_usd"), ("comtrade_totals", "fob_usd")],
        "value_cif_usd": [("comtrade_totals", "cif_usd")],
        "partners_declaring": [("comtrade_totals", "reporter_code")],
        "coverage_share": [("comtrade_totals", "value_usd"), ("comtrade_totals", "cif_usd"), ("comtrade_totals", "fob_usd")],
        "self_trade_usd": [("comtrade_totals", "value_usd"), ("comtrade_totals", "cif_usd"), ("comtrade_totals", "fob_usd")],
    }
)


@dg.asset(
    group_name=GROUP,
    kinds={"duckdb", "pandas", "parquet"},
    partitions_def=yearly_partitions,
    **validated_output(country_totals_schema, "CountryTotals"),
)
@one_line_failure
def country_totals(
    context: dg.AssetExecutionContext, rvc: RvcConfig, comtrade_totals: ParquetTable, country_codes: pd.DataFrame
):
    """Each country's total merchandise exports and imports (FOB): its own TOTAL/World declaration, else mirrored from its partners' TOTAL declarations."""
    with duckdb_session(rvc.spill_dir, rvc.duckdb_memory_limit) as con:
        frame = country_totals_table(con, parquet_relation(comtrade_totals.path), country_codes)
    by_source = frame.groupby(["flow", "source"]).agg(countries=("country", "size"), value_usd=("value_usd", "sum")).reset_index()
    return dg.Output(
        frame,
        metadata={
            "dagster/column_lineage": COUNTRY_TOTALS_LINEAGE,
            "by_source": md_table(by_source),
            "self_trade_removed_usd": float(frame["self_trade_usd"].sum()),
        },
    )
