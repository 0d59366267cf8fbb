"""API mode's selection (assets/sources/api_selection.py) and its settings (pipelines/settings.py).

Expected codes are read off the country code table by hand: JPN 392, THA 764, IDN 360, France as
Comtrade files it 251 (ISO numeric 250), USA 842 from 1981 (841 before), Germany 280 to 1990 and
276 from 1991, Taiwan 490 ("Other Asia, nes"); see assets/data/country_overrides.csv.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assets.errors import RvcInputError
from assets.sources.api_selection import (
    commodity_codes,
    comtrade_area_codes,
    comtrade_selection,
    load_known_hs6,
    sdmx_codes,
    split_codes,
    tiva_area_codes,
    tiva_selection,
)
from assets.transforms.reference.api_defaults import scope_commodities, scope_tiva_activities, with_scope_defaults
from assets.transforms.reference.country_codes import build_country_codes
from pipelines.settings import DEFAULT_COMTRADE_REPORTERS, load_api_settings

FIXTURE_REFERENCE = Path(__file__).resolve().parents[1] / "fixtures" / "api" / "reference"
# The 8703 lines of the two fixture nomenclatures: nine in HS2012 (H4), fourteen in HS2022 (H6), the
# nine among them; the union is the fourteen.
HS6_8703 = [
    "870310", "870321", "870322", "870323", "870324", "870331", "870332", "870333",
    "870340", "870350", "870360", "870370", "870380", "870390",
]


@pytest.fixture(scope="module")
def table():
    return build_country_codes(None)


def test_split_codes_accepts_commas_spaces_and_lists() -> None:
    assert split_codes(" jpn, THA 764;;096 ") == ["JPN", "THA", "764", "096"]
    assert split_codes(["8703", 392]) == ["8703", "392"]
    assert split_codes("") == [] and split_codes(None) == []


def test_iso3_and_m49_become_comtrade_codes_of_the_year(table) -> None:
    codes = comtrade_area_codes(["JPN", "764", " fra", "USA", "096", "JPN"], table, 2020, "REPORTERS")

    assert codes == ["392", "764", "251", "842", "96"]  # in order, duplicates dropped, 096 unpadded


def test_an_iso3_with_codes_changing_over_time_takes_the_one_valid_that_year(table) -> None:
    assert comtrade_area_codes(["DEU"], table, 1990, "R") == ["280"]
    assert comtrade_area_codes(["DEU"], table, 1991, "R") == ["276"]
    assert comtrade_area_codes(["USA"], table, 1980, "R") == ["841"]
    assert comtrade_area_codes(["TWN"], table, 2020, "P", world=True) == ["490"]


def test_world_is_a_partner_never_a_reporter(table) -> None:
    assert comtrade_area_codes(["World", "WLD", "0", "THA"], table, 2020, "P", world=True) == ["0", "764"]
    with pytest.raises(RvcInputError, match=r"unknown country code\(s\) 'WLD', '0'"):
        comtrade_area_codes(["WLD", "0"], table, 2020, "R")


def test_unknown_codes_are_one_error_naming_the_setting_the_codes_and_what_is_accepted(table) -> None:
    with pytest.raises(RvcInputError) as excinfo:
        comtrade_area_codes(["JPN", "THI", "999", "XK"], table, 2020, "RVC_COMTRADE_REPORTERS")

    message = str(excinfo.value)
    assert message.startswith("RVC_COMTRADE_REPORTERS: unknown country code(s) 'THI', '999', 'XK'.")
    assert "ISO3 country codes (e.g. JPN" in message and "M49 numeric codes" in message


def test_a_former_country_outside_its_years_is_refused_with_its_years(table) -> None:
    with pytest.raises(RvcInputError, match=r"SETTING: SUN has no Comtrade code valid in 2020 \(its codes: 810 \(…–1991\)\)"):
        comtrade_area_codes(["SUN"], table, 2020, "SETTING")
    assert comtrade_area_codes(["SUN"], table, 1990, "SETTING") == ["810"]


def test_tiva_areas_accept_iso3_m49_world_and_tiva_aggregates(table) -> None:
    assert tiva_area_codes(["JPN", "764", "WLD", "OECD", "490", "W"], table, "C") == ["JPN", "THA", "W", "OECD", "TWN"]
    with pytest.raises(RvcInputError, match=r"RVC_TIVA_COUNTRIES: unknown TiVA area code\(s\) 'XYZ', '9999'.*ASEAN"):
        tiva_area_codes(["XYZ", "9999"], table, "RVC_TIVA_COUNTRIES")


def test_sdmx_codes_refuse_characters_that_would_change_the_key() -> None:
    assert sdmx_codes(["EXGR_DVA", "_T", "EXGR_DVA"], "M", "measure") == ["EXGR_DVA", "_T"]
    with pytest.raises(RvcInputError, match=r"RVC_TIVA_MEASURES: invalid measure code\(s\) 'EXGR.DVA'"):
        sdmx_codes(["EXGR.DVA"], "RVC_TIVA_MEASURES", "measure")


def test_known_hs6_is_the_union_of_every_edition_in_the_reference() -> None:
    codes, sources = load_known_hs6(FIXTURE_REFERENCE)

    assert sorted(c for c in codes if c.startswith("8703")) == HS6_8703
    assert codes == set(HS6_8703) | {"870410"}  # 2- and 4-digit rows and TOTAL are not HS6 lines
    assert sources == ["comtradeplus_ref_H4_HS2012.csv", "comtradeplus_ref_H6_HS2022.csv"]


def test_headings_become_their_hs6_lines_and_other_codes_pass() -> None:
    known = set(HS6_8703) | {"870410", "840733"}

    codes, expanded = commodity_codes(["8703", "840820", "TOTAL", "8704"], "hs6", known, "C")

    assert codes == sorted([*HS6_8703, "840820", "870410", "TOTAL"])
    assert expanded == {"8703": 14, "8704": 1}
    assert commodity_codes(["8703", "TOTAL"], "as_given", known, "C") == (["8703", "TOTAL"], {})
    assert commodity_codes(["87"], "hs6", known, "C")[0] == sorted([*HS6_8703, "870410"])


def test_a_heading_without_known_lines_and_malformed_codes_are_refused() -> None:
    with pytest.raises(RvcInputError, match=r"RVC_COMTRADE_COMMODITIES: no HS6 line is known within 8708 \(HS6 codes read from: a.csv\)"):
        commodity_codes(["8703", "8708"], "hs6", set(HS6_8703), "RVC_COMTRADE_COMMODITIES", ["a.csv"])
    with pytest.raises(RvcInputError, match=r"invalid commodity code\(s\) '87031', 'CARS'. Accepted: HS codes of 2, 4 or 6"):
        commodity_codes(["87031", "CARS"], "hs6", set(), "C")


def test_selection_of_a_year_in_api_codes_with_labels(table) -> None:
    texts = {"reporters": "JPN,764", "partners": "IDN, World", "commodities": "8703,TOTAL", "commodity_detail": "hs6", "flows": "x,m"}
    names = {key: f"<{key}>" for key in texts}

    selection = comtrade_selection(texts, names, 2020, table, set(HS6_8703))

    assert (selection.reporters, selection.partners, selection.flows) == (["392", "764"], ["360", "0"], ["X", "M"])
    assert selection.commodities == [*HS6_8703, "TOTAL"] and selection.expanded == {"8703": 14}
    assert selection.area_labels == {"392": "JPN", "764": "THA", "360": "IDN", "0": "WLD"}
    assert comtrade_selection({**texts, "partners": "all"}, names, 2020, table, set(HS6_8703)).partners is None
    with pytest.raises(RvcInputError, match=r"<flows>: unknown flow code\(s\) 'EXPORTS'"):
        comtrade_selection({**texts, "flows": "exports"}, names, 2020, table, set(HS6_8703))


# --- settings: environment and config file ----------------------------------------------------------


def test_api_settings_default_to_files_and_iso3_reporters() -> None:
    api = load_api_settings({})

    assert api.comtrade_source == "files" and api.tiva_source == "files" and api.origins == {}
    assert api.comtrade_api_reporters == DEFAULT_COMTRADE_REPORTERS and api.comtrade_api_partners == "all"
    assert api.comtrade_api_commodity_detail == "hs6"


def test_config_file_sets_values_and_the_environment_overrides_it(tmp_path: Path) -> None:
    config = tmp_path / "api.toml"
    config.write_text(
        '[comtrade]\nsource = "api"\nreporters = ["JPN", 764]\npartners = "all"\ncommodities = ["8703", "840820"]\n'
        '[tiva]\nsource = "API"\ncountries = ["JPN", "THA"]\nindustries = "C29"\n',
        encoding="utf-8",
    )

    api = load_api_settings({"RVC_API_CONFIG": str(config), "RVC_COMTRADE_REPORTERS": "KOR", "RVC_TIVA_MEASURES": " EXGR "})

    assert (api.comtrade_source, api.tiva_source) == ("api", "api")
    assert api.comtrade_api_reporters == "KOR" and api.origins["comtrade_api_reporters"] == "RVC_COMTRADE_REPORTERS"
    assert api.comtrade_api_commodities == "8703,840820" and api.tiva_api_countries == "JPN,THA"
    assert api.origins["comtrade_api_commodities"] == f"`commodities` in [comtrade] of {config}"
    assert api.tiva_api_measures == "EXGR" and api.tiva_api_industries == "C29"
    assert api.resource_fields()["api_setting_origins"] == api.origins


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[comtrade]\nreporter = ["JPN"]\n', r"unknown key 'reporter' in \[comtrade\]; known keys: source, base_url, reporters"),
        ('[comtrade]\ncommodities = [8703]\n', r"commodity 8703 is a number; write commodity codes as strings"),
        ('[comtrade]\napi_key = "abc"\n', r"unknown key 'api_key' in \[comtrade\] \(the API key is read from the environment only: COMTRADE_API_KEY\)"),
        ("[oecd]\nsource = 'api'\n", r"unexpected top-level entry 'oecd'"),
        ('[tiva]\nsource = "web"\n', r"`source` in \[tiva\] of .* must be one of files, api, got 'web'"),
        ("[comtrade\n", r"is not valid TOML"),
    ],
    ids=["unknown-key", "int-commodity", "key-in-file", "unknown-table", "bad-source", "bad-toml"],
)
def test_a_bad_config_file_is_refused_naming_the_file_and_entry(tmp_path: Path, text: str, expected: str) -> None:
    config = tmp_path / "api.toml"
    config.write_text(text, encoding="utf-8")

    with pytest.raises(ValueError, match=expected):
        load_api_settings({"RVC_API_CONFIG": str(config)})


def test_a_missing_config_file_and_a_bad_switch_in_the_environment_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"RVC_API_CONFIG names .*nowhere.toml, which is not a file"):
        load_api_settings({"RVC_API_CONFIG": str(tmp_path / "nowhere.toml")})
    with pytest.raises(ValueError, match=r"RVC_COMTRADE_COMMODITY_DETAIL must be one of hs6, as_given, got 'HS4'"):
        load_api_settings({"RVC_COMTRADE_COMMODITY_DETAIL": "HS4"})


def test_the_default_commodities_are_the_scope_s_hs_codes_as_hs6_lines_engines_and_total() -> None:
    from assets.transforms.reference.scope import SCOPES_DIR, load_scope

    # Hand-picked lines standing in for a nomenclature: two per heading where the heading has them.
    known = {"870210", "870290", "870323", "870380", "870421", "870600", "870710", "870790", "870810", "870899",
             "840733", "840734", "840820", "840721", "854110", "854231", "854239"}
    assert load_api_settings({}).comtrade_api_commodities == ""  # unset: the scope decides
    assert scope_commodities(load_scope(SCOPES_DIR / "electronics.yaml")) == ["8541", "8542", "TOTAL"]
    assert scope_tiva_activities(load_scope()) == ["C29", "_T"]

    codes, expanded = commodity_codes(scope_commodities(load_scope()), "hs6", known, "C")

    assert codes == sorted(known - {"840721", "854110", "854231", "854239"}) + ["TOTAL"]  # 840721 is no heading's line; no 85 lines
    assert expanded == {"8702": 2, "8703": 2, "8704": 1, "8706": 1, "8707": 2, "8708": 2}
    assert not any(len(code) == 4 for code in codes)  # no heading itself: its rows would all go to totals


def test_an_empty_setting_takes_the_scope_codes_and_names_the_scope_file_in_messages() -> None:
    from assets.transforms.reference.scope import SCOPES_DIR, load_scope

    scope = load_scope(SCOPES_DIR / "electronics.yaml")
    texts, names = with_scope_defaults({"commodities": " ", "flows": "X"}, {"commodities": "RVC_COMTRADE_COMMODITIES", "flows": "F"},
                                       "commodities", scope_commodities(scope), scope, "product groups' HS codes")
    assert texts == {"commodities": "8541,8542,TOTAL", "flows": "X"}
    assert names["commodities"] == (f"the product groups' HS codes of the scope file {scope.source} "
                                    "(the default of RVC_COMTRADE_COMMODITIES)")
    with pytest.raises(RvcInputError, match=r"no HS6 line is known within 8541, 8542 \(HS6 codes read from: no HS"):
        commodity_codes(split_codes(texts["commodities"]), "hs6", set(), names["commodities"])
    # A given setting wins over the scope.
    assert with_scope_defaults({"commodities": "8703"}, {"commodities": "C"}, "commodities", ["8541"], scope, "x")[0] == {"commodities": "8703"}


def test_tiva_selection_in_oecd_codes(table) -> None:
    texts = {"countries": "JPN, 764", "counterparts": "all", "measures": "exgr_dva", "industries": "C29,_T"}
    names = {key: f"<{key}>" for key in texts}

    selection = tiva_selection(texts, names, table)

    assert (selection.countries, selection.counterparts) == (["JPN", "THA"], None)
    assert (selection.measures, selection.industries) == (["EXGR_DVA"], ["C29", "_T"])
    assert tiva_selection({**texts, "counterparts": "WLD,OECD,156"}, names, table).counterparts == ["W", "OECD", "CHN"]
    with pytest.raises(RvcInputError, match=r"<counterparts>: unknown TiVA area code\(s\) 'ZZZ'"):
        tiva_selection({**texts, "counterparts": "ZZZ"}, names, table)


def test_settings_and_selection_agree_on_the_commodity_details() -> None:
    from assets.sources import api_selection
    from pipelines import settings

    assert settings.COMMODITY_DETAILS == api_selection.COMMODITY_DETAILS
