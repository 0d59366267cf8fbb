"""Text from data, escaped for Markdown, so report.md shows it as written (index.html uses html.escape);
and `markdown_table`, the project's one Markdown table writer (report, README catalog, docs, Dagster metadata).

A bottom module (it imports nothing of the project) so that pipelines/ and the indicator catalog can use it
without importing the report package: an asset's code version covers every module it imports
(pipelines/code_versions.py), and the yearly assets must not go stale when the report's charts change.

CommonMark lets a backslash escape any ASCII punctuation; only the characters that could start
emphasis, code, links, raw HTML, entities, strikethrough or headings, and the GFM table separator
`|`, are escaped. A formula such as `1 - |X − M| / (X + M)` thus renders as written inside a table cell.
Metadata tables in the Dagster UI show data as typed (file names such as `jpn_2017.csv` stay searchable
there), so they take `markdown_cell`: one line, `|` escaped, nothing else. Not here: what the report says
(assets/transforms/report/findings.py) or how it is laid out (report/render.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable

_INLINE_SPECIALS = re.compile(r"([\\`*_\[\]<>|~#&!])")
# At the start of a line these turn text into a list item, a numbered list or a setext heading underline.
_BLOCK_START = re.compile(r"^(\s*)([-+=]|\d+[.)])")


def markdown_text(text: object) -> str:
    """`text` on one line with its Markdown punctuation escaped ("a|b *c*" -> "a\\|b \\*c\\*")."""
    one_line = " ".join(str(text).splitlines())
    escaped = _INLINE_SPECIALS.sub(r"\\\1", one_line)
    return _BLOCK_START.sub(lambda m: m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], escaped)


def markdown_code(text: object) -> str:
    """`text` as an inline code span for a table cell: backticks around it, `|` escaped (GFM tables split on
    it even inside code), a longer fence when the text itself holds a backtick."""
    body = " ".join(str(text).splitlines()).replace("|", "\\|")
    return f"`` {body} ``" if "`" in body else f"`{body}`"


def markdown_cell(text: object) -> str:
    """`text` on one line with only the GFM table separator `|` escaped: a data cell shown as typed."""
    return " ".join(str(text).splitlines()).replace("|", "\\|")


def markdown_table(
    header: list[str],
    rows: list[list[object]],
    code_columns: tuple[int, ...] = (),
    cell: Callable[[object], str] = markdown_text,
) -> str:
    """A GFM table whose every cell is escaped — by `cell` (`markdown_text` by default; `markdown_cell` for data
    shown as typed), or `markdown_code` for the columns in `code_columns` — so a `|` in data never splits a row."""
    if any(len(row) != len(header) for row in rows):
        raise ValueError(f"markdown_table: every row needs {len(header)} cells ({header}); got lengths {sorted({len(r) for r in rows})}")

    def escaped(index: int, value: object) -> str:
        return markdown_code(value) if index in code_columns else cell(value)

    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(escaped(i, v) for i, v in enumerate(row)) + " |" for row in rows]
    return "\n".join(lines)
