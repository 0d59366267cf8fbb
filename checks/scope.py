"""The scope the pandera checks validate against, always the one the run's assets read.

Belongs here: `group_check` (a pandera Check that product_group is one of a scope's groups) and
`scope_of_resources` (the Scope of a run's `rvc` resource: `RvcConfig.scope_path`, set by `build_defs` from
the same Settings every asset reads). The schemas whose product_group domain depends on the scope are built
per scope (`product_groups_schema_for`, `indicator_schema_for`, `indicator_panel_schema_for`), and their
Dagster types (pipelines/validation.py, `scoped_validated_output`) take the scope from the run's resources, so
`build_defs(Settings(scope_path=…))` validates with that file whatever RVC_SCOPE says. Not here: reading scope
files (assets/transforms/reference/scope.py), choosing the file (pipelines/settings.py).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import pandera.pandas as pa

from assets.transforms.reference.scope import Scope, load_scope


def group_check(scope: Scope, groups: Iterable[str], what: str) -> pa.Check:
    """product_group ∈ `groups` (of `scope`), with an error naming the scope file and the groups it accepts."""
    allowed = tuple(groups)

    def in_scope(values: pd.Series) -> pd.Series:
        return values.isin(allowed)

    return pa.Check(in_scope, name="group_of_the_scope",
                    error=f"product_group must be {what} of the scope file {scope.source} ({', '.join(allowed)})")


def scope_of_resources(resources: object) -> Scope:
    """The Scope of a run: the file its `rvc` resource names (empty: scopes/automotive.yaml)."""
    return load_scope(getattr(resources, "rvc").scope_path or None)
