"""comtrade_raw in API mode: downloads through our client from a local server, then reads the saved responses."""

import re
from pathlib import Path

import dagster as dg
import pandas as pd
from pytest_httpserver import HTTPServer

from assets.raw import comtrade_raw
from pipelines.io_managers import ParquetIOManager
from pipelines.resources import RvcConfig

REPO_ROOT = Path(__file__).resolve().parents[2]  # tests must not import conftest: there are several

RESPONSE = (REPO_ROOT / "tests" / "fixtures" / "api" / "comtrade_get_JPN_8703_2020_X.json").read_text()
KEY = "test-key-7f3a9c"


def test_api_mode_downloads_saves_and_reads_with_provenance(tmp_path: Path, httpserver_ipv4: HTTPServer) -> None:
    httpserver = httpserver_ipv4  # 127.0.0.1, like the client tests
    httpserver.expect_request(re.compile(r"/data/v1/get/C/A/HS")).respond_with_data(RESPONSE, content_type="application/json")
    rvc = RvcConfig(
        extracts_dir=str(tmp_path / "extracts"),
        reference_dir=str(tmp_path / "reference"),
        warehouse_dir=str(tmp_path / "wh"),
        comtrade_source="api",
        comtrade_api_base_url=httpserver.url_for("/").rstrip("/"),
        comtrade_api_key=KEY,
        comtrade_api_reporters="392",
        comtrade_api_commodities="8703",
    )
    result = dg.materialize(
        [comtrade_raw], partition_key="2020",
        resources={"rvc": rvc, "io_manager": ParquetIOManager(warehouse_dir=str(tmp_path / "wh"))},
    )
    assert result.success

    request, _response = httpserver.log[0]
    assert request.headers["Ocp-Apim-Subscription-Key"] == KEY
    assert KEY not in request.url

    rows = pd.read_parquet(tmp_path / "wh" / "comtrade_raw" / "2020.parquet")
    assert len(rows) == 2 and set(rows["partnerISO"]) == {"IDN", "THA"}
    assert (rows["source_layout"] == "plus_api_json").all()
    assert rows["api_query"].notna().all() and rows["retrieved_at"].notna().all()
    saved = list((tmp_path / "extracts" / "comtrade" / "api").glob("*.json"))
    assert any(p.name.endswith(".query.json") for p in saved)
    for path in saved:
        assert KEY not in path.read_text()
    assert KEY not in rows.to_csv()
    events = "\n".join(str(event) for event in result.all_events)
    assert KEY not in events  # never in logs or metadata

    # A re-run finds the saved response and does not download again.
    again = dg.materialize(
        [comtrade_raw], partition_key="2020",
        resources={"rvc": rvc, "io_manager": ParquetIOManager(warehouse_dir=str(tmp_path / "wh"))},
    )
    assert again.success and len(httpserver.log) == 1
