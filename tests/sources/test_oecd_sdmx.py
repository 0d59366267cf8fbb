"""The OECD SDMX client (assets/sources/oecd_sdmx.py) against hand-written SDMX-CSV answers on 127.0.0.1."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from assets.errors import RvcSourceError
from assets.sources.http_fetch import sidecar_path_for
from assets.sources.oecd_sdmx import (
    ASEAN10_AND_JAPAN,
    CSV_ACCEPT,
    DEFAULT_TIVA_KEY,
    TIVA_MAINLV_DATAFLOW,
    OecdSdmxClient,
    count_sdmx_rows,
    sdmx_csv_columns,
    tiva_key,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "api"
DATA_PATH = f"/data/{TIVA_MAINLV_DATAFLOW}/{DEFAULT_TIVA_KEY}"
FIXED_NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)




@pytest.fixture
def client(server: HTTPServer, tmp_path: Path, sleeps: list[float]) -> OecdSdmxClient:
    return OecdSdmxClient(
        server.url_for(""), extracts_dir=tmp_path, max_tries=3, sleep=sleeps.append,
        clock=lambda: FIXED_NOW, timeout_s=(2.0, 5.0),
    )


@pytest.mark.parametrize("fixture", ["tiva_sdmx_csv_v1_labels.csv", "tiva_sdmx_csv_v2_labels.csv"])
def test_fetch_tiva_saves_sdmx_csv_unchanged(
    server: HTTPServer, client: OecdSdmxClient, tmp_path: Path, fixture: str
) -> None:
    body = (FIXTURES / fixture).read_bytes()
    server.expect_request(
        DATA_PATH,
        query_string={"format": "csvfilewithlabels", "startPeriod": "1995", "endPeriod": "2022"},
        headers={"Accept": CSV_ACCEPT},
    ).respond_with_data(body, content_type="application/vnd.sdmx.data+csv; charset=utf-8")

    path = client.fetch_tiva(start_year=1995, end_year=2022)

    assert path.parent == tmp_path / "tiva" / "api" and path.suffix == ".csv"
    assert path.read_bytes() == body
    sidecar = json.loads(sidecar_path_for(path).read_text())
    assert sidecar == {
        "url": server.url_for(DATA_PATH),
        "params": {"endPeriod": "2022", "format": "csvfilewithlabels", "startPeriod": "1995"},
        "retrieved_at": "2024-05-01T12:00:00Z",
        "status": 200,
    }


def test_a_rerun_does_not_ask_again(server: HTTPServer, client: OecdSdmxClient) -> None:
    server.expect_request(DATA_PATH).respond_with_data((FIXTURES / "tiva_sdmx_csv_v1_labels.csv").read_bytes())

    first = client.fetch_tiva()
    second = client.fetch_tiva()

    assert first == second and len(server.log) == 1
    assert "startPeriod" not in server.log[0][0].args


def test_503_then_success(server: HTTPServer, client: OecdSdmxClient, sleeps: list[float]) -> None:
    server.expect_oneshot_request(DATA_PATH).respond_with_data("Service Unavailable", status=503)
    server.expect_request(DATA_PATH).respond_with_data((FIXTURES / "tiva_sdmx_csv_v2_labels.csv").read_bytes())

    path = client.fetch_tiva()

    assert [r.status_code for _, r in server.log] == [503, 200] and sleeps == [1.0]
    assert path.read_bytes() == (FIXTURES / "tiva_sdmx_csv_v2_labels.csv").read_bytes()


def test_503_every_time_fails_after_max_tries(server: HTTPServer, client: OecdSdmxClient) -> None:
    server.expect_request(DATA_PATH).respond_with_data("Service Unavailable", status=503)

    with pytest.raises(RvcSourceError, match=r"after 3 tries.*HTTP 503"):
        client.fetch_tiva()

    assert len(server.log) == 3


def test_an_html_error_page_sent_with_200_is_rejected_and_asked_again_next_run(
    server: HTTPServer, client: OecdSdmxClient, tmp_path: Path
) -> None:
    server.expect_request(DATA_PATH).respond_with_data(
        (FIXTURES / "oecd_error_page.html").read_bytes(), content_type="text/html"
    )

    with pytest.raises(RvcSourceError, match="answered with HTML, not SDMX-CSV") as excinfo:
        client.fetch_tiva()

    assert not list((tmp_path / "tiva" / "api").glob("*.csv"))  # nothing a TiVA reader would take
    kept = next((tmp_path / "tiva" / "api").glob("*.csv.unverified"))
    assert str(kept) in str(excinfo.value)
    assert kept.read_bytes() == (FIXTURES / "oecd_error_page.html").read_bytes()
    with pytest.raises(RvcSourceError):
        client.fetch_tiva()
    assert len(server.log) == 2


def test_sdmx_ml_is_rejected(server: HTTPServer, client: OecdSdmxClient) -> None:
    server.expect_request(DATA_PATH).respond_with_data(
        '<?xml version="1.0" encoding="utf-8"?><message:GenericData xmlns:message="x"/>'
    )

    with pytest.raises(RvcSourceError, match="answered with XML"):
        client.fetch_tiva()


def test_a_404_no_records_fails_at_once_with_the_message(server: HTTPServer, client: OecdSdmxClient) -> None:
    server.expect_request(DATA_PATH).respond_with_data("NoRecordsFound: No records found.", status=404)

    with pytest.raises(RvcSourceError, match=r"HTTP 404.*NoRecordsFound"):
        client.fetch_tiva()

    assert len(server.log) == 1


def test_a_csv_without_the_sdmx_columns_is_rejected(real_data_dir: Path, tmp_path: Path) -> None:
    # The committed TiVA extract was re-written from SDMX-ML: dimension columns, no DATAFLOW.
    real = real_data_dir / "tiva" / "tiva2025_MAINLV_EXGR_DVA_10asia_vs_OECD_totalactivity_2000-2022.csv"
    with real.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    assert "DATAFLOW" not in header and "TIME_PERIOD" in header

    with pytest.raises(RvcSourceError, match="missing DATAFLOW or STRUCTURE_ID"):
        sdmx_csv_columns(real)

    with_dataflow = tmp_path / "with_dataflow.csv"
    with_dataflow.write_text("DATAFLOW," + real.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    assert sdmx_csv_columns(with_dataflow) == ["DATAFLOW", *header]


def test_label_headers_are_read_as_column_ids(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    path.write_bytes(b"\xef\xbb\xbfDATAFLOW: Dataflow,TIME_PERIOD: Time period,OBS_VALUE: Observation value\n")

    assert sdmx_csv_columns(path) == ["DATAFLOW", "TIME_PERIOD", "OBS_VALUE"]


def test_sdmx_csv_2_with_semicolons_and_multi_value_marker_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "v2.csv"
    path.write_text("STRUCTURE[|];STRUCTURE_ID;ACTION;MEASURE;TIME_PERIOD;OBS_VALUE\n", encoding="utf-8")

    assert sdmx_csv_columns(path) == ["STRUCTURE", "STRUCTURE_ID", "ACTION", "MEASURE", "TIME_PERIOD", "OBS_VALUE"]


def test_default_key_has_the_six_tiva_dimensions_and_the_japan_asean_areas() -> None:
    measure, ref_area, activity, counterpart, unit, freq = DEFAULT_TIVA_KEY.split(".")
    assert measure.split("+") == ["EXGR", "EXGR_DVA", "EXGR_FVA"]
    assert set(ref_area.split("+")) == set(ASEAN10_AND_JAPAN) and len(ASEAN10_AND_JAPAN) == 11
    assert activity.split("+") == ["C29", "_T"] and (counterpart, unit, freq) == ("", "", "")


def test_tiva_key_joins_codes_per_dimension_and_leaves_open_ones_empty() -> None:
    assert tiva_key(["EXGR_DVA"], ["JPN", "THA"], ["C29", "_T"]) == "EXGR_DVA.JPN+THA.C29+_T..."
    assert tiva_key(["EXGR"], ["JPN"], ["C29"], ["W", "OECD"]) == "EXGR.JPN.C29.W+OECD.."
    assert DEFAULT_TIVA_KEY == "EXGR+EXGR_DVA+EXGR_FVA.JPN+BRN+KHM+IDN+LAO+MYS+MMR+PHL+SGP+THA+VNM.C29+_T..."
    with pytest.raises(ValueError, match="letters, digits and '_' only"):
        tiva_key(["EXGR.DVA"], ["JPN"], ["C29"])


def test_count_sdmx_rows_counts_records_not_lines(tmp_path: Path) -> None:
    assert count_sdmx_rows(FIXTURES / "tiva_sdmx_csv_v1_labels.csv") == 2  # a quoted label holds commas
    quoted = tmp_path / "q.csv"
    quoted.write_text('DATAFLOW,TIME_PERIOD,OBS_VALUE,NOTE\nX,2020,1.5,"two\nlines"\nX,2021,2.5,\n', encoding="utf-8")
    assert count_sdmx_rows(quoted) == 2


def test_no_records_found_can_be_an_empty_answer_but_a_wrong_path_never(
    server: HTTPServer, client: OecdSdmxClient, tmp_path: Path
) -> None:
    server.expect_request(DATA_PATH).respond_with_data("NoRecordsFound: No records found.", status=404)

    assert client.fetch_tiva(start_year=2030, end_year=2030, no_records_ok=True) is None
    assert not (tmp_path / "tiva" / "api").exists() or not list((tmp_path / "tiva" / "api").iterdir())
    with pytest.raises(RvcSourceError, match="HTTP 404"):
        client.fetch_tiva(dataflow="OECD.STI.PIE,DSD_NOPE@DF_NOPE,1.0", no_records_ok=True)  # 404 without that text
