"""docs/architecture.md's picture of the asset graph matches the committed asset-spec snapshot.

The snapshot (tests/architecture/asset_specs.json) is itself compared with the code location, so a lineage
change that is not drawn in the picture fails here, naming the missing or extra arrows and boxes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DOC = REPO_ROOT / "docs" / "architecture.md"
SNAPSHOT = Path(__file__).with_name("asset_specs.json")


def mermaid_graph(text: str) -> tuple[set[tuple[str, str]], dict[str, str], set[str]]:
    """(edges, {node: subgraph}, nodes labelled [yearly]) of the first ```mermaid block."""
    block = re.search(r"```mermaid\n(.*?)```", text, flags=re.S)
    assert block, f"{DOC}: no ```mermaid block"
    edges: set[tuple[str, str]] = set()
    groups: dict[str, str] = {}
    yearly: set[str] = set()
    group = None
    for line in block.group(1).splitlines():
        line = line.strip()
        if match := re.fullmatch(r"subgraph (\w+)", line):
            group = match.group(1)
        elif line == "end":
            group = None
        elif match := re.fullmatch(r"(\w+) --> (\w+)", line):
            edges.add((match.group(1), match.group(2)))
        elif match := re.fullmatch(r'(\w+)(\["[^"]*"\])?', line):
            if group is not None:
                groups[match.group(1)] = group
            if match.group(2) and "[yearly]" in match.group(2):
                yearly.add(match.group(1))
    return edges, groups, yearly


def snapshot_graph() -> tuple[set[tuple[str, str]], dict[str, str], set[str]]:
    assets = json.loads(SNAPSHOT.read_text(encoding="utf-8"))["assets"]
    edges = {(dep, key) for key, spec in assets.items() for dep in spec["deps"]}
    groups = {key: spec["group"] for key, spec in assets.items()}
    yearly = {key for key, spec in assets.items() if spec["partitions"]}
    return edges, groups, yearly


def test_the_architecture_picture_matches_the_asset_snapshot() -> None:
    drawn_edges, drawn_groups, drawn_yearly = mermaid_graph(DOC.read_text(encoding="utf-8"))
    edges, groups, yearly = snapshot_graph()
    assert drawn_edges == edges, (
        f"docs/architecture.md arrows differ from {SNAPSHOT.name}: missing {sorted(edges - drawn_edges)}, "
        f"extra {sorted(drawn_edges - edges)}"
    )
    assert drawn_groups == groups, "docs/architecture.md boxes (subgraph per group) differ from the snapshot's groups"
    assert drawn_yearly == yearly, "docs/architecture.md [yearly] labels differ from the snapshot's partitioned assets"


def test_a_missing_arrow_would_be_noticed() -> None:
    text = DOC.read_text(encoding="utf-8").replace("  trade_flows --> trade_indicators\n", "", 1)
    drawn_edges, _, _ = mermaid_graph(text)
    edges, _, _ = snapshot_graph()
    assert edges - drawn_edges == {("trade_flows", "trade_indicators")}
