"""Converting trade reported in HS vintage H1..H6 at 6 digits to H0 (HS1992) at 6 digits, conserving value.

What belongs here: conversion weights from the HS concordance, pooled H0 trade and the UN conversion
(`conversion_weights`), the pooled trade read from the cleaned years with DuckDB (`pooled_h0_trade`),
applying weights to a trade frame (`convert_to_h0`), the value-conservation checks (`conservation_gap`,
`weights_not_summing_to_one`) and the HS4 backbone (`hs4_of`, `BACKBONE_HEADINGS`). What does not:
reading the UN tables (assets/sources/hs_correlation.py), product groups (assets/transforms/reference/product_groups.py).

Method (docs/methods.md, "HS conversion weights"): a source code with a single H0 target moves whole
(weight 1; several source codes landing on one target simply add up, "n_to_1"). A source code with
several H0 targets (1:n and n:n links) is split across them in proportion to the H0-coded trade in those
target codes POOLED over all reporters and all years the pipeline has cleaned ("trade_share"; the
trade-share split of CEPII's BACI, Gaulier & Zignago 2010, with the pooling of the Harvard Growth Lab's
comtrade-conversion-weights: evidence, not one year's accident). Where the pooled trade in a source's
targets is below MIN_POOLED_EVIDENCE_USD, the source moves whole to the code the UN Statistics Division's
one-to-one Conversion sheet assigns it ("un_conversion"); there are never equal shares across every
target. The weights of one source code sum to exactly 1 (they are multiples of 2^-40, so no summation
order rounds), so value is conserved.

Headings: a code's value stays in the HS4 heading the UN conversion maps it to — targets in other headings
are pruned before weighting (HS2022 854231 integrated circuits link to 197 HS1992 codes in 12 chapters
through n:n groups; its conversion is 854211, so only 8542 targets are kept). Where the correlation
table has no target in that heading (HS2007 844331 → 844350 by the Conversion sheet, to 8424/8469/8471
by the correlation table), the conversion target alone is kept.

HS4 backbone: for the headings in `backbone_headings` (default BACKBONE_HEADINGS: the automotive 8702,
8703, 8704, 8706, 8707, 8708 and the engines 8407, 8408), links are pruned before anything else: a source
code in such a heading keeps only its targets in the same heading, and a source code outside those
headings drops its targets inside them, whenever something is left after pruning. So value reported in
8703 stays in 8703, nothing enters 8708 from HS2022 8524 displays, and nothing enters 840733/840734/840820
from HS2022 8549 electrical waste; the pruned links are listed in attrs["backbone_pruned"], and links
that could not be pruned (nothing would be left) in attrs["backbone_unpreserved"]. Where the UN
conversion itself crosses a backbone heading, the backbone wins (attrs["conversion_overruled"]).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from assets.duckdb_session import sql_string
from assets.errors import RvcInputError
from assets.vocabulary import BILATERAL_FLOWS, HS_VINTAGE_YEARS, HS_VINTAGES

AUTOMOTIVE_HEADINGS: tuple[str, ...] = ("8702", "8703", "8704", "8706", "8707", "8708")
# Engines for vehicles (840733, 840734 spark-ignition; 840820 diesel) are tracked at 6 digits, so their
# headings join the backbone: nothing from another heading is poured into them.
ENGINE_HEADINGS: tuple[str, ...] = ("8407", "8408")
BACKBONE_HEADINGS: tuple[str, ...] = (*ENGINE_HEADINGS, *AUTOMOTIVE_HEADINGS)
WEIGHT_METHODS: tuple[str, ...] = ("one_to_one", "n_to_1", "trade_share", "un_conversion")
# Below this pooled H0 trade (USD, all reporters and years, summed over a source code's targets) a split
# is one accident of reporting rather than evidence (one USD 5,000 H0 line would send all H5 hybrids into
# one code): the UN conversion decides instead. USD 1 million is ~ one container of parts or a few dozen
# cars, small against a heading's world trade (8703: > USD 500 bn a year) but above stray lines.
MIN_POOLED_EVIDENCE_USD = 1_000_000.0
# conversion_method of rows that were not converted.
METHOD_REPORTED_H0 = "reported_h0"  # reported in H0: passes through with weight 1
METHOD_UNCHANGED_H0 = "unchanged_h0"  # H1..H6 code the table omits but that is a valid, untouched H0 code
CONVERSION_METHODS: tuple[str, ...] = (*WEIGHT_METHODS, METHOD_REPORTED_H0, METHOD_UNCHANGED_H0)
WEIGHT_COLUMNS: list[str] = ["from_vintage", "from_code", "to_code", "weight", "weight_method", "evidence_usd"]

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


def _keep_conversion_heading(
    links: pd.DataFrame, conversion: pd.DataFrame | None, headings: Collection[str]
) -> tuple[pd.DataFrame, list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """(links in the heading of each source's UN conversion target, plus that target; sources whose
    conversion crosses a backbone heading and is overruled; sources whose links had no target in that
    heading and now hold only the conversion target) — the last two as (vintage, from_code, conversion)."""
    if conversion is None or not len(conversion) or not len(links):
        return links, [], []
    targets = _conversion_targets(conversion)
    work = links.merge(targets, on=["from_vintage", "from_code"], how="left")
    has = work["__conv"].notna()
    from_hs4 = work["from_code"].str.slice(0, 4)
    conv_hs4 = work["__conv"].astype("str").str.slice(0, 4)
    headings = set(headings)
    from_in = from_hs4.isin(headings)
    to_hs4 = work["to_code"].str.slice(0, 4)
    # After backbone pruning a source's links all fit the backbone, or none could (then nothing was pruned).
    fits = (from_in & (to_hs4 == from_hs4)) | (~from_in & ~to_hs4.isin(headings))
    backbone_applied = fits.groupby([work["from_vintage"], work["from_code"]]).transform("any")
    violates = (from_in & (conv_hs4 != from_hs4)) | (~from_in & conv_hs4.isin(headings))
    crosses = has & violates & backbone_applied
    applies = has & ~crosses
    kept = work[~applies | (work["to_code"].str.slice(0, 4) == conv_hs4)]
    sources = work.loc[applies, ["from_vintage", "from_code", "__conv"]].drop_duplicates(["from_vintage", "from_code"])
    present = set(zip(kept["from_vintage"], kept["from_code"], kept["to_code"]))
    absent = np.array(
        [(v, c, t) not in present for v, c, t in zip(sources["from_vintage"], sources["from_code"], sources["__conv"])], dtype=bool
    )
    added = sources[absent].rename(columns={"__conv": "to_code"})
    left = set(zip(kept["from_vintage"], kept["from_code"]))
    replaced = [tuple(r) for r in added.itertuples(index=False) if (r[0], r[1]) not in left]
    overruled = work.loc[crosses, ["from_vintage", "from_code", "__conv"]].drop_duplicates()
    out = pd.concat([kept[["from_vintage", "from_code", "to_code"]], added[["from_vintage", "from_code", "to_code"]]], ignore_index=True)
    out = out.astype("str").sort_values(["from_vintage", "from_code", "to_code"], kind="stable").reset_index(drop=True)
    return out, [tuple(r) for r in overruled.itertuples(index=False)], replaced


def _conversion_targets(conversion: pd.DataFrame) -> pd.DataFrame:
    missing = {"from_vintage", "from_code", "to_code"} - set(conversion.columns)
    if missing:
        raise RvcInputError(
            f"conversion_weights: the UN conversion lacks columns {sorted(missing)}; pass the frame load_hs_conversion returns"
        )
    targets = conversion[["from_vintage", "from_code", "to_code"]].astype("str").drop_duplicates(["from_vintage", "from_code"])
    return targets.rename(columns={"to_code": "__conv"})


def conversion_weights(
    concordance: pd.DataFrame,
    trade_h0: pd.DataFrame | None = None,
    un_conversion: pd.DataFrame | None = None,
    backbone_headings: Collection[str] = BACKBONE_HEADINGS,
    min_evidence_usd: float = MIN_POOLED_EVIDENCE_USD,
) -> pd.DataFrame:
    """Weights that move trade of each (from_vintage, from_code) onto its H0 codes (method: module docstring).

    `concordance`: links as from `load_hs_concordance` (from_vintage, from_code, to_vintage "H0",
    to_code; other columns ignored). `trade_h0`: H0-coded trade pooled over reporters and years, with
    columns hs6 and value_usd (other columns ignored; summed per hs6 in a fixed order, negative or
    missing values count as 0), e.g. from `pooled_h0_trade`. `un_conversion`: the UN one-to-one
    conversion (from_vintage, from_code, to_code) as from `load_hs_conversion`. `backbone_headings`:
    HS4 headings whose value never crosses a heading. `min_evidence_usd`: pooled trade in a source's
    targets below which the UN conversion decides.
    Returns WEIGHT_COLUMNS — from_vintage, from_code, to_code, weight (float64 in [0, 1]),
    weight_method ("one_to_one": sole link both ways; "n_to_1": the source's only target, shared with
    other sources; "trade_share": pooled trade shares; "un_conversion": all to the UN conversion
    target, other targets weight 0), evidence_usd (pooled H0 trade in to_code) — sorted by
    from_vintage, from_code, to_code. Weights of one source code sum to exactly 1.0 in any summation
    order. Raises RvcInputError for a split source below the minimum that has no usable UN conversion.
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
    links, overruled, replaced = _keep_conversion_heading(links, un_conversion, backbone_headings)

    key = [links["from_vintage"], links["from_code"]]
    n_targets = links.groupby(key)["to_code"].transform("size")
    n_sources = links.groupby([links["from_vintage"], links["to_code"]])["from_code"].transform("size")
    target_trade = links["to_code"].map(_trade_by_code(trade_h0)).fillna(0.0).astype("float64")
    # Summed in the links' fixed order (vintage, source, target): the same inputs give the same bits.
    group_trade = target_trade.groupby(key).transform("sum")
    single = n_targets == 1
    by_trade = ~single & (group_trade > 0) & (group_trade >= min_evidence_usd)
    fallback = ~single & ~by_trade
    if un_conversion is not None and len(un_conversion):
        conv = links[["from_vintage", "from_code"]].merge(_conversion_targets(un_conversion), how="left")["__conv"]
        is_conv = (links["to_code"] == conv.to_numpy()).fillna(False).astype(bool)
    else:
        is_conv = pd.Series(False, index=links.index)
    covered = is_conv.groupby(key).transform("any")
    uncovered = links[fallback & ~covered]
    if len(uncovered):
        _raise_without_conversion(uncovered, min_evidence_usd, overruled)

    share = target_trade / group_trade.where(group_trade > 0, 1.0)
    weight = np.where(single, 1.0, np.where(by_trade, share, is_conv.astype("float64")))
    method = np.select(
        [single & (n_sources == 1), single, by_trade], ["one_to_one", "n_to_1", "trade_share"], default="un_conversion"
    )
    group_id = links.groupby(["from_vintage", "from_code"], sort=False).ngroup().to_numpy()
    weights = links.assign(
        weight=_make_sum_exactly_one(np.asarray(weight, dtype="float64"), group_id),
        weight_method=pd.Series(method, index=links.index, dtype="str"),
        evidence_usd=target_trade,
    )[WEIGHT_COLUMNS]
    weights.attrs["backbone_pruned"] = [tuple(r) for r in pruned.itertuples(index=False)]
    weights.attrs["backbone_unpreserved"] = [tuple(r) for r in crossing.itertuples(index=False)]
    weights.attrs["conversion_overruled"] = overruled
    weights.attrs["conversion_replaced"] = replaced
    return weights


def _trade_by_code(trade_h0: pd.DataFrame | None) -> pd.Series:
    """Non-negative trade per hs6, summed in (hs6, value) order."""
    if trade_h0 is None or not len(trade_h0):
        return pd.Series(dtype="float64")
    if not {"hs6", "value_usd"} <= set(trade_h0.columns):
        raise RvcInputError("conversion_weights: trade_h0 needs columns hs6 and value_usd (H0-coded trade)")
    values = pd.to_numeric(trade_h0["value_usd"], errors="coerce").astype("float64").fillna(0.0).clip(lower=0.0)
    frame = pd.DataFrame({"hs6": trade_h0["hs6"].astype("str").to_numpy(), "value_usd": values.to_numpy()})
    frame = frame.sort_values(["hs6", "value_usd"], kind="stable")
    return frame.groupby("hs6", sort=True)["value_usd"].sum()


def _raise_without_conversion(uncovered: pd.DataFrame, min_evidence_usd: float, overruled: list) -> None:
    sources = uncovered[["from_vintage", "from_code"]].drop_duplicates()
    lines = []
    for vintage, group in sources.groupby("from_vintage"):
        codes = sorted(group["from_code"])
        stem = f"HS{HS_VINTAGE_YEARS[vintage]}_to_HS1992_UNSD"
        lines.append(f"{vintage}: {len(codes)} codes, e.g. {codes[:10]} (table {stem}, sheet Conversion)")
    crossing = {(v, c) for v, c, _ in overruled}
    note = ""
    if any((v, c) in crossing for v, c in zip(sources["from_vintage"], sources["from_code"])):
        note = " Some of them have a UN conversion that crosses a backbone heading, which the backbone overrules."
    raise RvcInputError(
        f"conversion_weights: source codes with several H0 targets, pooled H0 trade below USD {min_evidence_usd:,.0f}, "
        "and no UN conversion target among their links:\n  " + "\n  ".join(lines) + "\n"
        "Add the UN Conversion sheet (the workbook, or its export csv/<table>__conversion.csv) to "
        "RVC_REFERENCE/hs_correlation, or more H0-reported years to the extracts." + note
    )


def weights_not_summing_to_one(weights: pd.DataFrame) -> pd.DataFrame:
    """Source codes whose weights do not sum to exactly 1.0 (math.fsum): empty when value is conserved exactly."""
    if not len(weights):
        return pd.DataFrame(columns=["from_vintage", "from_code", "weight_sum"])
    sums = weights.groupby(["from_vintage", "from_code"], sort=True)["weight"].agg(lambda w: math.fsum(w.tolist()))
    frame = sums.rename("weight_sum").reset_index()
    return frame[frame["weight_sum"] != 1.0].reset_index(drop=True)


def pooled_h0_trade(con: duckdb.DuckDBPyConnection, paths: Sequence[Path | str]) -> pd.DataFrame:
    """H0-coded trade per HS6 code summed over every `comtrade_clean` file in `paths` (all reporters, all years).

    Only flows BILATERAL_FLOWS, 6-digit codes, classification H0; negative values count as 0. Summed as
    DECIMAL(38, 2) (exact integer arithmetic in cents), so the result does not depend on the order in
    which DuckDB's threads meet the rows: the same files give the same bits. Never loads the files into
    pandas. Returns hs6, value_usd (float64), years (distinct years with trade in the code), records;
    sorted by hs6.
    """
    columns = {"hs6": "str", "value_usd": "float64", "years": "int64", "records": "int64"}
    if not paths:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})
    files = "[" + ", ".join(sql_string(Path(p)) for p in paths) + "]"
    flows = ", ".join(sql_string(f) for f in BILATERAL_FLOWS)
    frame = con.execute(f"""
        SELECT cmd_code AS hs6,
               CAST(sum(CAST(greatest(value_usd, 0) AS DECIMAL(38, 2))) AS DOUBLE) AS value_usd,
               count(DISTINCT year) AS years, count(*) AS records
        FROM read_parquet({files})
        WHERE classification = 'H0' AND flow IN ({flows}) AND value_usd IS NOT NULL AND NOT isnan(value_usd)
          AND regexp_full_match(cmd_code, '[0-9]{{6}}')
        GROUP BY cmd_code
        ORDER BY cmd_code""").df()
    return frame.astype(columns)


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
