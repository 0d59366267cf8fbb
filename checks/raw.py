"""pandera contracts for the raw stage: the canonical `comtrade_raw` table.

Belongs here: the column contract (names, order, dtypes, nullability) and structural checks of the raw
table. Does not belong here: value rules (flow codes, totals-only, duplicates) — raw keeps every source
row as it was; cleaning judges them and writes rejects.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from checks.sql_checks import sql_check

# Layout names a raw row can carry in `source_layout` (assets.sources.comtrade_layouts detects them).
COMTRADE_SOURCE_LAYOUTS: tuple[str, ...] = (
    "legacy_full",
    "legacy_api_reduced",
    "plus_api_json",
    "plus_website_csv",
    "plus_bulk",
    "plus_bulk_snake",
    "plus_plain",
)

_STR_FIELDS = (
    "typeCode", "freqCode", "period", "reporterCode", "reporterISO", "reporterDesc", "flowCode", "flowDesc",
    "partnerCode", "partnerISO", "partnerDesc", "partner2Code", "partner2ISO", "partner2Desc",
    "classificationCode", "classificationSearchCode", "cmdCode", "cmdDesc", "customsCode", "customsDesc",
    "mosCode", "motCode", "motDesc", "qtyUnitCode", "qtyUnitAbbr", "altQtyUnitCode", "altQtyUnitAbbr",
)
_INT_FIELDS = ("refPeriodId", "refYear", "refMonth", "aggrLevel", "legacyEstimationFlag")
_BOOL_FIELDS = (
    "isOriginalClassification", "isLeaf", "isQtyEstimated", "isAltQtyEstimated", "isNetWgtEstimated",
    "isGrossWgtEstimated", "isReported", "isAggregate",
)
_FLOAT_FIELDS = ("qty", "altQty", "netWgt", "grossWgt", "cifvalue", "fobvalue", "primaryValue")

# The Comtrade+ field names a source value can land in, in contract order.
COMTRADE_PLUS_FIELDS: tuple[str, ...] = _STR_FIELDS + _INT_FIELDS + _BOOL_FIELDS + _FLOAT_FIELDS

PROVENANCE_COLUMNS: dict[str, str] = {
    "source_file": "str",  # path relative to the extracts folder, POSIX separators
    "source_sha256": "str",
    "source_row": "Int64",  # 1-based data row in the file / record index in a JSON `data` array
    "source_layout": "str",
    "api_query": "str",  # url + sorted params of the API call that fetched the file, else null
    "retrieved_at": "str",  # ISO-8601 UTC retrieval time of an API response, else null
}
FIDELITY_COLUMNS: dict[str, str] = {
    "unparsed_fields": "str",  # JSON {field: original text} of values that could not be typed
    "extra_fields": "str",  # JSON {source field: text} of source fields with no Comtrade+ name
}

# Column -> pandas 3 dtype, in the contract order. "str" is pandas' default string dtype (NaN as null).
COMTRADE_RAW_COLUMNS: dict[str, str] = {
    **{name: "str" for name in _STR_FIELDS},
    **{name: "Int64" for name in _INT_FIELDS},
    **{name: "boolean" for name in _BOOL_FIELDS},
    **{name: "float64" for name in _FLOAT_FIELDS},
    **PROVENANCE_COLUMNS,
    **FIDELITY_COLUMNS,
}

_NEVER_NULL = {"refYear", "source_file", "source_sha256", "source_row", "source_layout"}


def empty_comtrade_raw() -> pd.DataFrame:
    """A zero-row frame with every `comtrade_raw` column in contract order and dtype."""
    return pd.DataFrame({name: pd.Series([], dtype=dtype) for name, dtype in COMTRADE_RAW_COLUMNS.items()})


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
