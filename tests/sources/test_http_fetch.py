"""Retrying GET, save-before-parse and secret redaction (assets/sources/http_fetch.py).

Every HTTP test talks to pytest-httpserver on 127.0.0.1; sleeps are recorded, never waited.
"""

from __future__ import annotations

import json
import logging
import socket
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from assets.errors import RvcSourceError
from assets.sources.http_fetch import (
    RetryPolicy,
    fetch_to_file,
    get_with_retries,
    parse_retry_after,
    redact,
    sidecar_path_for,
    unverified_path_for,
)

FIXED_NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
SECRET = "s3cr3t-K3y/with+chars=="



def fast_policy(max_tries: int = 5, **kwargs) -> RetryPolicy:
    return RetryPolicy(max_tries=max_tries, timeout_s=(2.0, 5.0), **kwargs)


def test_fetch_saves_body_byte_for_byte_and_writes_the_sidecar(server: HTTPServer, tmp_path: Path) -> None:
    body = b"\xef\xbb\xbfcode,value\r\n040120,1.5\r\n\xff"  # BOM, CRLF and a stray byte survive
    server.expect_request("/data", query_string={"period": "2020", "cmd": "040120"}).respond_with_data(body)
    dest = tmp_path / "deep" / "answer.csv"

    fetched = fetch_to_file(
        server.url_for("/data"), {"period": 2020, "cmd": "040120"}, {}, dest,
        policy=fast_policy(), sleep=pytest.fail, clock=lambda: FIXED_NOW,
    )

    assert dest.read_bytes() == body
    assert fetched.path == dest and fetched.from_cache is False and fetched.status == 200
    assert json.loads(sidecar_path_for(dest).read_text()) == {
        "url": server.url_for("/data"),
        "params": {"cmd": "040120", "period": "2020"},
        "retrieved_at": "2024-05-01T12:00:00Z",
        "status": 200,
    }
    assert sidecar_path_for(dest).name == "answer.csv.query.json"
    assert not list(dest.parent.glob("*.part"))


def test_rerun_with_file_and_sidecar_does_not_download_unless_refresh(server: HTTPServer, tmp_path: Path) -> None:
    server.expect_request("/x").respond_with_data(b"first")
    dest = tmp_path / "x.txt"
    fetch_to_file(server.url_for("/x"), None, None, dest, policy=fast_policy(), clock=lambda: FIXED_NOW)

    again = fetch_to_file(server.url_for("/x"), None, None, dest, policy=fast_policy())

    assert len(server.log) == 1
    assert again.from_cache is True and again.retrieved_at == "2024-05-01T12:00:00Z"
    fetch_to_file(server.url_for("/x"), None, None, dest, policy=fast_policy(), refresh=True)
    assert len(server.log) == 2


def test_a_body_without_sidecar_counts_as_incomplete_and_is_downloaded_again(server: HTTPServer, tmp_path: Path) -> None:
    server.expect_request("/x").respond_with_data(b"fresh")
    dest = tmp_path / "x.txt"
    dest.write_bytes(b"left over from an interrupted run")

    fetched = fetch_to_file(server.url_for("/x"), None, None, dest, policy=fast_policy())

    assert fetched.from_cache is False and dest.read_bytes() == b"fresh" and len(server.log) == 1


def test_a_rejected_body_is_kept_aside_without_sidecar_and_asked_again_next_run(
    server: HTTPServer, tmp_path: Path
) -> None:
    server.expect_request("/x").respond_with_data(b"<html>oops</html>")
    dest = tmp_path / "x.csv"
    checked: list[Path] = []

    def reject(path: Path) -> None:
        checked.append(path)
        raise RvcSourceError(f"not CSV: {path}")

    for _ in range(2):
        with pytest.raises(RvcSourceError, match=r"not CSV: .*x\.csv\.unverified"):
            fetch_to_file(server.url_for("/x"), None, None, dest, policy=fast_policy(), validate=reject)
    assert checked == [unverified_path_for(dest)] * 2
    assert unverified_path_for(dest).read_bytes() == b"<html>oops</html>"
    assert not dest.exists() and not sidecar_path_for(dest).exists()
    assert len(server.log) == 2


def test_a_rejected_refresh_leaves_the_earlier_good_download_in_place(server: HTTPServer, tmp_path: Path) -> None:
    server.expect_oneshot_request("/x").respond_with_data(b"a,b\n1,2\n")
    server.expect_request("/x").respond_with_data(b"<html>maintenance</html>")
    dest = tmp_path / "x.csv"

    def csv_only(path: Path) -> None:
        if path.read_bytes().startswith(b"<"):
            raise RvcSourceError("HTML")

    fetch_to_file(server.url_for("/x"), None, None, dest, policy=fast_policy(), validate=csv_only, clock=lambda: FIXED_NOW)
    with pytest.raises(RvcSourceError, match="HTML"):
        fetch_to_file(server.url_for("/x"), None, None, dest, policy=fast_policy(), validate=csv_only, refresh=True)

    assert dest.read_bytes() == b"a,b\n1,2\n"
    assert json.loads(sidecar_path_for(dest).read_text())["retrieved_at"] == "2024-05-01T12:00:00Z"


def test_429_waits_the_retry_after_seconds_then_succeeds(server: HTTPServer) -> None:
    server.expect_oneshot_request("/r").respond_with_data("slow down", status=429, headers={"Retry-After": "7"})
    server.expect_request("/r").respond_with_data("ok")
    sleeps: list[float] = []

    response = get_with_retries(server.url_for("/r"), policy=fast_policy(), sleep=sleeps.append)

    assert response.text == "ok"
    assert sleeps == [7.0]
    assert [r.status_code for _, r in server.log] == [429, 200]


def test_retry_after_as_http_date_waits_until_that_date(server: HTTPServer) -> None:
    server.expect_oneshot_request("/r").respond_with_data(
        "busy", status=503, headers={"Retry-After": "Wed, 01 May 2024 12:00:30 GMT"}
    )
    server.expect_request("/r").respond_with_data("ok")
    sleeps: list[float] = []

    get_with_retries(server.url_for("/r"), policy=fast_policy(), sleep=sleeps.append, clock=lambda: FIXED_NOW)

    assert sleeps == [30.0]


@pytest.mark.parametrize(
    ("header", "expected"),
    [("120", 120.0), ("Wed, 01 May 2024 12:02:00 GMT", 120.0), ("Wed, 01 May 2024 11:00:00 GMT", 0.0),
     ("soon", None), (None, None)],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header, FIXED_NOW) == expected


def test_retry_after_longer_than_allowed_fails_at_once(server: HTTPServer) -> None:
    server.expect_request("/r").respond_with_data("quota", status=429, headers={"Retry-After": "3600"})

    with pytest.raises(RvcSourceError, match=r"wait 3600 s") as excinfo:
        get_with_retries(server.url_for("/r"), policy=fast_policy(max_retry_after_s=600), sleep=pytest.fail)

    assert len(server.log) == 1
    assert "re-run after that time" in str(excinfo.value)


def test_500_repeatedly_fails_after_max_tries_with_exponential_backoff(server: HTTPServer) -> None:
    server.expect_request("/down").respond_with_data("upstream exploded", status=500)
    sleeps: list[float] = []

    with pytest.raises(RvcSourceError) as excinfo:
        get_with_retries(
            server.url_for("/down"), params={"q": "1"}, policy=fast_policy(max_tries=4), sleep=sleeps.append
        )

    assert len(server.log) == 4
    assert sleeps == [1.0, 2.0, 4.0]
    message = str(excinfo.value)
    assert server.url_for("/down") + "?q=1" in message
    assert "after 4 tries" in message and "HTTP 500" in message and "upstream exploded" in message
    assert "re-run" in message


def test_backoff_doubles_and_is_capped() -> None:
    policy = RetryPolicy(backoff_base_s=1.5, backoff_cap_s=10.0)
    assert [policy.backoff_s(n) for n in range(1, 6)] == [1.5, 3.0, 6.0, 10.0, 10.0]


def test_other_4xx_fail_at_once_with_an_excerpt_of_the_body(server: HTTPServer) -> None:
    server.expect_request("/bad").respond_with_data('{"message": "Invalid parameter: flowCode=Q"}', status=400)

    with pytest.raises(RvcSourceError, match=r"HTTP 400.*Invalid parameter: flowCode=Q"):
        get_with_retries(server.url_for("/bad"), policy=fast_policy(), sleep=pytest.fail)

    assert len(server.log) == 1


def test_a_read_timeout_is_retried() -> None:
    # Own threaded server: the retry must be answered while the first, abandoned request still sleeps.
    slow = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    calls: list[float] = []

    def handler(request: Request) -> Response:
        calls.append(time.monotonic())
        if len(calls) == 1:
            time.sleep(0.7)
        return Response("done")

    slow.expect_request("/slow").respond_with_handler(handler)
    slow.start()
    try:
        sleeps: list[float] = []
        response = get_with_retries(
            slow.url_for("/slow"), policy=RetryPolicy(max_tries=3, timeout_s=(2.0, 0.3)), sleep=sleeps.append
        )
    finally:
        slow.clear()
        slow.stop()

    assert response.text == "done"
    assert len(calls) == 2 and sleeps == [1.0]


def test_no_server_at_all_fails_clearly_after_max_tries() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago and has no listener now
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleeps: list[float] = []

    with pytest.raises(RvcSourceError, match=r"after 2 tries; last answer: no HTTP response \(ConnectionError"):
        get_with_retries(f"http://127.0.0.1:{port}/x", policy=fast_policy(max_tries=2), sleep=sleeps.append)

    assert sleeps == [1.0]


def test_secret_header_reaches_the_server_but_no_message_log_or_sidecar(
    server: HTTPServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server.expect_oneshot_request("/k").respond_with_data(f"key {SECRET} overloaded", status=503)
    server.expect_request("/k", headers={"X-Api-Key": SECRET}).respond_with_data("payload")
    dest = tmp_path / "k.txt"

    fetch_to_file(
        server.url_for("/k"), {"a": "b"}, {"X-Api-Key": SECRET}, dest, policy=fast_policy(), sleep=lambda s: None
    )

    assert [r.headers.get("X-Api-Key") for r, _ in server.log] == [SECRET, SECRET]
    assert all(SECRET not in r.url for r, _ in server.log)
    assert SECRET not in sidecar_path_for(dest).read_text()
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "retrying" in logged and "***" in logged  # the echoed key was in the excerpt, redacted
    assert SECRET not in logged


def test_secret_echoed_in_an_error_body_is_redacted_from_the_exception(server: HTTPServer) -> None:
    server.expect_request("/k").respond_with_data(f"Access denied: invalid subscription key {SECRET}.", status=401)

    with pytest.raises(RvcSourceError) as excinfo:
        get_with_retries(server.url_for("/k"), headers={"Ocp-Apim-Subscription-Key": SECRET}, policy=fast_policy())

    text = "".join(traceback.format_exception(excinfo.value))
    assert SECRET not in text
    assert "invalid subscription key ***" in str(excinfo.value)
    assert "API key" in str(excinfo.value)  # the hint for 401


def test_secrets_in_query_parameters_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="secrets travel only in headers"):
        fetch_to_file("http://127.0.0.1:9/x", {"subscription-key": SECRET}, None, tmp_path / "x")


def test_redact_also_hides_the_url_encoded_form() -> None:
    text = "GET /x?k=s3cr3t-K3y%2Fwith%2Bchars%3D%3D and s3cr3t-K3y/with+chars=="
    assert redact(text, [SECRET]) == "GET /x?k=*** and ***"
