"""pandera schemas of the reference assets: `hs_concordance` (HS H1..H6 → H0 links), `hs_conversion_weights`
and `product_groups`.

`conversion_weights_schema` validates the weights (assets/transforms/harmonization/hs_conversion.py `conversion_weights`);
`hs_conversion_weights_schema` is the same contract under the asset's name. Column sets and value domains come from the
modules that build the frames, so a renamed group or stage fails here first.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from assets.sources.hs_correlation import RELATIONSHIPS, SOURCE_VINTAGES
from assets.transforms.harmonization.hs_conversion import WEIGHT_METHODS
from assets.transforms.reference.product_groups import BEC_STAGES
from assets.transforms.reference.scope import OTHER_GROUP, Scope, load_scope
from checks.scope import group_check

HS6_PATTERN = r"^\d{6}$"


def _weights_sum_to_one(frame: pd.DataFrame) -> bool | pd.Series:
    """Per source code, weights sum to 1 (they are exact multiples of 2^-40, so the sum is exact)."""
    if "weight" not in frame.columns:
        return True
    sums = frame.groupby(["from_vintage", "from_code"])["weight"].transform("sum")
    return (sums - 1.0).abs() <= 1e-12


hs_concordance_schema = pa.DataFrameSchema(
    {
        "from_vintage": pa.Column(str, pa.Check.isin(SOURCE_VINTAGES)),
        "from_code": pa.Column(str, pa.Check.str_matches(HS6_PATTERN)),
        "to_vintage": pa.Column(str, pa.Check.isin(["H0"])),
        "to_code": pa.Column(str, pa.Check.str_matches(HS6_PATTERN)),
        "relationship": pa.Column(str, pa.Check.isin(RELATIONSHIPS)),
        "source_file": pa.Column(str, pa.Check.str_length(min_value=1)),
        "source_row": pa.Column("int64", pa.Check.ge(1)),
        "route": pa.Column(str, pa.Check.isin(["direct", "chained"]), required=False),
        # Present when conversion weights are merged onto the links; missing on the links the HS4
        # backbone pruned (conversion_weights leaves them out).
        "weight": pa.Column(float, pa.Check.in_range(0.0, 1.0), required=False, nullable=True),
        "weight_method": pa.Column(str, pa.Check.isin(WEIGHT_METHODS), required=False, nullable=True),
    },
    checks=[pa.Check(_weights_sum_to_one, error="weights of a source code do not sum to 1")],
    unique=["from_vintage", "from_code", "to_code"],
    strict=False,
    name="hs_concordance",
    description="HS revision links H1..H6 → H0 (HS1992) at 6 digits, one row per link, as the UN tables give them.",
)

conversion_weights_schema = pa.DataFrameSchema(
    {
        "from_vintage": pa.Column(str, pa.Check.isin(SOURCE_VINTAGES)),
        "from_code": pa.Column(str, pa.Check.str_matches(HS6_PATTERN)),
        "to_code": pa.Column(str, pa.Check.str_matches(HS6_PATTERN)),
        "weight": pa.Column(float, pa.Check.in_range(0.0, 1.0)),
        "weight_method": pa.Column(str, pa.Check.isin(WEIGHT_METHODS)),
        "evidence_usd": pa.Column(float, pa.Check.ge(0.0)),
    },
    checks=[pa.Check(_weights_sum_to_one, error="weights of a source code do not sum to 1")],
    unique=["from_vintage", "from_code", "to_code"],
    strict=True,
    name="conversion_weights",
    description="HS H1..H6 code → H0 code weights (pooled trade shares or the UN conversion), summing to 1 per source code.",
)
hs_conversion_weights_schema = conversion_weights_schema.set_name("hs_conversion_weights")


def _hs4_is_prefix(frame: pd.DataFrame) -> pd.Series:
    return frame["hs4"] == frame["hs6"].str.slice(0, 4)


def _flag_matches_group(frame: pd.DataFrame) -> pd.Series:
    return frame["in_scope"] == (frame["product_group"] != OTHER_GROUP)


def product_groups_schema_for(scope: Scope) -> pa.DataFrameSchema:
    """The product_groups contract under `scope`: product_group is one of the scope's groups or "other"."""
    return pa.DataFrameSchema(
        {
            "hs6": pa.Column(str, pa.Check.str_matches(HS6_PATTERN), unique=True),
            "hs4": pa.Column(str, pa.Check.str_matches(r"^\d{4}$")),
            "product_group": pa.Column(str, group_check(scope, scope.reference_groups, "a group")),
            "in_scope": pa.Column(bool),
            "bec_code": pa.Column(str, pa.Check.str_matches(r"^\d{1,3}$"), nullable=True),
            "bec_codes_all": pa.Column(str, pa.Check.str_matches(r"^\d{1,3}(\|\d{1,3})*$"), nullable=True),
            "bec_stage": pa.Column(str, pa.Check.isin(BEC_STAGES)),
            "bec_source": pa.Column(str, pa.Check.str_matches(r"^(unsd_H[1-6]_(same_code|concordance)|builtin|none)$")),
            "description": pa.Column(str, nullable=True, required=False),
        },
        checks=[
            pa.Check(_hs4_is_prefix, error="hs4 is not the first 4 digits of hs6"),
            pa.Check(_flag_matches_group, error="in_scope disagrees with product_group"),
        ],
        strict=True,
        name="product_groups",
        description="HS6 (H0) → product group of the study's scope and BEC Rev.4 end-use stage.",
    )


# The default scope's contract (scopes/automotive.yaml): for tests and notebooks. A run validates with the
# scope of its own settings (assets/reference.py: scoped_validated_output(product_groups_schema_for, ...)).
product_groups_schema = product_groups_schema_for(load_scope())
