"""The report follows the active scope file: with scopes/electronics.yaml its title, findings, charts and coverage
speak of the electronics groups (labels from the file) and never of cars; the scope's numbers appear.

The panel rows are HAND-WRITTEN (not real data); each expected sentence is the arithmetic on them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from assets.transforms.reference.country_codes import load_regions
from assets.transforms.indicators.indicator_catalog import catalog_for_scope, load_indicator_catalog
from assets.transforms.report import write_report
from assets.transforms.report.findings import finding_sections
from assets.transforms.report.scope import load_report_scope
from assets.transforms.reference.scope import SCOPES_DIR, load_scope, scope_summary

ELECTRONICS = SCOPES_DIR / "electronics.yaml"


def row(year, country, partner, group, indicator, value, variant="reconciled", unit="usd"):
    return dict(year=year, country=country, partner=partner, product_group=group, indicator=indicator, subtype=None,
                variant=variant, value=value, unit=unit, note=None, period=None)


def electronics_panel() -> pd.DataFrame:
    rows = []
    for year, ic_share, device_share, mys_exports in [(2015, 0.40, 0.20, 3e9), (2016, 0.35, 0.25, 4e9), (2017, 0.30, 0.30, 5e9)]:
        rows += [row(year, "THA", "JPN", "integrated_circuits", "import_source_share", ic_share, unit="share"),
                 row(year, "THA", "JPN", "semiconductor_devices", "import_source_share", device_share, unit="share"),
                 row(year, "MYS", "ASEAN10", "all_semiconductors", "exports_usd", mys_exports),
                 row(year, "JPN", "ASEAN10", "integrated_circuits", "exports_usd", 1e9 * (year - 2014)),
                 row(year, "MYS", "WLD", "all_semiconductors", "exports_usd", 2 * mys_exports)]
    panel = pd.DataFrame(rows)
    panel["year"] = panel["year"].astype("Int64")
    return panel


@pytest.fixture(scope="module")
def electronics():
    return load_report_scope(ELECTRONICS)


def test_the_report_scope_comes_from_the_scope_file(electronics) -> None:
    assert electronics == load_report_scope(ELECTRONICS, load_regions())
    summary = scope_summary(load_scope(ELECTRONICS), load_regions())
    assert electronics.title == summary["title"]
    assert [g.group for g in electronics.groups] == ["semiconductor_devices", "integrated_circuits"]
    assert electronics.hub == "MYS" and electronics.producers[0] == "MYS"
    assert electronics.members == ("BRN", "KHM", "IDN", "LAO", "MYS", "MMR", "PHL", "SGP", "THA", "VNM")  # focus order
    assert electronics.tiva_group == "electronics_c26" and electronics.finished == ()


def test_electronics_findings_name_the_groups_and_hold_their_numbers(electronics) -> None:
    sections = finding_sections(electronics_panel(), electronics)
    text = "\n".join(s for section in sections for s in section.sentences)
    # Hand-computed: 40 % → 35 % → 30 %: a fall with no turning point (threshold 15 % of the range 0.10 = 0.015
    # is passed by both steps, but they go one way).
    assert ("Source diversification, not localization: Japan's share of Thailand's integrated circuit imports fell "
            "from 40.0 % in 2015 to 30.0 % in 2017 [import_source_share, reconciled; % of the country's HS 8542 imports]") in text
    assert "Japan's share of Thailand's semiconductor device imports rose from 20.0 % in 2015 to 30.0 % in 2017" in text
    assert "Malaysia's semiconductor exports to ASEAN-10 rose from US$ 3.00 bn in 2015 to US$ 5.00 bn in 2017" in text
    # World minus ASEAN-10 = 6 − 3, 8 − 4, 10 − 5 bn.
    assert "Malaysia's semiconductor exports beyond ASEAN-10 (world minus ASEAN-10) rose from US$ 3.00 bn in 2015" in text
    assert "Japan's integrated circuit exports to ASEAN-10 (HS 8542) rose from US$ 1.00 bn in 2015 to US$ 3.00 bn in 2017" in text
    questions = [section.question for section in sections]
    assert questions[0] == "Production shift to ASEAN-10, and Malaysia as the regional hub"
    # No finished goods in this scope: no "imports per item exported" finding, and no car anywhere.
    assert questions[1] == "Localization: domestic value added and sources of component imports"
    assert "exported" not in "\n".join(sections[1].sentences)
    assert "car" not in text.replace("carry", "") and "automotive" not in text.lower() and "C29" not in text


def test_the_electronics_report_never_says_automotive(tmp_path: Path, electronics) -> None:
    catalog = catalog_for_scope(load_indicator_catalog(), load_scope(ELECTRONICS))
    assert "parts_to_vehicles_ratio" not in set(catalog["indicator"]) and "rca" in set(catalog["indicator"])
    assert len(catalog_for_scope(load_indicator_catalog(), load_scope())) == len(load_indicator_catalog())  # automotive: all
    written = write_report(electronics_panel(), catalog, tmp_path / "rvc_report", data_label="test", scope=electronics)
    report = (tmp_path / "rvc_report" / "report.md").read_text(encoding="utf-8")
    html = (tmp_path / "rvc_report" / "index.html").read_text(encoding="utf-8")
    assert report.startswith("# Japan–ASEAN semiconductor value chains: trade and value added")
    for page in (report, html):
        assert "no automotive lines" not in page and "automotive" not in page.lower()
        assert "integrated circuit" in page and "semiconductor device" in page
    assert "The extracts hold no" not in report  # the panel holds the scope's lines
    assert "vehicle" not in report.lower() and "cars" not in report.lower()
    assert any("integrated circuit" in f for f in written.findings)
    assert "thailand_hub" in written.charts  # the hub chart keeps its file name; it is about the scope's hub
    hub = pd.read_csv(tmp_path / "rvc_report" / "charts" / "thailand_hub.csv")
    exports = hub[hub["facet"] == "Malaysia: semiconductor exports"].set_index(["series", "year"])["value"]
    assert exports[("to ASEAN-10", 2016)] == pytest.approx(4.0) and exports[("beyond ASEAN-10", 2017)] == pytest.approx(5.0)
    assert "Malaysia as a regional hub: exports to ASEAN-10 and beyond" in report


def test_a_panel_without_the_scope_goods_says_so_in_the_scope_words(tmp_path: Path, electronics) -> None:
    panel = pd.DataFrame([row(2016, "THA", "WLD", "total_merchandise", "exports_usd", 1e9)])
    panel["year"] = panel["year"].astype("Int64")
    write_report(panel, load_indicator_catalog(), tmp_path / "rvc_report", data_label="test", scope=electronics)
    report = (tmp_path / "rvc_report" / "report.md").read_text(encoding="utf-8")
    assert "The extracts hold no semiconductor lines with a value" in report
    assert "(HS 8541, 8542, or TiVA C26 computer-and-electronics)" in report
    assert "automotive" not in report.split("## Indicator catalog")[0].lower()
