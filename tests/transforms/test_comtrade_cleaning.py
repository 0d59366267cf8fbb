"""Comtrade cleaning (issue 5): each rule on a hand-written frame of a few rows, plus real-extract checks.

Frames are hand-written with `raw_frame`, which fills the canonical comtrade_raw columns a test does not
care about with the values of an ordinary total row (Japan exports HS 870323 to Thailand in 2017, H5).
"""

from __future__ import annotations

import csv
import json
import math

import pandas as pd
import pandera.errors
import pandera.pandas
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assets.duckdb_session import duckdb_session
from assets.errors import RvcInputError
from assets.transforms.cleaning.codes import normalize_classification, normalize_qty_unit
from assets.transforms.cleaning.comtrade_cleaning import (
    breakdowns_exceeding_totals,
    children_exceeding_parent,
    clean_comtrade,
    conservation_report,
    conservation_violations,
    implausible_values,
)
from assets.transforms.cleaning.facts import FACT_COLUMNS, FACT_KEY
from assets.transforms.cleaning.row_rules import REJECT_REASONS
from assets.vocabulary import COMTRADE_RAW_COLUMNS
from checks.cleaning import comtrade_clean_schema, comtrade_rejects_schema, comtrade_totals_schema
from checks.raw import comtrade_raw_schema
from pipelines.table_validation import UntranslatableCheck, assert_translatable, validate_parquet

STR_COLUMNS = [
    "typeCode", "freqCode", "period", "reporterCode", "reporterISO", "reporterDesc", "flowCode", "flowDesc",
    "partnerCode", "partnerISO", "partnerDesc", "partner2Code", "partner2ISO", "partner2Desc",
    "classificationCode", "classificationSearchCode", "cmdCode", "cmdDesc", "customsCode", "customsDesc",
    "mosCode", "motCode", "motDesc", "qtyUnitCode", "qtyUnitAbbr", "altQtyUnitCode", "altQtyUnitAbbr",
]
INT_COLUMNS = ["refPeriodId", "refYear", "refMonth", "aggrLevel", "legacyEstimationFlag"]
BOOL_COLUMNS = [
    "isOriginalClassification", "isLeaf", "isQtyEstimated", "isAltQtyEstimated", "isNetWgtEstimated",
    "isGrossWgtEstimated", "isReported", "isAggregate",
]
FLOAT_COLUMNS = ["qty", "altQty", "netWgt", "grossWgt", "cifvalue", "fobvalue", "primaryValue"]
TAIL_STR_COLUMNS = ["source_file", "source_sha256", "source_layout", "api_query", "retrieved_at", "unparsed_fields", "extra_fields"]
RAW_COLUMNS = STR_COLUMNS + INT_COLUMNS + BOOL_COLUMNS + FLOAT_COLUMNS + ["source_row"] + TAIL_STR_COLUMNS

DEFAULTS = {
    "typeCode": "C", "freqCode": "A", "period": "2017", "refYear": 2017, "reporterCode": "392",
    "reporterISO": "JPN", "flowCode": "X", "partnerCode": "764", "partnerISO": "THA", "partner2Code": "0",
    "classificationCode": "H5", "cmdCode": "870323", "customsCode": "C00", "mosCode": "0", "motCode": "0",
    "qtyUnitCode": "5", "qtyUnitAbbr": "u", "qty": 10.0, "netWgt": 12000.0, "isQtyEstimated": False,
    "isNetWgtEstimated": False, "legacyEstimationFlag": 0, "fobvalue": 100000.0, "primaryValue": 100000.0,
    "source_file": "hand/extract.csv", "source_sha256": "0" * 64, "source_layout": "plus_api_json",
}


def raw_frame(*rows: dict) -> pd.DataFrame:
    """A hand-written comtrade_raw frame: DEFAULTS overridden by each row; source_row numbered 1.. unless given."""
    records = []
    for number, row in enumerate(rows, start=1):
        record = {column: None for column in RAW_COLUMNS}
        record.update(DEFAULTS)
        record["source_row"] = number
        record.update(row)
        records.append(record)
    frame = pd.DataFrame.from_records(records, columns=RAW_COLUMNS)
    dtypes = {c: "str" for c in STR_COLUMNS + TAIL_STR_COLUMNS}
    dtypes |= {c: "Int64" for c in INT_COLUMNS + ["source_row"]}
    dtypes |= {c: "boolean" for c in BOOL_COLUMNS}
    dtypes |= {c: "float64" for c in FLOAT_COLUMNS}
    return frame.astype(dtypes)


def reasons_by_row(result) -> dict[int, str]:
    return dict(zip(result.rejects["source_row"].astype(int), result.rejects["reason"]))


def validate_all(result) -> None:
    comtrade_clean_schema.validate(result.clean, lazy=True)
    comtrade_totals_schema.validate(result.totals, lazy=True)
    comtrade_rejects_schema.validate(result.rejects, lazy=True)


# --- rule 1: breakdown hygiene ---------------------------------------------------------------------------

def test_only_total_rows_survive_breakdown_hygiene():
    raw = raw_frame(
        {},
        {"customsCode": "C01"},
        {"motCode": "1000"},
        {"mosCode": "3"},
        {"partner2Code": "212"},
        {"motCode": "1000", "partner2Code": "212"},  # two dimensions: the first rule in order names it
        {"customsCode": None, "motCode": None, "mosCode": None, "partner2Code": None, "partnerCode": "36"},  # legacy
        {"mosCode": "0 ", "partnerCode": "156"},  # Comtrade+ website CSVs pad some total codes
    )
    result = clean_comtrade(raw)
    assert reasons_by_row(result) == {
        2: "breakdown_customs", 3: "breakdown_transport", 4: "breakdown_transport",
        5: "breakdown_partner2", 6: "breakdown_transport",
    }
    assert sorted(result.clean["source_row"].astype(int)) == [1, 7, 8]
    message = result.rejects.set_index("source_row").loc[5, "message"]
    assert "partner2Code '212'" in message


def test_breakdowns_exceeding_totals_counts_hierarchical_modes_once_and_reports_missing_totals():
    raw = raw_frame(
        # key A (partner 764): total 100; Water 2000 = 50 with its child Sea 2100 = 50, Air 1000 = 45 → 95: fine
        {"primaryValue": 100.0},
        {"motCode": "2000", "primaryValue": 50.0},
        {"motCode": "2100", "primaryValue": 50.0},
        {"motCode": "1000", "primaryValue": 45.0},
        # customs parts 40 + 60.05 = 100.05 ≤ 100 + 0.1 + 2: rounding, not an error
        {"customsCode": "C01", "primaryValue": 40.0},
        {"customsCode": "C02", "primaryValue": 60.05},
        # key B (partner 36): total 100, partner2 parts 80 + 30 = 110 > 100 + 0.1 + 2
        {"partnerCode": "36", "primaryValue": 100.0},
        {"partnerCode": "36", "partner2Code": "4", "primaryValue": 80.0},
        {"partnerCode": "36", "partner2Code": "8", "primaryValue": 30.0},
        # key C (partner 156): a breakdown with no total row at all
        {"partnerCode": "156", "motCode": "1000", "primaryValue": 7.0},
    )
    found = breakdowns_exceeding_totals(raw)
    assert found[["partner_code", "dimension", "problem", "breakdown_rows", "breakdown_value_usd"]].values.tolist() == [
        ["156", "transport", "total_missing", 1, 7.0],
        ["36", "partner2", "exceeds_total", 2, 110.0],
    ]
    exceeding = found[found["problem"] == "exceeds_total"].iloc[0]
    assert exceeding["total_value_usd"] == 100.0 and exceeding["excess_usd"] == 10.0
    # a tighter tolerance turns the customs rounding into a finding
    strict = breakdowns_exceeding_totals(raw, rel_tol=0.0, abs_tol=0.0)
    assert set(strict["dimension"]) == {"customs", "partner2", "transport"}


# --- rule 2: flows ------------------------------------------------------------------------------------------

def test_reexports_and_reimports_stay_their_own_rows_and_unknown_flows_are_rejected():
    raw = raw_frame(
        {"flowCode": "X", "primaryValue": 100.0},
        {"flowCode": "RX", "primaryValue": 7.0, "fobvalue": 7.0},
        {"flowCode": "M", "primaryValue": 30.0, "fobvalue": None, "cifvalue": 30.0},
        {"flowCode": "RM", "primaryValue": 2.0, "fobvalue": None},
        {"flowCode": "2", "primaryValue": 5.0},  # a legacy code the reader should have mapped
        {"flowCode": None, "primaryValue": 5.0},
    )
    result = clean_comtrade(raw)
    assert dict(zip(result.clean["flow"], result.clean["value_usd"])) == {"X": 100.0, "RX": 7.0, "M": 30.0, "RM": 2.0}
    assert reasons_by_row(result) == {5: "flow_unknown", 6: "flow_unknown"}
    assert "flowCode '2' is not one of X, M, RX, RM" in result.rejects["message"].iloc[0]


# --- rule 3 and 4: product levels and partners route to clean or totals --------------------------------------

def test_aggregates_and_world_go_to_totals_and_nes_partners_stay_flagged_in_clean():
    raw = raw_frame(
        {"cmdCode": "TOTAL"},
        {"cmdCode": "87"},
        {"cmdCode": "8703"},
        {"cmdCode": "870323"},
        {"partnerCode": "0", "partnerISO": "W00"},
        {"partnerCode": "0", "partnerISO": "WLD", "cmdCode": "8703"},
        {"partnerCode": "899", "partnerISO": "_X "},
        {"partnerCode": "490", "partnerISO": None},  # Other Asia, nes = Taiwan: a partner country, not n.e.s.
    )
    result = clean_comtrade(raw)
    totals = result.totals.set_index("source_row")
    assert totals["aggregate_level"].to_dict() == {1: 0, 2: 2, 3: 4, 5: 6, 6: 4}
    assert totals["is_world_partner"].to_dict() == {1: False, 2: False, 3: False, 5: True, 6: True}
    clean = result.clean.set_index("source_row")
    assert clean["partner_is_nes"].to_dict() == {4: False, 7: True, 8: False}
    assert clean.loc[7, "partner_iso"] == "_X"
    assert pd.isna(clean.loc[8, "partner_iso"])
    assert (clean["aggregate_level"] == 6).all()
    assert result.rejects.empty
    validate_all(result)


def test_children_exceeding_parent_compares_each_level_with_the_parent_present():
    raw = raw_frame(
        {"cmdCode": "TOTAL", "primaryValue": 140.0},
        {"cmdCode": "87", "primaryValue": 150.0},  # chapter above TOTAL: flagged
        {"cmdCode": "8703", "primaryValue": 100.0},  # heading below its children: flagged
        {"cmdCode": "870323", "primaryValue": 60.0},
        {"cmdCode": "870324", "primaryValue": 50.0},
        {"cmdCode": "870899", "primaryValue": 999.0},  # no 8708 row: nothing to compare with
    )
    result = clean_comtrade(raw)
    found = children_exceeding_parent(result.clean, result.totals)
    assert found[["parent_code", "parent_level", "child_level", "children_rows", "excess_usd"]].values.tolist() == [
        ["TOTAL", 0, 2, 1, 10.0],
        ["8703", 4, 6, 2, 10.0],
    ]


# --- rule 5: duplicates ---------------------------------------------------------------------------------------

def test_exact_duplicates_within_a_file_keep_the_latest_copy_and_name_it():
    raw = raw_frame(
        {"source_file": "b/2017.csv", "source_row": 4},
        {"source_file": "b/2017.csv", "source_row": 9},
        {"source_file": "b/2017.csv", "source_row": 10, "partnerCode": "36"},
    )
    result = clean_comtrade(raw)
    assert result.clean[["source_file", "source_row"]].values.tolist() == [["b/2017.csv", 9], ["b/2017.csv", 10]]
    assert result.rejects["reason"].tolist() == ["exact_duplicate"]
    assert result.rejects["message"].iloc[0] == "identical source fields to 'b/2017.csv' row 9, which is kept"


def test_a_newer_release_is_kept_whole_and_a_line_it_dropped_is_not_revived():
    # Issue 12: THA→JPN 8708, old release 870899 = 100 and 870829 = 50, new release 870899 = 150 → 150, not 200.
    tha_jpn = {"reporterCode": "764", "reporterISO": "THA", "partnerCode": "392", "partnerISO": "JPN"}
    raw = raw_frame(
        {**tha_jpn, "cmdCode": "870899", "primaryValue": 100.0, "source_file": "THA_2017_2025-01-10.csv", "source_row": 1},
        {**tha_jpn, "cmdCode": "870829", "primaryValue": 50.0, "source_file": "THA_2017_2025-01-10.csv", "source_row": 2},
        {**tha_jpn, "cmdCode": "870899", "primaryValue": 150.0, "source_file": "THA_2017_2026-02-20.csv", "source_row": 1},
        # another heading of the same pair, only in the old release: the new file says nothing about 8703
        {**tha_jpn, "cmdCode": "870323", "primaryValue": 70.0, "source_file": "THA_2017_2025-01-10.csv", "source_row": 3},
    )
    result = clean_comtrade(raw)
    assert dict(zip(result.clean["cmd_code"], result.clean["value_usd"])) == {"870899": 150.0, "870323": 70.0}
    assert result.clean.loc[result.clean["cmd_code"].str.startswith("8708"), "value_usd"].sum() == 150.0
    assert reasons_by_row(result) == {1: "superseded_release", 2: "superseded_release"}
    message = result.rejects.set_index("cmdCode").loc["870829", "message"]
    assert message == (
        "release 'THA_2017_2025-01-10.csv' is superseded for reporter 764, year 2017, flow X, partner 392, HS heading 8708"
        " by the later release 'THA_2017_2026-02-20.csv' (its source_file name sorts later); primaryValue here 50.0"
    )


def test_release_order_is_retrieved_at_then_file_name_and_the_same_download_twice_counts_once():
    raw = raw_frame(
        # retrieved_at decides; a row without one counts as older
        {"source_file": "z.json", "retrieved_at": "2025-01-01T00:00:00Z", "primaryValue": 1.0},
        {"source_file": "a.json", "retrieved_at": "2026-02-20T10:00:00Z", "primaryValue": 2.0},
        {"source_file": "zz.csv", "primaryValue": 3.0},
        # partner 36: the same download saved twice under two names: the later name is kept, once
        {"partnerCode": "36", "source_file": "copy_b.csv", "primaryValue": 4.0},
        {"partnerCode": "36", "source_file": "copy_a.csv", "primaryValue": 4.0},
    )
    result = clean_comtrade(raw)
    assert dict(zip(result.clean["partner_code"], result.clean["value_usd"])) == {"764": 2.0, "36": 4.0}
    assert set(result.rejects["reason"]) == {"superseded_release"}
    messages = dict(zip(result.rejects["source_file"], result.rejects["message"]))
    assert "by the later release 'a.json' (retrieved_at '2026-02-20T10:00:00Z' vs '2025-01-01T00:00:00Z')" in messages["z.json"]
    assert "(retrieved_at '2026-02-20T10:00:00Z' vs <empty>)" in messages["zz.csv"]
    assert "by the later release 'copy_b.csv' (its source_file name sorts later)" in messages["copy_a.csv"]


def test_one_classification_per_scope_the_reported_one_else_the_latest_releases():
    h4_and_h5 = [
        # partner 764: an original H4 file and a UNSD conversion to H5 of the same trade
        {"classificationCode": "H4", "cmdCode": "870322", "primaryValue": 104.0, "isOriginalClassification": True,
         "source_file": "JPN_H4.csv", "source_row": 1},
        {"classificationCode": "H5", "cmdCode": "870340", "primaryValue": 104.0, "isOriginalClassification": False,
         "source_file": "JPN_H5.csv", "source_row": 1},
        # partner 36: no flag in either file: the latest release's classification (H5 in the later file)
        {"partnerCode": "36", "classificationCode": "H4", "cmdCode": "870322", "primaryValue": 7.0, "source_file": "JPN_H4.csv", "source_row": 2},
        {"partnerCode": "36", "classificationCode": "H5", "cmdCode": "870340", "primaryValue": 7.0, "source_file": "JPN_H5.csv", "source_row": 2},
    ]
    result = clean_comtrade(raw_frame(*h4_and_h5))
    kept = dict(zip(result.clean["partner_code"], result.clean["classification"]))
    assert kept == {"764": "H4", "36": "H5"}
    assert result.clean["value_usd"].sum() == 111.0  # each trade once
    assert set(result.rejects["reason"]) == {"converted_classification"}
    messages = dict(zip(result.rejects["partnerCode"], result.rejects["message"]))
    assert messages["764"].startswith("classification H5 is not the one kept for reporter 392, year 2017, flow X, partner 764")
    assert messages["764"].endswith("H4 is kept from 'JPN_H4.csv' (isOriginalClassification: the classification the reporter reported)")
    assert messages["36"].endswith("H5 is kept from 'JPN_H5.csv' (the classification of the latest release)")


def test_exact_copies_are_resolved_before_conflicts_and_invalid_rows_never_compete():
    raw = raw_frame(
        {"source_file": "release.csv", "source_row": 1, "primaryValue": 10.0},
        {"source_file": "release.csv", "source_row": 2, "primaryValue": 10.0},  # exact copy of row 1
        {"source_file": "release.csv", "source_row": 3, "primaryValue": 12.0},  # conflicting later row
        # partner 36: the newer release has no value, so the valid older one stays
        {"partnerCode": "36", "source_file": "release1.csv", "source_row": 3, "primaryValue": 20.0},
        {"partnerCode": "36", "source_file": "release2.csv", "source_row": 2, "primaryValue": None},
    )
    result = clean_comtrade(raw)
    rejected = dict(zip(zip(result.rejects["source_file"], result.rejects["source_row"]), result.rejects["reason"]))
    assert rejected == {
        ("release2.csv", 2): "value_missing",
        ("release.csv", 1): "exact_duplicate",
        ("release.csv", 2): "conflicting_duplicate_superseded",
    }
    assert dict(zip(result.clean["partner_code"], result.clean["value_usd"])) == {"764": 12.0, "36": 20.0}
    messages = dict(zip(zip(result.rejects["source_file"], result.rejects["source_row"]), result.rejects["message"]))
    assert messages[("release.csv", 1)] == "identical source fields to 'release.csv' row 2, itself superseded by 'release.csv' row 3"
    assert messages[("release.csv", 2)] == (
        "superseded by 'release.csv' row 3 (later release: a later row of the same file); primaryValue here 10.0, kept 12.0"
    )


def test_bad_retrieved_at_is_an_input_error_naming_file_and_row():
    with pytest.raises(RvcInputError, match=r"api\.json row 1: retrieved_at 'yesterday'"):
        clean_comtrade(raw_frame({"source_file": "api.json", "retrieved_at": "yesterday"}))


# --- rule 6: values and quantities ----------------------------------------------------------------------------

def test_values_must_be_non_negative_numbers():
    raw = raw_frame(
        {"primaryValue": 0.0},
        {"partnerCode": "36", "primaryValue": -5.0},
        {"partnerCode": "156", "primaryValue": None, "unparsed_fields": '{"primaryValue": "n/a"}'},
        {"partnerCode": "410", "primaryValue": None},
    )
    result = clean_comtrade(raw)
    assert reasons_by_row(result) == {2: "value_negative", 3: "value_not_numeric", 4: "value_missing"}
    messages = result.rejects.set_index("source_row")["message"]
    assert messages[2] == "primaryValue -5.0 is negative; values must be >= 0"
    assert messages[3] == "primaryValue 'n/a' is not a number"
    assert result.clean["value_usd"].tolist() == [0.0]


def test_values_as_declared_cif_and_fob_fall_back_to_primary_value_on_the_basis_it_represents():
    raw = raw_frame(
        {"flowCode": "M", "primaryValue": 110.0, "cifvalue": 110.0, "fobvalue": 100.0},
        {"flowCode": "X", "primaryValue": 90.0, "cifvalue": None, "fobvalue": None},
        {"flowCode": "RM", "primaryValue": 5.0, "cifvalue": None, "fobvalue": None},
        {"flowCode": "RX", "primaryValue": 3.0, "cifvalue": 3.3, "fobvalue": 2.9},
        # an import declared FOB (Comtrade+: fobvalue given, cifvalue 0 = not available): FOB, never CIF
        {"flowCode": "M", "partnerCode": "36", "primaryValue": 100.0, "cifvalue": 0.0, "fobvalue": 100.0},
        # an export with fobvalue 0 (not available): primaryValue is the FOB value
        {"flowCode": "X", "partnerCode": "36", "primaryValue": 80.0, "cifvalue": None, "fobvalue": 0.0},
    )
    facts = clean_comtrade(raw).clean.set_index(["flow", "partner_code"])
    assert facts.loc[("M", "36"), "fob_usd"] == 100.0 and math.isnan(facts.loc[("M", "36"), "cif_usd"])
    assert facts.loc[("X", "36"), "fob_usd"] == 80.0
    facts = facts.xs("764", level="partner_code")
    assert facts.loc["M", ["cif_usd", "fob_usd"]].tolist() == [110.0, 100.0]
    assert facts.loc["X", "fob_usd"] == 90.0 and math.isnan(facts.loc["X", "cif_usd"])
    assert facts.loc["RM", "cif_usd"] == 5.0 and math.isnan(facts.loc["RM", "fob_usd"])
    assert facts.loc["RX", ["value_usd", "cif_usd", "fob_usd"]].tolist() == [3.0, 3.3, 2.9]


def test_zero_quantities_become_missing_and_estimation_flags_are_kept():
    raw = raw_frame(
        {"partnerCode": "1", "qty": 0.0, "netWgt": 0.0, "qtyUnitCode": "-1", "qtyUnitAbbr": "N/A", "isQtyEstimated": True},
        {"partnerCode": "2", "qty": 12.0, "netWgt": None, "isNetWgtEstimated": True},
        # legacy rows: no Comtrade+ booleans, the legacy Flag says what was estimated (2 qty, 4 weight, 6 both)
        {"partnerCode": "3", "isQtyEstimated": None, "isNetWgtEstimated": None, "legacyEstimationFlag": 6},
        {"partnerCode": "4", "isQtyEstimated": None, "isNetWgtEstimated": None, "legacyEstimationFlag": 2},
        {"partnerCode": "5", "isQtyEstimated": None, "isNetWgtEstimated": None, "legacyEstimationFlag": None},
    )
    facts = clean_comtrade(raw).clean.set_index("partner_code")
    assert math.isnan(facts.loc["1", "qty"]) and math.isnan(facts.loc["1", "net_kg"])
    assert facts.loc["1", ["qty_zero_to_missing", "net_kg_zero_to_missing", "qty_unit", "qty_unit_code"]].tolist() == [True, True, "n/a", "-1"]
    assert facts.loc["2", "qty"] == 12.0 and not facts.loc["2", "qty_zero_to_missing"]
    assert not facts.loc["2", "net_kg_zero_to_missing"] and math.isnan(facts.loc["2", "net_kg"])
    assert facts["qty_estimated"].tolist()[:4] == [True, False, True, True]
    assert facts["net_kg_estimated"].tolist()[:4] == [False, True, True, False]
    assert pd.isna(facts.loc["5", "qty_estimated"]) and pd.isna(facts.loc["5", "net_kg_estimated"])


def test_quantity_units_are_normalized_by_code_then_label():
    codes = pd.Series(["5", "8", "7", "2", "-1", "1", "8.0", "99", None, None, None], dtype="str")
    labels = pd.Series(["u", "kg", "l", "m2", "N/A", "No Quantity", "kg", "?", "Weight in kilograms", "Number of items", None], dtype="str")
    assert normalize_qty_unit(codes, labels).tolist() == ["u", "kg", "l", "m2", "n/a", "n/a", "kg", "unknown", "kg", "u", "n/a"]


# --- rule 7: classification -------------------------------------------------------------------------------------

def test_classification_labels_normalize_to_hs_vintages():
    labels = pd.Series(["H5", "h0", "HS1992", "HS92", "H92", "HS 2017", "H02", "HS2022", "S4", "BEC", "EB10", "HS", None], dtype="str")
    expected = ["H5", "H0", "H0", "H0", "H0", "H5", "H2", "H6", None, None, None, None, None]
    assert [None if pd.isna(v) else v for v in normalize_classification(labels)] == expected


def test_classification_must_be_hs_and_in_force_in_the_year():
    raw = raw_frame(
        {"partnerCode": "1", "classificationCode": "HS2017"},
        {"partnerCode": "2", "classificationCode": "S4"},
        {"partnerCode": "3", "classificationCode": "H5", "refYear": 2005, "period": "2005"},
        {"partnerCode": "4", "classificationCode": "H0", "refYear": 1988, "period": "1988"},
        {"partnerCode": "5", "classificationCode": "H0", "refYear": 1987, "period": "1987"},
        {"partnerCode": "6", "classificationCode": "H6", "refYear": 2021, "period": "2021"},
    )
    result = clean_comtrade(raw)
    assert reasons_by_row(result) == {
        2: "classification_unknown", 3: "classification_year_mismatch",
        5: "classification_year_mismatch", 6: "classification_year_mismatch",
    }
    assert result.rejects.set_index("source_row").loc[3, "message"].startswith(
        "classificationCode 'H5' (H5, in force from 2017) cannot classify trade of 2005"
    )
    assert dict(zip(result.clean["partner_code"], result.clean["classification"])) == {"1": "H5", "4": "H0"}


def test_commodity_codes_must_be_total_or_2_4_6_digits():
    raw = raw_frame(*({"partnerCode": str(i), "cmdCode": code} for i, code in
                      enumerate(["TOTAL", "01", "8703231", "870", "87032X", " 870323", None], start=1)))
    result = clean_comtrade(raw)
    assert reasons_by_row(result) == {3: "cmd_code_invalid", 4: "cmd_code_invalid", 5: "cmd_code_invalid",
                                      6: "cmd_code_invalid", 7: "cmd_code_invalid"}
    assert sorted(result.totals["cmd_code"]) == ["01", "TOTAL"]


def test_scope_is_annual_goods():
    raw = raw_frame(
        {"partnerCode": "1"},
        {"partnerCode": "2", "typeCode": "S", "classificationCode": "EB10", "cmdCode": "200"},
        {"partnerCode": "3", "freqCode": "M", "period": "201703"},
        {"partnerCode": "4", "freqCode": None, "period": "201703"},
        {"partnerCode": "5", "freqCode": None, "period": "2017", "typeCode": None},  # legacy annual goods
        {"partnerCode": None},
    )
    result = clean_comtrade(raw)
    assert reasons_by_row(result) == {2: "not_goods", 3: "frequency_not_annual", 4: "frequency_not_annual",
                                      6: "area_code_missing"}
    assert sorted(result.clean["partner_code"]) == ["1", "5"]


# --- rejects, steps, conservation -------------------------------------------------------------------------------

def mixed_raw() -> pd.DataFrame:
    return raw_frame(
        {"primaryValue": 100.0},                                           # 1 clean
        {"cmdCode": "TOTAL", "primaryValue": 1000.0},                       # 2 totals
        {"partnerCode": "0", "partnerISO": "W00", "primaryValue": 500.0},   # 3 totals (World)
        {"motCode": "1000", "primaryValue": 60.0},                          # 4 breakdown_transport
        {"customsCode": "C01", "primaryValue": 40.0},                       # 5 breakdown_customs
        {"flowCode": "Z", "primaryValue": 7.0},                             # 6 flow_unknown
        {"partnerCode": "36", "primaryValue": -1.0},                        # 7 value_negative
        {"primaryValue": 100.0},                                            # 8 exact duplicate of 1 (wins: later row)
        {"primaryValue": 90.0, "source_file": "hand/a_older.csv"},          # 9 older release, superseded
    )


def test_rejects_keep_every_raw_column_as_given_plus_reason_and_message():
    raw = mixed_raw()
    result = clean_comtrade(raw)
    rejects = result.rejects
    assert list(rejects.columns) == [*COMTRADE_RAW_COLUMNS, "reason", "message"]
    assert rejects["source_row"].tolist() == [1, 4, 5, 6, 7, 9]  # raw order
    by_row = rejects.set_index(["source_file", "source_row"])
    original = raw.set_index(["source_file", "source_row"]).loc[by_row.index]
    pd.testing.assert_frame_equal(by_row[list(original.columns)], original)
    assert reasons_by_row(result) == {
        1: "exact_duplicate", 4: "breakdown_transport", 5: "breakdown_customs", 6: "flow_unknown",
        7: "value_negative", 9: "superseded_release",
    }
    validate_all(result)


def test_steps_report_rows_and_value_removed_in_the_order_applied():
    steps = clean_comtrade(mixed_raw()).steps
    assert steps["step"].tolist() == list(REJECT_REASONS)
    nonzero = steps[steps["rows_removed"] > 0]
    assert nonzero.values.tolist() == [
        ["breakdown_customs", 1, 40.0, 8],
        ["breakdown_transport", 1, 60.0, 7],
        ["flow_unknown", 1, 7.0, 6],
        ["value_negative", 1, -1.0, 5],
        ["superseded_release", 1, 90.0, 4],
        ["exact_duplicate", 1, 100.0, 3],
    ]
    assert steps["rows_after"].iloc[-1] == 3


def test_conservation_report_accounts_for_every_row_and_dollar():
    raw = mixed_raw()
    result = clean_comtrade(raw)
    report = conservation_report(raw, result).set_index("reason")
    assert report.loc["clean", ["rows", "value_usd"]].tolist() == [1, 100.0]
    assert report.loc["totals", ["rows", "value_usd"]].tolist() == [2, 1500.0]
    assert report.loc["missing", "rows"] == 0
    assert report["rows"].sum() == len(raw)
    assert report["value_usd"].sum() == raw["primaryValue"].sum()
    assert conservation_violations(raw, result) == []


def test_conservation_violations_catch_lost_doubled_and_altered_rows():
    raw = mixed_raw()
    result = clean_comtrade(raw)
    lost = type(result)(result.clean.iloc[0:0], result.totals, result.rejects, result.steps)
    assert any("in none of clean, totals, rejects" in p for p in conservation_violations(raw, lost))
    doubled = type(result)(result.clean, pd.concat([result.totals, result.clean]), result.rejects, result.steps)
    assert any("more than once" in p for p in conservation_violations(raw, doubled))
    altered = type(result)(result.clean.assign(value_usd=result.clean["value_usd"] * 2), result.totals, result.rejects, result.steps)
    assert any(p.startswith("clean: value 200.0 USD differs") for p in conservation_violations(raw, altered))


def test_a_conserved_result_is_proven_by_the_balance_alone_without_the_join(monkeypatch):
    # The exact join is the expensive pass (15 M output rows against 15 M raw rows): it runs only when the counts
    # or checksums disagree. (Once the 128-bit checksums went through a pandas frame as floats, never matched,
    # and every year paid for the join.)
    from assets.transforms.cleaning import conservation

    raw = mixed_raw()
    result = clean_comtrade(raw)

    def no_join(*args):
        raise AssertionError("the exact pass ran although the balance holds")

    monkeypatch.setattr(conservation, "_exact_report", no_join)
    report = conservation_report(raw, result).set_index("reason")
    assert report["rows"].sum() == len(raw) and report.loc["missing", "rows"] == 0
    assert conservation_violations(raw, result) == []


def test_conservation_catches_values_swapped_between_rows_though_counts_and_sums_agree():
    # Two totals rows trade values: rows per output and the sum of values are unchanged, so only a per-row
    # comparison sees it. The balance's checksums hash each row's value with its provenance, so the exact pass
    # runs and counts the two altered rows.
    raw = mixed_raw()
    result = clean_comtrade(raw)
    totals = result.totals.copy()
    assert len(totals) == 2 and totals["value_usd"].nunique() == 2
    totals["value_usd"] = totals["value_usd"].iloc[::-1].to_numpy()
    swapped = type(result)(result.clean, totals, result.rejects, result.steps)
    report = conservation_report(raw, swapped).set_index("reason")
    assert report.loc["totals", "value_usd"] == result.totals["value_usd"].sum()  # the sums cannot tell
    assert report.loc["totals", "altered_rows"] == 2
    assert conservation_violations(raw, swapped) == ["totals: 2 rows carry a value other than their raw row's primaryValue"]


def test_raw_contract_violations_are_input_errors():
    with pytest.raises(RvcInputError, match="missing column.*primaryValue"):
        clean_comtrade(raw_frame({}).drop(columns=["primaryValue"]))
    with pytest.raises(RvcInputError, match=r"\(hand/extract.csv, 1\) is empty or repeated"):
        clean_comtrade(raw_frame({}, {"source_row": 1, "partnerCode": "36"}))


@pytest.fixture(scope="module")
def mixed_clean() -> pd.DataFrame:
    return clean_comtrade(mixed_raw()).clean


@pytest.mark.parametrize(
    ("change", "failing_check"),
    [
        (lambda f: pd.concat([f, f], ignore_index=True), "multiple_fields_uniqueness"),
        (lambda f: f.assign(is_world_partner=pd.array([True], dtype="boolean")), "hs6_and_not_world"),
        (lambda f: f.assign(cmd_code="87032"), "aggregate_level_matches_cmd_code"),
        (lambda f: f.assign(classification="H6"), "classification_in_force_in_year"),  # the row is 2017
        (lambda f: f.assign(qty_zero_to_missing=pd.array([True], dtype="boolean")), "zero_flags_mean_missing"),
        (lambda f: f.assign(qty_unit="dozen"), "isin"),
    ],
)
def test_clean_schema_rejects_what_cleaning_never_emits(mixed_clean, change, failing_check, tmp_path):
    clean = mixed_clean
    assert len(clean) == 1
    comtrade_clean_schema.validate(clean, lazy=True)
    with pytest.raises(pandera.errors.SchemaErrors) as failure:
        comtrade_clean_schema.validate(change(clean), lazy=True)
    assert failure.value.failure_cases["check"].astype(str).str.contains(failing_check).any()
    # The same contract evaluated in SQL over a Parquet file (how a whole year is validated) agrees.
    sql_failures = sql_validate(comtrade_clean_schema, clean, tmp_path / "valid.parquet")
    assert sql_failures.empty, sql_failures
    sql_failures = sql_validate(comtrade_clean_schema, change(clean), tmp_path / "changed.parquet")
    sql_name = "unique on" if failing_check == "multiple_fields_uniqueness" else failing_check
    assert sql_failures["check"].astype(str).str.contains(sql_name).any(), sql_failures


def sql_validate(schema, frame: pd.DataFrame, path) -> pd.DataFrame:
    frame.to_parquet(path)
    with duckdb_session() as con:
        return validate_parquet(con, schema, path)


def test_sql_validation_reports_dtypes_nulls_and_counts_every_failing_row(mixed_clean, tmp_path):
    doubled = pd.concat([mixed_clean] * 3, ignore_index=True).assign(flow=["Z", "Q", "X"])
    failures = sql_validate(comtrade_clean_schema, doubled, tmp_path / "bad.parquet")
    flows = failures[failures["column"] == "flow"]
    assert flows["failure_case"].tolist() == ["Z", "Q"] and flows["index"].tolist() == [0, 1]
    assert set(flows["failures"]) == {2}
    retyped = sql_validate(comtrade_clean_schema, mixed_clean.astype({"year": "float64"}), tmp_path / "typed.parquet")
    assert retyped[["column", "check"]].values.tolist() == [["year", "dtype('Int64')"]]
    no_reporter = sql_validate(comtrade_clean_schema, mixed_clean.assign(reporter_code=None).astype({"reporter_code": "str"}),
                               tmp_path / "null.parquet")
    assert ["reporter_code", "not_nullable"] in no_reporter[["column", "check"]].values.tolist()


def test_every_check_of_the_big_table_contracts_runs_in_sql():
    for schema in (comtrade_raw_schema, comtrade_clean_schema, comtrade_totals_schema, comtrade_rejects_schema):
        assert_translatable(schema)  # raises for a check with neither a translation nor a SQL twin
    with pytest.raises(UntranslatableCheck):
        assert_translatable(pandera.pandas.DataFrameSchema({"x": pandera.pandas.Column(int, pandera.pandas.Check(lambda s: s > 0))}))


def test_rejects_schema_requires_a_documented_reason():
    rejects = clean_comtrade(mixed_raw()).rejects
    with pytest.raises(pandera.errors.SchemaErrors):
        comtrade_rejects_schema.validate(rejects.assign(reason="dropped"), lazy=True)


def test_an_empty_partition_gives_empty_valid_tables():
    raw = raw_frame()
    result = clean_comtrade(raw)
    assert (len(result.clean), len(result.totals), len(result.rejects)) == (0, 0, 0)
    assert result.steps["rows_removed"].sum() == 0
    assert conservation_violations(raw, result) == []
    validate_all(result)


# --- properties ------------------------------------------------------------------------------------------------

row_strategy = st.fixed_dictionaries({
    "partnerCode": st.sampled_from(["0", "36", "764", "899"]),
    "flowCode": st.sampled_from(["X", "M", "RX", "Q"]),
    "cmdCode": st.sampled_from(["TOTAL", "87", "8703", "870323", "870324"]),
    "motCode": st.sampled_from(["0", "0", "0", "1000"]),
    "primaryValue": st.one_of(st.none(), st.sampled_from([-1.0, 0.0, 5.0, 7.5])),
    "source_file": st.sampled_from(["a.csv", "b.csv", "c.json"]),
    "retrieved_at": st.sampled_from([None, "2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z"]),
    "classificationCode": st.sampled_from(["H4", "H5", "H5", "S4"]),
    "isOriginalClassification": st.sampled_from([None, True, False]),
})


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(row_strategy, min_size=1, max_size=30))
def test_one_row_per_key_and_every_row_accounted_for(rows):
    for number, row in enumerate(rows, start=1):
        row["source_row"] = number
    raw = raw_frame(*rows)
    result = clean_comtrade(raw)
    for table in (result.clean, result.totals):
        assert not table.duplicated(list(FACT_KEY)).any()
        assert list(table.columns) == list(FACT_COLUMNS)
    assert conservation_violations(raw, result) == []
    assert result.steps["rows_after"].iloc[-1] == len(result.clean) + len(result.totals)
    # Every raw row in exactly one output, and the value of each output equals its raw rows' value.
    ids = [tuple(x) for t in (result.clean, result.totals, result.rejects) for x in t[["source_file", "source_row"]].values]
    assert sorted(ids) == sorted(tuple(x) for x in raw[["source_file", "source_row"]].values)
    kept_value = result.clean["value_usd"].sum() + result.totals["value_usd"].sum() + result.rejects["primaryValue"].sum()
    assert kept_value == pytest.approx(raw["primaryValue"].sum())
    # One classification and one release per scope among the kept rows.
    kept = pd.concat([result.clean, result.totals])
    scope = kept.assign(heading=kept["cmd_code"].where(kept["aggregate_level"] < 4, kept["cmd_code"].str[:4]))
    per_scope = scope.groupby(["year", "reporter_code", "flow", "partner_code", "heading"])
    assert (per_scope["classification"].nunique() <= 1).all()
    assert (per_scope["source_file"].nunique() <= 1).all()


# --- real extracts -------------------------------------------------------------------------------------------

def frame_from_records(records: list[dict], source_file: str) -> pd.DataFrame:
    """Comtrade+ records (JSON `data` or website CSV, field names already canonical) typed into raw_frame."""
    rows = []
    for number, record in enumerate(records, start=1):
        row = {}
        for column in STR_COLUMNS:
            value = record.get(column)
            row[column] = None if value in (None, "") else str(value)
        for column in INT_COLUMNS:
            value = record.get(column)
            row[column] = None if value in (None, "") else int(value)
        for column in BOOL_COLUMNS:
            value = record.get(column)
            row[column] = None if value in (None, "") else str(value).lower() == "true"
        for column in FLOAT_COLUMNS:
            value = record.get(column)
            row[column] = None if value in (None, "") else float(value)
        row |= {"source_file": source_file, "source_row": number, "source_sha256": "f" * 64}
        rows.append(row)
    return raw_frame(*rows)


@pytest.mark.real_data
def test_real_api_json_keeps_the_total_records_and_rejects_mode_and_partner2_breakdowns(real_data_dir):
    name = "comtrade_plus/api_get_C_A_HS_MEX-etc_TOTAL_2024_bilateral.json"
    records = json.loads((real_data_dir / name).read_text(encoding="utf-8"))["data"]
    is_total = [r["motCode"] == 0 and r["partner2Code"] == 0 and r["customsCode"] == "C00" for r in records]
    total_value = sum(r["primaryValue"] for r, t in zip(records, is_total) if t)
    raw = frame_from_records(records, name)
    result = clean_comtrade(raw)
    assert result.clean.empty  # every record is cmdCode TOTAL
    assert len(result.totals) == sum(is_total)
    assert result.totals["value_usd"].sum() == pytest.approx(total_value)
    assert set(result.rejects["reason"]) == {"breakdown_transport", "breakdown_partner2"}
    assert result.totals["qty_zero_to_missing"].all()  # Comtrade+ writes qty 0.0 for "no quantity"
    assert conservation_violations(raw, result) == []
    assert breakdowns_exceeding_totals(raw).query("problem == 'exceeds_total'").empty
    validate_all(result)


@pytest.mark.real_data
def test_real_website_csv_routes_4_digit_partner_rows_to_totals_with_units_and_flags(real_data_dir):
    name = "comtrade_plus/ui_TradeData_THA_imports_8542_2014-2024_allpartners.csv"
    with open(real_data_dir / name, newline="", encoding="latin-1") as handle:
        records = list(csv.DictReader(handle))
    raw = frame_from_records(records, name)
    result = clean_comtrade(raw)
    # HS 8542 is a 4-digit heading: totals only. No breakdown rejects although 433 rows have mosCode "0 ".
    assert result.rejects.empty and result.clean.empty
    totals = result.totals
    assert len(totals) == len(records)
    assert totals["is_world_partner"].sum() == sum(r["partnerCode"] == "0" for r in records)
    assert totals["partner_is_nes"].sum() == sum(r["partnerCode"] == "899" for r in records)
    assert totals["qty_zero_to_missing"].sum() == sum(r["qty"] in ("0", "0.0") for r in records)
    units = {"5": "u", "8": "kg", "-1": "n/a"}
    expected_units = pd.Series([units[r["qtyUnitCode"]] for r in records]).value_counts().to_dict()
    assert totals["qty_unit"].value_counts().to_dict() == expected_units
    vintages = {(int(r["refYear"]), r["classificationCode"]) for r in records}
    assert set(zip(totals["year"].astype(int), totals["classification"])) == vintages
    validate_all(result)


def test_implausible_values_are_listed_not_removed():
    raw = raw_frame(
        {"primaryValue": 1e30},                                            # a parsing or unit error
        {"partnerCode": "36", "primaryValue": 4.9e12},                     # large but possible
        {"partnerCode": "156", "primaryValue": 10.0, "fobvalue": 6e12},   # implausible FOB value
    )
    result = clean_comtrade(raw)
    assert len(result.clean) == 3  # nothing removed: the check reports
    found = implausible_values(result.clean, result.totals)
    assert found["source_row"].tolist() == [1, 3]  # largest first
    assert found["value_usd"].tolist() == [1e30, 10.0]
