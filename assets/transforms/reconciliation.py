"""Mirror-flow reconciliation into `trade_flows`: one value per year, exporter, importer and HS6 (H0)
from the exporter's FOB export report and the importer's CIF import report.

Belongs here: pairing the two declarations (`pair_reports`), the CIF→FOB adjustment
(`estimate_cif_fob_ratios`), reporter reliability (`estimate_reliability`) and the rule that weighs or
chooses (`reconcile_mirror_flows`). Not here: cleaning, HS conversion, country codes — records arrive
as reporter-side facts already in H0 and ISO3. Re-exports/re-imports are not facts: only X and M.

Method, after BACI (Gaulier & Zignago 2010, "BACI: International Trade Database at the Product-level,
the 1994-2007 version", CEPII WP 2010-23):
- CIF→FOB. `cif_fob_ratio` = CIF value / FOB value of the same flow (≥ 1); the importer's FOB value is
  CIF / ratio. "flat": one ratio for every flow, default 1.04 (a 4 % freight-and-insurance margin on the
  FOB value; BACI reports a median margin of about 3-5 %). "mirror_unit_value": per flow (year,
  exporter, importer, hs6), the importer's CIF unit value over the exporter's FOB unit value, where both
  report a positive, not estimated quantity in the same unit, clipped to margins in [0 %, 20 %]; other
  flows fall back to the flat ratio.
- Reliability. For each flow both sides report (both values > 0), d = ln(importer FOB / exporter FOB),
  winsorised at ±ln(10) so one wild report counts as "wild", not as infinitely bad. A reporter's σ² per
  direction (X: flows it exports, M: flows it imports) is the mean of d² over its flows — the second
  moment about zero, not the variance, so a reporter consistently 50 % off is not rated reliable.
  Below 20 flows (σ² from n normal draws has a relative error of about √(2/n) ≈ 32 % at n = 20) a
  reporter gets the pooled mean of d² over all flows. σ² is floored at 1e-4 (1 % log discrepancy) so
  perfect agreement does not give infinite weight; with no flow reported twice every σ² is 1.0.
- Weights. w_exporter = (1/σ²_exp) / (1/σ²_exp + 1/σ²_imp), σ²_exp = the exporter's X σ²,
  σ²_imp = the importer's M σ²; value = w·FOB_exp + (1 − w)·FOB_imp, so it lies between the two sides.
- Rules (`RECON_RULES`): one side only → that side (non-reporters get mirror data); both sides
  within a factor 10 → weighted; beyond → the more reliable side alone (ties: the exporter).
- Quantities (qty, qty_unit, qty_estimated; net_kg separately) come from the side whose weight is
  ≥ 0.5 (the exporter when equal), or from the other side when that side has none.

Scale: every step is one DuckDB statement (a year holds millions of flows); the public functions run
the same SQL on a pandas frame, so the tests exercise the production path.
"""

from __future__ import annotations

import math

import duckdb
import pandas as pd
import pyarrow as pa

from assets.errors import RvcInputError

FLAT_CIF_FOB_RATIO = 1.04
MIRROR_MARGIN_BAND = (0.0, 0.20)
DISCREPANCY_THRESHOLD = 10.0
MIN_PAIRS = 20
SIGMA2_FLOOR = 1e-4
DEFAULT_SIGMA2 = 1.0
CIF_FOB_METHODS = ("flat", "mirror_unit_value")
HS_VINTAGES = ("H0", "H1", "H2", "H3", "H4", "H5", "H6")

RECON_RULES = {
    "both_weighted": "both sides report within a factor 10: reliability-weighted mean of the FOB values",
    "both_discrepant_exporter": "both report, more than 10× apart: the exporter's report (the more reliable side)",
    "both_discrepant_importer": "both report, more than 10× apart: the importer's FOB-adjusted report (more reliable)",
    "exporter_only": "only the exporter reports: its FOB value",
    "importer_only_fob_adjusted": "only the importer reports: its CIF value divided by the CIF/FOB ratio",
}
CIF_FOB_SOURCES = ("flat", "mirror_unit_value", "mirror_unit_value_clipped")

INPUT_COLUMNS = [
    "year", "reporter", "partner", "flow", "hs6", "value_usd", "qty", "qty_unit", "net_kg",
    "qty_estimated", "hs_vintage", "conversion_weight",
]
# Optional input column: "FOB" for an import declared FOB (cleaning's cif_usd null, fob_usd given), which is
# used as its FOB value and never divided by the CIF/FOB ratio; anything else (or no column) means the import
# value is CIF. See docs/methods.md, "Values as declared".
VALUE_BASIS_COLUMN = "value_basis"
KEYS = ["year", "exporter", "importer", "hs6"]
SIDE_COLUMNS = ["qty", "qty_unit", "net_kg", "qty_estimated", "hs_vintage", "conversion_weight"]
PAIR_COLUMNS = [
    *KEYS, "value_exporter_fob_usd", "value_importer_cif_usd", "imp_fob_declared_usd",
    *[f"exp_{c}" for c in SIDE_COLUMNS], *[f"imp_{c}" for c in SIDE_COLUMNS],
]
PRICED_COLUMNS = [*PAIR_COLUMNS, "cif_fob_ratio", "cif_fob_source", "value_importer_fob_usd"]
TRADE_FLOWS_COLUMNS = [
    *KEYS, "value_usd", "value_exporter_fob_usd", "value_importer_cif_usd", "value_importer_fob_usd",
    "recon_rule", "exporter_weight", "qty", "qty_unit", "net_kg", "qty_estimated", "hs_vintage",
    "conversion_weight", "cif_fob_ratio",
]
RELIABILITY_COLUMNS = ["reporter", "flow", "n_pairs", "sigma2", "reliability_source"]


def validate_reporter_flows(flows: pd.DataFrame) -> None:
    """Raise RvcInputError unless `flows` has `INPUT_COLUMNS`, flow X/M only, hs_vintage H0..H6,
    keys and values present and values ≥ 0."""
    missing = [c for c in INPUT_COLUMNS if c not in flows.columns]
    if missing:
        raise RvcInputError(
            f"reporter flows: missing columns {missing}; expected {INPUT_COLUMNS} (cleaned records in H0 and ISO3)."
        )
    problems = []
    for column, allowed, why in (
        ("flow", ("X", "M"), "re-exports and re-imports are not bilateral facts"),
        ("hs_vintage", HS_VINTAGES, "the classification each record was reported in"),
    ):
        bad = flows.loc[~flows[column].isin(allowed), column]
        if len(bad):
            counts = bad.astype("str").value_counts(dropna=False).sort_index()
            problems.append(
                f"column {column!r} must be one of {allowed} ({why}), found "
                + ", ".join(f"{k!r} ({n} rows)" for k, n in counts.items())
            )
    for column in ["year", "reporter", "partner", "hs6", "value_usd"]:
        n_null = int(flows[column].isna().sum())
        if n_null:
            problems.append(f"column {column!r} has {n_null} null rows")
    n_negative = int((flows["value_usd"] < 0).sum())
    if n_negative:
        problems.append(f"column 'value_usd' has {n_negative} negative rows")
    if problems:
        raise RvcInputError("reporter flows: " + "; ".join(problems) + ". Fix or reject those rows in cleaning.")


def _vintage_text(mask: str) -> str:
    """SQL: an integer bit mask of vintages (bit k = Hk) → "H3|H4"; null when no bit is set."""
    parts = ", ".join(f"CASE WHEN (({mask}) >> {k}) & 1 = 1 THEN 'H{k}' END" for k in range(len(HS_VINTAGES)))
    return f"NULLIF(concat_ws('|', {parts}), '')"


def _vintage_mask(text: str) -> str:
    """SQL: "H3|H4" → an integer bit mask (bit k = Hk); 0 for null."""
    return " | ".join(f"(CASE WHEN contains(coalesce({text}, ''), 'H{k}') THEN {1 << k} ELSE 0 END)"
                      for k in range(len(HS_VINTAGES)))


def _pairs_sql(source: str) -> str:
    side = "CASE WHEN count(qty) = count(*) AND count(qty_unit) = count(*) AND min(qty_unit) = max(qty_unit)"
    return f"""
WITH agg AS (
    SELECT year,
           CASE WHEN flow = 'X' THEN reporter ELSE partner END AS exporter,
           CASE WHEN flow = 'X' THEN partner ELSE reporter END AS importer,
           hs6, flow,
           -- Imports: the CIF-valued declarations are brought to FOB later; FOB-declared ones are kept apart.
           sum(CASE WHEN flow = 'M' AND value_basis = 'FOB' THEN NULL ELSE value_usd END) AS value_usd,
           sum(CASE WHEN flow = 'M' AND value_basis = 'FOB' THEN value_usd END) AS fob_declared_usd,
           -- A summed quantity only when every record has one, all in one unit; else unknown.
           {side} THEN sum(qty) END AS qty,
           {side} THEN min(qty_unit) END AS qty_unit,
           CASE WHEN count(net_kg) = count(*) THEN sum(net_kg) END AS net_kg,
           bool_or(qty_estimated) AS qty_estimated,
           bit_or(1 << CAST(substr(hs_vintage, 2, 1) AS INTEGER)) AS vintages,
           -- Value-weighted: the share of the reported value that came through this H0 code's links.
           CASE WHEN sum(value_usd) > 0 THEN sum(conversion_weight * value_usd) / sum(value_usd)
                ELSE min(conversion_weight) END AS conversion_weight
    FROM {source}
    GROUP BY ALL
)
SELECT year, exporter, importer, hs6,
       x.value_usd AS value_exporter_fob_usd, m.value_usd AS value_importer_cif_usd,
       m.fob_declared_usd AS imp_fob_declared_usd,
       x.qty AS exp_qty, x.qty_unit AS exp_qty_unit, x.net_kg AS exp_net_kg,
       x.qty_estimated AS exp_qty_estimated, {_vintage_text('x.vintages')} AS exp_hs_vintage,
       x.conversion_weight AS exp_conversion_weight,
       m.qty AS imp_qty, m.qty_unit AS imp_qty_unit, m.net_kg AS imp_net_kg,
       m.qty_estimated AS imp_qty_estimated, {_vintage_text('m.vintages')} AS imp_hs_vintage,
       m.conversion_weight AS imp_conversion_weight
FROM (SELECT * FROM agg WHERE flow = 'X') AS x
FULL OUTER JOIN (SELECT * FROM agg WHERE flow = 'M') AS m
USING (year, exporter, importer, hs6)
"""


def _priced_sql(source: str, method: str, flat_ratio: float, margin_band: tuple[float, float]) -> str:
    if method not in CIF_FOB_METHODS:
        raise RvcInputError(f"cif_fob method {method!r} is not one of {CIF_FOB_METHODS}; pick one (RVC_CIF_FOB_METHOD).")
    low, high, flat = 1.0 + float(margin_band[0]), 1.0 + float(margin_band[1]), float(flat_ratio)
    if not (1.0 <= low <= high and flat >= 1.0):
        raise RvcInputError(
            f"CIF/FOB settings: need 0 <= margin band low <= high and a flat ratio >= 1, got {margin_band}, {flat_ratio}."
        )
    usable = "FALSE"
    if method == "mirror_unit_value":
        usable = """(value_exporter_fob_usd > 0 AND value_importer_cif_usd > 0 AND exp_qty > 0 AND imp_qty > 0
                    AND exp_qty_unit = imp_qty_unit
                    AND NOT coalesce(exp_qty_estimated, FALSE) AND NOT coalesce(imp_qty_estimated, FALSE))"""
    return f"""
WITH u AS (
    SELECT *, coalesce({usable}, FALSE) AS usable,
           (value_importer_cif_usd / imp_qty) / (value_exporter_fob_usd / exp_qty) AS raw_ratio
    FROM {source}
), r AS (
    SELECT * EXCLUDE (usable, raw_ratio),
           CASE WHEN value_importer_cif_usd IS NULL THEN NULL
                WHEN usable THEN least(greatest(raw_ratio, {low!r}), {high!r})
                ELSE {flat!r} END AS cif_fob_ratio,
           CASE WHEN value_importer_cif_usd IS NULL THEN NULL
                WHEN usable AND raw_ratio BETWEEN {low!r} AND {high!r} THEN 'mirror_unit_value'
                WHEN usable THEN 'mirror_unit_value_clipped'
                ELSE 'flat' END AS cif_fob_source
    FROM u
)
SELECT *,
       CASE WHEN value_importer_cif_usd IS NULL AND imp_fob_declared_usd IS NULL THEN NULL
            ELSE coalesce(value_importer_cif_usd / cif_fob_ratio, 0) + coalesce(imp_fob_declared_usd, 0) END AS value_importer_fob_usd
FROM r
"""


def _reliability_sql(source: str, min_pairs: int, sigma2_floor: float, discrepancy_threshold: float) -> str:
    bound, floor = math.log(float(discrepancy_threshold)), float(sigma2_floor)
    return f"""
WITH d AS (
    SELECT exporter, importer,
           pow(least(greatest(ln(value_importer_fob_usd / value_exporter_fob_usd), {-bound!r}), {bound!r}), 2) AS d2
    FROM {source}
    WHERE value_exporter_fob_usd > 0 AND value_importer_fob_usd > 0
), stats AS (
    SELECT exporter AS reporter, 'X' AS flow, count(*) AS n_pairs, avg(d2) AS mean_d2 FROM d GROUP BY exporter
    UNION ALL
    SELECT importer AS reporter, 'M' AS flow, count(*) AS n_pairs, avg(d2) AS mean_d2 FROM d GROUP BY importer
), reporters AS (
    SELECT DISTINCT exporter AS reporter, 'X' AS flow FROM {source} WHERE value_exporter_fob_usd IS NOT NULL
    UNION
    SELECT DISTINCT importer AS reporter, 'M' AS flow FROM {source} WHERE value_importer_fob_usd IS NOT NULL
), pooled AS (
    SELECT count(*) AS n, avg(d2) AS mean_d2 FROM d
)
SELECT r.reporter, r.flow, CAST(coalesce(s.n_pairs, 0) AS BIGINT) AS n_pairs,
       CASE WHEN coalesce(s.n_pairs, 0) >= {int(min_pairs)} THEN greatest(s.mean_d2, {floor!r})
            WHEN p.n > 0 THEN greatest(p.mean_d2, {floor!r})
            ELSE {DEFAULT_SIGMA2!r} END AS sigma2,
       CASE WHEN coalesce(s.n_pairs, 0) >= {int(min_pairs)} THEN 'own'
            WHEN p.n > 0 THEN 'pooled'
            ELSE 'default' END AS reliability_source
FROM reporters AS r LEFT JOIN stats AS s USING (reporter, flow) CROSS JOIN pooled AS p
ORDER BY r.reporter, r.flow
"""


def _choose_sql(source: str, reliability: str, discrepancy_threshold: float, leading_ctes: str = "") -> str:
    thr = float(discrepancy_threshold)
    exp_fob, imp_fob = "value_exporter_fob_usd", "value_importer_fob_usd"
    take_exp_qty = "(exp_qty IS NOT NULL AND (exporter_weight >= 0.5 OR imp_qty IS NULL))"
    take_exp_kg = "(exp_net_kg IS NOT NULL AND (exporter_weight >= 0.5 OR imp_net_kg IS NULL))"
    return f"""
WITH {leading_ctes}fallback AS (
    -- A reporter missing from a given reliability table gets its direction's median σ².
    SELECT coalesce((SELECT median(sigma2) FROM {reliability} WHERE flow = 'X'), {DEFAULT_SIGMA2!r}) AS sx,
           coalesce((SELECT median(sigma2) FROM {reliability} WHERE flow = 'M'), {DEFAULT_SIGMA2!r}) AS sm
), w AS (
    SELECT p.*,
           (1.0 / coalesce(rx.sigma2, f.sx)) / (1.0 / coalesce(rx.sigma2, f.sx) + 1.0 / coalesce(rm.sigma2, f.sm)) AS w_rel
    FROM {source} AS p
    CROSS JOIN fallback AS f
    LEFT JOIN (SELECT reporter, sigma2 FROM {reliability} WHERE flow = 'X') AS rx ON rx.reporter = p.exporter
    LEFT JOIN (SELECT reporter, sigma2 FROM {reliability} WHERE flow = 'M') AS rm ON rm.reporter = p.importer
), r AS (
    SELECT *,
           CASE WHEN {imp_fob} IS NULL THEN 'exporter_only'
                WHEN {exp_fob} IS NULL THEN 'importer_only_fob_adjusted'
                WHEN {imp_fob} > {thr!r} * {exp_fob} OR {exp_fob} > {thr!r} * {imp_fob}
                    THEN CASE WHEN w_rel >= 0.5 THEN 'both_discrepant_exporter' ELSE 'both_discrepant_importer' END
                ELSE 'both_weighted' END AS recon_rule
    FROM w
), e AS (
    SELECT *,
           CASE WHEN recon_rule IN ('exporter_only', 'both_discrepant_exporter') THEN 1.0
                WHEN recon_rule IN ('importer_only_fob_adjusted', 'both_discrepant_importer') THEN 0.0
                ELSE w_rel END AS exporter_weight
    FROM r
)
SELECT year, exporter, importer, hs6,
       CASE WHEN exporter_weight = 1.0 THEN {exp_fob}
            WHEN exporter_weight = 0.0 THEN {imp_fob}
            -- Invariant: between (or on) the two FOB sides; clip floating-point overshoot.
            ELSE least(greatest(exporter_weight * {exp_fob} + (1.0 - exporter_weight) * {imp_fob},
                                least({exp_fob}, {imp_fob})), greatest({exp_fob}, {imp_fob})) END AS value_usd,
       {exp_fob}, value_importer_cif_usd, {imp_fob},
       recon_rule, exporter_weight,
       CASE WHEN {take_exp_qty} THEN exp_qty ELSE imp_qty END AS qty,
       CASE WHEN {take_exp_qty} THEN exp_qty_unit WHEN imp_qty IS NOT NULL THEN imp_qty_unit END AS qty_unit,
       CASE WHEN {take_exp_kg} THEN exp_net_kg ELSE imp_net_kg END AS net_kg,
       CASE WHEN {take_exp_qty} THEN exp_qty_estimated WHEN imp_qty IS NOT NULL THEN imp_qty_estimated END AS qty_estimated,
       {_vintage_text(_vintage_mask('exp_hs_vintage') + ' | ' + _vintage_mask('imp_hs_vintage'))} AS hs_vintage,
       -- The smallest conversion weight among the sides that contribute to the value.
       least(CASE WHEN {exp_fob} IS NOT NULL AND exporter_weight > 0 THEN exp_conversion_weight END,
             CASE WHEN {imp_fob} IS NOT NULL AND exporter_weight < 1 THEN imp_conversion_weight END) AS conversion_weight,
       cif_fob_ratio
FROM e
ORDER BY year, exporter, importer, hs6
"""


_ARROW_TO_PANDAS = {pa.bool_(): pd.BooleanDtype(), pa.int64(): pd.Int64Dtype(), pa.int32(): pd.Int64Dtype()}


def _to_pandas(relation: duckdb.DuckDBPyRelation, columns: list[str]) -> pd.DataFrame:
    """DuckDB → pandas through Arrow: text → str, integers → Int64, booleans → boolean (nullable)."""
    frame = relation.to_arrow_table().to_pandas(types_mapper=_ARROW_TO_PANDAS.get)
    return frame[columns]


def _to_arrow(frame: pd.DataFrame, columns: list[str]) -> pa.Table:
    return pa.Table.from_pandas(frame[columns], preserve_index=False)


def _typed_input(flows: pd.DataFrame) -> pa.Table:
    validate_reporter_flows(flows)
    if VALUE_BASIS_COLUMN not in flows.columns:
        flows = flows.assign(**{VALUE_BASIS_COLUMN: "CIF"})
    records = flows[[*INPUT_COLUMNS, VALUE_BASIS_COLUMN]].astype(
        {"year": "Int64", "value_usd": "float64", "qty": "float64", "net_kg": "float64",
         "conversion_weight": "float64", "qty_estimated": "boolean",
         "reporter": "str", "partner": "str", "flow": "str", "hs6": "str", "qty_unit": "str", "hs_vintage": "str",
         VALUE_BASIS_COLUMN: "str"}
    )
    return _to_arrow(records, [*INPUT_COLUMNS, VALUE_BASIS_COLUMN])


def pair_reports(flows: pd.DataFrame) -> pd.DataFrame:
    """Both declarations of each flow side by side (one group-by and one full outer join).

    In: reporter-side records (`INPUT_COLUMNS`; X = reporter exports to partner, M = reporter imports
    from partner). Several records per key (e.g. from split HS conversions) are summed first.
    Out: `PAIR_COLUMNS` — keys year, exporter, importer, hs6; value_exporter_fob_usd (the exporter's X
    report, null if none), value_importer_cif_usd (the importer's M report, null if none), and per side
    (exp_/imp_) qty (null unless every record has one in one unit), qty_unit, net_kg, qty_estimated,
    hs_vintage ("H3|H4" when records differ), conversion_weight (value-weighted). Sorted by the keys.
    """
    with duckdb.connect() as con:
        con.register("flows", _typed_input(flows))
        return _to_pandas(con.sql(_pairs_sql("flows") + " ORDER BY year, exporter, importer, hs6"), PAIR_COLUMNS)


def estimate_cif_fob_ratios(
    pairs: pd.DataFrame,
    method: str = "flat",
    *,
    flat_ratio: float = FLAT_CIF_FOB_RATIO,
    margin_band: tuple[float, float] = MIRROR_MARGIN_BAND,
) -> pd.DataFrame:
    """CIF/FOB ratio for every flow the importer reports, and the importer's FOB value.

    In: `pair_reports` output; method "flat" or "mirror_unit_value"; the flat ratio (CIF/FOB, ≥ 1) and
    the band of margins (ratio − 1) the mirror estimate is clipped to. Out: `PRICED_COLUMNS` = pairs'
    columns + cif_fob_ratio (null where the importer does not report), cif_fob_source ("flat",
    "mirror_unit_value", "mirror_unit_value_clipped"; null likewise), value_importer_fob_usd (CIF / ratio,
    plus the imports declared FOB, `imp_fob_declared_usd`, as they are);
    same rows in the same order.
    """
    sql = _priced_sql("pairs", method, flat_ratio, margin_band)
    if "imp_fob_declared_usd" not in pairs.columns:  # pairs written before FOB-declared imports were kept apart
        pairs = pairs.assign(imp_fob_declared_usd=pd.Series(float("nan"), index=pairs.index, dtype="float64"))
    with duckdb.connect() as con:
        con.register("pairs", _to_arrow(pairs.reset_index(drop=True), PAIR_COLUMNS))
        return _to_pandas(con.sql(sql), PRICED_COLUMNS)


def estimate_reliability(
    priced: pd.DataFrame,
    *,
    min_pairs: int = MIN_PAIRS,
    sigma2_floor: float = SIGMA2_FLOOR,
    discrepancy_threshold: float = DISCREPANCY_THRESHOLD,
) -> pd.DataFrame:
    """Each reporter's σ² (mean squared log mirror discrepancy, see module doc) as exporter and importer.

    In: flows with exporter, importer, value_exporter_fob_usd and value_importer_fob_usd (CIF already
    divided by the CIF/FOB ratio), e.g. `estimate_cif_fob_ratios` output. Out: `RELIABILITY_COLUMNS` —
    one row per reporter and direction it reports (X for each exporter with an X report, M for each
    importer with an M report): n_pairs (its flows both sides report with positive values), sigma2,
    reliability_source "own" (n_pairs ≥ min_pairs), "pooled" (mean d² over all pairs) or "default"
    (no flow reported twice: 1.0). Sorted by reporter, flow.
    """
    columns = ["exporter", "importer", "value_exporter_fob_usd", "value_importer_fob_usd"]
    sql = _reliability_sql("priced", min_pairs, sigma2_floor, discrepancy_threshold)
    with duckdb.connect() as con:
        con.register("priced", _to_arrow(priced, columns))
        return _to_pandas(con.sql(sql), RELIABILITY_COLUMNS)


def reconcile_mirror_flows(
    flows: pd.DataFrame,
    cif_fob: str = "flat",
    reliability: pd.DataFrame | None = None,
    *,
    flat_cif_fob_ratio: float = FLAT_CIF_FOB_RATIO,
    margin_band: tuple[float, float] = MIRROR_MARGIN_BAND,
    discrepancy_threshold: float = DISCREPANCY_THRESHOLD,
    min_pairs: int = MIN_PAIRS,
) -> pd.DataFrame:
    """`trade_flows`: one reconciled FOB value per year, exporter, importer and hs6 (see module doc).

    In: cleaned reporter-side records (`INPUT_COLUMNS`: year, reporter, partner (ISO3), flow X/M, hs6
    (H0), value_usd, qty, qty_unit, net_kg, qty_estimated, hs_vintage H0..H6, conversion_weight); the
    CIF→FOB method ("flat" or "mirror_unit_value") and its settings; optionally a reliability table
    (`estimate_reliability` output, e.g. estimated on a whole year when `flows` is a subset) — by default
    estimated from `flows`. Out: `TRADE_FLOWS_COLUMNS` — keys; value_usd (reconciled, between the two
    FOB sides); value_exporter_fob_usd, value_importer_cif_usd (null when that side does not report);
    value_importer_fob_usd (CIF / cif_fob_ratio); recon_rule (`RECON_RULES`); exporter_weight (0..1);
    qty, qty_unit, net_kg, qty_estimated (from the side used); hs_vintage (both sides' vintages,
    "H3|H4" when they differ); conversion_weight (smallest of the contributing sides); cif_fob_ratio
    (null where the importer does not report). Sorted by year, exporter, importer, hs6.
    """
    priced_sql = _priced_sql("pairs", cif_fob, flat_cif_fob_ratio, margin_band)
    if reliability is None:
        reliability_sql = _reliability_sql("priced", min_pairs, SIGMA2_FLOOR, discrepancy_threshold)
    else:
        reliability_sql = "SELECT reporter, flow, sigma2 FROM given_reliability"
    # One statement (planning costs more than the work on small years); MATERIALIZED so the heavy
    # pairing runs once although three steps read it.
    ctes = (
        f"pairs AS MATERIALIZED ({_pairs_sql('flows')}), "
        f"priced AS MATERIALIZED ({priced_sql}), "
        f"reliability AS MATERIALIZED ({reliability_sql}), "
    )
    with duckdb.connect() as con:
        con.register("flows", _typed_input(flows))
        if reliability is not None:
            con.register("given_reliability", _to_arrow(reliability, ["reporter", "flow", "sigma2"]))
        sql = _choose_sql("priced", "reliability", discrepancy_threshold, leading_ctes=ctes)
        return _to_pandas(con.sql(sql), TRADE_FLOWS_COLUMNS)
