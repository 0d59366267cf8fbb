"""Hostile inputs to the HTTP clients: an API key with a stray line break, query values that are paths.

Issue #15 "Nothing lost, nothing torn, nothing leaked": the key must appear in no exception text
(of the whole chain) and no log record, and no saved answer may land outside its extracts folder.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from assets.errors import RvcInputError, RvcSourceError
from assets.sources.comtrade_api import ComtradeClient
from assets.sources.http_fetch import RetryPolicy, file_in_folder, get_with_retries

KEY = "0123456789abcdef0123456789abcdef"
PREVIEW = "/public/v1/preview/C/A/HS"
KEYED = "/data/v1/get/C/A/HS"
FIXED_NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
ENVELOPE = '{"elapsedTime": "0.1 secs", "count": 0, "data": [], "error": ""}'


def exception_texts(error: BaseException) -> list[str]:
    """str and repr of the error and of every exception it chains (cause or context), suppressed or not."""
    texts, seen, current = [], set(), error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        texts += [str(current), repr(current)]
        current = current.__cause__ or current.__context__
    return texts


def client(server: HTTPServer, extracts: Path, api_key: str | None) -> ComtradeClient:
    return ComtradeClient(
        server.url_for(""), api_key, extracts_dir=extracts, max_tries=2, sleep=lambda s: None,
        clock=lambda: FIXED_NOW, timeout_s=(2.0, 5.0),
    )


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r", " \n"])
def test_a_key_ending_in_a_line_break_is_stripped_and_never_shown(
    httpserver_ipv4: HTTPServer, tmp_path: Path, caplog: pytest.LogCaptureFixture, ending: str
) -> None:
    caplog.set_level(logging.DEBUG)
    httpserver_ipv4.expect_request(KEYED).respond_with_data(f"overloaded, key {KEY}", status=503)

    with pytest.raises(RvcSourceError) as excinfo:
        client(httpserver_ipv4, tmp_path, KEY + ending).fetch_annual(["392"], [2020], None, ["8703"], ["X"])

    assert all(KEY not in text for text in exception_texts(excinfo.value))
    assert all(KEY not in record.getMessage() for record in caplog.records)
    # Stripped where it is read: the server got the key itself, twice (503 is retried).
    assert [request.headers.get("Ocp-Apim-Subscription-Key") for request, _ in httpserver_ipv4.log] == [KEY, KEY]


def test_a_key_that_requests_refuses_is_redacted_from_the_whole_exception_chain(
    httpserver_ipv4: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    first, second = KEY[:16], KEY[16:]
    broken = f"{first}\n{second}"  # a line break inside: stripping cannot save it, requests refuses the header

    with pytest.raises(RvcSourceError) as excinfo:
        get_with_retries(
            httpserver_ipv4.url_for("/k"), headers={"Ocp-Apim-Subscription-Key": broken},
            policy=RetryPolicy(max_tries=1), sleep=lambda s: None,
        )

    texts = exception_texts(excinfo.value)
    assert all(first not in text and second not in text for text in texts)
    assert all(first not in r.getMessage() and second not in r.getMessage() for r in caplog.records)
    assert "***" in str(excinfo.value) and "COMTRADE_API_KEY" in str(excinfo.value)


def test_a_commodity_code_that_is_a_path_cannot_write_outside_the_extracts_folder(
    httpserver_ipv4: HTTPServer, tmp_path: Path
) -> None:
    httpserver_ipv4.expect_request(PREVIEW).respond_with_data(ENVELOPE, content_type="application/json")
    extracts = tmp_path / "a" / "b" / "c" / "extracts"
    extracts.mkdir(parents=True)

    paths = client(httpserver_ipv4, extracts, None).fetch_annual(
        ["392"], [2020], None, ["8703/../../../../ESCAPED"], ["X"]
    )

    api_dir = (extracts / "comtrade" / "api").resolve()
    assert [p.resolve().parent for p in paths] == [api_dir]
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written and all(p.resolve().parent == api_dir for p in written)
    assert not [p for p in tmp_path.rglob("*ESCAPED*") if p.resolve().parent != api_dir]
    # The API still got the code as given (URL-encoded): only the file name is sanitised.
    assert httpserver_ipv4.log[0][0].args["cmdCode"] == "8703/../../../../ESCAPED"


@pytest.mark.parametrize("name", ["..", ".", "../x.json", "a/../../x.json", "/etc/passwd"])
def test_a_file_name_that_leaves_its_folder_is_sanitised_or_refused(tmp_path: Path, name: str) -> None:
    path = file_in_folder(tmp_path, name)
    assert path.resolve().parent == tmp_path.resolve()


def test_a_resolved_path_outside_the_folder_is_refused_naming_the_folder(tmp_path: Path) -> None:
    folder, outside = tmp_path / "api", tmp_path / "outside"
    folder.mkdir()
    outside.mkdir()
    (folder / "x.json").symlink_to(outside / "x.json")  # a name that resolves elsewhere is refused
    with pytest.raises(RvcInputError, match=r"outside the folder .*api"):
        file_in_folder(folder, "x.json")
