"""Write the report folder: index.html (self-contained, charts embedded), report.md and charts/*.png.

The folder is built next to its destination and swapped in at the end, so a failed run leaves the
previous report whole.
"""

from __future__ import annotations

import base64
import html
import io
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from assets.markdown_text import markdown_table, markdown_text
from assets.project_paths import DOCS_DIR
from assets.transforms.report.blocks import to_html, to_markdown
from assets.transforms.report.chart_tables import ChartTable
from assets.transforms.report.charts import caption, charts_for, draw_chart
from assets.transforms.report.coverage import WORLD_CSV, data_and_coverage, holds_scope_lines, no_scope_lines, world_members
from assets.transforms.report.extract_facts import ExtractFacts
from assets.transforms.report.findings import finding_sections
from assets.transforms.report.panel_views import year_span
from assets.transforms.report.scope import ReportScope, default_report_scope

LINKED_DOCS = ["methods.md", "reject_reasons.md"]
READING_NOTE = ("Each finding gives its numbers, period and unit, with the indicator (and variant) in brackets; "
                "turning points are peaks and lows of at least 15 % of the series' range (docs/methods.md, Report findings). "
                "\"World\" means the countries in the extracts (see Data and coverage).")


@dataclass
class WrittenReport:
    folder: Path
    findings: list[str]
    charts: list[str] = field(default_factory=list)
    chart_data_uris: dict[str, str] = field(default_factory=dict)
    missing_charts: list[str] = field(default_factory=list)


def _png_bytes(fig: plt.Figure) -> bytes:
    buffer = io.BytesIO()
    # Fixed metadata keeps the PNG bytes identical across runs (reproducible outputs).
    fig.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def chart_csv(table: ChartTable) -> str:
    """The chart's numbers as CSV: one row per panel, series and year; a year without data has an empty value
    and note "no data" (not 0)."""
    data = table.data.assign(note=table.data["value"].isna().map({True: "no data", False: ""}))
    return data.to_csv(index=False, lineterminator="\n", float_format="%.6g")


def _catalog_markdown(catalog: pd.DataFrame) -> str:
    rows = [[row.indicator, row.unit, row.formula] for row in catalog.itertuples(index=False)]
    return markdown_table(["indicator", "unit", "formula"], rows, code_columns=(0,))


def write_report(panel: pd.DataFrame, catalog: pd.DataFrame, destination: Path, data_label: str,
                 facts: ExtractFacts | None = None, scope: ReportScope | None = None) -> WrittenReport:
    """Draw the charts, generate the findings, write index.html + report.md + charts/ (PNG and CSV of each chart)
    + docs/ (the methods the report links to) to `destination`. `facts` (sources, rejects, methods from the
    stored tables) feeds the "Data and coverage" section; without it the section says what is missing. `scope`
    (ReportScope of the active scope file) says which countries, groups and title the report is about; default:
    scopes/automotive.yaml."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}.", dir=destination.parent))
    try:
        written = _write_into(staging, panel, catalog, data_label, facts, scope or default_report_scope())
        backup = destination.with_name(f".{destination.name}.old")
        shutil.rmtree(backup, ignore_errors=True)
        if destination.exists():
            destination.rename(backup)
        staging.rename(destination)
        shutil.rmtree(backup, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    written.folder = destination
    return written


def _copy_linked_docs(folder: Path) -> None:
    """The methods and reject-reason documents the report links to, copied so the links work anywhere."""
    (folder / "docs").mkdir()
    for doc in LINKED_DOCS:
        source = DOCS_DIR / doc
        if source.is_file():
            shutil.copyfile(source, folder / "docs" / doc)


def _write_into(folder: Path, panel: pd.DataFrame, catalog: pd.DataFrame, data_label: str,
                facts: ExtractFacts | None, rs: ReportScope) -> WrittenReport:
    (folder / "charts").mkdir()
    _copy_linked_docs(folder)
    title = rs.title
    sections = finding_sections(panel, rs)
    findings = [sentence for section in sections for sentence in section.sentences]
    report = WrittenReport(folder=folder, findings=findings)
    span = year_span(panel)
    years = f"{span[0]}–{span[1]}" if span else "no years"

    # Everything from data (the label, the findings, catalog cells) is escaped; html.escape does the same below.
    md = [f"# {markdown_text(title)}", "", f"**Data: {markdown_text(data_label)}.** Years {years}.", "",
          markdown_text(READING_NOTE), "", "## Findings", ""]
    body = [f"<h1>{html.escape(title)}</h1>", f"<p><strong>Data: {html.escape(data_label)}.</strong> Years {years}.</p>",
            f"<p>{html.escape(READING_NOTE)}</p>", "<h2>Findings</h2>"]
    if not holds_scope_lines(panel, rs):
        warning = no_scope_lines(rs)
        md += [f"**{markdown_text(warning)}**", ""]
        body.append(f"<p><strong>{html.escape(warning)}</strong></p>")
    for section in sections:
        md += [f"### {markdown_text(section.question)}", ""] + [f"- {markdown_text(f)}" for f in section.sentences] + [""]
        body += [f"<h3>{html.escape(section.question)}</h3><ul>", *[f"<li>{html.escape(f)}</li>" for f in section.sentences], "</ul>"]
    md += ["## Charts", ""]
    body.append("<h2>Charts</h2>")
    for chart in charts_for(rs):
        table = chart.build(panel)
        fig = draw_chart(chart, table, data_label)
        if fig is None:
            report.missing_charts.append(chart.name)
            note = f"{chart.title}: not drawn — the panel has no data for it."
            md += [f"### {markdown_text(chart.title)}", "", f"_{markdown_text(note)}_", ""]
            body.append(f"<h3>{html.escape(chart.title)}</h3><p><em>{html.escape(note)}</em></p>")
            continue
        png = _png_bytes(fig)
        (folder / "charts" / f"{chart.name}.png").write_bytes(png)
        csv_bytes = chart_csv(table).encode("utf-8")
        (folder / "charts" / f"{chart.name}.csv").write_bytes(csv_bytes)
        uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        # The CSV is embedded too (a download link), so index.html stays whole when copied alone.
        csv_uri = "data:text/csv;charset=utf-8;base64," + base64.b64encode(csv_bytes).decode("ascii")
        report.charts.append(chart.name)
        report.chart_data_uris[chart.name] = uri
        text = caption(chart, table, data_label)
        md += [f"### {markdown_text(chart.title)}", "", f"![{markdown_text(chart.title)}](charts/{chart.name}.png)", "",
               f"_{markdown_text(text)}_", "", f"Data: [charts/{chart.name}.csv](charts/{chart.name}.csv)", ""]
        body.append(f"<h3>{html.escape(chart.title)}</h3><img alt='{html.escape(chart.title)}' src='{uri}' style='max-width:100%'>"
                    f"<p><em>{html.escape(text)}</em></p>"
                    f"<p><a download='{chart.name}.csv' href='{csv_uri}'>Data behind this chart ({chart.name}.csv)</a></p>")
    (folder / "data").mkdir()
    world_members(panel, rs).to_csv(folder / WORLD_CSV, index=False, lineterminator="\n")
    coverage = data_and_coverage(panel, facts, rs)
    md += to_markdown(coverage)
    body += to_html(coverage)
    md += ["## Indicator catalog", "", _catalog_markdown(catalog), ""]
    body.append("<h2>Indicator catalog</h2>" + pd.DataFrame(catalog[["indicator", "unit", "formula", "definition"]]).to_html(index=False, border=0))
    (folder / "report.md").write_text("\n".join(md), encoding="utf-8")
    page = ("<!doctype html><html><head><meta charset='utf-8'><title>" + html.escape(title) + "</title>"
            "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
            "table{border-collapse:collapse;font-size:0.85em}td,th{padding:3px 6px;border-bottom:1px solid #ddd}</style>"
            "</head><body>" + "\n".join(body) + "</body></html>")
    (folder / "index.html").write_text(page, encoding="utf-8")
    return report
