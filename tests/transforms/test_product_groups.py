"""Product groups of H0 codes: the scope's groups by prefix (automotive scope file), BEC stages, BEC for H0 via HS1996, the check helper."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from pandera.errors import SchemaErrors

from assets.errors import RvcInputError
from assets.sources.hs_bec import load_hs_bec
from assets.sources.hs_correlation import load_hs_concordance
from assets.transforms.reference.product_groups import (
    PRODUCT_GROUP_COLUMNS,
    bec_stage_of,
    build_product_groups,
    lines_without_their_group,
)
from assets.transforms.reference.scope import load_scope
from checks.reference import product_groups_schema

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "reference"  # hand-written, see its README


def row(groups: pd.DataFrame, hs6: str) -> dict:
    return groups.set_index("hs6").loc[hs6].to_dict()


@pytest.mark.parametrize(
    ("hs6", "group"),
    [
        ("870323", "passenger_cars"), ("870310", "passenger_cars"), ("870210", "commercial_vehicles"),
        ("870421", "commercial_vehicles"), ("870899", "parts_accessories"), ("870600", "bodies_chassis"),
        ("870710", "bodies_chassis"), ("840733", "engines"), ("840734", "engines"), ("840820", "engines"),
        ("840732", "other"), ("840790", "other"), ("870120", "other"), ("870590", "other"), ("010111", "other"),
    ],
)
def test_product_group_by_prefix(hs6, group):
    assert load_scope().group_of(hs6) == group


@pytest.mark.parametrize(
    ("bec", "stage"),
    [
        ("41", "capital"), ("521", "capital"),
        *[(code, "intermediate") for code in ("111", "121", "21", "22", "31", "322")],
        ("42", "parts_and_components"), ("53", "parts_and_components"),
        *[(code, "consumption") for code in ("112", "122", "522", "61", "62", "63")],
        ("51", "mixed"), ("321", "mixed"), ("32", "mixed"), ("7", "not_classified"), (None, "not_classified"),
    ],
)
def test_bec_stage_follows_the_bec_to_sna_mapping(bec, stage):
    assert bec_stage_of(bec) == stage


def test_without_reference_tables_groups_and_builtin_bec_for_automotive_lines():
    groups = build_product_groups(["870899", "870323", "870421", "870310", "840820", "010111", "870323"])

    assert list(groups.columns) == PRODUCT_GROUP_COLUMNS
    assert list(groups["hs6"]) == ["010111", "840820", "870310", "870323", "870421", "870899"]
    expected = {
        "870899": ("parts_accessories", "53", "parts_and_components"),
        "870323": ("passenger_cars", "51", "mixed"),
        "870421": ("commercial_vehicles", "521", "capital"),
        "870310": ("passenger_cars", "522", "consumption"),
        "840820": ("engines", "53", "parts_and_components"),
    }
    for hs6, (group, bec, stage) in expected.items():
        line = row(groups, hs6)
        assert (line["product_group"], line["bec_code"], line["bec_stage"], line["bec_source"], line["in_scope"]) == (
            group, bec, stage, "builtin", True,
        )
    other = row(groups, "010111")
    assert (other["product_group"], other["bec_stage"], other["bec_source"], other["in_scope"]) == ("other", "not_classified", "none", False)
    assert pd.isna(other["bec_code"])
    product_groups_schema.validate(groups, lazy=True)


def test_bec_for_h0_via_the_h1_tables_and_concordance():
    # Hand-written fixtures: H1 380993 → H0 380999 and 382390 (1:n); H1 293371 and 293390 → H0 293390.
    groups = build_product_groups(
        ["380999", "293390", "010120", "870323", "870831", "870840"],
        load_hs_bec(FIXTURES),
        load_hs_concordance(FIXTURES),
        descriptions={"870323": "Cars, 1500-3000 cc"},
    )
    assert (row(groups, "380999")["bec_code"], row(groups, "380999")["bec_source"]) == ("22", "unsd_H1_concordance")
    # 293390 links to itself in H1: only its own BEC counts, not that of 293371.
    assert (row(groups, "293390")["bec_code"], row(groups, "293390")["bec_source"]) == ("22", "unsd_H1_same_code")
    # Two BEC codes in different stages (111 intermediate, 41 capital).
    assert (row(groups, "010120")["bec_code"], row(groups, "010120")["bec_codes_all"], row(groups, "010120")["bec_stage"]) == ("111", "111|41", "mixed")
    assert row(groups, "870323")["description"] == "Cars, 1500-3000 cc"
    # 870831 has no H1 link: the next vintage with a BEC table, H3 (870830 → 870831, 870839; BEC 53).
    assert (row(groups, "870831")["bec_code"], row(groups, "870831")["bec_source"]) == ("53", "unsd_H3_concordance")
    # 870840 is in no table at all: the built-in BEC of the automotive lines.
    assert (row(groups, "870840")["bec_code"], row(groups, "870840")["bec_source"]) == ("53", "builtin")
    product_groups_schema.validate(groups, lazy=True)


def test_bad_codes_are_rejected():
    with pytest.raises(RvcInputError, match=r"expected 6-digit H0 codes.*'8703'"):
        build_product_groups(["8703", "870323"])


def test_lines_without_their_group_finds_wrong_rows_only():
    groups = build_product_groups(["870323", "870899", "010111"])
    assert lines_without_their_group(groups).empty

    broken = groups.copy()
    broken.loc[broken["hs6"] == "870899", "product_group"] = "other"
    broken.loc[broken["hs6"] == "010111", "in_scope"] = True
    found = lines_without_their_group(broken)
    assert list(found["hs6"]) == ["010111", "870899"]
    assert list(found["expected_group"]) == ["other", "parts_accessories"]
    assert list(found["problem"]) == ["in_scope disagrees with product_group", "group differs from the scope's HS prefix rule"]


def test_schema_rejects_unknown_group_and_inconsistent_hs4():
    groups = build_product_groups(["870323", "870899"])
    groups.loc[0, "product_group"] = "cars"
    groups.loc[1, "hs4"] = "8709"
    with pytest.raises(SchemaErrors) as failure:
        product_groups_schema.validate(groups, lazy=True)
    assert "cars" in str(failure.value) and "hs4 is not the first 4 digits" in str(failure.value)


# --- real UN tables ----------------------------------------------------------------------------------


@pytest.mark.real_data
def test_real_bec_stages_of_the_automotive_lines(real_data_dir):
    concordance = load_hs_concordance(real_data_dir)
    groups = build_product_groups(sorted(set(concordance["to_code"])), load_hs_bec(real_data_dir), concordance)

    # Golden BEC codes read with the csv module from the UN HS1996 → BEC4 table.
    with (real_data_dir / "hs_bec" / "HS1996_to_BEC4_UNSD.csv").open(encoding="utf-8-sig", newline="") as handle:
        raw = {r[0]: r[1] for r in list(csv.reader(handle))[1:] if r}
    automotive = groups[groups["in_scope"]]  # the default scope: scopes/automotive.yaml
    assert len(automotive) == 39
    assert dict(zip(automotive["hs6"], automotive["bec_code"])) == {c: raw[c] for c in automotive["hs6"]}
    assert set(automotive["bec_source"]) == {"unsd_H1_same_code"}
    assert row(groups, "870899")["bec_stage"] == "parts_and_components"
    assert row(groups, "870323")["bec_stage"] == "mixed"  # BEC 51: see the module docstring
    assert row(groups, "870421")["bec_stage"] == "capital"
    assert set(automotive.loc[automotive["product_group"].isin(["parts_accessories", "bodies_chassis", "engines"]), "bec_stage"]) == {"parts_and_components"}
    assert lines_without_their_group(groups).empty
    assert (groups["bec_source"] == "none").sum() <= 5  # only the few H0 lines the UN maps to "n/a"
    product_groups_schema.validate(groups, lazy=True)
