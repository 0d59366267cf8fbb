"""The table behind each chart: what is drawn, as a tidy frame that is also written as the chart's CSV.

Belongs here: choosing series from the panel (`ChartTable` builders). Not here: drawing (charts.py) or
the scope's countries and groups (scope.py: ReportScope, passed to every builder).

A ChartTable's `data` has one row per facet (small-multiple panel), series and year, with columns
facet, series, year, value, unit, reference. Every series carries every year of the chart's span:
a year without data has value NaN (drawn as a gap, written as an empty cell with note "no data"),
never 0. `reference` marks the reference economy's series (Japan in the bundled scopes) (drawn black and thick in every facet it appears in).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from assets.transforms.report.panel_views import default_variant, series
from assets.transforms.report.scope import ReportScope, default_report_scope, name, possessive
from assets.vocabulary import WORLD

COLUMNS = ["facet", "series", "year", "value", "unit", "reference"]
MAX_SERIES_PER_FACET = 8
MEMBERS_PER_FACET = 5  # + Japan as reference = 6 lines, under the 8-series limit
BILLION = 1e9


@dataclass(frozen=True)
class ChartTable:
    data: pd.DataFrame  # COLUMNS
    shared_y: bool = True  # False: each facet has its own y-scale, said in the caption and on each axis
    reference_line: float | None = None  # a horizontal line (RCA = 1, unit value = Japan's)
    reference_line_label: str = ""
    kind: str = "line"  # "line" or "stacked_bar" (facet = bar, series = stacked segment)

    @property
    def years(self) -> tuple[int, int] | None:
        """First and last year with a value (the period a caption states)."""
        present = self.data.loc[self.data["value"].notna(), "year"]
        return (int(present.min()), int(present.max())) if len(present) else None

    @property
    def empty(self) -> bool:
        return self.years is None


def _rows(facet: str, label: str, data: pd.Series, unit: str, scale: float = 1.0, reference: bool = False) -> pd.DataFrame:
    return pd.DataFrame({"facet": facet, "series": label, "year": data.index.astype("int64"),
                         "value": data.to_numpy(dtype="float64") * scale, "unit": unit, "reference": reference})


def _complete(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Stack and give every (facet, series) every year of the span: NaN marks a year without data."""
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    data = pd.concat(frames, ignore_index=True)
    years = range(int(data["year"].min()), int(data["year"].max()) + 1)
    keys = data[["facet", "series", "unit", "reference"]].drop_duplicates()
    grid = keys.merge(pd.DataFrame({"year": list(years)}), how="cross")
    full = grid.merge(data, on=["facet", "series", "unit", "reference", "year"], how="left")
    order = {f: i for i, f in enumerate(dict.fromkeys(data["facet"]))}
    series_order = {s: i for i, s in enumerate(dict.fromkeys(data["series"]))}
    full = full.assign(_f=full["facet"].map(order), _s=full["series"].map(series_order))
    return full.sort_values(["_f", "_s", "year"])[COLUMNS].reset_index(drop=True)


def _chunks(codes: list[str], size: int = MEMBERS_PER_FACET) -> list[list[str]]:
    return [codes[i:i + size] for i in range(0, len(codes), size)]


def _facet_name(title: str, chunk: list[str], chunks: int) -> str:
    return title if chunks == 1 else f"{title} ({name(chunk[0])} to {name(chunk[-1])})"


def _members_and_japan(title: str, unit: str, fetch, rs: ReportScope, scale: float = 1.0,
                       with_reference: bool = True) -> list[pd.DataFrame]:
    """Small multiples of at most five members each, the reference economy's series repeated in each."""
    members = [m for m in rs.members if not fetch(m).empty]
    chunks = _chunks(members)
    frames = []
    reference = fetch(rs.reference) if with_reference else pd.Series(dtype="float64")
    for chunk in chunks:
        facet = _facet_name(title, chunk, len(chunks))
        if not reference.empty:
            frames.append(_rows(facet, name(rs.reference), reference, unit, scale, reference=True))
        frames += [_rows(facet, name(m), fetch(m), unit, scale) for m in chunk]
    return frames


def production_shift(panel: pd.DataFrame, rs: ReportScope | None = None) -> ChartTable:
    rs = rs or default_report_scope()
    ref, ref_name = rs.reference, name(rs.reference)
    variant = default_variant(panel, "exports_usd")
    flows = {}
    for g in rs.groups:  # bind g now: each lambda keeps its own group
        flows[f"{ref_name} → member, {g.short}"] = lambda m, g=g: series(panel, "exports_usd", ref, m, g.group, variant)
    for g in rs.groups:
        flows[f"member → {ref_name}, {g.short}"] = lambda m, g=g: series(panel, "exports_usd", m, ref, g.group, variant)
    frames = [_rows(name(m), label, fetch(m), "US$ bn", 1 / BILLION) for m in rs.members for label, fetch in flows.items()]
    return ChartTable(_complete(frames), shared_y=False)


def thailand_hub(panel: pd.DataFrame, rs: ReportScope | None = None) -> ChartTable:
    """The hub's exports to the region and beyond, its market share and RCA (the chart keeps its first name)."""
    rs = rs or default_report_scope()
    hub, trend, region, all_group = rs.hub, rs.trend_region, rs.region, rs.all_group
    variant = default_variant(panel, "exports_usd")
    to_world = series(panel, "exports_usd", hub, WORLD, all_group.group, variant)
    to_region = series(panel, "exports_usd", hub, trend, all_group.group, variant)
    beyond = (to_world - to_region).dropna()
    exports = f"{name(hub)}: {all_group.short} exports"
    frames = [_rows(exports, f"to {region}", to_region, "US$ bn", 1 / BILLION),
              _rows(exports, f"beyond {region}", beyond, "US$ bn", 1 / BILLION)]
    share_variant = default_variant(panel, "world_market_share")
    for code in [rs.reference, hub]:
        share = series(panel, "world_market_share", code, WORLD, all_group.group, share_variant)
        frames.append(_rows(f"Share of {all_group.short} exports of the countries in the extracts", name(code), share, "%", 100,
                            reference=code == rs.reference))
    rca_variant = default_variant(panel, "rca")
    for code in [rs.reference, hub]:
        rca = series(panel, "rca", code, WORLD, all_group.group, rca_variant)
        frames.append(_rows(f"Revealed comparative advantage, {all_group.label}", name(code), rca, "RCA index",
                            reference=code == rs.reference))
    return ChartTable(_complete(frames), shared_y=False)


def parts_sourcing(panel: pd.DataFrame, rs: ReportScope | None = None) -> ChartTable:
    rs = rs or default_report_scope()
    ref, trend = rs.reference, rs.trend_region
    variant = default_variant(panel, "import_source_share")
    frames = []
    for component in rs.components:
        frames += _members_and_japan(f"{possessive(ref)} share of {component.short} imports", "%",
                                     lambda m, g=component.group: series(panel, "import_source_share", m, ref, g, variant)
                                     if m != ref else pd.Series(dtype="float64"), rs, scale=100)
    intra = f"Intra-{rs.region} share of members' trade"
    for group in (*rs.components, *rs.finished, rs.all_group):
        data = series(panel, "intra_asean_share", trend, trend, group.group, "fixed_asean10")
        frames.append(_rows(intra, group.group.replace("_", " "), data, "%", 100))
    return ChartTable(_complete(frames), shared_y=True)


def value_added(panel: pd.DataFrame, rs: ReportScope | None = None) -> ChartTable:
    rs = rs or default_report_scope()
    ref, activity, code = rs.reference, rs.tiva_group, rs.tiva_code
    if not activity:
        return ChartTable(pd.DataFrame(columns=COLUMNS))
    frames = _members_and_japan(f"Domestic value added, % of {code} exports", "% of gross exports",
                                lambda m: series(panel, "dva_share", m, WORLD, activity), rs)
    frames += _members_and_japan(f"Value added from {name(ref)}, % of {code} exports", "% of gross exports",
                                 lambda m: series(panel, "fva_origin_share", m, ref, activity, "of_gross_exports")
                                 if m != ref else pd.Series(dtype="float64"), rs)
    return ChartTable(_complete(frames), shared_y=True)


def comparative_advantage(panel: pd.DataFrame, rs: ReportScope | None = None) -> ChartTable:
    rs = rs or default_report_scope()
    variant = default_variant(panel, "rca")
    frames = []
    marked = rs.components[0] if rs.components else rs.groups[0]  # the reference economy's series drawn in each panel
    japan = series(panel, "rca", rs.reference, WORLD, marked.group, variant)
    for member in rs.members:
        own = {g.short: series(panel, "rca", member, WORLD, g.group, variant) for g in rs.groups}
        if all(data.empty for data in own.values()):
            continue
        frames.append(_rows(name(member), f"{name(rs.reference)}, {marked.short}", japan, "RCA index", reference=True))
        frames += [_rows(name(member), short, data, "RCA index") for short, data in own.items()]
    return ChartTable(_complete(frames), shared_y=True, reference_line=1.0, reference_line_label="RCA = 1")


def unit_values(panel: pd.DataFrame, rs: ReportScope | None = None) -> ChartTable:
    rs = rs or default_report_scope()
    ref = rs.reference
    frames = []
    for group in rs.unit_value_groups:
        frames += _members_and_japan(f"{group.short[:1].upper() + group.short[1:]} export unit value relative to {possessive(ref)}",
                                     f"ratio ({name(ref)} = 1)",
                                     lambda m, g=group.group: series(panel, "relative_unit_value", m, WORLD, g, rs.reference_variant)
                                     if m != ref else pd.Series(dtype="float64"), rs, with_reference=False)
    return ChartTable(_complete(frames), shared_y=True, reference_line=1.0, reference_line_label=f"{name(ref)} = 1")


TWO_WAY_SUBTYPES = ["horizontal", "vertical_up", "vertical_down"]


def two_way_trade(panel: pd.DataFrame, rs: ReportScope | None = None) -> ChartTable:
    """One year (the latest any member has), one bar per member; a member without data that year is 'no data'."""
    rs = rs or default_report_scope()
    variant = default_variant(panel, "two_way_trade_share")
    shares = {(m, s): series(panel, "two_way_trade_share", m, rs.reference, rs.all_group.group, variant, s)
              for m in rs.members for s in TWO_WAY_SUBTYPES}
    years = [int(v.index.max()) for v in shares.values() if not v.empty]
    if not years:
        return ChartTable(pd.DataFrame(columns=COLUMNS), kind="stacked_bar")
    year = max(years)
    unit = f"% of {rs.all_group.short} trade with {name(rs.reference)}"
    rows = [dict(facet=name(m), series=s.replace("_", " "), year=year,
                 value=float(v.get(year)) * 100 if year in v.index else float("nan"), unit=unit,
                 reference=False) for (m, s), v in shares.items()]
    return ChartTable(pd.DataFrame(rows, columns=COLUMNS), kind="stacked_bar")


def parts_components_share(panel: pd.DataFrame, rs: ReportScope | None = None) -> ChartTable:
    rs = rs or default_report_scope()
    variant = default_variant(panel, "exports_usd")

    def share(code: str) -> pd.Series:
        parts = series(panel, "exports_usd", code, WORLD, rs.parts_components_group.group, variant)
        total = series(panel, "exports_usd", code, WORLD, rs.all_group.group, variant)
        return (parts / total.where(total > 0)).dropna()

    frames = _members_and_japan(f"Parts and components (BEC), % of {rs.all_group.short} exports", "%", share, rs, scale=100)
    return ChartTable(_complete(frames), shared_y=True)
