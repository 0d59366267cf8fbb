"""TiVA cleaning: units, edition harmonization, split economies, duplicates, rejects, checks, schemas.

Most tests feed a few hand-written `tiva_raw` rows (built by `raw_rows`); the fixture files are the
hand-written ones in tests/fixtures/tiva; the real 2025 extracts are read in place via `real_data_dir`.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pandera.errors
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assets.sources.tiva_layouts import read_tiva_extracts
from assets.transforms.cleaning.tiva_cleaning import (
    REJECT_REASONS,
    STEPS,
    TIVA_CLEAN_COLUMNS,
    TIVA_REJECTS_COLUMNS,
    clean_tiva,
    contributing_rows,
    dva_fva_gap,
    harmonize_activity,
    is_aggregate_area,
    share_out_of_range,
)
from assets.vocabulary import TIVA_RAW_COLUMNS
from checks.tiva import tiva_clean_schema, tiva_raw_schema, tiva_rejects_schema
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tiva"
REAL_FILES = {
    "EXGR_DVA": "tiva2025_MAINLV_EXGR_DVA_10asia_vs_OECD_totalactivity_2000-2022.csv",
    "EXGR_FNL": "tiva2025_MAINLV_EXGR_FNL_10asia_vs_OECD_totalactivity_2000-2022.csv",
}

SHA = "a" * 64


def raw_rows(*rows: dict) -> pd.DataFrame:
    """Hand-written `tiva_raw` rows: THA EXGR C29 to WLD 2015, 1.0 USD (mult 6) unless overridden."""
    defaults = {
        "measure": "EXGR", "country": "THA", "partner": "WLD", "activity": "C29", "year": 2015,
        "obs_value": 1.0, "unparsed_value": None, "unit_measure": "USD", "unit_mult": 6, "obs_status": None,
        "dataflow": None, "edition": "2025", "source_file": "tiva/hand_written.csv", "source_sha256": SHA,
        "source_layout": "sdmx_csv_v1",
    }
    records = [{**defaults, **row, "source_row": row.get("source_row", i + 1)} for i, row in enumerate(rows)]
    frame = pd.DataFrame(records)[TIVA_RAW_COLUMNS]
    dtypes = {c: "str" for c in TIVA_RAW_COLUMNS}
    dtypes.update(year="Int64", obs_value="float64", unit_mult="Int64", source_row="Int64")
    return frame.astype(dtypes)


def clean_value(result, **key) -> float:
    rows = result.clean
    for column, value in key.items():
        rows = rows[rows[column] == value]
    assert len(rows) == 1, f"expected one clean row for {key}, got {len(rows)}"
    return float(rows["value"].iloc[0])


def reasons(result) -> dict[int, str]:
    return dict(zip(result.rejects["source_row"].astype(int), result.rejects["reason"]))


def assert_every_row_once(raw: pd.DataFrame, result) -> None:
    """Each raw (source_file, source_row) is in exactly one of clean (as contributor) or rejects."""
    kept = contributing_rows(result.clean)
    rejected = result.rejects[["source_file", "source_row"]]
    both = pd.concat([kept, rejected], ignore_index=True)
    assert not both.duplicated().any()
    assert sorted(both.itertuples(index=False)) == sorted(raw[["source_file", "source_row"]].itertuples(index=False))


def validate(result) -> None:
    tiva_clean_schema.validate(result.clean, lazy=True)
    tiva_rejects_schema.validate(result.rejects, lazy=True)


# --- units ----------------------------------------------------------------------------------------

def test_units_are_normalized_to_usd_million_or_percent():
    cases = [  # unit_measure, unit_mult, obs_value -> value, unit
        ("USD", 6, 1234.5, 1234.5, "USD_M"),  # millions as is
        ("USD", 0, 2_500_000.0, 2.5, "USD_M"),  # dollars -> /1e6
        ("USD_EXC", 3, 812_500.0, 812.5, "USD_M"),  # thousands -> /1e3
        ("USD", None, 140440.664, 140440.664, "USD_M"),  # no UNIT_MULT: TiVA publishes USD million
        ("PC", 0, 55.5, 55.5, "PC"),  # percent stays percent
        ("PC", None, 42.0, 42.0, "PC"),
    ]
    result = clean_tiva(raw_rows(*[
        {"unit_measure": u, "unit_mult": m, "obs_value": v, "year": 2000 + i} for i, (u, m, v, _, _) in enumerate(cases)
    ]))
    validate(result)
    assert result.clean["value"].tolist() == pytest.approx([c[3] for c in cases], rel=1e-12)
    assert result.clean["unit"].tolist() == [c[4] for c in cases]


def test_unknown_unit_is_rejected_with_the_unit_in_the_message():
    result = clean_tiva(raw_rows({"unit_measure": "NC"}, {"measure": "EXGR_DVA"}))
    assert reasons(result) == {1: "unknown_unit"}
    assert "'NC'" in result.rejects["message"].iloc[0] and "tiva/hand_written.csv row 1" in result.rejects["message"].iloc[0]
    assert len(result.clean) == 1


# --- harmonization across editions ------------------------------------------------------------------

def test_2018_activity_codes_become_2023_codes():
    result = clean_tiva(raw_rows(
        {"activity": "D29", "edition": "2018"},
        {"activity": "DTOTAL", "edition": "2018"},
        {"activity": "D10T33", "edition": "2018"},
        {"activity": "C29", "edition": "2025"},
    ))
    assert sorted(zip(result.clean["edition"], result.clean["activity"])) == [
        ("2018", "C"), ("2018", "C29"), ("2018", "_T"), ("2025", "C29"),
    ]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("D29", "C29"), ("DTOTAL", "_T"), ("D10T33", "C"), ("D17T18", "C17_18"), ("D10T12", "C10T12"),
        ("D01T03", "A"), ("D05T06", "B05_06"), ("D09", "B09"), ("D35T39", "D_E"), ("D45T82", "GTN"),
        ("D68", "L"), ("D62T63", "J62_63"), ("D84T98", "OTT"), ("D28T31", "C28T31"),
        ("D30T36", "D30T36"),  # crosses C/D/E without covering whole sections: no 2023+ code, kept
    ],
)
def test_harmonize_activity_rule(old, new):
    assert harmonize_activity(old) == new


@pytest.mark.parametrize("code", ["C29", "D", "D_E", "_T", "C29_30", "BTE", "A01_02"])
def test_new_edition_codes_are_unchanged(code):
    assert harmonize_activity(code) == code


def test_cn1_cn2_are_summed_into_chn_with_contributing_rows():
    raw = raw_rows(
        {"country": "CN1", "partner": "JPN", "measure": "EXGR_DVA", "obs_value": 100.5},
        {"country": "CN2", "partner": "JPN", "measure": "EXGR_DVA", "obs_value": 200.25},
        {"country": "THA", "partner": "JPN", "measure": "EXGR_DVA", "obs_value": 7.0},
    )
    result = clean_tiva(raw)
    validate(result)
    assert clean_value(result, country="CHN", partner="JPN") == pytest.approx(300.75)
    chn = result.clean[result.clean["country"] == "CHN"].iloc[0]
    assert chn["source_row"] == "1;2" and chn["source_file"] == "tiva/hand_written.csv"
    assert not chn["country_is_aggregate"]
    assert result.rejects.empty
    steps = result.steps.set_index("step")
    assert steps.loc["split_summed", "rows_removed"] == 1
    assert_every_row_once(raw, result)


def test_partner_and_country_splits_need_every_combination():
    raw = raw_rows(
        {"country": "CN1", "partner": "MX1", "obs_value": 1.0},
        {"country": "CN1", "partner": "MX2", "obs_value": 2.0},
        {"country": "CN2", "partner": "MX1", "obs_value": 3.0},
        {"country": "CN2", "partner": "MX2", "obs_value": 4.0},
        {"country": "THA", "partner": "MX1", "obs_value": 5.0},
        {"country": "THA", "partner": "MX2", "obs_value": 6.0},
    )
    result = clean_tiva(raw)
    assert clean_value(result, country="CHN", partner="MEX") == 10.0
    assert clean_value(result, country="THA", partner="MEX") == 11.0
    assert result.clean.set_index("country").loc["CHN", "source_row"] == "1;2;3;4"
    assert_every_row_once(raw, result)


def test_mx1_mx2_from_different_files_keep_aligned_provenance():
    raw = raw_rows(
        {"country": "MX1", "partner": "USA", "obs_value": 1_000_000.0, "unit_mult": 0, "source_file": "tiva/a.csv", "source_row": 4},
        {"country": "MX2", "partner": "USA", "obs_value": 2.5, "source_file": "tiva/b.csv", "source_row": 9},
    )
    result = clean_tiva(raw)
    validate(result)
    mex = result.clean.iloc[0]
    assert (mex["country"], mex["value"]) == ("MEX", 3.5)
    assert (mex["source_file"], mex["source_row"]) == ("tiva/a.csv;tiva/b.csv", "4;9")
    assert mex["source_sha256"] == f"{SHA};{SHA}"
    assert_every_row_once(raw, result)


def test_split_shares_are_rejected_not_summed():
    raw = raw_rows(
        {"country": "CN1", "measure": "EXGR_DVASH", "unit_measure": "PC", "unit_mult": 0, "obs_value": 60.5},
        {"country": "CN2", "measure": "EXGR_DVASH", "unit_measure": "PC", "unit_mult": 0, "obs_value": 70.5},
    )
    result = clean_tiva(raw)
    assert result.clean.empty
    assert reasons(result) == {1: "non_additive_split", 2: "non_additive_split"}


def test_split_rows_are_rejected_when_the_total_is_published():
    raw = raw_rows(
        {"country": "CN1", "obs_value": 1.0},
        {"country": "CN2", "obs_value": 2.0},
        {"country": "CHN", "obs_value": 3.0},
    )
    result = clean_tiva(raw)
    assert clean_value(result, country="CHN") == 3.0
    assert result.clean["source_row"].tolist() == ["3"]
    assert reasons(result) == {1: "split_covered_by_total", 2: "split_covered_by_total"}
    assert_every_row_once(raw, result)


def test_a_lone_split_part_is_not_passed_off_as_the_country():
    result = clean_tiva(raw_rows({"country": "CN1", "obs_value": 1.0}, {"country": "MX2", "partner": "JPN"}))
    assert result.clean.empty
    assert reasons(result) == {1: "incomplete_split", 2: "incomplete_split"}


def test_world_renamed_and_aggregates_flagged():
    result = clean_tiva(raw_rows(
        {"partner": "W"}, {"partner": "OECD", "year": 2016}, {"partner": "EU27_2020", "year": 2017},
        {"partner": "JPN", "year": 2018}, {"country": "ASEAN", "partner": "JPN", "year": 2018},
    ))
    flags = {(c, p): (ca, pa) for c, p, ca, pa in result.clean[
        ["country", "partner", "country_is_aggregate", "partner_is_aggregate"]].itertuples(index=False)}
    assert flags == {
        ("THA", "WLD"): (False, True), ("THA", "OECD"): (False, True), ("THA", "EU27_2020"): (False, True),
        ("THA", "JPN"): (False, False), ("ASEAN", "JPN"): (True, False),
    }


# --- rejects ------------------------------------------------------------------------------------------

def test_missing_and_non_numeric_values_and_missing_keys_are_rejected():
    raw = raw_rows(
        {"obs_value": None},
        {"obs_value": None, "unparsed_value": "..", "year": 2016},
        {"partner": None, "year": 2017},
        {"year": 2018},
    )
    result = clean_tiva(raw)
    validate(result)
    assert reasons(result) == {1: "missing_value", 2: "non_numeric_value", 3: "missing_key"}
    assert "'..'" in result.rejects.set_index("reason").loc["non_numeric_value", "message"]
    assert result.rejects["unparsed_value"].tolist()[1] == ".."  # raw columns kept
    assert list(result.rejects.columns) == TIVA_REJECTS_COLUMNS
    assert_every_row_once(raw, result)


def test_exact_duplicates_keep_the_first_and_conflicts_keep_none():
    raw = raw_rows(
        {"obs_value": 5.0, "source_row": 1},
        {"obs_value": 5_000_000.0, "unit_mult": 0, "source_row": 2},  # same value in dollars
        {"obs_value": 7.0, "year": 2016, "source_row": 3},
        {"obs_value": 8.0, "year": 2016, "source_row": 4},
        {"obs_value": 7.0, "year": 2016, "edition": "2023", "source_row": 5},  # another edition: no clash
    )
    result = clean_tiva(raw)
    assert reasons(result) == {2: "duplicate_row", 3: "conflicting_duplicate", 4: "conflicting_duplicate"}
    assert sorted(result.clean["source_row"]) == ["1", "5"]
    steps = result.steps.set_index("step")
    # USD million in the data, US dollars in the step table (as Comtrade's): 5 million and 7 + 8 million.
    assert steps.loc["duplicate_row", "value_removed_usd"] == pytest.approx(5_000_000.0)
    assert steps.loc["conflicting_duplicate", "value_removed_usd"] == pytest.approx(15_000_000.0)
    assert_every_row_once(raw, result)


def test_steps_count_every_removal_and_value_is_conserved():
    raw = raw_rows(
        {"obs_value": 10.0},
        {"obs_value": 10.0, "source_row": 2},  # duplicate of row 1
        {"unit_measure": "NC", "year": 2016},
        {"country": "CN1", "obs_value": 1.5, "year": 2017},
        {"country": "CN2", "obs_value": 2.5, "year": 2017},
        {"country": "MX1", "obs_value": 4.0, "year": 2017},
        {"measure": "EXGR_DVASH", "unit_measure": "PC", "obs_value": 50.0},
    )
    result = clean_tiva(raw)
    validate(result)
    steps = result.steps
    assert steps["step"].tolist() == STEPS
    counted = steps.set_index("step")["rows_removed"]
    for reason, n in result.rejects["reason"].value_counts().items():
        assert counted[reason] == n
    assert counted["split_summed"] == 1
    assert int(counted.drop("split_summed").sum()) == len(result.rejects)
    usd_in = 10.0 + 10.0 + 1.5 + 2.5 + 4.0  # the NC row is in no known unit, the PC row is a share
    usd_clean = result.clean.loc[result.clean["unit"] == "USD_M", "value"].sum()
    assert usd_clean * 1e6 + steps["value_removed_usd"].sum() == pytest.approx(usd_in * 1e6)
    assert_every_row_once(raw, result)


def test_output_is_deterministic_whatever_the_input_order():
    rows, _ = read_tiva_extracts(FIXTURES)
    first = clean_tiva(rows)
    second = clean_tiva(rows.sample(frac=1.0, random_state=7))
    pd.testing.assert_frame_equal(first.clean, second.clean)
    pd.testing.assert_frame_equal(first.rejects, second.rejects)


_ROW = st.fixed_dictionaries({
    "measure": st.sampled_from(["EXGR", "EXGR_DVA"]),
    "country": st.sampled_from(["THA", "CN1", "CN2", "CHN", "MX1", "MX2", None]),
    "partner": st.sampled_from(["WLD", "W", "JPN", "MX1", "MX2"]),
    "year": st.sampled_from([2015, 2016]),
    "obs_value": st.sampled_from([None, 1.0, 2.5, 1_000_000.0]),
    "unit_measure": st.sampled_from(["USD", "USD", "PC", "NC"]),
    "unit_mult": st.sampled_from([None, 0, 6]),
})


@settings(max_examples=10, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_ROW, min_size=1, max_size=12))
def test_property_every_row_ends_once_and_usd_value_is_conserved(rows):
    raw = raw_rows(*rows)
    result = clean_tiva(raw)
    validate(result)
    assert_every_row_once(raw, result)
    mult = raw["unit_mult"].astype("float64").fillna(6.0)
    is_usd = raw["unit_measure"] == "USD"
    usd_in = (raw["obs_value"] * 10.0 ** (mult - 6))[is_usd].sum()
    usd_clean = result.clean.loc[result.clean["unit"] == "USD_M", "value"].sum()
    assert usd_clean * 1e6 + result.steps["value_removed_usd"].sum() == pytest.approx(usd_in * 1e6, rel=1e-9, abs=1e-3)


def test_empty_input_gives_empty_typed_outputs():
    result = clean_tiva(raw_rows({"obs_value": 1.0}).iloc[0:0])
    validate(result)
    assert result.clean.empty and result.rejects.empty
    assert result.steps["rows_removed"].sum() == 0 and result.steps["step"].tolist() == STEPS


# --- fixtures end to end ----------------------------------------------------------------------------

def test_hand_written_fixtures_clean_to_the_values_in_their_readme():
    rows, _ = read_tiva_extracts(FIXTURES)
    result = clean_tiva(rows)
    validate(result)
    assert list(result.clean.columns) == TIVA_CLEAN_COLUMNS
    mainlv = "OECD.STI.PIE:DSD_TIVA_MAINLV@DF_MAINLV(1.1)"
    assert clean_value(result, measure="EXGR_DVA", country="THA", partner="WLD", year=2015) == pytest.approx(16500.25)
    assert clean_value(result, measure="EXGR_FVA", country="VNM", year=2016) == pytest.approx(812.5)
    assert clean_value(result, measure="EXGR_FVA", country="VNM", year=2015) == pytest.approx(812.5)
    assert clean_value(result, measure="EXGR_DVA", country="CHN", edition="2018") == pytest.approx(300.75)
    assert clean_value(result, measure="EXGR", country="MEX", activity="_T", edition="2018") == pytest.approx(3.5)
    assert clean_value(result, measure="EXGR_DVASH", country="THA", edition=mainlv) == 55.0
    assert dict(zip(result.rejects["source_file"] + ":" + result.rejects["source_row"].astype(str), result.rejects["reason"])) == {
        "TIVA_2018_C1_hand_written.csv:6": "non_additive_split",
        "TIVA_2018_C1_hand_written.csv:7": "non_additive_split",
        "TIVA_2018_C1_hand_written.csv:8": "non_numeric_value",
        "sdmx_csv_v1_unit_mult.csv:6": "missing_value",
    }
    assert_every_row_once(rows, result)


# --- check helpers ------------------------------------------------------------------------------------

def _three_measures(exgr: float, dva: float, fva: float, year: int) -> list[dict]:
    return [
        {"measure": "EXGR", "obs_value": exgr, "year": year},
        {"measure": "EXGR_DVA", "obs_value": dva, "year": year},
        {"measure": "EXGR_FVA", "obs_value": fva, "year": year},
    ]


def test_dva_fva_gap_flags_the_inconsistent_key_and_passes_the_consistent_one():
    result = clean_tiva(raw_rows(
        *_three_measures(30000.5, 16500.25, 13500.25, 2015),  # consistent
        *_three_measures(1000.0, 600.0, 399.0, 2016),  # 0.1 % off: TiVA rounding, passes
        *_three_measures(1000.0, 600.0, 300.0, 2017),  # 10 % off: flagged
        *_three_measures(1000.0, 600_000.0, 400.0, 2018),  # DVA in thousands by mistake: flagged
        {"measure": "EXGR", "obs_value": 5.0, "year": 2019},  # incomplete triple: not judged
    ))
    gaps = dva_fva_gap(result.clean)
    assert gaps["year"].tolist() == [2017, 2018]
    row = gaps.iloc[0]
    assert (row["exgr"], row["exgr_dva"], row["exgr_fva"]) == (1000.0, 600.0, 300.0)
    assert row["gap"] == pytest.approx(-100.0) and row["rel_gap"] == pytest.approx(-0.1)
    assert dva_fva_gap(result.clean, rel_tol=0.2)["year"].tolist() == [2018]


def test_dva_fva_gap_uses_an_absolute_floor_for_tiny_cells():
    result = clean_tiva(raw_rows(*_three_measures(0.004, 0.002, 0.003, 2015)))  # rounding to 0.001
    assert dva_fva_gap(result.clean).empty
    assert len(dva_fva_gap(result.clean, abs_tol=0.0)) == 1


def test_share_out_of_range():
    result = clean_tiva(raw_rows(
        {"measure": "EXGR_DVASH", "unit_measure": "PC", "unit_mult": 0, "obs_value": 55.0},
        {"measure": "EXGR_DVASH", "unit_measure": "PC", "unit_mult": 0, "obs_value": 100.5, "year": 2016},
        {"measure": "EXGR_FVASH", "unit_measure": "PC", "unit_mult": None, "obs_value": -0.5},
        {"measure": "EXGR", "obs_value": 5000.0},  # USD, not a share
    ))
    out = share_out_of_range(result.clean)
    assert sorted(zip(out["measure"], out["value"])) == [("EXGR_DVASH", 100.5), ("EXGR_FVASH", -0.5)]


# --- schemas ------------------------------------------------------------------------------------------

def test_schemas_have_the_canonical_column_sets():
    tiva_raw_schema.validate(raw_rows({}, {"country": None, "obs_value": None}))  # the helper builds valid tiva_raw
    assert list(tiva_raw_schema.columns) == TIVA_RAW_COLUMNS
    assert list(tiva_clean_schema.columns) == TIVA_CLEAN_COLUMNS
    assert list(tiva_rejects_schema.columns) == TIVA_REJECTS_COLUMNS
    assert set(tiva_rejects_schema.columns["reason"].checks[0].statistics["allowed_values"]) == set(REJECT_REASONS)


def test_clean_schema_rejects_bad_units_duplicate_keys_and_extra_columns():
    clean = clean_tiva(raw_rows({"obs_value": 1.0}, {"obs_value": 2.0, "year": 2016})).clean
    with pytest.raises(pandera.errors.SchemaErrors, match="USD"):
        tiva_clean_schema.validate(clean.assign(unit="USD"), lazy=True)
    with pytest.raises(pandera.errors.SchemaErrors):
        tiva_clean_schema.validate(clean.assign(year=pd.array([2015, 2015], dtype="Int64")), lazy=True)
    with pytest.raises(pandera.errors.SchemaErrors):
        tiva_clean_schema.validate(clean.assign(note="x"), lazy=True)
    with pytest.raises(pandera.errors.SchemaErrors):
        tiva_clean_schema.validate(clean.assign(source_row="1;x"), lazy=True)


def test_rejects_schema_rejects_an_undocumented_reason():
    rejects = clean_tiva(raw_rows({"obs_value": None})).rejects
    tiva_rejects_schema.validate(rejects)
    with pytest.raises(pandera.errors.SchemaErrors):
        tiva_rejects_schema.validate(rejects.assign(reason="because"), lazy=True)


# --- real extracts ------------------------------------------------------------------------------------

@pytest.mark.real_data
def test_real_2025_extracts_clean_with_golden_values(real_data_dir):
    rows, _ = read_tiva_extracts(real_data_dir)
    result = clean_tiva(rows)
    validate(result)
    assert result.rejects.empty and len(result.clean) == len(rows)
    for measure, name in REAL_FILES.items():
        with (real_data_dir / "tiva" / name).open(newline="", encoding="utf-8") as handle:
            records = list(csv.DictReader(handle))
        golden = next(r for r in records if r["REF_AREA"] == "THA" and r["TIME_PERIOD"] == "2015")
        assert golden["UNIT_MEASURE"] == "USD"  # already USD million: kept as is
        value = clean_value(result, measure=measure, country="THA", year=2015)
        assert value == float(golden["OBS_VALUE"])
        total = sum(float(r["OBS_VALUE"]) for r in records)
        assert result.clean.loc[result.clean["measure"] == measure, "value"].sum() == pytest.approx(total, rel=1e-12)
    assert result.clean["partner_is_aggregate"].all()  # every row is "to OECD"
    assert not result.clean["country_is_aggregate"].any()
    assert set(result.clean["activity"]) == {"_T"} and set(result.clean["edition"]) == {"2025"}


@pytest.mark.real_data
def test_aggregate_rule_matches_the_2025_area_list(real_data_dir):
    # Independent judge of "is a country": the ISO3 column of country_converter's country table.
    with (real_data_dir / "country_codes" / "country_converter_country_data.tsv").open(newline="", encoding="utf-8") as handle:
        iso3 = {r["ISO3"] for r in csv.DictReader(handle, delimiter="\t")}
    with (real_data_dir / "tiva" / "tiva2025_ref_areas_derived.csv").open(newline="", encoding="utf-8") as handle:
        codes = [r["ref_area"] for r in csv.DictReader(handle)]
    countries = {code for code in codes if code in iso3}
    assert {"THA", "JPN", "TWN"} <= countries and "ASEAN" not in countries
    for code in codes:
        assert is_aggregate_area(code) == (code not in countries), code


@pytest.mark.real_data
def test_2018_activity_codes_map_into_the_2025_codebook(real_data_dir):
    with (real_data_dir / "tiva" / "tiva2025_activity_codebook_derived.csv").open(newline="", encoding="utf-8") as handle:
        codebook = {r["activity_code"] for r in csv.DictReader(handle)}
    # Hand-written: TiVA 2018/2021 (OECD.Stat) industry codes, ISIC Rev.4 divisions with a D prefix.
    old_codes = [
        "DTOTAL", "D01T03", "D01T02", "D03", "D05T09", "D05T06", "D07T08", "D09", "D10T33", "D10T12",
        "D13T15", "D16T18", "D16", "D17T18", "D19T23", "D19", "D20T21", "D20", "D21", "D22", "D23",
        "D24T25", "D24", "D25", "D26T27", "D26", "D27", "D28", "D29T30", "D29", "D30", "D31T33", "D35T39",
        "D41T43", "D45T82", "D45T56", "D45T47", "D49T53", "D55T56", "D58T63", "D58T60", "D61", "D62T63",
        "D64T66", "D68", "D69T82", "D84T98", "D84", "D85", "D86T88", "D90T96", "D97T98", "D05T39",
        "D41T98", "D45T98", "D84T88", "D58T82", "D90T98",
    ]
    unmapped = [c for c in old_codes if harmonize_activity(c) not in codebook]
    assert unmapped == []
    assert harmonize_activity("D29") == "C29" and "C29" in codebook
    assert all(harmonize_activity(code) == code for code in codebook)  # 2025 codes pass unchanged
