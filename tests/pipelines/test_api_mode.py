"""API mode end to end against a local server: comtrade_raw and tiva_raw download through our clients, save
the answers where the file readers read them, and read them back; settings by ISO3 or M49 from the
environment or a config file; a progress line per query in the run log and on the console."""

import copy
import json
import re
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from pytest_httpserver import HTTPServer

from assets.raw import comtrade_raw, tiva_raw
from assets.sources.oecd_sdmx import TIVA_MAINLV_DATAFLOW
from pipelines.definitions import build_resources
from pipelines.io_managers import ParquetIOManager
from pipelines.resources import RvcConfig
from pipelines.settings import load_settings

REPO_ROOT = Path(__file__).resolve().parents[2]  # tests must not import conftest: there are several
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "api"
REFERENCE = FIXTURES / "reference"  # hand-written HS nomenclature: 8703 has 9 lines in H4, 14 in H6
RESPONSE = (FIXTURES / "comtrade_get_JPN_8703_2020_X.json").read_text()
TIVA_CSV = (FIXTURES / "tiva_sdmx_csv_v1_labels.csv").read_bytes()
KEY = "test-key-7f3a9c"
HS6_8703 = "870310,870321,870322,870323,870324,870331,870332,870333,870340,870350,870360,870370,870380,870390"
DATA_PATH = re.compile(r"/data/v1/get/C/A/HS")
ANY_DATA_PATH = re.compile(r"/(data/v1/get|public/v1/preview)/C/A/HS")


@pytest.fixture
def server(httpserver_ipv4: HTTPServer) -> HTTPServer:
    """pytest-httpserver on 127.0.0.1; an unexpected request answers 404, not retried, so a wrong request fails fast."""
    httpserver_ipv4.no_handler_status_code = 404
    return httpserver_ipv4


def hs6_response() -> str:
    """The fixture answer as the HS6 request gets it: the same two records, filed under 870323."""
    envelope = json.loads(RESPONSE)
    envelope["data"] = [dict(copy.deepcopy(r), cmdCode="870323", aggrLevel=6, isLeaf=True) for r in envelope["data"]]
    return json.dumps(envelope)


def materialize(asset, rvc: RvcConfig, tmp_path: Path, year: str, instance: dg.DagsterInstance | None = None, **kwargs):
    return dg.materialize(
        [asset], partition_key=year, instance=instance,
        resources={"rvc": rvc, "io_manager": ParquetIOManager(warehouse_dir=str(tmp_path / "wh"))}, **kwargs,
    )


def run_messages(instance: dg.DagsterInstance, result) -> list[str]:
    return [entry.user_message for entry in instance.all_logs(result.run_id) if entry.user_message]


def test_api_mode_by_iso3_asks_hs6_lines_logs_progress_and_reads_with_provenance(
    tmp_path: Path, server: HTTPServer, capfd: pytest.CaptureFixture
) -> None:
    httpserver = server
    httpserver.expect_request(DATA_PATH).respond_with_data(hs6_response(), content_type="application/json")
    rvc = RvcConfig(
        extracts_dir=str(tmp_path / "extracts"), reference_dir=str(REFERENCE), warehouse_dir=str(tmp_path / "wh"),
        comtrade_source="api", comtrade_api_base_url=httpserver.url_for("/").rstrip("/"), comtrade_api_key=KEY,
        comtrade_api_reporters="JPN", comtrade_api_commodities="8703",
    )
    instance = dg.DagsterInstance.ephemeral()

    result = materialize(comtrade_raw, rvc, tmp_path, "2020", instance)

    assert result.success
    request, _response = httpserver.log[0]
    # The request shape the default asks for: JPN as 392, the heading as its HS6 lines (every edition's),
    # every partner (no partnerCode), both flows, totals only, the keyed cap.
    assert dict(request.args) == {
        "reporterCode": "392", "period": "2020", "cmdCode": HS6_8703, "flowCode": "M,X",
        "partner2Code": "0", "customsCode": "C00", "motCode": "0", "includeDesc": "true", "maxRecords": "100000",
    }
    assert request.headers["Ocp-Apim-Subscription-Key"] == KEY and KEY not in request.url

    rows = pd.read_parquet(tmp_path / "wh" / "comtrade_raw" / "2020.parquet")
    assert len(rows) == 2 and set(rows["partnerISO"]) == {"IDN", "THA"} and set(rows["cmdCode"]) == {"870323"}
    assert (rows["source_layout"] == "plus_api_json").all()
    assert rows["api_query"].notna().all() and rows["retrieved_at"].notna().all()
    saved = list((tmp_path / "extracts" / "comtrade" / "api").glob("*.json"))
    assert any(p.name.endswith(".query.json") for p in saved)
    for path in saved:
        assert KEY not in path.read_text()
    assert KEY not in rows.to_csv()
    events = "\n".join(str(event) for event in result.all_events)
    assert KEY not in events  # never in logs or metadata

    progress = [m for m in run_messages(instance, result) if m.startswith("Comtrade query")]
    assert len(progress) == 1
    assert re.fullmatch(
        r"Comtrade query 1 of 1: reporter JPN \(392\), year 2020, flow M,X, partners all, 14 commodities "
        r"\(870310-870390-n14\) — 2 rows in \d+\.\d s \(downloaded 1 answer\(s\)\)", progress[0]
    ), progress[0]
    assert "8703 → 14 HS6 lines" in "\n".join(run_messages(instance, result))
    assert "Comtrade query 1 of 1: reporter JPN (392)" in capfd.readouterr().err  # the console too

    # A re-run finds the saved response, does not download again, and says so.
    again = materialize(comtrade_raw, rvc, tmp_path, "2020", instance)
    assert again.success and len(httpserver.log) == 1
    assert any("(saved earlier, not asked again)" in m for m in run_messages(instance, again))


def test_api_settings_from_a_config_file_reach_the_request(
    tmp_path: Path, server: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.expect_request(ANY_DATA_PATH).respond_with_data(hs6_response(), content_type="application/json")
    config = tmp_path / "api.toml"
    config.write_text(
        f'[comtrade]\nsource = "api"\nbase_url = "{server.url_for("/").rstrip("/")}"\n'
        'reporters = ["JPN"]\npartners = ["THA", 360, "World"]\ncommodities = ["8703", "TOTAL"]\nflows = ["X"]\n',
        encoding="utf-8",
    )
    monkeypatch.delenv("COMTRADE_API_KEY", raising=False)
    settings = load_settings({
        "RVC_EXTRACTS": str(tmp_path / "extracts"), "RVC_WAREHOUSE": str(tmp_path / "wh"),
        "RVC_REFERENCE": str(REFERENCE), "RVC_API_CONFIG": str(config),
    })

    result = dg.materialize([comtrade_raw], partition_key="2020", resources=build_resources(settings))

    assert result.success
    args = server.log[0][0].args
    assert server.log[0][0].path == "/public/v1/preview/C/A/HS"  # no key: preview mode
    assert (args["reporterCode"], args["partnerCode"], args["flowCode"]) == ("392", "0,360,764", "X")
    assert args["cmdCode"] == f"{HS6_8703},TOTAL" and args["maxRecords"] == "500"


def test_an_unknown_reporter_code_fails_naming_the_setting_before_any_request(
    tmp_path: Path, server: HTTPServer
) -> None:
    settings = load_settings({
        "RVC_EXTRACTS": str(tmp_path / "extracts"), "RVC_WAREHOUSE": str(tmp_path / "wh"), "RVC_REFERENCE": str(REFERENCE),
        "RVC_COMTRADE_SOURCE": "api", "RVC_COMTRADE_API_URL": server.url_for("/").rstrip("/"),
        "RVC_COMTRADE_REPORTERS": "JPN, THI, 999",
    })

    result = dg.materialize([comtrade_raw], partition_key="2020", resources=build_resources(settings), raise_on_error=False)

    assert not result.success and len(server.log) == 0
    failure = result.failure_data_for_node("comtrade_raw").error
    message = failure.cause.message if failure.cause else failure.message
    assert "RVC_COMTRADE_REPORTERS: unknown country code(s) 'THI', '999'" in message
    assert "ISO3 country codes (e.g. JPN" in message


def test_tiva_raw_in_api_mode_downloads_saves_under_tiva_api_and_reads_back(tmp_path: Path, server: HTTPServer) -> None:
    key = "EXGR_DVA+EXGR_FVA.JPN+THA.C29..."  # countries given as ISO3 and M49 (764 → THA); counterparts open
    server.expect_request(
        f"/data/{TIVA_MAINLV_DATAFLOW}/{key}",
        query_string={"format": "csvfilewithlabels", "startPeriod": "2020", "endPeriod": "2020"},
    ).respond_with_data(TIVA_CSV, content_type="application/vnd.sdmx.data+csv; charset=utf-8")
    server.expect_request(
        f"/data/{TIVA_MAINLV_DATAFLOW}/{key}", query_string={"format": "csvfilewithlabels", "startPeriod": "2023", "endPeriod": "2023"},
    ).respond_with_data("NoRecordsFound: No records found.", status=404)
    settings = load_settings({
        "RVC_EXTRACTS": str(tmp_path / "extracts"), "RVC_WAREHOUSE": str(tmp_path / "wh"), "RVC_REFERENCE": str(REFERENCE),
        "RVC_TIVA_SOURCE": "api", "RVC_OECD_API_URL": server.url_for("/").rstrip("/"),
        "RVC_TIVA_COUNTRIES": "JPN,764", "RVC_TIVA_MEASURES": "EXGR_DVA,EXGR_FVA", "RVC_TIVA_INDUSTRIES": "C29",
    })
    resources = build_resources(settings)
    instance = dg.DagsterInstance.ephemeral()

    result = dg.materialize([tiva_raw], partition_key="2020", resources=resources, instance=instance)

    assert result.success and len(server.log) == 1
    saved = [p for p in (tmp_path / "extracts" / "tiva" / "api").iterdir() if p.suffix == ".csv"]
    assert len(saved) == 1 and saved[0].read_bytes() == TIVA_CSV
    rows = result.output_for_node("tiva_raw")
    assert list(zip(rows["measure"], rows["country"], rows["partner"], rows["obs_value"], strict=True)) == [
        ("EXGR_DVA", "JPN", "W", 98765.4), ("EXGR_FVA", "THA", "JPN", 321.9),
    ]
    assert set(rows["source_file"]) == {f"api/{saved[0].name}"} and (rows["source_layout"] == "sdmx_csv_v1").all()
    assert any(m.startswith("OECD TiVA query 1 of 1: year 2020, countries JPN, THA, measures EXGR_DVA, EXGR_FVA, activities C29, counterparts all — 2 rows in ")
               for m in run_messages(instance, result))

    again = dg.materialize([tiva_raw], partition_key="2020", resources=resources)
    assert again.success and len(server.log) == 1  # saved: not asked again

    # A year the edition does not cover: the OECD says no records; the year is empty, with a warning.
    empty = dg.materialize([tiva_raw], partition_key="2023", resources=resources, instance=instance)
    assert empty.success and len(empty.output_for_node("tiva_raw")) == 0
    assert any("no records for 2023" in m for m in run_messages(instance, empty))


def test_the_release_sensor_asks_availability_for_iso3_reporters_as_m49(tmp_path: Path, server: HTTPServer) -> None:
    from pipelines.sensors import comtrade_release_sensor

    server.expect_request("/public/v1/getDA/C/A/HS").respond_with_data(
        (FIXTURES / "comtrade_getDA_JPN_THA_2019-2020.json").read_bytes(), content_type="application/json"
    )
    rvc = RvcConfig(
        extracts_dir=str(tmp_path / "extracts"), reference_dir=str(REFERENCE), warehouse_dir=str(tmp_path / "wh"),
        comtrade_source="api", comtrade_api_base_url=server.url_for("/").rstrip("/"), comtrade_api_reporters="THA, JPN",
    )

    comtrade_release_sensor(dg.build_sensor_context(resources={"rvc": rvc}))

    assert server.log[0][0].args["reporterCode"] == "392,764"


def test_api_mode_without_rvc_extracts_refuses_to_download_into_the_bundled_sample(server: HTTPServer, tmp_path: Path) -> None:
    settings = load_settings({
        "RVC_WAREHOUSE": str(tmp_path / "wh"), "RVC_TIVA_SOURCE": "api", "RVC_OECD_API_URL": server.url_for("/").rstrip("/"),
    })

    result = dg.materialize([tiva_raw], partition_key="2020", resources=build_resources(settings), raise_on_error=False)

    assert not result.success and len(server.log) == 0
    error = result.failure_data_for_node("tiva_raw").error
    assert "RVC_TIVA_SOURCE=api downloads into RVC_EXTRACTS, which is not set" in (error.cause or error).message


def test_default_commodities_and_tiva_activities_follow_the_scope_file(tmp_path: Path, server: HTTPServer) -> None:
    """No commodity or activity setting: the electronics scope's headings 8541 and 8542 are asked as their HS6
    lines (from a hand-written nomenclature), with TOTAL; TiVA asks for the scope's activities C26 and _T."""
    from assets.transforms.reference.scope import SCOPES_DIR

    reference = tmp_path / "reference" / "hs_nomenclature"
    reference.mkdir(parents=True)
    (reference / "comtradeplus_ref_H6_HS2022.csv").write_text(
        "id,text,parent,isLeaf,aggrlevel,standardUnitAbbr,last_modified\n"
        "8541,8541 - Semiconductor devices (fixture),85,0,4,n/a,2024-01-16\n"
        "854110,854110 - Diodes (fixture),8541,1,6,u,2024-01-16\n"
        "854149,854149 - Transistors (fixture),8541,1,6,u,2024-01-16\n"
        "854231,854231 - Processors (fixture),8542,1,6,u,2024-01-16\n"
        "854239,854239 - Other ICs (fixture),8542,1,6,u,2024-01-16\n"
        "870323,870323 - Cars (fixture),8703,1,6,u,2024-01-16\n",
        encoding="utf-8",
    )
    server.expect_request(DATA_PATH).respond_with_data(hs6_response(), content_type="application/json")
    tiva_key = f"/data/{TIVA_MAINLV_DATAFLOW}/EXGR.JPN.C26+_T..."
    server.expect_request(tiva_key).respond_with_data(TIVA_CSV, content_type="application/vnd.sdmx.data+csv; charset=utf-8")
    rvc = RvcConfig(
        extracts_dir=str(tmp_path / "extracts"), reference_dir=str(tmp_path / "reference"), warehouse_dir=str(tmp_path / "wh"),
        comtrade_source="api", comtrade_api_base_url=server.url_for("/").rstrip("/"), comtrade_api_key=KEY,
        comtrade_api_reporters="JPN", tiva_source="api", tiva_api_base_url=server.url_for("/").rstrip("/"),
        tiva_api_countries="JPN", tiva_api_measures="EXGR", scope_path=str(SCOPES_DIR / "electronics.yaml"),
    )
    assert rvc.comtrade_api_commodities == "" and rvc.tiva_api_industries == ""  # the defaults: from the scope

    assert materialize(comtrade_raw, rvc, tmp_path, "2020").success
    assert server.log[0][0].args["cmdCode"] == "854110,854149,854231,854239,TOTAL"  # no car line: not in the scope

    materialize(tiva_raw, rvc, tmp_path, "2020", raise_on_error=False)
    assert server.log[1][0].path == tiva_key  # the activities of the scope's tiva_activities, C26 and _T
