"""The table behind each chart: what is drawn, as a tidy frame that is also written as the chart's CSV.

Belongs here: choosing series from the panel (`ChartTable` builders). Not here: drawing (charts.py) or
the scope's country lists (scope.py).

A ChartTable's `data` has one row per facet (small-multiple panel), series and year, with columns
facet, series, year, value, unit, reference. Every series carries every year of the chart's span:
a year without data has value NaN (drawn as a gap, written as an empty cell with note "no data"),
never 0. `reference` marks Japan's series (drawn black and thick in every facet it appears in).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from assets.transforms.report.panel_views import default_variant, series
from assets.transforms.report.scope import (
    ALL_AUTOMOTIVE,
    ASEAN10,
    ASEAN10_PARTNER,
    CARS,
    HUB,
    MOTOR_VEHICLES_TIVA,
    PARTS,
    PARTS_COMPONENTS_BEC,
    REFERENCE,
    name,
)
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


def _members_and_japan(title: str, unit: str, fetch, scale: float = 1.0, with_reference: bool = True) -> list[pd.DataFrame]:
    """Small multiples of at most five members each, Japan's series repeated in each as the reference."""
    members = [m for m in ASEAN10 if not fetch(m).empty]
    chunks = _chunks(members)
    frames = []
    reference = fetch(REFERENCE) if with_reference else pd.Series(dtype="float64")
    for chunk in chunks:
        facet = _facet_name(title, chunk, len(chunks))
        if not reference.empty:
            frames.append(_rows(facet, name(REFERENCE), reference, unit, scale, reference=True))
        frames += [_rows(facet, name(m), fetch(m), unit, scale) for m in chunk]
    return frames


def production_shift(panel: pd.DataFrame) -> ChartTable:
    variant = default_variant(panel, "exports_usd")
    flows = {
        "Japan → member, cars": lambda m: series(panel, "exports_usd", REFERENCE, m, CARS, variant),
        "Japan → member, parts": lambda m: series(panel, "exports_usd", REFERENCE, m, PARTS, variant),
        "member → Japan, cars": lambda m: series(panel, "exports_usd", m, REFERENCE, CARS, variant),
        "member → Japan, parts": lambda m: series(panel, "exports_usd", m, REFERENCE, PARTS, variant),
    }
    frames = [_rows(name(m), label, fetch(m), "US$ bn", 1 / BILLION) for m in ASEAN10 for label, fetch in flows.items()]
    return ChartTable(_complete(frames), shared_y=False)


def thailand_hub(panel: pd.DataFrame) -> ChartTable:
    variant = default_variant(panel, "exports_usd")
    to_world = series(panel, "exports_usd", HUB, WORLD, ALL_AUTOMOTIVE, variant)
    to_asean = series(panel, "exports_usd", HUB, ASEAN10_PARTNER, ALL_AUTOMOTIVE, variant)
    beyond = (to_world - to_asean).dropna()
    exports = f"{name(HUB)}: automotive exports"
    frames = [_rows(exports, "to ASEAN-10", to_asean, "US$ bn", 1 / BILLION),
              _rows(exports, "beyond ASEAN-10", beyond, "US$ bn", 1 / BILLION)]
    share_variant = default_variant(panel, "world_market_share")
    for code in [REFERENCE, HUB]:
        share = series(panel, "world_market_share", code, WORLD, ALL_AUTOMOTIVE, share_variant)
        frames.append(_rows("Share of automotive exports of the countries in the extracts", name(code), share, "%", 100,
                            reference=code == REFERENCE))
    rca_variant = default_variant(panel, "rca")
    for code in [REFERENCE, HUB]:
        rca = series(panel, "rca", code, WORLD, ALL_AUTOMOTIVE, rca_variant)
        frames.append(_rows("Revealed comparative advantage, all automotive", name(code), rca, "RCA index", reference=code == REFERENCE))
    return ChartTable(_complete(frames), shared_y=False)


def parts_sourcing(panel: pd.DataFrame) -> ChartTable:
    variant = default_variant(panel, "import_source_share")
    frames = _members_and_japan("Japan's share of parts imports", "%",
                                lambda m: series(panel, "import_source_share", m, REFERENCE, PARTS, variant)
                                if m != REFERENCE else pd.Series(dtype="float64"), scale=100)
    intra = "Intra-ASEAN-10 share of members' trade"
    for group in [PARTS, CARS, ALL_AUTOMOTIVE]:
        data = series(panel, "intra_asean_share", ASEAN10_PARTNER, ASEAN10_PARTNER, group, "fixed_asean10")
        frames.append(_rows(intra, group.replace("_", " "), data, "%", 100))
    return ChartTable(_complete(frames), shared_y=True)


def value_added(panel: pd.DataFrame) -> ChartTable:
    frames = _members_and_japan("Domestic value added, % of C29 exports", "% of gross exports",
                                lambda m: series(panel, "dva_share", m, WORLD, MOTOR_VEHICLES_TIVA))
    frames += _members_and_japan("Value added from Japan, % of C29 exports", "% of gross exports",
                                 lambda m: series(panel, "fva_origin_share", m, REFERENCE, MOTOR_VEHICLES_TIVA, "of_gross_exports")
                                 if m != REFERENCE else pd.Series(dtype="float64"))
    return ChartTable(_complete(frames), shared_y=True)


def comparative_advantage(panel: pd.DataFrame) -> ChartTable:
    variant = default_variant(panel, "rca")
    frames = []
    japan_parts = series(panel, "rca", REFERENCE, WORLD, PARTS, variant)
    for member in ASEAN10:
        parts = series(panel, "rca", member, WORLD, PARTS, variant)
        cars = series(panel, "rca", member, WORLD, CARS, variant)
        if parts.empty and cars.empty:
            continue
        frames += [_rows(name(member), "Japan, parts", japan_parts, "RCA index", reference=True),
                   _rows(name(member), "parts", parts, "RCA index"), _rows(name(member), "cars", cars, "RCA index")]
    return ChartTable(_complete(frames), shared_y=True, reference_line=1.0, reference_line_label="RCA = 1")


def unit_values(panel: pd.DataFrame) -> ChartTable:
    frames = _members_and_japan("Car export unit value relative to Japan's", "ratio (Japan = 1)",
                                lambda m: series(panel, "relative_unit_value", m, WORLD, CARS, "vs_jpn")
                                if m != REFERENCE else pd.Series(dtype="float64"), with_reference=False)
    return ChartTable(_complete(frames), shared_y=True, reference_line=1.0, reference_line_label="Japan = 1")


TWO_WAY_SUBTYPES = ["horizontal", "vertical_up", "vertical_down"]


def two_way_trade(panel: pd.DataFrame) -> ChartTable:
    """One year (the latest any member has), one bar per member; a member without data that year is 'no data'."""
    variant = default_variant(panel, "two_way_trade_share")
    shares = {(m, s): series(panel, "two_way_trade_share", m, REFERENCE, ALL_AUTOMOTIVE, variant, s)
              for m in ASEAN10 for s in TWO_WAY_SUBTYPES}
    years = [int(v.index.max()) for v in shares.values() if not v.empty]
    if not years:
        return ChartTable(pd.DataFrame(columns=COLUMNS), kind="stacked_bar")
    year = max(years)
    rows = [dict(facet=name(m), series=s.replace("_", " "), year=year,
                 value=float(v.get(year)) * 100 if year in v.index else float("nan"), unit="% of automotive trade with Japan",
                 reference=False) for (m, s), v in shares.items()]
    return ChartTable(pd.DataFrame(rows, columns=COLUMNS), kind="stacked_bar")


def parts_components_share(panel: pd.DataFrame) -> ChartTable:
    variant = default_variant(panel, "exports_usd")

    def share(code: str) -> pd.Series:
        parts = series(panel, "exports_usd", code, WORLD, PARTS_COMPONENTS_BEC, variant)
        total = series(panel, "exports_usd", code, WORLD, ALL_AUTOMOTIVE, variant)
        return (parts / total.where(total > 0)).dropna()

    frames = _members_and_japan("Parts and components (BEC), % of automotive exports", "%", share, scale=100)
    return ChartTable(_complete(frames), shared_y=True)
