"""pandera models of the TiVA stage outputs: `tiva_raw`, `tiva_clean` and the TiVA rejects.

Belongs here: column sets (strict), dtypes, nullability and the values fixed by the readers and the
cleaning rules (layouts, units, reject reasons). Not here: the rules themselves
(`assets.sources.tiva_layouts`, `assets.transforms.cleaning.tiva_cleaning`) or cross-table checks.
"""

from __future__ import annotations

import pandera.pandas as pa

from assets.transforms.cleaning.tiva_cleaning import KEY_COLUMNS, REJECT_REASONS, UNIT_PERCENT, UNIT_USD_MILLION
from assets.vocabulary import TIVA_LAYOUTS

_SHA256 = r"^[0-9a-f]{64}$"
# TiVA series start in 1995; the oldest OECD.Stat editions went back to 1970 for a few economies.
_YEARS = pa.Check.in_range(1950, 2100)


def _raw_columns() -> dict[str, pa.Column]:
    """`tiva_raw` columns: everything as the file gave it, so only provenance is never null."""
    return {
        "measure": pa.Column(str, nullable=True),
        "country": pa.Column(str, nullable=True),
        "partner": pa.Column(str, nullable=True),
        "activity": pa.Column(str, nullable=True),
        "year": pa.Column("Int64", _YEARS, nullable=True),
        "obs_value": pa.Column("float64", nullable=True),
        "unparsed_value": pa.Column(str, nullable=True),
        "unit_measure": pa.Column(str, nullable=True),
        "unit_mult": pa.Column("Int64", pa.Check.in_range(-12, 12), nullable=True),
        "obs_status": pa.Column(str, nullable=True),
        "dataflow": pa.Column(str, nullable=True),
        "edition": pa.Column(str, nullable=False),
        "source_file": pa.Column(str, nullable=False),
        "source_sha256": pa.Column(str, pa.Check.str_matches(_SHA256), nullable=False),
        "source_row": pa.Column("Int64", pa.Check.ge(1), nullable=False),
        "source_layout": pa.Column(str, pa.Check.isin(list(TIVA_LAYOUTS)), nullable=False),
    }


tiva_raw_schema = pa.DataFrameSchema(
    _raw_columns(),
    strict=True,
    ordered=True,
    unique=["source_file", "source_row"],
    name="tiva_raw",
)

tiva_clean_schema = pa.DataFrameSchema(
    {
        "measure": pa.Column(str, nullable=False),
        "country": pa.Column(str, nullable=False),
        "partner": pa.Column(str, nullable=False),
        "activity": pa.Column(str, nullable=False),
        "year": pa.Column("Int64", _YEARS, nullable=False),
        "value": pa.Column("float64", nullable=False),
        "unit": pa.Column(str, pa.Check.isin([UNIT_USD_MILLION, UNIT_PERCENT]), nullable=False),
        "edition": pa.Column(str, nullable=False),
        "partner_is_aggregate": pa.Column(bool, nullable=False),
        "country_is_aggregate": pa.Column(bool, nullable=False),
        "source_file": pa.Column(str, nullable=False),
        "source_sha256": pa.Column(str, pa.Check.str_matches(r"^[0-9a-f]{64}(;[0-9a-f]{64})*$"), nullable=False),
        # ";"-joined contributor rows for summed split economies (CN1+CN2 -> CHN).
        "source_row": pa.Column(str, pa.Check.str_matches(r"^[1-9]\d*(;[1-9]\d*)*$"), nullable=False),
    },
    strict=True,
    ordered=True,
    unique=KEY_COLUMNS,
    name="tiva_clean",
)

tiva_rejects_schema = pa.DataFrameSchema(
    {
        **_raw_columns(),
        "reason": pa.Column(str, pa.Check.isin(list(REJECT_REASONS)), nullable=False),
        "message": pa.Column(str, nullable=False),
    },
    strict=True,
    ordered=True,
    unique=["source_file", "source_row"],
    name="tiva_rejects",
)
