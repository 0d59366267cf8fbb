"""The report's figures, drawn from ChartTables (chart_tables.py): one matplotlib Figure per chart, or None.

Rules every figure follows (issue 17): at most 8 series per panel (small multiples beyond), Japan drawn
black and thick as the reference, one fixed colour per country, the legend outside the plotting area,
a year without data drawn as a gap (markers show isolated years), never as zero, a panel without any
data says "no data", each facet's own y-scale said on its axis, and a caption whose period comes from the
years the chart actually holds.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # no display; charts are files
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
import pandas as pd  # noqa: E402

from assets.transforms.report import chart_tables  # noqa: E402
from assets.transforms.report.chart_tables import MAX_SERIES_PER_FACET, ChartTable  # noqa: E402
from assets.transforms.report.scope import ReportScope, default_report_scope, name, possessive  # noqa: E402

REFERENCE_COLOUR = "black"
NO_DATA_COLOUR = "#bbbbbb"


def country_colours(members: tuple[str, ...]) -> dict[str, object]:
    """One colour per member for every chart (tab10 has ten distinct colours: one each, the reference is black)."""
    return {name(code): colour for code, colour in zip(members, plt.get_cmap("tab10").colors)}


# Flows and product groups: colours outside tab10, so no such series looks like a country in any chart.
OTHER_COLOURS = ["#1f1f7a", "#8b4513", "#008b8b", "#c71585", "#556b2f", "#b8860b", "#4b0082", "#708090"]
LEGEND_X = 0.80  # the plotting area ends here; the legend sits to its right, off the data


@dataclass(frozen=True)
class Chart:
    name: str
    title: str
    source: str
    build: Callable[[pd.DataFrame], ChartTable]
    members: tuple[str, ...] = ()  # the members region's countries, each drawn in its own colour


def _colours(table: ChartTable, members: tuple[str, ...]) -> dict[str, object]:
    """Fixed colours for countries; other series (flows, product groups) take OTHER_COLOURS in order of appearance."""
    country = country_colours(members)
    others = iter(OTHER_COLOURS)
    colours: dict[str, object] = {}
    for label, is_reference in table.data[["series", "reference"]].drop_duplicates().itertuples(index=False):
        if is_reference:
            colours[label] = REFERENCE_COLOUR
        elif label in country:
            colours[label] = country[label]
        elif label not in colours:
            colours[label] = next(others)
    return colours


def _grid(count: int) -> tuple[int, int]:
    columns = min(count, 5)
    return math.ceil(count / columns), columns


def _draw_lines(table: ChartTable, title: str, members: tuple[str, ...]) -> plt.Figure:
    data = table.data
    facets = list(dict.fromkeys(data["facet"]))
    rows, columns = _grid(len(facets))
    fig, axes = plt.subplots(rows, columns, figsize=(3.4 * columns + 2.6, 2.9 * rows + 1.0), squeeze=False,
                             sharex=True, sharey=table.shared_y)
    colours = _colours(table, members)
    for ax, facet in zip(axes.flat, facets):
        rows_of_facet = data[data["facet"] == facet]
        labels = list(dict.fromkeys(rows_of_facet["series"]))
        if len(labels) > MAX_SERIES_PER_FACET:
            raise ValueError(f"chart {title!r}, panel {facet!r}: {len(labels)} series, at most {MAX_SERIES_PER_FACET}; "
                             "split it into small multiples in chart_tables.py")
        for label in labels:
            line = rows_of_facet[rows_of_facet["series"] == label].sort_values("year")
            reference = bool(line["reference"].iloc[0])
            ax.plot(line["year"].to_numpy(), line["value"].to_numpy(dtype="float64"), label=label, color=colours[label],
                    linewidth=2.4 if reference else 1.3, marker="o", markersize=2.5, zorder=3 if reference else 2,
                    linestyle="--" if label.startswith("member →") else "-")  # flows into the reference economy
        if rows_of_facet["value"].isna().all():
            ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes, color="#888888")
        if table.reference_line is not None:
            ax.axhline(table.reference_line, color="#666666", linewidth=0.7, linestyle=":", label="_" + table.reference_line_label)
        ax.set_title("\n".join(textwrap.wrap(facet, 38)), fontsize=8)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # years, never 2010.5
        unit = rows_of_facet["unit"].iloc[0]
        ax.set_ylabel(unit if table.shared_y else f"{unit} (own scale)", fontsize=7)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(facets):]:
        ax.axis("off")
    handles: dict[str, object] = {}
    for ax in axes.flat:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, handle)
    if table.reference_line is not None:
        handles[f"dotted: {table.reference_line_label}"] = plt.Line2D([], [], color="#666666", linewidth=0.7, linestyle=":")
    fig.legend(list(handles.values()), list(handles.keys()), loc="center left", bbox_to_anchor=(LEGEND_X + 0.01, 0.5),
               fontsize=7, frameon=False)
    return fig


def _draw_stacked_bars(table: ChartTable, title: str, members: tuple[str, ...]) -> plt.Figure:
    data = table.data
    bars = list(dict.fromkeys(data["facet"]))
    fig, ax = plt.subplots(figsize=(12, 5))
    colours = _colours(table, members)
    bottoms = pd.Series(0.0, index=bars)
    missing = data.groupby("facet", sort=False)["value"].apply(lambda v: v.isna().all()).reindex(bars)
    for label in dict.fromkeys(data["series"]):
        values = data[data["series"] == label].set_index("facet")["value"].reindex(bars)
        heights = values.fillna(0.0).where(~missing, 0.0)
        ax.bar(bars, heights.to_numpy(), bottom=bottoms.to_numpy(), label=label, color=colours[label])
        bottoms += heights
    if missing.any():
        # "No data" is an outlined, hatched bar with a label: it cannot be read as a zero share.
        gaps = [b for b in bars if missing[b]]
        ax.bar(gaps, [100.0] * len(gaps), fill=False, hatch="//", edgecolor=NO_DATA_COLOUR, label="no data")
    ax.set_ylim(0, 100)
    ax.set_ylabel(data["unit"].iloc[0], fontsize=8)
    ax.tick_params(labelsize=8)
    fig.legend(*ax.get_legend_handles_labels(), loc="center left", bbox_to_anchor=(LEGEND_X + 0.01, 0.5), fontsize=8,
               frameon=False)
    return fig


def caption(chart: Chart, table: ChartTable, data_label: str) -> str:
    span = table.years
    period = f"{span[0]}–{span[1]}" if span and span[0] != span[1] else (str(span[0]) if span else "no years")
    units = ", ".join(dict.fromkeys(table.data["unit"]))
    notes = [] if table.shared_y else ["Each panel has its own y-scale."]
    if table.kind == "line":
        notes.append("Gaps are years without data, not zeros.")
    return (f"Source: {chart.source}. Years: {period}. Units: {units}. Data: {data_label}. "
            + " ".join(notes) + " The numbers are in the CSV next to the chart.").replace("  ", " ")


def draw_chart(chart: Chart, table: ChartTable, data_label: str) -> plt.Figure | None:
    """The figure of `table`, captioned; None when the table holds no value at all."""
    if table.empty:
        return None
    span = table.years
    title = chart.title + (f", {span[0]}" if table.kind == "stacked_bar" else "")
    members = chart.members or default_report_scope().members
    fig = (_draw_stacked_bars(table, title, members) if table.kind == "stacked_bar" else _draw_lines(table, title, members))
    fig.suptitle(title, fontsize=10)
    fig.text(0.01, 0.005, caption(chart, table, data_label), fontsize=6.5, color="#444444", ha="left", va="bottom",
             wrap=True)
    fig.tight_layout(rect=(0, 0.04, LEGEND_X, 0.97))
    return fig


COMTRADE = "UN Comtrade via rvc-pipeline"


def charts_for(rs: ReportScope) -> list[Chart]:
    """The report's charts about the scope `rs` (titles from its countries and groups; each builder bound to it)."""
    ref, hub, region, all_group = name(rs.reference), name(rs.hub), rs.region, rs.all_group
    groups = " and ".join(g.label for g in rs.groups)  # labels name their HS codes
    components = " and ".join(g.short for g in rs.components) or "component"
    unit_value = " and ".join(g.short for g in rs.unit_value_groups) or "product"
    sector = f"{rs.tiva_short} ({rs.tiva_code})" if rs.tiva_code else "sector"

    def bound(builder: Callable[[pd.DataFrame, ReportScope], ChartTable]) -> Callable[[pd.DataFrame], ChartTable]:
        return lambda panel: builder(panel, rs)

    specs = [
        ("production_shift", f"Production shift: {ref} ↔ {region} members, {groups}",
         f"{COMTRADE} trade_indicators exports_usd (reconciled mirror values)", chart_tables.production_shift),
        ("thailand_hub", f"{hub} as a regional hub: exports to {region} and beyond, market share, RCA",
         f"{COMTRADE} trade_indicators exports_usd, world_market_share, rca (world = countries in the extracts)",
         chart_tables.thailand_hub),
        ("parts_sourcing", f"Sources of {components} imports: {possessive(rs.reference)} share, and intra-{region} trade",
         f"{COMTRADE} trade_indicators import_source_share, intra_asean_share (fixed {region})", chart_tables.parts_sourcing),
        ("value_added", f"Localization in value added: domestic and {possessive(rs.reference)} value added in {sector} exports",
         "OECD TiVA via rvc-pipeline va_indicators dva_share, fva_origin_share", chart_tables.value_added),
        ("comparative_advantage", f"Revealed comparative advantage in {groups} "
                                  f"({possessive(rs.reference)} {(rs.components or rs.groups)[0].short} RCA as reference)",
         f"{COMTRADE} trade_indicators rca (world = countries in the extracts)", chart_tables.comparative_advantage),
        ("unit_values", f"Upgrading: {unit_value} export unit values relative to {possessive(rs.reference)}",
         f"{COMTRADE} trade_indicators relative_unit_value ({rs.reference_variant})", chart_tables.unit_values),
        ("two_way_trade", f"Two-way trade with {ref} by type (Fontagné–Freudenberg), {all_group.label}",
         f"{COMTRADE} trade_indicators two_way_trade_share; the rest of each bar is one-way trade", chart_tables.two_way_trade),
        ("parts_components_share", f"Factory Asia: parts and components share of {all_group.short} exports",
         f"{COMTRADE} trade_indicators exports_usd, BEC Rev.4 stages (world = countries in the extracts)",
         chart_tables.parts_components_share),
    ]
    return [Chart(key, title, source, bound(builder), rs.members) for key, title, source, builder in specs]


# The default scope's charts (scopes/automotive.yaml), for tests; the report draws charts_for(its scope).
CHARTS = charts_for(default_report_scope())
