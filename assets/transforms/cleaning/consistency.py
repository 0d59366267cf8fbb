"""Pure consistency checks on Comtrade data: breakdowns against their total, product children against parents.

What belongs here: checks that report problems as frames (one row per offending group) for asset checks and
reports; they never change data.

Tolerance: Comtrade publishes every value rounded to whole US dollars, so a sum of k rounded rows can exceed
the rounded total by up to about k/2 USD; partner and product breakdowns may also come from a later
processing than the total. A group is reported only when
    parts_sum > total + rel_tol * |total| + abs_tol * parts_rows,
with rel_tol = 0.001 (0.1 %) and abs_tol = 1 USD per summed row by default — for one summed row exactly
"0.1 % + 1 USD". Parts summing to less than the total are normal (confidential or unallocated trade).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from assets.transforms.cleaning.row_rules import (
    TOTAL_CUSTOMS_CODE,
    TOTAL_MOS_CODE,
    TOTAL_MOT_CODE,
    TOTAL_PARTNER2_CODE,
    is_breakdown,
)

DEFAULT_REL_TOL = 1e-3
DEFAULT_ABS_TOL_USD = 1.0

_RAW_KEY = ["refYear", "reporterCode", "partnerCode", "flowCode", "classificationCode", "cmdCode", "source_file"]
_RAW_KEY_NAMES = {
    "refYear": "year", "reporterCode": "reporter_code", "partnerCode": "partner_code", "flowCode": "flow",
    "classificationCode": "classification", "cmdCode": "cmd_code",
}
BREAKDOWN_COLUMNS = [
    "year", "reporter_code", "partner_code", "flow", "classification", "cmd_code", "source_file", "dimension",
    "problem", "breakdown_rows", "breakdown_value_usd", "total_value_usd", "excess_usd",
]
CHILDREN_COLUMNS = [
    "year", "reporter_code", "partner_code", "flow", "classification", "parent_code", "parent_level",
    "child_level", "children_rows", "children_value_usd", "parent_value_usd", "excess_usd",
]


def _is_total(values: pd.Series, total_code: str) -> pd.Series:
    return ~is_breakdown(values, total_code)


def _top_level_transport(parts: pd.DataFrame) -> pd.DataFrame:
    """Drop motCode rows whose parent mode is also present for the same key: Comtrade+ motCodes are
    hierarchical by digit (2000 Water ⊃ 2100 Sea; 9000 ⊃ 9100 ⊃ 9110), so summing both would count twice."""
    codes = parts["motCode"].str.strip()
    group = parts.groupby(_RAW_KEY, sort=False, dropna=False).ngroup().astype("str")
    present = set(group + "|" + codes)
    has_parent = pd.Series(False, index=parts.index)
    for digits in (1, 2, 3):
        parent = codes.str[:digits].str.pad(4, side="right", fillchar="0")
        is_ancestor = (codes.str.len() == 4) & (parent != codes)
        has_parent |= is_ancestor & (group + "|" + parent).isin(present)
    return parts[~has_parent.to_numpy()]


def _exceeds(parts_sum: pd.Series, total: pd.Series, parts_rows: pd.Series, rel_tol: float, abs_tol: float) -> pd.Series:
    return parts_sum > total + rel_tol * total.abs() + abs_tol * parts_rows


def breakdowns_exceeding_totals(
    raw: pd.DataFrame, rel_tol: float = DEFAULT_REL_TOL, abs_tol: float = DEFAULT_ABS_TOL_USD
) -> pd.DataFrame:
    """Raw breakdown rows (customs procedure, mode of transport, second partner) that sum to more than their total.

    Per key (year, reporter, partner, flow, classification, cmdCode) and source file — a total and its
    breakdowns are compared within one release — and per dimension, the rows broken down on that dimension
    only (the others at their total) are summed and compared with the total row (all dimensions at total).
    Returns BREAKDOWN_COLUMNS: problem "exceeds_total" (see the module tolerance) or "total_missing"
    (breakdowns without a total row: cleaning keeps only totals, so that trade is not in the clean tables).
    Exact repeats of the same key/breakdown/value are counted once; of two different total rows in one file
    the larger is used, so only breakdowns above every total are reported.
    """
    dims = {
        "customs": _is_total(raw["customsCode"], TOTAL_CUSTOMS_CODE),
        "transport": _is_total(raw["motCode"], TOTAL_MOT_CODE) & _is_total(raw["mosCode"], TOTAL_MOS_CODE),
        "partner2": _is_total(raw["partner2Code"], TOTAL_PARTNER2_CODE),
    }
    narrow = raw[[*_RAW_KEY, "customsCode", "motCode", "mosCode", "partner2Code", "primaryValue"]]
    all_total = dims["customs"] & dims["transport"] & dims["partner2"]
    totals = (
        narrow[all_total.to_numpy()].drop_duplicates()
        .groupby(_RAW_KEY, sort=False, dropna=False)["primaryValue"].max().rename("total_value_usd")
    )
    found = []
    for dimension, at_total in dims.items():
        others_total = np.logical_and.reduce([t.to_numpy() for d, t in dims.items() if d != dimension])
        parts = narrow[~at_total.to_numpy() & others_total].drop_duplicates()
        if parts.empty:
            continue
        if dimension == "transport":
            parts = _top_level_transport(parts)
        sums = parts.groupby(_RAW_KEY, sort=False, dropna=False)["primaryValue"].agg(
            breakdown_rows="size", breakdown_value_usd="sum"
        )
        compared = sums.join(totals, how="left").reset_index()
        compared["dimension"] = dimension
        found.append(compared)
    if not found:
        numeric = {"year": "Int64", "breakdown_rows": "Int64"} | {c: "float64" for c in BREAKDOWN_COLUMNS[-3:]}
        return pd.DataFrame({c: pd.Series(dtype=numeric.get(c, "str")) for c in BREAKDOWN_COLUMNS})
    result = pd.concat(found, ignore_index=True).rename(columns=_RAW_KEY_NAMES)
    result["excess_usd"] = result["breakdown_value_usd"] - result["total_value_usd"]
    exceeds = _exceeds(result["breakdown_value_usd"], result["total_value_usd"], result["breakdown_rows"], rel_tol, abs_tol)
    result["problem"] = np.where(result["total_value_usd"].isna(), "total_missing", "exceeds_total")
    result = result[(exceeds | result["total_value_usd"].isna()).to_numpy()]
    result["breakdown_rows"] = result["breakdown_rows"].astype("Int64")
    result = result.sort_values(BREAKDOWN_COLUMNS[:8], kind="stable").reset_index(drop=True)
    return result[BREAKDOWN_COLUMNS]


def children_exceeding_parent(
    clean: pd.DataFrame, totals: pd.DataFrame, rel_tol: float = DEFAULT_REL_TOL, abs_tol: float = DEFAULT_ABS_TOL_USD
) -> pd.DataFrame:
    """Product children summing to more than their parent row, per year/reporter/partner/flow/classification.

    Compares the 6-digit rows with their 4-digit heading, 4-digit with their 2-digit chapter and 2-digit
    chapters with TOTAL, wherever the parent row is present (clean and totals together, so partner World is
    checked too). Returns CHILDREN_COLUMNS, one row per offending parent (see the module tolerance).
    """
    group = ["year", "reporter_code", "partner_code", "flow", "classification"]
    facts = pd.concat(
        [clean[[*group, "cmd_code", "aggregate_level", "value_usd"]], totals[[*group, "cmd_code", "aggregate_level", "value_usd"]]],
        ignore_index=True,
    )
    found = []
    for child_level, parent_level in ((6, 4), (4, 2), (2, 0)):
        children = facts[(facts["aggregate_level"] == child_level).to_numpy(dtype=bool)]
        parent_code = children["cmd_code"].str[:parent_level] if parent_level else pd.Series("TOTAL", index=children.index)
        sums = children.assign(parent_code=parent_code).groupby([*group, "parent_code"], sort=False)["value_usd"].agg(
            children_rows="size", children_value_usd="sum"
        )
        parents = facts[(facts["aggregate_level"] == parent_level).to_numpy(dtype=bool)]
        parents = parents.rename(columns={"cmd_code": "parent_code", "value_usd": "parent_value_usd"})
        compared = sums.reset_index().merge(parents[[*group, "parent_code", "parent_value_usd"]], on=[*group, "parent_code"])
        compared["parent_level"], compared["child_level"] = parent_level, child_level
        found.append(compared)
    result = pd.concat(found, ignore_index=True)
    result["excess_usd"] = result["children_value_usd"] - result["parent_value_usd"]
    exceeds = _exceeds(result["children_value_usd"], result["parent_value_usd"], result["children_rows"], rel_tol, abs_tol)
    result = result[exceeds.to_numpy(dtype=bool)]
    for column in ("parent_level", "child_level", "children_rows"):
        result[column] = result[column].astype("Int64")
    result = result.sort_values([*group, "parent_level", "parent_code"], kind="stable").reset_index(drop=True)
    return result[CHILDREN_COLUMNS]
