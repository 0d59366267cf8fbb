"""The electronics scope (HS 8541/8542) from configuration alone: 4-digit declarations where HS6 lines are
missing, the real Thai 8542 imports, and the whole Dagster chain with RVC_SCOPE=scopes/electronics.yaml.

The declarations in the first tests are HAND-WRITTEN (not real data); expected values are the arithmetic of
the rule (docs/methods.md, "4-digit declarations") on them. The real-data test computes its expectations
from the extract's own rows read with pandas, not through the pipeline.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from assets.sources.comtrade_readers import read_comtrade_file
from assets.transforms.cleaning.comtrade_cleaning import clean_comtrade
from assets.transforms.harmonization.reconciliation import FLAT_CIF_FOB_RATIO as RATIO
from assets.transforms.indicators.heading_declarations import heading_declarations_from_frame, heading_flows
from assets.transforms.indicators.trade_indicators import compute_trade_indicators
from assets.transforms.reference.country_codes import build_country_codes, load_regions
from assets.transforms.reference.product_groups import build_product_groups
from assets.transforms.reference.scope import SCOPES_DIR, load_scope
from checks.indicators import indicator_schema_for
from tests.transforms.test_trade_indicators import flows_frame, pick, regions_table

ELECTRONICS = SCOPES_DIR / "electronics.yaml"
THAI_8542 = Path("comtrade_plus") / "ui_TradeData_THA_imports_8542_2014-2024_allpartners.csv"
YEAR = 2020
M49 = {"THA": "764", "JPN": "392", "TWN": "490", "MYS": "458", "CHN": "156", "WLD": "0", "NES": "899"}


@pytest.fixture(scope="module")
def scope():
    return load_scope(ELECTRONICS)


@pytest.fixture(scope="module")
def country_codes() -> pd.DataFrame:
    return build_country_codes(None)


def declaration(reporter, partner, flow, heading, *, cif=None, fob=None, year=YEAR):
    value = cif if cif is not None else fob
    return {"year": year, "reporter_code": M49[reporter], "partner_code": M49[partner], "flow": flow,
            "cmd_code": heading, "value_usd": value, "cif_usd": cif, "fob_usd": fob, "qty": None, "qty_unit": None,
            "net_kg": None, "qty_estimated": False, "is_world_partner": partner == "WLD"}


def totals_table(rows) -> pd.DataFrame:
    return pd.DataFrame(rows).astype({"year": "Int64", "value_usd": "float64", "cif_usd": "float64", "fob_usd": "float64",
                                      "qty": "float64", "net_kg": "float64", "qty_estimated": "boolean",
                                      "is_world_partner": "boolean", "qty_unit": "str"})


HAND_WRITTEN = [
    declaration("THA", "WLD", "M", "8542", cif=1040.0),  # World: never a partner
    declaration("THA", "JPN", "M", "8542", cif=208.0),  # THA's only: 208 / 1.04 = 200 FOB
    declaration("THA", "TWN", "M", "8542", cif=520.0),  # TWN also declares its exports: TWN's 480 FOB wins
    declaration("TWN", "THA", "X", "8542", fob=480.0),
    declaration("THA", "MYS", "M", "8542", fob=100.0),  # declared FOB: taken as declared
    declaration("THA", "CHN", "M", "8542", cif=999.0),  # CHN → THA 8542 has HS6 lines in trade_flows: left out
    declaration("THA", "NES", "M", "8542", cif=50.0),  # areas n.e.s.: no partner country
    declaration("THA", "JPN", "M", "8541", cif=104.0),  # semiconductor devices: 100 FOB
]
# trade_flows holds CHN → THA HS6 lines of 8542 (120) and nothing else of the scope.
FLOWS = [("CHN", "THA", "854231", 120.0, 10.0, "u", 1.0, False)]


@pytest.fixture(scope="module")
def hand_written(scope, country_codes):
    flows = flows_frame(FLOWS, YEAR)
    declared = heading_declarations_from_frame(totals_table(HAND_WRITTEN), sorted(scope.hs4_headings))
    from_headings, summary = heading_flows(declared, flows, country_codes, scope, YEAR)
    groups = build_product_groups(["854231", "854110", "870323"], scope=scope)
    totals = pd.DataFrame({"year": [YEAR], "country": ["THA"], "flow": ["M"], "value_usd": [1000.0]})
    out = compute_trade_indicators(flows, groups, totals, regions_table(), YEAR, scope=scope, heading_flows=from_headings)
    return from_headings, summary, out


def test_four_digit_declarations_stand_in_only_where_hs6_lines_are_missing(hand_written):
    from_headings, summary, _ = hand_written
    used = from_headings.set_index(["exporter", "importer", "heading"])
    assert used.loc[("JPN", "THA", "8542"), "value_usd"] == pytest.approx(208.0 / RATIO)
    assert used.loc[("TWN", "THA", "8542"), ["value_usd", "declared_by"]].tolist() == [480.0, "exporter"]
    assert used.loc[("MYS", "THA", "8542"), "value_usd"] == 100.0
    assert used.loc[("JPN", "THA", "8541"), "value_usd"] == pytest.approx(104.0 / RATIO)
    assert ("CHN", "THA", "8542") not in used.index
    reasons = summary.set_index("reason")["rows"].to_dict()
    assert reasons == {"used": 4, "other_side_used": 1, "hs6_lines_exist": 1, "no_partner_country": 1}


def test_import_source_shares_mix_hs6_lines_and_headings(hand_written, scope):
    _, _, out = hand_written
    total = 208.0 / RATIO + 480.0 + 100.0 + 120.0  # JPN, TWN, MYS from 4 digits; CHN from its HS6 line
    assert pick(out, "import_source_share", "THA", "JPN", "integrated_circuits") == pytest.approx((208.0 / RATIO) / total)
    assert pick(out, "import_source_share", "THA", "TWN", "integrated_circuits") == pytest.approx(480.0 / total)
    assert pick(out, "import_source_share", "THA", "CHN", "integrated_circuits") == pytest.approx(120.0 / total)
    assert pick(out, "imports_usd", "THA", "WLD", "all_semiconductors") == pytest.approx(total + 104.0 / RATIO)
    # Mirror side: Taiwan's exports to Thailand come from its own 4-digit declaration.
    assert pick(out, "exports_usd", "TWN", "THA", "integrated_circuits") == 480.0
    # No HS6 line of the headings exists, so no Grubel-Lloyd or two-way type for them.
    gl = out[(out["indicator"] == "grubel_lloyd") & (out["country"] == "THA") & (out["partner"] == "JPN")]
    assert gl.empty
    assert "parts_to_vehicles_ratio" not in set(out["indicator"])  # the scope has no finished goods
    indicator_schema_for(scope).validate(out, lazy=True)


@pytest.mark.real_data
def test_real_thai_8542_imports_give_source_shares_summing_to_one(real_data_dir, scope):
    raw = read_comtrade_file(real_data_dir / THAI_8542, real_data_dir)
    comtrade_totals = clean_comtrade(raw).totals  # 4-digit rows: cleaning files them with the totals
    country_codes = build_country_codes(real_data_dir)
    declared = heading_declarations_from_frame(comtrade_totals, sorted(scope.hs4_headings))
    groups = build_product_groups(["854231"], scope=scope)
    no_flows = flows_frame([], 2014).iloc[0:0]

    # Independent expectation from the file: each partner's CIF value over every partner that is a country
    # (not World 0, not "Areas, nes" 899, not Thailand itself: re-imports are not trade); 490 "Other Asia, nes"
    # is Taiwan.
    records = pd.read_csv(real_data_dir / THAI_8542, encoding="latin-1", index_col=False, dtype="str")
    records = records[~records["partnerCode"].isin(["0", "899", "764"])]
    records["value"] = records["primaryValue"].astype("float64")
    by_year = records.groupby("refYear")["value"].sum()

    shares = {}
    for year in range(2014, 2025):
        flows = no_flows.assign(year=pd.array([], dtype="Int64"))
        from_headings, _ = heading_flows(declared, flows, country_codes, scope, year)
        out = compute_trade_indicators(flows, groups, pd.DataFrame(columns=["year", "country", "flow", "value_usd"]),
                                       load_regions(), year, scope=scope, heading_flows=from_headings)
        rows = out[(out["indicator"] == "import_source_share") & (out["country"] == "THA")
                   & (out["product_group"] == "integrated_circuits") & ~out["partner"].isin(["ASEAN", "ASEAN10"])]
        assert rows["value"].sum() == pytest.approx(1.0), year
        shares[year] = rows.set_index("partner")["value"]
        for iso, code in (("JPN", "JPN"), ("TWN", "S19")):
            expected = records.loc[(records["refYear"] == str(year)) & (records["partnerISO"] == code), "value"].sum()
            assert shares[year][iso] == pytest.approx(expected / by_year[str(year)], rel=1e-9), (year, iso)
        indicator_schema_for(scope).validate(out, lazy=True)

    # Japan's share falls, Taiwan's rises (2014 → 2019 → 2024; the values are checked against the file above).
    assert shares[2024]["JPN"] < shares[2019]["JPN"] < shares[2014]["JPN"]
    assert shares[2024]["TWN"] > shares[2019]["TWN"] > shares[2014]["TWN"]


@pytest.mark.slow
@pytest.mark.real_data
def test_electronics_scope_runs_end_to_end_from_configuration_alone(real_data_dir, tmp_path, monkeypatch):
    """The scope comes from the Settings given to build_defs alone (no RVC_SCOPE in the environment): assets,
    checks and the report all use it, and the report is about semiconductors, with the panel's numbers."""
    from dataclasses import replace

    from pipelines.definitions import build_defs
    from pipelines.settings import load_settings

    extracts = tmp_path / "extracts"
    extracts.mkdir()
    shutil.copy(real_data_dir / THAI_8542, extracts / THAI_8542.name)
    monkeypatch.delenv("RVC_SCOPE", raising=False)
    env = {"RVC_WAREHOUSE": str(tmp_path / "warehouse"), "RVC_EXTRACTS": str(extracts)}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    defs = build_defs(replace(load_settings(env), scope_path=ELECTRONICS))
    instance = dg.DagsterInstance.ephemeral()
    quiet = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
    assert defs.resolve_job_def("reference_tables").execute_in_process(instance=instance, run_config=quiet).success
    for year in ("2014", "2020"):  # the partitions end with the sample's last year
        assert defs.resolve_job_def("yearly_refresh").execute_in_process(
            instance=instance, partition_key=year, run_config=quiet).success
    assert defs.resolve_job_def("panel_and_report").execute_in_process(instance=instance, run_config=quiet).success

    panel = pd.read_parquet(tmp_path / "warehouse" / "indicator_panel.parquet")
    assert {"semiconductor_devices", "integrated_circuits", "all_semiconductors"} & set(panel["product_group"])
    assert not panel["product_group"].isin(["passenger_cars", "all_automotive"]).any()
    jpn = panel[(panel["indicator"] == "import_source_share") & (panel["country"] == "THA") & (panel["partner"] == "JPN")
                & (panel["product_group"] == "integrated_circuits") & panel["period"].isna()].set_index("year")["value"]
    assert jpn[2020] < jpn[2014]

    report = (tmp_path / "warehouse" / "rvc_report" / "report.md").read_text(encoding="utf-8")
    assert report.startswith("# Japan–ASEAN semiconductor value chains")
    assert "automotive" not in report.lower() and "motor-vehicle" not in report
    # The findings follow the scope's groups, and hold the panel's numbers for them.
    expected = (f"Source diversification, not localization: Japan's share of Thailand's integrated circuit imports fell "
                f"from {jpn[2014] * 100:.1f} % in 2014 to {jpn[2020] * 100:.1f} % in 2020")
    assert expected in report.replace("\\", "")
    assert "Japan's share of Thailand's semiconductor device imports" in report
    assert "Malaysia's semiconductor exports to ASEAN-10" in report  # the scope's hub
