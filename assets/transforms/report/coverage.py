"""The report's "Data and coverage" section: sources, what the extracts hold, years and countries per
indicator, what "world" means each year, rejected rows, and the methods used.

Belongs here: turning the panel and ExtractFacts into Blocks. Not here: the DuckDB summaries
(extract_facts.py), the scope's countries and groups (scope.py: ReportScope).
"""

from __future__ import annotations

import pandas as pd

from assets.transforms.report.blocks import Block
from assets.transforms.report.extract_facts import ExtractFacts, year_ranges
from assets.transforms.report.panel_views import yearly
from assets.transforms.report.scope import ReportScope, default_report_scope, name
from assets.vocabulary import TOTAL_MERCHANDISE, WORLD

METHODS_DOC = "docs/methods.md"  # copied into the report folder, so the links work wherever the report goes
REJECTS_DOC = "docs/reject_reasons.md"
WORLD_NOTE = ("\"World\" in RCA and world market shares is the sum over the countries in the extracts, not the true "
              "world total: a country absent from the extracts is absent from the denominator.")


def _usd(value: object) -> str:
    return "" if value is None or pd.isna(value) else f"{float(value) / 1e6:,.1f}"


def _members(codes: set[str], rs: ReportScope) -> str:
    present = [m for m in rs.members if m in codes]
    if len(present) == len(rs.members):
        return f"all {len(present)}"
    if not present:
        return "none"
    return f"{len(present)}: " + ", ".join(name(m) for m in present)


def sources_blocks(facts: ExtractFacts | None) -> list[Block]:
    blocks = [Block("h3", "Sources")]
    if facts is None or facts.sources.empty:
        return blocks + [Block("p", "No source file is recorded in the stored tables (nothing was cleaned yet, or the report "
                                    "was written without them).")]
    counts = facts.sources["family"].value_counts()
    blocks.append(Block("p", "The report stands on " + ", ".join(f"{n} {family} file(s)" for family, n in counts.items())
                        + ". Paths are relative to the extracts folder (RVC_EXTRACTS); sha256 identifies the exact file; "
                          "release is the TiVA edition; retrieved is the download time where the extract recorded one."))
    rows = [[r.family, r.source_file, r.layout or "", r.release or "", r.retrieved_at if isinstance(r.retrieved_at, str) else "not recorded",
             str(r.sha256 or "")[:12], r.years, f"{r.rows_used:,}", f"{r.rows_rejected:,}"]
            for r in facts.sources.itertuples(index=False)]
    blocks.append(Block("table", header=["source", "file", "layout", "release", "retrieved", "sha256 (first 12)", "years",
                                         "rows used", "rows rejected"], rows=rows))
    return blocks


def no_scope_lines(rs: ReportScope) -> str:
    """The warning at the top of the findings when the panel holds none of the scope's goods."""
    return (f"The extracts hold no {rs.all_group.short} lines with a value, so the findings below say \"no data\"; "
            "Data and coverage says what the extracts do hold.")


def holds_scope_lines(panel: pd.DataFrame, rs: ReportScope | None = None) -> bool:
    """Whether any indicator of the scope's groups (or its TiVA sector) has a value."""
    rs = rs or default_report_scope()
    rows = yearly(panel)
    return bool((rows["product_group"].isin(rs.line_groups) & rows["value"].notna()).any())


def holdings_blocks(panel: pd.DataFrame, facts: ExtractFacts | None, rs: ReportScope | None = None) -> list[Block]:
    """Whether the extracts hold the scope's goods at all, and which HS headings they do hold."""
    rs = rs or default_report_scope()
    blocks = [Block("h3", "What the extracts hold")]
    if not holds_scope_lines(panel, rs):
        sector = f", or TiVA {rs.tiva_code} {rs.tiva_short}" if rs.tiva_code else ""
        findings_on = ", ".join(g.short for g in rs.groups)
        blocks.append(Block("p", f"The extracts hold no {rs.all_group.short} lines with a value (HS " + ", ".join(rs.scope_hs)
                            + f"{sector}): every finding and chart on {findings_on} and {rs.tiva_short} value "
                              "added is empty for that reason, not because trade was zero."))
    if facts is not None and not facts.hs_headings.empty:
        headings = facts.hs_headings.head(15)
        more = len(facts.hs_headings) - len(headings)
        blocks.append(Block("p", f"HS headings in the cleaned bilateral facts ({len(facts.hs_headings)} heading(s), largest first"
                                 + (f"; {more} more not shown" if more else "") + "). Values in US$ million."))
        blocks.append(Block("table", header=["HS heading", "rows", "value (US$ m)"],
                            rows=[[h.heading, f"{h.rows:,}", _usd(h.value_usd)] for h in headings.itertuples(index=False)]))
    return blocks


def indicator_coverage(panel: pd.DataFrame, rs: ReportScope | None = None) -> pd.DataFrame:
    """Per indicator: years and countries with a value, members of the scope's region and the reference economy,
    rows without a value and why. Column names stay asean10/japan (the CSV contract); the table header names them."""
    rs = rs or default_report_scope()
    rows = yearly(panel)
    out = []
    for indicator, group in rows.groupby("indicator", sort=True):
        valued = group[group["value"].notna()]
        reasons = group.loc[group["value"].isna(), "note"].fillna("no reason").value_counts()
        out.append(dict(
            indicator=indicator,
            years=year_ranges(valued["year"].dropna().astype(int).tolist()) or "none",
            countries=valued["country"].nunique(),
            asean10=_members(set(valued["country"]), rs),
            japan="yes" if rs.reference in set(valued["country"]) else "no",
            without_value=len(group) - len(valued),
            why="; ".join(f"{reason} ({n})" for reason, n in reasons.items()),
        ))
    return pd.DataFrame(out, columns=["indicator", "years", "countries", "asean10", "japan", "without_value", "why"])


def coverage_blocks(panel: pd.DataFrame, rs: ReportScope | None = None) -> list[Block]:
    rs = rs or default_report_scope()
    table = indicator_coverage(panel, rs)
    return [Block("h3", "Years and countries per indicator"),
            Block("p", "Countries counted where the indicator has a value; rows without a value keep the reason the "
                       "indicator step gave (note)."),
            Block("table", header=["indicator", "years with a value", "countries", f"{rs.region} members", name(rs.reference),
                                   "rows without a value", "why"],
                  rows=table.astype(str).to_numpy().tolist())]


def world_composition(panel: pd.DataFrame, rs: ReportScope | None = None) -> pd.DataFrame:
    """Per year: the countries whose total exports make the RCA world, and the exporters behind market shares.
    Column names stay as the first (automotive) report named them; the table header names the scope's words."""
    rs = rs or default_report_scope()
    all_group = rs.all_group.group
    rows = yearly(panel)
    exports = rows[(rows["indicator"] == "exports_usd") & (rows["partner"] == WORLD) & rows["value"].notna()]
    totals = exports[exports["product_group"] == TOTAL_MERCHANDISE].groupby("year")["country"].agg(set)
    automotive = exports[exports["product_group"] == all_group].groupby("year")["country"].agg(set)
    years = sorted(set(totals.index) | set(automotive.index))
    out = []
    for year in years:
        world = totals.get(year, set())
        out.append(dict(year=int(year), rca_world_countries=len(world), asean10_in_world=_members(world, rs),
                        japan_in_world="yes" if rs.reference in world else "no",
                        automotive_exporters=len(automotive.get(year, set()))))
    frame = pd.DataFrame(out, columns=["year", "rca_world_countries", "asean10_in_world", "japan_in_world", "automotive_exporters"])
    # The indicators carry their own world columns (issue 14: world_countries, world_coverage_share on the RCA
    # and market-share rows); shown per year as the RCA rows of the scope's all-lines group give them.
    rca = rows[(rows["indicator"] == "rca") & (rows["product_group"] == all_group)]
    for column in [c for c in panel.columns if c.startswith("world_")]:
        per_year = rca.dropna(subset=[column]).groupby("year")[column].first()
        frame[column] = [_world_value(column, per_year.get(year)) for year in frame["year"]]
    return frame


WORLD_CSV = "data/world_countries.csv"


def world_members(panel: pd.DataFrame, rs: ReportScope | None = None) -> pd.DataFrame:
    """Every country in "world" per year (the CSV behind the world table): in the RCA world (has a total
    merchandise export value) and/or an exporter of the scope's goods in the reconciled flows (market shares).
    scope_exporter: the country exports goods of the scope's all-lines group (all_automotive, all_semiconductors)."""
    rs = rs or default_report_scope()
    rows = yearly(panel)
    exports = rows[(rows["indicator"] == "exports_usd") & (rows["partner"] == WORLD) & rows["value"].notna()]
    flags = [exports[exports["product_group"] == group][["year", "country"]].drop_duplicates().assign(**{column: True})
             for group, column in [(TOTAL_MERCHANDISE, "in_rca_world"), (rs.all_group.group, "scope_exporter")]]
    merged = flags[0].merge(flags[1], on=["year", "country"], how="outer")
    merged[["in_rca_world", "scope_exporter"]] = merged[["in_rca_world", "scope_exporter"]].astype("boolean").fillna(False)
    merged["name"] = merged["country"].map(name)
    return merged.sort_values(["year", "country"], ignore_index=True)[["year", "country", "name", "in_rca_world", "scope_exporter"]]


def _world_value(column: str, value: object) -> str:
    if value is None or pd.isna(value):
        return ""
    if column.endswith("_share"):
        return f"{float(value) * 100:.1f} %"
    return f"{int(value):,}" if float(value).is_integer() else f"{value}"  # a count stacked as float shows as 4


def world_blocks(panel: pd.DataFrame, rs: ReportScope | None = None) -> list[Block]:
    rs = rs or default_report_scope()
    frame = world_composition(panel, rs)
    goods = rs.all_group.short
    blocks = [Block("h3", "What \"world\" means"), Block("p", WORLD_NOTE + " RCA divides by the total merchandise exports "
                    "of the countries with a total (reported, or mirrored from partners' declarations); market shares divide "
                    f"by the {goods} exports of the exporters in the reconciled flows.",
                    link=("Country totals (methods)", f"{METHODS_DOC}#country-totals"))]
    if frame.empty:
        return blocks + [Block("p", f"No country has a total or {goods} export value in the panel: no world is defined.")]
    header = ["year", "countries in the RCA world", f"{rs.region} members in it", f"{name(rs.reference)} in it",
              f"{goods} exporters (market shares)"]
    header += [f"{c} (RCA rows, {rs.all_group.label})" for c in frame.columns if c.startswith("world_")]
    return blocks + [Block("table", header=header, rows=frame.astype(str).to_numpy().tolist()),
                     Block("p", "Every country in each year's world:", link=("world_countries.csv", WORLD_CSV))]


def rejects_blocks(facts: ExtractFacts | None) -> list[Block]:
    blocks = [Block("h3", "What was rejected")]
    if facts is None:
        return blocks + [Block("p", "The rejected rows were not summarized (the report was written without the stored tables).")]
    if facts.rejects.empty:
        return blocks + [Block("p", "No row was rejected.")]
    blocks.append(Block("p", "Rows the cleaning set aside, by reason (value: the rows' primaryValue, missing counted as 0, "
                             "US$ million; TiVA rejects carry no US$ value).", link=("Reason codes", REJECTS_DOC)))
    rows = [[r.family, r.reason, f"{r.rows:,}", _usd(r.value_usd)] for r in facts.rejects.itertuples(index=False)]
    return blocks + [Block("table", header=["source", "reason", "rows", "value (US$ m)"], rows=rows)]


def methods_blocks(facts: ExtractFacts | None) -> list[Block]:
    blocks = [Block("h3", "Methods used"), Block("p", "The rules, with their sources, are in the methods document.",
                                                 link=("Methods", METHODS_DOC))]
    if facts is None:
        return blocks
    items = []
    if not facts.cif_fob.empty and int(facts.cif_fob["rows_with_ratio"].iloc[0]) > 0:
        c = facts.cif_fob.iloc[0]
        items.append(f"CIF/FOB: imports declared CIF are brought to FOB with the '{facts.cif_fob_method or 'configured'}' "
                     f"method; {int(c.rows_with_ratio):,} flow rows used a factor (median {c.median_ratio:.3f}, range "
                     f"{c.min_ratio:.3f}–{c.max_ratio:.3f}). See methods: Values as declared (CIF and FOB).")
    else:
        items.append(f"CIF/FOB: method '{facts.cif_fob_method or 'configured'}'; no flow row needed a CIF/FOB factor.")
    if not facts.reconciliation.empty:
        total = facts.reconciliation["value_usd"].sum()
        shares = ", ".join(f"{r.recon_rule} {r.value_usd / total * 100:.1f} % ({r.rows:,} rows)"
                           for r in facts.reconciliation.itertuples(index=False)) if total else "no value"
        items.append("Mirror reconciliation per reconciliation group (recon_group, the HS chapter by default); share of "
                     f"trade_flows value by rule: {shares}. See methods: Mirror reconciliation.")
    if not facts.hs_vintages.empty:
        vintages = ", ".join(f"{r.hs_vintage} {r.rows:,} rows ({r.split_rows:,} split by weights)"
                             for r in facts.hs_vintages.itertuples(index=False))
        items.append(f"HS conversion to HS1992 (H0): {vintages}. See methods: HS conversion weights.")
    if not facts.weights_by_method.empty:
        items.append("HS conversion weights by method: " + ", ".join(
            f"{r.weight_method} {r.links:,} links" for r in facts.weights_by_method.itertuples(index=False)) + ".")
    return blocks + [Block("ul", items=items)]


def data_and_coverage(panel: pd.DataFrame, facts: ExtractFacts | None, rs: ReportScope | None = None) -> list[Block]:
    rs = rs or default_report_scope()
    return ([Block("h2", "Data and coverage")] + sources_blocks(facts) + holdings_blocks(panel, facts, rs)
            + coverage_blocks(panel, rs) + world_blocks(panel, rs) + rejects_blocks(facts) + methods_blocks(facts))
