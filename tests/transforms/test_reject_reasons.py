"""Reject reasons as data: assets/data/reject_reasons.csv holds every reason the cleaning stages can emit (and
no other), in the order each stage applies them; docs/reject_reasons.md is its rendering."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assets.errors import RvcInputError
from assets.transforms.cleaning import releases, row_rules, tiva_cleaning
from assets.transforms.cleaning.reject_reasons import DOC_PATH, STAGES, load_reject_reasons, main, reasons_of, rendered_doc

HEADER = "stage,reason,rule,why,what_to_do\n"


def _source(module) -> str:
    return Path(module.__file__).read_text(encoding="utf-8")


def comtrade_emitted() -> set[str]:
    """Reasons the Comtrade SQL can write: one per row-rule condition, one per group rule's SELECT."""
    group_rules = set(re.findall(r"REASON_NUMBER\['(\w+)'\]", _source(releases)))
    return set(row_rules._rule_conditions()) | group_rules


def tiva_emitted() -> set[str]:
    """Reasons TiVA cleaning can write: the code passed to each `verdicts.reject(mask, code, message)` call."""
    return set(re.findall(r"verdicts\.reject\(.*?,\s*\"(\w+)\",", _source(tiva_cleaning), flags=re.S))


def test_the_committed_page_is_the_rendering_of_the_table() -> None:
    assert DOC_PATH.read_text(encoding="utf-8") == rendered_doc(), "docs/reject_reasons.md is out of date: run `make docs`"
    assert main(["--check"]) == 0


def test_every_reason_the_code_can_emit_is_in_the_table_and_no_other() -> None:
    assert len(comtrade_emitted()) == 18 and len(tiva_emitted()) == 9  # the scans found every emitting site
    assert set(reasons_of("comtrade_cleaning")) == comtrade_emitted()
    assert set(reasons_of("tiva_cleaning")) == tiva_emitted()


def test_the_table_lists_each_stage_in_the_order_its_code_applies_or_counts_them() -> None:
    assert reasons_of("comtrade_cleaning") == list(row_rules.REJECT_REASONS)
    assert reasons_of("tiva_cleaning") == list(tiva_cleaning.REJECT_REASONS)
    assert set(load_reject_reasons()["stage"]) == set(STAGES)


def test_the_page_shows_what_to_do_for_every_reason() -> None:
    page = DOC_PATH.read_text(encoding="utf-8")
    for row in load_reject_reasons().itertuples(index=False):
        assert f"| `{row.reason}` | {row.rule} | {row.why} | {row.what_to_do} |" in page, row.reason


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("tiva_cleaning,missing_key,a rule,,fix it\n", r"line 2: column 'why' is empty"),
        ("raw,missing_key,a rule,why,fix it\n", r"line 2: stage 'raw' is not one of"),
        ("tiva_cleaning,a,r,w,t\ntiva_cleaning,b,r,w,t\ntiva_cleaning,a,r,w,t\n", r"lines \[2, 4\]: reason 'a' is listed more than once"),
    ],
)
def test_a_bad_table_is_refused_naming_file_line_and_column(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "reasons.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    with pytest.raises(RvcInputError, match=message) as excinfo:
        load_reject_reasons(path)
    assert str(path) in str(excinfo.value)
