"""report.md shows text from data as written: Markdown in a label, a finding or a catalog cell is escaped.

Rendered with markdown-it (CommonMark + GFM tables, what GitHub and most viewers follow) and compared
with the text that went in, so the test checks what a reader sees, not how the escaping is spelt.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd
import pytest

from assets.transforms.indicators.indicator_catalog import load_indicator_catalog
from assets.transforms.report import render, write_report
from assets.transforms.report.findings import Section

markdown_it = pytest.importorskip("markdown_it")

HOSTILE_LABEL = "extracts in /data/a|b *bold* __under__ <script>x</script> [link](http://x) `code` 1 & 2"
FORMULA = "GL = 1 - |X − M| / (X + M), x_ij * m_ij"
UNIT = "usd_per_item|usd_per_kg"
QUESTION = "Trade | *shares* <i>x</i>"
FINDINGS = [
    "Trade of Côte|d'Ivoire *X* rose: |X − M| fell from 5 to 3.",
    "1. not a list: <b>raw</b> #hash _x_ ~~y~~",
    "- not a bullet either",
]


def rendered(markdown: str) -> str:
    return markdown_it.MarkdownIt("commonmark").enable("table").render(markdown)


def texts_of(tag: str, page: str) -> list[str]:
    """The text content of each <tag> element, entities decoded (what a reader sees), inner tags kept."""
    return [html.unescape(cell) for cell in re.findall(rf"<{tag}>(.*?)</{tag}>", page, flags=re.DOTALL)]


def small_panel() -> pd.DataFrame:
    """Exports of two years, enough for some charts to be drawn (their captions carry the data label)."""
    rows = [
        dict(year=year, country=country, partner=partner, product_group=group, indicator="exports_usd", subtype=None,
             variant="reconciled", value=value * (1 + (year - 1995) / 28), unit="usd", note=None)
        for year in (1995, 2023)
        for country, partner, group, value in [("JPN", "THA", "parts_accessories", 1.5e9), ("THA", "WLD", "all_automotive", 2e9),
                                               ("JPN", "THA", "passenger_cars", 0.1e9), ("THA", "JPN", "parts_accessories", 0.2e9)]
    ]
    panel = pd.DataFrame(rows)
    panel["year"] = panel["year"].astype("Int64")
    panel["period"] = None
    return panel


@pytest.fixture
def report_md(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    panel = small_panel()
    catalog = load_indicator_catalog().head(2).copy()
    catalog.loc[catalog.index[0], ["unit", "formula"]] = [UNIT, FORMULA]
    monkeypatch.setattr(render, "finding_sections", lambda panel, scope=None: [Section(QUESTION, list(FINDINGS))])
    write_report(panel, catalog, tmp_path / "rvc_report", data_label=HOSTILE_LABEL)
    return (tmp_path / "rvc_report" / "report.md").read_text(encoding="utf-8")


def test_catalog_cells_render_as_written_in_their_own_columns(report_md: str) -> None:
    page = rendered(report_md).split("<h2>Indicator catalog</h2>")[1]  # the coverage tables come before it
    rows = re.findall(r"<tr>\n(.*?)</tr>", page, flags=re.DOTALL)
    body = [texts_of("td", row) for row in rows if "<td>" in row]
    assert [len(cells) for cells in body] == [3, 3]  # a "|" in a cell did not split it
    assert body[0][1] == UNIT
    assert body[0][2] == FORMULA  # |X − M| as written, not /X − M/, and no emphasis from * or _
    assert "/X − M/" not in report_md


def test_findings_and_the_data_label_render_as_written(report_md: str) -> None:
    page = rendered(report_md)
    assert texts_of("li", page) == FINDINGS  # three bullets, each its own text: no nested list, no tags
    assert QUESTION in texts_of("h3", page)
    assert "<script>" not in page and "<b>" not in page and "<em>" not in page.split("<h2>Charts</h2>")[0]
    assert "<strong>" not in page.split("<strong>Data: ")[1]  # no emphasis made from the label's * or _
    assert "<strong>Data: " + html.escape(HOSTILE_LABEL, quote=False) + ".</strong>" in page
    captions = [text for text in texts_of("em", page) if text.startswith("Source:")]
    assert captions and all(HOSTILE_LABEL in caption for caption in captions)


def test_any_report_table_keeps_hostile_cells_in_their_columns() -> None:
    """The coverage tables (sources, rejects) go through the same helper as the catalog."""
    from assets.markdown_text import markdown_table

    cells = [["a|b.csv", "*x* _y_", "`tick`"], ["1. two", "- three", "<i>four</i> | five"]]
    page = rendered(markdown_table(["file", "note", "code"], cells, code_columns=(2,)))
    rows = [texts_of("td", row) for row in re.findall(r"<tr>\n(.*?)</tr>", page, flags=re.DOTALL) if "<td>" in row]
    assert [len(r) for r in rows] == [3, 3]
    assert rows[0][:2] == ["a|b.csv", "*x* _y_"] and rows[1][:2] == ["1. two", "- three"]
    assert rows[0][2] == "<code>`tick`</code>" and rows[1][2] == "<code><i>four</i> | five</code>"


def test_a_table_row_of_the_wrong_width_is_refused() -> None:
    from assets.markdown_text import markdown_table

    with pytest.raises(ValueError, match="every row needs 2 cells"):
        markdown_table(["a", "b"], [["only one"]])
