"""Every constant of assets/vocabulary.py is defined there only: no module assigns the same name, or a copy of
one of its code lists under another name (HS_VINTAGES was written out three times before #18)."""

from __future__ import annotations

import ast
from pathlib import Path

from assets import vocabulary

REPO_ROOT = Path(__file__).resolve().parents[2]
VOCABULARY = REPO_ROOT / "assets" / "vocabulary.py"


def top_level_constants(path: Path) -> dict[str, object]:
    """{NAME: literal value, or None when not a literal} of the module-level UPPER_CASE assignments of a file."""
    found: dict[str, object] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and target.id.lstrip("_").isupper():
                    try:
                        found[target.id] = ast.literal_eval(node.value)
                    except ValueError:
                        found[target.id] = None
    return found


def _comparable(value: object) -> object:
    """Lists and tuples compare by items, sets by members, dicts by items."""
    if isinstance(value, (list, tuple)):
        return ("sequence", tuple(value))
    if isinstance(value, (set, frozenset)):
        return ("set", frozenset(value))
    if isinstance(value, dict):
        return ("dict", tuple(value.items()))
    return value


def copies_of(vocabulary_values: dict[str, object], module_constants: dict[str, object]) -> list[str]:
    """Names of `module_constants` that redefine a vocabulary name or copy a vocabulary list of two or more items."""
    lists = {
        _comparable(value): name
        for name, value in vocabulary_values.items()
        if isinstance(value, (list, tuple, set, frozenset, dict)) and len(value) >= 2
    }
    copies = []
    for name, value in module_constants.items():
        if name.lstrip("_") in vocabulary_values:
            copies.append(f"{name} (the vocabulary's {name.lstrip('_')})")
        elif value is not None and isinstance(value, (list, tuple, set, frozenset, dict)) and _comparable(value) in lists:
            copies.append(f"{name} (a copy of the vocabulary's {lists[_comparable(value)]})")
    return copies


def test_no_module_redefines_or_copies_a_vocabulary_constant() -> None:
    vocabulary_values = {name: getattr(vocabulary, name) for name in top_level_constants(VOCABULARY)}
    problems = []
    for package in ("assets", "checks", "pipelines"):
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            if path != VOCABULARY:
                problems += [f"{path.relative_to(REPO_ROOT)}: {c}" for c in copies_of(vocabulary_values, top_level_constants(path))]
    assert not problems, "import these from assets.vocabulary instead:\n  " + "\n  ".join(problems)


def test_a_copy_under_another_name_is_caught() -> None:
    vocabulary_values = {"HS_VINTAGES": ("H0", "H1", "H2"), "WORLD": "WLD"}
    module = {"HS_VINTAGES": ("H0", "H1", "H2"), "EDITIONS": ["H0", "H1", "H2"], "_WORLD": "WLD", "OTHER": ("H0",)}
    assert copies_of(vocabulary_values, module) == [
        "HS_VINTAGES (the vocabulary's HS_VINTAGES)",
        "EDITIONS (a copy of the vocabulary's HS_VINTAGES)",
        "_WORLD (the vocabulary's WORLD)",
    ]
