"""Country codes → ISO3 by year, the expected oddities asserted explicitly, and regions by year."""

from __future__ import annotations

import csv
from importlib import resources

import pandas as pd
import pytest

from assets.errors import RvcInputError
from assets.transforms.reference.country_codes import (
    OVERRIDES_PATH,
    build_country_codes,
    iso_to_iso3,
    load_country_overrides,
    load_regions,
    region_members,
    to_iso3,
)
from checks.harmonization import country_codes_schema, regions_schema

# Known oddities: a change in the lists or the overrides that moves any of these fails loudly.
EXPECTED_NES_AREAS = {"129", "221", "290", "471", "472", "473", "492", "527", "568", "577", "636", "637", "697", "879", "899"}
EXPECTED_SPECIAL = {"837", "838", "839", "457", "459", "461", "647", "698", "717", "835", "836"}
EXPECTED_REGION_AGGREGATES = {"97", "975"}
# Numeric codes where we deliberately disagree with country_converter's ISO numeric → ISO3.
EXPECTED_COCO_DISAGREEMENTS = {"492": ("MCO", None)}  # Comtrade 492 = "Europe EU, nes", ISO 492 = Monaco
# Codes where the legacy Comtrade list's alpha-3 ISO is not our ISO3.
EXPECTED_LEGACY_DISAGREEMENTS = {"28": ("ATA", "ATG")}  # the legacy list writes Antarctica for Antigua
SAMPLE_COUNTRIES = {  # what the bundled sample needs without any reference folder
    "392": "JPN", "96": "BRN", "104": "MMR", "116": "KHM", "360": "IDN", "418": "LAO", "458": "MYS",
    "608": "PHL", "702": "SGP", "764": "THA", "704": "VNM", "156": "CHN", "410": "KOR", "842": "USA",
    "276": "DEU", "0": "WLD",
}


@pytest.fixture(scope="module")
def offline_codes() -> pd.DataFrame:
    return build_country_codes(None)


@pytest.fixture(scope="module")
def reference_codes(real_data_dir) -> pd.DataFrame:
    return build_country_codes(real_data_dir)


@pytest.fixture(params=["offline", "reference"])
def codes(request) -> pd.DataFrame:
    return request.getfixturevalue(f"{request.param}_codes")


def _one(code: str, year: int, table: pd.DataFrame) -> str | None:
    value = to_iso3(pd.Series([code]), pd.Series([year]), table).iloc[0]
    return None if pd.isna(value) else value


@pytest.mark.parametrize(
    "code, year, iso3",
    [
        ("490", 2017, "TWN"),  # Other Asia, nes = Taiwan
        ("280", 1990, "DEU"),  # West Germany
        ("868", 1974, "VNM"),  # Rep. of Vietnam, valid until 1974
        ("704", 1975, "VNM"),
        ("251", 2017, "FRA"),  # France incl. Monaco
        ("842", 2017, "USA"),
        ("699", 2017, "IND"),
        ("757", 2017, "CHE"),
        ("579", 2017, "NOR"),
        ("0", 2017, "WLD"),
        ("040", 2017, "AUT"),  # padded codes accepted
    ],
)
def test_overrides_map_comtrade_codes(codes, code, year, iso3):
    assert _one(code, year, codes) == iso3


@pytest.mark.parametrize("iso, iso3", [("S19", "TWN"), ("W00", "WLD"), ("WLD", "WLD"), ("THA", "THA"), (" s19 ", "TWN")])
def test_iso_codes_map(codes, iso, iso3):
    assert iso_to_iso3(pd.Series([iso]), 2017, codes).iloc[0] == iso3


def test_sample_countries_resolve_without_reference(offline_codes):
    codes = pd.Series(list(SAMPLE_COUNTRIES), index=range(100, 100 + len(SAMPLE_COUNTRIES)))
    mapped = to_iso3(codes, 2017, offline_codes)

    assert mapped.index.tolist() == codes.index.tolist()
    assert mapped.tolist() == list(SAMPLE_COUNTRIES.values())


def test_vietnam_codes_follow_their_years_when_strict(codes):
    years = pd.Series([1970, 1990])
    assert to_iso3(pd.Series(["868", "704"]), years, codes, strict_years=True).tolist() == ["VNM", "VNM"]
    with pytest.raises(RvcInputError, match=r"'868' in 1990"):
        to_iso3(pd.Series(["868"]), pd.Series([1990]), codes, strict_years=True)
    # Lenient by default: the code has one ISO3 whatever the year.
    assert _one("868", 1990, codes) == "VNM"


def test_unknown_code_error_names_codes_counts_and_remedy(codes):
    partner = pd.Series(["764", "123", "123", "999"], name="partner_code")

    with pytest.raises(RvcInputError) as error:
        to_iso3(partner, 2017, codes)
    message = str(error.value)
    assert "'partner_code'" in message
    assert "'123' (2 rows)" in message and "'999' (1 row)" in message
    assert "'764'" not in message
    assert "country_overrides.csv" in message


def test_empty_iso_is_reported_not_guessed(codes):
    with pytest.raises(RvcInputError, match="<empty>"):
        iso_to_iso3(pd.Series(["THA", ""], name="partner_iso"), 2017, codes)


def test_nes_special_and_groups_are_kept_apart(reference_codes):
    by_kind = reference_codes.groupby("kind")["code"].agg(set)

    assert by_kind["nes_area"] == EXPECTED_NES_AREAS
    assert by_kind["special"] == EXPECTED_SPECIAL
    assert by_kind["region_aggregate"] == EXPECTED_REGION_AGGREGATES
    assert "490" not in by_kind["nes_area"]
    mapped = to_iso3(pd.Series(["899", "839", "837", "838", "568", "577", "637", "97"]), 2017, reference_codes)
    assert mapped.isna().all()  # known codes (no error), but not countries


def test_disagreements_with_country_converter_are_the_expected_ones(reference_codes):
    path = resources.files("country_converter") / "country_data.tsv"
    coco = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, na_values=[""])
    coco = coco[coco["ISOnumeric"].notna()]
    coco_iso3 = dict(zip(coco["ISOnumeric"].str.lstrip("0"), coco["ISO3"]))
    ours = reference_codes.drop_duplicates("code").set_index("code")["iso3"]
    found = {
        code: (coco_iso3[code], None if pd.isna(ours[code]) else ours[code])
        for code in ours.index
        if code in coco_iso3 and coco_iso3[code] != ours[code]
    }
    assert found == EXPECTED_COCO_DISAGREEMENTS


def test_disagreements_with_legacy_list_are_the_expected_ones(reference_codes, real_data_dir):
    import openpyxl

    sheet = openpyxl.load_workbook(real_data_dir / "country_codes" / "Comtrade_Country_Code_and_ISO_list.xlsx",
                                   read_only=True).worksheets[0]
    legacy = {str(int(r[0])): r[5] for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] is not None}
    ours = reference_codes.drop_duplicates("code").set_index("code")
    found = {
        code: (iso, ours.loc[code, "iso3"])
        for code, iso in legacy.items()
        if isinstance(iso, str) and iso.isalpha() and len(iso) == 3
        and ours.loc[code, "kind"] == "country" and ours.loc[code, "iso3"] != iso
    }
    assert found == EXPECTED_LEGACY_DISAGREEMENTS


def test_every_code_in_a_real_extract_maps(real_data_dir, reference_codes):
    path = real_data_dir / "comtrade_legacy" / "legacy_871200_2016-2019_allreporters_partner490_OtherAsiaNes.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    frame = pd.DataFrame(rows)

    partners = to_iso3(frame["Partner Code"], frame["Year"], reference_codes)
    reporters = to_iso3(frame["Reporter Code"], frame["Year"], reference_codes)
    assert (partners == "TWN").all() and len(partners) == len(rows)
    assert reporters.notna().all()
    # The legacy extract leaves 490's ISO empty: the numeric code is the way in.
    assert {r["Partner ISO"] for r in rows} == {""}


def test_comtradeplus_extract_partners_outside_countries_are_the_expected_nes(real_data_dir, reference_codes):
    path = real_data_dir / "comtrade_plus" / "ui_TradeData_CHN-DEU-USA_TOTAL_2022_bypartner.csv"
    with path.open(encoding="latin-1", newline="") as handle:
        rows = list(csv.DictReader(handle))
    frame = pd.DataFrame({"code": [r["partnerCode"] for r in rows], "iso": [r["partnerISO"] for r in rows]})

    by_code = to_iso3(frame["code"], 2022, reference_codes)
    by_iso = iso_to_iso3(frame["iso"], 2022, reference_codes)
    assert set(frame.loc[by_code.isna(), "code"]) == {"473", "568", "577", "637", "899", "837"}
    assert by_code.fillna("-").tolist() == by_iso.fillna("-").tolist()


def test_tables_pass_their_schemas(codes):
    country_codes_schema.validate(codes, lazy=True)
    assert not codes.duplicated(["code", "iso"]).any()
    assert codes.loc[codes["code"] == "0", "iso"].tolist() == ["W00", "WLD"]


def test_every_override_says_why():
    overrides = load_country_overrides()
    assert overrides["why"].str.len().min() > 20
    assert {"490", "280", "868", "251", "0"} <= set(overrides["code"])


def test_malformed_override_names_the_line(tmp_path):
    path = tmp_path / OVERRIDES_PATH.name
    path.write_text(
        "code,iso,iso3,name,valid_from,valid_to,kind,why\n"
        "490,S19,TWN,Taiwan,,,country,hand-written fixture\n"
        "899,_X,XXX,\"Areas, nes\",,,nes_area,hand-written fixture: iso3 must be empty for nes\n",
        encoding="utf-8",
    )
    with pytest.raises(RvcInputError, match=r"line 3: kind 'nes_area' takes no iso3"):
        load_country_overrides(path)


# Regions


@pytest.fixture(scope="module")
def regions() -> pd.DataFrame:
    return load_regions()


def test_regions_pass_their_schema(regions):
    regions_schema.validate(regions, lazy=True)


def test_asean_by_accession_year(regions):
    founders = {"IDN", "MYS", "PHL", "SGP", "THA"}
    assert region_members(regions, "ASEAN", 1983) == founders
    assert region_members(regions, "ASEAN", 1984) == founders | {"BRN"}
    assert "VNM" not in region_members(regions, "ASEAN", 1994)
    assert "VNM" in region_members(regions, "ASEAN", 1995)
    assert region_members(regions, "ASEAN", 1998) == founders | {"BRN", "VNM", "LAO", "MMR"}
    assert len(region_members(regions, "ASEAN", 1999)) == 10
    assert region_members(regions, "ASEAN", 2025) == region_members(regions, "ASEAN10", 2025) | {"TLS"}


def test_fixed_groupings_ignore_years(regions):
    asean10 = {"BRN", "IDN", "KHM", "LAO", "MMR", "MYS", "PHL", "SGP", "THA", "VNM"}
    assert region_members(regions, "ASEAN10", 1990) == region_members(regions, "ASEAN10", 2020) == asean10
    assert region_members(regions, "ASEAN5", 1990) == {"IDN", "MYS", "PHL", "SGP", "THA"}
    assert region_members(regions, "CLMV", 1990) == {"KHM", "LAO", "MMR", "VNM"}
    assert region_members(regions, "EAST_ASIA", 2000) == {"CHN", "JPN", "KOR", "HKG", "MAC", "MNG", "PRK", "TWN"}


def test_eu_enlargements_and_brexit(regions):
    assert region_members(regions, "EU", 1992) == set()  # the EU starts in 1993
    assert len(region_members(regions, "EU", 1993)) == 12
    assert len(region_members(regions, "EU", 1995)) == 15
    assert len(region_members(regions, "EU", 2004)) == 25
    assert len(region_members(regions, "EU", 2007)) == 27
    assert len(region_members(regions, "EU", 2013)) == 28
    assert "GBR" in region_members(regions, "EU", 2019)
    assert "GBR" not in region_members(regions, "EU", 2020) and len(region_members(regions, "EU", 2020)) == 27


def test_world_expands_to_the_universe_given(regions):
    assert region_members(regions, "WLD", 2017, universe=["JPN", "THA"]) == {"JPN", "THA"}
    with pytest.raises(RvcInputError, match="universe"):
        region_members(regions, "WLD", 2017)


def test_unknown_region_lists_the_known_ones(regions):
    with pytest.raises(RvcInputError, match=r"Unknown region 'ASEAN\+3'.*ASEAN10"):
        region_members(regions, "ASEAN+3", 2017)


def test_a_code_with_two_iso3_in_one_year_is_ambiguous():
    # Hand-written table: the same code listed twice for overlapping years with different ISO3.
    table = pd.DataFrame({
        "code": ["58", "58"], "iso": ["BEL", "LUX"], "iso3": ["BEL", "LUX"], "name": ["Belgium-Lux.", "Lux."],
        "valid_from": pd.array([None, 1990], dtype="Int64"), "valid_to": pd.array([1998, None], dtype="Int64"),
        "kind": ["country", "country"], "source": ["override", "override"],
    })
    assert to_iso3(pd.Series(["58", "58"]), pd.Series([1985, 2005]), table).tolist() == ["BEL", "LUX"]
    with pytest.raises(RvcInputError, match=r"Ambiguous .*'58' in 1995: \['BEL', 'LUX'\]"):
        to_iso3(pd.Series(["58"]), pd.Series([1995]), table)
