"""Findings as sentences generated from the panel's numbers — never hard-coded text — grouped by research
question, about the countries, regions and product groups of the active scope (ReportScope, scope.py). Each
sentence states its number, period, unit and indicator (in brackets) and, where coverage is thin, a caveat
(trends.describe).

Localization is measured by value added (TiVA domestic value added in the scope's sector exports) and by
component imports per finished good exported; the reference economy's share of a producer's component imports
measures where components come from (source diversification), and is labelled so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from assets.transforms.report.panel_views import default_variant, series
from assets.transforms.report.scope import ReportGroup, ReportScope, default_report_scope, name, possessive
from assets.transforms.report.trends import describe
from assets.vocabulary import WORLD

WORLD_SCOPE = "world = the countries in the extracts"


@dataclass(frozen=True)
class Section:
    question: str
    sentences: list[str]


def _pct(share: float) -> str:
    return f"{share * 100:.1f} %"


def _pct_points(value: float) -> str:
    return f"{value:.1f} %"


def _usd_bn(value: float) -> str:
    return f"US$ {value / 1e9:.2f} bn"


def _index(value: float) -> str:
    return f"{value:.2f}"


def _usd(value: float) -> str:
    return f"US$ {value:,.0f}"


def _source(indicator: str, variant: str | None, unit: str) -> str:
    return f"{indicator}{', ' + variant if variant else ''}; {unit}"


def _bracket(group: ReportGroup) -> str:
    return f" ({group.hs_text})" if group.hs_text else ""


def production_shift(panel: pd.DataFrame, rs: ReportScope | None = None) -> Section:
    rs = rs or default_report_scope()
    ref, hub, region, trend, all_group = rs.reference, rs.hub, rs.region, rs.trend_region, rs.all_group
    variant = default_variant(panel, "exports_usd")
    exports = lambda c, p, g: series(panel, "exports_usd", c, p, g, variant)  # noqa: E731
    src = _source("exports_usd", variant, "US$ bn")
    to_world = exports(hub, WORLD, all_group.group)
    to_region = exports(hub, trend, all_group.group)
    beyond = (to_world - to_region).dropna()
    share_variant = default_variant(panel, "world_market_share")
    rca_variant = default_variant(panel, "rca")
    out = [describe(f"{possessive(ref)} {g.short} exports to {region}{_bracket(g)}", exports(ref, trend, g.group), _usd_bn, src)
           for g in rs.groups]
    out += [describe(f"{possessive(ref)} {g.short} exports to {name(hub)}{_bracket(g)}", exports(ref, hub, g.group), _usd_bn, src)
            for g in rs.components]
    out += [
        describe(f"{possessive(hub)} {all_group.short} exports to {region}", to_region, _usd_bn, src),
        describe(f"{possessive(hub)} {all_group.short} exports beyond {region} (world minus {region})", beyond, _usd_bn,
                 src + f"; {WORLD_SCOPE}"),
        describe(f"{possessive(hub)} share of {all_group.short} exports",
                 series(panel, "world_market_share", hub, WORLD, all_group.group, share_variant), _pct,
                 _source("world_market_share", share_variant, "% of exports; " + WORLD_SCOPE)),
        describe(f"{possessive(hub)} revealed comparative advantage in {all_group.short} products",
                 series(panel, "rca", hub, WORLD, all_group.group, rca_variant), _index,
                 _source("rca", rca_variant, "index, 1 = world average; " + WORLD_SCOPE)),
    ]
    return Section(f"Production shift to {region}, and {name(hub)} as the regional hub", out)


def components_per_item_exported(panel: pd.DataFrame, country: str, component: str, finished: str) -> pd.Series:
    """US$ of component imports per finished item exported: component imports / (finished export value /
    finished export unit value in US$ per item). The item count is estimated from the unit value, whose flows
    exclude estimated quantities (catalog: unit_value_usd)."""
    variant = default_variant(panel, "exports_usd")
    parts = series(panel, "imports_usd", country, WORLD, component, default_variant(panel, "imports_usd"))
    finished_value = series(panel, "exports_usd", country, WORLD, finished, variant)
    rows = panel[(panel["indicator"] == "unit_value_usd") & (panel["country"] == country) & (panel["partner"] == WORLD)
                 & (panel["product_group"] == finished) & (panel["unit"] == "usd_per_item")]
    unit_value = series(rows, "unit_value_usd", country, WORLD, finished)
    items = (finished_value / unit_value.where(unit_value > 0)).where(lambda v: v > 0)
    return (parts / items).dropna()


def parts_imports_per_vehicle_exported(panel: pd.DataFrame, country: str, rs: ReportScope | None = None) -> pd.Series:
    """Component imports per finished item exported, for the scope's first component and finished groups
    (automotive: parts and accessories per passenger car)."""
    rs = rs or default_report_scope()
    return components_per_item_exported(panel, country, rs.components[0].group, rs.finished[0].group)


def localization(panel: pd.DataFrame, rs: ReportScope | None = None) -> Section:
    rs = rs or default_report_scope()
    ref, hub, activity = rs.reference, rs.hub, rs.tiva_group
    sector = f"{rs.tiva_short} ({rs.tiva_code})" if rs.tiva_code else ""
    out = []
    if activity:
        code = rs.tiva_code
        for country in rs.producers:
            out.append(describe(f"The domestic value added share of {possessive(country)} {sector} exports",
                                series(panel, "dva_share", country, WORLD, activity), _pct_points,
                                _source("dva_share", None, "% of gross exports, OECD TiVA"), missing="no TiVA data"))
        out.append(describe(f"Value added originating in {name(ref)} as a share of {possessive(hub)} {code} exports",
                            series(panel, "fva_origin_share", hub, ref, activity, "of_gross_exports"),
                            _pct_points, _source("fva_origin_share", "of_gross_exports", "% of gross exports, OECD TiVA"),
                            missing="no TiVA value added by origin (EXGR_BSCI)"))
        # Destination: the MAINLV partner breakdown of EXGR_FVA is the market the exports go to, not an origin.
        out.append(describe(f"The foreign value added content of {possessive(hub)} {code} exports to {name(ref)} (destination market)",
                            series(panel, "fva_by_destination_share", hub, ref, activity, "of_exports_to_destination"),
                            _pct_points, _source("fva_by_destination_share", "of_exports_to_destination", "% of those exports, OECD TiVA"),
                            missing=f"no TiVA breakdown of {possessive(hub)} {code} exports by destination"))
        out.append(describe(f"{possessive(hub)} GVC participation in {code} (backward fva_share + forward EXGR_DVAFXSH)",
                            series(panel, "gvc_participation", hub, WORLD, activity), _pct_points,
                            _source("gvc_participation", None, "% of gross exports, OECD TiVA"),
                            missing=f"no TiVA forward participation (EXGR_DVAFXSH) for {name(hub)}"))
    per_item = rs.components and rs.finished
    if per_item:
        component, finished = rs.components[0], rs.finished[0]
        for country in rs.producers:
            out.append(describe(f"{possessive(country)} {component.short} imports per {finished.short} exported",
                                components_per_item_exported(panel, country, component.group, finished.group), _usd,
                                f"imports_usd {component.group} / (exports_usd {finished.group} / unit_value_usd "
                                f"{finished.group}); US$ per item exported",
                                missing=f"not computable (needs {component.short} imports, {finished.short} exports and a "
                                        f"{finished.short} unit value per item)"))
    variant = default_variant(panel, "import_source_share")
    for component in rs.components:
        for country in rs.producers:
            out.append(describe(f"Source diversification, not localization: {possessive(ref)} share of {possessive(country)} "
                                f"{component.short} imports",
                                series(panel, "import_source_share", country, ref, component.group, variant), _pct,
                                _source("import_source_share", variant, f"% of the country's {component.hs_text or component.label} imports")))
    what = (f"{rs.components[0].short} imports per {rs.finished[0].short} exported" if per_item
            else "sources of component imports")
    return Section(f"Localization: domestic value added and {what}", out)


def upgrading(panel: pd.DataFrame, rs: ReportScope | None = None) -> Section:
    rs = rs or default_report_scope()
    ref, hub, all_group = rs.reference, rs.hub, rs.all_group
    out = []
    for group in rs.unit_value_groups:
        for country in rs.producers:
            out.append(describe(f"The unit value of {possessive(country)} {group.short} exports relative to {possessive(ref)}",
                                series(panel, "relative_unit_value", country, WORLD, group.group, rs.reference_variant), _index,
                                _source("relative_unit_value", rs.reference_variant, f"ratio, {name(ref)} = 1")))
    variant = default_variant(panel, "two_way_trade_share")
    for subtype, label in [("vertical_up", f"higher-quality (vertical, unit value above {possessive(ref)} by over 15 %)"),
                           ("horizontal", "similar-quality (horizontal)")]:
        out.append(describe(f"The {label} two-way share of {possessive(hub)} {all_group.short} trade with {name(ref)}",
                            series(panel, "two_way_trade_share", hub, ref, all_group.group, variant, subtype), _pct,
                            _source("two_way_trade_share", f"{variant}, {subtype}", "% of the pair's trade; Fontagné–Freudenberg")))
    exports_variant = default_variant(panel, "exports_usd")
    pc = rs.parts_components_group
    for country in rs.compared:
        parts = series(panel, "exports_usd", country, WORLD, pc.group, exports_variant)
        total = series(panel, "exports_usd", country, WORLD, all_group.group, exports_variant)
        out.append(describe(f"The {pc.short} share of {possessive(country)} {all_group.short} exports",
                            (parts / total.where(total > 0)).dropna(), _pct,
                            f"exports_usd {pc.group} / {all_group.group}; % of exports (BEC Rev.4 42 + 53)"))
    rca_variant = default_variant(panel, "rca")
    for country in rs.compared:
        for group in rs.groups:
            out.append(describe(f"{possessive(country)} revealed comparative advantage in {group.label}",
                                series(panel, "rca", country, WORLD, group.group, rca_variant), _index,
                                _source("rca", rca_variant, "index, 1 = world average; " + WORLD_SCOPE)))
    return Section(f"Upgrading: unit values, quality ranges, {pc.short} share, comparative advantage", out)


def factory_asia(panel: pd.DataFrame, rs: ReportScope | None = None) -> Section:
    rs = rs or default_report_scope()
    hub, region, trend = rs.hub, rs.region, rs.trend_region
    out = []
    for group in (*rs.components, rs.all_group):
        out.append(describe(f"The intra-{region} share of members' {group.short} trade",
                            series(panel, "intra_asean_share", trend, trend, group.group, "fixed_asean10"), _pct,
                            _source("intra_asean_share", "fixed_asean10", "% of members' exports + imports")))
    variant = default_variant(panel, "exports_usd")
    gl_variant = default_variant(panel, "grubel_lloyd")
    for group in rs.components:
        out.append(describe(f"{possessive(hub)} {group.short} exports to {region}{_bracket(group)}",
                            series(panel, "exports_usd", hub, trend, group.group, variant), _usd_bn,
                            _source("exports_usd", variant, "US$ bn")))
    for group in rs.components:
        out.append(describe(f"The Grubel–Lloyd index of {possessive(hub)} {group.short} trade with {region}",
                            series(panel, "grubel_lloyd", hub, trend, group.group, gl_variant), _index,
                            _source("grubel_lloyd", gl_variant, "index, 0 = one-way, 1 = fully two-way")))
    return Section(f"Factory Asia: {' and '.join(g.short for g in rs.components) or 'component'} trade within the region", out)


SECTIONS: list[Callable[[pd.DataFrame, ReportScope | None], Section]] = [production_shift, localization, upgrading, factory_asia]


def missing_members(panel: pd.DataFrame, rs: ReportScope | None = None) -> list[str]:
    """Members of the scope's members region with no trade indicator at all: said plainly in the report."""
    rs = rs or default_report_scope()
    present = set(panel.loc[panel["indicator"] == "exports_usd", "country"])
    return [m for m in rs.members if m not in present]


def finding_sections(panel: pd.DataFrame, rs: ReportScope | None = None) -> list[Section]:
    rs = rs or default_report_scope()
    sections = [build(panel, rs) for build in SECTIONS]
    absent = missing_members(panel, rs)
    if absent:
        sections.append(Section("Coverage", ["No trade indicators at all for " + ", ".join(name(m) for m in absent)
                                             + " (no reports and no mirror data)."]))
    return sections


def generate_findings(panel: pd.DataFrame, rs: ReportScope | None = None) -> list[str]:
    return [sentence for section in finding_sections(panel, rs) for sentence in section.sentences]
