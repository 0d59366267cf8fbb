"""Take the README screenshot of the global asset lineage graph (docs/lineage.png).

Starts the real Dagster webserver on the project's workspace.yaml with a throwaway DAGSTER_HOME and
warehouse, opens the global lineage page in headless Debian Chromium with every asset group expanded,
writes a PNG, and stops every process it started.

The helpers here (start/stop the webserver, run headless Chromium) are also what the browser test in
tests/ui/ uses, so the screenshot and the test see the UI the same way; the lineage address is the one
`rvc ui` prints (pipelines/webserver.py).

Usage: .venv/bin/python scripts/screenshot_lineage.py [--out docs/lineage.png] [--workspace workspace.yaml]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # this checkout's `pipelines`, whichever copy is installed

# The lineage address and the GraphQL helpers are the ones `rvc ui` uses, so the test checks what users get.
from pipelines.webserver import answers, asset_groups, lineage_url, location_status  # noqa: E402

# Chromium window (CSS px). The 1.13 graph view fits the graph but centres it above the middle of its
# panel (seen at heights 1000-1300), so at 1600x1000 the toolbar hides the top row of the lineage
# (the raw and cleaning headers, comtrade_totals); at 1300 px every group shows whole.
WINDOW_SIZE = "1600,1300"

# An instance that never phones home and never shows the "Join the Dagster community" dialog, which
# would otherwise cover the graph on a fresh DAGSTER_HOME (dagster/_core/nux.py).
INSTANCE_YAML = "telemetry:\n  enabled: false\nnux:\n  enabled: false\n"

# Without the background-networking flags Chromium keeps trying Google endpoints, which floods a
# closed network; --no-proxy-server keeps loopback requests away from any proxy in the environment.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--disable-breakpad",
    "--no-proxy-server",
    "--hide-scrollbars",
    "--run-all-compositor-stages-before-draw",
)

class UiHarnessError(RuntimeError):
    """The webserver or Chromium did not start, answer, or stop as expected."""


@dataclass(frozen=True)
class Webserver:
    """A running Dagster webserver: where it answers, its pid (= process group id), its log file and the
    instance it records into (runs executed against `dagster_home` show in it)."""

    base_url: str
    pid: int
    log_path: Path
    dagster_home: Path


def find_chromium() -> str | None:
    """Path of a Chromium executable on PATH (Debian names it `chromium`), or None when absent."""
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def live_group_members(pgid: int) -> list[int]:
    """Pids of processes in process group `pgid` that are still running (zombies excluded)."""
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return []
        return [pgid]
    members = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the parenthesised command name: state, ppid, pgrp, ...
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return sorted(members)


def stop_process_group(proc: subprocess.Popen, grace_s: float = 15.0) -> None:
    """Stop `proc` and everything in its process group: SIGTERM, then SIGKILL after `grace_s`.

    `proc` must have been started with start_new_session=True so its pid is the group id.
    Raises UiHarnessError if a process of the group is still running afterwards.
    """
    pgid = proc.pid
    for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            if proc.poll() is not None and not live_group_members(pgid):
                return
            time.sleep(0.1)
    proc.poll()
    left = live_group_members(pgid)
    if proc.returncode is None or left:
        raise UiHarnessError(f"process group {pgid} survived SIGKILL: still running {left or [pgid]}")


def _log_tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "<no log>"


@contextmanager
def dagster_webserver(
    work_dir: Path,
    workspace: Path | None = None,
    repo_root: Path = REPO_ROOT,
    startup_timeout_s: float = 120.0,
) -> Iterator[Webserver]:
    """Run `dagster-webserver -w <workspace>` on a free loopback port for the duration of the block.

    cwd is `repo_root`; DAGSTER_HOME is `<work_dir>/dagster_home` (telemetry and the NUX dialog off),
    RVC_WAREHOUSE is `<work_dir>/warehouse`. Waits (polling, at most `startup_timeout_s`) until
    /server_info answers. On exit the whole process group (webserver and its code server) is
    stopped; raises UiHarnessError if anything of it survives.
    """
    workspace = workspace or repo_root / "workspace.yaml"
    home = work_dir / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(INSTANCE_YAML)
    warehouse = work_dir / "warehouse"
    warehouse.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DAGSTER_HOME": str(home), "RVC_WAREHOUSE": str(warehouse), "PYTHONUNBUFFERED": "1"}
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = work_dir / "webserver.log"
    command = [sys.executable, "-m", "dagster_webserver", "-w", str(workspace), "-h", "127.0.0.1", "-p", str(port)]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            command, cwd=repo_root, env=env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
    try:
        deadline = time.monotonic() + startup_timeout_s
        while True:
            if proc.poll() is not None:
                raise UiHarnessError(
                    f"dagster-webserver exited with code {proc.returncode} before answering; "
                    f"log {log_path}:\n{_log_tail(log_path)}"
                )
            if answers(base_url):
                break
            if time.monotonic() > deadline:
                raise UiHarnessError(
                    f"dagster-webserver did not answer {base_url}/server_info within {startup_timeout_s:.0f} s; "
                    f"log {log_path}:\n{_log_tail(log_path)}"
                )
            time.sleep(0.5)
        yield Webserver(base_url=base_url, pid=proc.pid, log_path=log_path, dagster_home=home)
    finally:
        stop_process_group(proc)


def run_chromium(chromium: str, profile_dir: Path, extra_args: Sequence[str], timeout_s: float = 90.0) -> str:
    """Run headless Chromium once with the project's flags + `extra_args`; return its stdout.

    Chromium runs in its own process group, which is killed afterwards whatever happened, so no
    renderer or zygote outlives the call. Raises UiHarnessError on a non-zero exit or a timeout.
    """
    command = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile_dir}", *extra_args]
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
        start_new_session=True, env={**os.environ, "HOME": str(profile_dir)},
    )
    try:
        stdout, stderr = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired as exc:
        raise UiHarnessError(f"chromium did not finish within {timeout_s:.0f} s: {' '.join(command)}") from exc
    finally:
        stop_process_group(proc, grace_s=5.0)
    if proc.returncode != 0:
        tail = "\n".join(stderr.decode(errors="replace").splitlines()[-20:])
        raise UiHarnessError(f"chromium exited with code {proc.returncode}: {' '.join(command)}\n{tail}")
    return stdout.decode(errors="replace")


def dump_dom(chromium: str, url: str, profile_dir: Path, budget_ms: int = 10_000,
             window_size: str = WINDOW_SIZE) -> str:
    """The serialized DOM of `url` after the page's scripts ran for `budget_ms` of virtual time."""
    return run_chromium(
        chromium, profile_dir,
        [f"--window-size={window_size}", f"--virtual-time-budget={budget_ms}", "--dump-dom", url],
    )


def screenshot(chromium: str, url: str, out_png: Path, profile_dir: Path, budget_ms: int = 15_000,
               window_size: str = WINDOW_SIZE) -> Path:
    """Write a PNG of `url` after `budget_ms` of virtual time; returns `out_png`."""
    out_png.parent.mkdir(parents=True, exist_ok=True)
    run_chromium(
        chromium, profile_dir,
        [f"--window-size={window_size}", f"--virtual-time-budget={budget_ms}", f"--screenshot={out_png}", url],
    )
    if not out_png.is_file() or out_png.stat().st_size == 0:
        raise UiHarnessError(f"chromium wrote no screenshot at {out_png}")
    return out_png


def main(argv: Sequence[str] | None = None) -> int:
    """Write the lineage screenshot; exit 1 with the reason when the code location does not load."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs" / "lineage.png")
    parser.add_argument("--workspace", type=Path, default=REPO_ROOT / "workspace.yaml")
    parser.add_argument("--window-size", default=WINDOW_SIZE, help="Chromium window, CSS px: WIDTH,HEIGHT")
    parser.add_argument("--budget-ms", type=int, default=15_000, help="virtual time Chromium gives the page")
    args = parser.parse_args(argv)

    chromium = find_chromium()
    if chromium is None:
        print("chromium not found: run `bash scripts/ensure_chromium.sh` (Debian: apt-get install chromium)",
              file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="rvc-lineage-") as tmp:
        work_dir = Path(tmp)
        with dagster_webserver(work_dir, workspace=args.workspace.resolve()) as server:
            status = location_status(server.base_url)
            errors = {name: message for name, message in status.items() if message}
            if errors or not status:
                for name, message in errors.items():
                    print(f"code location {name} did not load: {message}", file=sys.stderr)
                print("no screenshot written: the lineage graph would be empty", file=sys.stderr)
                return 1
            groups = asset_groups(server.base_url)
            url = lineage_url(server.base_url, groups, locations=sorted(status))
            screenshot(chromium, url, args.out.resolve(), work_dir / "chromium-profile",
                       budget_ms=args.budget_ms, window_size=args.window_size)
    print(f"wrote {args.out} ({', '.join(groups)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
