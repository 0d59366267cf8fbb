"""Per-row reject rules of the Comtrade cleaning stage, as SQL: which rule, if any, each raw row fails, and why.

What belongs here: the ordered reason codes (`REJECT_REASONS`, documented in docs/reject_reasons.md), the SQL
expression giving each raw row the number of its first failing row rule, and the SQL of the readable message
of each row rule. A row failing several rules gets the first one in `REJECT_REASONS` order. Rules that need
groups of rows (releases, classifications, duplicates) live in `releases`.

The expressions read the canonical `comtrade_raw` columns plus two columns joined from small code tables
(`classification`, the normalized HS vintage, and `entry_year`, the year it entered into force): see
`codes.register_code_tables`.
"""

from __future__ import annotations

from assets.sources.year_range import FIRST_PLAUSIBLE_YEAR, YEAR_IMPLAUSIBLE, implausible_year_sql, last_plausible_year
from assets.transforms.cleaning.codes import CMD_CODE_PATTERN, sql_list
from assets.vocabulary import FLOW_CODES, TOTAL_CUSTOMS_CODE, TOTAL_MOS_CODE, TOTAL_MOT_CODE, TOTAL_PARTNER2_CODE

# Order = order applied. Scope first (goods, annual), then breakdown hygiene, then code validity, then
# values; releases, classifications and duplicates last, so that only valid rows compete and an invalid
# newer release never pushes out a valid older one.
REJECT_REASONS: tuple[str, ...] = (
    YEAR_IMPLAUSIBLE,  # rows of a year no partition can hold (2099 in a 2017 file), brought in by comtrade_raw
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
    "converted_classification",
    "superseded_release",
    "exact_duplicate",
    "conflicting_duplicate_superseded",
)
ROW_RULES: tuple[str, ...] = REJECT_REASONS[: REJECT_REASONS.index("value_negative") + 1]
GROUP_RULES: tuple[str, ...] = REJECT_REASONS[len(ROW_RULES) :]
# Reason codes are small integers while rules run: 0 = kept, k = REJECT_REASONS[k - 1].
REASON_NUMBER: dict[str, int] = {reason: number for number, reason in enumerate(REJECT_REASONS, start=1)}

# Python's str.strip() blanks: the readers keep descriptions verbatim, and codes may carry stray blanks
# (Comtrade+ website CSVs write mosCode "0 " on some total rows).
_BLANKS = "' \t\r\n'"


def trimmed(column: str) -> str:
    return f"trim({column}, {_BLANKS})"


def is_breakdown_sql(column: str, total_code: str) -> str:
    """TRUE where a breakdown code is given and is not the total; an empty code means the total (legacy
    layouts have no breakdown columns)."""
    return f"coalesce({trimmed(column)} <> '{total_code}', FALSE)"


def _is_other_than(column: str, expected: str) -> str:
    return f"coalesce(upper({trimmed(column)}) <> '{expected}', FALSE)"


def _rule_conditions() -> dict[str, str]:
    return {
        YEAR_IMPLAUSIBLE: implausible_year_sql("refYear"),
        "not_goods": _is_other_than("typeCode", "C"),
        # An empty freqCode (legacy layouts) is annual unless the period says otherwise (e.g. "201703").
        "frequency_not_annual": f"({_is_other_than('freqCode', 'A')} OR (freqCode IS NULL AND period IS NOT NULL"
        " AND NOT regexp_full_match(period, '\\d{4}')))",
        "breakdown_customs": is_breakdown_sql("customsCode", TOTAL_CUSTOMS_CODE),
        "breakdown_transport": f"({is_breakdown_sql('motCode', TOTAL_MOT_CODE)} OR {is_breakdown_sql('mosCode', TOTAL_MOS_CODE)})",
        "breakdown_partner2": is_breakdown_sql("partner2Code", TOTAL_PARTNER2_CODE),
        "area_code_missing": "(coalesce(reporterCode, '') = '' OR coalesce(partnerCode, '') = '')",
        "flow_unknown": f"(flowCode IS NULL OR flowCode NOT IN ({sql_list(FLOW_CODES)}))",
        "classification_unknown": "classification IS NULL",
        "classification_year_mismatch": "coalesce(refYear < entry_year, FALSE)",
        "cmd_code_invalid": f"NOT coalesce(regexp_full_match(cmdCode, '{CMD_CODE_PATTERN.strip('^$')}'), FALSE)",
        "value_not_numeric": "(primaryValue IS NULL AND contains(coalesce(unparsed_fields, ''), '\"primaryValue\"'))",
        "value_missing": "primaryValue IS NULL",
        "value_negative": "primaryValue < 0",
    }


def row_reason_sql() -> str:
    """SQL: the number (REASON_NUMBER) of the first row rule the row fails, 0 when it passes all."""
    conditions = _rule_conditions()
    assert tuple(conditions) == ROW_RULES
    whens = " ".join(f"WHEN {condition} THEN {REASON_NUMBER[reason]}" for reason, condition in conditions.items())
    return f"(CASE {whens} ELSE 0 END)"


def shown(column: str) -> str:
    """SQL: a value as quoted text for messages; missing values read <empty>."""
    return f"coalesce('''' || CAST({column} AS VARCHAR) || '''', '<empty>')"


_UNPARSED_VALUE = "json_extract_string(unparsed_fields, '$.primaryValue')"  # the text the reader could not type

_MESSAGES: dict[str, str] = {
    YEAR_IMPLAUSIBLE: "'refYear ' || CAST(refYear AS VARCHAR) || ' is not a plausible trade year ("
    f"{FIRST_PLAUSIBLE_YEAR}..{last_plausible_year()}); it belongs to no partition. Fix the year in the source file'",
    "not_goods": f"'typeCode ' || {shown('typeCode')} || ' is not ''C'' (goods); services are out of scope'",
    "frequency_not_annual": f"'freqCode ' || {shown('freqCode')} || ' / period ' || {shown('period')}"
    " || ' is not annual (''A'', a 4-digit period); extract annual data'",
    "breakdown_customs": f"'customsCode ' || {shown('customsCode')} || ' is a customs-procedure breakdown; only the total ''C00'' is kept'",
    "breakdown_transport": f"'motCode ' || {shown('motCode')} || ' / mosCode ' || {shown('mosCode')}"
    " || ' is a transport breakdown; only the totals motCode ''0'' and mosCode ''0'' are kept'",
    "breakdown_partner2": f"'partner2Code ' || {shown('partner2Code')} || ' is a second-partner breakdown; only partner2Code ''0'' is kept'",
    "area_code_missing": f"'reporterCode ' || {shown('reporterCode')} || ' / partnerCode ' || {shown('partnerCode')}"
    " || ' is empty; a fact needs both areas'",
    "flow_unknown": f"'flowCode ' || {shown('flowCode')} || ' is not one of X, M, RX, RM'",
    "classification_unknown": f"'classificationCode ' || {shown('classificationCode')}"
    " || ' is not an HS vintage (H0..H6, HS1992..HS2022); SITC, BEC and services are out of scope'",
    "classification_year_mismatch": f"'classificationCode ' || {shown('classificationCode')} || ' (' || classification"
    " || ', in force from ' || CAST(entry_year AS VARCHAR) || ') cannot classify trade of ' || CAST(refYear AS VARCHAR)"
    " || '; check the file''s year and classification columns'",
    "cmd_code_invalid": f"'cmdCode ' || {shown('cmdCode')} || ' is not TOTAL or a 2-, 4- or 6-digit HS code'",
    "value_not_numeric": f"'primaryValue ' || {shown(_UNPARSED_VALUE)}"
    " || ' is not a number'",
    "value_missing": "'primaryValue is empty'",
    "value_negative": "'primaryValue ' || CAST(primaryValue AS VARCHAR) || ' is negative; values must be >= 0'",
}


def row_message_sql(reason_column: str) -> str:
    """SQL: the readable message (field and value) of the row rule numbered in `reason_column`, else NULL."""
    assert tuple(_MESSAGES) == ROW_RULES
    whens = " ".join(f"WHEN {REASON_NUMBER[reason]} THEN {message}" for reason, message in _MESSAGES.items())
    return f"(CASE {reason_column} {whens} END)"


def reason_name_sql(reason_column: str) -> str:
    """SQL: the reason code (text) of a reason number."""
    whens = " ".join(f"WHEN {number} THEN '{reason}'" for reason, number in REASON_NUMBER.items())
    return f"(CASE {reason_column} {whens} END)"
