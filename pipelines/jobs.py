"""Jobs: the yearly chain for one partition, its two halves around the pooled HS weights, the reference and summary assets.

`hs_conversion_weights` pools H0 trade over every cleaned year, so a full rebuild runs in three steps
(`rvc backfill`): `yearly_cleaning` for every year, then `conversion_weights` once, then
`yearly_harmonization` for every year, then `panel_and_report`. `yearly_refresh` (schedules and sensors)
runs the whole chain for one year: clean it, rebuild the weights from all stored years including it, then
harmonize it; other years' harmonized partitions then show as stale in the UI when the weights changed.
"""

from __future__ import annotations

import dagster as dg

from pipelines.run_outcomes import one_line_cause

# Every job logs a failed step's cause as one line in its run log (the UI), as `rvc backfill` prints it.
HOOKS = {one_line_cause}

WEIGHTS_SELECTION = dg.AssetSelection.assets("hs_conversion_weights")
# The reference tables that need no trade: built before any year.
REFERENCE_SELECTION = dg.AssetSelection.groups("reference") - WEIGHTS_SELECTION
CLEANING_SELECTION = dg.AssetSelection.groups("raw", "cleaning")
HARMONIZATION_SELECTION = dg.AssetSelection.groups("harmonization") | dg.AssetSelection.assets("trade_indicators", "va_indicators")
YEARLY_SELECTION = CLEANING_SELECTION | WEIGHTS_SELECTION | HARMONIZATION_SELECTION
# The Parquet outputs of one yearly run (multi-asset outputs included), for "is this year complete?".
CLEANING_ASSET_KEYS = ("comtrade_raw", "tiva_raw", "comtrade_clean", "comtrade_totals", "comtrade_rejects", "tiva_clean", "tiva_rejects")
HARMONIZATION_ASSET_KEYS = ("trade_flows", "country_totals", "value_added", "trade_indicators", "va_indicators")
YEARLY_ASSET_KEYS = (*CLEANING_ASSET_KEYS, *HARMONIZATION_ASSET_KEYS)
SUMMARY_SELECTION = dg.AssetSelection.assets("indicator_panel", "rvc_report")

yearly_job = dg.define_asset_job(
    "yearly_refresh", hooks=HOOKS,
    selection=YEARLY_SELECTION,
    description="One year end to end: raw → cleaning → HS conversion weights (pooled over every stored year) → harmonization → indicators.",
)
cleaning_job = dg.define_asset_job(
    "yearly_cleaning", hooks=HOOKS, selection=CLEANING_SELECTION, description="Raw → cleaning for one year (one partition per run)."
)
weights_job = dg.define_asset_job(
    "conversion_weights", hooks=HOOKS, selection=WEIGHTS_SELECTION,
    description="HS conversion weights from the H0 trade of every cleaned year (run after cleaning, before harmonization).",
)
harmonization_job = dg.define_asset_job(
    "yearly_harmonization", hooks=HOOKS, selection=HARMONIZATION_SELECTION,
    description="Harmonization → indicators for one year, with the stored HS conversion weights.",
)
reference_job = dg.define_asset_job(
    "reference_tables", hooks=HOOKS, selection=REFERENCE_SELECTION, description="HS concordance, product groups, country codes, regions."
)
summary_job = dg.define_asset_job(
    "panel_and_report", hooks=HOOKS, selection=SUMMARY_SELECTION, description="Stack all years into the panel and rebuild the report."
)
ALL_JOBS = [yearly_job, cleaning_job, weights_job, harmonization_job, reference_job, summary_job]

# What a yearly run executes or reads: its code versions decide whether `rvc backfill` re-runs a year.
YEARLY_CODE_SELECTION = REFERENCE_SELECTION | YEARLY_SELECTION


def code_versions(defs: dg.Definitions, selection: dg.AssetSelection = YEARLY_CODE_SELECTION) -> dict[str, str]:
    """{asset key: code version} of the selected assets (pipelines/code_versions.py derives them)."""
    graph = defs.resolve_asset_graph()
    return {key.to_user_string(): graph.get(key).code_version or "" for key in sorted(selection.resolve(graph))}


def summary_stacked_keys(defs: dg.Definitions) -> tuple[str, ...]:
    """The yearly assets the panel and report stack (their partitioned parents)."""
    graph = defs.resolve_asset_graph()
    summary = SUMMARY_SELECTION.resolve(graph)
    parents = {parent for key in summary for parent in graph.get(key).parent_keys} - summary
    return tuple(sorted(key.to_user_string() for key in parents if graph.get(key).is_partitioned))
