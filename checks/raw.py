"""pandera contracts for the raw stage: the canonical `comtrade_raw` table.

Belongs here: the pandera schema of the raw table (nullability, value checks) built on the column contract
in `assets.vocabulary` (names, order, dtypes), and structural checks. Does not belong here: value rules (flow codes, totals-only, duplicates) — raw keeps every source
row as it was; cleaning judges them and writes rejects.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from assets.vocabulary import COMTRADE_RAW_COLUMNS, COMTRADE_SOURCE_LAYOUTS
from checks.sql_checks import sql_check

_NEVER_NULL = {"refYear", "source_file", "source_sha256", "source_row", "source_layout"}


def _dtypes_exactly_as_contract(frame: pd.DataFrame) -> bool:
    # pandera's "str" also accepts object columns; the contract wants pandas' str dtype itself.
    return all(frame[name].dtype == dtype for name, dtype in COMTRADE_RAW_COLUMNS.items() if name in frame)


def _column(name: str, dtype: str) -> pa.Column:
    checks: list[pa.Check] = []
    if name == "source_row":
        checks.append(pa.Check.ge(1))
    elif name == "source_sha256":
        checks.append(pa.Check.str_matches(r"^[0-9a-f]{64}$"))
    elif name == "source_layout":
        checks.append(pa.Check.isin(COMTRADE_SOURCE_LAYOUTS))
    return pa.Column(dtype, checks=checks, nullable=name not in _NEVER_NULL)


comtrade_raw_schema = pa.DataFrameSchema(
    {name: _column(name, dtype) for name, dtype in COMTRADE_RAW_COLUMNS.items()},
    # In SQL the dtypes are compared on the Parquet schema (pipelines.table_validation), so the twin is TRUE.
    checks=[sql_check(_dtypes_exactly_as_contract, "dtypes_as_contract", "TRUE", error="column dtypes differ from COMTRADE_RAW_COLUMNS")],
    strict=True,
    ordered=True,
    coerce=False,
    name="comtrade_raw",
    description="Every Comtrade extract row under Comtrade+ field names, with provenance and fidelity columns.",
)
