"""The backfill command: runs a year range without a daemon, skips unchanged years, and picks up a new year."""

import gzip
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]  # tests must not import conftest: there are several


SAMPLE = REPO_ROOT / "sample" / "extracts"


def _rvc(args: list[str], env_overrides: dict[str, str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RVC_", "DAGSTER_HOME"))} | env_overrides
    return subprocess.run([sys.executable, "-m", "pipelines.cli", *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_backfill_three_years_then_nothing_to_redo(tmp_path: Path) -> None:
    env = {"RVC_WAREHOUSE": str(tmp_path / "wh")}
    first = _rvc(["backfill", "--from", "2005", "--to", "2007"], env)
    assert first.returncode == 0, first.stderr[-3000:]
    assert "year 2006 (first run)" in first.stdout
    # Every year of the range is cleaned before the pooled weights are built, and harmonized only after them.
    lines = first.stdout.splitlines()
    weights_at = next(i for i, line in enumerate(lines) if line.startswith("HS conversion weights"))
    cleaning = [i for i, line in enumerate(lines) if line.endswith("cleaning …")]
    harmonizing = [i for i, line in enumerate(lines) if "harmonization and indicators" in line]
    assert len(cleaning) == 3 and len(harmonizing) == 3
    assert max(cleaning) < weights_at < min(harmonizing)
    assert (tmp_path / "wh" / "hs_conversion_weights.parquet").is_file()
    for year in ["2005", "2006", "2007"]:
        assert (tmp_path / "wh" / "trade_indicators" / f"{year}.parquet").is_file()
    assert not (tmp_path / "wh" / "trade_indicators" / "2008.parquet").exists()
    panel = pd.read_parquet(tmp_path / "wh" / "indicator_panel.parquet")
    assert sorted(panel.loc[panel["period"].isna(), "year"].unique().tolist()) == [2005, 2006, 2007]

    again = _rvc(["backfill", "--from", "2005", "--to", "2007"], env)
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stdout.count("inputs and code unchanged since its last run — skipped") == 3
    assert "kept as they are" in again.stdout

    weights_before = (tmp_path / "wh" / "hs_conversion_weights.parquet").read_bytes()
    forced = _rvc(["backfill", "--from", "2006", "--to", "2006", "--force"], env)
    assert forced.returncode == 0 and "year 2006 (forced)" in forced.stdout
    # Same inputs, same weights to the byte: only the forced year is harmonized again.
    assert (tmp_path / "wh" / "hs_conversion_weights.parquet").read_bytes() == weights_before
    assert forced.stdout.count("harmonization and indicators") == 1


def _copy_year(source: Path, target: Path, old: int, new: int) -> None:
    """A new year's file: the sample's last year re-stamped (refYear, period, refPeriodId)."""
    text = gzip.decompress(source.read_bytes()).decode()
    lines = text.splitlines()
    header = lines[0].split("\t")
    stamped = [lines[0]]
    for line in lines[1:]:
        cells = line.split("\t")
        for column in ("refYear", "period", "refPeriodId"):
            i = header.index(column)
            cells[i] = cells[i].replace(str(old), str(new), 1)
        stamped.append("\t".join(cells))
    target.write_bytes(gzip.compress(("\n".join(stamped) + "\n").encode(), mtime=0))


@pytest.mark.slow
def test_a_new_year_becomes_a_partition_and_reaches_the_panel(tmp_path: Path) -> None:
    extracts = tmp_path / "extracts"
    shutil.copytree(SAMPLE, extracts)
    env = {"RVC_EXTRACTS": str(extracts), "RVC_WAREHOUSE": str(tmp_path / "wh")}
    before = _rvc(["years"], env)
    assert before.returncode == 0 and before.stdout.split()[-1] == "2023"

    _copy_year(extracts / "comtrade" / "sample_comtrade_2023.tsv.gz", extracts / "comtrade" / "new_2024.tsv.gz", 2023, 2024)
    after = _rvc(["years"], env)
    assert after.stdout.split()[-1] == "2024"

    run = _rvc(["backfill", "--from", "2024", "--to", "2024"], env)
    assert run.returncode == 0, run.stderr[-3000:]
    panel = pd.read_parquet(tmp_path / "wh" / "indicator_panel.parquet")
    assert 2024 in set(panel["year"].dropna().astype(int))
    assert "2024" in (tmp_path / "wh" / "rvc_report" / "report.md").read_text()


def test_a_missing_or_empty_extracts_folder_is_one_clear_line(tmp_path: Path) -> None:
    missing = _rvc(["years"], {"RVC_EXTRACTS": str(tmp_path / "nowhere"), "RVC_WAREHOUSE": str(tmp_path / "wh")})
    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines() == [
        f"rvc: RVC_EXTRACTS={tmp_path / 'nowhere'}: no such folder; set RVC_EXTRACTS to the folder of your Comtrade and TiVA downloads"
    ]
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "archive.zip").write_bytes(b"PK")
    empty = _rvc(["backfill", "--from", "2017", "--to", "2017"], {"RVC_EXTRACTS": str(tmp_path / "empty"), "RVC_WAREHOUSE": str(tmp_path / "wh")})
    assert empty.returncode == 2
    assert "no Comtrade or TiVA file in it (1 other file(s) skipped" in empty.stderr
