"""Converting trade reported in HS vintage H1..H6 at 6 digits to H0 (HS1992) at 6 digits, conserving value.

What belongs here: conversion weights from the HS concordance (`conversion_weights`), applying them to
a trade frame (`convert_to_h0`), the value-conservation check (`conservation_gap`) and the HS4
backbone (`hs4_of`, `AUTOMOTIVE_HEADINGS`). What does not: reading the UN tables
(assets/sources/hs_correlation.py), product groups (assets/transforms/product_groups.py).

Method: a source code with a single H0 target moves whole (weight 1; several source codes landing
on one target simply add up, "n_to_1"). A source code with several H0 targets (1:n and n:n links)
is split across them in proportion to the trade observed in those target codes in `trade_h0` —
H0-coded trade chosen by the caller, e.g. the same year's H0 reports or a base year ("trade_share");
this is the trade-share split CEPII's BACI uses for HS revisions. Where none of its targets has any
trade, the split is in equal shares ("equal_share"). (The Harvard Growth Lab's
comtrade-conversion-weights instead fits weights on countries reporting one year in both vintages;
that needs dual-reported data this pipeline does not fetch.) The weights of one source code sum to
exactly 1 (they are multiples of 2^-40, so no summation order rounds), so value is conserved.

HS4 backbone: the UN tables sometimes link codes across headings (HS2022 8524 flat-panel display
modules ↔ HS1992 8708 parts: some displays for vehicles were classed as vehicle parts). Splitting by
trade share would then pour display trade into 8708. For the headings in `backbone_headings`
(default: the automotive 8702, 8703, 8704, 8706, 8707, 8708), links are pruned before weighting:
a source code in such a heading keeps only its targets in the same heading, and a source code
outside those headings drops its targets inside them, whenever something is left after pruning.
So value reported in 8703 stays in 8703 and nothing enters 8708 from another heading; the
pruned links are listed in attrs["backbone_pruned"], and links that could not be pruned (nothing
would be left) in attrs["backbone_unpreserved"].
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

import numpy as np
import pandas as pd

from assets.errors import RvcInputError
from assets.sources.hs_correlation import HS_VINTAGE_YEARS

AUTOMOTIVE_HEADINGS: tuple[str, ...] = ("8702", "8703", "8704", "8706", "8707", "8708")
HS_VINTAGES: tuple[str, ...] = ("H0", "H1", "H2", "H3", "H4", "H5", "H6")
WEIGHT_METHODS: tuple[str, ...] = ("one_to_one", "n_to_1", "trade_share", "equal_share")
# conversion_method of rows that were not converted.
METHOD_REPORTED_H0 = "reported_h0"  # reported in H0: passes through with weight 1
METHOD_UNCHANGED_H0 = "unchanged_h0"  # H1..H6 code the table omits but that is a valid, untouched H0 code
CONVERSION_METHODS: tuple[str, ...] = (*WEIGHT_METHODS, METHOD_REPORTED_H0, METHOD_UNCHANGED_H0)
WEIGHT_COLUMNS: list[str] = ["from_vintage", "from_code", "to_code", "weight", "weight_method"]

# Conservation tolerance. Each converted value is v·w with sum(w) = 1, so the exact error of a year's
# total is a few float64 roundings (2^-53 ≈ 1.1e-16) of each row's |v| plus the summation's error
# (~1e-16·n·Σ|v| at worst for n rows). 1e-9 of Σ|v| covers 10^7 rows with margin (≈ USD 10 on
# USD 10 bn); the absolute part (one cent) covers groups whose values cancel or are tiny.
CONSERVATION_RTOL = 1e-9
_WEIGHT_GRID = float(2**40)
CONSERVATION_ATOL_USD = 0.01



def hs4_of(hs6: str | pd.Series) -> str | pd.Series:
    """The HS heading (first 4 digits) of a 6-digit code, or of every code in a Series."""
    if isinstance(hs6, pd.Series):
        bad = ~hs6.astype("str").str.fullmatch(r"\d{6}")
        if bad.any():
            raise RvcInputError(f"hs4_of: expected 6-digit HS codes, found {sorted(set(hs6[bad].astype(str)))[:10]}")
        return hs6.astype("str").str.slice(0, 4)
    if not (isinstance(hs6, str) and len(hs6) == 6 and hs6.isdigit()):
        raise RvcInputError(f"hs4_of: expected a 6-digit HS code as text, found {hs6!r}")
    return hs6[:4]


def _prune_to_backbone(links: pd.DataFrame, headings: Collection[str]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(kept links, pruned links, links kept although they cross a backbone heading)."""
    headings = set(headings)
    from_hs4 = links["from_code"].str.slice(0, 4)
    to_hs4 = links["to_code"].str.slice(0, 4)
    from_in = from_hs4.isin(headings)
    to_in = to_hs4.isin(headings)
    # A link "fits" the backbone when it stays in its backbone heading or stays outside all of them.
    fits = (from_in & (from_hs4 == to_hs4)) | (~from_in & ~to_in)
    key = [links["from_vintage"], links["from_code"]]
    any_fit = fits.groupby(key).transform("any")
    drop = ~fits & any_fit
    kept = links[~drop]
    crossing = kept[~fits[~drop]]
    return kept.reset_index(drop=True), links[drop].reset_index(drop=True), crossing.reset_index(drop=True)


def _make_sum_exactly_one(weights: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Weights rounded to multiples of 2^-40, the largest of each group absorbing the remainder.

    Sums of multiples of 2^-40 below 2^13 are exact in float64, so each group then sums to exactly
    1.0 in any order (pandas, numpy, math.fsum alike); the rounding moves a weight by < 1e-12.
    """
    scaled = np.rint(weights * _WEIGHT_GRID) / _WEIGHT_GRID
    n_groups = int(groups.max()) + 1 if len(groups) else 0
    residual = 1.0 - np.bincount(groups, weights=scaled, minlength=n_groups)
    # Index of the largest weight in each group (first one on ties, by position).
    order = np.lexsort((np.arange(len(scaled)), -scaled, groups))
    first_of_group = order[np.r_[True, groups[order][1:] != groups[order][:-1]]] if len(order) else order
    scaled[first_of_group] += residual[groups[first_of_group]]
    return scaled


def conversion_weights(
    concordance: pd.DataFrame,
    trade_h0: pd.DataFrame | None = None,
    backbone_headings: Collection[str] = AUTOMOTIVE_HEADINGS,
) -> pd.DataFrame:
    """Weights that move trade of each (from_vintage, from_code) onto its H0 codes.

    `concordance`: links as from `load_hs_concordance` (from_vintage, from_code, to_vintage "H0",
    to_code; other columns ignored). `trade_h0`: optional H0-coded trade with columns hs6 and
    value_usd (any other columns ignored; summed per hs6, negative or missing values count as 0)
    used to split 1:n and n:n source codes; without it every split is an equal share.
    `backbone_headings`: HS4 headings whose value never crosses a heading (module docstring).
    Returns WEIGHT_COLUMNS — from_vintage, from_code, to_code, weight (float64 in [0, 1]),
    weight_method ("one_to_one": sole link both ways; "n_to_1": the source's only target, shared
    with other sources; "trade_share"; "equal_share") — sorted by from_vintage, from_code,
    to_code. Weights of one source code sum to exactly 1.0 in any summation order. A trade_share target with no
    trade keeps its row with weight 0.
    """
    missing = {"from_vintage", "from_code", "to_vintage", "to_code"} - set(concordance.columns)
    if missing:
        raise RvcInputError(
            f"conversion_weights: the concordance lacks columns {sorted(missing)}; pass the frame load_hs_concordance returns"
        )
    not_h0 = concordance.loc[concordance["to_vintage"] != "H0", "to_vintage"]
    if len(not_h0):
        raise RvcInputError(
            f"conversion_weights: expected links to H0 only, found to_vintage {sorted(set(not_h0))}; "
            "chain adjacent tables with load_hs_concordance first"
        )
    links = concordance[["from_vintage", "from_code", "to_code"]].astype("str").drop_duplicates()
    links = links.sort_values(["from_vintage", "from_code", "to_code"], kind="stable").reset_index(drop=True)
    links, pruned, crossing = _prune_to_backbone(links, backbone_headings)

    n_targets = links.groupby(["from_vintage", "from_code"])["to_code"].transform("size")
    n_sources = links.groupby(["from_vintage", "to_code"])["from_code"].transform("size")
    if trade_h0 is not None and len(trade_h0):
        if not {"hs6", "value_usd"} <= set(trade_h0.columns):
            raise RvcInputError("conversion_weights: trade_h0 needs columns hs6 and value_usd (H0-coded trade)")
        values = pd.to_numeric(trade_h0["value_usd"], errors="coerce").fillna(0.0).clip(lower=0.0)
        trade = values.groupby(trade_h0["hs6"].astype("str")).sum()
        target_trade = links["to_code"].map(trade).fillna(0.0).astype("float64")
    else:
        target_trade = pd.Series(0.0, index=links.index)

    group_trade = target_trade.groupby([links["from_vintage"], links["from_code"]]).transform("sum")
    single = n_targets == 1
    by_trade = ~single & (group_trade > 0)
    weight = np.where(single, 1.0, np.where(by_trade, target_trade / group_trade.where(group_trade > 0, 1.0), 1.0 / n_targets))
    method = np.select(
        [single & (n_sources == 1), single, by_trade],
        ["one_to_one", "n_to_1", "trade_share"],
        default="equal_share",
    )
    group_id = links.groupby(["from_vintage", "from_code"], sort=False).ngroup().to_numpy()
    weights = links.assign(
        weight=_make_sum_exactly_one(np.asarray(weight, dtype="float64"), group_id),
        weight_method=pd.Series(method, index=links.index, dtype="str"),
    )[WEIGHT_COLUMNS]
    weights.attrs["backbone_pruned"] = [tuple(r) for r in pruned.itertuples(index=False)]
    weights.attrs["backbone_unpreserved"] = [tuple(r) for r in crossing.itertuples(index=False)]
    return weights


def _check_columns(frame: pd.DataFrame, columns: Iterable[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise RvcInputError(f"convert_to_h0: the trade frame lacks columns {missing}; it has {list(frame.columns)}")


def convert_to_h0(
    frame: pd.DataFrame,
    weights: pd.DataFrame,
    code_col: str = "cmd_code",
    vintage_col: str = "classification",
    value_cols: Sequence[str] = ("value_usd",),
    qty_cols: Sequence[str] = (),
    h0_codes: Collection[str] | None = None,
) -> pd.DataFrame:
    """Every row of an H1..H6 code replaced by its H0 rows, values and quantities times the weight.

    `frame`: trade at 6 digits with `code_col` (6-char codes) and `vintage_col` ("H0".."H6").
    `weights`: from `conversion_weights`. `value_cols` (USD) and `qty_cols` (quantities, net
    weights: split like value, an approximation where targets differ in unit value) are multiplied.
    Returns the input columns (the reported code and vintage kept as they were) plus hs6 (H0 code),
    hs_vintage (as reported), conversion_weight, conversion_method (a weight_method, "reported_h0"
    for H0 rows, which pass through with weight 1, or "unchanged_h0"); rows in input order, the
    H0 rows of one input row by hs6; target rows whose weight is 0 are left out. Per year (or any
    grouping) the values sum to the input's within float rounding: see `conservation_gap`.

    A code absent from its vintage's links raises RvcInputError listing the codes — unless it is a
    valid H0 code (in `h0_codes`, default: every to_code in `weights`) that its vintage's table
    does not mention at all, neither as source nor target: then the table simply omits an unchanged
    line (the bundled sample tables list only the lines the sample uses) and the row passes through
    as "unchanged_h0" with weight 1. A vintage without any links always raises.
    """
    _check_columns(frame, [code_col, vintage_col, *value_cols, *qty_cols])
    codes = frame[code_col].astype("str")
    vintages = frame[vintage_col].astype("str")
    bad_vintage = sorted(set(vintages[~vintages.isin(HS_VINTAGES)]))
    if bad_vintage:
        raise RvcInputError(
            f"convert_to_h0: column {vintage_col} has {bad_vintage}; expected HS vintages {list(HS_VINTAGES)} "
            "(normalize the classification first)"
        )
    bad_code = ~codes.str.fullmatch(r"\d{6}")
    if bad_code.any():
        raise RvcInputError(
            f"convert_to_h0: column {code_col} has non-6-digit codes {sorted(set(codes[bad_code]))[:20]}; "
            "only HS6 lines are converted (totals and 2/4-digit aggregates belong in comtrade_totals)"
        )

    work = frame.reset_index(drop=True)
    row_id = np.arange(len(work))
    is_h0 = (vintages == "H0").to_numpy()

    passthrough = work[is_h0].assign(
        **{"__row": row_id[is_h0], "__hs6": codes[is_h0].to_numpy(), "__w": 1.0, "__m": METHOD_REPORTED_H0}
    )

    other = work[~is_h0].assign(__row=row_id[~is_h0], __v=vintages[~is_h0].to_numpy(), __c=codes[~is_h0].to_numpy())
    lookup = weights.rename(
        columns={"from_vintage": "__v", "from_code": "__c", "to_code": "__hs6", "weight": "__w", "weight_method": "__m"}
    )
    lookup = lookup[["__v", "__c", "__hs6", "__w", "__m"]].astype({"__v": "str", "__c": "str", "__hs6": "str", "__m": "str"})
    lookup = lookup[lookup["__w"] > 0]
    converted = other.merge(lookup, on=["__v", "__c"], how="inner")

    known = pd.MultiIndex.from_frame(lookup[["__v", "__c"]].drop_duplicates())
    asked = pd.MultiIndex.from_arrays([other["__v"], other["__c"]])
    absent = ~asked.isin(known)
    unchanged = pd.DataFrame(columns=converted.columns)
    if absent.any():
        unchanged = _unchanged_or_raise(other[absent], weights, h0_codes, vintage_col, code_col)

    parts = [p.drop(columns=["__v", "__c"], errors="ignore") for p in (passthrough, converted, unchanged) if len(p)]
    if not parts:
        out = work.assign(__row=row_id, __hs6=codes.to_numpy(), __w=1.0, __m=METHOD_REPORTED_H0)
    else:
        out = pd.concat(parts, ignore_index=True)
    out = out.sort_values(["__row", "__hs6"], kind="stable").reset_index(drop=True)
    weight = out["__w"].astype("float64")
    for column in [*value_cols, *qty_cols]:
        out[column] = out[column] * weight
    out = out.assign(
        hs6=out["__hs6"].astype("str"),
        hs_vintage=out[vintage_col].astype("str"),
        conversion_weight=weight,
        conversion_method=out["__m"].astype("str"),
    )
    return out.drop(columns=["__row", "__hs6", "__w", "__m"])


def _unchanged_or_raise(
    absent: pd.DataFrame, weights: pd.DataFrame, h0_codes: Collection[str] | None, vintage_col: str, code_col: str
) -> pd.DataFrame:
    """Rows whose code passes through as an unchanged H0 code; RvcInputError for the others."""
    valid_h0 = set(h0_codes) if h0_codes is not None else set(weights["to_code"].astype("str").tolist())
    vintages_loaded = set(weights["from_vintage"].astype("str").tolist())
    mentioned = {
        v: set(g["from_code"].astype("str").tolist()) | set(g["to_code"].astype("str").tolist())
        for v, g in weights.groupby("from_vintage")
    }
    pairs = zip(absent["__v"].tolist(), absent["__c"].tolist())
    ok = np.array([v in vintages_loaded and c in valid_h0 and c not in mentioned.get(v, set()) for v, c in pairs], dtype=bool)
    if not ok.all():
        bad = absent.loc[~ok, ["__v", "__c"]].drop_duplicates().sort_values(["__v", "__c"])
        lines = []
        for vintage, group in bad.groupby("__v"):
            codes = list(group["__c"])
            if vintage not in vintages_loaded:
                stem = f"HS{HS_VINTAGE_YEARS[vintage]}_to_HS1992_UNSD"
                lines.append(
                    f"{vintage}: no correlation table to HS1992 was loaded for this vintage "
                    f"({len(codes)} codes, e.g. {codes[:5]}); "
                    f"add the UN table {stem}.xls(x) or its export csv/{stem}__correlation.csv to RVC_REFERENCE/hs_correlation"
                )
            else:
                lines.append(f"{vintage}: {len(codes)} codes not in its table to HS1992: {codes[:30]}")
        raise RvcInputError(
            f"convert_to_h0: codes in column {code_col} are not valid for the vintage in column {vintage_col}:\n  "
            + "\n  ".join(lines)
            + "\nCheck the reported classification of these rows (a code from another HS edition?) "
            "or use complete UN correlation tables."
        )
    return absent.assign(__hs6=absent["__c"], __w=1.0, __m=METHOD_UNCHANGED_H0)


def conservation_gap(
    before: pd.DataFrame,
    after: pd.DataFrame,
    value_col: str = "value_usd",
    by: Sequence[str] = ("year",),
    rtol: float = CONSERVATION_RTOL,
    atol: float = CONSERVATION_ATOL_USD,
    only_violations: bool = True,
) -> pd.DataFrame:
    """Groups whose total `value_col` changed between `before` and `after` conversion (for the asset check).

    Returns columns *by, value_before, value_after, gap (after − before), tolerance
    (atol + rtol · Σ|value before|), conserved (|gap| ≤ tolerance); one row per group present in
    either frame (missing values count as 0), sorted by `by`. With only_violations (default) just the
    groups that are not conserved, so an empty frame means value was conserved.
    """
    by = list(by)
    for name, table in (("before", before), ("after", after)):
        missing = [c for c in [*by, value_col] if c not in table.columns]
        if missing:
            raise RvcInputError(f"conservation_gap: frame {name} lacks columns {missing}")

    def totals(table: pd.DataFrame) -> pd.DataFrame:
        values = pd.to_numeric(table[value_col], errors="coerce").astype("float64")
        keyed = table[by].assign(__value=values, __abs=values.abs())
        if not by:
            return pd.DataFrame({"__value": [keyed["__value"].sum()], "__abs": [keyed["__abs"].sum()]})
        return keyed.groupby(by, dropna=False, sort=True)[["__value", "__abs"]].sum().reset_index()

    left, right = totals(before), totals(after)
    if by:
        merged = left.merge(right, on=by, how="outer", suffixes=("_before", "_after"))
    else:
        merged = left.join(right, lsuffix="_before", rsuffix="_after")
    merged = merged.fillna({"__value_before": 0.0, "__value_after": 0.0, "__abs_before": 0.0})
    result = merged[by].copy() if by else pd.DataFrame(index=merged.index)
    result["value_before"] = merged["__value_before"].astype("float64")
    result["value_after"] = merged["__value_after"].astype("float64")
    result["gap"] = result["value_after"] - result["value_before"]
    result["tolerance"] = atol + rtol * merged["__abs_before"].astype("float64")
    result["conserved"] = result["gap"].abs() <= result["tolerance"]
    if by:
        result = result.sort_values(by, kind="stable")
    result = result.reset_index(drop=True)
    return result[~result["conserved"]].reset_index(drop=True) if only_violations else result
