"""`rvc ui` (make ui): the Dagster UI and daemon (`dg dev`), opening on the global asset lineage.

Belongs here: starting `dg dev` on the project, waiting until its webserver answers and the code location
has loaded, then printing — after dg dev's start-up log, not lost inside it — the address of the lineage
page with every stage group expanded, and opening it in a browser when there is a screen to show it on.
Not here: the webserver's GraphQL and the lineage address (pipelines/webserver.py, shared with the browser
tests); the instance's configuration (pipelines/instance.py, deploy/dagster.yaml).

Why not a redirect: the webserver's `/` is Dagster's overview and cannot be configured; the lineage is
`/asset-groups` (Dagster 1.13), and without `expanded=` it shows only collapsed group boxes.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import webbrowser
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from pipelines.instance import instance_home, open_instance
from pipelines.settings import REPO_ROOT
from pipelines.webserver import UiError, answers, asset_groups, lineage_url, location_status

DEFAULT_HOST = "127.0.0.1"  # loopback: the UI can launch runs and has no login
DEFAULT_PORT = 3000
# dg dev starts a code server, the webserver and the daemon: about 30 s on a 2-core machine, more when it is busy.
STARTUP_TIMEOUT_S = 300.0


def browser_url(host: str, port: int) -> str:
    """Where a browser on this machine reaches a webserver bound to `host` (all interfaces → loopback)."""
    if host in ("0.0.0.0", "::", ""):
        host = DEFAULT_HOST
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def can_open_browser(environ: Mapping[str, str], platform: str = sys.platform) -> bool:
    """A desktop session: macOS, Windows, or X11/Wayland. Without one (ssh, containers, CI) Python's
    webbrowser would fall back to a text browser that takes over the terminal dg dev logs to."""
    if platform == "darwin" or platform.startswith("win"):
        return True
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def dg_executable() -> str | None:
    """The `dg` of this Python environment (dagster-dg-cli), else the one on PATH."""
    beside = Path(sys.executable).parent / "dg"
    return str(beside) if beside.is_file() else shutil.which("dg")


def dg_dev_command(dg: str, host: str, port: int) -> list[str]:
    return [dg, "dev", "--host", host, "--port", str(port)]


def wait_for_lineage(base_url: str, server: subprocess.Popen, timeout_s: float = STARTUP_TIMEOUT_S) -> tuple[str, dict[str, str]]:
    """(lineage URL, {location: load error}) once the webserver answers and the code location has loaded.

    Raises UiError when dg dev exits first or nothing answers within `timeout_s`.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        if server.poll() is not None:
            raise UiError(f"dg dev exited with status {server.returncode} before the UI answered (its log is above)")
        if answers(base_url):
            break
        if time.monotonic() > deadline:
            raise UiError(f"the UI did not answer at {base_url} within {timeout_s:.0f} s (dg dev's log is above)")
        time.sleep(1.0)
    status = location_status(base_url, timeout_s=max(deadline - time.monotonic(), 5.0))
    errors = {name: message for name, message in status.items() if message}
    groups = asset_groups(base_url) if len(errors) < len(status) else []
    return lineage_url(base_url, groups, locations=sorted(name for name in status if name not in errors)), errors


def announce(url: str, opened: bool, out: TextIO) -> None:
    """The address, set apart from dg dev's log lines so it is the one thing to read."""
    rule = "=" * 78
    how = "opened in your browser" if opened else "open it in your browser"
    print(f"\n{rule}\nDagster UI ready — the asset lineage ({how}):\n\n  {url}\n\n"
          f"Ctrl-C stops the UI and its daemon.\n{rule}\n", file=out, flush=True)


def start_dg_dev(dg: str, host: str, port: int, environ: Mapping[str, str]) -> subprocess.Popen:
    """dg dev on the project, recording into the same instance as `rvc` (pipelines/instance.py)."""
    # The instance's tables are created before the UI starts, so a backfill started meanwhile does not race
    # it for them; DAGSTER_HOME is passed on so dg dev uses the project's .dagster when it is not set.
    home = instance_home(dict(environ))
    open_instance(home)
    # Started from a script or with `&`, this process may ignore SIGINT, and a child would too; dg dev stops
    # on SIGTERM only through its SIGINT handler, so it would never stop. With a handler here, the child
    # starts with the default.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    return subprocess.Popen(dg_dev_command(dg, host, port), cwd=REPO_ROOT, env={**environ, "DAGSTER_HOME": str(home)})


def serve(host: str, port: int, open_browser: bool, environ: Mapping[str, str] = os.environ, out: TextIO = sys.stdout) -> int:
    """Run dg dev until it stops; print (and open, when asked and possible) the lineage once it is up.

    Returns dg dev's exit status, or 2 when it cannot start.
    """
    dg = dg_executable()
    if dg is None:
        print("rvc ui: the `dg` command (dagster-dg-cli) is not installed in this environment; "
              "install the project with `make ui` or `pip install -c constraints.txt -e .`", file=sys.stderr)
        return 2
    server = start_dg_dev(dg, host, port, environ)
    # A SIGTERM to `rvc ui` alone (not to its terminal's process group) must not orphan the webserver.
    previous_sigterm = signal.signal(signal.SIGTERM, lambda *_: server.terminate())
    try:
        url, errors = wait_for_lineage(browser_url(host, port), server)
        for name, message in errors.items():
            print(f"rvc ui: code location {name} did not load: {message.splitlines()[0] if message else ''} "
                  "— `make validate` (dg check defs) shows the whole error", file=sys.stderr)
        opened = open_browser and can_open_browser(environ) and webbrowser.open(url)
        announce(url, bool(opened), out)
        return server.wait()
    except (UiError, OSError) as error:  # OSError: the webserver stopped answering while the location loaded
        print(f"rvc ui: {error}", file=sys.stderr)
        return _stop(server) or 2
    except KeyboardInterrupt:
        # Ctrl-C reached dg dev too (same terminal process group): give it time to stop its webserver and daemon.
        return _stop(server, grace_s=60.0)
    finally:
        signal.signal(signal.SIGTERM, previous_sigterm)


def _stop(server: subprocess.Popen, grace_s: float = 0.0) -> int:
    try:
        return server.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        server.terminate()
        return server.wait()


def add_parser(commands) -> None:
    ui = commands.add_parser("ui", help="start the Dagster UI and daemon (dg dev) and open it on the asset lineage")
    ui.add_argument("--host", default=DEFAULT_HOST,
                    help=f"address the UI listens on (default {DEFAULT_HOST}: this machine only; the UI has no login)")
    ui.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port of the UI (default {DEFAULT_PORT})")
    ui.add_argument("--no-browser", action="store_true",
                    help="only print the lineage address (a browser is opened only in a desktop session anyway)")
    ui.set_defaults(handler=_ui)


def _ui(args, _settings) -> int:
    return serve(args.host, args.port, open_browser=not args.no_browser)
