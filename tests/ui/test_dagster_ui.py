"""The Dagster UI serves the project's lineage (GraphQL asset graph, the rendered global lineage page),
`rvc ui` prints that page's address once the UI is up, and the UI heads a failed step with the project's
one-line cause.

The tests run against the real webserver on workspace.yaml (fixture `dagster_ui` in conftest.py), and
`rvc ui` against the real dg dev. The expected graph is the fixed asset table of DESIGN.md, written out
here by hand.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import dagster as dg
import pytest

from pipelines.definitions import build_defs
from pipelines.settings import load_settings
from pipelines.webserver import ASSET_GRAPH_QUERY, lineage_url, post_graphql
from tests.ragged_extract import add_ragged_comtrade_file

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE = REPO_ROOT / "sample" / "extracts"

pytestmark = pytest.mark.browser

STAGE_GROUPS = ("reference", "raw", "cleaning", "harmonization", "indicators", "reports")

# DESIGN.md "Asset graph": keys and groups users and tests depend on.
GROUP_OF = {
    "hs_concordance": "reference",
    "product_groups": "reference",
    "country_codes": "reference",
    "comtrade_raw": "raw",
    "tiva_raw": "raw",
    "comtrade_clean": "cleaning",
    "comtrade_totals": "cleaning",
    "comtrade_rejects": "cleaning",
    "tiva_clean": "cleaning",
    "trade_flows": "harmonization",
    "country_totals": "harmonization",
    "value_added": "harmonization",
    "trade_indicators": "indicators",
    "va_indicators": "indicators",
    "indicator_panel": "indicators",
    "rvc_report": "reports",
}

# upstream -> downstream, stage by stage: raw -> cleaning -> harmonization -> indicators -> report.
LINEAGE = {
    ("comtrade_raw", "comtrade_clean"),
    ("comtrade_raw", "comtrade_totals"),
    ("comtrade_raw", "comtrade_rejects"),
    ("comtrade_clean", "trade_flows"),
    ("trade_flows", "trade_indicators"),
    ("trade_indicators", "indicator_panel"),
    ("indicator_panel", "rvc_report"),
    ("tiva_raw", "tiva_clean"),
    ("tiva_clean", "value_added"),
    ("value_added", "va_indicators"),
    ("va_indicators", "indicator_panel"),
    ("hs_concordance", "trade_flows"),
    ("country_codes", "trade_flows"),
    ("product_groups", "trade_indicators"),
    ("comtrade_totals", "country_totals"),
    ("country_totals", "trade_indicators"),
}


def feeds(edges: set[tuple[str, str]], upstream: str, downstream: str) -> bool:
    """True when `upstream` feeds `downstream` directly or only through assets outside the fixed keys.

    DESIGN.md allows intermediate assets between the fixed keys, but a path through another fixed
    key (e.g. raw -> clean -> flows for raw -> flows) is not the edge asked about.
    """
    frontier, seen = [upstream], {upstream}
    while frontier:
        node = frontier.pop()
        for up, down in edges:
            if up != node or down in seen:
                continue
            if down == downstream:
                return True
            if down not in GROUP_OF:
                seen.add(down)
                frontier.append(down)
    return False


class _TextCollector(HTMLParser):
    """Every non-blank text node of a document outside <script> and <style>."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.texts.append(data.strip())


def visible_texts(html: str) -> list[str]:
    collector = _TextCollector()
    collector.feed(html)
    return collector.texts


def test_feeds_follows_intermediates_but_not_other_fixed_keys():
    # Hand-written graph: raw -> tmp_step (not a fixed key) -> clean -> flows.
    edges = {("comtrade_raw", "tmp_step"), ("tmp_step", "comtrade_clean"), ("comtrade_clean", "trade_flows")}
    assert feeds(edges, "comtrade_raw", "comtrade_clean")
    assert not feeds(edges, "comtrade_raw", "trade_flows")
    assert not feeds(edges, "comtrade_clean", "comtrade_raw")


def test_graphql_asset_graph_has_the_stage_lineage(dagster_ui):
    nodes = post_graphql(dagster_ui.base_url, ASSET_GRAPH_QUERY)["assetNodes"]
    group_of = {"/".join(node["assetKey"]["path"]): node["groupName"] for node in nodes}
    edges = {
        ("/".join(dep["path"]), "/".join(node["assetKey"]["path"]))
        for node in nodes
        for dep in node["dependencyKeys"]
    }

    assert {key: group_of.get(key) for key in GROUP_OF} == GROUP_OF
    # Groups are the stages: an intermediate asset joins one of them, never a group of its own.
    assert set(group_of.values()) == set(STAGE_GROUPS)
    missing = sorted(edge for edge in LINEAGE if not feeds(edges, *edge))
    assert missing == [], f"lineage edges missing from the asset graph: {missing}"
    # Lineage runs forward through the stages only: no fixed asset depends on a later stage.
    stage_rank = {group: rank for rank, group in enumerate(STAGE_GROUPS)}
    backward = sorted(
        (up, down) for up, down in edges
        if up in GROUP_OF and down in GROUP_OF and stage_rank[GROUP_OF[up]] > stage_rank[GROUP_OF[down]]
    )
    assert backward == []


def test_global_lineage_page_renders_groups_and_assets(chromium, dagster_ui, ui_harness, tmp_path):
    url = lineage_url(dagster_ui.base_url, STAGE_GROUPS, locations=("rvc_pipeline",))
    texts = visible_texts(ui_harness.dump_dom(chromium, url, tmp_path / "chromium-profile"))

    assert "Global asset lineage" in texts, f"the lineage page did not render; text seen: {texts[:40]}"
    assert [group for group in STAGE_GROUPS if group not in texts] == []
    assert [key for key in GROUP_OF if key not in texts] == []


def _extracts_with_a_ragged_file(folder: Path, year: int) -> Path:
    """The sample extracts plus a Comtrade file for `year` whose line 51 is ragged."""
    shutil.copytree(SAMPLE, folder)
    add_ragged_comtrade_file(folder, year)
    return folder


def test_the_run_page_heads_a_failed_step_with_the_one_line_cause(chromium, dagster_ui, ui_harness, tmp_path):
    # A real partition run with a bad extract, recorded in the instance the webserver reads.
    extracts = _extracts_with_a_ragged_file(tmp_path / "extracts", 2006)
    defs = build_defs(load_settings({"RVC_EXTRACTS": str(extracts), "RVC_WAREHOUSE": str(tmp_path / "wh")}))
    with dg.DagsterInstance.from_config(str(dagster_ui.dagster_home)) as instance:
        result = defs.resolve_job_def("yearly_cleaning").execute_in_process(
            partition_key="2006", instance=instance, raise_on_error=False
        )
    assert not result.success

    # The run's log filtered to step failures (the filter box's `type:` token, kept in the `logs` parameter).
    url = f"{dagster_ui.base_url}/runs/{result.run_id}?logs=type%3ASTEP_FAILURE"
    texts = visible_texts(ui_harness.dump_dom(chromium, url, tmp_path / "chromium-profile"))

    assert "STEP_FAILURE" in texts, f"no step failure row on the run page; text seen: {texts[-40:]}"
    row = texts[texts.index("STEP_FAILURE") + 1:]
    # The row opens with the description (not "Error occurred while executing op"), then its metadata, then the trace.
    assert row[0].startswith("dagster._core.definitions.events.Failure: comtrade_raw 2006: 1 extract file(s) holding 2006 "
                             "cannot be read — comtrade/ragged_2006.tsv: "), row[:6]
    assert "line 51 has 5 fields where the header has 38" in row[0] and row[0].endswith("run 2006 again.")
    assert row[1:5] == ["error_type", "RvcInputError", "file", "comtrade/ragged_2006.tsv"]
    assert any(text.startswith("Stack Trace:") for text in row[5:])


BANNER = "Dagster UI ready — the asset lineage (open it in your browser):"
STARTUP_TIMEOUT_S = 300


def _printed_url(output: Path, proc: subprocess.Popen) -> str:
    """The address on the line after the banner, once `rvc ui` printed it; fails with its log otherwise."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        text = output.read_text(errors="replace")
        if BANNER in text:
            match = re.search(re.escape(BANNER) + r"\n\n  (\S+)\n", text)
            assert match, f"banner without an address:\n{text[-2000:]}"
            return match.group(1)
        if proc.poll() is not None:
            pytest.fail(f"rvc ui exited with status {proc.returncode} before printing the lineage:\n{text[-3000:]}")
        time.sleep(1.0)
    pytest.fail(f"rvc ui printed no lineage address within {STARTUP_TIMEOUT_S} s:\n{output.read_text()[-3000:]}")


def test_rvc_ui_prints_the_lineage_page_and_it_renders_every_stage(chromium, ui_harness, tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(ui_harness.INSTANCE_YAML)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RVC_", "DAGSTER_HOME"))}
    env |= {"DAGSTER_HOME": str(home), "RVC_WAREHOUSE": str(tmp_path / "warehouse"), "PYTHONUNBUFFERED": "1"}
    env.pop("DISPLAY", None), env.pop("WAYLAND_DISPLAY", None)  # headless: print only, as over ssh or in CI
    port = ui_harness.free_port()
    output = tmp_path / "rvc-ui.log"
    with output.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipelines.cli", "ui", "--port", str(port)], cwd=REPO_ROOT, env=env,
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        )
    try:
        url = _printed_url(output, proc)
        assert url.startswith(f"http://127.0.0.1:{port}/asset-groups?expanded=")
        texts = visible_texts(ui_harness.dump_dom(chromium, url, tmp_path / "chromium-profile"))
    finally:
        ui_harness.stop_process_group(proc)
    assert ui_harness.live_group_members(proc.pid) == []

    assert "Global asset lineage" in texts, f"the printed address is not the lineage page; text seen: {texts[:40]}"
    assert [group for group in STAGE_GROUPS if group not in texts] == []
    # Expanded: the assets themselves show, not only the collapsed group boxes a bare /asset-groups gives.
    assert [key for key in GROUP_OF if key not in texts] == []
