"""The reject reasons of the cleaning stages as data: each reason with its stage, rule, why, and what to do.

Belongs here: loading and validating assets/data/reject_reasons.csv (the source of truth for what each
reason means, as the indicator catalog is for indicators) and rendering docs/reject_reasons.md from it and
the page's prose (assets/data/reject_reasons_page.md). Not here: the rules themselves — the reason codes a
stage emits, in the order it applies them, are the stage's `REJECT_REASONS`
(assets/transforms/cleaning/row_rules.py for Comtrade, assets/transforms/cleaning/tiva_cleaning.py for TiVA); a test
keeps the table and those codes equal, in order.

    python -m assets.transforms.cleaning.reject_reasons          # write docs/reject_reasons.md (make docs)
    python -m assets.transforms.cleaning.reject_reasons --check  # exit 1 when the committed page differs
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from assets.errors import RvcInputError
from assets.markdown_text import markdown_cell, markdown_table
from assets.project_paths import DATA_DIR, DOCS_DIR

REJECT_REASONS_PATH = DATA_DIR / "reject_reasons.csv"
PAGE_TEMPLATE_PATH = DATA_DIR / "reject_reasons_page.md"
DOC_PATH = DOCS_DIR / "reject_reasons.md"

REASON_COLUMNS = ["stage", "reason", "rule", "why", "what_to_do"]
# Stage → the asset its rejected rows are written to.
STAGES = {"comtrade_cleaning": "comtrade_rejects", "tiva_cleaning": "tiva_rejects"}
# Where a stage's table goes in the page template (one line of its own).
MARKER = "<!-- REJECT_REASONS:{stage} -->"
TABLE_HEADER = ["code", "rule", "why", "what you can do"]


def load_reject_reasons(path: Path = REJECT_REASONS_PATH) -> pd.DataFrame:
    """The reasons table, in file order (= the order each stage applies its rules).

    Raises RvcInputError naming the file, row and column for a missing column, an empty cell, an unknown
    stage or a reason listed twice in one stage."""
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    if list(table.columns) != REASON_COLUMNS:
        raise RvcInputError(f"{path}: columns are {list(table.columns)}; expected exactly {REASON_COLUMNS}")
    for index, row in table.iterrows():
        line = index + 2  # the header is line 1
        for column in REASON_COLUMNS:
            if not row[column].strip():
                raise RvcInputError(f"{path} line {line}: column {column!r} is empty; every reason needs its {column}")
        if row["stage"] not in STAGES:
            raise RvcInputError(f"{path} line {line}: stage {row['stage']!r} is not one of {sorted(STAGES)}")
    repeated = table[table.duplicated(["stage", "reason"], keep=False)]
    if len(repeated):
        first = repeated.iloc[0]
        lines = [i + 2 for i in repeated.index if (table.loc[i, "stage"], table.loc[i, "reason"]) == (first["stage"], first["reason"])]
        raise RvcInputError(f"{path} lines {lines}: reason {first['reason']!r} is listed more than once for {first['stage']}; keep one row")
    return table


def reasons_of(stage: str, table: pd.DataFrame | None = None) -> list[str]:
    """The reason codes of `stage`, in table order."""
    table = load_reject_reasons() if table is None else table
    return table.loc[table["stage"] == stage, "reason"].tolist()


def reasons_markdown(table: pd.DataFrame, stage: str) -> str:
    """One stage's reasons as a Markdown table: code (as code), rule, why, what you can do (authored Markdown,
    shown as written)."""
    rows = table.loc[table["stage"] == stage, ["reason", "rule", "why", "what_to_do"]].values.tolist()
    return markdown_table(TABLE_HEADER, rows, code_columns=(0,), cell=markdown_cell)


def render_page(table: pd.DataFrame, template: str) -> str:
    """The page: the template with each stage's marker line replaced by that stage's table."""
    page = template
    for stage in STAGES:
        marker = MARKER.format(stage=stage)
        if page.count(marker) != 1:
            raise RvcInputError(f"{PAGE_TEMPLATE_PATH}: needs the line {marker} exactly once (found {page.count(marker)})")
        page = page.replace(marker, reasons_markdown(table, stage))
    return page


def rendered_doc() -> str:
    return render_page(load_reject_reasons(), PAGE_TEMPLATE_PATH.read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render docs/reject_reasons.md from assets/data/reject_reasons.csv")
    parser.add_argument("--check", action="store_true", help="exit 1 when the committed page differs from the rendering")
    args = parser.parse_args(argv)
    page = rendered_doc()
    if args.check:
        if DOC_PATH.read_text(encoding="utf-8") != page:
            print(f"{DOC_PATH} is out of date; run `make docs`", file=sys.stderr)
            return 1
        return 0
    DOC_PATH.write_text(page, encoding="utf-8")
    print(f"reject reasons written to {DOC_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
