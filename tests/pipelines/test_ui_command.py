"""`rvc ui` (pipelines/ui.py): the lineage address it prints and opens, when it opens a browser, and how it
runs dg dev. The real webserver and the rendered page: tests/ui/test_rvc_ui.py."""

import io
import socket
import stat
from pathlib import Path

import pytest

from pipelines import ui
from pipelines.cli import build_parser
from pipelines.webserver import lineage_url


def test_the_lineage_url_expands_every_group_for_both_group_settings() -> None:
    assert lineage_url("http://127.0.0.1:3000", ["raw", "reports"], locations=["rvc_pipeline"]) == (
        "http://127.0.0.1:3000/asset-groups?expanded="
        "global@global:raw,global@global:reports,__repository__@rvc_pipeline:raw,__repository__@rvc_pipeline:reports"
    )
    # No group known (the code location did not load): the lineage page itself.
    assert lineage_url("http://127.0.0.1:3000", []) == "http://127.0.0.1:3000/asset-groups"


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        ("127.0.0.1", 3000, "http://127.0.0.1:3000"),
        ("0.0.0.0", 3100, "http://127.0.0.1:3100"),  # every interface: this machine reaches it on loopback
        ("::", 3000, "http://127.0.0.1:3000"),
        ("::1", 3000, "http://[::1]:3000"),
        ("workstation.local", 8080, "http://workstation.local:8080"),
    ],
)
def test_browser_url(host: str, port: int, expected: str) -> None:
    assert ui.browser_url(host, port) == expected


@pytest.mark.parametrize(
    ("environ", "platform", "expected"),
    [
        ({}, "linux", False),  # ssh, container, CI: print only
        ({"DISPLAY": ":0"}, "linux", True),
        ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", True),
        ({"DISPLAY": ""}, "linux", False),
        ({}, "darwin", True),
        ({}, "win32", True),
    ],
)
def test_a_browser_is_opened_only_in_a_desktop_session(environ: dict, platform: str, expected: bool) -> None:
    assert ui.can_open_browser(environ, platform) is expected


def test_the_command_line_defaults_to_loopback_port_3000_and_a_browser() -> None:
    args = build_parser().parse_args(["ui"])
    assert (args.host, args.port, args.no_browser) == ("127.0.0.1", 3000, False)
    args = build_parser().parse_args(["ui", "--host", "0.0.0.0", "--port", "3100", "--no-browser"])
    assert (args.host, args.port, args.no_browser) == ("0.0.0.0", 3100, True)
    assert ui.dg_dev_command("dg", "127.0.0.1", 3000) == ["dg", "dev", "--host", "127.0.0.1", "--port", "3000"]


def _fake_dg(tmp_path: Path, status: int) -> Path:
    """An executable standing in for `dg`: records its arguments and DAGSTER_HOME, exits with `status`."""
    script = tmp_path / "dg"
    script.write_text(f'#!/bin/sh\necho "$@" > "{tmp_path}/args"\necho "$DAGSTER_HOME" > "{tmp_path}/dagster_home_seen"\nexit {status}\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(("environ", "opened"), [({"DISPLAY": ":0"}, True), ({}, False)])
def test_serve_prints_the_lineage_and_opens_it_in_a_desktop_session(tmp_path, monkeypatch, environ, opened) -> None:
    url = "http://127.0.0.1:3000/asset-groups?expanded=global@global:raw"
    browser: list[str] = []
    monkeypatch.setattr(ui, "dg_executable", lambda: str(_fake_dg(tmp_path, 0)))
    monkeypatch.setattr(ui, "wait_for_lineage", lambda base_url, server: (url, {}))
    monkeypatch.setattr(ui.webbrowser, "open", lambda address: browser.append(address) or True)
    out = io.StringIO()

    status = ui.serve("127.0.0.1", 3000, open_browser=True, environ={**environ, "DAGSTER_HOME": str(tmp_path / "home")}, out=out)

    assert status == 0
    assert (tmp_path / "args").read_text().split() == ["dev", "--host", "127.0.0.1", "--port", "3000"]
    assert (tmp_path / "dagster_home_seen").read_text().strip() == str(tmp_path / "home")  # the instance `rvc` records into
    assert (tmp_path / "home" / "dagster.yaml").is_file()  # created before dg dev started
    assert f"\n  {url}\n" in out.getvalue()
    assert browser == ([url] if opened else [])
    assert ("(opened in your browser)" in out.getvalue()) is opened


def test_dg_dev_exiting_before_the_ui_answers_is_one_line(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(ui, "dg_executable", lambda: str(_fake_dg(tmp_path, 3)))

    status = ui.serve("127.0.0.1", _free_port(), open_browser=False, environ={"DAGSTER_HOME": str(tmp_path / "home")})

    assert status == 3
    assert capsys.readouterr().err.strip() == "rvc ui: dg dev exited with status 3 before the UI answered (its log is above)"


def test_without_dg_it_says_how_to_install_it(monkeypatch, capsys) -> None:
    monkeypatch.setattr(ui, "dg_executable", lambda: None)
    assert ui.serve("127.0.0.1", 3000, open_browser=False, environ={}) == 2
    assert "dagster-dg-cli" in capsys.readouterr().err
