"""Jobs: the yearly chain for one partition, and the unpartitioned reference and summary assets."""

from __future__ import annotations

import dagster as dg

REFERENCE_SELECTION = dg.AssetSelection.groups("reference")
YEARLY_SELECTION = dg.AssetSelection.groups("raw", "cleaning", "harmonization") | dg.AssetSelection.assets(
    "trade_indicators", "va_indicators"
)
# The Parquet outputs of one yearly run (multi-asset outputs included), for "is this year complete?".
YEARLY_ASSET_KEYS = (
    "comtrade_raw", "tiva_raw", "comtrade_clean", "comtrade_totals", "comtrade_rejects", "tiva_clean", "tiva_rejects",
    "trade_flows", "country_totals", "value_added", "trade_indicators", "va_indicators",
)
SUMMARY_SELECTION = dg.AssetSelection.assets("indicator_panel", "rvc_report")

yearly_job = dg.define_asset_job(
    "yearly_refresh",
    selection=YEARLY_SELECTION,
    description="Raw → cleaning → harmonization → indicators for one year (one partition per run).",
)
reference_job = dg.define_asset_job(
    "reference_tables", selection=REFERENCE_SELECTION, description="HS concordance, product groups, country codes, regions."
)
summary_job = dg.define_asset_job(
    "panel_and_report", selection=SUMMARY_SELECTION, description="Stack all years into the panel and rebuild the report."
)
