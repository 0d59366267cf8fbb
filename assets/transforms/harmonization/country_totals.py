"""Each country's total merchandise exports and imports in a year, from TOTAL declarations: the `country_totals` asset's logic.

Belongs here: the rule that picks a country's total (its own TOTAL/World declaration, else the mirror of its
partners' TOTAL declarations naming it), as DuckDB SQL over `comtrade_totals` (`country_totals_sql`, what the
asset runs on the year's Parquet file) and its frame form (`country_totals_from_comtrade`, same SQL, for tests
and small tables). Not here: how the indicators use the totals (indicators/trade_shares.py), the CIF/FOB
ratio itself (reconciliation.py owns FLAT_CIF_FOB_RATIO).

The rule (docs/methods.md, "Country totals"), per year, country and flow (X exports, M imports):
- reported: the country's own row with cmd_code TOTAL and partner World, less any TOTAL row it declares with
  itself as partner (self-trade, e.g. China's imports from China); re-exports/re-imports (RX/RM) are parts of
  X/M, never added;
- else mirror: the sum of its partners' bilateral TOTAL declarations naming it — its exports are the
  partners' imports from it, its imports the partners' exports to it — never counting a declaration whose
  partner is the declarer itself;
- never a sum of HS6 or chapter lines (a partial sum is not a total).
Values: `value_usd` is FOB for both flows (exports as declared; imports declared FOB as declared, imports
declared CIF divided by the flat CIF/FOB ratio, as trade_flows does); `value_cif_usd` is the CIF value a
reporter declared for its imports (null for exports, for imports declared FOB and for mirrors).
Coverage of a mirror: `partners_declaring` partners named the country; `coverage_share` is their share of
the declarations of every reporter of the year in the same flow (their reported totals over the sum of all
reported totals), null when a declaring partner has no reported total of its own. It is a share of the
reporting world, not of the country's true trade: non-reporters are not seen at all.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pyarrow as pa

from assets.duckdb_session import duckdb_session
from assets.errors import RvcInputError
from assets.transforms.harmonization.reconciliation import FLAT_CIF_FOB_RATIO
from assets.transforms.reference.country_codes import to_iso3

COUNTRY_TOTALS_COLUMNS = [
    "year", "country", "flow", "value_usd", "value_cif_usd", "source", "partners_declaring", "coverage_share",
    "self_trade_usd",
]
SOURCES = ("reported", "mirror")
INPUT_COLUMNS = ["year", "reporter_code", "partner_code", "flow", "cmd_code", "is_world_partner", "value_usd", "cif_usd", "fob_usd"]
CODES_RELATION = "country_totals_iso3"
_DTYPES = {
    "year": "Int64", "country": "str", "flow": "str", "value_usd": "float64", "value_cif_usd": "float64",
    "source": "str", "partners_declaring": "Int64", "coverage_share": "float64", "self_trade_usd": "float64",
}


def _total_rows(relation: str) -> str:
    return f"SELECT * FROM {relation} WHERE cmd_code = 'TOTAL' AND flow IN ('X', 'M')"


def register_country_iso3(con: duckdb.DuckDBPyConnection, relation: str, country_codes: pd.DataFrame) -> None:
    """Register CODES_RELATION (code, year, iso3) for every reporter and partner code of the TOTAL rows.

    The rows are many, the distinct (code, year) pairs a few hundred: those go through `to_iso3` in pandas
    (null iso3 = World is WLD, areas n.e.s. and special codes are null). Raises RvcInputError for a code the
    country_codes table does not know.
    """
    pairs = con.execute(f"""
        SELECT DISTINCT code, year FROM (
            SELECT reporter_code AS code, year FROM ({_total_rows(relation)})
            UNION ALL SELECT partner_code AS code, year FROM ({_total_rows(relation)}))
        ORDER BY year, code""").df()
    iso3 = to_iso3(pairs["code"].astype("str"), pairs["year"].astype("int64"), country_codes) if len(pairs) else []
    table = pa.table({
        "code": pa.array(pairs["code"].astype("str").tolist(), pa.string()),
        "year": pa.array(pairs["year"].astype("int64").tolist(), pa.int64()),
        "iso3": pa.array([None if pd.isna(v) else str(v) for v in iso3], pa.string()),
    })
    con.register(CODES_RELATION, table)


def country_totals_sql(relation: str, flat_cif_fob_ratio: float = FLAT_CIF_FOB_RATIO) -> str:
    """The query giving COUNTRY_TOTALS_COLUMNS from `relation` (comtrade_totals columns INPUT_COLUMNS);
    needs CODES_RELATION (`register_country_iso3`). Sums run in a fixed order, so the bytes repeat."""
    ratio = float(flat_cif_fob_ratio)
    return f"""
WITH declarations AS (
    SELECT t.year, r.iso3 AS reporter, p.iso3 AS partner, t.flow, t.reporter_code, t.partner_code,
           coalesce(t.is_world_partner, p.iso3 = 'WLD', false) AS is_world_partner,
           -- FOB basis: exports as declared; imports declared FOB as declared, else CIF / flat ratio (IMTS 2010)
           CASE WHEN t.flow = 'X' THEN coalesce(t.fob_usd, t.value_usd)
                WHEN t.fob_usd IS NOT NULL THEN t.fob_usd  -- a declared FOB value, also beside a declared CIF
                ELSE coalesce(t.cif_usd, t.value_usd) / {ratio} END AS fob_usd,
           CASE WHEN t.flow = 'M' THEN t.cif_usd END AS cif_usd
    FROM ({_total_rows(relation)}) t
    JOIN {CODES_RELATION} r ON r.code = t.reporter_code AND r.year = t.year
    LEFT JOIN {CODES_RELATION} p ON p.code = t.partner_code AND p.year = t.year
    WHERE r.iso3 IS NOT NULL AND r.iso3 <> 'WLD'
),
world AS (
    SELECT year, reporter AS country, flow,
           sum(fob_usd ORDER BY reporter_code) AS fob_usd,
           CASE WHEN count(cif_usd) = count(*) THEN sum(cif_usd ORDER BY reporter_code) END AS cif_usd
    FROM declarations WHERE is_world_partner GROUP BY year, reporter, flow
),
self_trade AS (
    SELECT year, reporter AS country, flow,
           sum(fob_usd ORDER BY reporter_code, partner_code) AS fob_usd,
           sum(coalesce(cif_usd, 0) ORDER BY reporter_code, partner_code) AS cif_usd
    FROM declarations WHERE NOT is_world_partner AND partner = reporter GROUP BY year, reporter, flow
),
reported AS (
    SELECT w.year, w.country, w.flow,
           w.fob_usd - coalesce(s.fob_usd, 0) AS value_usd,
           w.cif_usd - coalesce(s.cif_usd, 0) AS value_cif_usd,
           'reported' AS source,
           CAST(NULL AS BIGINT) AS partners_declaring,
           CAST(NULL AS DOUBLE) AS coverage_share,
           coalesce(s.fob_usd, 0) AS self_trade_usd
    FROM world w LEFT JOIN self_trade s USING (year, country, flow)
),
reporting_world AS (
    SELECT year, flow, sum(value_usd ORDER BY country) AS value_usd FROM reported GROUP BY year, flow
),
named AS (  -- one row per partner declaring trade with the country: the country's flow is the declarer's opposite
    SELECT year, partner AS country, CASE flow WHEN 'M' THEN 'X' ELSE 'M' END AS flow, flow AS declared_flow,
           reporter AS declarer, sum(fob_usd ORDER BY reporter_code, partner_code) AS fob_usd
    FROM declarations
    WHERE NOT is_world_partner AND partner IS NOT NULL AND partner <> 'WLD' AND partner <> reporter
    GROUP BY year, partner, flow, reporter
),
mirror AS (
    SELECT n.year, n.country, n.flow,
           sum(n.fob_usd ORDER BY n.declarer) AS value_usd,
           CAST(NULL AS DOUBLE) AS value_cif_usd,
           'mirror' AS source,
           count(*) AS partners_declaring,
           CASE WHEN count(d.value_usd) = count(*) AND any_value(w.value_usd) > 0
                THEN sum(d.value_usd ORDER BY n.declarer) / any_value(w.value_usd) END AS coverage_share,
           CAST(NULL AS DOUBLE) AS self_trade_usd
    FROM named n
    LEFT JOIN reported d ON d.year = n.year AND d.country = n.declarer AND d.flow = n.declared_flow
    LEFT JOIN reporting_world w ON w.year = n.year AND w.flow = n.declared_flow
    WHERE NOT EXISTS (SELECT 1 FROM reported r WHERE r.year = n.year AND r.country = n.country AND r.flow = n.flow)
    GROUP BY n.year, n.country, n.flow
)
SELECT {", ".join(COUNTRY_TOTALS_COLUMNS)} FROM (SELECT * FROM reported UNION ALL SELECT * FROM mirror)
ORDER BY year, country, flow"""


def country_totals_table(
    con: duckdb.DuckDBPyConnection, relation: str, country_codes: pd.DataFrame, flat_cif_fob_ratio: float = FLAT_CIF_FOB_RATIO
) -> pd.DataFrame:
    """COUNTRY_TOTALS_COLUMNS for the comtrade_totals rows in `relation` (a SQL relation; the asset passes the
    year's Parquet file): a few hundred rows per year, returned as pandas with the contract dtypes."""
    register_country_iso3(con, relation, country_codes)
    frame = con.execute(country_totals_sql(relation, flat_cif_fob_ratio)).df()
    return frame.astype(_DTYPES).reset_index(drop=True)


def country_totals_from_comtrade(
    totals: pd.DataFrame, country_codes: pd.DataFrame, flat_cif_fob_ratio: float = FLAT_CIF_FOB_RATIO
) -> pd.DataFrame:
    """`comtrade_totals` as a frame (columns INPUT_COLUMNS at least) → country totals (same SQL as the asset).

    Out: COUNTRY_TOTALS_COLUMNS, one row per year, country (ISO3) and flow (X, M), sorted by them.
    """
    missing = [c for c in INPUT_COLUMNS if c not in totals.columns]
    if missing:
        raise RvcInputError(f"comtrade_totals: missing column(s) {', '.join(missing)}; expected the comtrade_totals table")
    frame = totals[INPUT_COLUMNS].reset_index(drop=True).astype(
        {"year": "int64", "reporter_code": "str", "partner_code": "str", "flow": "str", "cmd_code": "str",
         "is_world_partner": "boolean", "value_usd": "float64", "cif_usd": "float64", "fob_usd": "float64"}
    )
    with duckdb_session() as con:
        con.register("totals_frame", pa.Table.from_pandas(frame, preserve_index=False))
        return country_totals_table(con, "totals_frame", country_codes, flat_cif_fob_ratio)
