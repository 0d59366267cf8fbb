"""Cleaning assets: Comtrade split into facts, totals and rejects (every raw row in exactly one); TiVA codes harmonized."""


import dagster as dg
import pandas as pd

from assets.metadata import check_result_from_frame, md_table
from assets.transforms.comtrade_cleaning import (
    breakdowns_exceeding_totals,
    children_exceeding_parent,
    clean_comtrade,
    conservation_report,
    conservation_violations,
)
from assets.transforms.tiva_cleaning import clean_tiva, dva_fva_gap, share_out_of_range
from checks.cleaning import comtrade_clean_schema, comtrade_rejects_schema, comtrade_totals_schema
from checks.tiva import tiva_clean_schema, tiva_rejects_schema
from pipelines.partitions import yearly_partitions
from pipelines.validation import validated_output

GROUP = "cleaning"


@dg.multi_asset(
    group_name=GROUP,
    partitions_def=yearly_partitions,
    outs={
        "comtrade_clean": dg.AssetOut(
            **validated_output(comtrade_clean_schema, "ComtradeClean"),
            description="Typed, totals-only, de-duplicated reporter-side HS6 records (X, M, RX, RM) of the year.",
            kinds={"pandas", "parquet"},
            code_version="1",
        ),
        "comtrade_totals": dg.AssetOut(
            **validated_output(comtrade_totals_schema, "ComtradeTotals"),
            description="Reporter totals and aggregates (TOTAL, 2/4-digit, partner World): the RCA denominators.",
            kinds={"pandas", "parquet"},
            code_version="1",
        ),
        "comtrade_rejects": dg.AssetOut(
            **validated_output(comtrade_rejects_schema, "ComtradeRejects"),
            description="Every raw row kept out of comtrade_clean and comtrade_totals, with a reason code and message.",
            kinds={"pandas", "parquet"},
            code_version="1",
        ),
    },
    check_specs=[
        dg.AssetCheckSpec("rows_conserved", asset="comtrade_rejects", blocking=True,
                          description="Every raw row is in exactly one of clean, totals, rejects; value conserved."),
        dg.AssetCheckSpec("breakdowns_within_totals", asset="comtrade_clean",
                          description="Customs/transport/2nd-partner breakdowns do not exceed their total row."),
        dg.AssetCheckSpec("children_within_parent", asset="comtrade_totals",
                          description="HS6 sums do not exceed their HS4 row, HS2 sums not their TOTAL (tolerance documented)."),
    ],
)
def comtrade_cleaning(context: dg.AssetExecutionContext, comtrade_raw: pd.DataFrame):
    result = clean_comtrade(comtrade_raw)
    report = conservation_report(comtrade_raw, result)
    steps_meta = {"rules": md_table(result.steps), "raw_rows": len(comtrade_raw)}
    yield dg.Output(result.clean, output_name="comtrade_clean", metadata=steps_meta)
    yield dg.Output(result.totals, output_name="comtrade_totals")
    yield dg.Output(
        result.rejects,
        output_name="comtrade_rejects",
        metadata={"by_reason": md_table(report), "rows_removed_by_rule": md_table(result.steps)},
    )
    violations = conservation_violations(comtrade_raw, result)
    yield dg.AssetCheckResult(
        check_name="rows_conserved",
        asset_key="comtrade_rejects",
        passed=not violations,
        description="; ".join(violations) or "every raw row accounted for",
        metadata={"by_destination_and_reason": md_table(report)},
    )
    yield check_result_from_frame(
        "breakdowns_within_totals", "comtrade_clean", breakdowns_exceeding_totals(comtrade_raw),
        "breakdown sums above their total", blocking_severity=False,
    )
    yield check_result_from_frame(
        "children_within_parent", "comtrade_totals", children_exceeding_parent(result.clean, result.totals),
        "children above their parent aggregate", blocking_severity=False,
    )


@dg.multi_asset(
    group_name=GROUP,
    partitions_def=yearly_partitions,
    outs={
        "tiva_clean": dg.AssetOut(
            **validated_output(tiva_clean_schema, "TivaClean"),
            description="Canonical TiVA observations in USD million, codes harmonized across editions.",
            kinds={"pandas", "parquet"},
            code_version="1",
        ),
        "tiva_rejects": dg.AssetOut(
            **validated_output(tiva_rejects_schema, "TivaRejects"),
            description="TiVA observations that cannot be used, with a reason code and message.",
            kinds={"pandas", "parquet"},
            code_version="1",
        ),
    },
    check_specs=[
        dg.AssetCheckSpec("dva_plus_fva_equals_gross", asset="tiva_clean",
                          description="EXGR_DVA + EXGR_FVA ≈ EXGR where all three are present."),
        dg.AssetCheckSpec("shares_within_0_100", asset="tiva_clean", description="Share measures lie within 0–100 %."),
    ],
)
def tiva_cleaning(context: dg.AssetExecutionContext, tiva_raw: pd.DataFrame):
    result = clean_tiva(tiva_raw)
    yield dg.Output(result.clean, output_name="tiva_clean", metadata={"rules": md_table(result.steps), "raw_rows": len(tiva_raw)})
    yield dg.Output(result.rejects, output_name="tiva_rejects")
    yield check_result_from_frame("dva_plus_fva_equals_gross", "tiva_clean", dva_fva_gap(result.clean),
                                  "EXGR_DVA + EXGR_FVA off EXGR", blocking_severity=False)
    yield check_result_from_frame("shares_within_0_100", "tiva_clean", share_out_of_range(result.clean),
                                  "shares outside 0–100", blocking_severity=False)
