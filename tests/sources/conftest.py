"""Fixtures shared by the HTTP client tests: a loopback server and a recorder for backoff sleeps."""

import pytest
from pytest_httpserver import HTTPServer


@pytest.fixture
def server(httpserver_ipv4: HTTPServer) -> HTTPServer:
    """pytest-httpserver on 127.0.0.1; an unexpected request answers 404, which is not retried, so a wrong path fails fast."""
    httpserver_ipv4.no_handler_status_code = 404
    return httpserver_ipv4


@pytest.fixture
def sleeps() -> list[float]:
    """Backoff sleeps are recorded here instead of waited."""
    return []
