"""Lineage changes are deliberate: every asset spec of the code location is compared with a committed snapshot.

The snapshot (`asset_specs.json` beside this file) holds, per asset key: its group, upstream keys, the kind
of its partitions (not the years: they follow the extracts) and the names of its checks; and the jobs with
the assets they select. A new asset, a renamed check, a moved group or a new dependency fails this test
until the snapshot is updated on purpose, in the same commit as the change:

    UPDATE_ASSET_SPECS=1 .venv/bin/python -m pytest -q tests/architecture/test_asset_specs_snapshot.py

then review `git diff tests/architecture/asset_specs.json` (and docs/architecture.md's picture) before
committing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import dagster as dg
import pytest

SNAPSHOT = Path(__file__).with_name("asset_specs.json")
UPDATE_VARIABLE = "UPDATE_ASSET_SPECS"


def _partitions_kind(partitions_def: dg.PartitionsDefinition | None) -> str | None:
    if partitions_def is None:
        return None
    if isinstance(partitions_def, dg.TimeWindowPartitionsDefinition):
        # The years depend on the extracts; the cadence and format are the contract.
        return f"time_window cron={partitions_def.cron_schedule} fmt={partitions_def.fmt}"
    return type(partitions_def).__name__


def describe_specs(defs: dg.Definitions) -> dict[str, object]:
    """{"assets": {key: {group, deps, partitions, checks}}, "jobs": {name: [keys]}}, every list sorted."""
    graph = defs.resolve_asset_graph()
    checks_by_asset: dict[str, list[str]] = {}
    for check_key in graph.asset_check_keys:
        checks_by_asset.setdefault(check_key.asset_key.to_user_string(), []).append(check_key.name)
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        name = key.to_user_string()
        assets[name] = {
            "group": node.group_name,
            "deps": sorted(parent.to_user_string() for parent in node.parent_keys),
            "partitions": _partitions_kind(node.partitions_def),
            "checks": sorted(checks_by_asset.get(name, [])),
        }
    jobs = {}
    for job in defs.jobs or []:
        selection = getattr(job, "selection", None)  # asset jobs (dg.define_asset_job) select assets
        if selection is not None:
            jobs[job.name] = sorted(k.to_user_string() for k in selection.resolve(graph))
    return {"assets": assets, "jobs": dict(sorted(jobs.items()))}


def _current() -> dict[str, object]:
    from pipelines.definitions import defs

    return describe_specs(defs)


def test_the_asset_specs_match_the_committed_snapshot() -> None:
    current = _current()
    if os.environ.get(UPDATE_VARIABLE) == "1":
        SNAPSHOT.write_text(json.dumps(current, indent=2) + "\n", encoding="utf-8")
        pytest.skip(f"{UPDATE_VARIABLE}=1: wrote {SNAPSHOT.name}; review `git diff` and commit it with the change")
    if not SNAPSHOT.is_file():
        pytest.fail(f"{SNAPSHOT} is missing: create it with {UPDATE_VARIABLE}=1 (see this module's docstring)")
    committed = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    differences = _differences(committed, current)
    assert not differences, (
        "the asset graph differs from tests/architecture/asset_specs.json:\n  "
        + "\n  ".join(differences)
        + f"\nIf the change is deliberate, run `{UPDATE_VARIABLE}=1 python -m pytest "
        "tests/architecture/test_asset_specs_snapshot.py`, review the diff, update docs/architecture.md's "
        "picture and commit both with the change."
    )


def _differences(committed: dict, current: dict) -> list[str]:
    """One line per added, removed or changed asset or job (readable, unlike a whole-dict assert)."""
    lines = []
    for section in ("assets", "jobs"):
        before, after = committed.get(section, {}), current.get(section, {})
        for name in sorted(before.keys() | after.keys()):
            if name not in after:
                lines.append(f"{section[:-1]} {name!r} removed")
            elif name not in before:
                lines.append(f"{section[:-1]} {name!r} added: {after[name]}")
            elif before[name] != after[name]:
                lines.append(f"{section[:-1]} {name!r} changed: {before[name]} -> {after[name]}")
    return lines


def test_a_new_dependency_is_reported_as_a_difference() -> None:
    """The comparison would catch a lineage change: one added dep, one renamed check, one new asset."""
    committed = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    changed = json.loads(json.dumps(committed))
    first = sorted(changed["assets"])[0]
    changed["assets"][first]["deps"] = [*changed["assets"][first]["deps"], "some_new_upstream"]
    changed["assets"]["a_new_asset"] = {"group": "x", "deps": [], "partitions": None, "checks": []}
    assert _differences(committed, changed) == [
        f"asset {'a_new_asset'!r} added: {changed['assets']['a_new_asset']}",
        f"asset {first!r} changed: {committed['assets'][first]} -> {changed['assets'][first]}",
    ]
    assert _differences(committed, committed) == []
