"""Findings from hand-made panels: trends, peaks and turning points (not only endpoints), caveats where
coverage is thin, and localization measured by value added and parts imports per vehicle exported.
Expected sentences are written out by hand from the series below."""

from __future__ import annotations

import pandas as pd
import pytest

from assets.transforms.report.findings import finding_sections, generate_findings, parts_imports_per_vehicle_exported
from assets.transforms.report.trends import coverage_caveat, describe, turning_points


def s(start: int, values: list[float]) -> pd.Series:
    return pd.Series(values, index=range(start, start + len(values)), dtype="float64")


def plain(v: float) -> str:
    return f"{v:.2f}"


def test_a_peak_in_the_middle_is_reported_as_a_peak() -> None:
    # range 4.0 → threshold max(0.6, 0.15) = 0.6: 2011 (5.0) is followed by a fall of 1.0 before any higher value.
    data = s(2008, [1.0, 2.0, 3.0, 5.0, 4.0, 2.0, 1.0])
    assert [(p.year, p.value, p.kind) for p in turning_points(data)] == [(2011, 5.0, "peak")]
    assert describe("X", data, plain, "ind; unit") == "X rose from 1.00 in 2008 to a peak of 5.00 in 2011, then fell to 1.00 in 2014 [ind; unit]."


def test_a_trough_then_a_peak_are_both_named() -> None:
    data = s(2000, [4.0, 2.0, 1.0, 3.0, 6.0, 5.0, 3.0])
    assert describe("Y", data, plain, "i") == ("Y fell from 4.00 in 2000 to a low of 1.00 in 2002, rose to a peak of 6.00 in 2004, "
                                               "then fell to 3.00 in 2006 [i].")


def test_up_to_five_turning_points_are_named_in_order() -> None:
    # A crisis dip and a later peak: range 6 → threshold 0.9; turns 1998 (low 2), 2008 (peak 7), 2009 (low 5), 2013 (peak 8,
    # confirmed by the fall of 1.5 to 2015; a fall under 0.9 would leave 2013 unconfirmed, not a turning point).
    data = pd.Series([4.0, 2.0, 7.0, 5.0, 8.0, 6.5], index=[1995, 1998, 2008, 2009, 2013, 2015])
    assert describe("J", data, plain, "i") == (
        "J fell from 4.00 in 1995 to a low of 2.00 in 1998, rose to a peak of 7.00 in 2008, fell to a low of 5.00 in 2009, "
        "rose to a peak of 8.00 in 2013, then fell to 6.50 in 2015 [i]. Caveat: thin coverage, values for 6 of the 21 years 1995–2015.")


def test_an_unconfirmed_late_peak_is_still_named_as_the_highest_value() -> None:
    # range 4 → threshold 0.6: the fall from 5.0 (2003) to 4.8 (2004) does not confirm a peak.
    data = s(2000, [1.0, 2.0, 4.0, 5.0, 4.8])
    assert turning_points(data) == []
    assert describe("L", data, plain, "i") == "L rose from 1.00 in 2000 to 4.80 in 2004 (highest 5.00 in 2003) [i]."


def test_noise_is_not_a_turning_point() -> None:
    # range 10 → threshold 1.5; the wiggles of 0.05–0.1 are not turns.
    data = s(2000, [10.0, 10.1, 10.05, 10.2, 20.0])
    assert turning_points(data) == []
    assert describe("Z", data, plain, "i") == "Z rose from 10.00 in 2000 to 20.00 in 2004 [i]."


def test_a_flat_series_stays_and_many_turns_are_summarized() -> None:
    assert describe("F", s(2000, [0.0] * 6), plain, "i") == "F stayed at 0.00 from 2000 to 2005 [i]."
    zigzag = s(2000, [1.0, 5.0, 1.0, 6.0, 1.0, 5.0, 0.5, 4.0])
    assert len(turning_points(zigzag)) == 6
    assert describe("G", zigzag, plain, "i") == ("G went from 1.00 in 2000 to 4.00 in 2007 through 6 turning points, the highest "
                                                 "peak 6.00 in 2003 and the lowest trough 0.50 in 2006 [i].")


def test_a_thin_series_gets_its_caveat() -> None:
    thin = pd.Series([1.0, 2.0, 3.0], index=[2000, 2001, 2010])
    assert coverage_caveat(thin) == "Caveat: thin coverage, values for 3 of the 11 years 2000–2010."
    assert describe("T", thin, plain, "i").endswith("[i]. Caveat: thin coverage, values for 3 of the 11 years 2000–2010.")
    assert coverage_caveat(s(2000, [1.0] * 5)) == ""
    # Five values over eight years: 62.5 % of the span, under 80 %.
    assert coverage_caveat(pd.Series([1.0] * 5, index=[2000, 2001, 2002, 2005, 2007])) == (
        "Caveat: thin coverage, values for 5 of the 8 years 2000–2007.")
    assert describe("U", pd.Series([7.0], index=[2016]), plain, "i") == (
        "U was 7.00 in 2016, the only year with a value [i]. Caveat: thin coverage, values for 1 of the 1 years 2016–2016.")


def row(year, country, partner, group, indicator, value, variant="reconciled", unit="usd", subtype=None):
    return dict(year=year, country=country, partner=partner, product_group=group, indicator=indicator, subtype=subtype,
                variant=variant, value=value, unit=unit, note=None, period=None)


def frame(rows: list[dict]) -> pd.DataFrame:
    panel = pd.DataFrame(rows)
    panel["year"] = panel["year"].astype("Int64")
    return panel


def test_japans_parts_exports_to_asean_peak_in_2013_on_a_panel() -> None:
    values = [1.0, 1.5, 2.0, 3.0, 2.5, 2.2, 2.0]  # US$ bn, 2010..2016: peak 2013
    panel = frame([row(2010 + i, "JPN", "ASEAN10", "parts_accessories", "exports_usd", v * 1e9) for i, v in enumerate(values)])
    findings = generate_findings(panel)
    assert ("Japan's parts exports to ASEAN-10 (HS 8708) rose from US$ 1.00 bn in 2010 to a peak of US$ 3.00 bn in 2013, "
            "then fell to US$ 2.00 bn in 2016 [exports_usd, reconciled; US$ bn].") in findings


def test_localization_is_value_added_and_parts_per_vehicle_not_source_shares() -> None:
    rows = []
    for year, dva, parts, cars, uv, share in [(2015, 40.0, 2e9, 1e9, 20_000.0, 0.6), (2016, 42.0, 2.2e9, 1.1e9, 22_000.0, 0.5),
                                              (2017, 45.0, 2.0e9, 1.6e9, 20_000.0, 0.4)]:
        rows += [row(year, "THA", "WLD", "motor_vehicles_c29", "dva_share", dva, "tiva", "percent"),
                 row(year, "THA", "WLD", "parts_accessories", "imports_usd", parts),
                 row(year, "THA", "WLD", "passenger_cars", "exports_usd", cars),
                 row(year, "THA", "WLD", "passenger_cars", "unit_value_usd", uv, unit="usd_per_item"),
                 row(year, "THA", "JPN", "parts_accessories", "import_source_share", share, unit="share")]
    panel = frame(rows)
    # Vehicles = car exports / unit value: 50,000, 50,000, 80,000 → parts per vehicle 40,000, 44,000, 25,000.
    per_vehicle = parts_imports_per_vehicle_exported(panel, "THA")
    assert per_vehicle.to_dict() == pytest.approx({2015: 40_000.0, 2016: 44_000.0, 2017: 25_000.0})
    sections = {section.question: section.sentences for section in finding_sections(panel)}
    localization = next(sentences for question, sentences in sections.items() if question.startswith("Localization"))
    assert ("The domestic value added share of Thailand's motor-vehicle (C29) exports rose from 40.0 % in 2015 to 45.0 % in 2017 "
            "[dva_share; % of gross exports, OECD TiVA]. Caveat: thin coverage, values for 3 of the 3 years 2015–2017.") in localization
    assert any(f.startswith("Thailand's parts imports per car exported rose from US$ 40,000 in 2015 to a peak of "
                            "US$ 44,000 in 2016, then fell to US$ 25,000 in 2017") for f in localization)
    shares = [f for f in localization if "Japan's share of Thailand's parts imports" in f]
    assert len(shares) == 1 and shares[0].startswith("Source diversification, not localization:")


def test_every_research_question_has_its_section() -> None:
    questions = [section.question for section in finding_sections(frame([row(2016, "THA", "WLD", "all_automotive", "exports_usd", 1e9)]))]
    assert [q.split(":")[0].split(",")[0] for q in questions[:4]] == ["Production shift to ASEAN-10", "Localization", "Upgrading", "Factory Asia"]
