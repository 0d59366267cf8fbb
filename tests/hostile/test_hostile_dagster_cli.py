"""A truncated gzip extract through the Dagster CLI (issue #15: it ended with a bare "Aborted!" and an EOFError
without a file name): the code location still loads, the year the file holds is a partition, and the failure
names the file, says what is wrong and what to do."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.settings import REPO_ROOT
from tests.hostile.comtrade_files import delimited, row, write


@pytest.mark.slow
def test_a_truncated_gzip_fails_its_year_naming_the_file(tmp_path: Path) -> None:
    rows = [row(primaryValue=str(1000 + n)) for n in range(2000)]
    whole = gzip.compress(delimited(rows).encode())
    write(tmp_path / "extracts" / "comtrade" / "jpn_2017.csv.gz", whole[: len(whole) // 2])
    (tmp_path / "home").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RVC_", "DAGSTER_HOME"))} | {
        "DAGSTER_HOME": str(tmp_path / "home"),
        "RVC_EXTRACTS": str(tmp_path / "extracts"),
        "RVC_WAREHOUSE": str(tmp_path / "wh"),
    }

    run = subprocess.run(
        [sys.executable, "-m", "dagster", "asset", "materialize", "-m", "pipelines.definitions",
         "--select", "comtrade_raw", "--partition", "2017"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600,
    )

    assert run.returncode != 0
    said = run.stdout + run.stderr
    assert "RvcInputError: comtrade_raw 2017: 1 extract file(s) holding 2017 cannot be read" in said
    assert "comtrade/jpn_2017.csv.gz" in said and "ends early" in said and "Download the file again" in said
    assert "Aborted!" not in said
    assert not (tmp_path / "wh" / "comtrade_raw" / "2017.parquet").exists()
