"""Scope files: the shipped scopes load, HS prefixes and ranges group lines, bad files fail naming file and key.

The YAML documents in the error tests are HAND-WRITTEN here; the shipped files are scopes/*.yaml.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assets.errors import RvcInputError
from assets.transforms.indicators.indicator_catalog import catalog_product_groups, load_indicator_catalog
from assets.transforms.reference.country_codes import load_regions
from assets.transforms.reference.scope import DEFAULT_SCOPE_PATH, SCOPES_DIR, load_scope, scope_summary
from pipelines.settings import load_settings

ELECTRONICS = SCOPES_DIR / "electronics.yaml"


def test_the_automotive_scope_is_the_default_and_holds_the_study_groups():
    scope = load_scope()
    assert scope.source == str(DEFAULT_SCOPE_PATH)
    assert scope.group_names == ("passenger_cars", "commercial_vehicles", "parts_accessories", "bodies_chassis", "engines")
    assert scope.line_groups[-2:] == ("all_automotive", "parts_components_bec")
    # "8706-8707" is a range: both headings are bodies_chassis.
    assert scope.group_of("870600") == scope.group_of("870790") == "bodies_chassis"
    # The longest prefix wins: 840733 is an engine although 8407 is not listed.
    assert (scope.group_of("840733"), scope.group_of("840790")) == ("engines", "other")
    assert scope.final_groups == ("passenger_cars", "commercial_vehicles")
    assert scope.quantity_basis["parts_accessories"] == "kg"
    assert scope.tiva_activities == {"C29": "motor_vehicles_c29", "_T": "all_activities"}
    assert (scope.trend_region, scope.reference_exporter) == ("ASEAN10", "JPN")
    assert set(scope.focus_countries) == {"JPN", "BRN", "KHM", "IDN", "LAO", "MYS", "MMR", "PHL", "SGP", "THA", "VNM"}


def test_the_electronics_scope_is_defined_at_hs4():
    scope = load_scope(ELECTRONICS)
    assert scope.group_names == ("semiconductor_devices", "integrated_circuits")
    assert scope.hs4_headings == {"8541": "semiconductor_devices", "8542": "integrated_circuits"}
    assert scope.group_of("854231") == "integrated_circuits" and scope.group_of("870323") == "other"
    assert scope.final_groups == ()  # no finished goods: parts_to_vehicles_ratio is not expected
    assert "TWN" in scope.partners


def test_rvc_scope_setting_chooses_the_file():
    assert load_settings({}).scope_path == DEFAULT_SCOPE_PATH
    assert load_settings({"RVC_SCOPE": str(ELECTRONICS)}).scope_path == ELECTRONICS.resolve()


def test_catalog_groups_are_read_through_the_scope():
    catalog = load_indicator_catalog().set_index("indicator")
    automotive, electronics = load_scope(), load_scope(ELECTRONICS)
    assert catalog_product_groups(catalog.loc["rca", "product_groups"], electronics) == [
        "semiconductor_devices", "integrated_circuits", "all_semiconductors", "parts_components_bec"]
    assert catalog_product_groups(catalog.loc["parts_to_vehicles_ratio", "product_groups"], automotive) == ["all_automotive"]
    assert catalog_product_groups(catalog.loc["parts_to_vehicles_ratio", "product_groups"], electronics) == []
    assert catalog_product_groups(catalog.loc["dva_share", "product_groups"], electronics) == ["electronics_c26", "all_activities"]


def test_scope_summary_gives_what_a_report_needs():
    summary = scope_summary(load_scope(ELECTRONICS))
    assert summary["title"].startswith("Japan–ASEAN semiconductor")
    assert summary["groups"][1] == {"group": "integrated_circuits", "label": "electronic integrated circuits (HS 8542)",
                                    "short": "integrated circuit", "hs": ["8542"], "stage": "component", "quantity": "u"}
    assert summary["report"] == {"hub": "MYS", "producers": ["MYS", "SGP", "PHL", "THA", "VNM"], "compared": ["MYS", "SGP"],
                                 "groups": []}
    assert summary["tiva_labels"]["C26"] == "computer-and-electronics"
    assert summary["trend_region"] == "ASEAN10"
    assert summary["region_labels"]["ASEAN10"] == "ASEAN-10 (fixed membership)"
    assert "region_members" not in summary


def test_scope_summary_with_the_regions_table_says_which_membership_moves():
    summary = scope_summary(load_scope(), load_regions())
    assert summary["region_members"]["ASEAN10"] == ["BRN", "IDN", "KHM", "LAO", "MMR", "MYS", "PHL", "SGP", "THA", "VNM"]
    assert "TLS" in summary["region_members"]["ASEAN"]  # joined 2025: in ASEAN by accession, never in ASEAN10
    assert summary["membership_by_year"] == {"ASEAN": True, "ASEAN10": False}


def test_a_scope_naming_an_unknown_region_fails_against_the_regions_table(tmp_path: Path):
    path = tmp_path / "asean6.yaml"
    path.write_text(GOOD.replace("trend_region: ASEAN10", "trend_region: ASEAN6"), encoding="utf-8")
    with pytest.raises(RvcInputError, match=r"regions: \['ASEAN6'\] are not in the regions table"):
        scope_summary(load_scope(path), load_regions())


GOOD = """
name: small
product_groups:
  - {group: cars, hs: ["8703"], quantity: u, stage: final}
all_group: {group: all_small}
parts_components_group: {group: small_parts}
tiva_activities: {C29: vehicles_c29}
focus_countries: [THA]
partners: [JPN]
reference_exporter: JPN
regions: {partner_regions: [ASEAN10], trend_region: ASEAN10}
"""


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("hs: [\"8703\"]", "hs: [\"87a3\"]"), r"product_groups\[0\]\.hs: expected an HS prefix.*'87a3'"),
        (("hs: [\"8703\"]", "hs: [\"8707-8706\"]"), r"product_groups\[0\]\.hs: expected an HS prefix.*8707-8706"),
        (("quantity: u", "quantity: litres"), r"product_groups\[0\]\.quantity: expected one of \('u', 'kg'\)"),
        (("stage: final", "stage: final, colour: red"), r"product_groups\[0\]: unknown keys \['colour'\]"),
        (("group: cars", "group: Cars"), r"product_groups\[0\]\.group: expected a group name in snake_case"),
        (("group: cars", "group: other"), r"'other' is reserved"),
        (("reference_exporter: JPN", "reference_exporter: Japan"), r"reference_exporter: expected ISO3 codes"),
        (("partners: [JPN]\n", ""), r"missing keys \['partners'\]"),
        (("tiva_activities: {C29: vehicles_c29}", "tiva_activities: {C29: all_small}"), r"tiva_activities: group names \['all_small'\]"),
    ],
)
def test_bad_scope_files_name_the_file_the_key_and_what_was_expected(tmp_path: Path, change, message):
    path = tmp_path / "bad.yaml"
    path.write_text(GOOD.replace(*change), encoding="utf-8")
    with pytest.raises(RvcInputError, match=message) as error:
        load_scope(path)
    assert str(path) in str(error.value)


def test_a_good_hand_written_scope_loads_and_bad_yaml_or_no_file_fail(tmp_path: Path):
    path = tmp_path / "small.yaml"
    path.write_text(GOOD, encoding="utf-8")
    assert load_scope(path).trade_groups == ("cars", "all_small", "small_parts", "total_merchandise")
    path.write_text("name: [unclosed", encoding="utf-8")
    with pytest.raises(RvcInputError, match="not valid YAML"):
        load_scope(path)
    with pytest.raises(RvcInputError, match=r"does not exist; set RVC_SCOPE"):
        load_scope(tmp_path / "missing.yaml")


def test_pandera_checks_take_their_groups_from_the_scope_they_are_built_for(monkeypatch):
    from pandera.errors import SchemaErrors

    from assets.transforms.reference.product_groups import build_product_groups
    from checks.reference import product_groups_schema_for

    electronics = build_product_groups(["854231", "870323"], scope=load_scope(ELECTRONICS))
    assert list(electronics["product_group"]) == ["integrated_circuits", "other"]
    monkeypatch.setenv("RVC_SCOPE", str(ELECTRONICS))  # the environment no longer decides: the schema's scope does
    with pytest.raises(SchemaErrors, match=r"group of the scope file .*automotive.yaml.*integrated_circuits"):
        product_groups_schema_for(load_scope()).validate(electronics, lazy=True)  # automotive has no integrated_circuits
    monkeypatch.delenv("RVC_SCOPE")
    product_groups_schema_for(load_scope(ELECTRONICS)).validate(electronics, lazy=True)
