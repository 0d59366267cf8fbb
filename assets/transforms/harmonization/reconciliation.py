"""Mirror-flow reconciliation into `trade_flows`: one value per year, exporter, importer and HS6 (H0)
from the exporter's FOB export report and the importer's CIF (or declared FOB) import report.

Belongs here: pairing the two declarations line by line (`pair_reports`), the CIF→FOB adjustment
(`estimate_cif_fob_ratios`), reporter reliability (`estimate_reliability`) and the rules that weigh,
choose and distribute (`reconcile_mirror_flows`; in SQL over any DuckDB relation: `reconcile_in_duckdb`).
Not here: cleaning, HS conversion, country codes, removing self-trade — records arrive as reporter-side
facts already in H0 and ISO3, between two different countries. Only X and M are facts.

Method (docs/methods.md, "Mirror reconciliation"), after BACI (Gaulier & Zignago 2010, "BACI: International
Trade Database at the Product-level, the 1994-2007 version", CEPII WP 2010-23):
- Who reports. A pair (year, exporter, importer) is reported by the exporter when it declares any export
  line to the importer that year, by the importer when it declares any import line from the exporter.
  Only a pair one side does not report at all is one-sided (`exporter_only`, `importer_only_fob_adjusted`):
  the line values of the side that reports. A line one side lacks inside a pair both report is not
  one-sided: that side put the trade elsewhere (another line, another vintage's split) or declared none.
- Reconciliation groups. Where both report the pair, the two sides' declared totals are compared and
  weighted per group — the HS chapter by default (`recon_digits` = 2; 4 = heading, 6 = line, 0 = the pair's
  whole trade) — so trade one side classifies in 870323 and the other in 870324 is counted once. The group
  value V = w·X + (1 − w)·M is distributed to the lines by the two sides' line shares weighted alike:
  value_k = V·(w·x_k/X + (1 − w)·m_k/M); the shares sum to 1, so the group value is conserved. A group
  more than a factor 10 apart, or declared by one side only (the other declares the pair but nothing in
  the group), takes the more reliable side's lines as they are (for the second case: its zero).
- CIF→FOB. The importer's CIF declarations are divided by a CIF/FOB ratio; imports declared FOB are used
  as declared. "flat": 1.04 for every flow. "chapter_median": per year and HS chapter, the median mirror
  ratio CIF/FOB = M_cif / X over the other pairs' chapter totals (both ≥ USD 10,000, no FOB-declared
  part; the pair being adjusted is left out, so a flow never judges itself), capped to [1.0, 1.2];
  fewer than 5 such pairs → flat.
- Reliability. For the mirror groups both sides declare (both ≥ USD 10,000), d = |ln(M_fob / X)|,
  winsorised at ln 10; value-weighted least squares d = a_exporter + b_importer (exporter and importer
  fixed effects), solved by alternating weighted means; the one free constant is set so that the best
  exporter and the best importer have equal effects. σ = max(effect, 0.01); a reporter with fewer than
  `min_pairs` observations gets its direction's median σ; weights w = (1/σx) / (1/σx + 1/σm).
- Deterministic: every sum of doubles is exact (fixed-point micro-units, `_osum`), so no order of DuckDB's
  parallel aggregation changes a bit; the fit sums in a fixed order (np.bincount over sorted pairs).

Scale: every step is a DuckDB statement over relations (a year holds millions of flows); only the
country × country table of the reliability fit goes through numpy. The pandas functions register a frame
and run the same SQL, so the tests exercise the production path.
"""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from assets.errors import RvcInputError
from assets.tables import ARROW_TO_PANDAS
from assets.vocabulary import BILATERAL_FLOWS, CIF_FOB_METHODS, HS_VINTAGES

FLAT_CIF_FOB_RATIO = 1.04
CIF_FOB_CAP = 0.20  # the modelled margin (ratio − 1) is capped to [0, 20 %]
MIN_CIF_FOB_PAIRS = 5  # other pairs' chapter totals needed for a chapter median; fewer → flat
MIN_FLOW_USD = 10_000.0  # mirror observations below this (either side) inform neither model (BACI)
DISCREPANCY_THRESHOLD = 10.0
MIN_PAIRS = 20
SIGMA_FLOOR = 0.01  # 1 % log discrepancy: perfect agreement does not get infinite weight
DEFAULT_SIGMA = 1.0
# w = σx^-p / (σx^-p + σm^-p). p = 1: each declaration weighted by the inverse of its reporter's effect (the
# issue's reading of BACI); p = 2 would be inverse variance (σ ∝ a standard deviation). See docs/methods.md.
WEIGHT_POWER = 1
RECON_DIGITS = (2, 4, 6, 0)  # HS digits of the reconciliation group; 0 = the pair's whole trade
DEFAULT_RECON_DIGITS = 2
CIF_FOB_SOURCES = ("flat", "chapter_median", "chapter_median_capped")
_FIT_MAX_ITERATIONS = 10_000
_FIT_TOLERANCE = 1e-13

RECON_RULES = {
    "both_weighted": "both report the pair; the group's FOB totals are within a factor 10: reliability-weighted "
                     "mean of the totals, distributed to the lines by both sides' line shares (same weights)",
    "both_discrepant_exporter": "both report the pair; the group's totals are more than 10× apart: the exporter's "
                                "lines (the more reliable side)",
    "both_discrepant_importer": "both report the pair; the group's totals are more than 10× apart: the importer's "
                                "FOB-adjusted lines (the more reliable side)",
    "both_unmatched_exporter": "both report the pair, only the exporter declares this group and it is the more "
                               "reliable side: its lines",
    "both_unmatched_importer": "both report the pair, only the importer declares this group and it is the more "
                               "reliable side: its FOB-adjusted lines",
    "both_unmatched_zero": "both report the pair, only the less reliable side declares this group: the more "
                           "reliable side's declared nothing (value 0; both declarations kept in the row)",
    "exporter_only": "the importer does not report the pair this year (non-reporter or no declaration): the "
                     "exporter's FOB lines",
    "importer_only_fob_adjusted": "the exporter does not report the pair this year (non-reporter or no "
                                  "declaration): the importer's lines, CIF divided by the CIF/FOB ratio",
}
_EXPORTER_TAKEN = ("exporter_only", "both_discrepant_exporter", "both_unmatched_exporter")
_IMPORTER_TAKEN = ("importer_only_fob_adjusted", "both_discrepant_importer", "both_unmatched_importer")

INPUT_COLUMNS = [
    "year", "reporter", "partner", "flow", "hs6", "value_usd", "qty", "qty_unit", "net_kg",
    "qty_estimated", "hs_vintage", "conversion_weight",
]
# Optional input column: "FOB" for an import declared FOB (cleaning's cif_usd null, fob_usd given), which is
# used as its FOB value and never divided by the CIF/FOB ratio; anything else (or no column) means the import
# value is CIF. See docs/methods.md, "Values as declared".
VALUE_BASIS_COLUMN = "value_basis"
KEYS = ["year", "exporter", "importer", "hs6"]
GROUP_KEYS = ["year", "exporter", "importer", "recon_group"]
SIDE_COLUMNS = ["qty", "qty_unit", "net_kg", "qty_estimated", "hs_vintage", "conversion_weight"]
PAIR_COLUMNS = [
    *KEYS, "value_exporter_fob_usd", "value_importer_cif_usd", "imp_fob_declared_usd",
    *[f"exp_{c}" for c in SIDE_COLUMNS], *[f"imp_{c}" for c in SIDE_COLUMNS],
]
PRICED_COLUMNS = [*PAIR_COLUMNS, "cif_fob_ratio", "cif_fob_source", "value_importer_fob_usd"]
TRADE_FLOWS_COLUMNS = [
    *KEYS, "value_usd", "value_exporter_fob_usd", "value_importer_cif_usd", "value_importer_fob_usd",
    "value_importer_fob_declared_usd", "recon_rule", "recon_group", "exporter_weight", "qty", "qty_unit", "net_kg",
    "qty_estimated", "hs_vintage", "conversion_weight", "cif_fob_ratio",
]
RELIABILITY_COLUMNS = ["reporter", "flow", "n_pairs", "effect", "sigma", "reliability_source"]


def validate_reporter_flows(flows: pd.DataFrame) -> None:
    """Raise RvcInputError unless `flows` has `INPUT_COLUMNS`, flow X/M only, hs_vintage H0..H6,
    keys and values present, values ≥ 0 and no self-trade (reporter = partner)."""
    missing = [c for c in INPUT_COLUMNS if c not in flows.columns]
    if missing:
        raise RvcInputError(
            f"reporter flows: missing columns {missing}; expected {INPUT_COLUMNS} (cleaned records in H0 and ISO3)."
        )
    problems = []
    for column, allowed, why in (
        ("flow", BILATERAL_FLOWS, "re-exports and re-imports are not bilateral facts"),
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
    n_self = int((flows["reporter"] == flows["partner"]).fillna(False).sum())
    if n_self:
        problems.append(f"{n_self} rows of self-trade (reporter = partner), which is not trade between countries")
    if problems:
        raise RvcInputError("reporter flows: " + "; ".join(problems) + ". Fix or reject those rows before reconciling.")


def _vintage_text(mask: str) -> str:
    """SQL: an integer bit mask of vintages (bit k = Hk) → "H3|H4"; null when no bit is set."""
    parts = ", ".join(f"CASE WHEN (({mask}) >> {k}) & 1 = 1 THEN 'H{k}' END" for k in range(len(HS_VINTAGES)))
    return f"NULLIF(concat_ws('|', {parts}), '')"


def _vintage_mask(text: str) -> str:
    """SQL: "H3|H4" → an integer bit mask (bit k = Hk); 0 for null."""
    return " | ".join(f"(CASE WHEN contains(coalesce({text}, ''), 'H{k}') THEN {1 << k} ELSE 0 END)"
                      for k in range(len(HS_VINTAGES)))


def _osum(expression: str) -> str:
    """SQL: an exact, order-free sum — the summands as fixed-point micro-units (DECIMAL(38, 6), summed in
    128-bit integers), back to a double. DuckDB's parallel float sums differ in the last bit from run to run;
    this one cannot, and costs about a plain sum (`sum(x ORDER BY x)` gives the same bits at ~10× the time)."""
    return f"CAST(sum(CAST({expression} AS DECIMAL(38, 6))) AS DOUBLE)"


def _group_expr(digits: int) -> str:
    if digits not in RECON_DIGITS:
        raise RvcInputError(f"recon_digits {digits!r} is not one of {RECON_DIGITS} (2 = HS chapter, 0 = whole pair).")
    return "'TOTAL'" if digits == 0 else f"left(hs6, {int(digits)})"


def _pairs_sql(source: str) -> str:
    side = "CASE WHEN count(qty) = count(*) AND count(qty_unit) = count(*) AND min(qty_unit) = max(qty_unit)"
    cif = "CASE WHEN flow = 'M' AND value_basis = 'FOB' THEN NULL ELSE value_usd END"
    fob_declared = "CASE WHEN flow = 'M' AND value_basis = 'FOB' THEN value_usd END"
    return f"""
WITH agg AS (
    SELECT year,
           CASE WHEN flow = 'X' THEN reporter ELSE partner END AS exporter,
           CASE WHEN flow = 'X' THEN partner ELSE reporter END AS importer,
           hs6, flow,
           -- Imports: the CIF-valued declarations are brought to FOB later; FOB-declared ones are kept apart.
           {_osum(cif)} AS value_usd,
           {_osum(fob_declared)} AS fob_declared_usd,
           -- A summed quantity only when every record has one, all in one unit; else unknown.
           {side} THEN {_osum('qty')} END AS qty,
           {side} THEN min(qty_unit) END AS qty_unit,
           CASE WHEN count(net_kg) = count(*) THEN {_osum('net_kg')} END AS net_kg,
           bool_or(qty_estimated) AS qty_estimated,
           bit_or(1 << CAST(substr(hs_vintage, 2, 1) AS INTEGER)) AS vintages,
           -- Value-weighted: the share of the reported value that came through this H0 code's links.
           CASE WHEN sum(value_usd) > 0 THEN {_osum('conversion_weight * value_usd')} / {_osum('value_usd')}
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


def _priced_sql(source: str, method: str, flat_ratio: float, cap: float, min_cif_fob_pairs: int, min_flow_usd: float) -> str:
    """SQL: `source` (pair lines) + cif_fob_ratio, cif_fob_source, value_importer_fob_usd.

    The chapter median is a leave-one-out median: with the chapter's n ratios sorted (v_1 ≤ … ≤ v_n), the
    median of all but rank r needs only the order statistics at ranks n//2, n//2 + 1, n//2 + 2.
    """
    if method not in CIF_FOB_METHODS:
        raise RvcInputError(f"cif_fob method {method!r} is not one of {CIF_FOB_METHODS}; pick one (RVC_CIF_FOB_METHOD).")
    flat, high = float(flat_ratio), 1.0 + float(cap)
    if not (flat >= 1.0 and high >= 1.0):
        raise RvcInputError(f"CIF/FOB settings: need a flat ratio >= 1 and a cap >= 0, got {flat_ratio}, {cap}.")
    x, m = "value_exporter_fob_usd", "value_importer_cif_usd"
    fob = f"""CASE WHEN {m} IS NULL AND imp_fob_declared_usd IS NULL THEN NULL
            ELSE coalesce({m} / cif_fob_ratio, 0) + coalesce(imp_fob_declared_usd, 0) END AS value_importer_fob_usd"""
    if method == "flat":  # no model to estimate: the chapter medians below would be computed and thrown away
        return f"""
WITH priced AS (
    SELECT *, CASE WHEN {m} IS NOT NULL THEN CAST({flat!r} AS DOUBLE) END AS cif_fob_ratio,
           CASE WHEN {m} IS NOT NULL THEN 'flat' END AS cif_fob_source
    FROM {source}
)
SELECT *, {fob} FROM priced
"""
    return f"""
WITH pc AS (
    SELECT year, exporter, importer, left(hs6, 2) AS chapter,
           {_osum(x)} AS x, {_osum(m)} AS m, count(imp_fob_declared_usd) AS n_fob_declared
    FROM {source} GROUP BY ALL
), obs AS (
    SELECT year, exporter, importer, chapter, m / x AS ratio,
           row_number() OVER (PARTITION BY year, chapter ORDER BY m / x, exporter, importer) AS r,
           count(*) OVER (PARTITION BY year, chapter) AS n
    FROM pc WHERE n_fob_declared = 0 AND x >= {float(min_flow_usd)!r} AND m >= {float(min_flow_usd)!r}
), mid AS (
    SELECT year, chapter, any_value(n) AS n,
           max(CASE WHEN r = n // 2 THEN ratio END) AS v0,
           max(CASE WHEN r = n // 2 + 1 THEN ratio END) AS v1,
           max(CASE WHEN r = n // 2 + 2 THEN ratio END) AS v2
    FROM obs GROUP BY year, chapter
), est AS (
    SELECT pc.year, pc.exporter, pc.importer, pc.chapter,
           CASE WHEN o.r IS NULL THEN coalesce(d.n, 0) ELSE d.n - 1 END AS n_used,
           CASE WHEN o.r IS NULL THEN CASE WHEN d.n % 2 = 1 THEN d.v1 ELSE (d.v0 + d.v1) / 2 END
                WHEN d.n % 2 = 0 THEN CASE WHEN o.r > d.n // 2 THEN d.v0 ELSE d.v1 END
                WHEN o.r <= d.n // 2 THEN (d.v1 + d.v2) / 2
                WHEN o.r = d.n // 2 + 1 THEN (d.v0 + d.v2) / 2
                ELSE (d.v0 + d.v1) / 2 END AS median_ratio
    FROM pc
    LEFT JOIN obs AS o ON o.year = pc.year AND o.exporter = pc.exporter AND o.importer = pc.importer AND o.chapter = pc.chapter
    LEFT JOIN mid AS d ON d.year = pc.year AND d.chapter = pc.chapter
), ratio AS (
    SELECT year, exporter, importer, chapter,
           CASE WHEN n_used < {int(min_cif_fob_pairs)} THEN {flat!r}
                ELSE least(greatest(median_ratio, 1.0), {high!r}) END AS cif_fob_ratio,
           CASE WHEN n_used < {int(min_cif_fob_pairs)} THEN 'flat'
                WHEN median_ratio BETWEEN 1.0 AND {high!r} THEN 'chapter_median'
                ELSE 'chapter_median_capped' END AS cif_fob_source
    FROM est
), priced AS (
    SELECT s.*,
           CASE WHEN s.{m} IS NOT NULL THEN q.cif_fob_ratio END AS cif_fob_ratio,
           CASE WHEN s.{m} IS NOT NULL THEN q.cif_fob_source END AS cif_fob_source
    FROM {source} AS s
    LEFT JOIN ratio AS q
      ON q.year = s.year AND q.exporter = s.exporter AND q.importer = s.importer AND q.chapter = left(s.hs6, 2)
)
SELECT *, {fob} FROM priced
"""


def _groups_sql(source: str, digits: int) -> str:
    """SQL: per reconciliation group, both sides' FOB totals and whether each side reports the pair at all."""
    x, m = "value_exporter_fob_usd", "value_importer_fob_usd"
    return f"""
WITH g AS (
    SELECT year, exporter, importer, {_group_expr(digits)} AS recon_group,
           coalesce({_osum(x)}, 0) AS x_g, coalesce({_osum(m)}, 0) AS m_g,
           bool_or({x} IS NOT NULL) AS exp_in_group, bool_or({m} IS NOT NULL) AS imp_in_group
    FROM {source} GROUP BY ALL
)
SELECT *,
       bool_or(exp_in_group) OVER (PARTITION BY year, exporter, importer) AS exp_reports,
       bool_or(imp_in_group) OVER (PARTITION BY year, exporter, importer) AS imp_reports
FROM g
"""


def _mirror_pairs_sql(groups: str, min_flow_usd: float, discrepancy_threshold: float) -> str:
    """SQL: the exporter × importer table the fixed-effects fit needs (value weights and weighted |d| sums)."""
    bound, low = math.log(float(discrepancy_threshold)), float(min_flow_usd)
    return f"""
WITH d AS (
    SELECT exporter, importer, (x_g + m_g) / 2 AS w, least(abs(ln(m_g / x_g)), {bound!r}) AS d
    FROM {groups}
    WHERE exp_reports AND imp_reports AND x_g > 0 AND m_g > 0 AND x_g >= {low!r} AND m_g >= {low!r}
)
SELECT exporter, importer, count(*) AS n, {_osum('w')} AS w, {_osum('w * d')} AS wd
FROM d GROUP BY ALL ORDER BY exporter, importer
"""


def _reporters_sql(groups: str) -> str:
    return f"""
SELECT DISTINCT exporter AS reporter, 'X' AS flow FROM {groups} WHERE exp_in_group
UNION
SELECT DISTINCT importer AS reporter, 'M' AS flow FROM {groups} WHERE imp_in_group
ORDER BY reporter, flow
"""


def _components(exp_idx: np.ndarray, imp_idx: np.ndarray, n_exp: int, n_imp: int) -> np.ndarray:
    """Connected-component label of every node (exporters 0..n_exp-1, then importers) of the pair graph."""
    labels = np.arange(n_exp + n_imp)
    a, b = exp_idx, imp_idx + n_exp
    while True:
        low = np.minimum(labels[a], labels[b])
        new = labels.copy()
        np.minimum.at(new, a, low)
        np.minimum.at(new, b, low)
        new = new[new]  # pointer jumping
        if np.array_equal(new, labels):
            return labels
        labels = new


def fit_reporter_effects(mirror_pairs: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Exporter and importer effects of the absolute log mirror discrepancy (BACI's decomposition).

    In: one row per exporter × importer with n, w (sum of value weights) and wd (sum of weight × |d|).
    Minimises Σ w·(|d| − a_exporter − b_importer)² by alternating weighted means (deterministic: np.bincount
    sums in input order). The model fixes a + b only: in each connected set of countries the constant moving
    every a up and every b down is set so the smallest exporter effect equals the smallest importer effect.
    Out: (a by exporter, b by importer), sorted by country.
    """
    if mirror_pairs.empty:
        return pd.Series(dtype="float64"), pd.Series(dtype="float64")
    exporters = np.array(sorted(set(mirror_pairs["exporter"])), dtype=object)
    importers = np.array(sorted(set(mirror_pairs["importer"])), dtype=object)
    e = np.searchsorted(exporters, mirror_pairs["exporter"].to_numpy(dtype=object))
    i = np.searchsorted(importers, mirror_pairs["importer"].to_numpy(dtype=object))
    w = mirror_pairs["w"].to_numpy(dtype="float64")
    y = mirror_pairs["wd"].to_numpy(dtype="float64") / w
    we, wi = np.bincount(e, w, len(exporters)), np.bincount(i, w, len(importers))
    a, b = np.zeros(len(exporters)), np.zeros(len(importers))
    for _ in range(_FIT_MAX_ITERATIONS):
        a_new = np.bincount(e, w * (y - b[i]), len(exporters)) / we
        b_new = np.bincount(i, w * (y - a_new[e]), len(importers)) / wi
        step = max(np.max(np.abs(a_new - a)), np.max(np.abs(b_new - b)))
        a, b = a_new, b_new
        if step < _FIT_TOLERANCE:
            break
    labels = _components(e, i, len(exporters), len(importers))
    for label in np.unique(labels):
        in_a, in_b = labels[: len(exporters)] == label, labels[len(exporters):] == label
        if in_a.any() and in_b.any():
            shift = (b[in_b].min() - a[in_a].min()) / 2
            a[in_a] += shift
            b[in_b] -= shift
    return pd.Series(a, index=exporters, dtype="float64"), pd.Series(b, index=importers, dtype="float64")


def _reliability_table(reporters: pd.DataFrame, mirror_pairs: pd.DataFrame, min_pairs: int, sigma_floor: float) -> pd.DataFrame:
    a, b = fit_reporter_effects(mirror_pairs)
    counts = {"X": mirror_pairs.groupby("exporter")["n"].sum(), "M": mirror_pairs.groupby("importer")["n"].sum()}
    effects = {"X": a, "M": b}
    rows = []
    for (reporter, flow) in reporters[["reporter", "flow"]].itertuples(index=False):
        n = int(counts[flow].get(reporter, 0))
        effect = effects[flow].get(reporter, float("nan"))
        rows.append({"reporter": reporter, "flow": flow, "n_pairs": n, "effect": float(effect)})
    table = pd.DataFrame(rows, columns=["reporter", "flow", "n_pairs", "effect"])
    own = table["n_pairs"] >= int(min_pairs)
    table["sigma"] = table["effect"].clip(lower=float(sigma_floor)).where(own)
    medians = table[own].groupby("flow")["sigma"].median()
    fallback = table["flow"].map(medians)
    table["reliability_source"] = np.where(own, "own", np.where(fallback.notna(), "median", "default"))
    table["sigma"] = table["sigma"].fillna(fallback).fillna(DEFAULT_SIGMA).astype("float64")
    table["n_pairs"] = table["n_pairs"].astype("Int64")
    return table[RELIABILITY_COLUMNS].sort_values(["reporter", "flow"]).reset_index(drop=True)


def _choose_sql(groups: str, reliability: str, discrepancy_threshold: float) -> str:
    thr, p = float(discrepancy_threshold), int(WEIGHT_POWER)
    exporter_taken = ", ".join(f"'{r}'" for r in _EXPORTER_TAKEN)
    importer_taken = ", ".join(f"'{r}'" for r in _IMPORTER_TAKEN)
    return f"""
WITH fallback AS (
    -- A reporter missing from a given reliability table gets its direction's median σ.
    SELECT coalesce((SELECT median(sigma) FROM {reliability} WHERE flow = 'X'), {DEFAULT_SIGMA!r}) AS sx,
           coalesce((SELECT median(sigma) FROM {reliability} WHERE flow = 'M'), {DEFAULT_SIGMA!r}) AS sm
), w AS (
    SELECT g.*,
           pow(coalesce(rx.sigma, f.sx), -{p}) / (pow(coalesce(rx.sigma, f.sx), -{p}) + pow(coalesce(rm.sigma, f.sm), -{p})) AS w_rel
    FROM {groups} AS g
    CROSS JOIN fallback AS f
    LEFT JOIN (SELECT reporter, sigma FROM {reliability} WHERE flow = 'X') AS rx ON rx.reporter = g.exporter
    LEFT JOIN (SELECT reporter, sigma FROM {reliability} WHERE flow = 'M') AS rm ON rm.reporter = g.importer
), r AS (
    SELECT *,
           CASE WHEN NOT imp_reports THEN 'exporter_only'
                WHEN NOT exp_reports THEN 'importer_only_fob_adjusted'
                WHEN x_g > 0 AND m_g = 0 THEN CASE WHEN w_rel >= 0.5 THEN 'both_unmatched_exporter' ELSE 'both_unmatched_zero' END
                WHEN m_g > 0 AND x_g = 0 THEN CASE WHEN w_rel < 0.5 THEN 'both_unmatched_importer' ELSE 'both_unmatched_zero' END
                WHEN m_g > {thr!r} * x_g OR x_g > {thr!r} * m_g
                    THEN CASE WHEN w_rel >= 0.5 THEN 'both_discrepant_exporter' ELSE 'both_discrepant_importer' END
                ELSE 'both_weighted' END AS recon_rule
    FROM w
), e AS (
    SELECT *,
           CASE WHEN recon_rule IN ({exporter_taken}) THEN 1.0
                WHEN recon_rule IN ({importer_taken}) THEN 0.0
                WHEN recon_rule = 'both_unmatched_zero' THEN CASE WHEN x_g = 0 THEN 1.0 ELSE 0.0 END
                ELSE w_rel END AS exporter_weight
    FROM r
)
SELECT year, exporter, importer, recon_group, x_g, m_g, recon_rule, exporter_weight,
       CASE WHEN exporter_weight = 1.0 THEN x_g
            WHEN exporter_weight = 0.0 THEN m_g
            -- Invariant: between (or on) the two FOB totals; clip floating-point overshoot.
            ELSE least(greatest(exporter_weight * x_g + (1.0 - exporter_weight) * m_g, least(x_g, m_g)),
                       greatest(x_g, m_g)) END AS value_g
FROM e
"""


def _lines_sql(priced: str, chosen: str, digits: int) -> str:
    exp_fob, imp_fob = "p.value_exporter_fob_usd", "p.value_importer_fob_usd"
    w = "c.exporter_weight"
    take_exp_qty = f"(p.exp_qty IS NOT NULL AND ({w} >= 0.5 OR p.imp_qty IS NULL))"
    take_exp_kg = f"(p.exp_net_kg IS NOT NULL AND ({w} >= 0.5 OR p.imp_net_kg IS NULL))"
    return f"""
SELECT p.year, p.exporter, p.importer, p.hs6,
       CASE WHEN {w} = 1.0 THEN coalesce({exp_fob}, 0.0)
            WHEN {w} = 0.0 THEN coalesce({imp_fob}, 0.0)
            WHEN c.value_g = 0 THEN 0.0
            -- Shares of both sides, weighted like the totals: they sum to 1, so the group value is conserved.
            ELSE c.value_g * ({w} * coalesce({exp_fob}, 0.0) / c.x_g
                              + (1.0 - {w}) * coalesce({imp_fob}, 0.0) / c.m_g) END AS value_usd,
       {exp_fob}, p.value_importer_cif_usd, {imp_fob},
       p.imp_fob_declared_usd AS value_importer_fob_declared_usd,
       c.recon_rule, c.recon_group, {w} AS exporter_weight,
       CASE WHEN {take_exp_qty} THEN p.exp_qty ELSE p.imp_qty END AS qty,
       CASE WHEN {take_exp_qty} THEN p.exp_qty_unit WHEN p.imp_qty IS NOT NULL THEN p.imp_qty_unit END AS qty_unit,
       CASE WHEN {take_exp_kg} THEN p.exp_net_kg ELSE p.imp_net_kg END AS net_kg,
       CASE WHEN {take_exp_qty} THEN p.exp_qty_estimated WHEN p.imp_qty IS NOT NULL THEN p.imp_qty_estimated END AS qty_estimated,
       {_vintage_text(_vintage_mask('p.exp_hs_vintage') + ' | ' + _vintage_mask('p.imp_hs_vintage'))} AS hs_vintage,
       -- The smallest conversion weight among the sides that contribute to the value; a line whose value
       -- comes from neither side (reconciled to 0: the group's more reliable side did not declare it) keeps
       -- the weight of the declared line(s), so every row says how its code was converted.
       coalesce(least(CASE WHEN {exp_fob} IS NOT NULL AND {w} > 0 THEN p.exp_conversion_weight END,
                      CASE WHEN {imp_fob} IS NOT NULL AND {w} < 1 THEN p.imp_conversion_weight END),
                least(p.exp_conversion_weight, p.imp_conversion_weight)) AS conversion_weight,
       p.cif_fob_ratio
FROM {priced} AS p
JOIN {chosen} AS c
  ON c.year = p.year AND c.exporter = p.exporter AND c.importer = p.importer AND c.recon_group = {_group_expr(digits).replace('hs6', 'p.hs6')}
ORDER BY p.year, p.exporter, p.importer, p.hs6
"""


def reconcile_in_duckdb(
    con: duckdb.DuckDBPyConnection,
    source: str,
    *,
    cif_fob: str = "flat",
    reliability: str | None = None,
    recon_digits: int = DEFAULT_RECON_DIGITS,
    flat_cif_fob_ratio: float = FLAT_CIF_FOB_RATIO,
    cif_fob_cap: float = CIF_FOB_CAP,
    min_cif_fob_pairs: int = MIN_CIF_FOB_PAIRS,
    min_flow_usd: float = MIN_FLOW_USD,
    discrepancy_threshold: float = DISCREPANCY_THRESHOLD,
    min_pairs: int = MIN_PAIRS,
) -> duckdb.DuckDBPyRelation:
    """`trade_flows` as a DuckDB relation, from `source` (a table or view of reporter-side records with
    `INPUT_COLUMNS` + `value_basis`, already validated) on `con`.

    Creates temporary tables rc_pairs, rc_priced (a view with the flat CIF/FOB ratio), rc_groups,
    rc_reliability (unless `reliability` names a table with reporter, flow, sigma) and rc_chosen (one row per
    reconciliation group); the returned relation selects `TRADE_FLOWS_COLUMNS` sorted by the keys. The module
    docstring states the method.
    """
    priced_sql = _priced_sql("rc_pairs", cif_fob, flat_cif_fob_ratio, cif_fob_cap, min_cif_fob_pairs, min_flow_usd)
    con.execute(f"CREATE OR REPLACE TEMP TABLE rc_pairs AS {_pairs_sql(source)}")
    # With the flat ratio, pricing is a projection of rc_pairs: a view, not a second copy of every line.
    con.execute(f"CREATE OR REPLACE TEMP {'VIEW' if cif_fob == 'flat' else 'TABLE'} rc_priced AS {priced_sql}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE rc_groups AS {_groups_sql('rc_priced', recon_digits)}")
    if reliability is None:
        mirror = con.sql(_mirror_pairs_sql("rc_groups", min_flow_usd, discrepancy_threshold)).df()
        reporters = con.sql(_reporters_sql("rc_groups")).df()
        table = _reliability_table(reporters, mirror, min_pairs, SIGMA_FLOOR)
        con.register("rc_reliability_frame", pa.Table.from_pandas(table, preserve_index=False))
        con.execute("CREATE OR REPLACE TEMP TABLE rc_reliability AS SELECT * FROM rc_reliability_frame")
        con.unregister("rc_reliability_frame")
        reliability = "rc_reliability"
    con.execute(f"CREATE OR REPLACE TEMP TABLE rc_chosen AS {_choose_sql('rc_groups', reliability, discrepancy_threshold)}")
    return con.sql(_lines_sql("rc_priced", "rc_chosen", recon_digits))


# DuckDB expressions may also give 32-bit integers; the outputs are Int64 all the same.
_ARROW_TO_PANDAS = {**ARROW_TO_PANDAS, pa.int32(): pd.Int64Dtype()}


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
    """Both declarations of each line side by side (one group-by and one full outer join).

    In: reporter-side records (`INPUT_COLUMNS`; X = reporter exports to partner, M = reporter imports
    from partner). Several records per key (e.g. from split HS conversions) are summed first.
    Out: `PAIR_COLUMNS` — keys year, exporter, importer, hs6; value_exporter_fob_usd (the exporter's X
    report, null if none), value_importer_cif_usd (the importer's CIF-valued M report, null if none),
    imp_fob_declared_usd (its imports declared FOB), and per side (exp_/imp_) qty (null unless every record
    has one in one unit), qty_unit, net_kg, qty_estimated, hs_vintage ("H3|H4" when records differ),
    conversion_weight (value-weighted). Sorted by the keys.
    """
    with duckdb.connect() as con:
        con.register("flows", _typed_input(flows))
        return _to_pandas(con.sql(_pairs_sql("flows") + " ORDER BY year, exporter, importer, hs6"), PAIR_COLUMNS)


def estimate_cif_fob_ratios(
    pairs: pd.DataFrame,
    method: str = "flat",
    *,
    flat_ratio: float = FLAT_CIF_FOB_RATIO,
    cap: float = CIF_FOB_CAP,
    min_cif_fob_pairs: int = MIN_CIF_FOB_PAIRS,
    min_flow_usd: float = MIN_FLOW_USD,
) -> pd.DataFrame:
    """CIF/FOB ratio for every line the importer declares CIF, and the importer's FOB value.

    In: `pair_reports` output; method "flat" or "chapter_median" (see module doc) and its settings.
    Out: `PRICED_COLUMNS` = pairs' columns + cif_fob_ratio (null where the importer declares no CIF value),
    cif_fob_source ("flat", "chapter_median", "chapter_median_capped"; null likewise), value_importer_fob_usd
    (CIF / ratio, plus the imports declared FOB as they are). Sorted by the keys.
    """
    sql = _priced_sql("pairs", method, flat_ratio, cap, min_cif_fob_pairs, min_flow_usd)
    with duckdb.connect() as con:
        con.register("pairs", _to_arrow(pairs.reset_index(drop=True), PAIR_COLUMNS))
        return _to_pandas(con.sql(sql + " ORDER BY year, exporter, importer, hs6"), PRICED_COLUMNS)


def estimate_reliability(
    priced: pd.DataFrame,
    *,
    recon_digits: int = DEFAULT_RECON_DIGITS,
    min_pairs: int = MIN_PAIRS,
    sigma_floor: float = SIGMA_FLOOR,
    min_flow_usd: float = MIN_FLOW_USD,
    discrepancy_threshold: float = DISCREPANCY_THRESHOLD,
) -> pd.DataFrame:
    """Each reporter's exporter or importer effect of the mirror discrepancy and the σ used as its weight.

    In: lines with year, exporter, importer, hs6, value_exporter_fob_usd and value_importer_fob_usd (CIF
    already brought to FOB), e.g. `estimate_cif_fob_ratios` output. The lines are summed to reconciliation
    groups (`recon_digits`); groups of pairs both sides report, both totals ≥ `min_flow_usd`, are the
    observations. Out: `RELIABILITY_COLUMNS` — one row per reporter and direction it reports (X, M): n_pairs
    (its observations), effect (the fitted fixed effect, NaN without observations), sigma (effect floored at
    `sigma_floor`; the direction's median σ of reporters with ≥ `min_pairs` observations when it has fewer,
    else 1.0), reliability_source ("own", "median", "default"). Sorted by reporter, flow.
    """
    columns = ["year", "exporter", "importer", "hs6", "value_exporter_fob_usd", "value_importer_fob_usd"]
    with duckdb.connect() as con:
        con.register("priced", _to_arrow(priced, columns))
        con.execute(f"CREATE TEMP TABLE groups AS {_groups_sql('priced', recon_digits)}")
        mirror = con.sql(_mirror_pairs_sql("groups", min_flow_usd, discrepancy_threshold)).df()
        reporters = con.sql(_reporters_sql("groups")).df()
    return _reliability_table(reporters, mirror, min_pairs, sigma_floor)


def reconcile_mirror_flows(
    flows: pd.DataFrame,
    cif_fob: str = "flat",
    reliability: pd.DataFrame | None = None,
    *,
    recon_digits: int = DEFAULT_RECON_DIGITS,
    flat_cif_fob_ratio: float = FLAT_CIF_FOB_RATIO,
    cif_fob_cap: float = CIF_FOB_CAP,
    min_cif_fob_pairs: int = MIN_CIF_FOB_PAIRS,
    min_flow_usd: float = MIN_FLOW_USD,
    discrepancy_threshold: float = DISCREPANCY_THRESHOLD,
    min_pairs: int = MIN_PAIRS,
) -> pd.DataFrame:
    """`trade_flows`: one reconciled FOB value per year, exporter, importer and hs6 (see module doc).

    In: cleaned reporter-side records (`INPUT_COLUMNS`: year, reporter, partner (ISO3, never equal), flow X/M,
    hs6 (H0), value_usd, qty, qty_unit, net_kg, qty_estimated, hs_vintage H0..H6, conversion_weight;
    optionally value_basis); the CIF→FOB method ("flat" or "chapter_median") and the settings; optionally a
    reliability table (reporter, flow, sigma — e.g. `estimate_reliability` on a whole year when `flows` is a
    subset), by default estimated from `flows`. Out: `TRADE_FLOWS_COLUMNS` — keys; value_usd (reconciled;
    summed over a reconciliation group it lies between the group's two FOB totals); the declared line values
    value_exporter_fob_usd, value_importer_cif_usd, value_importer_fob_usd (CIF / cif_fob_ratio + the part
    declared FOB), value_importer_fob_declared_usd (null when that side has no such line); recon_rule
    (`RECON_RULES`); recon_group (the HS prefix, or TOTAL, the values were reconciled at); exporter_weight
    (0..1); qty, qty_unit, net_kg, qty_estimated (from the side weighted ≥ 0.5, else the other); hs_vintage
    (both sides' vintages); conversion_weight (smallest of the contributing sides); cif_fob_ratio. Sorted by
    year, exporter, importer, hs6.
    """
    with duckdb.connect() as con:
        con.register("flows", _typed_input(flows))
        given = None
        if reliability is not None:
            con.register("given_reliability", _to_arrow(reliability, ["reporter", "flow", "sigma"]))
            given = "given_reliability"
        relation = reconcile_in_duckdb(
            con, "flows", cif_fob=cif_fob, reliability=given, recon_digits=recon_digits,
            flat_cif_fob_ratio=flat_cif_fob_ratio, cif_fob_cap=cif_fob_cap, min_cif_fob_pairs=min_cif_fob_pairs,
            min_flow_usd=min_flow_usd, discrepancy_threshold=discrepancy_threshold, min_pairs=min_pairs,
        )
        return _to_pandas(relation, TRADE_FLOWS_COLUMNS)
