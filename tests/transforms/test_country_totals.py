"""country_totals: each country's total exports and imports from TOTAL declarations, reported else mirrored.

The comtrade_totals rows below are HAND-WRITTEN (not real data). Expected numbers are written as the
arithmetic of the rule (docs/methods.md, "Country totals") on those rows, never read back from the code.
The real-extract tests compute their expectations from the extract's own rows.
"""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from assets.sources.comtrade_readers import read_comtrade_file
from assets.transforms.cleaning.comtrade_cleaning import clean_comtrade
from assets.transforms.harmonization.country_totals import COUNTRY_TOTALS_COLUMNS, country_totals_from_comtrade
from assets.transforms.harmonization.reconciliation import FLAT_CIF_FOB_RATIO as RATIO
from assets.transforms.indicators.trade_indicators import compute_trade_indicators
from assets.transforms.reference.country_codes import build_country_codes
from checks.harmonization import country_totals_schema

YEAR = 2017
CODES = {"JPN": "392", "THA": "764", "USA": "842", "KOR": "410", "CHN": "156", "IDN": "360", "WLD": "0", "NES": "899"}


@pytest.fixture(scope="module")
def country_codes() -> pd.DataFrame:
    return build_country_codes(None)


@pytest.fixture(scope="module")
def real_country_codes(real_data_dir) -> pd.DataFrame:
    """From the Comtrade lists (the legacy extract has codes such as 381 Italy that only they know)."""
    return build_country_codes(real_data_dir)


def row(reporter, partner, flow, *, cif=None, fob=None, cmd="TOTAL", year=YEAR):
    """One comtrade_totals row: value_usd is what cleaning puts there (CIF for a CIF import, else FOB)."""
    value = cif if cif is not None else fob
    return {"year": year, "reporter_code": CODES[reporter], "partner_code": CODES[partner], "flow": flow, "cmd_code": cmd,
            "is_world_partner": partner == "WLD", "value_usd": value, "cif_usd": cif, "fob_usd": fob}


def totals_frame(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    return frame.astype({"year": "Int64", "is_world_partner": "boolean", "value_usd": "float64", "cif_usd": "float64",
                         "fob_usd": "float64"})


# Hand-written declarations of one year.
ROWS = [
    # JPN reports both World totals: exports FOB 1000, imports CIF 1040.
    row("JPN", "WLD", "X", fob=1000.0),
    row("JPN", "WLD", "M", cif=1040.0),
    # USA reports its imports FOB (no CIF value), 500; no export total.
    row("USA", "WLD", "M", fob=500.0),
    # KOR reports imports CIF 312 and declares nothing with THA.
    row("KOR", "WLD", "M", cif=312.0),
    # THA reports nothing; its partners name it: JPN imports from THA CIF 208, USA imports from THA FOB 50,
    # JPN exports to THA 300.
    row("JPN", "THA", "M", cif=208.0),
    row("USA", "THA", "M", fob=50.0),
    row("JPN", "THA", "X", fob=300.0),
    # CHN reports imports CIF 1040 with World, 104 of them from itself (re-imports): self-trade.
    row("CHN", "WLD", "M", cif=1040.0),
    row("CHN", "CHN", "M", cif=104.0),
    # IDN reports its export total only, and declares exports to itself (self-trade) and to JPN.
    row("IDN", "WLD", "X", fob=700.0),
    row("IDN", "IDN", "X", fob=70.0),
    row("JPN", "IDN", "X", fob=100.0),
    # Never counted: HS6 and chapter lines, re-imports, an area n.e.s. as partner.
    row("JPN", "THA", "M", cif=999.0, cmd="870899"),
    row("USA", "THA", "M", fob=999.0, cmd="87"),
    row("JPN", "THA", "RM", cif=999.0),
    row("JPN", "NES", "M", cif=999.0),
]


@pytest.fixture(scope="module")
def totals(country_codes) -> pd.DataFrame:
    out = country_totals_from_comtrade(totals_frame(ROWS), country_codes)
    country_totals_schema.validate(out, lazy=True)
    return out


def one(frame: pd.DataFrame, country: str, flow: str) -> pd.Series:
    rows = frame[(frame["country"] == country) & (frame["flow"] == flow)]
    assert len(rows) == 1, f"expected one {country} {flow} row, got {len(rows)}"
    return rows.iloc[0]


def test_columns_and_one_row_per_country_and_flow(totals):
    assert list(totals.columns) == COUNTRY_TOTALS_COLUMNS
    assert not totals.duplicated(["year", "country", "flow"]).any()
    # KOR and USA have no export total and nobody names them: no row rather than a guess.
    assert set(zip(totals["country"], totals["flow"])) == {
        ("JPN", "X"), ("JPN", "M"), ("USA", "M"), ("KOR", "M"), ("THA", "X"), ("THA", "M"), ("CHN", "M"),
        ("IDN", "X"), ("IDN", "M"),
    }


def test_a_reporter_with_its_total_rows_is_reported_on_a_fob_basis(totals):
    exports = one(totals, "JPN", "X")
    assert (exports["source"], exports["value_usd"]) == ("reported", 1000.0)
    assert pd.isna(exports["value_cif_usd"]) and pd.isna(exports["partners_declaring"]) and pd.isna(exports["coverage_share"])
    imports = one(totals, "JPN", "M")
    assert imports["source"] == "reported"
    assert imports["value_usd"] == pytest.approx(1040.0 / RATIO)  # CIF brought to FOB by the flat ratio
    assert imports["value_cif_usd"] == 1040.0  # as declared
    assert imports["self_trade_usd"] == 0.0
    # Imports declared FOB stay as declared: no CIF value, never divided by the ratio.
    usa = one(totals, "USA", "M")
    assert (usa["value_usd"], usa["source"]) == (500.0, "reported") and pd.isna(usa["value_cif_usd"])


def test_an_import_total_declared_both_cif_and_fob_is_valued_at_its_declared_fob(country_codes):
    # The USA declares imports both ways (CIF 1060, FOB 1000): the FOB value is used as declared, never
    # 1060 / 1.04 = 1019.2; the CIF value is kept beside it.
    out = country_totals_from_comtrade(totals_frame([row("USA", "WLD", "M", cif=1060.0, fob=1000.0)]), country_codes)
    usa = one(out, "USA", "M")
    assert (usa["value_usd"], usa["value_cif_usd"], usa["source"]) == (1000.0, 1060.0, "reported")


def test_a_non_reporter_is_mirrored_from_its_partners_declarations(totals):
    exports = one(totals, "THA", "X")
    assert exports["source"] == "mirror"
    # JPN's import declaration is CIF (→ FOB by the flat ratio); USA's is FOB, used as declared.
    assert exports["value_usd"] == pytest.approx(208.0 / RATIO + 50.0)
    assert exports["partners_declaring"] == 2
    assert pd.isna(exports["value_cif_usd"])
    # Coverage: the declaring partners' import totals (JPN, USA) among every reported import total (JPN, USA,
    # KOR, CHN less its self-trade), all FOB.
    reporting_world = 1040.0 / RATIO + 500.0 + 312.0 / RATIO + (1040.0 - 104.0) / RATIO
    assert exports["coverage_share"] == pytest.approx((1040.0 / RATIO + 500.0) / reporting_world)
    imports = one(totals, "THA", "M")
    assert (imports["source"], imports["value_usd"], imports["partners_declaring"]) == ("mirror", 300.0, 1)
    # Among the export totals only JPN (1000) and IDN (700 less 70 to itself) report.
    assert imports["coverage_share"] == pytest.approx(1000.0 / (1000.0 + 630.0))


def test_self_trade_is_never_counted(totals):
    chn = one(totals, "CHN", "M")
    assert chn["source"] == "reported"
    assert chn["value_cif_usd"] == pytest.approx(1040.0 - 104.0)
    assert chn["value_usd"] == pytest.approx((1040.0 - 104.0) / RATIO)
    assert chn["self_trade_usd"] == pytest.approx(104.0 / RATIO)
    idn_exports = one(totals, "IDN", "X")
    assert idn_exports["value_usd"] == pytest.approx(700.0 - 70.0) and idn_exports["self_trade_usd"] == 70.0
    # IDN's imports are mirrored from JPN's exports to it; IDN's own declaration to itself is not a partner's.
    idn_imports = one(totals, "IDN", "M")
    assert (idn_imports["source"], idn_imports["value_usd"], idn_imports["partners_declaring"]) == ("mirror", 100.0, 1)


def test_coverage_is_unknown_when_a_declaring_partner_reports_no_total(country_codes):
    rows = [row("JPN", "WLD", "M", cif=1040.0), row("JPN", "THA", "M", cif=104.0), row("KOR", "THA", "M", cif=52.0)]
    out = country_totals_from_comtrade(totals_frame(rows), country_codes)
    thailand = one(out, "THA", "X")
    assert thailand["value_usd"] == pytest.approx((104.0 + 52.0) / RATIO)
    assert thailand["partners_declaring"] == 2 and pd.isna(thailand["coverage_share"])


def test_no_total_rows_give_an_empty_valid_table(country_codes):
    out = country_totals_from_comtrade(totals_frame([row("JPN", "THA", "X", fob=5.0, cmd="870899")]), country_codes)
    assert out.empty and list(out.columns) == COUNTRY_TOTALS_COLUMNS
    country_totals_schema.validate(out, lazy=True)


# --- feeding the indicators ------------------------------------------------------------------------------

PRODUCT_GROUPS = pd.DataFrame({"hs6": ["870899", "870323"], "hs4": ["8708", "8703"],
                               "product_group": ["parts_accessories", "passenger_cars"],
                               "bec_stage": ["parts_and_components", "consumption"], "in_scope": [True, True]})


def flows_frame() -> pd.DataFrame:
    rows = [("JPN", "THA", "870899", 100.0), ("THA", "JPN", "870899", 40.0), ("JPN", "THA", "870323", 200.0)]
    frame = pd.DataFrame(rows, columns=["exporter", "importer", "hs6", "value_usd"])
    frame.insert(0, "year", pd.array([YEAR] * len(frame), dtype="Int64"))
    return frame.assign(qty=1.0, qty_unit="u", net_kg=1.0, qty_estimated=pd.array([False] * len(frame), dtype="boolean"),
                        value_exporter_fob_usd=frame["value_usd"], value_importer_cif_usd=frame["value_usd"] * RATIO,
                        value_importer_fob_usd=frame["value_usd"], recon_rule="both_weighted")


def test_rca_inputs_of_a_reported_country_are_its_declared_total_and_mirrors_enter_the_world_total(totals):
    regions = pd.DataFrame({"region": ["ASEAN", "ASEAN10"], "iso3": ["THA", "THA"], "from_year": [1967, pd.NA],
                            "to_year": [pd.NA, pd.NA]})
    out = compute_trade_indicators(flows_frame(), PRODUCT_GROUPS, totals, regions, YEAR)

    def pick(indicator, country, group):
        rows = out[(out["indicator"] == indicator) & (out["country"] == country) & (out["partner"] == "WLD")
                   & (out["product_group"] == group) & out["subtype"].isna()]
        assert len(rows) == 1
        return rows.iloc[0]

    # JPN's total exports: its World row as declared (1000 FOB), the same input the indicators had before.
    assert pick("exports_usd", "JPN", "total_merchandise")["value"] == 1000.0
    assert pick("exports_usd", "JPN", "total_merchandise")["variant"] == "country_totals"
    # THA's total exports now come from the mirror (before: the sum of its lines, 40).
    tha_total = 208.0 / RATIO + 50.0
    assert pick("exports_usd", "THA", "total_merchandise")["value"] == pytest.approx(tha_total)
    # Total imports are on the FOB basis now: JPN's CIF 1040 / ratio.
    assert pick("imports_usd", "JPN", "total_merchandise")["value"] == pytest.approx(1040.0 / RATIO)
    # RCA = (x_ig / X_i) / (x_wg / X_w); X_w sums every total export: JPN 1000, THA mirror, IDN 630.
    world_total = 1000.0 + tha_total + 630.0
    x_wg = 100.0 + 40.0
    assert pick("rca", "JPN", "parts_accessories")["value"] == pytest.approx((100.0 / 1000.0) / (x_wg / world_total))
    assert pick("rca", "THA", "parts_accessories")["value"] == pytest.approx((40.0 / tha_total) / (x_wg / world_total))


# --- real extracts ----------------------------------------------------------------------------------------

def real_totals(real_data_dir, name: str) -> pd.DataFrame:
    raw = read_comtrade_file(real_data_dir / name, real_data_dir)
    return clean_comtrade(raw).totals


def records(real_data_dir, name: str) -> list[dict[str, str]]:
    with open(real_data_dir / name, newline="", encoding="latin-1") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.real_data
def test_real_website_totals_2022_reported_for_the_reporters_mirrored_for_their_partners(real_data_dir, country_codes):
    name = "comtrade_plus/ui_TradeData_CHN-DEU-USA_TOTAL_2022_bypartner.csv"
    rows = records(real_data_dir, name)
    out = country_totals_from_comtrade(real_totals(real_data_dir, name), country_codes)
    country_totals_schema.validate(out, lazy=True)

    def declared(reporter, flow, partner, field="primaryValue"):
        [value] = [r[field] for r in rows if (r["reporterISO"], r["flowCode"], r["partnerCode"]) == (reporter, flow, partner)]
        return float(value) if value else None

    for reporter in ("CHN", "DEU", "USA"):
        exports = one(out, reporter, "X")
        assert exports["source"] == "reported"
        assert exports["value_usd"] == pytest.approx(declared(reporter, "X", "0"))  # the World row
    # DEU and USA declare imports CIF with no self-trade: the World row's CIF value as declared. The FOB basis is
    # the declared FOB value where there is one (the USA declares both), else CIF / ratio (DEU).
    for reporter in ("DEU", "USA"):
        imports = one(out, reporter, "M")
        assert imports["value_cif_usd"] == pytest.approx(declared(reporter, "M", "0", "cifvalue"))
        fob = declared(reporter, "M", "0", "fobvalue") or 0.0
        expected = fob if fob > 0 else declared(reporter, "M", "0", "cifvalue") / RATIO
        assert imports["value_usd"] == pytest.approx(expected)
    assert (declared("USA", "M", "0", "fobvalue") or 0.0) > 0 and (declared("DEU", "M", "0", "fobvalue") or 0.0) == 0
    # China declares imports from China (re-imports): left out of its total.
    chn = one(out, "CHN", "M")
    self_trade = declared("CHN", "M", "156", "cifvalue")
    assert self_trade > 1e11
    assert chn["value_cif_usd"] == pytest.approx(declared("CHN", "M", "0", "cifvalue") - self_trade)
    assert chn["self_trade_usd"] == pytest.approx(self_trade / RATIO)
    # Japan reports nothing here: its exports are the three reporters' imports from it, brought to FOB.
    japan = one(out, "JPN", "X")
    def fob_basis(reporter, partner):  # a declared FOB value as it is, else CIF / ratio
        fob = declared(reporter, "M", partner, "fobvalue") or 0.0
        return fob if fob > 0 else declared(reporter, "M", partner, "cifvalue") / RATIO

    expected = sum(fob_basis(r, "392") for r in ("CHN", "DEU", "USA"))
    assert (japan["source"], japan["partners_declaring"]) == ("mirror", 3)
    assert japan["value_usd"] == pytest.approx(expected)
    assert japan["coverage_share"] == pytest.approx(1.0)  # every reporter of this extract declared trade with Japan
    # Thailand's imports: the three reporters' exports to it (FOB).
    thailand = one(out, "THA", "M")
    assert thailand["value_usd"] == pytest.approx(sum(declared(r, "X", "764") for r in ("CHN", "DEU", "USA")))


@pytest.mark.real_data
def test_real_bilateral_totals_without_world_rows_give_no_reported_total_only_mirrors(real_data_dir, country_codes):
    name = "comtrade_plus/api_USA_imports_from_DEU-FRA-JPN-MEX_TOTAL_2018-2022.csv"
    with open(real_data_dir / name, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    out = country_totals_from_comtrade(real_totals(real_data_dir, name), country_codes)
    country_totals_schema.validate(out, lazy=True)
    # The extract holds USA's imports by partner, no World row: USA gets no total (never the sum of four partners).
    assert not ((out["country"] == "USA") & (out["flow"] == "M")).any()
    assert set(out["source"]) == {"mirror"} and set(out["flow"]) == {"X"}
    for r in rows:
        iso3 = {"FRA": "FRA", "DEU": "DEU", "JPN": "JPN", "MEX": "MEX"}[r["partner_iso"]]
        total = one(out[out["year"] == int(r["ref_year"])], iso3, "X")
        # USA declares CIF every year and FOB from 2019 (fobvalue 0 = not available in 2018): FOB used as declared.
        fob = float(r["fobvalue"])
        assert total["value_usd"] == pytest.approx(fob if fob > 0 else float(r["cifvalue"]) / RATIO)
        assert total["partners_declaring"] == 1 and pd.isna(total["coverage_share"])  # USA's own total unknown
    assert sorted(out["year"].unique()) == [2018, 2019, 2020, 2021, 2022]


@pytest.mark.real_data
def test_real_legacy_2017_world_rows_are_the_reported_totals(real_data_dir, real_country_codes):
    name = "comtrade_legacy/legacy_TOTAL_2017_allreporters_world_asreported.csv"
    raw = read_comtrade_file(real_data_dir / name, real_data_dir)
    out = country_totals_from_comtrade(clean_comtrade(raw).totals, real_country_codes)
    country_totals_schema.validate(out, lazy=True)
    assert set(out["source"]) == {"reported"}
    world = raw[(raw["partnerCode"].astype("str") == "0") & raw["flowCode"].isin(["X", "M"])]
    assert len(out) == len(world) > 150
    iso3 = {"392": "JPN", "360": "IDN", "458": "MYS", "842": "USA"}
    for code, country in iso3.items():
        for flow in ("X", "M"):
            [value] = world.loc[(world["reporterCode"].astype("str") == code) & (world["flowCode"] == flow), "primaryValue"]
            expected = value if flow == "X" else value / RATIO
            assert one(out, country, flow)["value_usd"] == pytest.approx(expected)
    # Thailand did not report in this extract, and nobody names it: no total (the indicators fall back).
    assert "THA" not in set(out["country"])
