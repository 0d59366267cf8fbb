"""Stage 2, cleaning: raw Comtrade and TiVA rows judged — kept as facts and totals, or rejected with a reason.

Entry points: `comtrade_cleaning` (Comtrade, in DuckDB) and `tiva_cleaning` (TiVA). Their parts: the
vocabularies and normalizers of Comtrade codes (`codes`), the per-row reject rules (`row_rules`), release and
duplicate resolution (`releases`), building the clean and totals facts (`facts`), and the pure checks run on
the results (`consistency`, `conservation`). The names below are what the cleaning assets (assets/cleaning.py)
call. Nothing here imports dagster.
"""

from assets.transforms.cleaning.comtrade_cleaning import OUTPUTS, clean_comtrade_files
from assets.transforms.cleaning.conservation import conservation_report_sql, conservation_violations_from
from assets.transforms.cleaning.consistency import (
    IMPLAUSIBLE_VALUE_USD,
    breakdowns_exceeding_totals_sql,
    children_exceeding_parent_sql,
    implausible_values_sql,
)
from assets.transforms.cleaning.tiva_cleaning import clean_tiva, dva_fva_gap, share_out_of_range

__all__ = [
    "IMPLAUSIBLE_VALUE_USD",
    "OUTPUTS",
    "breakdowns_exceeding_totals_sql",
    "children_exceeding_parent_sql",
    "clean_comtrade_files",
    "clean_tiva",
    "conservation_report_sql",
    "conservation_violations_from",
    "dva_fva_gap",
    "implausible_values_sql",
    "share_out_of_range",
]
