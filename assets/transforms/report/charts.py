"""The report's figures. Each returns a matplotlib Figure (or None when the panel has nothing to draw).

Every figure carries a caption with source, years, units and whether the data is synthetic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # no display; charts are files
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from assets.transforms.report.panel_views import ASEAN_MEMBERS, default_variant, name, series, year_span  # noqa: E402

BILLION = 1e9


@dataclass(frozen=True)
class Chart:
    name: str
    title: str
    units: str
    source: str
    draw: Callable[[pd.DataFrame], plt.Figure | None]


def _caption(fig: plt.Figure, chart: Chart, panel: pd.DataFrame, data_label: str) -> None:
    span = year_span(panel)
    years = f"{span[0]}–{span[1]}" if span else "no years"
    fig.text(0.01, 0.005, f"Source: {chart.source}. Years: {years}. Units: {chart.units}. Data: {data_label}.",
             fontsize=7, color="#444444", ha="left", va="bottom")


def _legend(ax: plt.Axes, **kwargs: object) -> None:
    """A legend only where something was drawn (an empty panel says so instead)."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(**kwargs)
    else:
        ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes, color="#888888")


def _members_with(panel: pd.DataFrame, probe: Callable[[str], pd.Series]) -> list[str]:
    return [m for m in ASEAN_MEMBERS if not probe(m).empty]


def production_shift(panel: pd.DataFrame) -> plt.Figure | None:
    variant = default_variant(panel, "exports_usd")
    lines = {
        "Japan → member, cars": lambda m: series(panel, "exports_usd", "JPN", m, "passenger_cars", variant),
        "Japan → member, parts": lambda m: series(panel, "exports_usd", "JPN", m, "parts_accessories", variant),
        "member → Japan, cars": lambda m: series(panel, "exports_usd", m, "JPN", "passenger_cars", variant),
        "member → Japan, parts": lambda m: series(panel, "exports_usd", m, "JPN", "parts_accessories", variant),
    }
    members = _members_with(panel, lambda m: pd.concat([f(m) for f in lines.values()]))
    if not members:
        return None
    fig, axes = plt.subplots(2, 5, figsize=(16, 6.5), sharex=True)
    for ax, member in zip(axes.flat, members + [None] * (10 - len(members))):
        if member is None:
            ax.axis("off")
            continue
        for label, fetch in lines.items():
            data = fetch(member)
            if not data.empty:
                ax.plot(data.index, data.values / BILLION, label=label, linestyle="-" if "Japan →" in label else "--")
        ax.set_title(name(member), fontsize=9)
        ax.tick_params(labelsize=7)
    _legend(axes.flat[0], fontsize=6, loc="upper left")
    fig.suptitle("Japan ↔ ASEAN members: cars (8703) and parts (8708), exports in US$ bn")
    return fig


def localization(panel: pd.DataFrame) -> plt.Figure | None:
    variant = default_variant(panel, "import_source_share")
    share = {m: series(panel, "import_source_share", m, "JPN", "parts_accessories", variant) for m in ASEAN_MEMBERS}
    share = {m: s for m, s in share.items() if not s.empty}
    intra_variant = default_variant(panel, "intra_asean_share")
    intra = {
        group: series(panel, "intra_asean_share", "ASEAN", "ASEAN", group, intra_variant)
        for group in ["parts_accessories", "passenger_cars", "all_automotive"]
    }
    intra = {g: s for g, s in intra.items() if not s.empty}
    if not share and not intra:
        return None
    fig, (left, right) = plt.subplots(1, 2, figsize=(14, 5))
    for member, data in share.items():
        left.plot(data.index, data.values * 100, label=name(member))
    left.set_title("Japan's share of each member's parts imports (%)")
    _legend(left, fontsize=7, ncol=2)
    for group, data in intra.items():
        right.plot(data.index, data.values * 100, label=group.replace("_", " "))
    right.set_title("Intra-ASEAN share of ASEAN members' trade (%)")
    _legend(right, fontsize=7)
    fig.suptitle("Localization and regionalization")
    return fig


def value_added(panel: pd.DataFrame) -> plt.Figure | None:
    dva = {m: series(panel, "dva_share", m, "WLD", "motor_vehicles_c29") for m in ASEAN_MEMBERS + ["JPN"]}
    dva = {m: s for m, s in dva.items() if not s.empty}
    jpn = {m: series(panel, "fva_origin_share", m, "JPN", "motor_vehicles_c29", "of_gross_exports") for m in ASEAN_MEMBERS}
    jpn = {m: s for m, s in jpn.items() if not s.empty}
    if not dva and not jpn:
        return None
    fig, (left, right) = plt.subplots(1, 2, figsize=(14, 5))
    for member, data in dva.items():
        left.plot(data.index, data.values, label=name(member))
    left.set_title("Domestic value added share of motor-vehicle (C29) exports (%)")
    _legend(left, fontsize=7, ncol=2)
    for member, data in jpn.items():
        right.plot(data.index, data.values, label=name(member))
    right.set_title("Value added originating in Japan, share of C29 exports (%)")
    _legend(right, fontsize=7, ncol=2)
    fig.suptitle("Localization in value added")
    return fig


def upgrading(panel: pd.DataFrame) -> plt.Figure | None:
    rca_variant = default_variant(panel, "rca")
    members = [m for m in ASEAN_MEMBERS if not series(panel, "rca", m, "WLD", "parts_accessories", rca_variant).empty]
    if not members:
        return None
    fig, (left, right) = plt.subplots(1, 2, figsize=(14, 5))
    for member in members:
        parts = series(panel, "rca", member, "WLD", "parts_accessories", rca_variant)
        cars = series(panel, "rca", member, "WLD", "passenger_cars", rca_variant)
        line = left.plot(parts.index, parts.values, label=f"{name(member)} parts")
        if not cars.empty:
            left.plot(cars.index, cars.values, linestyle="--", color=line[0].get_color(), label=f"{name(member)} cars")
    left.axhline(1, color="black", linewidth=0.6)
    left.set_title("Revealed comparative advantage: parts (solid) vs cars (dashed)")
    _legend(left, fontsize=6, ncol=2)
    for member in members:
        ruv = series(panel, "relative_unit_value", member, "WLD", "passenger_cars", "vs_jpn")
        if not ruv.empty:
            right.plot(ruv.index, ruv.values, label=name(member))
    right.axhline(1, color="black", linewidth=0.6)
    right.set_title("Unit value of car exports relative to Japan's (1 = Japan)")
    _legend(right, fontsize=7, ncol=2)
    fig.suptitle("Upgrading")
    return fig


def two_way_trade(panel: pd.DataFrame) -> plt.Figure | None:
    variant = default_variant(panel, "two_way_trade_share")
    subtypes = ["horizontal", "vertical_up", "vertical_down"]
    span = year_span(panel)
    if span is None:
        return None
    rows = []
    for member in ASEAN_MEMBERS:
        shares = {s: series(panel, "two_way_trade_share", member, "JPN", "all_automotive", variant, s) for s in subtypes}
        latest = {s: v.iloc[-1] for s, v in shares.items() if not v.empty}
        if latest:
            rows.append((member, latest))
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(12, 5))
    bottom = [0.0] * len(rows)
    for subtype in subtypes:
        values = [latest.get(subtype, 0.0) * 100 for _, latest in rows]
        ax.bar([name(m) for m, _ in rows], values, bottom=bottom, label=subtype.replace("_", " "))
        bottom = [b + v for b, v in zip(bottom, values)]
    ax.set_ylabel("% of automotive trade with Japan")
    ax.set_title("Two-way trade with Japan by type (latest year with data; rest is one-way)")
    _legend(ax, fontsize=8)
    return fig


def factory_asia(panel: pd.DataFrame) -> plt.Figure | None:
    variant = default_variant(panel, "exports_usd")
    fig, ax = plt.subplots(figsize=(12, 5))
    drawn = 0
    for country in ["JPN"] + ASEAN_MEMBERS:
        parts = series(panel, "exports_usd", country, "WLD", "parts_components_bec", variant)
        total = series(panel, "exports_usd", country, "WLD", "all_automotive", variant)
        share = (parts / total.where(total > 0)).dropna()
        if not share.empty:
            ax.plot(share.index, share.values * 100, label=name(country))
            drawn += 1
    if not drawn:
        plt.close(fig)
        return None
    ax.set_title("Parts and components (BEC 42 + 53) share of automotive exports (%)")
    _legend(ax, fontsize=7, ncol=3)
    return fig


CHARTS = [
    Chart("production_shift", "Production shift: Japan ↔ ASEAN trade in cars and parts", "US$ billion",
          "UN Comtrade via rvc-pipeline trade_flows (reconciled mirror values)", production_shift),
    Chart("localization", "Localization and regionalization of parts sourcing", "% of imports / of trade",
          "UN Comtrade via rvc-pipeline trade_indicators", localization),
    Chart("value_added", "Domestic and Japanese value added in motor-vehicle exports", "% of gross exports",
          "OECD TiVA via rvc-pipeline va_indicators", value_added),
    Chart("upgrading", "Upgrading: comparative advantage and unit values", "index (RCA), ratio (unit value)",
          "UN Comtrade via rvc-pipeline trade_indicators", upgrading),
    Chart("two_way_trade", "Two-way trade with Japan by type", "% of automotive trade",
          "UN Comtrade via rvc-pipeline trade_indicators (Fontagné–Freudenberg)", two_way_trade),
    Chart("factory_asia", "Factory Asia: parts-and-components share of automotive exports", "% of exports",
          "UN Comtrade via rvc-pipeline trade_indicators, BEC Rev.4 stages", factory_asia),
]


def draw_chart(chart: Chart, panel: pd.DataFrame, data_label: str) -> plt.Figure | None:
    fig = chart.draw(panel)
    if fig is not None:
        _caption(fig, chart, panel, data_label)
        fig.tight_layout(rect=(0, 0.03, 1, 1))
    return fig
