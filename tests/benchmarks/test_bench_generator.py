"""The benchmark's synthetic year and plain DuckDB plan: reproducible, shaped like the sample, conserving rows.

Fast (a few seconds): N = 2,000 and 20,000 rows. Performance itself is measured by `make bench`, never asserted.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import importlib.util
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


generate_year = _load("generate_year")
plain_plan = _load("plain_plan")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        return list(reader.fieldnames), list(reader)


def test_same_seed_gives_the_same_bytes(tmp_path: Path) -> None:
    first = generate_year.generate_year(tmp_path / "a.tsv.gz", 2000, 2019, seed=7, reference=None)
    second = generate_year.generate_year(tmp_path / "b.tsv.gz", 2000, 2019, seed=7, reference=None)
    other_seed = generate_year.generate_year(tmp_path / "c.tsv.gz", 2000, 2019, seed=8, reference=None)
    assert _sha256(Path(first["path"])) == _sha256(Path(second["path"]))
    assert _sha256(Path(first["path"])) != _sha256(Path(other_seed["path"]))


def test_file_has_the_sample_header_n_rows_and_real_codes(tmp_path: Path) -> None:
    path = tmp_path / "year.tsv.gz"
    generate_year.generate_year(path, 2000, 2019, seed=7, reference=None)
    header, rows = _rows(path)
    sample_header, _ = _rows(REPO_ROOT / "sample" / "extracts" / "comtrade" / "sample_comtrade_2019.tsv.gz")
    assert header == sample_header
    assert len(rows) == 2000
    # Real codes without RVC_REFERENCE: country_converter's ISO numeric codes, or Comtrade's own codes from the
    # project's overrides (842 USA, 251 France ...), read here independently of the generator.
    import country_converter

    with Path(country_converter.__file__).with_name("country_data.tsv").open(encoding="utf-8") as handle:
        iso_numeric = {str(int(float(r["ISOnumeric"]))) for r in csv.DictReader(handle, delimiter="\t") if r["ISOnumeric"]}
    with (REPO_ROOT / "assets" / "data" / "country_overrides.csv").open(encoding="utf-8") as handle:
        comtrade_codes = {r["code"] for r in csv.DictReader(handle)}
    reporters = {r["reporterCode"] for r in rows}
    assert reporters <= iso_numeric | comtrade_codes
    assert len(reporters) > 100
    assert {r["classificationCode"] for r in rows} >= {"H5"}
    sample_hs6 = {line.split(",")[0] for line in
                  (REPO_ROOT / "sample" / "reference" / "hs_bec" / "HS2017_to_BEC4_UNSD.csv").read_text(encoding="utf-8-sig").splitlines()}
    hs6_codes = {r["cmdCode"] for r in rows if len(r["cmdCode"]) == 6 and r["cmdCode"].isdigit()}
    assert hs6_codes and hs6_codes <= sample_hs6


@pytest.mark.real_data
def test_codes_come_from_the_reference_lists(tmp_path: Path, real_data_dir: Path) -> None:
    path = tmp_path / "year.tsv.gz"
    generate_year.generate_year(path, 2000, 2022, seed=7, reference=real_data_dir)
    _, rows = _rows(path)
    with (real_data_dir / "country_codes" / "comtradeplus_reporter_areas_comtradr.csv").open(encoding="utf-8") as handle:
        listed = {r["id"] for r in csv.DictReader(handle)}
    assert {r["reporterCode"] for r in rows} <= listed
    with (real_data_dir / "hs_nomenclature" / "comtradeplus_ref_H6_HS2022.csv").open(encoding="utf-8") as handle:
        h6 = {r["id"] for r in csv.DictReader(handle)}
    plain = [r for r in rows if r["classificationCode"] == "H6" and len(r["cmdCode"]) in (2, 4, 6)]
    assert plain and all(r["cmdCode"] in h6 for r in plain)


def test_plain_plan_puts_every_raw_row_in_exactly_one_table(tmp_path: Path) -> None:
    source = tmp_path / "year.tsv.gz"
    generate_year.generate_year(source, 20_000, 2019, seed=7, reference=None)
    con = plain_plan.connect("1GB", tmp_path / "spill", threads=2)
    raw = plain_plan.raw_stage(con, source, 2019, tmp_path / "comtrade_raw.parquet")
    counts = plain_plan.clean_stage(con, tmp_path / "comtrade_raw.parquet", tmp_path)
    assert raw["raw"] == 20_000
    assert counts["clean"] + counts["totals"] + counts["rejects"] == 20_000
    # each source row once: provenance is the row identity
    tables = ", ".join(f"SELECT source_row FROM read_parquet('{tmp_path / f'comtrade_{t}.parquet'}')"
                       for t in ("clean", "totals", "rejects"))
    distinct = duckdb.connect().execute(
        f"SELECT count(DISTINCT source_row), count(*) FROM ({tables.replace(', SELECT', ' UNION ALL SELECT')})").fetchone()
    assert distinct == (20_000, 20_000)
    # the generator plants a little of every reject reason (20,000 rows: ~20 of each bad value)
    assert set(counts["reasons"]) == set(plain_plan.REASONS)
