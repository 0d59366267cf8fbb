"""Charts a reader can trust (issue 17), read back from the matplotlib Figure objects: series per panel,
Japan marked, one colour per country, the legend off the data, gaps for missing years, the year and period
taken from the data, and the CSV behind each chart."""

from __future__ import annotations

import io

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from assets.transforms.report import chart_tables
from assets.transforms.report.charts import CHARTS, draw_chart
from assets.transforms.report.render import chart_csv
from assets.transforms.report.scope import default_report_scope, name

ASEAN10 = list(default_report_scope().members)  # the default scope's members region, in its focus-country order

CHART = {chart.name: chart for chart in CHARTS}


def row(year, country, partner, group, indicator, value, variant="reconciled", subtype=None, unit="usd"):
    return dict(year=year, country=country, partner=partner, product_group=group, indicator=indicator, subtype=subtype,
                variant=variant, value=value, unit=unit, note=None, period=None)


def frame(rows: list[dict]) -> pd.DataFrame:
    panel = pd.DataFrame(rows)
    panel["year"] = panel["year"].astype("Int64")
    return panel


def lines_of(ax: plt.Axes) -> list:
    """The data lines of an axis (reference lines are labelled '_…' and left out, as matplotlib does)."""
    return [line for line in ax.get_lines() if not line.get_label().startswith("_")]


def dva_panel(last_year: int = 2022) -> pd.DataFrame:
    """DVA shares for Japan and all ten members, 2018..last_year: eleven series."""
    rows = [row(y, c, "WLD", "motor_vehicles_c29", "dva_share", 50.0 + i + (y - 2018), "tiva", unit="percent")
            for i, c in enumerate(["JPN", *ASEAN10]) for y in range(2018, last_year + 1)]
    # Trade rows up to 2023 in the same panel: the value-added caption must still say where TiVA ends.
    rows += [row(2023, "THA", "WLD", "all_automotive", "exports_usd", 1e9)]
    return frame(rows)


def test_eleven_series_become_small_multiples_with_japan_marked_in_each() -> None:
    table = chart_tables.value_added(dva_panel())
    fig = draw_chart(CHART["value_added"], table, "test data")
    drawn = [ax for ax in fig.axes if ax.axison]
    assert len(drawn) == 2  # 10 members in chunks of 5 (no origin data in this panel)
    for ax in drawn:
        lines = lines_of(ax)
        assert len(lines) == 6 <= 8  # Japan + five members
        japan = [line for line in lines if line.get_label() == "Japan"]
        assert len(japan) == 1
        assert to_hex(japan[0].get_color()) == "#000000"
        assert japan[0].get_linewidth() > max(line.get_linewidth() for line in lines if line is not japan[0])
    members = [line for ax in drawn for line in lines_of(ax) if line.get_label() != "Japan"]
    assert sorted(line.get_label() for line in members) == sorted(name(m) for m in ASEAN10)
    colours = {to_hex(line.get_color()) for line in members}
    assert len(colours) == 10 and "#000000" not in colours  # Brunei and Japan no longer share a blue
    plt.close(fig)


def test_legend_is_outside_every_plotting_area() -> None:
    fig = draw_chart(CHART["value_added"], chart_tables.value_added(dva_panel()), "test data")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legends = fig.legends
    assert len(legends) == 1
    labels = [text.get_text() for text in legends[0].get_texts()]
    assert labels[0] == "Japan" and len(labels) == 11
    box = legends[0].get_window_extent(renderer)
    for ax in fig.axes:
        assert not box.overlaps(ax.get_window_extent(renderer)), ax.get_title()
    plt.close(fig)


def test_caption_period_comes_from_the_charts_own_data() -> None:
    """TiVA ends in 2022 while trade runs to 2023: the value-added caption says 2018–2022."""
    table = chart_tables.value_added(dva_panel(last_year=2022))
    fig = draw_chart(CHART["value_added"], table, "test data")
    captions = [t.get_text() for t in fig.texts if t.get_text().startswith("Source:")]
    assert len(captions) == 1 and "Years: 2018–2022." in captions[0]
    plt.close(fig)


def production_panel() -> pd.DataFrame:
    """Japan → Thailand parts in 2010, 2011 and 2013 (2012 missing), Brunei tiny: scales differ by 10^5."""
    rows = [row(y, "JPN", "THA", "parts_accessories", "exports_usd", v) for y, v in [(2010, 3e9), (2011, 3.5e9), (2013, 2e9)]]
    rows += [row(y, "JPN", "BRN", "parts_accessories", "exports_usd", 2e4) for y in (2010, 2011, 2012, 2013)]
    return frame(rows)


def test_a_missing_year_is_a_gap_not_a_zero_in_the_figure_and_the_csv() -> None:
    table = chart_tables.production_shift(production_panel())
    fig = draw_chart(CHART["production_shift"], table, "test data")
    thailand = next(ax for ax in fig.axes if ax.get_title() == "Thailand")
    line = next(line for line in lines_of(thailand) if line.get_label() == "Japan → member, parts")
    assert list(line.get_xdata()) == [2010, 2011, 2012, 2013]
    values = np.asarray(line.get_ydata(), dtype=float)
    assert np.isnan(values[2]) and values[0] == pytest.approx(3.0)  # US$ bn
    csv = pd.read_csv(io.StringIO(chart_csv(table)), keep_default_na=False)
    gap = csv[(csv["facet"] == "Thailand") & (csv["series"] == "Japan → member, parts") & (csv["year"] == 2012)]
    assert gap["value"].tolist() == [""] and gap["note"].tolist() == ["no data"]
    plt.close(fig)


def test_panels_with_their_own_scale_say_so() -> None:
    table = chart_tables.production_shift(production_panel())
    fig = draw_chart(CHART["production_shift"], table, "test data")
    drawn = [ax for ax in fig.axes if ax.axison]
    assert [ax.get_title() for ax in drawn] == ["Brunei", "Thailand"]
    assert all("own scale" in ax.get_ylabel() for ax in drawn)
    assert drawn[0].get_ylim()[1] < 0.001 < drawn[1].get_ylim()[1]  # really separate scales
    assert any("Each panel has its own y-scale." in t.get_text() for t in fig.texts)
    plt.close(fig)


def test_two_way_chart_states_its_year_and_draws_missing_as_no_data() -> None:
    rows = [row(2020, "THA", "JPN", "all_automotive", "two_way_trade_share", v, subtype=s, unit="share")
            for s, v in [("horizontal", 0.1), ("vertical_up", 0.2), ("vertical_down", 0.3)]]
    rows += [row(2019, "IDN", "JPN", "all_automotive", "two_way_trade_share", 0.5, subtype="horizontal", unit="share")]
    table = chart_tables.two_way_trade(frame(rows))
    fig = draw_chart(CHART["two_way_trade"], table, "test data")
    assert fig._suptitle.get_text().endswith(", 2020")
    ax = fig.axes[0]
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == ["horizontal", "vertical up", "vertical down", "no data"]
    no_data = [c for c in ax.containers if c.get_label() == "no data"][0]
    assert len(no_data.patches) == 9  # every member but Thailand; Indonesia's 2019 value is not shown as 2020
    thailand = [c for c in ax.containers if c.get_label() != "no data"]
    tha_index = [t.get_text() for t in ax.get_xticklabels()].index("Thailand")
    assert sum(c.patches[tha_index].get_height() for c in thailand) == pytest.approx(60.0)
    plt.close(fig)


def test_every_chart_has_at_most_eight_series_per_panel_on_a_full_panel() -> None:
    """All members and Japan in every indicator the charts read: no panel over 8 lines."""
    rows = []
    for c in ["JPN", *ASEAN10]:
        for y in (2019, 2020):
            rows += [row(y, c, "WLD", g, "rca", 1.2, "country_totals", unit="index") for g in ("parts_accessories", "passenger_cars")]
            rows += [row(y, c, "WLD", "passenger_cars", "relative_unit_value", 0.9, "vs_jpn", unit="ratio")]
            rows += [row(y, c, "JPN", "parts_accessories", "import_source_share", 0.3, unit="share")]
            rows += [row(y, c, "WLD", "parts_components_bec", "exports_usd", 4e8), row(y, c, "WLD", "all_automotive", "exports_usd", 1e9)]
    for year in (2019, 2020):
        rows += [row(year, "ASEAN10", "ASEAN10", g, "intra_asean_share", 0.2, "fixed_asean10", unit="share")
                 for g in ("parts_accessories", "passenger_cars", "all_automotive")]
    panel = frame(rows)
    for chart in CHARTS:
        fig = draw_chart(chart, chart.build(panel), "test data")
        if fig is None:
            continue
        assert all(len(lines_of(ax)) <= 8 for ax in fig.axes), chart.name
        # One colour per legend entry: a product group never wears a country's colour.
        handles = fig.legends[0].legend_handles
        colours = [to_hex(h.get_color()) for h in handles if hasattr(h, "get_color") and h.get_linestyle() != ":"]
        assert len(colours) == len(set(colours)), chart.name
        plt.close(fig)
