"""What the report speaks of, taken from the active scope file (`ReportScope`), plus country names for text.

Belongs here: `ReportScope` (built from `scope_summary(load_scope(path), regions)`, assets/transforms/reference/scope.py:
the reference economy, the region whose members the findings list, the fixed-membership region of trend
statements, the hub, producers and compared countries, the product groups the findings follow with their
labels and HS codes, the TiVA activity) and the display names of country and region codes. Not here: any study
constant — every country list, region, group and HS code comes from the scope file (README "Scope"), so
RVC_SCOPE=scopes/electronics.yaml gives a report about semiconductors without a code change.

Trend statements over a region use its fixed membership (the scope's trend_region, ASEAN10 in both bundled
scopes), so a trend is never an artefact of accession dates (Viet Nam 1995, Lao PDR and Myanmar 1997, Cambodia
1999).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

SECTOR_ACTIVITY_EXCLUDED = "_T"  # TiVA's all-activities total: the report's value-added findings are about a sector

# Display names for text (not a scope: any code without a name here is shown as its code).
COUNTRY_NAMES = {
    "JPN": "Japan", "BRN": "Brunei", "KHM": "Cambodia", "IDN": "Indonesia", "LAO": "Lao PDR", "MYS": "Malaysia",
    "MMR": "Myanmar", "PHL": "Philippines", "SGP": "Singapore", "THA": "Thailand", "VNM": "Viet Nam",
    "CHN": "China", "KOR": "Korea", "USA": "United States", "DEU": "Germany", "TWN": "Taiwan", "WLD": "the world",
    "ASEAN": "ASEAN", "ASEAN10": "ASEAN-10", "ASEAN5": "ASEAN-5", "CLMV": "CLMV", "EU": "the EU",
}


def name(code: str) -> str:
    return COUNTRY_NAMES.get(code, code)


def possessive(code: str) -> str:
    """"Thailand's", "the Philippines'" — for generated sentences."""
    label = {"PHL": "the Philippines"}.get(code, name(code))
    return f"{label}'" if label.endswith("s") else f"{label}'s"


@dataclass(frozen=True)
class ReportGroup:
    """A product group as the report writes about it: `short` in running text ("car exports"), `hs` for brackets."""

    group: str
    label: str
    short: str
    hs: tuple[str, ...] = ()
    stage: str | None = None
    quantity: str | None = None

    @property
    def hs_text(self) -> str:
        return "HS " + ", ".join(self.hs) if self.hs else ""


@dataclass(frozen=True)
class ReportScope:
    """Everything the findings, charts and coverage sections name, from one scope file."""

    title: str
    reference: str
    members_region: str
    trend_region: str
    members: tuple[str, ...]
    hub: str
    producers: tuple[str, ...]
    compared: tuple[str, ...]
    groups: tuple[ReportGroup, ...]
    all_group: ReportGroup
    parts_components_group: ReportGroup
    tiva_group: str | None
    tiva_code: str | None
    tiva_short: str
    scope_hs: tuple[str, ...]

    @property
    def components(self) -> tuple[ReportGroup, ...]:
        return tuple(g for g in self.groups if g.stage == "component")

    @property
    def finished(self) -> tuple[ReportGroup, ...]:
        return tuple(g for g in self.groups if g.stage == "final")

    @property
    def unit_value_groups(self) -> tuple[ReportGroup, ...]:
        """Groups whose export unit values the upgrading findings compare: finished goods counted in items, or,
        in a scope without finished goods, every group counted in items."""
        counted = tuple(g for g in self.finished if g.quantity == "u")
        return counted or tuple(g for g in self.groups if g.quantity == "u")

    @property
    def line_groups(self) -> tuple[str, ...]:
        """Every product_group of the panel that says the extracts hold the scope's goods."""
        own = (g.group for g in self.groups)
        return (*own, self.all_group.group, self.parts_components_group.group, *([self.tiva_group] if self.tiva_group else []))

    @property
    def region(self) -> str:
        """The members region's name in text ("ASEAN-10")."""
        return name(self.members_region)

    @property
    def reference_variant(self) -> str:
        """The relative_unit_value variant against the reference exporter (vs_jpn)."""
        return f"vs_{self.reference.lower()}"


def _members_in_order(summary: dict, region: str) -> tuple[str, ...]:
    """The region's members in the scope's focus-country order, then any others alphabetically."""
    members = list(summary.get("region_members", {}).get(region, []))
    focus = [c for c in summary["focus_countries"] if c in members]
    return tuple(focus + sorted(c for c in members if c not in focus))


def report_scope(summary: dict) -> ReportScope:
    """A ReportScope from `scope_summary(scope, regions)` (assets/transforms/reference/scope.py, with the regions table)."""
    groups_by_name = {g["group"]: g for g in summary["groups"]}
    report = summary.get("report") or {}
    chosen = report.get("groups") or list(groups_by_name)
    groups = tuple(ReportGroup(g, groups_by_name[g]["label"], groups_by_name[g].get("short") or groups_by_name[g]["label"],
                               tuple(groups_by_name[g]["hs"]), groups_by_name[g].get("stage"), groups_by_name[g].get("quantity"))
                   for g in chosen)
    members = _members_in_order(summary, summary["members_region"])
    producers = tuple(report.get("producers") or [c for c in summary["focus_countries"] if c in members])
    sectors = [(code, group) for code, group in summary["tiva_activities"].items() if code != SECTOR_ACTIVITY_EXCLUDED]
    tiva_code, tiva_group = sectors[0] if sectors else (None, None)
    named = {key: summary[key] for key in ("all_group", "parts_components_group")}
    return ReportScope(
        title=summary["title"],
        reference=summary["reference_exporter"],
        members_region=summary["members_region"],
        trend_region=summary["trend_region"],
        members=members,
        hub=report.get("hub") or (producers[0] if producers else summary["reference_exporter"]),
        producers=producers,
        compared=tuple(report.get("compared") or producers[:2]),
        groups=groups,
        all_group=ReportGroup(named["all_group"]["group"], named["all_group"]["label"],
                              named["all_group"].get("short") or named["all_group"]["label"]),
        parts_components_group=ReportGroup(named["parts_components_group"]["group"], named["parts_components_group"]["label"],
                                           named["parts_components_group"].get("short") or named["parts_components_group"]["label"]),
        tiva_group=tiva_group,
        tiva_code=tiva_code,
        tiva_short=(summary.get("tiva_labels") or {}).get(tiva_code or "", tiva_code or ""),
        scope_hs=tuple(sorted(p for g in summary["groups"] for p in g["hs"])),
    )


def load_report_scope(scope_path: str | Path | None = None, regions: pd.DataFrame | None = None) -> ReportScope:
    """The ReportScope of a scope file (default scopes/automotive.yaml) and regions table (default the bundled one)."""
    from assets.transforms.reference.country_codes import load_regions
    from assets.transforms.reference.scope import load_scope, scope_summary

    return report_scope(scope_summary(load_scope(scope_path), load_regions() if regions is None else regions))


@lru_cache(maxsize=1)
def default_report_scope() -> ReportScope:
    """The default scope's ReportScope: what the report functions use when no scope is passed (tests, notebooks)."""
    return load_report_scope()
