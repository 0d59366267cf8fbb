"""Pandera schema of `value_added` (harmonized TiVA observations)."""

from __future__ import annotations

import pandera.pandas as pa

value_added_schema = pa.DataFrameSchema(
    {
        "year": pa.Column("Int64", pa.Check.in_range(1970, 2100)),
        "measure": pa.Column(str, pa.Check.str_length(min_value=1)),
        "country": pa.Column(str, pa.Check.str_length(min_value=2)),
        "partner": pa.Column(str, pa.Check.str_length(min_value=2)),
        "activity": pa.Column(str, pa.Check.str_length(min_value=1)),
        "value": pa.Column("float64"),
        "unit": pa.Column(str),
        "edition": pa.Column(str),
        "country_is_aggregate": pa.Column(bool),
        "partner_is_aggregate": pa.Column(bool),
        "source_file": pa.Column(str),
    },
    strict=True,
    ordered=True,
    unique=["year", "measure", "country", "partner", "activity"],
    name="value_added_schema",
)
