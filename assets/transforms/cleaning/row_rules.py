"""Per-row reject rules of the Comtrade cleaning stage: which rule, if any, each raw row fails, and why.

What belongs here: the ordered reason codes (`REJECT_REASONS`, documented in docs/reject_reasons.md), the
vectorised tests that need one row only, and the readable messages for rejected rows. A row failing several
rules gets the first one in `REJECT_REASONS` order. Duplicate resolution, which needs groups of rows, lives
in `duplicates`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from assets.transforms.cleaning.codes import (
    CMD_CODE_PATTERN,
    FLOW_CODES,
    map_distinct,
    matches,
    vintage_entry_year,
)

# Order = order applied. Scope first (goods, annual), then breakdown hygiene, then code validity, then
# values; duplicates last so that only valid rows compete for a key and an invalid newer release never
# pushes out a valid older one.
REJECT_REASONS: tuple[str, ...] = (
    "not_goods",
    "frequency_not_annual",
    "breakdown_customs",
    "breakdown_transport",
    "breakdown_partner2",
    "area_code_missing",
    "flow_unknown",
    "classification_unknown",
    "classification_year_mismatch",
    "cmd_code_invalid",
    "value_not_numeric",
    "value_missing",
    "value_negative",
    "exact_duplicate",
    "conflicting_duplicate_superseded",
)
ROW_RULES: tuple[str, ...] = REJECT_REASONS[:-2]
# Reason codes are stored as small integers while rules run: 0 = kept, k = REJECT_REASONS[k - 1].
REASON_NUMBER: dict[str, int] = {reason: number for number, reason in enumerate(REJECT_REASONS, start=1)}

TOTAL_CUSTOMS_CODE = "C00"
TOTAL_MOT_CODE = "0"
TOTAL_MOS_CODE = "0"
TOTAL_PARTNER2_CODE = "0"


def is_breakdown(values: pd.Series, total_code: str) -> pd.Series:
    """True where a breakdown code is given and is not the total; an empty code means the total
    (legacy layouts have no breakdown columns and the reader leaves or fills them). Surrounding blanks are
    ignored: Comtrade+ website CSVs write mosCode "0 " on some total rows."""
    return map_distinct(values, lambda code: code.strip() != total_code, "bool", na_value=False)


def _is_other_than(values: pd.Series, expected: str) -> pd.Series:
    """True where a value is given and, ignoring case and blanks, is not `expected`."""
    return map_distinct(values, lambda v: v.strip().upper() != expected, "bool", na_value=False)


def rule_masks(raw: pd.DataFrame, classification: pd.Series) -> dict[str, pd.Series]:
    """Boolean mask per row rule (True = the row fails it), keyed by reason code, in application order.

    `classification` is `normalize_classification(raw["classificationCode"])`, computed once by the caller.
    """
    freq = raw["freqCode"]
    period_is_year = matches(raw["period"], r"\d{4}")
    entry_year = vintage_entry_year(classification)
    value = raw["primaryValue"]
    # Only rows without a value can have an untypeable one; search their unparsed_fields only.
    unparsed_value = pd.Series(False, index=raw.index)
    unparsed_value[value.isna()] = raw["unparsed_fields"][value.isna()].str.contains('"primaryValue"', regex=False, na=False)
    masks = {
        "not_goods": _is_other_than(raw["typeCode"], "C"),
        # An empty freqCode (legacy layouts) is annual unless the period says otherwise (e.g. "201703").
        "frequency_not_annual": _is_other_than(freq, "A") | (freq.isna() & raw["period"].notna() & ~period_is_year),
        "breakdown_customs": is_breakdown(raw["customsCode"], TOTAL_CUSTOMS_CODE),
        "breakdown_transport": is_breakdown(raw["motCode"], TOTAL_MOT_CODE) | is_breakdown(raw["mosCode"], TOTAL_MOS_CODE),
        "breakdown_partner2": is_breakdown(raw["partner2Code"], TOTAL_PARTNER2_CODE),
        "area_code_missing": raw["reporterCode"].isna()
        | raw["partnerCode"].isna()
        | (raw["reporterCode"] == "")
        | (raw["partnerCode"] == ""),
        "flow_unknown": ~raw["flowCode"].isin(FLOW_CODES),
        "classification_unknown": classification.isna(),
        "classification_year_mismatch": (raw["refYear"] < entry_year).fillna(False).astype(bool),
        "cmd_code_invalid": ~matches(raw["cmdCode"], CMD_CODE_PATTERN),
        "value_not_numeric": value.isna() & unparsed_value,
        "value_missing": value.isna(),
        "value_negative": value < 0,
    }
    assert tuple(masks) == ROW_RULES
    return masks


def first_failing_rule(masks: dict[str, pd.Series]) -> np.ndarray:
    """int8 reason number per row (0 = passes every row rule); a row gets its first failing rule."""
    numbers = np.zeros(len(next(iter(masks.values()))), dtype=np.int8)
    for reason, mask in masks.items():
        numbers[(numbers == 0) & mask.to_numpy(dtype=bool)] = REASON_NUMBER[reason]
    return numbers


def shown(values: pd.Series) -> pd.Series:
    """Values as quoted text for messages; missing values read <empty>."""
    return ("'" + values.astype("str") + "'").fillna("<empty>")


class _Rows:
    """Columns of the rows at `positions`, taken one column at a time (a wide take of every raw column
    would cost more than the messages themselves)."""

    def __init__(self, raw: pd.DataFrame, positions: np.ndarray) -> None:
        self._raw, self._positions = raw, positions
        self.index = raw.index[positions]

    def __getitem__(self, column: str) -> pd.Series:
        return self._raw[column].iloc[self._positions]


def _year_mismatch_message(rows: _Rows, classification: pd.Series) -> pd.Series:
    entry = vintage_entry_year(classification).astype("str")
    return (
        "classificationCode " + shown(rows["classificationCode"]) + " (" + classification.astype("str")
        + ", in force from " + entry + ") cannot classify trade of " + rows["refYear"].astype("str")
        + "; check the file's year and classification columns"
    )


_MESSAGES: dict[str, Callable[[_Rows, pd.Series], pd.Series]] = {
    "not_goods": lambda r, c: "typeCode " + shown(r["typeCode"]) + " is not 'C' (goods); services are out of scope",
    "frequency_not_annual": lambda r, c: "freqCode " + shown(r["freqCode"]) + " / period " + shown(r["period"])
    + " is not annual ('A', a 4-digit period); extract annual data",
    "breakdown_customs": lambda r, c: "customsCode " + shown(r["customsCode"])
    + " is a customs-procedure breakdown; only the total 'C00' is kept",
    "breakdown_transport": lambda r, c: "motCode " + shown(r["motCode"]) + " / mosCode " + shown(r["mosCode"])
    + " is a transport breakdown; only the totals motCode '0' and mosCode '0' are kept",
    "breakdown_partner2": lambda r, c: "partner2Code " + shown(r["partner2Code"])
    + " is a second-partner breakdown; only partner2Code '0' is kept",
    "area_code_missing": lambda r, c: "reporterCode " + shown(r["reporterCode"]) + " / partnerCode "
    + shown(r["partnerCode"]) + " is empty; a fact needs both areas",
    "flow_unknown": lambda r, c: "flowCode " + shown(r["flowCode"]) + " is not one of X, M, RX, RM",
    "classification_unknown": lambda r, c: "classificationCode " + shown(r["classificationCode"])
    + " is not an HS vintage (H0..H6, HS1992..HS2022); SITC, BEC and services are out of scope",
    "classification_year_mismatch": _year_mismatch_message,
    "cmd_code_invalid": lambda r, c: "cmdCode " + shown(r["cmdCode"]) + " is not TOTAL or a 2-, 4- or 6-digit HS code",
    "value_not_numeric": lambda r, c: "primaryValue "
    + shown(r["unparsed_fields"].str.extract(r'"primaryValue"\s*:\s*"((?:[^"\\]|\\.)*)"', expand=False))
    + " is not a number",
    "value_missing": lambda r, c: pd.Series("primaryValue is empty", index=r.index, dtype="str"),
    "value_negative": lambda r, c: "primaryValue " + r["primaryValue"].astype("str") + " is negative; values must be >= 0",
}


def rule_messages(raw: pd.DataFrame, reason_numbers: np.ndarray, classification: pd.Series) -> pd.Series:
    """Readable message (field and value) for each row that failed a row rule, indexed by row position."""
    parts = []
    for reason in ROW_RULES:
        positions = np.flatnonzero(reason_numbers == REASON_NUMBER[reason])
        if len(positions) == 0:
            continue
        rows = _Rows(raw, positions)
        message = _MESSAGES[reason](rows, classification.iloc[positions])
        parts.append(pd.Series(message.to_numpy(dtype=object), index=positions))
    if not parts:
        return pd.Series([], dtype="str")
    return pd.concat(parts).astype("str")
