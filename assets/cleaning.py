"""Cleaning assets: Comtrade split into facts, totals and rejects (every raw row in exactly one); TiVA codes harmonized.

The Comtrade cleaning runs as DuckDB SQL over the year's raw Parquet file and writes its three outputs
straight to Parquet; all three are validated (pandera contracts evaluated in SQL) and conservation is checked
on the written files before any of them is moved into the warehouse: all or nothing.
"""


import dagster as dg
import pandas as pd

from assets.duckdb_session import duckdb_session, parquet_relation
from assets.metadata import check_result_from_frame, md_table
from assets.step_failures import one_line_failure
from assets.tables import ParquetTable
from assets.transforms.cleaning import (
    IMPLAUSIBLE_VALUE_USD,
    OUTPUTS,
    breakdowns_exceeding_totals_sql,
    children_exceeding_parent_sql,
    clean_comtrade_files,
    clean_tiva,
    conservation_report_sql,
    conservation_violations_from,
    dva_fva_gap,
    implausible_values_sql,
    share_out_of_range,
)
from checks.cleaning import comtrade_clean_schema, comtrade_rejects_schema, comtrade_totals_schema
from checks.tiva import tiva_clean_schema, tiva_rejects_schema
from pipelines.io_managers import staged_output_path
from pipelines.partitions import yearly_check_spec, yearly_partitions
from pipelines.resources import RvcConfig
from pipelines.validation import require_valid_table, validated_output, validated_table_output

GROUP = "cleaning"
COMTRADE_SCHEMAS = {
    "clean": (comtrade_clean_schema, "ComtradeClean"),
    "totals": (comtrade_totals_schema, "ComtradeTotals"),
    "rejects": (comtrade_rejects_schema, "ComtradeRejects"),
}


@dg.multi_asset(
    group_name=GROUP,
    partitions_def=yearly_partitions,
    outs={
        "comtrade_clean": dg.AssetOut(
            **validated_table_output(comtrade_clean_schema, "ComtradeClean"),
            description="Typed, totals-only reporter-side HS6 records (X, M, RX, RM) of the year: one release and one classification per reporter, flow, partner and heading.",
            kinds={"duckdb", "parquet"},
        ),
        "comtrade_totals": dg.AssetOut(
            **validated_table_output(comtrade_totals_schema, "ComtradeTotals"),
            description="Reporter totals and aggregates (TOTAL, 2/4-digit, partner World): the RCA denominators.",
            kinds={"duckdb", "parquet"},
        ),
        "comtrade_rejects": dg.AssetOut(
            **validated_table_output(comtrade_rejects_schema, "ComtradeRejects"),
            description="Every raw row kept out of comtrade_clean and comtrade_totals, with a reason code and message.",
            kinds={"duckdb", "parquet"},
        ),
    },
    check_specs=[
        yearly_check_spec("rows_conserved", asset="comtrade_rejects", blocking=True,
                          description="Every raw row is in exactly one of clean, totals, rejects; value conserved."),
        yearly_check_spec("breakdowns_within_totals", asset="comtrade_clean",
                          description="Customs/transport/2nd-partner breakdowns do not exceed their total row."),
        yearly_check_spec("children_within_parent", asset="comtrade_totals",
                          description="HS6 sums do not exceed their HS4 row, HS2 sums not their TOTAL (tolerance documented)."),
        yearly_check_spec("values_plausible", asset="comtrade_clean",
                          description=f"No row of clean or totals is worth more than USD {IMPLAUSIBLE_VALUE_USD:,.0f} (more than any economy's total trade)."),
    ],
)
@one_line_failure
def comtrade_cleaning(context: dg.AssetExecutionContext, rvc: RvcConfig, comtrade_raw: ParquetTable):
    staged = {name: staged_output_path(rvc.warehouse_dir, f"comtrade_{name}", context.partition_key) for name in OUTPUTS}
    try:
        with duckdb_session(rvc.spill_dir, rvc.duckdb_memory_limit) as con:
            files = clean_comtrade_files(con, parquet_relation(comtrade_raw.path, with_position=True), staged)
            # All three validated before any is yielded: a failure writes none of them.
            tables = {
                name: require_valid_table(con, *COMTRADE_SCHEMAS[name], ParquetTable(staged[name], files.rows[name]))
                for name in OUTPUTS
            }
            written = {name: parquet_relation(path) for name, path in staged.items()}
            report, counts = conservation_report_sql(con, parquet_relation(comtrade_raw.path), written["clean"], written["totals"], written["rejects"])
            violations = conservation_violations_from(report, counts)
            if violations:  # a bug, not bad data: nothing is written
                raise dg.Failure(
                    description="comtrade cleaning lost or doubled rows or value: " + "; ".join(violations),
                    metadata={"by_destination_and_reason": md_table(report)},
                )
            breakdowns = breakdowns_exceeding_totals_sql(con, parquet_relation(comtrade_raw.path))
            children = children_exceeding_parent_sql(con, [written["clean"], written["totals"]])
            implausible = implausible_values_sql(con, [written["clean"], written["totals"]])
    except BaseException:
        for path in staged.values():
            path.unlink(missing_ok=True)
        raise
    rules = md_table(files.steps)
    yield dg.Output(tables["clean"].with_metadata(rules=rules, raw_rows=comtrade_raw.rows), output_name="comtrade_clean")
    yield dg.Output(tables["totals"], output_name="comtrade_totals")
    yield dg.Output(
        tables["rejects"].with_metadata(by_reason=md_table(report), rows_removed_by_rule=rules), output_name="comtrade_rejects"
    )
    yield dg.AssetCheckResult(
        check_name="rows_conserved",
        asset_key="comtrade_rejects",
        passed=True,  # a violation raised above, before anything was written
        description="every raw row accounted for: " + ", ".join(f"{k} {v}" for k, v in counts.items()),
        metadata={"by_destination_and_reason": md_table(report)},
    )
    yield check_result_from_frame(
        "breakdowns_within_totals", "comtrade_clean", breakdowns, "breakdown sums above their total", blocking_severity=False,
    )
    yield check_result_from_frame(
        "children_within_parent", "comtrade_totals", children, "children above their parent aggregate", blocking_severity=False,
    )
    yield check_result_from_frame(
        "values_plausible", "comtrade_clean", implausible, f"rows above USD {IMPLAUSIBLE_VALUE_USD:,.0f}", blocking_severity=False,
    )


@dg.multi_asset(
    group_name=GROUP,
    partitions_def=yearly_partitions,
    outs={
        "tiva_clean": dg.AssetOut(
            **validated_output(tiva_clean_schema, "TivaClean"),
            description="Canonical TiVA observations in USD million, codes harmonized across editions.",
            kinds={"pandas", "parquet"},
        ),
        "tiva_rejects": dg.AssetOut(
            **validated_output(tiva_rejects_schema, "TivaRejects"),
            description="TiVA observations that cannot be used, with a reason code and message.",
            kinds={"pandas", "parquet"},
        ),
    },
    check_specs=[
        yearly_check_spec("dva_plus_fva_equals_gross", asset="tiva_clean",
                          description="EXGR_DVA + EXGR_FVA ≈ EXGR where all three are present."),
        yearly_check_spec("shares_within_0_100", asset="tiva_clean", description="Share measures lie within 0–100 %."),
    ],
)
@one_line_failure
def tiva_cleaning(context: dg.AssetExecutionContext, tiva_raw: pd.DataFrame):
    result = clean_tiva(tiva_raw)
    yield dg.Output(result.clean, output_name="tiva_clean", metadata={"rules": md_table(result.steps), "raw_rows": len(tiva_raw)})
    yield dg.Output(result.rejects, output_name="tiva_rejects")
    yield check_result_from_frame("dva_plus_fva_equals_gross", "tiva_clean", dva_fva_gap(result.clean),
                                  "EXGR_DVA + EXGR_FVA off EXGR", blocking_severity=False)
    yield check_result_from_frame("shares_within_0_100", "tiva_clean", share_out_of_range(result.clean),
                                  "shares outside 0–100", blocking_severity=False)
