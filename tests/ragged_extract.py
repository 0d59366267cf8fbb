"""A bad Comtrade extract for the tests of failure reporting (CLI summary, step description, UI run page)."""

from __future__ import annotations

import gzip
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[1] / "sample" / "extracts"


def add_ragged_comtrade_file(extracts: Path, year: int) -> str:
    """Write beside the sample a second Comtrade file for `year` whose line 51 has 5 fields instead of the
    header's 38; returns its name (under `extracts/comtrade/`)."""
    lines = gzip.decompress((SAMPLE / "comtrade" / f"sample_comtrade_{year}.tsv.gz").read_bytes()).decode().splitlines()
    name = f"ragged_{year}.tsv"
    (extracts / "comtrade" / name).write_text("\n".join([*lines[:50], f"C\tA\t{year}0101\t{year}\t52", *lines[50:100]]) + "\n")
    return name
