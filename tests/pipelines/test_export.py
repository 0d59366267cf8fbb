"""Take-away tables: `rvc export` (filters, CSV / Parquet / .dta / .xlsx round trips, data dictionary, clear errors)
and `warehouse/rvc.duckdb` (one view per asset, rebuilt atomically, current after runs).

Two warehouses: a hand-made one of a few rows, whose expected exports are listed row by row below, and the demo
warehouse (two sample years through the real jobs, built once for this module), against which the README's SQL
recipes are run and compared with the pipeline's own indicators.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest
from pandas.io.stata import StataReader

from assets.exports import writers
from assets.exports.dictionary import NO_DESCRIPTION, data_dictionary, indicator_dictionary
from assets.exports.selection import ExportRequest, ExportRequestError, select_rows
from assets.exports.warehouse_views import (
    DATABASE_NAME,
    build_views_database,
    refresh_views,
    stored_assets,
    views_are_current,
)
from assets.exports.writers import ExportLimitError, stata_names
from pipelines import cli
from pipelines.definitions import build_defs
from pipelines.export import export_table, parse_years
from pipelines.settings import load_settings

REPO_ROOT = Path(__file__).resolve().parents[2]
LONG_NAME = "value_importer_fob_declared_usd_and_more"  # 41 characters: too long for Stata
LONG_TEXT = "ä" * 1500  # 3,000 bytes in UTF-8: longer than a Stata str# (2,045 bytes), so written as strL

FLOWS_2016 = [
    (2016, "JPN", "THA", "870899", 100.0),
    (2016, "JPN", "THA", "870321", 50.0),
    (2016, "THA", "JPN", "870899", 7.0),
]
FLOWS_2017 = [
    (2017, "JPN", "THA", "870899", 110.0),
    (2017, "JPN", "IDN", "870840", 20.0),
    (2017, "JPN", "THA", "870321", 60.0),
    (2017, "KOR", "THA", "840733", 5.0),
    (2017, "THA", "JPN", "090111", 1.0),
]
FLOW_COLUMNS = ["year", "exporter", "importer", "hs6", "value_usd"]


def _flows(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=FLOW_COLUMNS).astype({"year": "Int64"})
    frame["qty_estimated"] = pd.array([True, None, False, True, False][: len(frame)], dtype="boolean")
    frame[LONG_NAME] = [float(i) for i in range(len(frame))]
    frame["remark"] = [LONG_TEXT if i == 0 else f"row {i}" for i in range(len(frame))]
    return frame


@pytest.fixture
def small_warehouse(tmp_path: Path) -> Path:
    """trade_flows 2016-2017, product_groups, trade_indicators 2017, indicator_panel, plus things that are not assets."""
    root = tmp_path / "warehouse"
    (root / "trade_flows").mkdir(parents=True)
    _flows(FLOWS_2016).to_parquet(root / "trade_flows" / "2016.parquet", index=False)
    _flows(FLOWS_2017).to_parquet(root / "trade_flows" / "2017.parquet", index=False)
    pd.DataFrame({
        "hs6": ["090111", "840733", "870321", "870840", "870899"],
        "product_group": ["other", "engines", "passenger_cars", "parts_accessories", "parts_accessories"],
        "bec_stage": ["intermediate", "parts_and_components", "mixed", "parts_and_components", "parts_and_components"],
        "in_scope": [False, True, True, True, True],
    }).to_parquet(root / "product_groups.parquet", index=False)
    indicators = pd.DataFrame({
        "year": pd.array([2017, 2017, 2017], dtype="Int64"), "country": ["THA", "THA", "JPN"],
        "partner": ["WLD", "WLD", "WLD"], "product_group": ["all_automotive"] * 3,
        "indicator": ["exports_usd", "rca", "exports_usd"], "value": [10.0, 1.5, 30.0], "unit": ["usd", "index", "usd"],
    })
    (root / "trade_indicators").mkdir()
    indicators.to_parquet(root / "trade_indicators" / "2017.parquet", index=False)
    panel = pd.concat([indicators.assign(year=pd.array([2016] * 3, dtype="Int64")), indicators], ignore_index=True)
    panel = pd.concat([panel, pd.DataFrame({"year": pd.array([2017], dtype="Int64"), "country": ["THA"], "partner": ["WLD"],
                                            "product_group": ["all_automotive"], "indicator": ["exports_usd_cagr"],
                                            "value": [4.0], "unit": ["percent_per_year"]})], ignore_index=True)
    panel.to_parquet(root / "indicator_panel.parquet", index=False)
    # Not assets: a cache folder, a half-written temporary, the report folder.
    (root / ".cache").mkdir()
    pd.DataFrame({"a": [1]}).to_parquet(root / ".cache" / "x.parquet")
    (root / "trade_flows" / ".2018.abc.parquet.tmp").write_bytes(b"half a file")
    (root / "rvc_report").mkdir()
    (root / "rvc_report" / "index.html").write_text("<html></html>")
    return root


def _export(warehouse: Path, out: Path, **request) -> tuple[int, list[Path]]:
    return export_table(warehouse, ExportRequest(**request), out, descriptions={"value_usd": "Reconciled FOB value, USD"})


# ---------------------------------------------------------------------------------------------- filters


def _selected(warehouse: Path, **request) -> list[tuple]:
    with duckdb.connect() as con:
        selection = select_rows(con, warehouse, ExportRequest("trade_flows", columns=tuple(FLOW_COLUMNS), **request))
        rows = con.execute(selection.sql).fetchall()
        assert selection.rows == len(rows)
        return rows


def test_filters_select_exactly_the_rows_listed(small_warehouse: Path) -> None:
    assert _selected(small_warehouse, years=(2017,), countries=("JPN",), product_groups=("parts_accessories",)) == [
        (2017, "JPN", "THA", "870899", 110.0), (2017, "JPN", "IDN", "870840", 20.0)]
    # Lower-case codes are codes: ISO3 is upper case.
    assert _selected(small_warehouse, partners=("tha",)) == [
        FLOWS_2016[0], FLOWS_2016[1], FLOWS_2017[0], FLOWS_2017[2], FLOWS_2017[3]]
    # Groups the indicators build from lines: every automotive line; automotive parts and components (BEC).
    assert _selected(small_warehouse, years=(2017,), product_groups=("all_automotive",)) == FLOWS_2017[:4]
    assert _selected(small_warehouse, years=(2017,), product_groups=("parts_components_bec",)) == [
        FLOWS_2017[0], FLOWS_2017[1], FLOWS_2017[3]]
    assert _selected(small_warehouse) == FLOWS_2016 + FLOWS_2017  # no filter: every row, years in order


def test_indicator_filter_and_years_of_an_unpartitioned_asset(small_warehouse: Path) -> None:
    with duckdb.connect() as con:
        selection = select_rows(con, small_warehouse, ExportRequest(
            "indicator_panel", years=(2017,), indicators=("exports_usd",), columns=("year", "country", "value")))
        assert con.execute(selection.sql).fetchall() == [(2017, "THA", 10.0), (2017, "JPN", 30.0)]
        with pytest.raises(ExportRequestError, match=r"indicator_panel has no year 2015; stored years: 2016–2017"):
            select_rows(con, small_warehouse, ExportRequest("indicator_panel", years=(2015,)))


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (ExportRequest("trade_flow"), r"no asset 'trade_flow' in the warehouse .*stored assets: indicator_panel, "
                                      r"product_groups, trade_flows, trade_indicators$"),
        (ExportRequest("trade_flows", columns=("value", "hs6")), r"trade_flows has no column value \(--columns\); its columns: year,"),
        (ExportRequest("trade_flows", columns=("hs6", "year", "hs6")), r"--columns names hs6 more than once"),
        (ExportRequest("trade_flows", years=(2016, 2030)), r"trade_flows has no year 2030; stored years: 2016–2017 \(2 years\).*"
                                                            r"rvc backfill --from 2030 --to 2030"),
        (ExportRequest("trade_flows", countries=("JAP",)), r"no row has exporter = JAP \(--countries\).*values there: JPN, KOR, THA"),
        (ExportRequest("trade_flows", years=(2016,), countries=("KOR",)), r"no row has exporter = KOR.*values there: JPN, THA$"),
        (ExportRequest("trade_flows", product_groups=("cars",)), r"unknown product group cars.*passenger_cars"),
        (ExportRequest("trade_flows", indicators=("rca",)), r"trade_flows has no column to filter indicators on.*drop --indicators"),
        (ExportRequest("product_groups", years=(2017,)), r"product_groups has no column to filter years on"),
        (ExportRequest("trade_indicators", indicators=("rcaa",)), r"no row has indicator = rcaa.*values there: exports_usd, rca"),
    ],
)
def test_a_request_the_warehouse_cannot_answer_is_a_clear_error(small_warehouse: Path, request_, message) -> None:
    with duckdb.connect() as con, pytest.raises(ExportRequestError, match=message):
        select_rows(con, small_warehouse, request_)


def test_years_accept_lists_and_ranges() -> None:
    assert parse_years(["2016", "2018-2020", "2022,2023"]) == (2016, 2018, 2019, 2020, 2022, 2023)
    with pytest.raises(ExportRequestError, match="runs backwards; write 2016-2020"):
        parse_years(["2020-2016"])
    with pytest.raises(ExportRequestError, match="expected years such as 2017"):
        parse_years(["last"])


# ---------------------------------------------------------------------------------------------- formats


def _expected_2017_jpn() -> pd.DataFrame:
    return _flows(FLOWS_2017).iloc[[0, 1, 2]].reset_index(drop=True)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_csv_and_parquet_round_trip(small_warehouse: Path, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"jpn{suffix}"
    rows, written = _export(small_warehouse, out, asset="trade_flows", years=(2017,), countries=("JPN",))
    assert rows == 3 and written == [out, tmp_path / "jpn.dictionary.csv"]
    back = pd.read_csv(out, dtype={"hs6": "str"}) if suffix == ".csv" else pd.read_parquet(out)
    expected = _expected_2017_jpn()
    assert list(back.columns) == list(expected.columns)
    assert back["hs6"].tolist() == ["870899", "870840", "870321"]  # leading zeros kept as text
    assert back["value_usd"].tolist() == [110.0, 20.0, 60.0]
    assert back["remark"].tolist() == expected["remark"].tolist()
    if suffix == ".parquet":
        assert back["qty_estimated"].isna().tolist() == [False, True, False]  # missing stays missing
        assert back["qty_estimated"].iloc[[0, 2]].tolist() == [True, False]
    assert not list(tmp_path.glob(".*.tmp"))  # written through a temporary file, renamed into place


def test_stata_round_trip_with_names_labels_and_long_strings(small_warehouse: Path, tmp_path: Path) -> None:
    out = tmp_path / "flows.dta"
    rows, _ = _export(small_warehouse, out, asset="trade_flows", years=(2017,), countries=("JPN",))
    assert rows == 3
    back = pd.read_stata(out)
    short = stata_names([LONG_NAME])[LONG_NAME]
    assert short == LONG_NAME[:32] and len(short) == 32
    assert list(back.columns) == FLOW_COLUMNS + ["qty_estimated", short, "remark"]
    assert back["year"].tolist() == [2017, 2017, 2017]
    assert back["hs6"].tolist() == ["870899", "870840", "870321"]
    assert back["value_usd"].tolist() == [110.0, 20.0, 60.0]
    assert back[short].tolist() == [0.0, 1.0, 2.0]
    assert back["remark"].tolist() == [LONG_TEXT, "row 1", "row 2"]  # 3,000 bytes: a strL
    # Stata has no boolean: 1/0, and a missing value stays missing (.)
    assert back["qty_estimated"].isna().tolist() == [False, True, False]
    assert back["qty_estimated"].iloc[[0, 2]].tolist() == [1, 0]
    with StataReader(out) as reader:
        labels = reader.variable_labels()
        assert labels["value_usd"] == "Reconciled FOB value, USD"
        assert reader.data_label == "rvc-pipeline trade_flows (years: 2017; countries: JPN)"
    dictionary = pd.read_csv(tmp_path / "flows.dictionary.csv", dtype="str", keep_default_na=False)
    assert dictionary.set_index("column").loc[LONG_NAME, "stata_name"] == short


def test_stata_names_are_valid_and_unique(tmp_path: Path) -> None:
    names = stata_names(["a" * 40, "a" * 35, "2017_value", "in", "global", "value-usd", "ok"])
    assert names == {"a" * 40: "a" * 32, "a" * 35: "a" * 30 + "_2", "2017_value": "_2017_value", "in": "_in",
                     "global": "_global", "value-usd": "value_usd", "ok": "ok"}
    # pandas writes them unchanged (it would rename an invalid one by itself, and the dictionary would be wrong).
    frame = pd.DataFrame({name: [1.0] for name in names.values()})
    path = tmp_path / "names.dta"
    frame.to_stata(path, write_index=False, version=118)
    assert list(pd.read_stata(path).columns) == list(names.values())


def test_excel_round_trip_with_dictionary_and_indicator_sheets(small_warehouse: Path, tmp_path: Path) -> None:
    out = tmp_path / "ind.xlsx"
    rows, written = _export(small_warehouse, out, asset="indicator_panel", countries=("THA",))
    assert rows == 5 and written == [out, tmp_path / "ind.dictionary.csv", tmp_path / "ind.indicators.csv"]
    sheets = pd.read_excel(out, sheet_name=None)
    assert list(sheets) == ["indicator_panel", "dictionary", "indicators"]
    assert sheets["indicator_panel"]["value"].tolist() == [10.0, 1.5, 10.0, 1.5, 4.0]
    assert sheets["indicators"]["indicator"].tolist() == ["exports_usd", "exports_usd_cagr", "rca"]
    assert sheets["indicators"]["unit"].tolist() == ["usd", "percent_per_year", "index"]  # from the catalog
    book = openpyxl.load_workbook(out, read_only=True)
    assert book["indicator_panel"].max_row == 6  # header + 5 rows


def test_excel_and_stata_refuse_above_their_limits_and_name_the_filters(small_warehouse, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(writers, "EXCEL_MAX_ROWS", 7)  # the sample has 8 flows; the real limit is 1,048,575
    out = tmp_path / "exports" / "all.xlsx"
    with pytest.raises(ExportLimitError, match=r"8 rows and 8 columns; an Excel sheet holds at most 7 data rows.*--years"):
        _export(small_warehouse, out, asset="trade_flows")
    assert not out.parent.exists() or not list(out.parent.iterdir())  # nothing half-written, no dictionary alone
    assert _export(small_warehouse, out, asset="trade_flows", years=(2016,))[0] == 3  # the filter it suggests works
    monkeypatch.setattr(writers, "STATA_MAX_ROWS", 2)
    with pytest.raises(ExportLimitError, match=r"a Stata .dta file holds at most 2 observations"):
        _export(small_warehouse, tmp_path / "all.dta", asset="trade_flows", years=(2016,))


def test_excel_refuses_a_value_longer_than_a_cell_holds(small_warehouse, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(writers, "EXCEL_MAX_CELL_CHARS", 1000)  # the remark of the first flow has 1,500 characters
    with pytest.raises(ExportLimitError, match=r"column remark has a value of 1,500 characters; an Excel cell holds at most 1,000"):
        _export(small_warehouse, tmp_path / "flows.xlsx", asset="trade_flows", years=(2016,))
    assert not (tmp_path / "flows.xlsx").exists()
    _export(small_warehouse, tmp_path / "flows.xlsx", asset="trade_flows", years=(2016,), columns=("year", "hs6"))
    assert pd.read_excel(tmp_path / "flows.xlsx", dtype={"hs6": "str"})["hs6"].tolist() == ["870899", "870321", "870899"]


def test_unknown_output_format_is_refused(small_warehouse: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"unknown output format .sav; name the file .csv, .parquet, .dta or .xlsx"):
        _export(small_warehouse, tmp_path / "x.sav", asset="trade_flows")


# ---------------------------------------------------------------------------------------------- dictionary


def test_dictionary_prefers_the_schema_then_the_descriptions_file_then_says_none() -> None:
    types = {"value_usd": "DOUBLE", "refYear": "BIGINT", "period": "VARCHAR", "mystery": "VARCHAR", "net_kg": "DOUBLE"}
    dictionary = data_dictionary("comtrade_raw", types, {"value_usd": "from the schema"}).set_index("column")
    assert dictionary.loc["value_usd", "description"] == "from the schema"
    assert dictionary.loc["value_usd", "unit"] == "USD"  # from the _usd suffix
    assert dictionary.loc["refYear", "description"] == "Comtrade reference year"
    assert dictionary.loc["period", "description"].startswith("Comtrade reference period")  # the asset's own row
    assert dictionary.loc["mystery", "description"] == NO_DESCRIPTION
    assert dictionary.loc["net_kg", "unit"] == "kg"
    assert dictionary.loc["net_kg", "source"] == "UN Comtrade (extract files or API), as reported; asset comtrade_raw"
    panel = data_dictionary("indicator_panel", {"period": "VARCHAR"}, {}).set_index("column")
    assert panel.loc["period", "description"].startswith("Period of a growth rate")


def test_indicator_dictionary_names_an_unlisted_indicator_instead_of_dropping_it() -> None:
    table = indicator_dictionary(["rca", "not_an_indicator"])
    assert table["indicator"].tolist() == ["rca", "not_an_indicator"]
    assert table["unit"].tolist() == ["index", ""]
    assert table["definition"].iloc[1] == "not in the indicator catalog"


# ---------------------------------------------------------------------------------------------- the views file


def test_views_list_only_assets_and_answer_queries(small_warehouse: Path, tmp_path: Path, monkeypatch) -> None:
    assert [(a.name, a.kind) for a in stored_assets(small_warehouse)] == [
        ("indicator_panel", "single"), ("product_groups", "single"), ("trade_flows", "yearly"), ("trade_indicators", "yearly")]
    database = build_views_database(small_warehouse)
    assert database == small_warehouse.resolve() / DATABASE_NAME
    monkeypatch.chdir(tmp_path)  # absolute paths: the views work from any folder
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute("SELECT count(*), sum(value_usd) FROM trade_flows").fetchone() == (8, 353.0)
        assert con.execute(
            "SELECT sum(value_usd) FROM trade_flows f JOIN product_groups g USING (hs6) "
            "WHERE g.product_group = 'parts_accessories' AND f.year = 2017").fetchone() == (130.0,)
        assert [r[0] for r in con.execute("SELECT view_name FROM rvc_views ORDER BY 1").fetchall()] == [
            "indicator_panel", "product_groups", "trade_flows", "trade_indicators"]


def test_views_see_new_years_without_rebuild_and_new_assets_after_refresh(small_warehouse: Path) -> None:
    database = build_views_database(small_warehouse)
    _flows([(2018, "JPN", "VNM", "870899", 3.0)]).to_parquet(small_warehouse / "trade_flows" / "2018.parquet", index=False)
    assert views_are_current(small_warehouse)  # a new year is not a new view
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute("SELECT max(year), count(*) FROM trade_flows").fetchone() == (2018, 9)
    pd.DataFrame({"iso3": ["THA"]}).to_parquet(small_warehouse / "regions.parquet", index=False)
    assert not views_are_current(small_warehouse)
    assert refresh_views(small_warehouse) is True and refresh_views(small_warehouse) is False
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute("SELECT iso3 FROM regions").fetchall() == [("THA",)]


def test_a_moved_warehouse_is_rebuilt_and_reads_its_new_folder(small_warehouse: Path, tmp_path: Path) -> None:
    build_views_database(small_warehouse)
    moved = tmp_path / "moved"
    shutil.move(small_warehouse, moved)
    assert not views_are_current(moved)  # the file still names the old folder
    assert refresh_views(moved) is True
    with duckdb.connect(str(moved / DATABASE_NAME), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM trade_flows").fetchone() == (8,)
        assert con.execute("SELECT DISTINCT warehouse FROM rvc_views").fetchall() == [(str(moved.resolve()),)]


def test_a_rebuild_replaces_the_file_atomically_and_an_open_session_keeps_reading(small_warehouse: Path) -> None:
    database = build_views_database(small_warehouse)
    before = database.stat().st_ino
    reader = duckdb.connect(str(database), read_only=True)
    try:
        assert reader.execute("SELECT count(*) FROM trade_flows").fetchone() == (8,)
        build_views_database(small_warehouse)
        assert database.stat().st_ino != before  # a new file renamed into place, not rewritten in place
        assert reader.execute("SELECT count(*) FROM trade_flows").fetchone() == (8,)  # the old file still answers
    finally:
        reader.close()
    assert not [p for p in small_warehouse.iterdir() if p.name.endswith(".tmp")]


# ---------------------------------------------------------------------------------------------- demo warehouse

DEMO_YEARS = ["2016", "2017"]


@pytest.fixture(scope="module")
def demo_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample through the real jobs in `rvc backfill` order: clean every year, pool the weights, harmonize."""
    root = tmp_path_factory.mktemp("demo") / "warehouse"
    defs = build_defs(load_settings({"RVC_WAREHOUSE": str(root)}))
    instance = dg.DagsterInstance.ephemeral()
    quiet = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}

    def run(job: str, partition: str | None = None) -> None:
        result = defs.resolve_job_def(job).execute_in_process(instance=instance, partition_key=partition, run_config=quiet)
        assert result.success, job

    run("reference_tables")
    for year in DEMO_YEARS:
        run("yearly_cleaning", year)
    run("conversion_weights")
    for year in DEMO_YEARS:
        run("yearly_harmonization", year)
    run("panel_and_report")
    return root


def test_runs_leave_a_current_views_file_without_being_asked(demo_warehouse: Path) -> None:
    # Nothing but the jobs ran: the IO manager rebuilt the file whenever an asset appeared.
    assert views_are_current(demo_warehouse)
    stored = sum(pq.ParquetFile(p).metadata.num_rows for p in (demo_warehouse / "trade_flows").glob("*.parquet"))
    in_2017 = pq.ParquetFile(demo_warehouse / "trade_flows" / "2017.parquet").metadata.num_rows
    with duckdb.connect(str(demo_warehouse / DATABASE_NAME), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM trade_flows").fetchone() == (stored,)
        assert con.execute("SELECT count(*) FROM trade_flows WHERE year = 2017").fetchone() == (in_2017,)
        views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    assert {"trade_flows", "trade_indicators", "indicator_panel", "comtrade_raw", "product_groups", "regions"} <= views


def test_rvc_export_writes_a_dta_the_colleague_can_read(demo_warehouse: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("RVC_WAREHOUSE", str(demo_warehouse))
    out = tmp_path / "jpn_parts.dta"
    status = cli.main(["export", "trade_flows", "--years", "2017", "--countries", "JPN", "--product-groups",
                       "parts_accessories", "--out", str(out)])
    assert status == 0, capsys.readouterr().err
    # The same rows computed independently: the stored year, the product_groups table, pandas.
    flows = pd.read_parquet(demo_warehouse / "trade_flows" / "2017.parquet")
    groups = pd.read_parquet(demo_warehouse / "product_groups.parquet")
    parts = set(groups.loc[groups["product_group"] == "parts_accessories", "hs6"])
    expected = flows[(flows["exporter"] == "JPN") & flows["hs6"].isin(parts)].reset_index(drop=True)
    back = pd.read_stata(out)
    assert len(back) == len(expected) > 10
    assert back["importer"].tolist() == expected["importer"].tolist()
    assert back["hs6"].tolist() == expected["hs6"].tolist()
    assert back["value_usd"].tolist() == pytest.approx(expected["value_usd"].tolist(), rel=0, abs=0)
    # Descriptions come from the pandera schema the asset declares.
    from checks.harmonization import trade_flows_schema

    dictionary = pd.read_csv(tmp_path / "jpn_parts.dictionary.csv", keep_default_na=False).set_index("column")
    assert dictionary.loc["value_usd", "description"] == trade_flows_schema.columns["value_usd"].description
    with StataReader(out) as reader:
        assert reader.variable_labels()["exporter"] == trade_flows_schema.columns["exporter"].description


def test_rvc_export_error_is_one_line_and_exit_status_2(demo_warehouse: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("RVC_WAREHOUSE", str(demo_warehouse))
    assert cli.main(["export", "trade_flows", "--years", "1990", "--out", str(tmp_path / "x.csv")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("rvc export: trade_flows has no year 1990; stored years: 2016–2017") and "\n" not in err
    assert not (tmp_path / "x.csv").exists()


def _readme_recipes() -> list[str]:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Taking tables away"):readme.index("## Operations")]
    return re.findall(r"```sql\n(.*?)```", section, flags=re.S)


def _indicator(con, indicator: str, country: str, partner: str, group: str) -> dict[int, float]:
    rows = con.execute(
        "SELECT year, value FROM trade_indicators WHERE indicator = ? AND country = ? AND partner = ? "
        "AND product_group = ? AND variant = 'reconciled'", [indicator, country, partner, group]).fetchall()
    return {int(year): value for year, value in rows}


def test_readme_sql_recipes_agree_with_the_indicators(demo_warehouse: Path) -> None:
    japan_share, thai_vehicles, parts_ratio = _readme_recipes()
    with duckdb.connect(str(demo_warehouse / DATABASE_NAME), read_only=True) as con:
        members = {int(y): {r[0] for r in con.execute(
            "SELECT iso3 FROM regions WHERE region = 'ASEAN' AND coalesce(from_year, 0) <= ? AND ? <= coalesce(to_year, 9999)",
            [int(y), int(y)]).fetchall()} for y in DEMO_YEARS}

        # 1. Japan's share of ASEAN parts imports = sum over members of imports from JPN / imports from WLD.
        shares = con.execute(japan_share).fetchall()
        assert [r[0] for r in shares] == [2016, 2017]
        for year, share, total in shares:
            from_japan = sum(_indicator(con, "imports_usd", c, "JPN", "parts_accessories").get(year, 0.0) for c in members[year])
            from_world = sum(_indicator(con, "imports_usd", c, "WLD", "parts_accessories").get(year, 0.0) for c in members[year])
            assert total == pytest.approx(from_world, rel=1e-9)
            assert share == pytest.approx(from_japan / from_world, rel=1e-9)
            assert 0.0 < share < 1.0

        # 2. Thailand's vehicle exports: to ASEAN = the ASEAN exports indicator; beyond = WLD minus ASEAN.
        for year, to_asean, beyond in con.execute(thai_vehicles).fetchall():
            groups = ("passenger_cars", "commercial_vehicles")
            asean = sum(_indicator(con, "exports_usd", "THA", "ASEAN", g)[year] for g in groups)
            world = sum(_indicator(con, "exports_usd", "THA", "WLD", g)[year] for g in groups)
            assert to_asean == pytest.approx(asean, rel=1e-9) and to_asean > 0
            assert beyond == pytest.approx(world - asean, rel=1e-9) and beyond > 0

        # 3. Parts-to-vehicles ratio of each member's imports from Japan = the parts_to_vehicles_ratio indicator.
        ratios = con.execute(parts_ratio).fetchall()
        assert len(ratios) >= 2 * 5
        for year, country, ratio in ratios:
            assert ratio == pytest.approx(_indicator(con, "parts_to_vehicles_ratio", country, "JPN", "all_automotive")[year], rel=1e-9)


def test_views_command_rebuilds_for_a_copied_warehouse(demo_warehouse: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    copy = tmp_path / "elsewhere"
    shutil.copytree(demo_warehouse, copy, ignore=shutil.ignore_patterns(".cache", "comtrade_raw", "rvc_report"))
    assert not views_are_current(copy)
    monkeypatch.setenv("RVC_WAREHOUSE", str(copy))
    assert cli.main(["views"]) == 0
    printed = capsys.readouterr().out
    assert str(copy / DATABASE_NAME) in printed and "trade_flows, trade_indicators" in printed
    assert views_are_current(copy)
    with duckdb.connect(str(copy / DATABASE_NAME), read_only=True) as con:
        assert "comtrade_raw" not in {r[0] for r in con.execute("SELECT view_name FROM rvc_views").fetchall()}
        assert con.execute("SELECT DISTINCT warehouse FROM rvc_views").fetchone() == (str(copy.resolve()),)
