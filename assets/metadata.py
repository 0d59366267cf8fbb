"""Small helpers that turn frames into Dagster metadata (tables of counts, column lineage). Dagster-facing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import dagster as dg
import pandas as pd

from pipelines.io_managers import markdown_preview


def md_table(frame: pd.DataFrame, rows: int = 60) -> dg.MetadataValue:
    return dg.MetadataValue.md(markdown_preview(frame, rows=rows))


def column_lineage(deps: Mapping[str, Sequence[tuple[str, str]]]) -> dg.TableColumnLineage:
    """{output column: [(upstream asset key, upstream column), ...]} → Dagster column lineage."""
    return dg.TableColumnLineage(
        deps_by_column={
            column: [dg.TableColumnDep(asset_key=dg.AssetKey(asset), column_name=upstream) for asset, upstream in sources]
            for column, sources in deps.items()
        }
    )


def check_result_from_frame(
    check_name: str, asset_key: str, violations: pd.DataFrame, what: str, blocking_severity: bool = True
) -> dg.AssetCheckResult:
    """Pass when `violations` is empty; otherwise fail with the count and the first rows as a table."""
    return dg.AssetCheckResult(
        check_name=check_name,
        asset_key=asset_key,
        passed=violations.empty,
        severity=dg.AssetCheckSeverity.ERROR if blocking_severity else dg.AssetCheckSeverity.WARN,
        description=f"{what}: {len(violations)} violation(s)",
        metadata={"violations": len(violations), "first_violations": md_table(violations, rows=20)},
    )
