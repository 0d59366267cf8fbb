"""The report on the real public extracts (../shared/data/real), through the Dagster jobs into a temporary
warehouse: it names its source files, states coverage and what "world" is, says that the extracts hold no
automotive lines, lists what was rejected, and carries no absolute local path in any file it writes."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from pipelines.definitions import build_defs
from pipelines.settings import REPO_ROOT, load_settings

pytestmark = [pytest.mark.real_data, pytest.mark.slow]
YEARS = ["2016", "2017"]
QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
# Absolute paths of any common system: a report must carry none of them.
ABSOLUTE_PATH = re.compile(r"(?<![\w.:/])(/(?:home|Users|tmp|work|root|var|mnt|opt|private)/|[A-Za-z]:\\)")


@pytest.fixture(scope="module")
def real_report(real_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    root = tmp_path_factory.mktemp("real")
    extracts = root / "extracts"
    (extracts / "comtrade").mkdir(parents=True)
    (extracts / "tiva").mkdir()
    for folder in ["comtrade_legacy", "comtrade_plus"]:
        for file in (real_data_dir / folder).iterdir():
            shutil.copy(file, extracts / "comtrade")
    for file in (real_data_dir / "tiva").glob("*.csv"):
        shutil.copy(file, extracts / "tiva")
    warehouse = root / "warehouse"
    settings = load_settings({"RVC_EXTRACTS": str(extracts), "RVC_WAREHOUSE": str(warehouse),
                              "RVC_REFERENCE": str(real_data_dir)})
    defs = build_defs(settings)
    instance = dg.DagsterInstance.ephemeral()
    assert defs.resolve_job_def("reference_tables").execute_in_process(instance=instance, run_config=QUIET).success
    for year in YEARS:
        assert defs.resolve_job_def("yearly_refresh").execute_in_process(instance=instance, partition_key=year, run_config=QUIET).success
    assert defs.resolve_job_def("panel_and_report").execute_in_process(instance=instance, run_config=QUIET).success
    return warehouse / "rvc_report", extracts, warehouse


def test_report_names_every_source_file_with_its_rows(real_report) -> None:
    report, extracts, warehouse = real_report
    markdown = (report / "report.md").read_text(encoding="utf-8")
    section = markdown.split("## Data and coverage")[1]
    clean = pd.concat([pd.read_parquet(p) for p in (warehouse / "comtrade_clean").glob("*.parquet")]
                      + [pd.read_parquet(p) for p in (warehouse / "comtrade_totals").glob("*.parquet")])
    rejects = pd.concat([pd.read_parquet(p) for p in (warehouse / "comtrade_rejects").glob("*.parquet")])
    files = set(clean["source_file"]) | set(rejects["source_file"])
    assert files, "the real extracts produced no rows at all"
    for file in files:
        escaped = file.replace("_", "\\_")
        assert escaped in section, file
    # One file's row counts, recomputed from the tables: "| rows used | rows rejected |" at the end of its row.
    busiest = rejects["source_file"].value_counts().index[0]
    used, rejected = int((clean["source_file"] == busiest).sum()), int((rejects["source_file"] == busiest).sum())
    line = next(l for l in section.splitlines() if busiest.replace("_", "\\_") in l)
    assert line.rstrip().endswith(f"| {used:,} | {rejected:,} |")
    assert "OECD TiVA" in section and "2025" in section  # the TiVA edition


def test_report_says_the_extracts_hold_no_automotive_lines_and_what_world_is(real_report) -> None:
    report, _, _ = real_report
    markdown = (report / "report.md").read_text(encoding="utf-8")
    assert "The extracts hold no automotive lines with a value" in markdown
    findings = markdown.split("## Findings")[1].split("###")[0]
    assert "no automotive lines with a value, so the findings below say" in findings.replace("\\", "")
    assert "8712" in markdown  # what they do hold (bicycles), from the cleaned facts
    assert "sum over the countries in the extracts, not the true world total" in markdown.replace("\\", "")
    assert "### Years and countries per indicator" in markdown
    rejects_section = markdown.split("### What was rejected")[1].split("###")[0]
    assert "breakdown\\_transport" in rejects_section and "(docs/reject_reasons.md)" in rejects_section
    assert (report / "docs" / "methods.md").is_file() and (report / "docs" / "reject_reasons.md").is_file()
    # The world CSV lists exactly the (year, country) pairs with a total-merchandise export value in the panel.
    world = pd.read_csv(report / "data" / "world_countries.csv", keep_default_na=False)
    panel = pd.read_parquet(report.parent / "indicator_panel.parquet")
    totals = panel[(panel["indicator"] == "exports_usd") & (panel["partner"] == "WLD") & panel["period"].isna()
                   & (panel["product_group"] == "total_merchandise") & panel["value"].notna()]
    expected = {(int(y), c) for y, c in zip(totals["year"], totals["country"])}
    assert expected, "the real extracts give no country total at all"
    assert {(int(y), c) for y, c, w in zip(world["year"], world["country"], world["in_rca_world"]) if w} == expected


def test_no_absolute_local_path_anywhere_in_the_report(real_report) -> None:
    report, extracts, warehouse = real_report
    texts = {p.name: p.read_text(encoding="utf-8") for p in report.rglob("*") if p.suffix in {".md", ".html", ".csv"}
             and p.parent.name != "docs"}
    assert {"report.md", "index.html"} <= set(texts)
    for name, text in texts.items():
        text = re.sub(r"data:[^'\"]*", "", text)  # base64 images and CSVs could spell "/tmp/" by chance
        for local in (str(extracts), str(warehouse), str(REPO_ROOT), str(Path.home())):
            assert local not in text, (name, local)
        assert not ABSOLUTE_PATH.search(text), (name, ABSOLUTE_PATH.search(text).group(0))
