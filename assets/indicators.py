"""Indicator assets: long-format trade and value-added indicators per year, and the all-years panel with growth."""


import dagster as dg
import pandas as pd

from assets.duckdb_session import duckdb_session, parquet_relation
from assets.metadata import check_result_from_frame, column_lineage, md_table
from assets.step_failures import one_line_failure
from assets.tables import ParquetTable
from assets.transforms.indicators import (
    build_indicator_panel,
    catalog_markdown,
    compute_trade_indicators,
    compute_va_indicators,
    heading_declarations_sql,
    heading_flows,
    load_indicator_catalog,
    missing_indicators,
    non_finite,
    range_violations,
)
from assets.transforms.reference import Scope, load_scope
from checks.indicators import indicator_panel_schema_for, indicator_schema_for
from pipelines.partitions import yearly_check_spec, yearly_partitions
from pipelines.resources import RvcConfig
from pipelines.validation import scoped_validated_output

GROUP = "indicators"
# The catalog (name, definition, formula, unit, reference) shown on the indicator assets in the UI.
CATALOG_METADATA = {"indicator_catalog": dg.MetadataValue.md(catalog_markdown(load_indicator_catalog()))}


def _with_catalog(output: dict[str, object]) -> dict[str, object]:
    return output | {"metadata": {**output["metadata"], **CATALOG_METADATA}}

INDICATOR_LINEAGE = column_lineage(
    {
        "country": [("trade_flows", "exporter"), ("trade_flows", "importer")],
        "partner": [("trade_flows", "exporter"), ("trade_flows", "importer"), ("regions", "iso3")],
        "product_group": [("trade_flows", "hs6"), ("product_groups", "product_group"), ("product_groups", "bec_stage")],
        "value": [("trade_flows", "value_usd"), ("trade_flows", "qty"), ("country_totals", "value_usd"),
                  ("comtrade_totals", "value_usd")],
    }
)
VA_LINEAGE = column_lineage(
    {
        "country": [("value_added", "country")],
        "partner": [("value_added", "partner")],
        "value": [("value_added", "value"), ("value_added", "measure")],
    }
)


def _indicator_checks(asset: str) -> list[dg.AssetCheckSpec]:
    return [
        yearly_check_spec("values_in_range", asset=asset, description="Shares, GL, TBI and RCA within their ranges (catalog)."),
        yearly_check_spec("no_silent_gaps", asset=asset, description="No catalog indicator silently missing for a country-year with data."),
        yearly_check_spec("finite_or_explained", asset=asset, description="No inf; a missing value carries a reason in `note`."),
    ]


def _indicator_check_results(asset: str, frame: pd.DataFrame, expected_countries: set[str], scope: Scope):
    catalog = load_indicator_catalog()
    yield check_result_from_frame("values_in_range", asset, range_violations(frame, catalog), "values out of range")
    yield check_result_from_frame(
        "no_silent_gaps", asset, missing_indicators(frame, expected_countries, catalog, scope), "indicators missing without a reason"
    )
    yield check_result_from_frame("finite_or_explained", asset, non_finite(frame), "non-finite or unexplained missing values")


@dg.asset(
    group_name=GROUP,
    kinds={"pandas", "parquet"},
    partitions_def=yearly_partitions,
    **_with_catalog(scoped_validated_output(indicator_schema_for, "TradeIndicators")),
    check_specs=_indicator_checks("trade_indicators"),
)
@one_line_failure
def trade_indicators(
    context: dg.AssetExecutionContext,
    rvc: RvcConfig,
    trade_flows: pd.DataFrame,
    product_groups: pd.DataFrame,
    country_totals: pd.DataFrame,
    regions: pd.DataFrame,
    comtrade_totals: ParquetTable,
    country_codes: pd.DataFrame,
):
    """Long-format trade indicators of the year for the scope's groups: values, balance, Grubel-Lloyd, two-way types, RCA, shares, unit values."""
    year = int(context.partition_key)
    scope = load_scope(rvc.scope_path or None)
    # 4-digit declarations of the scope's HS4 headings stand in where trade_flows has no HS6 line.
    with duckdb_session(rvc.spill_dir, rvc.duckdb_memory_limit) as con:
        declarations = con.execute(
            heading_declarations_sql(parquet_relation(comtrade_totals.path), sorted(scope.hs4_headings))).df()
    from_headings, heading_summary = heading_flows(declarations, trade_flows, country_codes, scope, year)
    # Totals and the world of rca/shares from country_totals only (reported TOTAL/World, else mirrored; FOB).
    frame = compute_trade_indicators(trade_flows, product_groups, country_totals, regions, year, scope=scope,
                                     heading_flows=from_headings)
    yield dg.Output(
        frame,
        metadata={
            "dagster/column_lineage": INDICATOR_LINEAGE,
            "scope": f"{scope.name} ({scope.source})",
            "indicators": md_table(frame.groupby("indicator").size().rename("rows").reset_index()),
            "heading_declarations": md_table(heading_summary) if len(heading_summary) else "(none: no 4-digit declarations of the scope's HS4 headings)",
        },
    )
    countries = set(trade_flows["exporter"]) | set(trade_flows["importer"])
    countries |= set(from_headings["exporter"]) | set(from_headings["importer"])
    yield from _indicator_check_results("trade_indicators", frame, countries, scope)


@dg.asset(
    group_name=GROUP,
    kinds={"pandas", "parquet"},
    partitions_def=yearly_partitions,
    **_with_catalog(scoped_validated_output(indicator_schema_for, "VaIndicators")),
    check_specs=_indicator_checks("va_indicators"),
)
@one_line_failure
def va_indicators(context: dg.AssetExecutionContext, rvc: RvcConfig, value_added: pd.DataFrame, regions: pd.DataFrame):
    """Long-format value-added indicators of the year for the scope's TiVA activities: domestic and foreign VA shares, VA by origin, GVC participation."""
    year = int(context.partition_key)
    scope = load_scope(rvc.scope_path or None)
    frame = compute_va_indicators(value_added, regions, year, scope=scope)
    yield dg.Output(
        frame,
        metadata={"dagster/column_lineage": VA_LINEAGE, "indicators": md_table(frame.groupby("indicator").size().rename("rows").reset_index())},
    )
    yield from _indicator_check_results("va_indicators", frame, set(value_added["country"]), scope)


@dg.asset(
    group_name=GROUP,
    kinds={"pandas", "parquet"},
    **_with_catalog(scoped_validated_output(indicator_panel_schema_for, "IndicatorPanel")),
    # Rebuilt after any yearly refresh (schedule, sensor or backfill) once the summary_automation sensor is on.
    automation_condition=dg.AutomationCondition.eager(),
)
@one_line_failure
def indicator_panel(context: dg.AssetExecutionContext, trade_indicators: pd.DataFrame, va_indicators: pd.DataFrame) -> pd.DataFrame:
    """All years stacked, trade and value added, with compound annual growth over 5-year periods and the whole span."""
    stacked = pd.concat([trade_indicators, va_indicators], ignore_index=True)
    panel = build_indicator_panel(stacked)
    years = sorted(stacked["year"].dropna().unique().tolist())
    context.add_output_metadata({"years": f"{years[0]}–{years[-1]}" if years else "none", "year_count": len(years)})
    return panel
