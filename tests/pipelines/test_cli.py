"""The backfill command: runs a year range without a daemon, skips unchanged years, and picks up a new year."""

import argparse
import gzip
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.ragged_extract import add_ragged_comtrade_file

REPO_ROOT = Path(__file__).resolve().parents[2]  # tests must not import conftest: there are several
SAMPLE = REPO_ROOT / "sample" / "extracts"


def _rvc(args: list[str], env_overrides: dict[str, str]) -> subprocess.CompletedProcess:
    """`rvc ARGS` in a subprocess; runs are recorded in a Dagster instance beside the warehouse, not the project's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RVC_", "DAGSTER_HOME"))} | env_overrides
    if "RVC_WAREHOUSE" in env_overrides and "DAGSTER_HOME" not in env_overrides:
        env["DAGSTER_HOME"] = str(Path(env_overrides["RVC_WAREHOUSE"]).parent / "dagster_home")
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
    weights_at = next(i for i, line in enumerate(lines) if "] HS conversion weights" in line)
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
    assert "no year changed since they were built — kept as they are" in again.stdout
    assert "summary: 3 skipped" in again.stdout

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


@pytest.mark.slow
def test_a_bad_year_does_not_stop_the_others_and_is_one_line_in_the_summary(tmp_path: Path) -> None:
    extracts = tmp_path / "extracts"
    shutil.copytree(SAMPLE, extracts)
    bad = add_ragged_comtrade_file(extracts, 2006)
    env = {"RVC_EXTRACTS": str(extracts), "RVC_WAREHOUSE": str(tmp_path / "wh")}

    run = _rvc(["backfill", "--from", "2005", "--to", "2007"], env)

    assert run.returncode == 1, run.stdout[-3000:] + run.stderr[-3000:]
    lines = run.stdout.splitlines()
    # The years before and after the bad one ran to the end; the bad one's harmonization was skipped.
    assert "year 2007 (first run): cleaning …" in run.stdout
    assert not any("year 2006: harmonization" in line for line in lines)
    for year in ("2005", "2007"):
        assert (tmp_path / "wh" / "trade_indicators" / f"{year}.parquet").is_file()
    assert not (tmp_path / "wh" / "trade_indicators" / "2006.parquet").exists()
    # The summary: one row per year, the failure on ONE line naming the file, the line and what to do.
    table = lines[lines.index("summary: 2 done, 1 failed") + 1:]
    rows = {line.split()[0]: line for line in table if line[:4].isdigit()}
    assert rows["2005"].split()[1] == "done" and rows["2007"].split()[1] == "done"
    failure = rows["2006"]
    assert failure.split()[1] == "failed"
    assert bad in failure and "line 51 has 5 fields where the header has 38" in failure
    assert "Fix or re-download the file" in failure and "its harmonization was skipped" in failure
    assert "Traceback" not in run.stdout and "Traceback" not in run.stderr
    # The panel stacks the years that are there; the log named at the end holds the full trace.
    assert "indicator panel and report: rebuilt" in run.stdout
    log = Path(next(line for line in lines if line.startswith("log (full traces): ")).split(": ", 1)[1])
    assert log.parent == tmp_path / "wh" / "logs"
    text = log.read_text()
    assert "yearly_cleaning partition 2006" in text and bad in text
    assert "RvcInputError" in text and ", in comtrade_raw" in text  # the full stack of the error


def test_a_reversed_range_is_one_clear_line(tmp_path: Path) -> None:
    run = _rvc(["backfill", "--from", "2007", "--to", "2005"], {"RVC_WAREHOUSE": str(tmp_path / "wh")})
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        "rvc: --from 2007 is after --to 2005; give the earlier year first (e.g. --from 2005 --to 2007)"
    ]
    outside = _rvc(["backfill", "--from", "1900", "--to", "1901"], {"RVC_WAREHOUSE": str(tmp_path / "wh")})
    assert outside.returncode == 2 and "[" not in outside.stderr  # no Python list syntax
    assert outside.stderr.strip() == (
        "rvc: no partition years between 1900 and 1901; the extracts give 1995 to 2023 (`rvc years` lists them)"
    )


def test_every_option_has_help() -> None:
    from pipelines.cli import build_parser

    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(subparsers.choices) >= {"demo", "backfill", "years"}
    for name, sub in subparsers.choices.items():
        for action in sub._actions:
            if action.option_strings and not isinstance(action, argparse._HelpAction):
                assert action.help, f"rvc {name} {action.option_strings[0]} has no help"
