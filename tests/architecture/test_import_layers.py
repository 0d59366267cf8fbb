"""No module imports upward, and no two modules import each other (directly or through others).

The layers, bottom to top (docs/architecture.md draws them). A module may import its own layer or any layer
below; never one above. They were read off the code, not wished for: the folders `assets`, `checks` and
`pipelines` are not layers by themselves — Dagster wrappers (assets/*.py) sit above the pipeline runtime
they use (pipelines/io_managers.py, partitions.py), which sits above the pure code it reads and writes with.

  0 vocabulary       assets.vocabulary — contracts and code lists; imports nothing of the project
  1 foundation       assets.errors, files, tables, duckdb_session, markdown_text — error types, atomic files,
                     Arrow/DuckDB helpers, the one Markdown table writer
  2 sources          assets.sources.* — readers, API clients, the extract manifest
  3 reference        assets.transforms.reference.* — country codes, scope, product groups
  4 cleaning         assets.transforms.cleaning.* — Comtrade and TiVA cleaning
  5 harmonization    assets.transforms.harmonization.* — HS conversion, reconciliation, trade flows, totals
  6 indicators       assets.transforms.indicators.* — indicators, panel, catalog
  7 report           assets.transforms.report.* — the rvc_report
  8 exports          assets.exports.* — `rvc export` and the warehouse views
  9 settings         pipelines.settings, object_storage, resources — where things are, the Dagster resource
 10 checks           checks.* — pandera contracts of the stored tables
 11 runtime          pipelines.io_managers, partitions, validation, table_validation, column_schemas — storing
                     and validating
 12 asset wrappers   assets (the package), assets.reference, raw, cleaning, harmonization, indicators,
                     reports, metadata, step_failures — the Dagster assets and checks, thin over the layers below
 13 orchestration    every other pipelines.* module — definitions, jobs, schedules, sensors, backfill, CLI

Every module of assets/, checks/ and pipelines/ must fall in a layer: a new module that matches none fails
`test_every_module_has_a_layer` until it is placed here (and in docs/architecture.md).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PROJECT_PACKAGES = ("assets", "checks", "pipelines")

# (layer name, module prefixes). A module belongs to the layer of its longest matching prefix.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("vocabulary", ("assets.vocabulary",)),
    ("foundation", ("assets.errors", "assets.files", "assets.tables", "assets.duckdb_session", "assets.markdown_text",
                    "assets.project_paths")),
    ("sources", ("assets.sources",)),
    ("reference", ("assets.transforms.reference",)),
    ("cleaning", ("assets.transforms.cleaning",)),
    ("harmonization", ("assets.transforms.harmonization",)),
    ("indicators", ("assets.transforms.indicators",)),
    ("report", ("assets.transforms.report",)),
    ("exports", ("assets.exports",)),
    ("settings", ("pipelines.settings", "pipelines.object_storage", "pipelines.resources")),
    ("checks", ("checks",)),
    (
        "runtime",
        ("pipelines.io_managers", "pipelines.partitions", "pipelines.validation", "pipelines.table_validation",
         "pipelines.column_schemas"),
    ),
    ("asset wrappers", ("assets",)),
    ("orchestration", ("pipelines",)),
]
# Packages that only group modules (an empty or docstring-only __init__): they belong to no layer.
GROUPING_PACKAGES = {"assets.transforms", "checks", "pipelines"}


def layer_of(module: str) -> int | None:
    """Index in LAYERS of the module's longest matching prefix; None when no prefix matches."""
    best: tuple[int, int] | None = None  # (prefix length, layer)
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if module == prefix or module.startswith(prefix + "."):
                if best is None or len(prefix) > best[0]:
                    best = (len(prefix), index)
    return None if best is None else best[1]


def project_modules(root: Path = REPO_ROOT) -> dict[str, Path]:
    """{dotted name: file} of every module under assets/, checks/ and pipelines/ (a package as its __init__)."""
    modules = {}
    for package in PROJECT_PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path
    return modules


def imports_of(path: Path, known: Iterable[str]) -> set[str]:
    """Project modules a file imports anywhere (top level, inside functions, under TYPE_CHECKING).

    `from package import name` counts as the submodule `package.name` when there is one, else as `package`.
    """
    known = set(known)
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] in PROJECT_PACKAGES)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] not in PROJECT_PACKAGES:
                continue
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in known else node.module)
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            found.add(f"<relative import in {path.name}>")  # the project uses absolute imports only
    return found


def import_graph(root: Path = REPO_ROOT) -> dict[str, set[str]]:
    modules = project_modules(root)
    return {name: imports_of(path, modules) - {name} for name, path in modules.items()}


def upward_imports(graph: Mapping[str, set[str]]) -> list[str]:
    """One line per import of a higher layer (or of a module in no layer)."""
    problems = []
    for module in sorted(graph):
        own = layer_of(module)
        if own is None:
            continue  # reported by test_every_module_has_a_layer
        for imported in sorted(graph[module]):
            if imported in GROUPING_PACKAGES:
                continue
            target = layer_of(imported)
            if target is None or target > own:
                where = "no layer" if target is None else f"layer {target} {LAYERS[target][0]}"
                problems.append(f"{module} (layer {own} {LAYERS[own][0]}) imports {imported} ({where})")
    return problems


def import_cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of two or more modules (Tarjan), each sorted; a self-import counts too."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for neighbour in sorted(graph.get(node, ())):
            if neighbour not in graph:
                continue
            if neighbour not in index:
                visit(neighbour)
                low[node] = min(low[node], low[neighbour])
            elif neighbour in on_stack:
                low[node] = min(low[node], index[neighbour])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph.get(node, ()):
                cycles.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(cycles)


def package_of(module: str) -> str:
    """The folder a module sits in (a package's own __init__ counts as its folder)."""
    return module if (REPO_ROOT / module.replace(".", "/")).is_dir() else module.rpartition(".")[0]


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph()


def test_every_module_has_a_layer(graph: dict[str, set[str]]) -> None:
    unplaced = sorted(m for m in graph if layer_of(m) is None and m not in GROUPING_PACKAGES)
    assert not unplaced, (
        f"modules in no layer: {unplaced}. Add their prefix to LAYERS in {Path(__file__).name} at the layer "
        "their imports allow, and to the picture in docs/architecture.md."
    )


def test_no_module_imports_a_higher_layer(graph: dict[str, set[str]]) -> None:
    problems = upward_imports(graph)
    assert not problems, (
        "imports that go up the layers (see this module's docstring):\n  " + "\n  ".join(problems)
        + "\nMove the shared piece down (a constant to assets/vocabulary.py, a helper to the lowest layer that "
        "needs it) or pass it in as an argument; do not add a re-export or a lazy import to hide it."
    )


def test_no_import_cycles_between_modules(graph: dict[str, set[str]]) -> None:
    assert import_cycles(graph) == []


def test_no_import_cycles_between_stage_packages(graph: dict[str, set[str]]) -> None:
    """The folders of the pure code (assets.sources, assets.transforms.<stage>, assets.exports) form no cycle."""
    pure = [m for m in graph if layer_of(m) is not None and layer_of(m) <= layer_of("assets.exports")]
    packages: dict[str, set[str]] = {}
    for module in pure:
        packages.setdefault(package_of(module), set()).update(
            package_of(target) for target in graph[module] if target in graph
        )
    for package, targets in packages.items():
        targets.discard(package)
    assert import_cycles(packages) == []


def test_the_vocabulary_imports_nothing_of_the_project(graph: dict[str, set[str]]) -> None:
    assert graph["assets.vocabulary"] == set()


# ------------------------------------------------------------------- the checks catch what they are for


def test_an_upward_import_is_reported() -> None:
    """A source reading a cleaning rule, and the vocabulary importing anything, are both violations."""
    synthetic = {
        "assets.vocabulary": {"assets.errors"},
        "assets.sources.comtrade_readers": {"assets.transforms.cleaning.row_rules", "assets.vocabulary"},
        "assets.transforms.cleaning.row_rules": {"assets.sources.year_range"},  # downward: allowed
        "checks.scope": {"pipelines.settings"},  # settings (9) is below checks (10): allowed
        "pipelines.settings": {"checks.raw"},  # up: settings must not need the contracts
    }
    assert upward_imports(synthetic) == [
        "assets.sources.comtrade_readers (layer 2 sources) imports assets.transforms.cleaning.row_rules "
        "(layer 4 cleaning)",
        "assets.vocabulary (layer 0 vocabulary) imports assets.errors (layer 1 foundation)",
        "pipelines.settings (layer 9 settings) imports checks.raw (layer 10 checks)",
    ]


def test_a_cycle_is_reported_even_inside_one_layer() -> None:
    """The circle #18 found (conservation <-> comtrade_cleaning) was inside one stage: layers alone miss it."""
    synthetic = {
        "assets.transforms.cleaning.comtrade_cleaning": {"assets.transforms.cleaning.conservation"},
        "assets.transforms.cleaning.conservation": {"assets.transforms.cleaning.facts"},
        "assets.transforms.cleaning.facts": {"assets.transforms.cleaning.comtrade_cleaning"},
        "assets.transforms.cleaning.codes": set(),
    }
    assert upward_imports(synthetic) == []
    assert import_cycles(synthetic) == [[
        "assets.transforms.cleaning.comtrade_cleaning",
        "assets.transforms.cleaning.conservation",
        "assets.transforms.cleaning.facts",
    ]]


def test_the_real_graph_is_read(graph: dict[str, set[str]]) -> None:
    """The parser sees top-level and in-function imports, and `from package import submodule` as the submodule."""
    assert "assets.vocabulary" in graph["assets.sources.comtrade_readers"]
    assert "assets.transforms.reference" in graph["assets.raw"]  # imported inside a function
    assert {"assets.cleaning", "assets.raw", "assets.reports"} <= graph["pipelines.definitions"]
