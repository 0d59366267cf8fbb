"""Seeded generator of a Comtrade+ bulk-style year at N rows, for `make bench`.

What belongs here: the code lists a synthetic year draws from (real reporter, partner and HS codes), the row
mix (levels, World partner, breakdowns, duplicates, bad values) and the DuckDB query that writes the file.
What does not: anything the pipeline reads or cleans with — the file is read exactly like a real download.

The file has the header of the sample extracts (Comtrade+ bulk field names, same order), tab-separated and
gzipped. Codes are real: reporters and partners from the Comtrade+ area lists in `$RVC_REFERENCE/country_codes/`
(a folder laid out like shared/data/real), HS codes of the year's vintage (H5 2017–2021, H6 from 2022) from
`$RVC_REFERENCE/hs_nomenclature/`. Without RVC_REFERENCE: countries from country_converter's table (the
project's own fallback, assets/transforms/reference/country_codes.py) with Comtrade's codes from
assets/data/country_overrides.csv, and the HS6 codes of the sample's reference tables (sample/reference/hs_bec,
a few dozen lines — enough for small N; large N then repeats fact keys and the generator says so).

Row mix (shares of N): HS6 bilateral ~77 %, partner World at every level ~10.6 %, 4-digit ~12 %, 2-digit
~3 %, TOTAL ~0.3 % (capped at the number of distinct keys a level has); then ~6 % extra rows copied from a
row just before them: customs (~1.2 %), transport (~2.4 %) and partner2 (~0.8 %) breakdowns, exact
duplicates (~0.9 %) and re-released rows with another value (~0.7 %); and ~1 % of rows with one bad value,
spread evenly over the row rules of docs/reject_reasons.md (typeCode S, monthly, empty partner, flow DX/FM,
SITC, a later vintage, an 8-digit national line or "9999AA", "n/a", empty or negative value). Codes that
lost a leading zero are not planted: the raw readers pad odd-length HS codes back, so they are not rejects.
Flows X and M (~3 % re-exports RX / re-imports RM); imports carry cifvalue (= primaryValue) and sometimes
fobvalue, exports fobvalue only, as Comtrade+ fills them.

Deterministic: every choice is DuckDB `hash(row, seed, purpose)` — not random(), whose streams depend on
threads — and fact keys of one level are a permutation of the row index, so distinct rows have distinct keys
until a level runs out of keys. The query is a projection of range(N) (no join, no sort), written in
insertion order: the same seed, N, year and code lists give the same bytes (with the same DuckDB version).

Usage: python benchmarks/generate_year.py N [--year 2019] [--seed 2019] [--out file.tsv.gz] [--reference DIR]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLE_REFERENCE = REPO_ROOT / "sample" / "reference"
COUNTRY_OVERRIDES = REPO_ROOT / "assets" / "data" / "country_overrides.csv"
DEFAULT_SEED = 20_240_601
GENERATOR_VERSION = "1"  # part of the cache key: bump when the rows written for a seed change

# Comtrade+ bulk field names in file order (the header of sample/extracts/comtrade/*.tsv.gz).
COMTRADE_COLUMNS = (
    "typeCode", "freqCode", "refPeriodId", "refYear", "refMonth", "period", "reporterCode", "reporterISO",
    "flowCode", "partnerCode", "partnerISO", "partner2Code", "classificationCode", "cmdCode", "customsCode",
    "motCode", "mosCode", "qtyUnitCode", "qtyUnitAbbr", "qty", "isQtyEstimated", "altQtyUnitCode", "altQty",
    "isAltQtyEstimated", "netWgt", "isNetWgtEstimated", "grossWgt", "isGrossWgtEstimated", "cifvalue",
    "fobvalue", "primaryValue", "legacyEstimationFlag", "isReported", "isAggregate", "aggrLevel", "isLeaf",
    "classificationSearchCode", "isOriginalClassification",
)

# Row categories: (name, aggregate level, partner World, slots out of 1000). Row i's slot is a permutation of
# i mod 1000; the last category takes the rows a small level has no more distinct keys for.
CATEGORIES = (
    ("total_bilateral", 0, False, 2),
    ("total_world", 0, True, 1),
    ("hs2_bilateral", 2, False, 25),
    ("hs2_world", 2, True, 5),
    ("hs4_bilateral", 4, False, 100),
    ("hs4_world", 4, True, 20),
    ("hs6_world", 6, True, 80),
    ("hs6_bilateral", 6, False, 767),
)
EXTRA_SHARE = 0.06  # rows that copy the key of a row just before them
EXTRA_KINDS = (("customs", 0.20), ("transport", 0.40), ("partner2", 0.13), ("exact_dup", 0.15), ("conflict", 0.12))
BAD_SHARE = 0.01  # rows with one bad value, evenly over BAD_KINDS
BAD_KINDS = (
    "not_goods", "monthly", "partner_missing", "flow_unknown", "classification_unknown",
    "classification_later", "cmd_invalid", "value_text", "value_missing", "value_negative",
)


def vintage_for_year(year: int) -> str:
    """The HS vintage a reporter uses in `year` in this synthetic year (the newest in force)."""
    for first, vintage in ((2022, "H6"), (2017, "H5"), (2012, "H4"), (2007, "H3"), (2002, "H2"), (1996, "H1")):
        if year >= first:
            return vintage
    return "H0"


VINTAGE_YEAR = {"H0": 1992, "H1": 1996, "H2": 2002, "H3": 2007, "H4": 2012, "H5": 2017, "H6": 2022}


@dataclass(frozen=True)
class CodeLists:
    reporters: list[tuple[str, str]]  # (Comtrade numeric code, ISO as Comtrade+ writes it)
    partners: list[tuple[str, str]]  # without World, which the generator adds itself
    hs6: list[str]
    hs4: list[str]
    hs2: list[str]
    source: str  # where the lists came from, for the report

    def fingerprint(self) -> str:
        text = repr((self.reporters, self.partners, self.hs6, self.hs4, self.hs2))
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def _valid_in(row: dict[str, str], year: int) -> bool:
    entry = float(row["entry_year"]) if row.get("entry_year") else 0
    exit_ = float(row["exit_year"]) if row.get("exit_year") else 9999
    return entry <= year <= exit_


def _comtradeplus_areas(path: Path, year: int) -> list[tuple[str, str]]:
    """Areas of a comtradr Comtrade+ list valid in `year`: no groups, no World."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    areas = {}
    for row in rows:
        code = row["id"].strip().split(".")[0]
        if row["group"].strip() == "True" or code in ("0", "") or not _valid_in(row, year):
            continue
        areas.setdefault(code, (row["iso_3"] or "").strip())
    return sorted(areas.items(), key=lambda item: int(item[0]))


def _fallback_countries(year: int) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Countries from country_converter's table, with Comtrade's own codes from the project's overrides."""
    import country_converter  # the project's dependency; its table is the project's fallback country list

    table = Path(country_converter.__file__).with_name("country_data.tsv")
    with table.open(encoding="utf-8", newline="") as handle:
        countries = {r["ISO3"]: r["ISOnumeric"] for r in csv.DictReader(handle, delimiter="\t") if r["ISOnumeric"]}
    with COUNTRY_OVERRIDES.open(encoding="utf-8", newline="") as handle:
        overrides = list(csv.DictReader(handle))
    comtrade_code = {}
    extra_partners = []
    for row in overrides:
        valid = (not row["valid_from"] or int(row["valid_from"]) <= year) and (
            not row["valid_to"] or int(row["valid_to"]) >= year)
        if not valid:
            continue
        if row["kind"] == "country":
            comtrade_code.setdefault(row["iso3"], (row["code"], row["iso"]))
        elif row["kind"] in ("nes_area", "special"):
            extra_partners.append((row["code"], row["iso"]))
    reporters = {}
    for iso3, numeric in countries.items():
        code, iso = comtrade_code.get(iso3, (str(int(float(numeric))), iso3))
        reporters.setdefault(code, iso)
    reporters_sorted = sorted(reporters.items(), key=lambda item: int(item[0]))
    partners = dict(reporters_sorted)
    for code, iso in extra_partners:
        partners.setdefault(code, iso)
    return reporters_sorted, sorted(partners.items(), key=lambda item: int(item[0]))


def _nomenclature_codes(path: Path) -> dict[int, list[str]]:
    by_level: dict[int, list[str]] = {2: [], 4: [], 6: []}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            code = row["id"].strip()
            if re.fullmatch(r"\d{2}|\d{4}|\d{6}", code):
                by_level[len(code)].append(code)
    return {level: sorted(set(codes)) for level, codes in by_level.items()}


def _sample_hs6(vintage: str) -> list[str]:
    path = SAMPLE_REFERENCE / "hs_bec" / f"HS{VINTAGE_YEAR[vintage]}_to_BEC4_UNSD.csv"
    if not path.exists():
        raise SystemExit(f"{path} does not exist: the sample has no {vintage} codes; set RVC_REFERENCE to a folder "
                         "with hs_nomenclature/ (like shared/data/real)")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        codes = {row[0].replace(".", "").strip() for row in csv.reader(handle) if row}
    return sorted(c for c in codes if re.fullmatch(r"\d{6}", c))


def load_code_lists(year: int, reference: Path | None) -> CodeLists:
    """Reporters, partners and HS codes of `year`'s vintage from `reference` (else the project's own lists)."""
    vintage = vintage_for_year(year)
    if reference is not None and (reference / "country_codes").is_dir():
        reporters = _comtradeplus_areas(reference / "country_codes" / "comtradeplus_reporter_areas_comtradr.csv", year)
        partners = _comtradeplus_areas(reference / "country_codes" / "comtradeplus_partner_areas_comtradr.csv", year)
        country_source = f"{reference}/country_codes (Comtrade+ area lists)"
    else:
        reporters, partners = _fallback_countries(year)
        country_source = "country_converter + assets/data/country_overrides.csv"
    nomenclature = sorted((reference / "hs_nomenclature").glob(f"*_{vintage}_*.csv")) if reference else []
    if nomenclature:
        levels = _nomenclature_codes(nomenclature[0])
        hs6, hs4, hs2 = levels[6], levels[4], levels[2]
        hs_source = str(nomenclature[0])
    else:
        hs6 = _sample_hs6(vintage)
        hs4, hs2 = sorted({c[:4] for c in hs6}), sorted({c[:2] for c in hs6})
        hs_source = f"sample/reference/hs_bec ({vintage})"
    return CodeLists(reporters, partners, hs6, hs4, hs2, f"countries: {country_source}; HS: {hs_source}")


def _is_prime(n: int) -> bool:
    if n < 2:
        return False
    f = 2
    while f * f <= n:
        if n % f == 0:
            return False
        f += 1
    return True


def _coprime_step(keys: int) -> int:
    """A prime near 0.618 × keys that does not divide it: j ↦ (j·step + offset) mod keys is a permutation."""
    step = max(2, int(keys * 0.6180339887))
    while not _is_prime(step) or keys % step == 0:
        step += 1
    return step


def _category_constants(codes: CodeLists, n_rows: int, seed: int) -> list[dict]:
    per_level = {0: 1, 2: len(codes.hs2), 4: len(codes.hs4), 6: len(codes.hs6)}
    constants, start = [], 0
    for number, (name, level, world, slots) in enumerate(CATEGORIES):
        partners = 1 if world else len(codes.partners)
        keys = len(codes.reporters) * partners * 2 * per_level[level]
        constants.append({
            "name": name, "level": level, "world": world, "start": start, "width": slots, "keys": keys,
            "partners": partners, "codes": per_level[level], "step": _coprime_step(keys),
            "offset": (seed * 2_654_435_761 + number) % keys,
        })
        start += slots
    assert start == 1000
    return constants


def key_space_warning(codes: CodeLists, n_rows: int) -> str | None:
    """A message when HS6 bilateral rows would repeat fact keys (small code lists, large N)."""
    hs6_keys = len(codes.reporters) * len(codes.partners) * 2 * len(codes.hs6)
    if 2 * n_rows > hs6_keys:
        return (f"only {hs6_keys:,} distinct HS6 bilateral keys for {n_rows:,} rows: fact keys repeat and cleaning "
                "rejects the repeats as duplicates; set RVC_REFERENCE to a folder like shared/data/real for "
                "the full code lists")
    return None


def _sql_list(values) -> str:
    return "[" + ", ".join(str(int(v)) if isinstance(v, (int, bool)) else "'" + str(v).replace("'", "''") + "'"
                           for v in values) + "]"


def year_query(codes: CodeLists, n_rows: int, year: int, seed: int) -> tuple[list[str], str]:
    """(SET VARIABLE statements, SELECT of the N rows in file order) for DuckDB."""
    cats = _category_constants(codes, n_rows, seed)
    vintage = vintage_for_year(year)
    later_vintage = {"H0": "H1", "H1": "H2", "H2": "H3", "H3": "H4", "H4": "H5", "H5": "H6"}.get(vintage)
    hs6_bilateral = len(CATEGORIES) - 1
    variables = {
        "rep_code": [c for c, _ in codes.reporters], "rep_iso": [i for _, i in codes.reporters],
        "par_code": [c for c, _ in codes.partners], "par_iso": [i for _, i in codes.partners],
        "hs6": codes.hs6, "hs4": codes.hs4, "hs2": codes.hs2,
        **{f"cat_{field}": [c[field] for c in cats]
           for field in ("level", "world", "start", "width", "keys", "partners", "codes", "step", "offset")},
    }
    sets = [f"SET VARIABLE {name} = {_sql_list(values)}" for name, values in variables.items()]

    def u(row: str, purpose: str) -> str:
        # 53 high bits of a 64-bit hash → a uniform double in [0, 1). The outer hash re-mixes the bits: DuckDB's
        # multi-argument hash combines the argument hashes so that the high bits of two purposes are correlated.
        return f"((hash(hash({row}, {seed}, '{purpose}')) >> 11)::DOUBLE / 9007199254740992.0)"

    def extra(row: str) -> str:
        return f"({row} >= 3 AND {u(row, 'extra')} < {EXTRA_SHARE})"

    def var(name: str, index: str) -> str:
        return f"getvariable('{name}')[({index})::BIGINT + 1]"

    cat_case = " ".join(f"WHEN t < {c['start'] + c['width']} THEN {n}" for n, c in enumerate(cats))
    extra_case, cumulative = [], 0.0
    for kind, share in EXTRA_KINDS:
        cumulative += share
        extra_case.append(f"WHEN ukind < {cumulative:.6f} THEN '{kind}'")
    bad_case = " ".join(f"WHEN ubad < {BAD_SHARE * (k + 1) / len(BAD_KINDS):.8f} THEN '{kind}'"
                        for k, kind in enumerate(BAD_KINDS))
    select = f"""
WITH pos AS (
  SELECT range AS i,
         CASE WHEN NOT {extra('range')} THEN range WHEN NOT {extra('range - 1')} THEN range - 1
              WHEN NOT {extra('range - 2')} THEN range - 2 ELSE range - 3 END AS b,
         {extra('range')} AS is_extra,
         {u('range', 'kind')} AS ukind, {u('range', 'bad')} AS ubad, {u('range', 'badkind')} AS ubadkind,
         {u('range', 'share')} AS ushare
  FROM range({n_rows})
), slot AS (
  SELECT *, ((b % 1000) * 7919 + {seed % 1000}) % 1000 AS t FROM pos
), cat0 AS (
  SELECT *, CASE {cat_case} END AS c0 FROM slot
), cat1 AS (
  SELECT *, (b // 1000) * {var('cat_width', 'c0')} + (t - {var('cat_start', 'c0')}) AS j0 FROM cat0
), keyed AS (
  SELECT *,
         CASE WHEN j0 >= {var('cat_keys', 'c0')} THEN {hs6_bilateral} ELSE c0 END AS c,
         CASE WHEN j0 >= {var('cat_keys', 'c0')} THEN {n_rows} + b ELSE j0 END AS j
  FROM cat1
), perm AS (
  SELECT *, (j * {var('cat_step', 'c')} + {var('cat_offset', 'c')}) % {var('cat_keys', 'c')} AS k,
         {var('cat_codes', 'c')} AS ncodes, {var('cat_partners', 'c')} AS npartners,
         {var('cat_level', 'c')} AS level, {var('cat_world', 'c')} = 1 AS world
  FROM keyed
), decoded AS (
  SELECT *, k % ncodes AS cmd_idx, (k // ncodes) % 2 AS flow_idx,
         ((k // ncodes) // 2) % npartners AS partner_idx, ((k // ncodes) // 2) // npartners AS reporter_idx
  FROM perm
), base AS (
  SELECT i, is_extra, ukind, ubad, ubadkind, ushare, level, world,
         CASE WHEN is_extra THEN CASE {' '.join(extra_case)} ELSE 'conflict' END END AS extra_kind,
         CASE WHEN NOT is_extra AND ubad < {BAD_SHARE} THEN CASE {bad_case} ELSE 'value_negative' END END AS bad,
         {var('rep_code', 'reporter_idx')} AS reporterCode, {var('rep_iso', 'reporter_idx')} AS reporterISO,
         CASE WHEN world THEN '0' ELSE {var('par_code', 'partner_idx')} END AS partnerCode,
         CASE WHEN world THEN 'W00' ELSE {var('par_iso', 'partner_idx')} END AS partnerISO,
         CASE WHEN {u('b', 're')} < 0.03 THEN ['RX', 'RM'][flow_idx + 1] ELSE ['X', 'M'][flow_idx + 1] END AS flowCode,
         CASE level WHEN 0 THEN 'TOTAL' WHEN 2 THEN {var('hs2', 'cmd_idx')} WHEN 4 THEN {var('hs4', 'cmd_idx')}
              ELSE {var('hs6', 'cmd_idx')} END AS cmdCode,
         round(pow(10, CASE level WHEN 0 THEN 5.0 + 6.0 * {u('b', 'v')} ELSE 1.0 + (6 - level) * 0.7
               + 7.0 * {u('b', 'v')} END) * CASE WHEN world THEN 20 ELSE 1 END)::BIGINT AS base_value,
         {u('b', 'unit')} AS uunit, {u('b', 'price')} AS uprice, {u('b', 'est')} AS uest, {u('b', 'fob')} AS ufob,
         {u('b', 'cif')} AS ucif
  FROM decoded
), valued AS (
  SELECT *,
         CASE WHEN extra_kind IN ('customs', 'transport', 'partner2') THEN greatest(1, round(base_value * (0.2 + 0.6 * ushare)))::BIGINT
              WHEN extra_kind = 'conflict' THEN base_value + 1 + (base_value // 20)
              ELSE base_value END AS value,
         CASE WHEN level < 6 THEN '-1' WHEN uunit < 0.6 THEN '8' WHEN uunit < 0.9 THEN '5' WHEN uunit < 0.95 THEN '7'
              ELSE '12' END AS unit
  FROM base
)
SELECT
  CASE WHEN bad = 'not_goods' THEN 'S' ELSE 'C' END AS typeCode,
  CASE WHEN bad = 'monthly' THEN 'M' ELSE 'A' END AS freqCode,
  CASE WHEN bad = 'monthly' THEN '{year}0301' ELSE '{year}0101' END AS refPeriodId,
  '{year}' AS refYear,
  CASE WHEN bad = 'monthly' THEN '3' ELSE '52' END AS refMonth,
  CASE WHEN bad = 'monthly' THEN '{year}03' ELSE '{year}' END AS period,
  reporterCode, reporterISO,
  CASE WHEN bad = 'flow_unknown' THEN CASE WHEN flowCode IN ('X', 'RX') THEN 'DX' ELSE 'FM' END ELSE flowCode END AS flowCode,
  CASE WHEN bad = 'partner_missing' THEN NULL ELSE partnerCode END AS partnerCode,
  CASE WHEN bad = 'partner_missing' THEN NULL ELSE partnerISO END AS partnerISO,
  CASE WHEN extra_kind = 'partner2' THEN {var('par_code', f"floor({u('i', 'p2')} * len(getvariable('par_code')))")} ELSE '0' END AS partner2Code,
  CASE WHEN bad = 'classification_unknown' THEN 'S4'
       WHEN bad = 'classification_later' AND {'TRUE' if later_vintage else 'FALSE'} THEN '{later_vintage or vintage}'
       ELSE '{vintage}' END AS classificationCode,
  CASE WHEN bad = 'cmd_invalid' THEN CASE WHEN level = 0 THEN '9999AA' ELSE rpad(cmdCode, 8, '0') END
       ELSE cmdCode END AS cmdCode,
  CASE WHEN extra_kind = 'customs' THEN ['C01', 'C02', 'C03', 'C04'][1 + floor(4 * {u('i', 'cc')})::BIGINT] ELSE 'C00' END AS customsCode,
  CASE WHEN extra_kind = 'transport' THEN ['1000', '2000', '2100', '2200', '3000', '3100', '3200', '9000'][1 + floor(8 * {u('i', 'mot')})::BIGINT]
       ELSE '0' END AS motCode,
  '0' AS mosCode,
  unit AS qtyUnitCode,
  CASE unit WHEN '-1' THEN 'N/A' WHEN '8' THEN 'kg' WHEN '5' THEN 'u' WHEN '7' THEN 'l' ELSE 'm3' END AS qtyUnitAbbr,
  CASE WHEN level < 6 THEN NULL ELSE greatest(1, round(value / pow(10, 0.3 + 2.5 * uprice)))::BIGINT END AS qty,
  CASE WHEN uest < 0.05 THEN '1' ELSE '0' END AS isQtyEstimated,
  '-1' AS altQtyUnitCode, NULL AS altQty, '0' AS isAltQtyEstimated,
  CASE WHEN level < 6 THEN NULL WHEN unit = '8' THEN greatest(1, round(value / pow(10, 0.3 + 2.5 * uprice)))::BIGINT
       ELSE greatest(1, round(value / pow(10, 0.5 + 2.0 * uprice)))::BIGINT END AS netWgt,
  CASE WHEN uest < 0.08 THEN '1' ELSE '0' END AS isNetWgtEstimated,
  NULL AS grossWgt, '0' AS isGrossWgtEstimated,
  CASE WHEN bad IN ('value_text', 'value_missing') THEN NULL WHEN flowCode IN ('M', 'RM') THEN value END AS cifvalue,
  CASE WHEN bad IN ('value_text', 'value_missing') THEN NULL WHEN flowCode IN ('X', 'RX') THEN value
       WHEN ufob < 0.3 THEN round(value / (1.02 + 0.06 * ucif))::BIGINT END AS fobvalue,
  CASE WHEN bad = 'value_text' THEN 'n/a' WHEN bad = 'value_missing' THEN NULL
       WHEN bad = 'value_negative' THEN (-value)::VARCHAR ELSE value::VARCHAR END AS primaryValue,
  '0' AS legacyEstimationFlag, '1' AS isReported, '0' AS isAggregate, level::VARCHAR AS aggrLevel,
  CASE WHEN level = 6 THEN '1' ELSE '0' END AS isLeaf,
  'HS' AS classificationSearchCode, '1' AS isOriginalClassification
FROM valued
"""
    return sets, select


def generate_year(out: Path, n_rows: int, year: int = 2019, seed: int = DEFAULT_SEED,
                  reference: Path | None = None, threads: int = 2, memory_limit: str = "2GB") -> dict:
    """Write `out` (.tsv.gz) with `n_rows` data rows; return facts about it (code lists, seconds, bytes)."""
    codes = load_code_lists(year, reference)
    sets, select = year_query(codes, n_rows, year, seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    start = time.perf_counter()
    con = duckdb.connect()
    try:
        con.execute(f"SET threads = {threads}")
        con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute("SET preserve_insertion_order = true")  # file order = row index
        for statement in sets:
            con.execute(statement)
        con.execute(f"COPY ({select}) TO '{tmp}' (FORMAT csv, DELIMITER '\t', HEADER, QUOTE '', ESCAPE '', "
                    "COMPRESSION gzip)")
    finally:
        con.close()
    os.replace(tmp, out)
    return {
        "path": str(out), "rows": n_rows, "year": year, "seed": seed, "bytes": out.stat().st_size,
        "seconds": round(time.perf_counter() - start, 2), "code_lists": codes.source,
        "reporters": len(codes.reporters), "partners": len(codes.partners), "hs6": len(codes.hs6),
        "warning": key_space_warning(codes, n_rows),
    }


def cache_name(n_rows: int, year: int, seed: int, reference: Path | None) -> str:
    """File name that changes with everything the bytes depend on (N, year, seed, code lists, generator)."""
    codes = load_code_lists(year, reference)
    source = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:8]
    return f"comtrade_{year}_n{n_rows}_s{seed}_{codes.fingerprint()}_{source}.tsv.gz"


def default_reference() -> Path | None:
    return Path(os.environ["RVC_REFERENCE"]).expanduser() if os.environ.get("RVC_REFERENCE") else None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write a seeded Comtrade+ bulk-style year (tsv.gz) with real codes.")
    parser.add_argument("rows", type=lambda s: int(float(s)), help="number of data rows, e.g. 1e6")
    parser.add_argument("--year", type=int, default=2019)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, help="output file (default benchmarks/.data/<cache name>)")
    parser.add_argument("--reference", type=Path, default=default_reference(),
                        help="folder laid out like shared/data/real (default $RVC_REFERENCE; else the project's lists)")
    args = parser.parse_args(argv)
    out = args.out or REPO_ROOT / "benchmarks" / ".data" / cache_name(args.rows, args.year, args.seed, args.reference)
    facts = generate_year(out, args.rows, args.year, args.seed, args.reference)
    for key, value in facts.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
