"""Pandera schemas of the indicator stage, and the pure helpers its asset checks call.

Belongs here: `indicator_schema` (trade_indicators and va_indicators) and `indicator_panel_schema`
(indicator_panel), built per scope (`indicator_schema_for`, `indicator_panel_schema_for`: product_group is one
of the scope's trade or TiVA activity groups; a run takes the scope of its settings, checks/scope.py). Not here:
computing indicators, Dagster asset-check wiring, the pure quality helpers the asset checks call
(`range_violations`, `missing_indicators`, `non_finite`: assets/transforms/indicators/quality.py, their one home).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa

from assets.transforms.indicators.common import (
    KEY_COLUMNS,
    NOTE_MISSING_ENDPOINT,
    NOTE_MISSING_INPUT,
    NOTE_NEGATIVE_VALUE,
    NOTE_NO_COUNTRY_TOTAL,
    NOTE_NO_QUANTITY,
    NOTE_NO_REFERENCE,
    NOTE_NOT_REPORTED,
    NOTE_ZERO_DENOMINATOR,
)
from assets.transforms.indicators.indicator_catalog import (
    GROWTH_SUFFIX,
    growth_catalog,
    load_indicator_catalog,
    split_list,
)
from assets.transforms.indicators.trade_structure import TWO_WAY_SUBTYPES
from assets.transforms.reference.scope import Scope, load_scope
from checks.scope import group_check

NOTES = (
    NOTE_ZERO_DENOMINATOR,
    NOTE_MISSING_INPUT,
    NOTE_NOT_REPORTED,
    NOTE_NO_QUANTITY,
    NOTE_NO_REFERENCE,
    NOTE_MISSING_ENDPOINT,
    NOTE_NEGATIVE_VALUE,
    NOTE_NO_COUNTRY_TOTAL,
)

_CATALOG = load_indicator_catalog()
_GROWTH_CATALOG = growth_catalog(_CATALOG)


def _allowed_variants(catalog: pd.DataFrame) -> dict[str, set[str]]:
    return {row.indicator: set(split_list(row.variants)) for row in catalog.itertuples(index=False)}


def _variant_listed(frame: pd.DataFrame, catalog: pd.DataFrame) -> pd.Series:
    """True where the row's variant is one the catalog lists for its indicator.

    relative_unit_value also accepts any "vs_<iso3>" (the reference exporter is a parameter).
    """
    allowed = pd.MultiIndex.from_tuples(
        [(name, variant) for name, variants in _allowed_variants(catalog).items() for variant in variants]
    )
    listed = pd.Series(pd.MultiIndex.from_frame(frame[["indicator", "variant"]]).isin(allowed), index=frame.index)
    reference = (frame["indicator"] == "relative_unit_value") & frame["variant"].str.fullmatch(r"vs_[a-z]{3}")
    return listed | reference.fillna(False)


def _common_checks(catalog: pd.DataFrame) -> list[pa.Check]:
    return [
        pa.Check(lambda f: f["value"].notna() | f["note"].notna(), name="nan_value_has_note",
                 error="a NaN value must carry a note saying why"),
        pa.Check(lambda f: f["value"].isna() | f["note"].isna(), name="note_only_on_nan",
                 error="a note explains a missing value; present values have no note"),
        pa.Check(
            lambda f: f["subtype"].isna() == ~f["indicator"].isin(["two_way_trade_share"]),
            name="subtype_only_for_two_way", error="subtype is set exactly on two_way_trade_share rows",
        ),
        pa.Check(lambda f: _variant_listed(f, catalog), name="variant_in_catalog",
                 error="variant must be one the indicator catalog lists for the indicator"),
    ]


def _columns(indicator_names: pd.Series, scope: Scope) -> dict[str, pa.Column]:
    text = pa.Check.str_length(min_value=1)
    return {
        "year": pa.Column("Int64", nullable=False, checks=pa.Check.in_range(1900, 2200)),
        "country": pa.Column(str, nullable=False, checks=text),
        "partner": pa.Column(str, nullable=False, checks=text),
        "product_group": pa.Column(str, nullable=False, checks=group_check(
            scope, scope.indicator_groups, "a trade group or TiVA activity group")),
        "indicator": pa.Column(str, nullable=False, checks=pa.Check.isin(sorted(indicator_names))),
        "subtype": pa.Column(str, nullable=True, checks=pa.Check.isin(TWO_WAY_SUBTYPES)),
        "variant": pa.Column(str, nullable=False, checks=text),
        "value": pa.Column("float64", nullable=True,
                           checks=pa.Check(lambda s: ~np.isinf(s), name="finite_or_nan", error="no inf values")),
        "unit": pa.Column(str, nullable=False, checks=text),
        "note": pa.Column(str, nullable=True, checks=pa.Check.isin(NOTES)),
        "world_countries": pa.Column("Int64", nullable=True, checks=pa.Check.ge(0)),
        "world_coverage_share": pa.Column("float64", nullable=True, checks=pa.Check.in_range(0.0, 1.0 + 1e-9)),
    }


def indicator_schema_for(scope: Scope) -> pa.DataFrameSchema:
    """The trade_indicators / va_indicators contract under `scope`."""
    return pa.DataFrameSchema(
        _columns(_CATALOG["indicator"], scope),
        checks=_common_checks(_CATALOG),
        strict=True,
        ordered=True,
        unique=KEY_COLUMNS,
        name="indicator_schema",
    )


def indicator_panel_schema_for(scope: Scope) -> pa.DataFrameSchema:
    """The indicator_panel contract under `scope`: the indicator columns plus the growth rows' period."""
    return pa.DataFrameSchema(
        {
            **_columns(_GROWTH_CATALOG["indicator"], scope),
            "period": pa.Column(str, nullable=True, checks=pa.Check.str_matches(r"^\d{4}-\d{4}$")),
        },
        checks=_common_checks(_GROWTH_CATALOG)
        + [
            pa.Check(
                lambda f: f["period"].isna() != f["indicator"].str.endswith(GROWTH_SUFFIX),
                name="period_only_on_growth_rows", error="period is set exactly on <indicator>_cagr rows",
            )
        ],
        strict=True,
        ordered=True,
        unique=KEY_COLUMNS + ["period"],
        name="indicator_panel_schema",
    )


# The default scope's contracts (scopes/automotive.yaml): for tests and notebooks. A run validates with the
# scope of its own settings (assets/indicators.py: scoped_validated_output(indicator_schema_for, ...)).
indicator_schema = indicator_schema_for(load_scope())
indicator_panel_schema = indicator_panel_schema_for(load_scope())

