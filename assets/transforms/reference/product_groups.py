"""Product groups of HS1992 (H0) 6-digit codes: the scope's groups by HS prefix and BEC Rev.4 end-use stage.

What belongs here: the product_groups table (which group of the active scope each H0 code belongs to, its BEC
code and stage), the BEC → stage mapping, finding a BEC code for H0 codes, and the check helper for lines
whose group disagrees with the scope. What does not: the groups themselves (a scope file read by
assets/transforms/reference/scope.py: scopes/automotive.yaml by default), parsing the UN tables
(assets/sources/hs_bec.py, assets/sources/hs_correlation.py).

Groups: the scope's HS prefixes, longest prefix wins; "other" for every code outside the scope. In the
automotive scope: passenger_cars 8703, commercial_vehicles 8702 and 8704, parts_accessories 8708,
bodies_chassis 8706 and 8707, engines 840733, 840734 and 840820; 8701 tractors and 8705 special-purpose
vehicles are "other", as in the design's list of the automotive value chain.

BEC stage: the standard BEC Rev.4 → SNA basic classes (UN, BEC Rev.4 manual): capital 41, 521;
intermediate 111, 121, 21, 22, 31, 322 — with the parts 42 and 53 split off as
"parts_and_components" (the Factory-Asia literature's P&C); consumption 112, 122, 522, 61, 62, 63.
The manual leaves 51 (passenger motor cars) and 321 (motor spirit) unallocated because they are
bought both as capital/intermediate and for consumption: they are "mixed" here, as is 32 (processed
fuels the table did not split into 321/322) and a code whose BEC candidates fall in different
stages. "not_classified": BEC 7 (goods n.e.s.) or no BEC at all. So 870323 (cars) is "mixed",
870310 (snowmobiles, golf carts: BEC 522) "consumption", 870421 (lorries: 521) "capital",
870899 (parts: 53) "parts_and_components".

BEC for H0 codes: the UN publishes no HS1992 → BEC table. For an H0 code, the BEC codes come from
the oldest HS vintage with a table (normally HS1996) through that vintage's links to H0 in the
concordance: the vintage's codes linked to the H0 code — only the code itself when it links to
itself — and their BEC codes. Without a concordance the same 6-digit code in that vintage is used.
Several candidates: bec_code is the most frequent (ties: the smallest code), all are listed in
bec_codes_all. Codes no table covers get the scope's `bec_fallback` (for the automotive lines, from
the UN HS1996 → BEC4 table, SOURCES.md §5) flagged bec_source "builtin", else none.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from assets.errors import RvcInputError
from assets.transforms.reference.scope import OTHER_GROUP, Scope, load_scope

BEC_STAGE_BY_CODE: dict[str, str] = {
    **dict.fromkeys(("41", "521"), "capital"),
    **dict.fromkeys(("111", "121", "21", "22", "31", "322"), "intermediate"),
    **dict.fromkeys(("42", "53"), "parts_and_components"),
    **dict.fromkeys(("112", "122", "522", "61", "62", "63"), "consumption"),
    **dict.fromkeys(("51", "321", "32"), "mixed"),
    "7": "not_classified",
}
BEC_STAGES: tuple[str, ...] = ("intermediate", "parts_and_components", "capital", "consumption", "mixed", "not_classified")

BEC_SOURCE_BUILTIN = "builtin"
BEC_SOURCE_NONE = "none"

PRODUCT_GROUP_COLUMNS: list[str] = [
    "hs6", "hs4", "product_group", "in_scope", "bec_code", "bec_codes_all", "bec_stage", "bec_source", "description",
]


def bec_stage_of(bec_code: str | None) -> str:
    """End-use stage of a BEC Rev.4 code (module docstring); "not_classified" for none or unknown."""
    if bec_code is None or bec_code != bec_code:
        return "not_classified"
    return BEC_STAGE_BY_CODE.get(str(bec_code), "not_classified")


def _validated_codes(hs6_codes: Iterable[str]) -> list[str]:
    codes = sorted({str(c) for c in hs6_codes})
    bad = [c for c in codes if not (len(c) == 6 and c.isdigit())]
    if bad:
        raise RvcInputError(
            f"build_product_groups: expected 6-digit H0 codes as text, found {bad[:20]}; pad codes to 6 digits (e.g. '010121')"
        )
    return codes


def bec_for_h0(
    hs6_codes: Iterable[str], bec_table: pd.DataFrame | None, concordance: pd.DataFrame | None = None,
    scope: Scope | None = None,
) -> pd.DataFrame:
    """BEC Rev.4 codes for H0 6-digit codes (rule in the module docstring).

    `bec_table`: from `load_hs_bec` (hs_vintage, hs6, bec_code; any vintages). `concordance`: from
    `load_hs_concordance` (from_vintage, from_code, to_code), optional. `scope`: whose `bec_fallback` covers
    codes no table has (default: the automotive scope).
    Returns one row per code, sorted: hs6, bec_code (text or missing), bec_codes_all ("111|41" when
    several), bec_source ("unsd_H1_same_code", "unsd_H1_concordance", ..., "builtin", "none").
    """
    codes = _validated_codes(hs6_codes)
    remaining = set(codes)
    hits_by_vintage: list[pd.DataFrame] = []
    if bec_table is not None and len(bec_table):
        bec = bec_table.dropna(subset=["bec_code"])[["hs_vintage", "hs6", "bec_code"]].astype("str")
        for vintage in sorted(set(bec["hs_vintage"])):
            if not remaining:
                break
            of_vintage = bec.loc[bec["hs_vintage"] == vintage, ["hs6", "bec_code"]].drop_duplicates()
            links = None
            if concordance is not None and len(concordance):
                of_links = concordance.loc[concordance["from_vintage"] == vintage, ["from_code", "to_code"]]
                links = of_links.astype("str").drop_duplicates()
                links = links if len(links) else None
            # A code the vintage's links do not mention at all (or a vintage without links) is taken
            # to be the same goods under the same 6-digit code: the table omits an unchanged line.
            mentioned = set(links["from_code"].tolist()) | set(links["to_code"].tolist()) if links is not None else set()
            unmentioned = sorted(remaining - mentioned)
            itself = pd.DataFrame({"from_code": unmentioned, "to_code": unmentioned}, dtype="str")
            links = itself if links is None else pd.concat([links, itself], ignore_index=True)
            links = links[links["to_code"].isin(remaining)]
            identity = links[links["from_code"] == links["to_code"]]
            links = pd.concat([identity, links[~links["to_code"].isin(identity["to_code"].unique())]], ignore_index=True)
            hits = links.merge(of_vintage, left_on="from_code", right_on="hs6", how="inner")[["to_code", "from_code", "bec_code"]]
            if hits.empty:
                continue
            only_itself = (hits["from_code"] == hits["to_code"]).groupby(hits["to_code"]).transform("all")
            hits["bec_source"] = f"unsd_{vintage}_" + only_itself.map({True: "same_code", False: "concordance"}).astype("str")
            hits_by_vintage.append(hits)
            remaining -= set(hits["to_code"].tolist())

    scope = scope or load_scope()
    builtin_codes = [c for c in sorted(remaining) if scope.bec_fallback_of(c)]
    builtin = pd.DataFrame(
        {
            "to_code": builtin_codes,
            "from_code": builtin_codes,
            "bec_code": [scope.bec_fallback_of(c) for c in builtin_codes],
            "bec_source": BEC_SOURCE_BUILTIN,
        },
        dtype="str",
    )
    hits = pd.concat([*hits_by_vintage, builtin], ignore_index=True)
    counts = hits.groupby(["to_code", "bec_code", "bec_source"]).size().rename("n").reset_index()
    # Most frequent first, then the smallest code: deterministic whatever the file order.
    counts = counts.sort_values(["to_code", "n", "bec_code"], ascending=[True, False, True], kind="stable")
    primary = counts.drop_duplicates("to_code").set_index("to_code")
    listed: dict[str, list[str]] = {}
    for to_code, bec_code in sorted(zip(counts["to_code"].tolist(), counts["bec_code"].tolist())):
        listed.setdefault(to_code, []).append(bec_code)
    all_codes = pd.Series({code: "|".join(becs) for code, becs in listed.items()}, dtype="str")

    out = pd.DataFrame({"hs6": pd.Series(codes, dtype="str")})
    out["bec_code"] = out["hs6"].map(primary["bec_code"])
    out["bec_codes_all"] = out["hs6"].map(all_codes)
    out["bec_source"] = out["hs6"].map(primary["bec_source"]).fillna(BEC_SOURCE_NONE)
    return out.astype("str")


def _stage_of_candidates(all_codes: object) -> str:
    if all_codes is None or all_codes != all_codes:
        return "not_classified"
    stages = {bec_stage_of(code) for code in str(all_codes).split("|")}
    return stages.pop() if len(stages) == 1 else "mixed"


def build_product_groups(
    hs6_codes: Iterable[str],
    bec_table: pd.DataFrame | None = None,
    concordance: pd.DataFrame | None = None,
    descriptions: Mapping[str, str] | None = None,
    scope: Scope | None = None,
) -> pd.DataFrame:
    """The product_groups table for H0 6-digit codes.

    `hs6_codes`: H0 codes (duplicates ignored). `scope`: the study's scope (default: the automotive
    scope file). `bec_table`: from `load_hs_bec`, optional — without it (no reference tables) groups
    still come from the HS prefix and the scope's lines get its `bec_fallback` (bec_source "builtin"). `concordance`: from `load_hs_concordance`, optional but
    recommended (maps HS1996 codes onto the H0 codes they came from). `descriptions`: H0 code →
    text, optional.
    Returns PRODUCT_GROUP_COLUMNS, one row per code sorted by hs6: hs6, hs4, product_group (a group
    of the scope or "other"), in_scope (bool), bec_code, bec_codes_all, bec_stage (one of BEC_STAGES),
    bec_source, description (missing when not given).
    """
    codes = _validated_codes(hs6_codes)
    scope = scope or load_scope()
    bec = bec_for_h0(codes, bec_table, concordance, scope)
    groups = pd.Series([scope.group_of(c) for c in codes], dtype="str")
    frame = pd.DataFrame(
        {
            "hs6": pd.Series(codes, dtype="str"),
            "hs4": pd.Series([c[:4] for c in codes], dtype="str"),
            "product_group": groups,
            "in_scope": (groups != OTHER_GROUP).astype("bool"),
            "bec_code": bec["bec_code"],
            "bec_codes_all": bec["bec_codes_all"],
            "bec_stage": pd.Series([_stage_of_candidates(v) for v in bec["bec_codes_all"]], dtype="str"),
            "bec_source": bec["bec_source"],
            "description": pd.Series([(descriptions or {}).get(c) for c in codes], dtype="str"),
        }
    )
    return frame[PRODUCT_GROUP_COLUMNS]


def lines_without_their_group(product_groups: pd.DataFrame, scope: Scope | None = None) -> pd.DataFrame:
    """Rows of `product_groups` that break the scope's grouping (empty when all is well).

    A row breaks it when its hs6 belongs to a group of the scope by prefix but product_group says
    otherwise (e.g. "other"), or when in_scope disagrees with product_group. Returns those rows
    (hs6, hs4, product_group, in_scope) plus expected_group and problem.
    """
    scope = scope or load_scope()
    expected = product_groups["hs6"].astype("str").map(scope.group_of)
    wrong_group = expected != product_groups["product_group"]
    wrong_flag = product_groups["in_scope"].astype("bool") != (product_groups["product_group"] != OTHER_GROUP)
    bad = product_groups.loc[wrong_group | wrong_flag, ["hs6", "hs4", "product_group", "in_scope"]].copy()
    bad["expected_group"] = expected[wrong_group | wrong_flag]
    bad["problem"] = [
        "group differs from the scope's HS prefix rule" if g else "in_scope disagrees with product_group"
        for g in wrong_group[wrong_group | wrong_flag]
    ]
    return bad.astype({"expected_group": "str", "problem": "str"}).reset_index(drop=True)
