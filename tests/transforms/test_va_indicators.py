"""Value-added indicators on hand-written TiVA-like rows (HAND-WRITTEN fixtures, USD million), plus the
real TiVA 2025 extract's shape (EXGR_DVA vs OECD, no EXGR) when ../shared is present."""

from __future__ import annotations

import csv
import math

import pandas as pd
import pytest

from assets.errors import RvcInputError
from assets.transforms.indicators.indicator_catalog import load_indicator_catalog
from assets.transforms.indicators.quality import missing_indicators, range_violations
from assets.transforms.indicators.va_indicators import compute_va_indicators
from checks.indicators import indicator_schema

YEAR = 2015
ASEAN_ACCESSION = {"IDN": 1967, "MYS": 1967, "PHL": 1967, "SGP": 1967, "THA": 1967, "BRN": 1984,
                   "VNM": 1995, "LAO": 1997, "MMR": 1997, "KHM": 1999}


def regions_table() -> pd.DataFrame:
    """Hand-written ASEAN (by accession year) and ASEAN10 (fixed) membership."""
    members = sorted(ASEAN_ACCESSION)
    return pd.concat(
        [
            pd.DataFrame({"region": "ASEAN", "iso3": members, "from_year": [ASEAN_ACCESSION[m] for m in members],
                          "to_year": pd.NA}),
            pd.DataFrame({"region": "ASEAN10", "iso3": members, "from_year": pd.NA, "to_year": pd.NA}),
        ],
        ignore_index=True,
    )


def va_frame(rows, year: int = YEAR) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["measure", "country", "partner", "activity", "value"])
    frame["year"] = pd.array([year] * len(frame), dtype="Int64")
    frame["unit"] = ["PC" if m in ("DEXFVAPSH", "EXGR_DVAFXSH") else "USD_MN" for m in frame["measure"]]
    return frame[["measure", "country", "partner", "activity", "year", "value", "unit"]]


# Hand-written: Thailand's motor-vehicle (C29) exports. Origins (source countries) as EXGR_BSCI; the
# MAINLV partner breakdown of EXGR / EXGR_FVA is by destination market (JPN here), as in the real dataflow.
THAI_ROWS = [
    ("EXGR", "THA", "WLD", "C29", 200.0),
    ("EXGR_DVA", "THA", "WLD", "C29", 110.0),
    ("EXGR_FVA", "THA", "WLD", "C29", 90.0),
    ("EXGR_BSCI", "THA", "JPN", "C29", 40.0),
    ("EXGR_BSCI", "THA", "MYS", "C29", 6.0),
    ("EXGR_BSCI", "THA", "IDN", "C29", 4.0),
    ("EXGR_BSCI", "THA", "THA", "C29", 1.0),  # origin = exporter: domestic, not foreign
    ("EXGR", "THA", "WLD", "_T", 1000.0),
    ("EXGR_DVA", "THA", "WLD", "_T", 700.0),
    ("EXGR_FVA", "THA", "WLD", "_T", 300.0),
    ("EXGR_DVAFXSH", "THA", "WLD", "C29", 12.5),
    ("EXGR_DVAFXSH", "THA", "WLD", "_T", 15.0),
    ("EXGR", "THA", "JPN", "C29", 30.0),  # exports TO Japan (destination)
    ("EXGR_FVA", "THA", "JPN", "C29", 18.0),  # foreign value added in the exports TO Japan
    ("DEXFVAPSH", "THA", "WLD", "C29", 99.0),  # backward by origin in percent: not forward participation, ignored
    ("EXGR", "THA", "WLD", "C29_30", 999.0),  # an activity the indicators do not cover
]


@pytest.fixture(scope="module")
def thai() -> pd.DataFrame:
    return compute_va_indicators(va_frame(THAI_ROWS), regions_table(), YEAR)


def pick(frame, indicator, country, partner, group, variant="tiva", column="value"):
    rows = frame[(frame["indicator"] == indicator) & (frame["country"] == country) & (frame["partner"] == partner)
                 & (frame["product_group"] == group) & (frame["variant"] == variant)]
    assert len(rows) == 1, f"{indicator} {country} {partner} {group} {variant}: {len(rows)} rows"
    return rows[column].iloc[0]


def test_dva_and_fva_shares_in_percent(thai):
    assert pick(thai, "dva_share", "THA", "WLD", "motor_vehicles_c29") == pytest.approx(100 * 110 / 200)
    assert pick(thai, "fva_share", "THA", "WLD", "motor_vehicles_c29") == pytest.approx(100 * 90 / 200)
    assert pick(thai, "dva_share", "THA", "WLD", "all_activities") == pytest.approx(70.0)
    assert pick(thai, "dva_share", "THA", "WLD", "all_activities", column="unit") == "percent"


def test_fva_by_origin_over_gross_exports_and_over_fva(thai):
    assert pick(thai, "fva_origin_share", "THA", "JPN", "motor_vehicles_c29", variant="of_gross_exports") == pytest.approx(
        100 * 40 / 200)
    assert pick(thai, "fva_origin_share", "THA", "JPN", "motor_vehicles_c29",
                variant="of_foreign_value_added") == pytest.approx(100 * 40 / 90)
    assert pick(thai, "fva_origin_share", "THA", "ASEAN", "motor_vehicles_c29", variant="of_gross_exports") == pytest.approx(
        100 * (6 + 4) / 200)
    origins = thai[thai["indicator"] == "fva_origin_share"]
    assert "THA" not in set(origins["partner"])  # the exporter's own value added is domestic


def test_origin_regions_follow_accession_years():
    rows = [("EXGR", "VNM", "WLD", "C29", 100.0), ("EXGR_FVA", "VNM", "WLD", "C29", 50.0),
            ("EXGR_BSCI", "VNM", "LAO", "C29", 2.0), ("EXGR_BSCI", "VNM", "THA", "C29", 8.0)]
    out = compute_va_indicators(va_frame(rows, 1996), regions_table(), 1996)
    # LAO joined ASEAN in 1997: in 1996 only THA counts for ASEAN, both for fixed ASEAN10.
    assert pick(out, "fva_origin_share", "VNM", "ASEAN", "motor_vehicles_c29", variant="of_gross_exports") == 8.0
    assert pick(out, "fva_origin_share", "VNM", "ASEAN10", "motor_vehicles_c29", variant="of_gross_exports") == 10.0


def test_explicit_origin_measures_win_and_exgr_fva_by_partner_is_never_an_origin():
    rows = [("EXGR", "THA", "WLD", "C29", 100.0), ("EXGR_FVA", "THA", "WLD", "C29", 50.0),
            ("EXGR_FVA", "THA", "JPN", "C29", 30.0), ("EXGR_FVA_ORIGIN", "THA", "JPN", "C29", 25.0),
            ("EXGR_BSCI", "THA", "JPN", "C29", 20.0), ("DEXFVA", "THA", "JPN", "C29", 21.0),
            ("EXGR_BSCI", "THA", "CHN", "C29", 5.0), ("DEXFVA", "THA", "KOR", "C29", 3.0)]
    out = compute_va_indicators(va_frame(rows), regions_table(), YEAR)
    assert pick(out, "fva_origin_share", "THA", "JPN", "motor_vehicles_c29", variant="of_gross_exports") == 25.0
    assert pick(out, "fva_origin_share", "THA", "CHN", "motor_vehicles_c29", variant="of_gross_exports") == 5.0
    assert pick(out, "fva_origin_share", "THA", "KOR", "motor_vehicles_c29", variant="of_gross_exports") == 3.0


def test_destination_and_origin_are_kept_apart():
    """Real MAINLV: COUNTERPART_AREA of EXGR_FVA is the destination. FVA in Thai exports TO Japan is not
    Japan's value added in Thai exports; the origin breakdown (EXGR_BSCI) says where the value added comes from."""
    rows = [("EXGR", "THA", "WLD", "C29", 100.0), ("EXGR_FVA", "THA", "WLD", "C29", 50.0),
            ("EXGR", "THA", "JPN", "C29", 20.0), ("EXGR_FVA", "THA", "JPN", "C29", 5.0)]
    only_destinations = compute_va_indicators(va_frame(rows), regions_table(), YEAR)
    assert "fva_origin_share" not in set(only_destinations["indicator"])
    assert pick(only_destinations, "fva_by_destination_share", "THA", "JPN", "motor_vehicles_c29",
                variant="of_exports_to_destination") == pytest.approx(100 * 5 / 20)
    assert pick(only_destinations, "fva_by_destination_share", "THA", "JPN", "motor_vehicles_c29",
                variant="of_foreign_value_added") == pytest.approx(100 * 5 / 50)
    # fva_share is the WLD row only: the destination row does not become a second backward share.
    fva = only_destinations[only_destinations["indicator"] == "fva_share"]
    assert set(fva["partner"]) == {"WLD"} and fva["value"].iloc[0] == pytest.approx(50.0)

    with_origins = compute_va_indicators(va_frame([*rows, ("EXGR_BSCI", "THA", "JPN", "C29", 12.0)]),
                                         regions_table(), YEAR)
    assert pick(with_origins, "fva_origin_share", "THA", "JPN", "motor_vehicles_c29",
                variant="of_gross_exports") == pytest.approx(12.0)
    assert pick(with_origins, "fva_by_destination_share", "THA", "JPN", "motor_vehicles_c29",
                variant="of_exports_to_destination") == pytest.approx(25.0)


def test_forward_and_gvc_participation(thai):
    assert pick(thai, "forward_participation", "THA", "WLD", "motor_vehicles_c29") == 12.5  # EXGR_DVAFXSH as published
    assert pick(thai, "forward_participation", "THA", "WLD", "all_activities") == 15.0
    assert pick(thai, "gvc_participation", "THA", "WLD", "motor_vehicles_c29") == pytest.approx(45.0 + 12.5)
    assert pick(thai, "gvc_participation", "THA", "WLD", "all_activities") == pytest.approx(30.0 + 15.0)


def test_gvc_participation_hand_case_counts_backward_once():
    """Issue 14 hand case. GVC participation = backward + forward (OECD TiVA guide): backward = EXGR_FVA / EXGR,
    forward = EXGR_DVAFXSH. DEXFVAPSH (foreign value added by origin: backward again) must not be added."""
    exgr, exgr_fva, dexfvapsh, exgr_dvafxsh = 100.0, 40.0, 40.0, 10.0
    rows = [("EXGR", "THA", "WLD", "C29", exgr), ("EXGR_FVA", "THA", "WLD", "C29", exgr_fva),
            ("DEXFVAPSH", "THA", "WLD", "C29", dexfvapsh), ("EXGR_DVAFXSH", "THA", "WLD", "C29", exgr_dvafxsh)]
    out = compute_va_indicators(va_frame(rows), regions_table(), YEAR)
    expected = 100.0 * exgr_fva / exgr + exgr_dvafxsh
    assert expected == 50.0  # not 80 = 40 + 40 (backward counted twice)
    assert pick(out, "gvc_participation", "THA", "WLD", "motor_vehicles_c29") == pytest.approx(expected)
    assert pick(out, "forward_participation", "THA", "WLD", "motor_vehicles_c29") == pytest.approx(exgr_dvafxsh)


def test_forward_given_as_a_value_is_divided_by_gross_exports():
    rows = [("EXGR", "THA", "WLD", "_T", 1000.0), ("EXGR_FVA", "THA", "WLD", "_T", 300.0),
            ("EXGR_DVAFXSH", "THA", "WLD", "_T", 150.0)]
    frame = va_frame(rows)
    frame.loc[frame["measure"] == "EXGR_DVAFXSH", "unit"] = "USD_MN"
    out = compute_va_indicators(frame, regions_table(), YEAR)
    assert pick(out, "forward_participation", "THA", "WLD", "all_activities") == pytest.approx(15.0)
    assert pick(out, "gvc_participation", "THA", "WLD", "all_activities") == pytest.approx(45.0)


def test_participation_absent_without_forward_measures():
    rows = [r for r in THAI_ROWS if r[0] != "EXGR_DVAFXSH"]
    out = compute_va_indicators(va_frame(rows), regions_table(), YEAR)
    assert not out["indicator"].isin(["forward_participation", "gvc_participation"]).any()


def test_missing_measures_and_zero_denominator_are_explained():
    rows = [("EXGR_DVA", "JPN", "WLD", "C29", 80.0), ("EXGR", "KOR", "WLD", "C29", 0.0),
            ("EXGR_DVA", "KOR", "WLD", "C29", 0.0)]
    out = compute_va_indicators(va_frame(rows), regions_table(), YEAR)
    assert math.isnan(pick(out, "dva_share", "JPN", "WLD", "motor_vehicles_c29"))
    assert pick(out, "dva_share", "JPN", "WLD", "motor_vehicles_c29", column="note") == "missing_input"
    assert pick(out, "dva_share", "KOR", "WLD", "motor_vehicles_c29", column="note") == "zero_denominator"
    # Every country-activity with data gets fva_share too, even when EXGR_FVA is absent.
    assert pick(out, "fva_share", "JPN", "WLD", "motor_vehicles_c29", column="note") == "missing_input"


def test_other_activities_are_ignored(thai):
    assert set(thai["product_group"]) == {"motor_vehicles_c29", "all_activities"}


def test_output_contract(thai):
    indicator_schema.validate(thai, lazy=True)
    catalog = load_indicator_catalog()
    assert set(thai["indicator"]) == set(catalog.loc[catalog["source"] == "value_added", "indicator"])
    assert range_violations(thai, catalog).empty
    assert missing_indicators(thai, ["THA"], catalog).empty
    assert set(thai["unit"]) == {"percent"}


@pytest.mark.parametrize(
    ("rows", "kwargs", "message"),
    [
        (THAI_ROWS[:1] * 2, {}, "share measure, country, partner, activity"),
    ],
    ids=["duplicate_key"],
)
def test_bad_inputs_raise(rows, kwargs, message):
    with pytest.raises(RvcInputError, match=message):
        compute_va_indicators(va_frame(rows), regions_table(), YEAR, **kwargs)


def test_mixed_level_units_and_other_years_raise():
    frame = va_frame(THAI_ROWS[:3])
    frame.loc[0, "unit"] = "USD"
    with pytest.raises(RvcInputError, match="several units"):
        compute_va_indicators(frame, regions_table(), YEAR)
    with pytest.raises(RvcInputError, match="2016"):
        compute_va_indicators(va_frame(THAI_ROWS[:3], 2016), regions_table(), YEAR)


@pytest.mark.real_data
def test_real_tiva_2025_extract_without_gross_exports(real_data_dir):
    path = real_data_dir / "tiva" / "tiva2025_MAINLV_EXGR_DVA_10asia_vs_OECD_totalactivity_2000-2022.csv"
    rows = []
    with path.open(encoding="utf-8", newline="") as handle:
        for record in csv.DictReader(handle):
            if record["TIME_PERIOD"] == "2015":
                rows.append((record["MEASURE"], record["REF_AREA"], record["COUNTERPART_AREA"], record["ACTIVITY"],
                             float(record["OBS_VALUE"])))
    countries = {r[1] for r in rows}
    assert len(countries) == 10 and {r[2] for r in rows} == {"OECD"}
    out = compute_va_indicators(va_frame(rows), regions_table(), YEAR)
    # The extract has EXGR_DVA towards OECD only and no EXGR: the shares are explained gaps, not zeros.
    dva = out[out["indicator"] == "dva_share"]
    assert set(dva["country"]) == countries
    assert set(dva["partner"]) == {"OECD", "WLD"}
    assert dva["value"].isna().all() and (dva["note"] == "missing_input").all()
    assert set(out["indicator"]) == {"dva_share", "fva_share"}
    indicator_schema.validate(out, lazy=True)


# ------------------------------------------------------------- the committed synthetic sample (SYNTHETIC)

SAMPLE_YEARS = (1995, 2016, 2022)


@pytest.fixture(scope="module")
def sample_va(repo_root) -> pd.DataFrame:
    """The sample's TiVA files read, cleaned and turned into indicators for a few sample years."""
    from assets.sources.tiva_layouts import read_tiva_extracts
    from assets.transforms.cleaning.tiva_cleaning import clean_tiva
    from assets.transforms.harmonization.value_added import latest_edition

    raw, _summary = read_tiva_extracts(repo_root / "sample" / "extracts", years=SAMPLE_YEARS)
    clean = latest_edition(clean_tiva(raw).clean)
    frames = [compute_va_indicators(clean[clean["year"] == year], regions_table(), year) for year in SAMPLE_YEARS]
    return pd.concat(frames, ignore_index=True)


def test_sample_holds_every_value_added_catalog_indicator_for_both_activities(sample_va):
    catalog = load_indicator_catalog()
    wanted = set(catalog.loc[catalog["source"] == "value_added", "indicator"])
    for year in SAMPLE_YEARS:
        rows = sample_va[(sample_va["year"] == year) & sample_va["value"].notna()]
        for group in ("motor_vehicles_c29", "all_activities"):
            assert set(rows.loc[rows["product_group"] == group, "indicator"]) == wanted, (year, group)
    indicator_schema.validate(sample_va, lazy=True)
    assert range_violations(sample_va, catalog).empty


def test_sample_thai_exports_to_japan_are_not_japanese_value_added(sample_va):
    """SYNTHETIC sample: the origin (EXGR_BSCI) and destination (MAINLV EXGR_FVA to JPN) series differ."""
    thai = sample_va[(sample_va["year"] == 2016) & (sample_va["country"] == "THA")]
    origin = pick(thai, "fva_origin_share", "THA", "JPN", "motor_vehicles_c29", variant="of_foreign_value_added")
    destination = pick(thai, "fva_by_destination_share", "THA", "JPN", "motor_vehicles_c29",
                       variant="of_foreign_value_added")
    assert 30.0 < origin < 50.0  # Japan's share of Thai C29 foreign value added (sample calibration)
    assert destination < 15.0  # the part of that foreign value added shipped to Japan
    gvc = pick(thai, "gvc_participation", "THA", "WLD", "motor_vehicles_c29")
    assert gvc == pytest.approx(pick(thai, "fva_share", "THA", "WLD", "motor_vehicles_c29")
                                + pick(thai, "forward_participation", "THA", "WLD", "motor_vehicles_c29"))
