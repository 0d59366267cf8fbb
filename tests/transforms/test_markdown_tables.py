"""One Markdown table writer (`markdown_table`), used by the report, the indicator catalog and Dagster metadata."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from assets.transforms.indicators.indicator_catalog import catalog_markdown
from assets.markdown_text import markdown_cell, markdown_table
from pipelines.io_managers import markdown_preview
from pipelines.validation import failure_metadata

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_a_data_cell_is_shown_as_typed_on_one_line_with_the_separator_escaped() -> None:
    assert markdown_cell("jpn_2017.csv") == "jpn_2017.csv"
    assert markdown_cell("a|b\nc *d*") == "a\\|b c *d*"
    table = markdown_table(["file", "note"], [["jpn_2017.csv", "x|y"]], cell=markdown_cell)
    assert table == "| file | note |\n|---|---|\n| jpn_2017.csv | x\\|y |"


def test_metadata_previews_and_failure_cases_cannot_split_a_row() -> None:
    frame = pd.DataFrame({"source_file": ["jpn_2017.csv"], "note": ["a|b"], "value": [None]})
    assert markdown_preview(frame) == "| source_file | note | value |\n|---|---|---|\n| jpn_2017.csv | a\\|b |  |"
    cases = pd.DataFrame({"column": ["hs6"], "check": ["str_matches('^\\d{6}$')"], "failure_case": ["87|03"]})
    shown = failure_metadata("Example", cases)["failure_cases"].value
    assert shown.splitlines()[2] == "| hs6 | str_matches('^\\d{6}$') | 87\\|03 |"


def test_catalog_rows_keep_the_indicator_as_code() -> None:
    catalog = pd.DataFrame({"indicator": ["rca"], "unit": ["index"], "definition": ["X share | world"],
                            "formula": ["(X_ij/X_i)/(X_wj/X_w)"], "reference": ["Balassa (1965)"]})
    assert catalog_markdown(catalog).splitlines()[2] == "| `rca` | index | X share \\| world | (X_ij/X_i)/(X_wj/X_w) | Balassa (1965) |"


def test_no_other_module_writes_a_table_separator_row() -> None:
    writers = [
        path.relative_to(REPO_ROOT).as_posix()
        for package in ("assets", "checks", "pipelines", "deploy", "scripts")
        for path in sorted((REPO_ROOT / package).rglob("*.py"))
        if '"---|"' in path.read_text(encoding="utf-8") or "|---|" in path.read_text(encoding="utf-8")
    ]
    assert writers == ["assets/markdown_text.py"]
