"""Stage 3, harmonization: cleaned declarations brought onto one classification, one set of country codes and
one value per flow.

`hs_conversion` builds the weights that take HS H1..H6 codes to H0 (HS1992) and applies them; `reconciliation`
reconciles the exporter's and the importer's declarations of a flow (mirror data, CIF/FOB); `trade_flows` runs
both over a year of `comtrade_clean`; `country_totals` gives each country's total trade; `value_added` puts the
cleaned TiVA observations on the pipeline's country codes. The names below are what the harmonization and
reference assets (assets/harmonization.py, assets/reference.py) call. Nothing here imports dagster.
"""

from assets.transforms.harmonization.country_totals import country_totals_table
from assets.transforms.harmonization.hs_conversion import (
    MIN_POOLED_EVIDENCE_USD,
    conversion_weights,
    pooled_h0_trade,
    weights_not_summing_to_one,
)
from assets.transforms.harmonization.trade_flows import trade_flows_in_duckdb
from assets.transforms.harmonization.value_added import build_value_added

__all__ = [
    "MIN_POOLED_EVIDENCE_USD",
    "build_value_added",
    "conversion_weights",
    "country_totals_table",
    "pooled_h0_trade",
    "trade_flows_in_duckdb",
    "weights_not_summing_to_one",
]
