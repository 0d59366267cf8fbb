"""Stage 4, indicators: trade and value-added indicators per year in one long format, and the all-years panel.

Entry points: `trade_indicators`, `va_indicators`, `indicator_panel`; `indicator_catalog` is the catalog (data
table assets/data/indicator_catalog.csv) every indicator is described by. Their parts: the long format
(`common`), trade tables (`trade_base`), formulas (`trade_shares`, `trade_structure`), per-heading declarations
(`heading_declarations`) and the quality helpers the asset checks call (`quality`). The names below are what the
indicator assets (assets/indicators.py) call. Nothing here imports dagster.
"""

from assets.transforms.indicators.heading_declarations import heading_declarations_sql, heading_flows
from assets.transforms.indicators.indicator_catalog import catalog_for_scope, catalog_markdown, load_indicator_catalog
from assets.transforms.indicators.indicator_panel import build_indicator_panel
from assets.transforms.indicators.quality import missing_indicators, non_finite, range_violations
from assets.transforms.indicators.trade_indicators import compute_trade_indicators
from assets.transforms.indicators.va_indicators import compute_va_indicators

__all__ = [
    "build_indicator_panel",
    "catalog_for_scope",
    "catalog_markdown",
    "compute_trade_indicators",
    "compute_va_indicators",
    "heading_declarations_sql",
    "heading_flows",
    "load_indicator_catalog",
    "missing_indicators",
    "non_finite",
    "range_violations",
]
