"""pandera schemas of the harmonization stage: `country_codes`, `regions` and `trade_flows`.

What belongs here: column types, vocabularies and the invariants the builders promise — codes unique,
ISO3 present exactly for countries and World, membership periods ordered; one trade flow per key, a
reconciliation group's value between the two sides' FOB totals, one rule per group and a rule consistent
with which sides report, the importer's FOB value equal to CIF / ratio plus the part declared FOB, no
self-trade, deterministic order. The rules themselves live in
assets/transforms/reference/country_codes.py and assets/transforms/harmonization/reconciliation.py. Checks are vectorised
(a year of trade_flows is millions of rows); regex checks run once per distinct value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa

from assets.transforms.harmonization.reconciliation import GROUP_KEYS, KEYS, RECON_RULES
from assets.transforms.reference.country_codes import ALL_COUNTRIES, KINDS, KINDS_WITH_ISO3
from assets.vocabulary import WORLD
from checks.sql_checks import sql_check

ISO3_PATTERN = r"[A-Z]{3}"
HS6_PATTERN = r"\d{6}"
HS_VINTAGE_PATTERN = r"H[0-6](\|H[0-6])*"
# Relative slack for float comparisons of reconciled values (sums and products of doubles).
REL_TOL = 1e-9


def _matching(pattern: str) -> pa.Check:
    """Full regex match, evaluated once per distinct value (pandera's str_matches runs per row); SQL twin
    regexp_full_match (RE2: the patterns here use only classes, repetition, alternation and groups)."""

    def check(values: pd.Series) -> pd.Series:
        distinct = pd.Series(values.dropna().unique(), dtype="str")
        ok = dict(zip(distinct, distinct.str.fullmatch(pattern)))
        return values.map(ok).fillna(True).astype(bool)  # nulls are the column's nullable= business

    sql_pattern = pattern.replace("'", "''")
    return sql_check(check, f"matches {pattern}", f"regexp_full_match({{col}}, '{sql_pattern}')", element_wise=False)


def _col(dtype, description: str, *checks: pa.Check, nullable: bool = False) -> pa.Column:
    return pa.Column(dtype, checks=list(checks), nullable=nullable, description=description)


def _ordered_years(first: str, last: str):
    def check(frame: pd.DataFrame) -> pd.Series:
        return (frame[first].isna() | frame[last].isna() | (frame[first] <= frame[last])).astype(bool)

    return pa.Check(check, name=f"{first} <= {last}")


def _iso3_matches_kind(frame: pd.DataFrame) -> pd.Series:
    needs_iso3 = frame["kind"].isin(KINDS_WITH_ISO3)
    world_ok = (frame["kind"] != "world") | (frame["iso3"] == WORLD)
    return ((needs_iso3 == frame["iso3"].notna()) & world_ok).astype(bool)


country_codes_schema = pa.DataFrameSchema(
    {
        "code": _col(str, "Comtrade numeric (M49) code as text without padding: '0', '40', '764'", _matching(r"\d{1,3}")),
        "iso": _col(str, "ISO code as the source writes it (Comtrade+ 'S19', 'W00', '_X'; legacy 'WLD')", nullable=True),
        "iso3": _col(str, "Harmonized ISO3 (TWN for 490, WLD for World); null for nes areas, special, region aggregates",
                     _matching(ISO3_PATTERN), nullable=True),
        "name": _col(str, "Area name from the source"),
        "valid_from": _col("Int64", "First year the code is valid (inclusive); null = since the start",
                           pa.Check.in_range(1900, 2100), nullable=True),
        "valid_to": _col("Int64", "Last year the code is valid (inclusive); null = still valid",
                         pa.Check.in_range(1900, 2100), nullable=True),
        "kind": _col(str, "country, world, nes_area, region_aggregate or special", pa.Check.isin(list(KINDS))),
        "source": _col(str, "Layer that decided the row: override, comtradeplus_partner/_reporter, comtrade_legacy, "
                            "country_converter"),
    },
    checks=[
        _ordered_years("valid_from", "valid_to"),
        pa.Check(_iso3_matches_kind, name="iso3 set exactly for country and world (WLD)"),
    ],
    unique=["code", "iso"],
    strict=True,
    ordered=True,
    name="country_codes",
)

regions_schema = pa.DataFrameSchema(
    {
        "region": _col(str, "Region code: ASEAN (by accession year), ASEAN10, ASEAN5, CLMV, EAST_ASIA, EU, WLD",
                       _matching(r"[A-Z][A-Z0-9_]*")),
        "iso3": _col(str, "Member ISO3, or '*' = every country (WLD)", _matching(rf"{ISO3_PATTERN}|\{ALL_COUNTRIES}")),
        "from_year": _col("Int64", "First member year (inclusive); null = always", nullable=True),
        "to_year": _col("Int64", "Last member year (inclusive); null = still a member", nullable=True),
        "note": _col(str, "Source or reason (accession date, definition)", nullable=True),
    },
    checks=[_ordered_years("from_year", "to_year")],
    unique=["region", "iso3", "from_year"],
    strict=True,
    ordered=True,
    name="regions",
)


def _group_value_between_sides(frame: pd.DataFrame) -> pd.Series:
    """Summed over a reconciliation group, value_usd lies between the group's two FOB totals."""
    sums = (
        frame.assign(exp=frame["value_exporter_fob_usd"].fillna(0.0), imp=frame["value_importer_fob_usd"].fillna(0.0))
        .groupby(GROUP_KEYS, sort=False, dropna=False)[["value_usd", "exp", "imp"]]
        .transform("sum")
    )
    low, high = np.fmin(sums["exp"], sums["imp"]), np.fmax(sums["exp"], sums["imp"])
    slack = REL_TOL * np.fmax(np.abs(high), 1.0)
    return ((sums["value_usd"] >= low - slack) & (sums["value_usd"] <= high + slack)).astype(bool)


# Both group checks are evaluated in SQL once per group (one GROUP BY of the file, not a window per row).
_GROUP_SUMS = {
    "__group_value_usd": "sum(value_usd)",
    "__group_exp_fob_usd": "sum(coalesce(value_exporter_fob_usd, 0.0))",
    "__group_imp_fob_usd": "sum(coalesce(value_importer_fob_usd, 0.0))",
}
_GROUP_LOW = "least(__group_exp_fob_usd, __group_imp_fob_usd)"
_GROUP_HIGH = "greatest(__group_exp_fob_usd, __group_imp_fob_usd)"
_GROUP_SLACK = f"{REL_TOL!r} * greatest(abs({_GROUP_HIGH}), 1.0)"
_GROUP_VALUE_BETWEEN_SIDES_SQL = (
    f"__group_value_usd >= {_GROUP_LOW} - {_GROUP_SLACK} AND __group_value_usd <= {_GROUP_HIGH} + {_GROUP_SLACK}"
)
_GROUP_UNIFORM = {
    "__group_min_rule": "min(recon_rule)", "__group_max_rule": "max(recon_rule)",
    "__group_min_weight": "min(exporter_weight)", "__group_max_weight": "max(exporter_weight)",
}
_ONE_RULE_AND_WEIGHT_SQL = "__group_min_rule = __group_max_rule AND __group_min_weight = __group_max_weight"


def _one_rule_and_weight_per_group(frame: pd.DataFrame) -> pd.Series:
    grouped = frame.groupby(GROUP_KEYS, sort=False, dropna=False)
    return ((grouped["recon_rule"].transform("nunique") == 1) & (grouped["exporter_weight"].transform("nunique") == 1)).astype(bool)


def _recon_group_is_a_prefix(frame: pd.DataFrame) -> pd.Series:
    group, hs6 = frame["recon_group"].astype("str"), frame["hs6"].astype("str")
    length = group.str.len()
    ok = (group == "TOTAL") | ((length == 2) & (hs6.str[:2] == group)) | ((length == 4) & (hs6.str[:4] == group))
    return (ok | ((length == 6) & (hs6 == group))).astype(bool)


def _rule_matches_sides(frame: pd.DataFrame) -> pd.Series:
    """One-sided rules only where the other side declares nothing on the line; weights as the rule says."""
    has_exp, has_imp = frame["value_exporter_fob_usd"].notna(), frame["value_importer_fob_usd"].notna()
    rule, weight = frame["recon_rule"], frame["exporter_weight"]
    sides_ok = ((rule != "exporter_only") | (has_exp & ~has_imp)) & ((rule != "importer_only_fob_adjusted") | (~has_exp & has_imp))
    weight_ok = (
        (~rule.isin(["exporter_only", "both_discrepant_exporter", "both_unmatched_exporter"]) | (weight == 1.0))
        & (~rule.isin(["importer_only_fob_adjusted", "both_discrepant_importer", "both_unmatched_importer"]) | (weight == 0.0))
        & ((rule != "both_unmatched_zero") | (weight == 0.0) | (weight == 1.0))
    )
    return (sides_ok & weight_ok).astype(bool)


def _importer_fob_is_cif_over_ratio_plus_declared_fob(frame: pd.DataFrame) -> pd.Series:
    cif, ratio, fob = frame["value_importer_cif_usd"], frame["cif_fob_ratio"], frame["value_importer_fob_usd"]
    declared = frame["value_importer_fob_declared_usd"]
    presence = (cif.isna() == ratio.isna()) & (fob.isna() == (cif.isna() & declared.isna()))
    expected = (cif / ratio).fillna(0.0) + declared.fillna(0.0)
    close = (fob - expected).abs() <= REL_TOL * fob.abs().clip(lower=1.0)
    return (presence & (fob.isna() | close)).astype(bool)


def _sorted_by_keys(frame: pd.DataFrame) -> bool:
    return bool(pd.MultiIndex.from_frame(frame[KEYS]).is_monotonic_increasing)


_RECON_GROUP_PREFIX_SQL = (
    "recon_group = 'TOTAL' OR (length(recon_group) = 2 AND left(hs6, 2) = recon_group)"
    " OR (length(recon_group) = 4 AND left(hs6, 4) = recon_group) OR (length(recon_group) = 6 AND hs6 = recon_group)"
)
_EXPORTER_TAKEN_SQL = "('exporter_only', 'both_discrepant_exporter', 'both_unmatched_exporter')"
_IMPORTER_TAKEN_SQL = "('importer_only_fob_adjusted', 'both_discrepant_importer', 'both_unmatched_importer')"
_RULE_MATCHES_SIDES_SQL = (
    "(recon_rule <> 'exporter_only' OR (value_exporter_fob_usd IS NOT NULL AND value_importer_fob_usd IS NULL))"
    " AND (recon_rule <> 'importer_only_fob_adjusted' OR (value_exporter_fob_usd IS NULL AND value_importer_fob_usd IS NOT NULL))"
    f" AND (recon_rule NOT IN {_EXPORTER_TAKEN_SQL} OR exporter_weight = 1.0)"
    f" AND (recon_rule NOT IN {_IMPORTER_TAKEN_SQL} OR exporter_weight = 0.0)"
    " AND (recon_rule <> 'both_unmatched_zero' OR exporter_weight = 0.0 OR exporter_weight = 1.0)"
)
_IMPORTER_FOB_SQL = (
    "((value_importer_cif_usd IS NULL) = (cif_fob_ratio IS NULL))"
    " AND ((value_importer_fob_usd IS NULL) = (value_importer_cif_usd IS NULL AND value_importer_fob_declared_usd IS NULL))"
    " AND (value_importer_fob_usd IS NULL OR abs(value_importer_fob_usd - (coalesce(value_importer_cif_usd / cif_fob_ratio, 0.0)"
    f" + coalesce(value_importer_fob_declared_usd, 0.0))) <= {REL_TOL!r} * greatest(abs(value_importer_fob_usd), 1.0))"
)
_PREVIOUS_KEYS = {f"__previous_{k}": f"lag({k}) OVER (ORDER BY _row)" for k in KEYS}
_SORTED_SQL = (
    f"__previous_{KEYS[0]} IS NULL OR ({', '.join(KEYS)}) >= ({', '.join(f'__previous_{k}' for k in KEYS)})"
)


trade_flows_schema = pa.DataFrameSchema(
    {
        "year": _col("Int64", "Reference year", pa.Check.in_range(1962, 2100)),
        "exporter": _col(str, "Exporter ISO3", _matching(ISO3_PATTERN)),
        "importer": _col(str, "Importer ISO3", _matching(ISO3_PATTERN)),
        "hs6": _col(str, "HS1992 (H0) six-digit code with leading zeros", _matching(HS6_PATTERN)),
        "value_usd": _col("float64", "Reconciled FOB value, USD (summed over recon_group: between the two FOB totals)",
                          pa.Check.ge(0)),
        "value_exporter_fob_usd": _col("float64", "Exporter's export report (FOB), USD; null if it does not report",
                                       pa.Check.ge(0), nullable=True),
        "value_importer_cif_usd": _col("float64", "Importer's import report (CIF), USD; null if it does not report",
                                       pa.Check.ge(0), nullable=True),
        "value_importer_fob_usd": _col("float64", "Importer's report at FOB: CIF / cif_fob_ratio plus the part declared "
                                                  "FOB, USD", pa.Check.ge(0), nullable=True),
        "value_importer_fob_declared_usd": _col("float64", "Part of the importer's report declared FOB (used as "
                                                           "declared), USD; null if none", pa.Check.ge(0), nullable=True),
        "recon_rule": _col(str, "Which rule set value_usd (assets.transforms.harmonization.reconciliation.RECON_RULES)",
                           pa.Check.isin(list(RECON_RULES))),
        "recon_group": _col(str, "HS prefix (chapter by default) or TOTAL the two sides' totals were reconciled at",
                            _matching(r"\d{2}|\d{4}|\d{6}|TOTAL")),
        "exporter_weight": _col("float64", "Weight on the exporter's report in its group (1 = exporter's lines, 0 = importer's)",
                                pa.Check.in_range(0.0, 1.0)),
        "qty": _col("float64", "Quantity in qty_unit, from the side used", pa.Check.ge(0), nullable=True),
        "qty_unit": _col(str, "Quantity unit of the side used (u, kg, ...)", nullable=True),
        "net_kg": _col("float64", "Net weight, kg, from the side used", pa.Check.ge(0), nullable=True),
        "qty_estimated": _col("boolean", "The quantity is a UNSD estimate", nullable=True),
        "hs_vintage": _col(str, "HS vintage(s) the sides reported in: 'H4', or 'H3|H4' when they differ",
                           _matching(HS_VINTAGE_PATTERN)),
        "conversion_weight": _col("float64", "Smallest share of a contributing report's value the concordance gave "
                                             "this H0 code (1 = no split)", pa.Check.in_range(0.0, 1.0), nullable=True),
        "cif_fob_ratio": _col("float64", "CIF/FOB ratio applied to the importer's report (>= 1); null without one",
                              pa.Check.ge(1.0), nullable=True),
    },
    checks=[
        sql_check(lambda f: f["value_exporter_fob_usd"].notna() | f["value_importer_fob_usd"].notna(),
                  "at least one side reports", "value_exporter_fob_usd IS NOT NULL OR value_importer_fob_usd IS NOT NULL"),
        sql_check(lambda f: f["exporter"] != f["importer"], "no self-trade (exporter = importer)", "exporter <> importer"),
        sql_check(_group_value_between_sides, "value_usd summed over a recon_group between the group's two FOB totals",
                  _GROUP_VALUE_BETWEEN_SIDES_SQL, group_by=tuple(GROUP_KEYS), aggregates=_GROUP_SUMS),
        sql_check(_one_rule_and_weight_per_group, "one recon_rule and exporter_weight per recon_group",
                  _ONE_RULE_AND_WEIGHT_SQL, group_by=tuple(GROUP_KEYS), aggregates=_GROUP_UNIFORM),
        sql_check(_recon_group_is_a_prefix, "recon_group is a prefix of hs6 or TOTAL", _RECON_GROUP_PREFIX_SQL),
        sql_check(_rule_matches_sides, "recon_rule and exporter_weight consistent with the reporting sides",
                  _RULE_MATCHES_SIDES_SQL),
        sql_check(_importer_fob_is_cif_over_ratio_plus_declared_fob,
                  "value_importer_fob_usd = value_importer_cif_usd / cif_fob_ratio + value_importer_fob_declared_usd",
                  _IMPORTER_FOB_SQL),
        sql_check(_sorted_by_keys, "sorted by year, exporter, importer, hs6", _SORTED_SQL, windows=_PREVIOUS_KEYS),
    ],
    unique=KEYS,
    strict=True,
    ordered=True,
    name="trade_flows",
)



# ---------------------------------------------------------------------------------------------- country_totals
# Rules in assets/transforms/harmonization/country_totals.py; method in docs/methods.md, "Country totals".


def _country_totals_source_fields(frame: pd.DataFrame) -> pd.Series:
    """Reported rows carry no mirror coverage; mirror rows carry at least one declaring partner and no
    CIF value or self-trade (the partners' declarations are on their own basis)."""
    reported = frame["source"] == "reported"
    reported_ok = frame["partners_declaring"].isna() & frame["coverage_share"].isna() & frame["self_trade_usd"].notna()
    mirror_ok = (frame["partners_declaring"] >= 1) & frame["value_cif_usd"].isna() & frame["self_trade_usd"].isna()
    return pd.Series(np.where(reported, reported_ok.fillna(False), mirror_ok.fillna(False)), index=frame.index).astype(bool)


def _cif_only_for_imports(frame: pd.DataFrame) -> pd.Series:
    return ((frame["flow"] == "M") | frame["value_cif_usd"].isna()).astype(bool)


def _country_totals_sorted(frame: pd.DataFrame) -> bool:
    return bool(pd.MultiIndex.from_frame(frame[["year", "country", "flow"]]).is_monotonic_increasing)


country_totals_schema = pa.DataFrameSchema(
    {
        "year": _col("Int64", "Reference year", pa.Check.in_range(1962, 2100)),
        "country": _col(str, "Country ISO3 (reporter of a reported total, partner named by a mirror)",
                        _matching(ISO3_PATTERN), pa.Check.ne("WLD")),
        "flow": _col(str, "X total merchandise exports, M total merchandise imports", pa.Check.isin(["X", "M"])),
        "value_usd": _col("float64", "Total, USD, FOB basis for both flows (imports declared CIF divided by the flat "
                                     "CIF/FOB ratio; declared FOB as declared)", pa.Check.ge(0)),
        "value_cif_usd": _col("float64", "Imports as declared, CIF, USD (reported imports declared CIF only; null for "
                                         "exports, imports declared FOB and mirrors)", pa.Check.ge(0), nullable=True),
        "source": _col(str, "reported: the country's own TOTAL/World row; mirror: sum of its partners' TOTAL "
                            "declarations naming it", pa.Check.isin(["reported", "mirror"])),
        "partners_declaring": _col("Int64", "Mirror: number of partners whose TOTAL declaration names the country; "
                                            "null for reported", pa.Check.ge(1), nullable=True),
        "coverage_share": _col("float64", "Mirror: the declaring partners' share of every reporter's total in their flow "
                                          "(null when one of them reports no total, and for reported)",
                               pa.Check.in_range(0.0, 1.0 + REL_TOL), nullable=True),
        "self_trade_usd": _col("float64", "Reported: the country's declared trade with itself removed from its World "
                                          "row, USD FOB basis (0 = none declared); null for mirror", nullable=True),
    },
    checks=[
        pa.Check(_country_totals_source_fields, name="coverage fields set exactly for mirrors"),
        pa.Check(_cif_only_for_imports, name="value_cif_usd only for imports"),
        pa.Check(_country_totals_sorted, name="sorted by year, country, flow"),
    ],
    unique=["year", "country", "flow"],
    strict=True,
    ordered=True,
    name="country_totals",
    description="Each country's total merchandise exports and imports: reported TOTAL/World rows, else mirrored",
)
