"""The Comtrade+ API client (assets/sources/comtrade_api.py) against recorded-format answers on 127.0.0.1.

Fixtures under tests/fixtures/api/ are hand-written in the layout of the real recorded answers; one
test replays a real recorded answer from ../shared/data/real.
"""

from __future__ import annotations

import copy
import itertools
import json
import logging
import traceback
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from assets.errors import RvcInputError, RvcSourceError
from assets.sources.comtrade_api import (
    ComtradeClient,
    ComtradeQuery,
    normalise_query,
    plan_queries,
    released_since,
)
from assets.sources.http_fetch import sidecar_path_for

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "api"
GET_FIXTURE = FIXTURES / "comtrade_get_JPN_8703_2020_X.json"
KEY = "0123456789abcdef0123456789abcdef"
PREVIEW = "/public/v1/preview/C/A/HS"
KEYED = "/data/v1/get/C/A/HS"
FIXED_NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)




@pytest.fixture
def make_client(server: HTTPServer, tmp_path: Path, sleeps: list[float]):
    def make(api_key: str | None = None, max_tries: int = 5) -> ComtradeClient:
        return ComtradeClient(
            server.url_for(""), api_key, extracts_dir=tmp_path, max_tries=max_tries,
            sleep=sleeps.append, clock=lambda: FIXED_NOW, timeout_s=(2.0, 5.0),
        )

    return make


def envelope(records: list[dict], count: int | None = None) -> str:
    return json.dumps({"elapsedTime": "0.1 secs", "count": len(records) if count is None else count,
                       "data": records, "error": ""})


def fixture_records(n: int, reporter: int = 392) -> list[dict]:
    """n copies of the hand-written fixture record, with distinct partner codes."""
    template = json.loads(GET_FIXTURE.read_bytes())["data"][0]
    records = []
    for i in range(n):
        record = copy.deepcopy(template)
        record.update(reporterCode=reporter, partnerCode=1000 + i)
        records.append(record)
    return records


def saved_records(paths: list[Path]) -> list[dict]:
    return [record for path in paths for record in json.loads(path.read_bytes())["data"]]


# --- success, parameters, cache ------------------------------------------------------------------


def test_preview_download_saves_the_answer_unchanged_with_totals_only_parameters(
    server: HTTPServer, make_client, tmp_path: Path
) -> None:
    body = GET_FIXTURE.read_bytes()
    server.expect_request(PREVIEW).respond_with_data(body, content_type="application/json")

    paths = make_client().fetch_annual(["392"], [2020], None, ["8703"], ["X"])

    assert len(paths) == 1 and paths[0].parent == tmp_path / "comtrade" / "api"
    assert paths[0].read_bytes() == body
    request = server.log[0][0]
    assert dict(request.args) == {
        "reporterCode": "392", "period": "2020", "cmdCode": "8703", "flowCode": "X",
        "partner2Code": "0", "customsCode": "C00", "motCode": "0", "includeDesc": "true",
        "maxRecords": "500",
    }
    sidecar = json.loads(sidecar_path_for(paths[0]).read_text())
    assert sidecar["url"] == server.url_for(PREVIEW)
    assert sidecar["params"]["reporterCode"] == "392" and sidecar["status"] == 200
    assert sidecar["retrieved_at"] == "2024-05-01T12:00:00Z"


def test_a_rerun_finds_the_saved_files_and_does_not_ask_again(server: HTTPServer, make_client) -> None:
    server.expect_request(PREVIEW).respond_with_data(GET_FIXTURE.read_bytes())
    first = make_client().fetch_annual(["392"], [2020], None, ["8703"], ["X"])

    second = make_client().fetch_annual(["392"], [2020], None, ["8703"], ["X"])

    assert second == first and len(server.log) == 1


def test_partner_list_is_sent_as_codes_without_leading_zeros(server: HTTPServer, make_client) -> None:
    server.expect_request(PREVIEW).respond_with_data(envelope([]))

    make_client().fetch_annual(["096"], [2019], ["0", "040"], ["870323"], ["M"])

    args = server.log[0][0].args
    assert args["reporterCode"] == "96" and args["partnerCode"] == "0,40" and args["cmdCode"] == "870323"


def test_replaying_a_real_recorded_answer_saves_it_byte_for_byte(
    server: HTTPServer, make_client, real_data_dir: Path
) -> None:
    real = real_data_dir / "comtrade_plus" / "api_get_C_A_HS_CHN_2010_TOTAL.json"
    server.expect_request(KEYED).respond_with_data(real.read_bytes(), content_type="application/json")

    paths = make_client(api_key=KEY).fetch_annual(["156"], [2010], ["32", "276"], ["TOTAL"], ["M", "X"])

    assert [p.read_bytes() for p in paths] == [real.read_bytes()]
    assert server.log[0][0].args["maxRecords"] == "100000"


# --- the key ---------------------------------------------------------------------------------------


def test_key_goes_only_in_the_header_never_in_url_logs_sidecar_or_repr(
    server: HTTPServer, make_client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server.expect_request(KEYED, headers={"Ocp-Apim-Subscription-Key": KEY}).respond_with_data(
        GET_FIXTURE.read_bytes()
    )
    client = make_client(api_key=KEY)

    paths = client.fetch_annual(["392"], [2020], None, ["8703"], ["X"])
    client.fetch_annual(["392"], [2020], None, ["8703"], ["X"])  # cached: logs too

    request = server.log[0][0]
    assert request.headers["Ocp-Apim-Subscription-Key"] == KEY
    assert KEY not in request.url
    assert KEY not in sidecar_path_for(paths[0]).read_text()
    assert caplog.records and all(KEY not in r.getMessage() for r in caplog.records)
    assert KEY not in repr(client) and KEY not in str(client) and "keyed" in repr(client)


def test_key_is_absent_from_exception_text_even_when_the_server_echoes_it(server: HTTPServer, make_client) -> None:
    server.expect_request(KEYED).respond_with_json(
        {"statusCode": 401, "message": f"Access denied due to invalid subscription key {KEY}."}, status=401
    )

    with pytest.raises(RvcSourceError, match="HTTP 401") as excinfo:
        make_client(api_key=KEY).fetch_annual(["392"], [2020], None, ["8703"], ["X"])

    assert KEY not in "".join(traceback.format_exception(excinfo.value))
    assert len(server.log) == 1


# --- truncation ------------------------------------------------------------------------------------


def test_an_answer_at_the_cap_is_split_and_every_part_saved(server: HTTPServer, make_client, tmp_path: Path) -> None:
    answers = {"392,764": fixture_records(500), "392": fixture_records(3, 392), "764": fixture_records(2, 764)}

    def handler(request: Request) -> Response:
        return Response(envelope(answers[request.args["reporterCode"]]), content_type="application/json")

    server.expect_request(PREVIEW).respond_with_handler(handler)
    broad = normalise_query(["392", "764"], [2020], None, ["8703"], ["X"])
    client = make_client()

    paths = client.download([broad])

    assert [r.args["reporterCode"] for r, _ in server.log] == ["392,764", "392", "764"]
    records = saved_records(paths)
    assert sorted(r["reporterCode"] for r in records) == [392, 392, 392, 764, 764]
    truncated = tmp_path / "comtrade" / "api" / (broad.file_name() + ".truncated")
    assert len(json.loads(truncated.read_bytes())["data"]) == 500  # kept, but not among the answers
    assert truncated not in paths and sidecar_path_for(truncated).is_file()
    assert not (tmp_path / "comtrade" / "api" / broad.file_name()).exists()

    assert client.download([broad]) == paths and len(server.log) == 3  # re-run: nothing asked


def test_count_at_the_cap_alone_marks_truncation(server: HTTPServer, make_client) -> None:
    def handler(request: Request) -> Response:
        flows = request.args["flowCode"]
        return Response(envelope(fixture_records(1), count=500 if flows == "M,X" else 1))

    server.expect_request(PREVIEW).respond_with_handler(handler)

    paths = make_client().download([normalise_query(["392"], [2020], ["764"], ["8703"], ["X", "M"])])

    assert [r.args["flowCode"] for r, _ in server.log] == ["M,X", "M", "X"] and len(paths) == 2


def test_an_unsplittable_query_at_the_cap_raises(server: HTTPServer, make_client) -> None:
    server.expect_request(PREVIEW).respond_with_data(envelope(fixture_records(500)))

    with pytest.raises(RvcSourceError, match="cannot be split further") as excinfo:
        make_client().fetch_annual(["392"], [2020], None, ["AG6"], ["X"])

    assert ".truncated" in str(excinfo.value) and "COMTRADE_API_KEY" in str(excinfo.value)
    assert len(server.log) == 1


# --- bad answers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"elapsedTime": "0.1 secs", "count": 2, "data": [{"a": 1}', "malformed JSON"),
        ((FIXTURES / "comtrade_error_envelope.json").read_bytes(), "cmdCode '87O3' is not a valid HS code"),
        (b'{"elapsedTime": "0.1 secs", "count": 0, "error": ""}', "without a `data` list"),
        (b'{"elapsedTime": "0.1 secs", "count": 0, "data": null, "error": ""}', "without a `data` list"),
        (b"[]", "not the {elapsedTime, count, data, error} envelope"),
    ],
    ids=["malformed-json", "error-envelope", "missing-data", "null-data", "not-an-object"],
)
def test_unusable_answers_raise_naming_the_query_and_the_saved_file(
    server: HTTPServer, make_client, tmp_path: Path, body: bytes, expected: str
) -> None:
    server.expect_request(PREVIEW).respond_with_data(body, content_type="application/json")
    query = normalise_query(["392"], [2020], None, ["8703"], ["X"])

    with pytest.raises(RvcSourceError) as excinfo:
        make_client().download([query])

    message = str(excinfo.value)
    dest = tmp_path / "comtrade" / "api" / query.file_name()
    kept = dest.with_name(dest.name + ".unverified")  # a name the extract readers skip
    assert expected in message and str(kept) in message and "reporters 392" in message
    assert kept.read_bytes() == body
    assert not dest.exists() and not sidecar_path_for(dest).exists()


def test_429_with_retry_after_then_success(server: HTTPServer, make_client, sleeps: list[float]) -> None:
    server.expect_oneshot_request(PREVIEW).respond_with_data("Rate limit is exceeded", status=429, headers={"Retry-After": "3"})
    server.expect_request(PREVIEW).respond_with_data(GET_FIXTURE.read_bytes())

    paths = make_client().fetch_annual(["392"], [2020], None, ["8703"], ["X"])

    assert sleeps == [3.0] and len(server.log) == 2
    assert paths[0].read_bytes() == GET_FIXTURE.read_bytes()


def test_500_every_time_fails_after_max_tries(server: HTTPServer, make_client) -> None:
    server.expect_request(PREVIEW).respond_with_data("Internal Server Error", status=500)

    with pytest.raises(RvcSourceError, match="after 3 tries"):
        make_client(max_tries=3).fetch_annual(["392"], [2020], None, ["8703"], ["X"])

    assert len(server.log) == 3


# --- planning --------------------------------------------------------------------------------------


def cells(query: ComtradeQuery) -> set[tuple]:
    return set(itertools.product(query.reporters, query.years, query.partners or ["*"], query.commodities, query.flows))


@pytest.mark.parametrize("cap", [2, 7, 50, 500, 100_000])
def test_plan_stays_under_the_cap_and_covers_the_selection_exactly_once(cap: int) -> None:
    reporters, years, partners = ["392", "764", "360", "458"], [2018, 2019, 2020], ["0", "156", "842"]
    commodities, flows = ["8703", "8704", "8708"], ["M", "X"]

    plan = plan_queries(reporters, years, partners, commodities, flows, cap)

    assert all(q.estimated_rows() < cap for q in plan)
    union = [cell for q in plan for cell in cells(q)]
    assert len(union) == len(set(union)) == 4 * 3 * 3 * 3 * 2
    assert set(union) == cells(normalise_query(reporters, years, partners, commodities, flows))


def test_plan_splits_by_year_first_then_reporter() -> None:
    # 2 reporters × 2 years × 3 partners × 1 cmd × 2 flows = 24 rows; a year holds 12, a reporter-year 6.
    by_year = plan_queries(["392", "764"], [2019, 2020], ["0", "156", "842"], ["8703"], ["M", "X"], cap=13)
    by_reporter = plan_queries(["392", "764"], [2019, 2020], ["0", "156", "842"], ["8703"], ["M", "X"], cap=12)

    assert [(q.years, q.reporters) for q in by_year] == [((2019,), ("392", "764")), ((2020,), ("392", "764"))]
    assert [(q.years, q.reporters) for q in by_reporter] == [
        ((2019,), ("392",)), ((2019,), ("764",)), ((2020,), ("392",)), ((2020,), ("764",))
    ]


def test_open_partners_and_aggregate_codes_count_in_the_estimate() -> None:
    assert normalise_query(["392"], [2020], None, ["8703"], ["X"]).estimated_rows() == 250
    assert normalise_query(["392"], [2020], ["0"], ["AG6", "TOTAL"], ["X"]).estimated_rows() == 5_621


def test_query_normalisation_keeps_codes_as_text() -> None:
    query = normalise_query([764, "96", "392"], [2020, 2019, 2020], None, ["040120", "ag6"], ["x", "M"])

    assert query.reporters == ("096", "392", "764") and query.years == (2019, 2020)
    assert query.commodities == ("040120", "AG6") and query.flows == ("M", "X")
    with pytest.raises(RvcInputError, match="leading zero"):
        normalise_query(["392"], [2020], None, [40120], ["X"])
    with pytest.raises(RvcInputError, match="not numeric"):
        normalise_query(["JPN"], [2020], None, ["8703"], ["X"])


# --- availability ----------------------------------------------------------------------------------


def test_data_availability_parses_and_saves_the_getda_answer(server: HTTPServer, make_client, tmp_path: Path) -> None:
    raw = (FIXTURES / "comtrade_getDA_JPN_THA_2019-2020.json").read_bytes()
    server.expect_request(
        "/public/v1/getDA/C/A/HS", query_string={"reporterCode": "392,764", "period": "2019,2020"}
    ).respond_with_data(raw, content_type="application/json")

    frame = make_client().data_availability(["764", "392"], [2020, 2019])

    expected = sorted(
        (f"{r['reporterCode']:03d}", int(r["period"]), r["classificationCode"], r["lastReleased"], r["totalRecords"])
        for r in json.loads(raw)["data"]
    )
    assert list(frame.columns) == ["reporter_code", "year", "classification", "release_date", "total_records"]
    assert list(frame.itertuples(index=False, name=None)) == expected
    assert str(frame["total_records"].dtype) == "Int64" and str(frame["year"].dtype) == "int64"
    saved = list((tmp_path / "comtrade_availability").glob("*.json"))
    assert [p.read_bytes() for p in saved if not p.name.endswith(".query.json")] == [raw]


def test_keyed_availability_uses_the_data_endpoint_and_asks_again_each_call(server: HTTPServer, make_client) -> None:
    server.expect_request("/data/v1/getDA/C/A/HS", headers={"Ocp-Apim-Subscription-Key": KEY}).respond_with_data(
        (FIXTURES / "comtrade_getDA_JPN_THA_2019-2020.json").read_bytes()
    )
    client = make_client(api_key=KEY)

    client.data_availability()
    frame = client.data_availability()

    assert len(server.log) == 2 and dict(server.log[0][0].args) == {} and len(frame) == 4


def test_availability_record_without_period_is_an_error_naming_the_file(server: HTTPServer, make_client) -> None:
    server.expect_request("/public/v1/getDA/C/A/HS").respond_with_data(envelope([{"reporterCode": 392}]))

    with pytest.raises(RvcSourceError, match=r"getDA_C_A_HS_.*\.json: availability record 0"):
        make_client().data_availability()


def test_released_since_returns_new_and_re_released_reporter_years() -> None:
    availability = pd.DataFrame(
        {
            "reporter_code": ["392", "392", "764", "764", "096"],
            "year": [2019, 2020, 2019, 2020, 2020],
            "classification": ["H5"] * 5,
            "release_date": ["2023-03-21T00:00:00", "2024-11-05T00:00:00", "2020-08-14T00:00:00", None,
                             "2021-06-24T00:00:00"],
            "total_records": pd.array([1, 2, 3, 4, 5], dtype="Int64"),
        }
    )
    last_seen = {
        ("392", 2019): "2023-03-21T00:00:00",  # unchanged
        ("392", 2020): "2024-06-30",  # re-released since (date-only record)
        ("764", 2019): "2020-08-14",  # same day
        ("764", 2020): "2021-07-30",  # no release date listed now: nothing to compare, not new
        ("96", 2020): "",  # seen, date unknown: stale once the source dates it
    }

    assert released_since(availability, last_seen) == [("096", 2020), ("392", 2020)]
    assert released_since(availability, {}) == [("096", 2020), ("392", 2019), ("392", 2020), ("764", 2019), ("764", 2020)]


# --- progress ----------------------------------------------------------------------------------------


def test_progress_reports_each_planned_query_with_its_rows_and_how_it_was_answered(
    server: HTTPServer, make_client
) -> None:
    # Reporter 392 answers at the cap (500 records, so split by flow into 3 + 2), 764 answers 4 records.
    def handler(request: Request) -> Response:
        reporter, flows = request.args["reporterCode"], request.args["flowCode"]
        n = {("392", "M,X"): 500, ("392", "M"): 3, ("392", "X"): 2, ("764", "M,X"): 4}[(reporter, flows)]
        return Response(envelope(fixture_records(n, int(reporter))), content_type="application/json")

    server.expect_request(PREVIEW).respond_with_handler(handler)
    queries = [normalise_query([r], [2020], ["360"], ["870323"], ["M", "X"]) for r in ("392", "764")]
    seen: list = []

    make_client().download(queries, progress=seen.append)
    make_client().download(queries[1:], progress=seen.append)  # a re-run of the second query

    assert [(p.index, p.total, p.query.reporters, p.rows, p.downloaded, p.reused, p.parts) for p in seen] == [
        (1, 2, ("392",), 5, 2, 0, 2), (2, 2, ("764",), 4, 1, 0, 1), (1, 1, ("764",), 4, 0, 1, 1),
    ]
    assert all(p.elapsed_s >= 0 for p in seen)
    line = seen[0].line({"392": "JPN", "360": "IDN"})
    assert line.startswith(
        "Comtrade query 1 of 2: reporter JPN (392), year 2020, flow M,X, partners IDN (360), 1 commodity (870323) — 5 rows in "
    )
    assert line.endswith(" s (downloaded 2 answer(s), split into 2 parts after a truncated answer)")
    assert seen[2].line().endswith("(saved earlier, not asked again)") and "reporter 764," in seen[2].line()


def test_progress_is_logged_by_default(server: HTTPServer, make_client, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="rvc.http.comtrade")
    server.expect_request(PREVIEW).respond_with_data(GET_FIXTURE.read_bytes())

    make_client().fetch_annual(["392"], [2020], None, ["8703"], ["X"])

    lines = [r.getMessage() for r in caplog.records if r.name == "rvc.http.comtrade"]
    assert len(lines) == 1 and lines[0].startswith("Comtrade query 1 of 1: reporter 392, year 2020, flow X, partners all")
    assert " — 2 rows in " in lines[0]
