"""The study's scope as data: product groups by HS prefix, focus countries, partners and regions, read from YAML.

Belongs here: `load_scope` (reads and checks a scope file such as scopes/automotive.yaml), the `Scope` it
returns (which group an H0 code belongs to, the group names the indicators and checks accept, the labels),
and `scope_summary` (what a report needs to describe the active scope). Not here: choosing the file (the
RVC_SCOPE setting, pipelines/settings.py), the BEC tables (assets/sources/hs_bec.py), any indicator formula.

A scope file has the keys documented in README "Scope"; every error names the file, the key and what was
expected. HS codes are HS1992 (H0) prefixes of 2 to 6 digits, or a range of prefixes of one length
("8706-8707" = 8706 and 8707); the longest matching prefix wins, whatever the order in the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd
import yaml

from assets.errors import RvcInputError
from assets.project_paths import REPO_ROOT, SCOPES_DIR
from assets.vocabulary import TOTAL_MERCHANDISE, WORLD

DEFAULT_SCOPE_PATH = SCOPES_DIR / "automotive.yaml"

OTHER_GROUP = "other"
QUANTITY_UNITS = ("u", "kg")
STAGES = ("final", "component")
_NAME_PATTERN = "snake_case: lower-case letters, digits and _ (e.g. passenger_cars)"


@dataclass(frozen=True)
class ProductGroup:
    """One product group of the scope: its name, a label for text, its HS prefixes, unit-value quantity, stage."""

    group: str
    label: str
    hs_prefixes: tuple[str, ...]
    quantity: str | None = None
    stage: str | None = None
    short: str | None = None  # the report's running-text name ("car" in "car exports"); default: label


@dataclass(frozen=True)
class ReportChoices:
    """What the report's findings single out (README "Scope", key `report`): the hub, the producers whose
    localization and upgrading findings are written, the two compared, the groups the findings follow (file
    order). Empty: the report's defaults (producers = focus countries in the members region, hub = the first
    producer, compared = the first two, groups = every group)."""

    hub: str | None = None
    producers: tuple[str, ...] = ()
    compared: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scope:
    """A study's scope (see the module docstring); build it with `load_scope`."""

    name: str
    title: str
    source: str
    groups: tuple[ProductGroup, ...]
    all_group: str
    all_label: str
    parts_components_group: str
    parts_components_label: str
    bec_fallback: dict[str, str]
    tiva_activities: dict[str, str]
    focus_countries: tuple[str, ...]
    partners: tuple[str, ...]
    reference_exporter: str
    partner_regions: tuple[str, ...]
    trend_region: str
    members_region: str
    region_labels: dict[str, str] = field(default_factory=dict)
    all_short: str | None = None
    parts_components_short: str | None = None
    tiva_labels: dict[str, str] = field(default_factory=dict)
    report: ReportChoices = field(default_factory=lambda: ReportChoices())

    @property
    def group_names(self) -> tuple[str, ...]:
        """The scope's own groups, in file order (each HS line belongs to at most one)."""
        return tuple(g.group for g in self.groups)

    @property
    def line_groups(self) -> tuple[str, ...]:
        """Groups built from HS6 lines: the scope's groups, the all-lines group, the BEC parts group."""
        return (*self.group_names, self.all_group, self.parts_components_group)

    @property
    def trade_groups(self) -> tuple[str, ...]:
        """Every product_group of trade_indicators: line groups plus total_merchandise."""
        return (*self.line_groups, TOTAL_MERCHANDISE)

    @property
    def indicator_groups(self) -> tuple[str, ...]:
        """Every product_group an indicator row of this scope may carry (trade and value added)."""
        return (*self.trade_groups, *self.tiva_activities.values())

    @property
    def reference_groups(self) -> tuple[str, ...]:
        """Every product_group of the product_groups table: the scope's groups and "other"."""
        return (*self.group_names, OTHER_GROUP)

    @property
    def quantity_basis(self) -> dict[str, str]:
        return {g.group: g.quantity for g in self.groups if g.quantity}

    @property
    def final_groups(self) -> tuple[str, ...]:
        return tuple(g.group for g in self.groups if g.stage == "final")

    @property
    def component_groups(self) -> tuple[str, ...]:
        return tuple(g.group for g in self.groups if g.stage == "component")

    @property
    def prefix_groups(self) -> dict[str, str]:
        """HS prefix → group, every range expanded."""
        return {prefix: g.group for g in self.groups for prefix in g.hs_prefixes}

    @property
    def hs4_headings(self) -> dict[str, str]:
        """4-digit headings defined whole (a 4-digit prefix, or a shorter one expanded) → group: the headings
        whose 4-digit declarations can stand in for missing HS6 lines."""
        return {p: grp for p, grp in self.prefix_groups.items() if len(p) == 4}

    def group_of(self, hs6: str) -> str:
        """The group of an H0 code (longest matching prefix), or "other"."""
        table = self.prefix_groups
        for length in range(min(len(hs6), 6), 1, -1):
            hit = table.get(hs6[:length])
            if hit is not None:
                return hit
        return OTHER_GROUP

    def bec_fallback_of(self, hs6: str) -> str | None:
        """The scope's BEC code for an H0 code no UN table covers (longest prefix), or None."""
        for length in range(min(len(hs6), 6), 1, -1):
            hit = self.bec_fallback.get(hs6[:length])
            if hit is not None:
                return hit
        return None

    def label_of(self, code: str) -> str:
        """A group's or region's label (the code itself when the scope gives none)."""
        labels = {g.group: g.label for g in self.groups}
        labels |= {self.all_group: self.all_label, self.parts_components_group: self.parts_components_label}
        return labels.get(code) or self.region_labels.get(code) or code


def _fail(source: str, key: str, problem: str) -> RvcInputError:
    return RvcInputError(f"scope file {source}: {key}: {problem}. Fix the file (README, 'Scope', lists every key).")


def _name(value: object, source: str, key: str) -> str:
    text = str(value) if value is not None else ""
    if not text or not all(c.islower() or c.isdigit() or c == "_" for c in text) or not text[0].isalpha():
        raise _fail(source, key, f"expected a group name in {_NAME_PATTERN}, found {value!r}")
    return text


def _codes(values: object, source: str, key: str) -> tuple[str, ...]:
    """A non-empty list of ISO3 codes."""
    if not isinstance(values, list) or not values:
        raise _fail(source, key, f"expected a non-empty list of ISO3 codes, found {values!r}")
    codes = tuple(str(v) for v in values)
    bad = [c for c in codes if not (len(c) == 3 and c.isalpha() and c.isupper())]
    if bad:
        raise _fail(source, key, f"expected ISO3 codes such as JPN, found {bad}")
    return codes


def expand_hs(entry: object, source: str, key: str) -> tuple[str, ...]:
    """One `hs` entry → prefixes: "8703" → ("8703",); "8706-8707" → ("8706", "8707")."""
    text = str(entry).strip()
    low, _, high = text.partition("-")
    ok = low.isdigit() and 2 <= len(low) <= 6 and (not high or (high.isdigit() and len(high) == len(low) and high >= low))
    if not ok:
        raise _fail(source, key, f"expected an HS prefix of 2 to 6 digits or a range like '8706-8707', found {entry!r}"
                    " (write codes in quotes so leading zeros stay)")
    if not high:
        return (low,)
    if int(high) - int(low) > 999:
        raise _fail(source, key, f"range {text!r} spans more than 1000 prefixes; split it or use a shorter prefix")
    return tuple(str(n).zfill(len(low)) for n in range(int(low), int(high) + 1))


def _group(entry: object, index: int, source: str) -> ProductGroup:
    key = f"product_groups[{index}]"
    if not isinstance(entry, dict):
        raise _fail(source, key, f"expected a mapping with group, label, hs, found {entry!r}")
    unknown = set(entry) - {"group", "label", "short", "hs", "quantity", "stage"}
    if unknown:
        raise _fail(source, key, f"unknown keys {sorted(unknown)}; allowed: group, label, short, hs, quantity, stage")
    group = _name(entry.get("group"), source, f"{key}.group")
    if group in (OTHER_GROUP, TOTAL_MERCHANDISE):
        raise _fail(source, f"{key}.group", f"{group!r} is reserved; choose another name")
    hs = entry.get("hs")
    if not isinstance(hs, list) or not hs:
        raise _fail(source, f"{key}.hs", f"expected a non-empty list of HS prefixes, found {hs!r}")
    prefixes = tuple(p for item in hs for p in expand_hs(item, source, f"{key}.hs"))
    quantity = entry.get("quantity")
    if quantity is not None and quantity not in QUANTITY_UNITS:
        raise _fail(source, f"{key}.quantity", f"expected one of {QUANTITY_UNITS} or nothing, found {quantity!r}")
    stage = entry.get("stage")
    if stage is not None and stage not in STAGES:
        raise _fail(source, f"{key}.stage", f"expected one of {STAGES} or nothing, found {stage!r}")
    short = str(entry["short"]) if entry.get("short") else None
    return ProductGroup(group, str(entry.get("label") or group), prefixes, quantity, stage, short)


def _named_group(value: object, source: str, key: str) -> tuple[str, str, str | None]:
    if not isinstance(value, dict) or "group" not in value:
        raise _fail(source, key, f"expected {{group: ..., label: ..., short: ...}}, found {value!r}")
    short = str(value["short"]) if value.get("short") else None
    return _name(value["group"], source, f"{key}.group"), str(value.get("label") or value["group"]), short


def _report_choices(value: object, groups: list[str], source: str) -> ReportChoices:
    """The optional `report` key: hub (ISO3), producers and compared (ISO3 lists), groups (names of the scope's groups)."""
    if value is None:
        return ReportChoices()
    if not isinstance(value, dict):
        raise _fail(source, "report", f"expected a mapping with hub, producers, compared, groups, found {value!r}")
    unknown = set(value) - {"hub", "producers", "compared", "groups"}
    if unknown:
        raise _fail(source, "report", f"unknown keys {sorted(unknown)}; allowed: hub, producers, compared, groups")
    chosen = [str(g) for g in value.get("groups") or []]
    strangers = [g for g in chosen if g not in groups]
    if strangers:
        raise _fail(source, "report.groups", f"{strangers} are not groups of product_groups ({groups})")
    return ReportChoices(
        hub=_codes([value["hub"]], source, "report.hub")[0] if value.get("hub") else None,
        producers=_codes(value["producers"], source, "report.producers") if value.get("producers") else (),
        compared=_codes(value["compared"], source, "report.compared") if value.get("compared") else (),
        groups=tuple(chosen),
    )


def parse_scope(document: object, source: str) -> Scope:
    """A Scope from a parsed YAML document; `source` names the file in errors."""
    if not isinstance(document, dict):
        raise _fail(source, "(top level)", f"expected a mapping of keys, found {type(document).__name__}")
    required = ["name", "product_groups", "all_group", "parts_components_group", "tiva_activities",
                "focus_countries", "partners", "reference_exporter", "regions"]
    missing = [k for k in required if k not in document]
    if missing:
        raise _fail(source, "(top level)", f"missing keys {missing}")
    groups = document["product_groups"]
    if not isinstance(groups, list) or not groups:
        raise _fail(source, "product_groups", "expected a non-empty list of groups")
    parsed = tuple(_group(entry, i, source) for i, entry in enumerate(groups))
    names = [g.group for g in parsed]
    if len(set(names)) != len(names):
        raise _fail(source, "product_groups", f"group names repeat: {sorted({n for n in names if names.count(n) > 1})}")
    owners: dict[str, str] = {}
    for g in parsed:
        for prefix in g.hs_prefixes:
            if prefix in owners and owners[prefix] != g.group:
                raise _fail(source, "product_groups", f"HS prefix {prefix} is in both {owners[prefix]} and {g.group}")
            owners[prefix] = g.group
    all_group, all_label, all_short = _named_group(document["all_group"], source, "all_group")
    pc_group, pc_label, pc_short = _named_group(document["parts_components_group"], source, "parts_components_group")
    reserved = set(names) | {OTHER_GROUP, TOTAL_MERCHANDISE}
    if all_group in reserved or pc_group in reserved | {all_group}:
        raise _fail(source, "all_group/parts_components_group", "must differ from every group name and each other")
    activities = document["tiva_activities"]
    if not isinstance(activities, dict) or not activities:
        raise _fail(source, "tiva_activities", f"expected a mapping TiVA activity code → group name, found {activities!r}")
    tiva = {str(code): _name(group, source, f"tiva_activities.{code}") for code, group in activities.items()}
    clash = set(tiva.values()) & (reserved | {all_group, pc_group})
    if clash:
        raise _fail(source, "tiva_activities", f"group names {sorted(clash)} are also trade groups; choose others")
    fallback = document.get("bec_fallback") or {}
    if not isinstance(fallback, dict):
        raise _fail(source, "bec_fallback", f"expected a mapping HS prefix → BEC Rev.4 code, found {fallback!r}")
    bec = {}
    for prefix, code in fallback.items():
        for expanded in expand_hs(prefix, source, "bec_fallback"):
            if not (str(code).isdigit() and 1 <= len(str(code)) <= 3):
                raise _fail(source, f"bec_fallback.{prefix}", f"expected a BEC Rev.4 code of 1 to 3 digits, found {code!r}")
            bec[expanded] = str(code)
    regions = document["regions"]
    if not isinstance(regions, dict) or "partner_regions" not in regions or "trend_region" not in regions:
        raise _fail(source, "regions", "expected a mapping with partner_regions, trend_region (and members_region, labels)")
    partner_regions = tuple(str(r) for r in regions["partner_regions"] or [])
    labels = regions.get("labels") or {}
    if not isinstance(labels, dict):
        raise _fail(source, "regions.labels", f"expected a mapping region code → label, found {labels!r}")
    tiva_labels = document.get("tiva_labels") or {}
    if not isinstance(tiva_labels, dict) or set(map(str, tiva_labels)) - set(tiva):
        raise _fail(source, "tiva_labels", f"expected a mapping of tiva_activities codes ({sorted(tiva)}) → text, found {tiva_labels!r}")
    return Scope(
        name=_name(document["name"], source, "name"),
        title=str(document.get("title") or document["name"]),
        source=source,
        groups=parsed,
        all_group=all_group,
        all_label=all_label,
        parts_components_group=pc_group,
        parts_components_label=pc_label,
        bec_fallback=bec,
        tiva_activities=tiva,
        focus_countries=_codes(document["focus_countries"], source, "focus_countries"),
        partners=_codes(document["partners"], source, "partners"),
        reference_exporter=_codes([document["reference_exporter"]], source, "reference_exporter")[0],
        partner_regions=partner_regions,
        trend_region=str(regions["trend_region"]),
        members_region=str(regions.get("members_region") or regions["trend_region"]),
        region_labels={str(k): str(v) for k, v in labels.items()},
        all_short=all_short,
        parts_components_short=pc_short,
        tiva_labels={str(k): str(v) for k, v in tiva_labels.items()},
        report=_report_choices(document.get("report"), names, source),
    )


@lru_cache(maxsize=8)
def _load(path: Path, mtime_ns: int, size: int) -> Scope:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise RvcInputError(f"scope file {path}: not valid YAML ({error}); fix the syntax.") from error
    return parse_scope(document, str(path))


def load_scope(path: str | Path | None = None) -> Scope:
    """The scope in `path` (default: scopes/automotive.yaml). Raises RvcInputError naming the file and key."""
    resolved = Path(path).expanduser().resolve() if path else DEFAULT_SCOPE_PATH
    if not resolved.is_file():
        raise RvcInputError(
            f"scope file {resolved} does not exist; set RVC_SCOPE to a scope file such as scopes/electronics.yaml "
            "or leave it unset for the automotive scope."
        )
    # Cached by path, modification time and size: checks call this per validation, a changed file is read again.
    stat = resolved.stat()
    return _load(resolved, stat.st_mtime_ns, stat.st_size)


def check_regions_exist(scope: Scope, region_codes: set[str]) -> None:
    """Raise RvcInputError when the scope names a region the regions table does not have."""
    named = {*scope.partner_regions, scope.trend_region, scope.members_region}
    unknown = sorted(named - set(region_codes) - {WORLD})
    if unknown:
        raise RvcInputError(
            f"scope file {scope.source}: regions: {unknown} are not in the regions table "
            f"(known: {sorted(region_codes)}); add them to assets/data/regions.csv or fix the scope file."
        )


def scope_summary(scope: Scope, regions: pd.DataFrame | None = None) -> dict[str, object]:
    """What a report needs to describe the active scope, as plain data.

    Keys: name, title; groups (list of {group, label, short, hs, stage, quantity}); all_group,
    parts_components_group (each {group, label, short}); tiva_activities (code → group); tiva_labels (code →
    text); report ({hub, producers, compared, groups}, empty where the file leaves them out); focus_countries, partners, reference_exporter;
    partner_regions; trend_region (the fixed-membership region trend statements are about, e.g. ASEAN10);
    members_region; region_labels (code → label). With `regions` (the regions table: region, iso3,
    from_year, to_year) also region_members (code → sorted ISO3 of every member in any year) and
    membership_by_year (code → True when members join or leave over the years, as ASEAN by accession: a
    trend over such a region must say so, or use the fixed trend_region).
    """
    summary: dict[str, object] = {
        "name": scope.name,
        "title": scope.title,
        "groups": [{"group": g.group, "label": g.label, "short": g.short or g.label, "hs": list(g.hs_prefixes),
                    "stage": g.stage, "quantity": g.quantity} for g in scope.groups],
        "all_group": {"group": scope.all_group, "label": scope.all_label, "short": scope.all_short or scope.all_label},
        "parts_components_group": {"group": scope.parts_components_group, "label": scope.parts_components_label,
                                   "short": scope.parts_components_short or scope.parts_components_label},
        "tiva_activities": dict(scope.tiva_activities),
        "tiva_labels": dict(scope.tiva_labels),
        "report": {"hub": scope.report.hub, "producers": list(scope.report.producers),
                   "compared": list(scope.report.compared), "groups": list(scope.report.groups)},
        "focus_countries": list(scope.focus_countries),
        "partners": list(scope.partners),
        "reference_exporter": scope.reference_exporter,
        "partner_regions": list(scope.partner_regions),
        "trend_region": scope.trend_region,
        "members_region": scope.members_region,
        "region_labels": dict(scope.region_labels),
    }
    if regions is not None:
        named = [*scope.partner_regions, scope.trend_region, scope.members_region]
        rows = regions[regions["region"].isin(named)]
        check_regions_exist(scope, set(regions["region"].astype("str")))
        summary["region_members"] = {
            code: sorted(rows.loc[rows["region"] == code, "iso3"].astype("str").unique()) for code in dict.fromkeys(named)
        }
        dated = rows["from_year"].notna() | rows["to_year"].notna()
        summary["membership_by_year"] = {code: bool(dated[rows["region"] == code].any()) for code in dict.fromkeys(named)}
    return summary
