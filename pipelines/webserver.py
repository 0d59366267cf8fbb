"""The running Dagster webserver, seen from outside: GraphQL queries and the address of the lineage page.

Shared by `rvc ui` (pipelines/ui.py) and scripts/screenshot_lineage.py (the README screenshot and the
browser tests in tests/ui), so the tests check the address users are given. Loopback requests only.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence

ASSET_GRAPH_QUERY = "{ assetNodes { assetKey { path } groupName dependencyKeys { path } } }"
LOCATIONS_QUERY = """{ workspaceOrError { __typename
  ... on Workspace { locationEntries { name loadStatus
    locationOrLoadError { __typename ... on PythonError { message stack } } } } } }"""

# Loopback only: a proxy from the environment must not see these requests.
_LOOPBACK_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class UiError(RuntimeError):
    """The webserver did not answer as expected."""


def answers(base_url: str) -> bool:
    """True when the webserver at `base_url` serves /server_info (it is up, its code locations may still load)."""
    try:
        with _LOOPBACK_OPENER.open(f"{base_url}/server_info", timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def post_graphql(base_url: str, query: str, timeout_s: float = 30.0) -> dict:
    """POST `query` to <base_url>/graphql and return its `data`; raises UiError on GraphQL errors."""
    request = urllib.request.Request(
        f"{base_url}/graphql", data=json.dumps({"query": query}).encode(), headers={"Content-Type": "application/json"}
    )
    with _LOOPBACK_OPENER.open(request, timeout=timeout_s) as response:
        body = json.load(response)
    if body.get("errors"):
        raise UiError(f"GraphQL errors from {base_url}/graphql: {body['errors']}")
    return body["data"]


def location_status(base_url: str, timeout_s: float = 120.0) -> dict[str, str | None]:
    """Code locations of the served workspace, name -> load error message (None when it loaded).

    Polls while a location is still LOADING, at most `timeout_s`.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        workspace = post_graphql(base_url, LOCATIONS_QUERY)["workspaceOrError"]
        if workspace["__typename"] != "Workspace":
            return {"<workspace>": str(workspace)}
        entries = workspace["locationEntries"]
        if all(entry["loadStatus"] != "LOADING" for entry in entries) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    status: dict[str, str | None] = {}
    for entry in entries:
        loaded = entry["locationOrLoadError"]
        if loaded is not None and loaded["__typename"] != "PythonError":
            status[entry["name"]] = None
        else:
            status[entry["name"]] = ((loaded or {}).get("message") or f"load status {entry['loadStatus']}").strip()
    return status


def asset_groups(base_url: str) -> list[str]:
    """Group names of every asset the webserver knows, sorted."""
    nodes = post_graphql(base_url, ASSET_GRAPH_QUERY)["assetNodes"]
    return sorted({node["groupName"] for node in nodes})


def lineage_url(base_url: str, groups: Sequence[str], locations: Sequence[str] = ()) -> str:
    """URL of the global asset lineage page (`/asset-groups`, Dagster 1.13) with `groups` expanded.

    The UI keeps expanded groups in the `expanded` query parameter as group ids: `global@global:<group>`
    by default, `__repository__@<location>:<group>` when the per-code-location flag is on; both are
    listed so either setting shows the assets instead of collapsed group boxes.
    """
    ids = [f"global@global:{group}" for group in groups]
    ids += [f"__repository__@{location}:{group}" for location in locations for group in groups]
    if not ids:
        return f"{base_url}/asset-groups"
    return f"{base_url}/asset-groups?" + urllib.parse.urlencode({"expanded": ",".join(ids)}, safe="@:,")
