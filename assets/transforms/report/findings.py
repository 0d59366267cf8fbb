"""Findings as sentences generated from the panel's numbers — never hard-coded text — grouped by research
question. Each sentence states its number, period, unit and indicator (in brackets) and, where coverage is
thin, a caveat (trends.describe).

Localization is measured by value added (TiVA domestic value added in motor-vehicle exports) and by parts
imports per vehicle exported; Japan's share of a member's parts imports measures where parts come from
(source diversification), and is labelled so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from assets.transforms.report.panel_views import default_variant, series
from assets.transforms.report.scope import (
    ALL_AUTOMOTIVE,
    ASEAN10,
    ASEAN10_PARTNER,
    CARS,
    FOCUS_IMPORTERS,
    HUB,
    MOTOR_VEHICLES_TIVA,
    PARTS,
    PARTS_COMPONENTS_BEC,
    PRODUCERS_COMPARED,
    REFERENCE,
    name,
    possessive,
)
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


def production_shift(panel: pd.DataFrame) -> Section:
    variant = default_variant(panel, "exports_usd")
    exports = lambda c, p, g: series(panel, "exports_usd", c, p, g, variant)  # noqa: E731
    src = _source("exports_usd", variant, "US$ bn")
    to_world = exports(HUB, WORLD, ALL_AUTOMOTIVE)
    to_asean = exports(HUB, ASEAN10_PARTNER, ALL_AUTOMOTIVE)
    beyond = (to_world - to_asean).dropna()
    share_variant = default_variant(panel, "world_market_share")
    rca_variant = default_variant(panel, "rca")
    return Section("Production shift to ASEAN, and Thailand as the regional hub", [
        describe("Japan's parts exports to ASEAN-10 (HS 8708)", exports(REFERENCE, ASEAN10_PARTNER, PARTS), _usd_bn, src),
        describe("Japan's car exports to ASEAN-10 (HS 8703)", exports(REFERENCE, ASEAN10_PARTNER, CARS), _usd_bn, src),
        describe("Japan's parts exports to Thailand (HS 8708)", exports(REFERENCE, HUB, PARTS), _usd_bn, src),
        describe(f"{possessive(HUB)} automotive exports to ASEAN-10", to_asean, _usd_bn, src),
        describe(f"{possessive(HUB)} automotive exports beyond ASEAN-10 (world minus ASEAN-10)", beyond, _usd_bn,
                 src + f"; {WORLD_SCOPE}"),
        describe(f"{possessive(HUB)} share of automotive exports", series(panel, "world_market_share", HUB, WORLD, ALL_AUTOMOTIVE,
                                                                     share_variant), _pct,
                 _source("world_market_share", share_variant, "% of exports; " + WORLD_SCOPE)),
        describe(f"{possessive(HUB)} revealed comparative advantage in automotive products",
                 series(panel, "rca", HUB, WORLD, ALL_AUTOMOTIVE, rca_variant), _index,
                 _source("rca", rca_variant, "index, 1 = world average; " + WORLD_SCOPE)),
    ])


def parts_imports_per_vehicle_exported(panel: pd.DataFrame, country: str) -> pd.Series:
    """US$ of parts (HS 8708) imports per passenger car exported: parts imports / (car export value / car
    export unit value in US$ per item). The vehicle count is estimated from the unit value, whose flows
    exclude estimated quantities (catalog: unit_value_usd)."""
    variant = default_variant(panel, "exports_usd")
    parts = series(panel, "imports_usd", country, WORLD, PARTS, default_variant(panel, "imports_usd"))
    car_value = series(panel, "exports_usd", country, WORLD, CARS, variant)
    rows = panel[(panel["indicator"] == "unit_value_usd") & (panel["country"] == country) & (panel["partner"] == WORLD)
                 & (panel["product_group"] == CARS) & (panel["unit"] == "usd_per_item")]
    unit_value = series(rows, "unit_value_usd", country, WORLD, CARS)
    vehicles = (car_value / unit_value.where(unit_value > 0)).where(lambda v: v > 0)
    return (parts / vehicles).dropna()


def localization(panel: pd.DataFrame) -> Section:
    out = []
    for country in FOCUS_IMPORTERS:
        out.append(describe(f"The domestic value added share of {possessive(country)} motor-vehicle (C29) exports",
                            series(panel, "dva_share", country, WORLD, MOTOR_VEHICLES_TIVA), _pct_points,
                            _source("dva_share", None, "% of gross exports, OECD TiVA"), missing="no TiVA data"))
    out.append(describe("Value added originating in Japan as a share of Thailand's C29 exports",
                        series(panel, "fva_origin_share", HUB, REFERENCE, MOTOR_VEHICLES_TIVA, "of_gross_exports"),
                        _pct_points, _source("fva_origin_share", "of_gross_exports", "% of gross exports, OECD TiVA"),
                        missing="no TiVA value added by origin (EXGR_BSCI)"))
    # Destination: the MAINLV partner breakdown of EXGR_FVA is the market the exports go to, not an origin.
    out.append(describe("The foreign value added content of Thailand's C29 exports to Japan (destination market)",
                        series(panel, "fva_by_destination_share", HUB, REFERENCE, MOTOR_VEHICLES_TIVA, "of_exports_to_destination"),
                        _pct_points, _source("fva_by_destination_share", "of_exports_to_destination", "% of those exports, OECD TiVA"),
                        missing="no TiVA breakdown of Thailand's C29 exports by destination"))
    out.append(describe("Thailand's GVC participation in C29 (backward fva_share + forward EXGR_DVAFXSH)",
                        series(panel, "gvc_participation", HUB, WORLD, MOTOR_VEHICLES_TIVA), _pct_points,
                        _source("gvc_participation", None, "% of gross exports, OECD TiVA"),
                        missing="no TiVA forward participation (EXGR_DVAFXSH) for Thailand"))
    for country in FOCUS_IMPORTERS:
        out.append(describe(f"{possessive(country)} parts imports per passenger car exported",
                            parts_imports_per_vehicle_exported(panel, country), _usd,
                            "imports_usd parts / (exports_usd cars / unit_value_usd cars); US$ per vehicle",
                            missing="not computable (needs parts imports, car exports and a car unit value per item)"))
    variant = default_variant(panel, "import_source_share")
    for country in FOCUS_IMPORTERS:
        out.append(describe(f"Source diversification, not localization: Japan's share of {possessive(country)} parts imports",
                            series(panel, "import_source_share", country, REFERENCE, PARTS, variant), _pct,
                            _source("import_source_share", variant, "% of the country's HS 8708 imports")))
    return Section("Localization: domestic value added and parts imports per vehicle exported", out)


def upgrading(panel: pd.DataFrame) -> Section:
    out = []
    for country in FOCUS_IMPORTERS:
        out.append(describe(f"The unit value of {possessive(country)} car exports relative to Japan's",
                            series(panel, "relative_unit_value", country, WORLD, CARS, "vs_jpn"), _index,
                            _source("relative_unit_value", "vs_jpn", "ratio, Japan = 1")))
    variant = default_variant(panel, "two_way_trade_share")
    for subtype, label in [("vertical_up", "higher-quality (vertical, unit value above Japan's by over 15 %)"),
                           ("horizontal", "similar-quality (horizontal)")]:
        out.append(describe(f"The {label} two-way share of Thailand's automotive trade with Japan",
                            series(panel, "two_way_trade_share", HUB, REFERENCE, ALL_AUTOMOTIVE, variant, subtype), _pct,
                            _source("two_way_trade_share", f"{variant}, {subtype}", "% of the pair's trade; Fontagné–Freudenberg")))
    exports_variant = default_variant(panel, "exports_usd")
    for country in PRODUCERS_COMPARED:
        pc = series(panel, "exports_usd", country, WORLD, PARTS_COMPONENTS_BEC, exports_variant)
        total = series(panel, "exports_usd", country, WORLD, ALL_AUTOMOTIVE, exports_variant)
        out.append(describe(f"The parts-and-components share of {possessive(country)} automotive exports",
                            (pc / total.where(total > 0)).dropna(), _pct,
                            "exports_usd parts_components_bec / all_automotive; % of exports (BEC Rev.4 42 + 53)"))
    rca_variant = default_variant(panel, "rca")
    for country in PRODUCERS_COMPARED:
        for group, label in [(PARTS, "parts"), (CARS, "cars")]:
            out.append(describe(f"{possessive(country)} revealed comparative advantage in {label}",
                                series(panel, "rca", country, WORLD, group, rca_variant), _index,
                                _source("rca", rca_variant, "index, 1 = world average; " + WORLD_SCOPE)))
    return Section("Upgrading: unit values, quality ranges, parts-and-components share, comparative advantage", out)


def factory_asia(panel: pd.DataFrame) -> Section:
    out = []
    for group, label in [(PARTS, "parts"), (ALL_AUTOMOTIVE, "automotive")]:
        out.append(describe(f"The intra-ASEAN-10 share of members' {label} trade",
                            series(panel, "intra_asean_share", ASEAN10_PARTNER, ASEAN10_PARTNER, group, "fixed_asean10"), _pct,
                            _source("intra_asean_share", "fixed_asean10", "% of members' exports + imports")))
    variant = default_variant(panel, "exports_usd")
    out.append(describe("Thailand's parts exports to ASEAN-10 (HS 8708)",
                        series(panel, "exports_usd", HUB, ASEAN10_PARTNER, PARTS, variant), _usd_bn,
                        _source("exports_usd", variant, "US$ bn")))
    gl_variant = default_variant(panel, "grubel_lloyd")
    out.append(describe("The Grubel–Lloyd index of Thailand's parts trade with ASEAN-10",
                        series(panel, "grubel_lloyd", HUB, ASEAN10_PARTNER, PARTS, gl_variant), _index,
                        _source("grubel_lloyd", gl_variant, "index, 0 = one-way, 1 = fully two-way")))
    return Section("Factory Asia: parts trade within the region", out)


SECTIONS: list[Callable[[pd.DataFrame], Section]] = [production_shift, localization, upgrading, factory_asia]


def missing_members(panel: pd.DataFrame) -> list[str]:
    """ASEAN members with no trade indicator at all: said plainly in the report."""
    present = set(panel.loc[panel["indicator"] == "exports_usd", "country"])
    return [m for m in ASEAN10 if m not in present]


def finding_sections(panel: pd.DataFrame) -> list[Section]:
    sections = [build(panel) for build in SECTIONS]
    absent = missing_members(panel)
    if absent:
        sections.append(Section("Coverage", ["No trade indicators at all for " + ", ".join(name(m) for m in absent)
                                             + " (no reports and no mirror data)."]))
    return sections


def generate_findings(panel: pd.DataFrame) -> list[str]:
    return [sentence for section in finding_sections(panel) for sentence in section.sentences]
