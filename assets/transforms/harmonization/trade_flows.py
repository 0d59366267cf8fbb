"""From cleaned reporter-side records to `trade_flows`: ISO3 countries, HS1992 codes, both sides reconciled.

The three steps each live in their own module (country_codes, hs_conversion, reconciliation); this one
chains them as DuckDB SQL over the year's `comtrade_clean` relation (`trade_flows_in_duckdb`: the asset runs
it over the stored Parquet file and writes the result with DuckDB, so a 10 M-row year never becomes a pandas
frame), keeps count of what each step sets aside, and returns the value-conservation check of the HS
conversion. `build_trade_flows` is the frame form (tests, small tables): it registers the frames and runs the
same SQL.

Only small tables go through pandas: the distinct (country code, year) pairs, mapped with `to_iso3` (so an
unknown code raises the same error as before), the distinct (vintage, code) pairs the conversion table does
not know (judged by hs_conversion's own rule: unchanged H0 code or an error), and the per-step and per-year
totals.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd
import pyarrow as pa

from assets.duckdb_session import duckdb_session
from assets.errors import RvcInputError
from assets.transforms.harmonization.hs_conversion import (
    CONSERVATION_ATOL_USD,
    CONSERVATION_RTOL,
    METHOD_REPORTED_H0,
    METHOD_UNCHANGED_H0,
    _unchanged_or_raise,
)
from assets.transforms.harmonization.reconciliation import TRADE_FLOWS_COLUMNS, _to_pandas, reconcile_in_duckdb
from assets.transforms.reference.country_codes import to_iso3
from assets.vocabulary import BILATERAL_FLOWS, HS_VINTAGES

STEP_NAMES = (
    "re-exports and re-imports kept out of bilateral facts",
    "partner is an area n.e.s. (not a country)",
    "reporter or partner not a country (special categories, regions)",
    "self-trade (reporter = partner) kept out of bilateral facts",
)
CONVERSION_STEP = "HS conversion to H0 (rows split by 1:n links)"
RECONCILIATION_STEP = "mirror reconciliation (one row per exporter, importer, hs6)"
GAP_COLUMNS = ["year", "value_before", "value_after", "gap", "tolerance", "conserved"]
# The comtrade_clean columns this stage reads, with the dtypes the frame form casts them to.
CLEAN_COLUMNS = {
    "year": "Int64", "reporter_code": "str", "partner_code": "str", "flow": "str", "classification": "str",
    "cmd_code": "str", "value_usd": "float64", "cif_usd": "float64", "fob_usd": "float64", "qty": "float64",
    "qty_unit": "str", "net_kg": "float64", "qty_estimated": "boolean", "partner_is_nes": "boolean",
}
# Temporary views and tables on the connection (the reconciliation adds its rc_* tables).
_JUDGED, _FACTS, _CONVERTED = "tf_judged", "tf_facts", "tf_converted"
_REPORTERS, _PARTNERS, _LOOKUP = "tf_reporter_iso3", "tf_partner_iso3", "tf_lookup"


@dataclass(frozen=True)
class TradeFlowsBuild:
    flows: pd.DataFrame
    steps: pd.DataFrame  # step, rows_removed, value_removed_usd, rows_after (+ rows_split on the conversion step)
    conversion_gap: pd.DataFrame  # years whose value changed in HS conversion (empty = conserved)


@dataclass(frozen=True)
class TradeFlowsRelation:
    """`trade_flows_in_duckdb`'s result: the flows as a DuckDB relation (sorted by the keys, not yet run),
    and the small tables computed on the way."""

    flows: duckdb.DuckDBPyRelation
    steps: pd.DataFrame
    conversion_gap: pd.DataFrame


def _register(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
    """A small frame as a temporary table."""
    con.register(f"{name}_frame", pa.Table.from_pandas(frame, preserve_index=False))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_frame")
    con.unregister(f"{name}_frame")


def _iso3_table(con: duckdb.DuckDBPyConnection, column: str, country_codes: pd.DataFrame, name: str) -> None:
    """(code, year) → iso3 for the distinct codes of `column` among the facts, mapped with `to_iso3`."""
    pairs = con.execute(f"""
        SELECT {column} AS code, year, count(*) AS n FROM {_JUDGED}
        WHERE is_fact AND NOT is_nes GROUP BY ALL ORDER BY min(_pos)""").df()
    codes = pd.Series(pairs["code"].astype("str").to_numpy(), name=column)
    iso3 = to_iso3(codes, pairs["year"].astype("int64"), country_codes, rows=pairs["n"])
    table = pd.DataFrame({"code": codes.to_numpy(), "year": pairs["year"].astype("int64").to_numpy(), "iso3": iso3.to_numpy()})
    _register(con, name, table.astype({"code": "str", "year": "int64", "iso3": "str"}))


def _check_codes(con: duckdb.DuckDBPyConnection, weights: pd.DataFrame) -> None:
    """convert_to_h0's input rules on the facts: HS vintages, 6-digit codes, every code known to its vintage's
    links (or a valid, unchanged H0 code: those are added to the lookup as unchanged_h0)."""
    vintages = [v for (v,) in con.execute(f"SELECT DISTINCT classification FROM {_FACTS}").fetchall()]
    bad_vintage = sorted({str(v) for v in vintages if v not in HS_VINTAGES})
    if bad_vintage:
        raise RvcInputError(
            f"convert_to_h0: column classification has {bad_vintage}; expected HS vintages {list(HS_VINTAGES)} "
            "(normalize the classification first)"
        )
    bad_code = [c for (c,) in con.execute(
        f"SELECT DISTINCT coalesce(cmd_code, 'nan') FROM {_FACTS} WHERE NOT coalesce(regexp_full_match(cmd_code, '[0-9]{{6}}'), FALSE)"
    ).fetchall()]
    if bad_code:
        raise RvcInputError(
            f"convert_to_h0: column cmd_code has non-6-digit codes {sorted(set(bad_code))[:20]}; "
            "only HS6 lines are converted (totals and 2/4-digit aggregates belong in comtrade_totals)"
        )
    absent = con.execute(f"""
        SELECT DISTINCT f.classification AS __v, f.cmd_code AS __c FROM {_FACTS} AS f
        WHERE f.classification <> 'H0'
          AND NOT EXISTS (SELECT 1 FROM {_LOOKUP} AS l WHERE l.from_vintage = f.classification AND l.from_code = f.cmd_code)
        ORDER BY ALL""").df().astype("str")
    if len(absent):
        _unchanged_or_raise(absent, weights, None, "classification", "cmd_code")  # raises unless all are unchanged H0 codes
        unchanged = pd.DataFrame({"from_vintage": absent["__v"], "from_code": absent["__c"], "to_code": absent["__c"],
                                  "weight": 1.0, "weight_method": METHOD_UNCHANGED_H0})
        con.register("tf_unchanged_frame", pa.Table.from_pandas(unchanged, preserve_index=False))
        con.execute(f"INSERT INTO {_LOOKUP} SELECT * FROM tf_unchanged_frame")
        con.unregister("tf_unchanged_frame")


def _check_reporter_flows(con: duckdb.DuckDBPyConnection) -> None:
    """reconciliation.validate_reporter_flows on the converted facts (flows, vintages and self-trade hold by
    construction): keys and values present, values >= 0."""
    columns = {"year": "year", "reporter": "reporter", "partner": "partner", "hs6": "cmd_code", "value_usd": "value_usd"}
    counts = con.execute(
        "SELECT " + ", ".join(f"count(*) FILTER (WHERE {c} IS NULL{' OR isnan(value_usd)' if c == 'value_usd' else ''})"
                              for c in columns.values())
        + f", count(*) FILTER (WHERE value_usd < 0) FROM {_FACTS}"
    ).fetchall()[0]
    problems = [f"column {c!r} has {n} null rows" for c, n in zip(columns, counts[:-1]) if n]
    if counts[-1]:
        problems.append(f"column 'value_usd' has {counts[-1]} negative rows")
    if problems:
        raise RvcInputError("reporter flows: " + "; ".join(problems) + ". Fix or reject those rows before reconciling.")


def _conversion_gap(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """hs_conversion.conservation_gap from per-year totals (before: year, value, abs; after: year, value)."""
    merged = before.merge(after, on="year", how="outer", suffixes=("_before", "_after")).fillna(
        {"value_before": 0.0, "value_after": 0.0, "abs": 0.0})
    result = merged[["year"]].copy()
    result["value_before"] = merged["value_before"].astype("float64")
    result["value_after"] = merged["value_after"].astype("float64")
    result["gap"] = result["value_after"] - result["value_before"]
    result["tolerance"] = CONSERVATION_ATOL_USD + CONSERVATION_RTOL * merged["abs"].astype("float64")
    result["conserved"] = result["gap"].abs() <= result["tolerance"]
    result = result.sort_values("year", kind="stable").reset_index(drop=True)
    return result[~result["conserved"]].reset_index(drop=True)[GAP_COLUMNS]


def trade_flows_in_duckdb(
    con: duckdb.DuckDBPyConnection,
    clean: str,
    weights: pd.DataFrame,
    country_codes: pd.DataFrame,
    cif_fob_method: str = "flat",
) -> TradeFlowsRelation:
    """`comtrade_clean` of one year (`clean`: a SQL relation with `CLEAN_COLUMNS` and `_pos`, the row order)
    → `trade_flows` as a DuckDB relation on `con`, with the steps table and the conversion check.

    Steps, in order: X and M only; partner not an area n.e.s.; reporter and partner → ISO3 for the record's
    year (unknown codes raise), neither unidentified nor World; no self-trade (counted with its value);
    value_basis "FOB" for an import with a declared FOB value (fob_usd given; its value_usd is then fob_usd,
    also when a CIF value is declared too), else "CIF"; HS conversion to
    H0 by `weights` exactly as hs_conversion.convert_to_h0 (H0 rows pass as "reported_h0", codes the tables
    omit but that are valid H0 codes as "unchanged_h0", values and quantities times the weight, zero weights
    left out); then reconciliation.reconcile_in_duckdb.
    """
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW {_JUDGED} AS
        SELECT CAST(year AS BIGINT) AS year, CAST(reporter_code AS VARCHAR) AS reporter_code,
               CAST(partner_code AS VARCHAR) AS partner_code, flow, classification, cmd_code,
               -- An import with a declared FOB value is valued at it (issue 12, "values as declared"), whether or not
               -- a CIF value is declared too (the USA declares both): only a CIF value is brought to FOB downstream.
               CAST(CASE WHEN flow = 'M' AND fob_usd IS NOT NULL THEN fob_usd ELSE value_usd END AS DOUBLE) AS value_usd,
               cif_usd, fob_usd, CAST(qty AS DOUBLE) AS qty, qty_unit,
               CAST(net_kg AS DOUBLE) AS net_kg, CAST(qty_estimated AS BOOLEAN) AS qty_estimated, _pos,
               coalesce(flow IN ({", ".join(f"'{f}'" for f in BILATERAL_FLOWS)}), FALSE) AS is_fact,
               coalesce(partner_is_nes, FALSE) AS is_nes
        FROM {clean}""")
    _iso3_table(con, "reporter_code", country_codes, _REPORTERS)
    _iso3_table(con, "partner_code", country_codes, _PARTNERS)
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW tf_stepped AS
        SELECT j.*, r.iso3 AS reporter, p.iso3 AS partner,
               CASE WHEN NOT j.is_fact THEN 1
                    WHEN j.is_nes THEN 2
                    WHEN r.iso3 IS NULL OR p.iso3 IS NULL OR p.iso3 = 'WLD' THEN 3
                    WHEN r.iso3 = p.iso3 THEN 4
                    ELSE 0 END AS step
        FROM {_JUDGED} AS j
        LEFT JOIN {_REPORTERS} AS r ON j.is_fact AND NOT j.is_nes AND r.code = j.reporter_code AND r.year = j.year
        LEFT JOIN {_PARTNERS} AS p ON j.is_fact AND NOT j.is_nes AND p.code = j.partner_code AND p.year = j.year""")
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW {_FACTS} AS
        SELECT year, reporter, partner, flow, classification, cmd_code, value_usd, qty, qty_unit, net_kg, qty_estimated,
               -- An import declared FOB is used as declared, never divided by CIF/FOB again.
               CASE WHEN flow = 'M' AND fob_usd IS NOT NULL THEN 'FOB' ELSE 'CIF' END AS value_basis,
               _pos
        FROM tf_stepped WHERE step = 0""")

    # Steps and the facts' value per year (the conversion's "before"), in one scan.
    counted = con.execute("""
        SELECT step, year, count(*) AS n, coalesce(fsum(value_usd), 0) AS value, coalesce(fsum(abs(value_usd)), 0) AS abs
        FROM tf_stepped GROUP BY ALL""").df()
    rows_after = int(counted["n"].sum())
    steps: list[dict] = []
    for number, name in enumerate(STEP_NAMES, start=1):
        removed = counted[counted["step"] == number]
        rows_after -= int(removed["n"].sum())
        steps.append({"step": name, "rows_removed": int(removed["n"].sum()),
                      "value_removed_usd": float(removed["value"].sum()), "rows_after": rows_after})
    before = counted[counted["step"] == 0][["year", "value", "abs"]].rename(columns={"value": "value_before"})

    lookup = weights[["from_vintage", "from_code", "to_code", "weight", "weight_method"]].astype(
        {"from_vintage": "str", "from_code": "str", "to_code": "str", "weight": "float64", "weight_method": "str"})
    _register(con, _LOOKUP, lookup[(lookup["weight"] > 0) & (lookup["from_vintage"] != "H0")])
    _check_codes(con, weights)
    _check_reporter_flows(con)
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW {_CONVERTED} AS
        SELECT f.year, f.reporter, f.partner, f.flow,
               coalesce(l.to_code, f.cmd_code) AS hs6,
               f.value_usd * coalesce(l.weight, 1.0) AS value_usd,
               f.qty * coalesce(l.weight, 1.0) AS qty, f.qty_unit,
               f.net_kg * coalesce(l.weight, 1.0) AS net_kg, f.qty_estimated,
               f.classification AS hs_vintage,
               coalesce(l.weight, 1.0) AS conversion_weight,
               coalesce(l.weight_method, '{METHOD_REPORTED_H0}') AS conversion_method,
               f.value_basis
        FROM {_FACTS} AS f
        LEFT JOIN {_LOOKUP} AS l ON l.from_vintage = f.classification AND l.from_code = f.cmd_code""")
    after = con.execute(f"""
        SELECT year, coalesce(fsum(value_usd), 0) AS value_after, count(*) AS n,
               count(*) FILTER (WHERE conversion_weight < 1) AS n_split
        FROM {_CONVERTED} GROUP BY year""").df()
    gap = _conversion_gap(before, after[["year", "value_after"]])
    converted_rows = int(after["n"].sum())
    steps.append({"step": CONVERSION_STEP, "rows_removed": 0, "value_removed_usd": 0.0,
                  "rows_after": converted_rows, "rows_split": int(after["n_split"].sum())})

    # Records sharing a key after conversion (n:1 links) are summed inside the reconciliation.
    flows = reconcile_in_duckdb(con, _CONVERTED, cif_fob=cif_fob_method)  # selects TRADE_FLOWS_COLUMNS, sorted
    pairs = int(con.execute("SELECT count(*) FROM rc_priced").fetchall()[0][0])  # one output row per paired line
    steps.append({"step": RECONCILIATION_STEP, "rows_removed": 0, "value_removed_usd": 0.0, "rows_after": pairs})
    return TradeFlowsRelation(flows=flows, steps=pd.DataFrame(steps), conversion_gap=gap)


def _typed_clean(clean: pd.DataFrame) -> pa.Table:
    missing = [c for c in CLEAN_COLUMNS if c not in clean.columns]
    if missing:
        raise RvcInputError(f"build_trade_flows: comtrade_clean lacks columns {missing}")
    frame = clean[list(CLEAN_COLUMNS)].astype(CLEAN_COLUMNS).reset_index(drop=True)
    return pa.Table.from_pandas(frame.assign(_pos=range(len(frame))), preserve_index=False)


def build_trade_flows(
    clean: pd.DataFrame, weights: pd.DataFrame, country_codes: pd.DataFrame, cif_fob_method: str = "flat"
) -> TradeFlowsBuild:
    """`comtrade_clean` of one year → `trade_flows` (see DESIGN.md), with step counts and the conversion check.

    `weights`: the `hs_conversion_weights` asset (hs_conversion.conversion_weights: pooled trade shares
    over all years, else the UN conversion), the same for every year; each row's weight and method are kept.
    The frame form of `trade_flows_in_duckdb` (same SQL).
    """
    with duckdb_session() as con:
        con.register("tf_clean_frame", _typed_clean(clean))
        built = trade_flows_in_duckdb(con, "tf_clean_frame", weights, country_codes, cif_fob_method)
        flows = _to_pandas(built.flows, TRADE_FLOWS_COLUMNS)
    return TradeFlowsBuild(flows=flows, steps=built.steps, conversion_gap=built.conversion_gap)
