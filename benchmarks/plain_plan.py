"""The plain staged DuckDB plan `make bench` compares the pipeline with: raw parse, Comtrade cleaning and
trade_flows (country codes, HS conversion, mirror reconciliation) as SQL.

What belongs here: an independent re-statement, in DuckDB SQL over Parquet, of the same steps as the pipeline's
`comtrade_raw` asset (typed like checks/raw.py) and the cleaning multi-asset (the rules of
docs/reject_reasons.md, first failing rule wins; duplicates resolved by window functions over the fact key;
split into clean / totals / rejects). What does not: any import of project code — the point is a yardstick
written the plain way, so it must not share the pipeline's implementation (or its bugs).

Each stage is one process (`python benchmarks/plain_plan.py raw|clean|trade_flows ...`), with a DuckDB
memory_limit and a spill folder, reading and writing Parquet only; it prints a JSON line of row counts.

Simplifications against the pipeline, none of which changes which table a row lands in for Comtrade+ bulk
files: one input file; no legacy-layout readers; reject messages are short (reason, field and value); the
"latest release" order is (retrieved_at, source_file, source_row) as documented, with retrieved_at null for files.

`trade_flows` restates, from docs/methods.md ("Values as declared", "HS conversion weights", "Mirror
reconciliation"), the steps of the pipeline's trade_flows asset over one year's comtrade_clean Parquet file, a
country_codes table (code, iso3, valid_from, valid_to) and an hs_conversion_weights table (from_vintage,
from_code, to_code, weight): X/M facts, partner not n.e.s., codes → ISO3 for the year, World and self-trade
out, imports with a declared FOB value valued at it, HS conversion to H0 (value × weight), the exporter's X and
the importer's M lines paired per (year, exporter, importer, hs6), reconciliation per HS chapter where both
sides report the pair (reliability weights from exporter and importer fixed effects of |ln(M/X)|, flows under
USD 10,000 left out), CIF → FOB by the flat 1.04, the chapter value distributed to the lines by both sides'
line shares, one-sided pairs as declared; written sorted by the keys, as the pipeline writes it. Its
simplifications, none of which changes the amount of work by more than a small table's worth:
- plain `sum()` over doubles where the pipeline sums exactly in DECIMAL (the pipeline says that costs about a
  plain sum); so values can differ from the pipeline's in the last bits, never in which rows exist;
- a code the country table lists only outside the year takes any of its rows (the pipeline also does, but
  raises when they disagree); a code absent from the table stops the stage, as in the pipeline;
- a code the weights do not list passes unchanged (weight 1), without the pipeline's check that it is a
  valid H0 code; only the flat CIF/FOB ratio (the pipeline's default), not `chapter_median`;
- the reporter fit (alternating weighted means over the small exporter × importer table, in numpy as in
  the pipeline) sets its free constant over all countries at once rather than per connected set (the same
  when, as in practice, all countries trade with each other);
- a side's hs_vintage lists its smallest and largest vintage (a reporter uses one vintage per year and flow);
- no steps table or conservation check as Dagster metadata: the JSON line counts the rows set aside per
  step, the rows per rule and the total value instead, and the pipeline's output validation is not redone.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import duckdb
import numpy as np

STR_FIELDS = (
    "typeCode", "freqCode", "period", "reporterCode", "reporterISO", "reporterDesc", "flowCode", "flowDesc",
    "partnerCode", "partnerISO", "partnerDesc", "partner2Code", "partner2ISO", "partner2Desc",
    "classificationCode", "classificationSearchCode", "cmdCode", "cmdDesc", "customsCode", "customsDesc",
    "mosCode", "motCode", "motDesc", "qtyUnitCode", "qtyUnitAbbr", "altQtyUnitCode", "altQtyUnitAbbr",
)
INT_FIELDS = ("refPeriodId", "refYear", "refMonth", "aggrLevel", "legacyEstimationFlag")
BOOL_FIELDS = (
    "isOriginalClassification", "isLeaf", "isQtyEstimated", "isAltQtyEstimated", "isNetWgtEstimated",
    "isGrossWgtEstimated", "isReported", "isAggregate",
)
FLOAT_FIELDS = ("qty", "altQty", "netWgt", "grossWgt", "cifvalue", "fobvalue", "primaryValue")
SOURCE_FIELDS = STR_FIELDS + INT_FIELDS + BOOL_FIELDS + FLOAT_FIELDS
NUMERIC_CODES = ("reporterCode", "partnerCode", "partner2Code", "motCode", "mosCode", "qtyUnitCode", "altQtyUnitCode")
PROVENANCE = ("source_file", "source_sha256", "source_row", "source_layout", "api_query", "retrieved_at")

REASONS = (
    "not_goods", "frequency_not_annual", "breakdown_customs", "breakdown_transport", "breakdown_partner2",
    "area_code_missing", "flow_unknown", "classification_unknown", "classification_year_mismatch",
    "cmd_code_invalid", "value_not_numeric", "value_missing", "value_negative",
    "exact_duplicate", "conflicting_duplicate_superseded",
)
NES_PARTNER_CODES = ("129", "221", "290", "471", "472", "473", "492", "527", "568", "577", "636", "637", "697",
                     "837", "838", "839", "879", "899")
QTY_UNITS = {"-1": "n/a", "1": "n/a", "2": "m2", "3": "1000kwh", "4": "m", "5": "u", "6": "2u", "7": "l",
             "8": "kg", "9": "1000u", "10": "pack", "11": "12u", "12": "m3", "13": "carat"}


def _q(name: str) -> str:
    return '"' + name + '"'


def connect(memory_limit: str, temp_dir: Path, threads: int) -> duckdb.DuckDBPyConnection:
    temp_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute(f"SET temp_directory = '{temp_dir}'")
    con.execute(f"SET threads = {threads}")
    con.execute("SET preserve_insertion_order = false")  # the plain plan does not promise row order
    return con


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def raw_stage(con: duckdb.DuckDBPyConnection, source: Path, year: int, out: Path) -> dict:
    """gz TSV → Parquet in the comtrade_raw column contract (order, types, provenance, unparsed_fields)."""
    header = con.execute(f"SELECT * FROM read_csv('{source}', delim='\t', header=true, all_varchar=true) LIMIT 0").description
    present = {column[0] for column in header}

    # Three layers, because DuckDB does not share repeated sub-expressions: text trimmed once per field; typed
    # values; then unparsed_fields from (text given, typed value missing).
    trimmed = [f"nullif(trim({_q(n)}), '') AS {_q(n)}" if n in present else f"NULL::VARCHAR AS {_q(n)}"
               for n in SOURCE_FIELDS]

    def code(name: str) -> str:  # as the raw readers write codes: "156.0" → "156", "036" → "36" (regex only when needed)
        return (f"CASE WHEN {_q(name)} LIKE '0_%' OR {_q(name)} LIKE '-0_%' OR {_q(name)} LIKE '%.0%' THEN "
                f"regexp_replace(regexp_replace({_q(name)}, '^(-?\\d+)\\.0+$', '\\1'), '^(-?)0+(\\d)', '\\1\\2') "
                f"ELSE {_q(name)} END")

    # An odd-length HS code lost its leading zero ("30613" = "030613"); the readers pad it back (HS only).
    cmd = "CASE WHEN \"cmdCode\" LIKE '%.0%' THEN regexp_replace(\"cmdCode\", '^(-?\\d+)\\.0+$', '\\1') ELSE \"cmdCode\" END"
    hs_cmd = (f"CASE WHEN length({cmd}) % 2 = 1 AND regexp_full_match({cmd}, '\\d+') "
              f"AND (regexp_full_match(coalesce(\"classificationCode\", ''), 'H[0-9S]') OR \"classificationSearchCode\" = 'HS') "
              f"THEN '0' || {cmd} ELSE {cmd} END")
    casts = [(n, "BIGINT") for n in INT_FIELDS] + [(n, "BOOLEAN") for n in BOOL_FIELDS] + [(n, "DOUBLE") for n in FLOAT_FIELDS]
    typed = [f"{code(n) if n in NUMERIC_CODES else hs_cmd if n == 'cmdCode' else _q(n)} AS {_q(n)}" for n in STR_FIELDS]
    typed += [f"TRY_CAST({_q(n)} AS {t}) AS {_q(n)}, {_q(n)} AS {_q('text_' + n)}" for n, t in casts]
    unparsed = ", ".join(f"CASE WHEN {_q('text_' + n)} IS NOT NULL AND {_q(n)} IS NULL "
                         f"THEN '\"{n}\": ' || to_json({_q('text_' + n)}) END" for n, _ in casts)
    extra = sorted(present - set(SOURCE_FIELDS))
    extra_json = ", ".join(f"CASE WHEN nullif(trim({_q(n)}), '') IS NOT NULL THEN '\"{n}\": ' || to_json(trim({_q(n)})) END"
                           for n in extra)
    sha = file_sha256(source)
    query = f"""
    SELECT {', '.join(_q(n) for n in SOURCE_FIELDS)},
           '{source.name}' AS source_file, '{sha}' AS source_sha256, source_row, 'plus_bulk' AS source_layout,
           NULL::VARCHAR AS api_query, NULL::VARCHAR AS retrieved_at,
           nullif('{{' || concat_ws(', ', {unparsed}) || '}}', '{{}}') AS unparsed_fields, extra_fields
    FROM (
      SELECT source_row, extra_fields, {', '.join(typed)}
      FROM (
        SELECT source_row, {', '.join(trimmed)},
               {f"nullif('{{' || concat_ws(', ', {extra_json}) || '}}', '{{}}')" if extra else 'NULL::VARCHAR'} AS extra_fields
        FROM (SELECT row_number() OVER () AS source_row, *  -- a streaming window: numbers rows in file order
              FROM read_csv('{source}', delim='\t', header=true, all_varchar=true, quote='', escape=''))
      )
      WHERE TRY_CAST("refYear" AS BIGINT) = {year}
    )
    """
    con.execute(f"COPY ({query}) TO '{out}' (FORMAT parquet, COMPRESSION zstd)")
    rows = con.execute(f"SELECT count(*) FROM read_parquet('{out}')").fetchone()[0]
    return {"raw": rows}


# HS vintage of a classificationCode: H0..H6 and year labels (HS1992, HS92, H92, HS 2017), else NULL.
VINTAGE = """CASE
  WHEN regexp_full_match(upper(replace(coalesce("classificationCode", ''), ' ', '')), 'H[0-6]')
    THEN upper(replace("classificationCode", ' ', ''))
  ELSE CASE regexp_extract(upper(replace(coalesce("classificationCode", ''), ' ', '')), '^HS?(\\d{2}|\\d{4})$', 1)
    WHEN '88' THEN 'H0' WHEN '1988' THEN 'H0' WHEN '92' THEN 'H0' WHEN '1992' THEN 'H0'
    WHEN '96' THEN 'H1' WHEN '1996' THEN 'H1' WHEN '02' THEN 'H2' WHEN '2002' THEN 'H2'
    WHEN '07' THEN 'H3' WHEN '2007' THEN 'H3' WHEN '12' THEN 'H4' WHEN '2012' THEN 'H4'
    WHEN '17' THEN 'H5' WHEN '2017' THEN 'H5' WHEN '22' THEN 'H6' WHEN '2022' THEN 'H6' END
END"""
ENTRY_YEAR = "CASE vintage WHEN 'H0' THEN 1988 WHEN 'H1' THEN 1996 WHEN 'H2' THEN 2002 WHEN 'H3' THEN 2007 " \
             "WHEN 'H4' THEN 2012 WHEN 'H5' THEN 2017 WHEN 'H6' THEN 2022 END"


def _given_and_not(column: str, total: str) -> str:
    return f"(trim({_q(column)}) <> '' AND trim({_q(column)}) <> '{total}')"


# The row rules of docs/reject_reasons.md in order: the first that fails names the reason.
RULE_REASON = f"""CASE
  WHEN "typeCode" IS NOT NULL AND upper(trim("typeCode")) <> 'C' THEN 'not_goods'
  WHEN ("freqCode" IS NOT NULL AND upper(trim("freqCode")) <> 'A')
    OR ("freqCode" IS NULL AND "period" IS NOT NULL AND NOT regexp_full_match("period", '\\d{{4}}')) THEN 'frequency_not_annual'
  WHEN {_given_and_not('customsCode', 'C00')} THEN 'breakdown_customs'
  WHEN {_given_and_not('motCode', '0')} OR {_given_and_not('mosCode', '0')} THEN 'breakdown_transport'
  WHEN {_given_and_not('partner2Code', '0')} THEN 'breakdown_partner2'
  WHEN coalesce("reporterCode", '') = '' OR coalesce("partnerCode", '') = '' THEN 'area_code_missing'
  WHEN "flowCode" IS NULL OR "flowCode" NOT IN ('X', 'M', 'RX', 'RM') THEN 'flow_unknown'
  WHEN vintage IS NULL THEN 'classification_unknown'
  WHEN "refYear" < {ENTRY_YEAR} THEN 'classification_year_mismatch'
  WHEN NOT regexp_full_match(coalesce("cmdCode", ''), 'TOTAL|\\d{{2}}|\\d{{4}}|\\d{{6}}') THEN 'cmd_code_invalid'
  WHEN "primaryValue" IS NULL AND contains(coalesce(unparsed_fields, ''), '"primaryValue"') THEN 'value_not_numeric'
  WHEN "primaryValue" IS NULL THEN 'value_missing'
  WHEN "primaryValue" < 0 THEN 'value_negative'
END"""
FACT_KEY = ('"refYear"', '"reporterCode"', '"partnerCode"', '"flowCode"', "vintage", '"cmdCode"')
LATEST_FIRST = "retrieved_at DESC NULLS LAST, source_file DESC, source_row DESC"


def clean_stage(con: duckdb.DuckDBPyConnection, raw: Path, out_dir: Path) -> dict:
    """comtrade_raw Parquet → comtrade_clean, comtrade_totals, comtrade_rejects Parquet."""
    source_hash = "hash(" + ", ".join(_q(n) for n in SOURCE_FIELDS) + ")"
    con.execute(f"CREATE TEMP VIEW judged AS SELECT *, {RULE_REASON} AS rule_reason "
                f"FROM (SELECT *, {VINTAGE} AS vintage FROM read_parquet('{raw}'))")
    # Duplicates among rows that pass every row rule: a row is an exact duplicate when a later row of its key
    # has the same source fields; else superseded when any later row of its key exists.
    con.execute(f"""
    CREATE TEMP TABLE duplicates AS
    SELECT source_file, source_row,
           CASE WHEN copy_rank > 1 THEN 'exact_duplicate' ELSE 'conflicting_duplicate_superseded' END AS dup_reason
    FROM (
      SELECT source_file, source_row,
             row_number() OVER (PARTITION BY {', '.join(FACT_KEY)}, fields ORDER BY {LATEST_FIRST}) AS copy_rank,
             row_number() OVER (PARTITION BY {', '.join(FACT_KEY)} ORDER BY {LATEST_FIRST}) AS key_rank
      FROM (SELECT {', '.join(FACT_KEY)}, source_file, source_row, retrieved_at, {source_hash} AS fields
            FROM judged WHERE rule_reason IS NULL)
    ) WHERE key_rank > 1""")
    con.execute("""
    CREATE TEMP TABLE releases AS
    SELECT retrieved_at, source_file, dense_rank() OVER (ORDER BY retrieved_at DESC NULLS LAST, source_file DESC) AS release_rank
    FROM (SELECT DISTINCT retrieved_at, source_file FROM read_parquet(?))""", [str(raw)])
    con.execute("""
    CREATE TEMP VIEW routed AS
    SELECT j.*, coalesce(j.rule_reason, d.dup_reason) AS reason,
           CASE WHEN "cmdCode" = 'TOTAL' THEN 0 ELSE length("cmdCode") END AS aggregate_level,
           ("partnerCode" = '0' OR upper(trim(coalesce("partnerISO", ''))) IN ('WLD', 'W00')) AS is_world_partner
    FROM judged j LEFT JOIN duplicates d USING (source_file, source_row)""")
    # Bulk files always carry a unit code; an empty one (other layouts) reads as n/a here.
    qty_unit = "CASE WHEN \"qtyUnitCode\" IS NULL THEN 'n/a' ELSE CASE trim(\"qtyUnitCode\") " + \
        " ".join(f"WHEN '{c}' THEN '{u}'" for c, u in QTY_UNITS.items()) + " ELSE 'unknown' END END"
    facts = f"""
    SELECT r."refYear" AS year, "reporterCode" AS reporter_code, upper(trim("reporterISO")) AS reporter_iso,
           "partnerCode" AS partner_code, upper(trim("partnerISO")) AS partner_iso, "flowCode" AS flow,
           vintage AS classification, "cmdCode" AS cmd_code, aggregate_level,
           "primaryValue" AS value_usd,
           coalesce("cifvalue", CASE WHEN "flowCode" IN ('M', 'RM') THEN "primaryValue" END) AS cif_usd,
           coalesce("fobvalue", CASE WHEN "flowCode" IN ('X', 'RX') THEN "primaryValue" END) AS fob_usd,
           nullif("qty", 0) AS qty, {qty_unit} AS qty_unit, "qtyUnitCode" AS qty_unit_code,
           nullif("netWgt", 0) AS net_kg,
           coalesce("isQtyEstimated", "legacyEstimationFlag" IN (2, 6)) AS qty_estimated,
           coalesce("isNetWgtEstimated", "legacyEstimationFlag" IN (4, 6)) AS net_kg_estimated,
           coalesce("qty" = 0, false) AS qty_zero_to_missing, coalesce("netWgt" = 0, false) AS net_kg_zero_to_missing,
           "partnerCode" IN {NES_PARTNER_CODES} AS partner_is_nes, is_world_partner, rel.release_rank,
           r.source_file, source_sha256, source_row, source_layout, api_query, r.retrieved_at
    FROM routed r LEFT JOIN releases rel ON rel.source_file = r.source_file
                                        AND rel.retrieved_at IS NOT DISTINCT FROM r.retrieved_at
    """
    outputs = {
        "clean": f"{facts} WHERE reason IS NULL AND aggregate_level = 6 AND NOT is_world_partner",
        "totals": f"{facts} WHERE reason IS NULL AND (aggregate_level < 6 OR is_world_partner)",
        "rejects": f"""SELECT {', '.join(_q(n) for n in SOURCE_FIELDS + PROVENANCE)}, unparsed_fields, extra_fields,
                       reason, reason || ': ' || CASE
                         WHEN reason LIKE 'breakdown%' THEN concat_ws(' / ', "customsCode", "motCode", "mosCode", "partner2Code")
                         WHEN reason LIKE 'value%' THEN coalesce("primaryValue"::VARCHAR, unparsed_fields, '<empty>')
                         WHEN reason LIKE 'class%' THEN coalesce("classificationCode", '<empty>') || ' in ' || "refYear"
                         ELSE concat_ws(' / ', "typeCode", "freqCode", "reporterCode", "partnerCode", "flowCode", "cmdCode")
                       END AS message
                       FROM routed WHERE reason IS NOT NULL""",
    }
    counts = {}
    for name, query in outputs.items():
        path = out_dir / f"comtrade_{name}.parquet"
        con.execute(f"COPY ({query}) TO '{path}' (FORMAT parquet, COMPRESSION zstd)")
        counts[name] = con.execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchone()[0]
    counts["reasons"] = dict(con.execute(
        f"SELECT reason, count(*) FROM read_parquet('{out_dir / 'comtrade_rejects.parquet'}') GROUP BY reason ORDER BY reason"
    ).fetchall())
    return counts

# --------------------------------------------------------------------------------------------------
# trade_flows: comtrade_clean → ISO3, H0, reconciled mirror flows (docs/methods.md)
# --------------------------------------------------------------------------------------------------

FLAT_CIF_FOB = 1.04  # docs/methods.md, "Mirror reconciliation" 4: the flat CIF/FOB ratio
MIN_FLOW_USD = 10_000.0  # groups below this on either side do not inform reliability (BACI)
DISCREPANCY_FACTOR = 10.0  # group totals further apart than this: the more reliable side's lines as declared
MIN_OBSERVATIONS = 20  # a reporter with fewer observations in a direction gets that direction's median σ
SIGMA_FLOOR, DEFAULT_SIGMA = 0.01, 1.0
FIT_TOLERANCE, FIT_MAX_ROUNDS = 1e-13, 10_000
CLEAN_INPUT = ("year", "reporter_code", "partner_code", "flow", "classification", "cmd_code", "value_usd",
               "fob_usd", "qty", "qty_unit", "net_kg", "qty_estimated", "partner_is_nes")
CODES_INPUT = ("code", "iso3", "valid_from", "valid_to")
WEIGHTS_INPUT = ("from_vintage", "from_code", "to_code", "weight")
SET_ASIDE = ("not_x_or_m", "partner_nes", "not_a_country", "self_trade")


def require_columns(con: duckdb.DuckDBPyConnection, path: Path, columns: tuple[str, ...], what: str) -> None:
    """Stop with the file, the missing columns and what to pass instead."""
    if not path.is_file():
        raise SystemExit(f"{what}: {path} does not exist; pass the Parquet file the pipeline (or the plain clean stage) wrote.")
    present = {row[0] for row in con.execute(f"SELECT * FROM read_parquet('{path}') LIMIT 0").description}
    missing = [c for c in columns if c not in present]
    if missing:
        raise SystemExit(f"{what}: {path} lacks columns {missing}; expected at least {list(columns)}.")


def _iso3_lookup(con: duckdb.DuckDBPyConnection, clean: Path, codes: Path) -> None:
    """iso (year, code → iso3, null for n.e.s. areas, special categories and region groups) for every
    reporter and partner code of the X/M facts; a row valid in the year wins over one that is not."""
    con.execute(f"""
    CREATE TEMP TABLE iso AS
    WITH wanted AS (
      SELECT DISTINCT year, code FROM (
        SELECT year, reporter_code AS code FROM read_parquet('{clean}') WHERE flow IN ('X', 'M') AND NOT coalesce(partner_is_nes, false)
        UNION ALL
        SELECT year, partner_code FROM read_parquet('{clean}') WHERE flow IN ('X', 'M') AND NOT coalesce(partner_is_nes, false))
    )
    SELECT w.year, w.code, c.iso3, c.code IS NOT NULL AS known
    FROM wanted w LEFT JOIN read_parquet('{codes}') c ON c.code = w.code
    QUALIFY row_number() OVER (
      PARTITION BY w.year, w.code
      ORDER BY (w.year BETWEEN coalesce(c.valid_from, w.year) AND coalesce(c.valid_to, w.year)) DESC, c.iso3) = 1""")
    unknown = con.execute("SELECT code, min(year) FROM iso WHERE NOT known GROUP BY code ORDER BY code").fetchall()
    if unknown:
        listed = ", ".join(f"{code!r} ({year})" for code, year in unknown[:20])
        raise SystemExit(f"{clean}: reporter/partner code(s) {listed} are not in {codes} (column code); "
                         "pass the country_codes table of the same run.")


def _fit_effects(con: duckdb.DuckDBPyConnection) -> int:
    """Exporter effects fx(exporter, a) and importer effects fm(importer, b) of |ln(M/X)| by alternating
    value-weighted means over `cells` (exporter, importer, w, y = weighted mean |d|); returns the rounds run.
    The model fixes a + b only: the constant is set so that the smallest a equals the smallest b.

    The one step that is not SQL: an iterative fit is a loop, and the table is small (countries², not
    rows), so it is fetched as arrays and iterated in numpy, as any plain script would."""
    exporters, importers, w, y = con.execute(
        "SELECT exporter, importer, w, y FROM cells ORDER BY exporter, importer").fetchnumpy().values()
    x_names, e = np.unique(exporters.astype(str), return_inverse=True)
    m_names, i = np.unique(importers.astype(str), return_inverse=True)
    w, y = np.asarray(w, dtype="float64"), np.asarray(y, dtype="float64")
    w_e, w_i = np.bincount(e, w, len(x_names)), np.bincount(i, w, len(m_names))
    a, b, rounds = np.zeros(len(x_names)), np.zeros(len(m_names)), 0
    while rounds < FIT_MAX_ROUNDS:
        rounds += 1
        a_next = np.bincount(e, w * (y - b[i]), len(x_names)) / w_e
        b_next = np.bincount(i, w * (y - a_next[e]), len(m_names)) / w_i
        moved = max(np.abs(a_next - a).max(initial=0.0), np.abs(b_next - b).max(initial=0.0))
        a, b = a_next, b_next
        if moved < FIT_TOLERANCE:
            break
    if len(a) and len(b):
        shift = (b.min() - a.min()) / 2
        a, b = a + shift, b - shift
    con.execute("CREATE OR REPLACE TEMP TABLE fx AS SELECT unnest($1::VARCHAR[]) AS exporter, unnest($2::DOUBLE[]) AS a", [list(x_names), list(a)])
    con.execute("CREATE OR REPLACE TEMP TABLE fm AS SELECT unnest($1::VARCHAR[]) AS importer, unnest($2::DOUBLE[]) AS b", [list(m_names), list(b)])
    return rounds


def trade_flows_stage(con: duckdb.DuckDBPyConnection, clean: Path, weights: Path, codes: Path, out_dir: Path) -> dict:
    """comtrade_clean + hs_conversion_weights + country_codes Parquet → trade_flows.parquet."""
    require_columns(con, clean, CLEAN_INPUT, "trade_flows --input (comtrade_clean)")
    require_columns(con, weights, WEIGHTS_INPUT, "trade_flows --weights (hs_conversion_weights)")
    require_columns(con, codes, CODES_INPUT, "trade_flows --codes (country_codes)")
    _iso3_lookup(con, clean, codes)

    # Every clean row, with the step that sets it aside (null: a bilateral fact). Imports with a declared FOB
    # value are valued at it (value_basis FOB) and never divided by the CIF/FOB ratio.
    con.execute(f"""
    CREATE TEMP VIEW judged AS
    SELECT c.year, c.flow, c.classification, c.cmd_code, c.qty, c.qty_unit, c.net_kg, c.qty_estimated,
           CASE WHEN c.flow = 'M' AND c.fob_usd IS NOT NULL THEN c.fob_usd ELSE c.value_usd END AS value_usd,
           CASE WHEN c.flow = 'M' AND c.fob_usd IS NOT NULL THEN 'FOB' ELSE 'CIF' END AS value_basis,
           r.iso3 AS reporter, p.iso3 AS partner,
           CASE WHEN c.flow IS NULL OR c.flow NOT IN ('X', 'M') THEN 'not_x_or_m'
                WHEN coalesce(c.partner_is_nes, false) THEN 'partner_nes'
                WHEN r.iso3 IS NULL OR p.iso3 IS NULL OR 'WLD' IN (r.iso3, p.iso3) THEN 'not_a_country'
                WHEN r.iso3 = p.iso3 THEN 'self_trade' END AS set_aside
    FROM read_parquet('{clean}') c
    LEFT JOIN iso r ON r.year = c.year AND r.code = c.reporter_code
    LEFT JOIN iso p ON p.year = c.year AND p.code = c.partner_code""")
    set_aside = dict(con.execute(
        "SELECT coalesce(set_aside, 'fact'), count(*) FROM judged GROUP BY ALL ORDER BY ALL").fetchall())

    # HS conversion to H0: a code's value (and quantities) split over its H0 codes by the weights.
    con.execute(f"""
    CREATE TEMP TABLE converted AS
    SELECT j.year, CASE WHEN j.flow = 'X' THEN j.reporter ELSE j.partner END AS exporter,
           CASE WHEN j.flow = 'X' THEN j.partner ELSE j.reporter END AS importer,
           coalesce(w.to_code, j.cmd_code) AS hs6, j.flow, j.value_basis,
           j.value_usd * coalesce(w.weight, 1.0) AS value_usd, j.qty * coalesce(w.weight, 1.0) AS qty, j.qty_unit,
           j.net_kg * coalesce(w.weight, 1.0) AS net_kg, j.qty_estimated, j.classification AS hs_vintage,
           coalesce(w.weight, 1.0) AS conversion_weight
    FROM judged j
    LEFT JOIN (SELECT * FROM read_parquet('{weights}') WHERE weight > 0 AND from_vintage <> 'H0') w
      ON w.from_vintage = j.classification AND w.from_code = j.cmd_code
    WHERE j.set_aside IS NULL""")

    # One row per line and side; then the exporter's X and the importer's M lines side by side.
    same_unit = "count(qty) = count(*) AND count(qty_unit) = count(*) AND min(qty_unit) = max(qty_unit)"
    con.execute(f"""
    CREATE TEMP TABLE sides AS
    SELECT year, exporter, importer, hs6, flow,
           sum(value_usd) FILTER (WHERE value_basis = 'CIF') AS value_cif_or_fob,
           sum(value_usd) FILTER (WHERE value_basis = 'FOB') AS fob_declared,
           CASE WHEN {same_unit} THEN sum(qty) END AS qty, CASE WHEN {same_unit} THEN min(qty_unit) END AS qty_unit,
           CASE WHEN count(net_kg) = count(*) THEN sum(net_kg) END AS net_kg, bool_or(qty_estimated) AS qty_estimated,
           CASE WHEN min(hs_vintage) = max(hs_vintage) THEN min(hs_vintage)
                ELSE min(hs_vintage) || '|' || max(hs_vintage) END AS hs_vintage,
           CASE WHEN sum(value_usd) > 0 THEN sum(conversion_weight * value_usd) / sum(value_usd)
                ELSE min(conversion_weight) END AS conversion_weight
    FROM converted GROUP BY ALL""")
    con.execute(f"""
    CREATE TEMP TABLE paired AS
    SELECT year, exporter, importer, hs6,
           x.value_cif_or_fob AS value_exporter_fob_usd, m.value_cif_or_fob AS value_importer_cif_usd,
           m.fob_declared AS value_importer_fob_declared_usd,
           CASE WHEN m.value_cif_or_fob IS NOT NULL THEN {FLAT_CIF_FOB!r} END AS cif_fob_ratio,
           CASE WHEN m.value_cif_or_fob IS NOT NULL OR m.fob_declared IS NOT NULL
                THEN coalesce(m.value_cif_or_fob / {FLAT_CIF_FOB!r}, 0) + coalesce(m.fob_declared, 0) END AS value_importer_fob_usd,
           x.qty AS x_qty, x.qty_unit AS x_qty_unit, x.net_kg AS x_net_kg, x.qty_estimated AS x_qty_estimated,
           x.hs_vintage AS x_hs_vintage, x.conversion_weight AS x_conversion_weight,
           m.qty AS m_qty, m.qty_unit AS m_qty_unit, m.net_kg AS m_net_kg, m.qty_estimated AS m_qty_estimated,
           m.hs_vintage AS m_hs_vintage, m.conversion_weight AS m_conversion_weight
    FROM (SELECT * FROM sides WHERE flow = 'X') x
    FULL OUTER JOIN (SELECT * FROM sides WHERE flow = 'M') m USING (year, exporter, importer, hs6)""")

    # Chapter totals of both sides, and whether each side reports the pair at all (any line, any chapter).
    con.execute("""
    CREATE TEMP TABLE chapters AS
    SELECT *, bool_or(x_declares) OVER pair AS exporter_reports, bool_or(m_declares) OVER pair AS importer_reports
    FROM (SELECT year, exporter, importer, left(hs6, 2) AS chapter,
                 coalesce(sum(value_exporter_fob_usd), 0) AS x_g, coalesce(sum(value_importer_fob_usd), 0) AS m_g,
                 count(value_exporter_fob_usd) > 0 AS x_declares, count(value_importer_fob_usd) > 0 AS m_declares
          FROM paired GROUP BY ALL)
    WINDOW pair AS (PARTITION BY year, exporter, importer)""")

    # Reliability (BACI): d = |ln(M/X)| capped at ln 10 on chapters both sides declare, both ≥ USD 10,000,
    # value-weighted; exporter and importer fixed effects; σ = max(effect, 0.01).
    con.execute(f"""
    CREATE TEMP TABLE cells AS
    SELECT exporter, importer, count(*) AS n, sum(w) AS w, sum(w * d) / sum(w) AS y
    FROM (SELECT exporter, importer, (x_g + m_g) / 2 AS w, least(abs(ln(m_g / x_g)), ln({DISCREPANCY_FACTOR!r})) AS d
          FROM chapters
          WHERE exporter_reports AND importer_reports AND x_g >= {MIN_FLOW_USD!r} AND m_g >= {MIN_FLOW_USD!r})
    GROUP BY ALL""")
    rounds = _fit_effects(con)
    con.execute(f"""
    CREATE TEMP TABLE sigma AS
    WITH reporters AS (
      SELECT DISTINCT exporter AS reporter, 'X' AS flow FROM chapters WHERE x_declares
      UNION SELECT DISTINCT importer, 'M' FROM chapters WHERE m_declares
    ), observed AS (
      SELECT exporter AS reporter, 'X' AS flow, sum(n) AS n FROM cells GROUP BY ALL
      UNION ALL SELECT importer, 'M', sum(n) FROM cells GROUP BY ALL
    ), own AS (
      SELECT r.reporter, r.flow,
             CASE WHEN coalesce(o.n, 0) >= {MIN_OBSERVATIONS} THEN greatest(coalesce(fx.a, fm.b), {SIGMA_FLOOR!r}) END AS sigma
      FROM reporters r
      LEFT JOIN observed o USING (reporter, flow)
      LEFT JOIN fx ON r.flow = 'X' AND fx.exporter = r.reporter
      LEFT JOIN fm ON r.flow = 'M' AND fm.importer = r.reporter
    )
    SELECT reporter, flow, coalesce(sigma, median(sigma) OVER (PARTITION BY flow), {DEFAULT_SIGMA!r}) AS sigma FROM own""")

    # Per chapter: the rule and the exporter's weight w; V = w·X + (1 − w)·M. (Both sides of a pair both
    # report are in `sigma`: each declares some line of the pair.)
    con.execute(f"""
    CREATE TEMP TABLE chosen AS
    SELECT *, CASE WHEN exporter_weight = 1.0 THEN x_g WHEN exporter_weight = 0.0 THEN m_g
                   ELSE exporter_weight * x_g + (1 - exporter_weight) * m_g END AS value_g
    FROM (
      SELECT *, CASE WHEN rule IN ('exporter_only', 'both_discrepant_exporter', 'both_unmatched_exporter') THEN 1.0
                     WHEN rule IN ('importer_only_fob_adjusted', 'both_discrepant_importer', 'both_unmatched_importer') THEN 0.0
                     WHEN rule = 'both_unmatched_zero' THEN CASE WHEN x_g = 0 THEN 1.0 ELSE 0.0 END
                     ELSE w_rel END AS exporter_weight
      FROM (
        SELECT g.*, w_rel,
               CASE WHEN NOT importer_reports THEN 'exporter_only'
                    WHEN NOT exporter_reports THEN 'importer_only_fob_adjusted'
                    WHEN x_g > 0 AND m_g = 0 THEN CASE WHEN w_rel >= 0.5 THEN 'both_unmatched_exporter' ELSE 'both_unmatched_zero' END
                    WHEN m_g > 0 AND x_g = 0 THEN CASE WHEN w_rel < 0.5 THEN 'both_unmatched_importer' ELSE 'both_unmatched_zero' END
                    WHEN m_g > {DISCREPANCY_FACTOR!r} * x_g OR x_g > {DISCREPANCY_FACTOR!r} * m_g
                      THEN CASE WHEN w_rel >= 0.5 THEN 'both_discrepant_exporter' ELSE 'both_discrepant_importer' END
                    ELSE 'both_weighted' END AS rule
        FROM chapters g
        LEFT JOIN (SELECT reporter, sigma FROM sigma WHERE flow = 'X') sx ON sx.reporter = g.exporter
        LEFT JOIN (SELECT reporter, sigma FROM sigma WHERE flow = 'M') sm ON sm.reporter = g.importer,
        LATERAL (SELECT (1 / coalesce(sx.sigma, {DEFAULT_SIGMA!r}))
                        / (1 / coalesce(sx.sigma, {DEFAULT_SIGMA!r}) + 1 / coalesce(sm.sigma, {DEFAULT_SIGMA!r})) AS w_rel)))""")

    # Lines: the chapter value shared out by both sides' line shares, weighted like the totals.
    x_line, m_line, w = "coalesce(p.value_exporter_fob_usd, 0)", "coalesce(p.value_importer_fob_usd, 0)", "c.exporter_weight"
    take_x_qty = f"(p.x_qty IS NOT NULL AND ({w} >= 0.5 OR p.m_qty IS NULL))"
    take_x_kg = f"(p.x_net_kg IS NOT NULL AND ({w} >= 0.5 OR p.m_net_kg IS NULL))"
    vintages = "array_to_string(list_sort(list_filter(list_distinct(string_split(coalesce(p.x_hs_vintage, ''), '|') " \
               "|| string_split(coalesce(p.m_hs_vintage, ''), '|')), lambda v: v <> '')), '|')"
    flows = f"""
    SELECT p.year, p.exporter, p.importer, p.hs6,
           CASE WHEN {w} = 1.0 THEN {x_line} WHEN {w} = 0.0 THEN {m_line} WHEN c.value_g = 0 THEN 0.0
                ELSE c.value_g * ({w} * {x_line} / c.x_g + (1 - {w}) * {m_line} / c.m_g) END AS value_usd,
           p.value_exporter_fob_usd, p.value_importer_cif_usd, p.value_importer_fob_usd, p.value_importer_fob_declared_usd,
           c.rule AS recon_rule, c.chapter AS recon_group, {w} AS exporter_weight,
           CASE WHEN {take_x_qty} THEN p.x_qty ELSE p.m_qty END AS qty,
           CASE WHEN {take_x_qty} THEN p.x_qty_unit WHEN p.m_qty IS NOT NULL THEN p.m_qty_unit END AS qty_unit,
           CASE WHEN {take_x_kg} THEN p.x_net_kg ELSE p.m_net_kg END AS net_kg,
           CASE WHEN {take_x_qty} THEN p.x_qty_estimated WHEN p.m_qty IS NOT NULL THEN p.m_qty_estimated END AS qty_estimated,
           {vintages} AS hs_vintage,
           coalesce(least(CASE WHEN p.value_exporter_fob_usd IS NOT NULL AND {w} > 0 THEN p.x_conversion_weight END,
                          CASE WHEN p.value_importer_fob_usd IS NOT NULL AND {w} < 1 THEN p.m_conversion_weight END),
                    least(p.x_conversion_weight, p.m_conversion_weight)) AS conversion_weight,
           p.cif_fob_ratio
    FROM paired p
    JOIN chosen c ON c.year = p.year AND c.exporter = p.exporter AND c.importer = p.importer AND c.chapter = left(p.hs6, 2)
    ORDER BY p.year, p.exporter, p.importer, p.hs6"""
    path = out_dir / "trade_flows.parquet"
    con.execute(f"COPY ({flows}) TO '{path}' (FORMAT parquet, COMPRESSION zstd)")
    by_rule = con.execute(f"""SELECT recon_rule, count(*), sum(value_usd) FROM read_parquet('{path}')
                              GROUP BY recon_rule ORDER BY recon_rule""").fetchall()
    return {"trade_flows": sum(n for _, n, _ in by_rule), "set_aside": set_aside,
            "rows_by_rule": {rule: n for rule, n, _ in by_rule},
            "value_usd": sum(v or 0.0 for _, _, v in by_rule), "fit_rounds": rounds,
            "fit_countries": con.execute("SELECT (SELECT count(*) FROM fx) + (SELECT count(*) FROM fm)").fetchall()[0][0]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="One stage of the plain DuckDB plan (raw, clean or trade_flows).")
    parser.add_argument("stage", choices=("raw", "clean", "trade_flows"))
    parser.add_argument("--input", type=Path, required=True,
                        help="raw: the .tsv.gz; clean: comtrade_raw.parquet; trade_flows: comtrade_clean.parquet")
    parser.add_argument("--weights", type=Path, help="trade_flows: hs_conversion_weights.parquet")
    parser.add_argument("--codes", type=Path, help="trade_flows: country_codes.parquet")
    parser.add_argument("--out", type=Path, required=True, help="folder for the stage's Parquet files")
    parser.add_argument("--year", type=int, default=2019)
    parser.add_argument("--memory-limit", default="3GB")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--temp-dir", type=Path, help="DuckDB spill folder (default <out>/duckdb_tmp)")
    args = parser.parse_args(argv)
    if args.stage == "trade_flows" and (args.weights is None or args.codes is None):
        parser.error("trade_flows needs --weights (hs_conversion_weights.parquet) and --codes (country_codes.parquet)")
    args.out.mkdir(parents=True, exist_ok=True)
    con = connect(args.memory_limit, args.temp_dir or args.out / "duckdb_tmp", args.threads)
    start = time.perf_counter()
    if args.stage == "raw":
        counts = raw_stage(con, args.input, args.year, args.out / "comtrade_raw.parquet")
    elif args.stage == "clean":
        counts = clean_stage(con, args.input, args.out)
    else:
        counts = trade_flows_stage(con, args.input, args.weights, args.codes, args.out)
    counts["seconds_in_process"] = round(time.perf_counter() - start, 2)
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
