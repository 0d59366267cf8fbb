"""The plain staged DuckDB plan `make bench` compares the pipeline with: raw parse and Comtrade cleaning as SQL.

What belongs here: an independent re-statement, in DuckDB SQL over Parquet, of the same steps as the pipeline's
`comtrade_raw` asset (typed like checks/raw.py) and the cleaning multi-asset (the rules of
docs/reject_reasons.md, first failing rule wins; duplicates resolved by window functions over the fact key;
split into clean / totals / rejects). What does not: any import of project code — the point is a yardstick
written the plain way, so it must not share the pipeline's implementation (or its bugs).

Each stage is one process (`python benchmarks/plain_plan.py raw|clean ...`), with a DuckDB memory_limit and a
spill folder, reading and writing Parquet only; it prints a JSON line of row counts.

Simplifications against the pipeline, none of which changes which table a row lands in for Comtrade+ bulk
files: one input file; no legacy-layout readers; reject messages are short (reason, field and value); the
"latest release" order is (retrieved_at, source_file, source_row) as documented, with retrieved_at null for files.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import duckdb

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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="One stage of the plain DuckDB plan (raw or clean).")
    parser.add_argument("stage", choices=("raw", "clean"))
    parser.add_argument("--input", type=Path, required=True, help="raw: the .tsv.gz; clean: comtrade_raw.parquet")
    parser.add_argument("--out", type=Path, required=True, help="folder for the stage's Parquet files")
    parser.add_argument("--year", type=int, default=2019)
    parser.add_argument("--memory-limit", default="3GB")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--temp-dir", type=Path, help="DuckDB spill folder (default <out>/duckdb_tmp)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    con = connect(args.memory_limit, args.temp_dir or args.out / "duckdb_tmp", args.threads)
    start = time.perf_counter()
    if args.stage == "raw":
        counts = raw_stage(con, args.input, args.year, args.out / "comtrade_raw.parquet")
    else:
        counts = clean_stage(con, args.input, args.out)
    counts["seconds_in_process"] = round(time.perf_counter() - start, 2)
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
