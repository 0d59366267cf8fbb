"""The report: findings come from the numbers, missing data are said plainly, files are whole and self-contained."""

from pathlib import Path

import pandas as pd
import pytest

from assets.transforms.indicators.indicator_catalog import load_indicator_catalog
from assets.transforms.report import write_report
from assets.transforms.report.findings import generate_findings
from assets.transforms.report.scope import possessive


def _panel(jpn_share_1995: float, jpn_share_2023: float) -> pd.DataFrame:
    rows = []
    for year, share in [(1995, jpn_share_1995), (2023, jpn_share_2023)]:
        rows.append(dict(year=year, country="THA", partner="JPN", product_group="parts_accessories",
                         indicator="import_source_share", subtype=None, variant="reconciled", value=share, unit="share", note=None))
        for country, partner, group, value in [("JPN", "THA", "parts_accessories", 1.5e9), ("THA", "JPN", "parts_accessories", 0.2e9),
                                               ("JPN", "THA", "passenger_cars", 0.1e9), ("THA", "WLD", "all_automotive", 2e9),
                                               ("THA", "WLD", "parts_components_bec", 1e9)]:
            rows.append(dict(year=year, country=country, partner=partner, product_group=group, indicator="exports_usd",
                             subtype=None, variant="reconciled", value=value * (1 + (year - 1995) / 28), unit="usd", note=None))
    panel = pd.DataFrame(rows)
    panel["year"] = panel["year"].astype("Int64")
    panel["period"] = None
    return panel


def test_finding_sentence_is_computed_from_the_panel() -> None:
    tail = " [import_source_share, reconciled; % of the country's HS 8708 imports]. Caveat: thin coverage, values for 2 of the 29 years 1995–2023."
    findings = generate_findings(_panel(0.70, 0.30))
    assert "Source diversification, not localization: Japan's share of Thailand's parts imports fell from 70.0 % in 1995 to 30.0 % in 2023" + tail in findings
    findings = generate_findings(_panel(0.20, 0.45))
    assert "Source diversification, not localization: Japan's share of Thailand's parts imports rose from 20.0 % in 1995 to 45.0 % in 2023" + tail in findings


def test_missing_data_is_said_plainly() -> None:
    findings = generate_findings(_panel(0.7, 0.3))
    assert any(f.startswith("Source diversification, not localization: Japan's share of Indonesia's parts imports: no data")
               for f in findings)
    assert "The domestic value added share of Thailand's motor-vehicle (C29) exports: no TiVA data [dva_share; % of gross exports, OECD TiVA]." in findings


def test_possessive_forms() -> None:
    assert possessive("THA") == "Thailand's"
    assert possessive("PHL") == "the Philippines'"


def test_report_files_are_self_contained_and_replace_the_old_ones(tmp_path: Path) -> None:
    destination = tmp_path / "rvc_report"
    destination.mkdir()
    (destination / "stale.txt").write_text("from an earlier run")
    written = write_report(_panel(0.7, 0.3), load_indicator_catalog(), destination, data_label="SYNTHETIC test data")
    assert not (destination / "stale.txt").exists()
    html = (destination / "index.html").read_text()
    assert "data:image/png;base64," in html and "src='http" not in html and 'src="http' not in html
    assert "SYNTHETIC test data" in html
    markdown = (destination / "report.md").read_text()
    assert "charts/production_shift.png" in markdown and (destination / "charts" / "production_shift.png").is_file()
    assert "value_added" in written.missing_charts  # no TiVA rows in this panel: said, not drawn
    assert "not drawn — the panel has no data for it" in markdown
    assert "`grubel_lloyd`" in markdown  # the catalog is rendered
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging folder left


def test_failed_report_leaves_previous_report_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    destination = tmp_path / "rvc_report"
    write_report(_panel(0.7, 0.3), load_indicator_catalog(), destination, data_label="first")
    import assets.transforms.report.render as render

    def broken(*_args, **_kwargs):
        raise RuntimeError("chart failed")

    monkeypatch.setattr(render, "finding_sections", broken)
    with pytest.raises(RuntimeError):
        write_report(_panel(0.2, 0.4), load_indicator_catalog(), destination, data_label="second")
    assert "first" in (destination / "report.md").read_text()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_value_added_to_japan_is_not_called_japanese_value_added() -> None:
    """Issue 14: MAINLV EXGR_FVA towards JPN is the destination; only origin measures feed the origin sentence."""
    panel = _panel(0.7, 0.3)
    extra = []
    for year, value in [(1995, 40.0), (2023, 30.0)]:
        extra.append(dict(year=year, country="THA", partner="JPN", product_group="motor_vehicles_c29",
                          indicator="fva_by_destination_share", subtype=None, variant="of_exports_to_destination",
                          value=value, unit="percent", note=None, period=None))
    panel = pd.concat([panel, pd.DataFrame(extra).astype({"year": "Int64"})], ignore_index=True)
    findings = generate_findings(panel)
    assert ("The foreign value added content of Thailand's C29 exports to Japan (destination market) fell from "
            "40.0 % in 1995 to 30.0 % in 2023 [fva_by_destination_share, of_exports_to_destination; % of those exports, "
            "OECD TiVA]. Caveat: thin coverage, values for 2 of the 29 years 1995–2023.") in findings
    assert any(f.startswith("Value added originating in Japan as a share of Thailand's C29 exports: no TiVA value "
                            "added by origin") for f in findings)
    assert not any("Japan's value added" in f for f in findings)
