"""The plain plan's trade_flows stage on a hand-made clean year, and bench.py's stage tables.

Every expected value below is worked out by hand from docs/methods.md ("Values as declared", "HS conversion
weights", "Mirror reconciliation"); nothing is timed (performance is measured by `make bench`, never asserted).
"""

from __future__ import annotations

import importlib.util
import math
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def _load(name: str):
    # By path: tests/benchmarks would shadow the top-level benchmarks folder as a namespace package.
    spec = importlib.util.spec_from_file_location(f"bench_{name}", REPO_ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


plain_plan = _load("plain_plan")
bench = _load("bench")

CLEAN_COLUMNS = ("year BIGINT, reporter_code VARCHAR, reporter_iso VARCHAR, partner_code VARCHAR, partner_iso VARCHAR, "
                 "flow VARCHAR, classification VARCHAR, cmd_code VARCHAR, value_usd DOUBLE, cif_usd DOUBLE, "
                 "fob_usd DOUBLE, qty DOUBLE, qty_unit VARCHAR, net_kg DOUBLE, qty_estimated BOOLEAN, partner_is_nes BOOLEAN")
# (reporter, reporter_iso, partner, partner_iso, flow, classification, cmd_code, value_usd, cif_usd, fob_usd, nes)
CLEAN_ROWS = [
    # JPN → THA, chapter 87, both report: X 100,000; M CIF 52,000 + 62,400 = FOB 50,000 + 60,000.
    ("392", "JPN", "764", "THA", "X", "H0", "870323", 100_000.0, None, 100_000.0, False),
    ("764", "THA", "392", "JPN", "M", "H0", "870323", 52_000.0, 52_000.0, None, False),
    ("764", "THA", "392", "JPN", "M", "H0", "870324", 62_400.0, 62_400.0, None, False),
    # JPN → THA, chapter 40: X 10,000; THA declares CIF 9,880 and FOB 9,000: valued at the FOB 9,000.
    ("392", "JPN", "764", "THA", "X", "H0", "401110", 10_000.0, None, 10_000.0, False),
    ("764", "THA", "392", "JPN", "M", "H0", "401110", 9_880.0, 9_880.0, 9_000.0, False),
    # IDN → JPN: only IDN reports (exporter_only).
    ("360", "IDN", "392", "JPN", "X", "H0", "870899", 5_000.0, None, 5_000.0, False),
    # IDN → THA: only THA reports, CIF 20,800 (importer_only_fob_adjusted: 20,800 / 1.04 = 20,000).
    ("764", "THA", "360", "IDN", "M", "H0", "401110", 20_800.0, 20_800.0, None, False),
    # JPN → IDN in HS2017 (H5) 870340, split 1/4 : 3/4 over H0 870321 and 870322 (a zero-weight link left out).
    ("392", "JPN", "360", "IDN", "X", "H5", "870340", 40_000.0, None, 40_000.0, False),
    # Set aside: a re-export, a partner n.e.s., World, a special category, self-trade.
    ("392", "JPN", "764", "THA", "RX", "H0", "870323", 3_000.0, None, 3_000.0, False),
    ("764", "THA", "899", "_X", "M", "H0", "870323", 1_000.0, 1_000.0, None, True),
    ("392", "JPN", "0", "W00", "X", "H0", "870323", 500_000.0, None, 500_000.0, False),
    ("392", "JPN", "837", "XX", "X", "H0", "870323", 2_000.0, None, 2_000.0, False),
    ("764", "THA", "764", "THA", "M", "H0", "870323", 7_000.0, 7_000.0, None, False),
]
CODES = [("392", "JPN", None, None), ("764", "THA", None, None), ("360", "IDN", None, None), ("0", "WLD", None, None),
         ("899", None, None, None), ("837", None, None, None),
         # Two rows for one code: the one valid in the year (2019) wins.
         ("360", "XXX", None, 1990)]
WEIGHTS = [("H5", "870340", "870321", 0.25), ("H5", "870340", "870322", 0.75), ("H5", "870340", "870323", 0.0)]


def _write_inputs(folder: Path, rows=CLEAN_ROWS, codes=CODES) -> tuple[Path, Path, Path]:
    con = duckdb.connect()
    clean, weights, country_codes = folder / "comtrade_clean.parquet", folder / "weights.parquet", folder / "codes.parquet"
    con.execute(f"CREATE TABLE clean ({CLEAN_COLUMNS})")
    con.executemany("INSERT INTO clean VALUES (2019, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, NULL, ?)", rows)
    con.execute(f"COPY clean TO '{clean}' (FORMAT parquet)")
    con.execute("CREATE TABLE codes (code VARCHAR, iso3 VARCHAR, valid_from BIGINT, valid_to BIGINT)")
    con.executemany("INSERT INTO codes VALUES (?, ?, ?, ?)", codes)
    con.execute(f"COPY codes TO '{country_codes}' (FORMAT parquet)")
    con.execute("CREATE TABLE weights (from_vintage VARCHAR, from_code VARCHAR, to_code VARCHAR, weight DOUBLE)")
    con.executemany("INSERT INTO weights VALUES (?, ?, ?, ?)", WEIGHTS)
    con.execute(f"COPY weights TO '{weights}' (FORMAT parquet)")
    con.close()
    return clean, weights, country_codes


def _run(tmp_path: Path, **inputs) -> tuple[dict, dict]:
    clean, weights, codes = _write_inputs(tmp_path, **inputs)
    con = plain_plan.connect("500MB", tmp_path / "spill", threads=1)
    out = tmp_path / "out"
    out.mkdir()
    counts = plain_plan.trade_flows_stage(con, clean, weights, codes, out)
    rows = duckdb.connect().execute(f"""
        SELECT exporter, importer, hs6, value_usd, recon_rule, exporter_weight
        FROM read_parquet('{out / "trade_flows.parquet"}')""").fetchall()
    return counts, {(e, i, h): (v, rule, w) for e, i, h, v, rule, w in rows}


def test_a_pair_both_report_is_reconciled_per_chapter_and_one_sided_pairs_stay_as_declared(tmp_path: Path) -> None:
    counts, flows = _run(tmp_path)
    # Fewer than 20 mirror observations anywhere: every σ is the default 1.0, so the exporter weight is 1/2.
    # Chapter 87 JPN→THA: V = (100,000 + 110,000) / 2 = 105,000, shared by both sides' line shares:
    # 870323: 105,000 · (½ · 100/100 + ½ · 50/110) = 105,000 · 16/22; 870324: 105,000 · (½ · 0 + ½ · 60/110) = 105,000 · 6/22.
    assert flows[("JPN", "THA", "870323")][0] == pytest.approx(105_000 * 16 / 22, rel=1e-12)
    assert flows[("JPN", "THA", "870324")][0] == pytest.approx(105_000 * 6 / 22, rel=1e-12)
    assert flows[("JPN", "THA", "870323")][1:] == ("both_weighted", 0.5)
    # Chapter 40: the import declared FOB (9,000) is not divided by 1.04: V = (10,000 + 9,000) / 2.
    assert flows[("JPN", "THA", "401110")][0] == pytest.approx(9_500.0, rel=1e-12)
    # One-sided pairs: the declaring side's lines.
    assert flows[("IDN", "JPN", "870899")] == pytest.approx((5_000.0, "exporter_only", 1.0))
    assert flows[("IDN", "THA", "401110")][:2] == (pytest.approx(20_000.0, rel=1e-12), "importer_only_fob_adjusted")
    # HS conversion: 40,000 of H5 870340 → ¼ and ¾ (the zero-weight link makes no row).
    assert flows[("JPN", "IDN", "870321")][0] == pytest.approx(10_000.0, rel=1e-12)
    assert flows[("JPN", "IDN", "870322")][0] == pytest.approx(30_000.0, rel=1e-12)
    assert set(flows) == {("JPN", "THA", "870323"), ("JPN", "THA", "870324"), ("JPN", "THA", "401110"),
                          ("IDN", "JPN", "870899"), ("IDN", "THA", "401110"), ("JPN", "IDN", "870321"),
                          ("JPN", "IDN", "870322")}
    assert counts["trade_flows"] == 7
    assert counts["value_usd"] == pytest.approx(105_000 + 9_500 + 5_000 + 20_000 + 40_000, rel=1e-12)
    assert counts["set_aside"] == {"fact": 8, "not_x_or_m": 1, "partner_nes": 1, "not_a_country": 2, "self_trade": 1}


def test_the_fit_puts_an_importers_over_declaration_on_the_importer() -> None:
    # Importer B declares twice what exporters A and D ship (d = ln 2); importer C is exact (d = 0). Alternating
    # means from zero: a_A = a_D = ln2/2, b_B = ln2/2, b_C = −ln2/2 (a fixed point); the constant that makes the
    # smallest a equal the smallest b moves a down and b up by ln2/2: a = 0, b_B = ln 2, b_C = 0.
    con = duckdb.connect()
    con.execute(f"""CREATE TEMP TABLE cells AS SELECT * FROM (VALUES
        ('A', 'B', 1, 1.0, {math.log(2)!r}), ('A', 'C', 1, 1.0, 0.0),
        ('D', 'B', 1, 1.0, {math.log(2)!r}), ('D', 'C', 1, 1.0, 0.0)) AS t(exporter, importer, n, w, y)""")
    plain_plan._fit_effects(con)
    a = dict(con.execute("SELECT * FROM fx").fetchall())
    b = dict(con.execute("SELECT * FROM fm").fetchall())
    assert a == pytest.approx({"A": 0.0, "D": 0.0}, abs=1e-9)
    assert b == pytest.approx({"B": math.log(2), "C": 0.0}, abs=1e-9)


def test_an_unknown_country_code_stops_the_stage_naming_it(tmp_path: Path) -> None:
    rows = [*CLEAN_ROWS, ("392", "JPN", "123", "ZZZ", "X", "H0", "870323", 1.0, None, 1.0, False)]
    with pytest.raises(SystemExit, match=r"'123' \(2019\).*not in .*codes.parquet"):
        _run(tmp_path, rows=rows)


def test_a_missing_input_column_is_named(tmp_path: Path) -> None:
    clean, weights, codes = _write_inputs(tmp_path)
    duckdb.connect().execute(f"COPY (SELECT * EXCLUDE (partner_is_nes) FROM read_parquet('{clean}')) TO '{tmp_path / 'bad.parquet'}'")
    con = plain_plan.connect("500MB", tmp_path / "spill", threads=1)
    with pytest.raises(SystemExit, match=r"bad.parquet lacks columns \['partner_is_nes'\]"):
        plain_plan.trade_flows_stage(con, tmp_path / "bad.parquet", weights, codes, tmp_path)


def test_the_command_line_writes_zstd_parquet_and_a_json_line(tmp_path: Path) -> None:
    clean, weights, codes = _write_inputs(tmp_path)
    done = subprocess.run([sys.executable, str(REPO_ROOT / "benchmarks" / "plain_plan.py"), "trade_flows", "--input", str(clean),
                           "--weights", str(weights), "--codes", str(codes), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, check=True)
    assert '"trade_flows": 7' in done.stdout.strip().splitlines()[-1]
    compression = duckdb.connect().execute(
        f"SELECT DISTINCT compression FROM parquet_metadata('{tmp_path / 'out' / 'trade_flows.parquet'}')").fetchall()
    assert compression == [("ZSTD",)]


def test_bench_runs_trade_flows_in_both_plans() -> None:
    assert "trade_flows" in {name for name, _, _ in bench.PIPELINE_STAGES}
    assert "trade_flows" in bench.PLAIN_STAGES
    assert bench.STAGE_OUTPUTS["trade_flows"] == ("trade_flows",)


def test_without_the_pipeline_the_plain_clean_table_gives_identity_weights_and_its_own_codes(tmp_path: Path) -> None:
    clean, _, _ = _write_inputs(tmp_path)
    weights, codes = bench.derived_trade_flows_inputs(clean, tmp_path)
    con = duckdb.connect()
    assert con.execute(f"SELECT from_vintage, from_code, to_code, weight FROM read_parquet('{weights}')").fetchall() == [
        ("H5", "870340", "870340", 1.0)]
    mapped = dict(con.execute(f"SELECT code, iso3 FROM read_parquet('{codes}')").fetchall())
    # Alpha-3 ISO codes map to themselves, World to WLD; "_X" (n.e.s.) and "XX" have no ISO3.
    assert mapped == {"392": "JPN", "764": "THA", "360": "IDN", "0": "WLD", "899": None, "837": None}
