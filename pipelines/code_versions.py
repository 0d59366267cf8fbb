"""Each asset's code version, derived from the code it runs.

An asset's version is a hash of
- its own function (the decorated compute function, its decorators included) and the module-level
  helpers and constants of its module that the function uses, followed transitively;
- every project module those reach by import (`assets`, `pipelines`, `checks`), followed transitively
  through each module's imports (any import in the file, including those inside functions); a name taken
  from a stage package (`from assets.transforms.cleaning import clean_tiva`) counts as its defining module,
  and the packages above a module count by their own __init__ only (see `module_closure`);
- the bundled data files (`assets/data/*.csv`) named in one of those modules.

So editing the report code (assets/reports.py, assets/transforms/report/) changes `rvc_report`'s version
only, and editing a cleaning module changes the cleaning assets' versions and nothing upstream of them.
Dagster marks an asset stale when its code version differs from the one of its last materialization,
and `rvc backfill` re-runs a year when a yearly asset's version changed (pipelines/fingerprints.py).

The asset's own function and helpers are compared as parsed (`ast.unparse`: comments and formatting there do
not change a version); imported modules are compared byte for byte. Source is read from the files, never imported or executed, so this works while the asset modules are
still being imported. Third-party code (dagster, pandas, …) is not hashed: pinned versions in
constraints.txt cover it.
"""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pipelines.settings import REPO_ROOT

PROJECT_PACKAGES = ("assets", "pipelines", "checks")
DATA_FOLDER = ("assets", "data")


def is_project_module(name: str) -> bool:
    return name.split(".", 1)[0] in PROJECT_PACKAGES


@cache
def module_file(name: str, root: Path = REPO_ROOT) -> Path | None:
    """The source file of project module `name` (a package's __init__.py), None when there is no such module."""
    parts = name.split(".")
    base = root.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _resolve(module: str, name: str, root: Path) -> str:
    """`from module import name`: the submodule `module.name` when it exists; the module that defines `name`
    when `module` is a package whose __init__ re-exports it (`from module.sub import name`); else `module`."""
    if module_file(f"{module}.{name}", root):
        return f"{module}.{name}"
    return _reexported_from(module, name, root) or module


def _reexported_from(package: str, name: str, root: Path) -> str | None:
    """The module a package's __init__ takes `name` from (`from package.sub import name`), None when it does not."""
    path = module_file(package, root)
    if path is None or path.name != "__init__.py":
        return None
    for node in _parsed(path).body:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and is_project_module(node.module):
            for alias in node.names:
                if (alias.asname or alias.name) == name:
                    return _resolve(node.module, alias.name, root)
    return None


@dataclass(frozen=True)
class _FileFacts:
    tree: ast.Module
    imports: frozenset[tuple[str, str | None]]  # (module, name) of `from module import name`; (module, None) of `import module`
    literals: frozenset[str]


@cache
def _facts_of_version(path: Path, mtime_ns: int, size: int) -> _FileFacts:
    tree = ast.parse(path.read_bytes(), filename=str(path))
    imports: set[tuple[str, str | None]] = set()
    literals: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imports.update((alias.name, None) for alias in node.names if is_project_module(alias.name))
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and is_project_module(node.module):
            imports.update((node.module, alias.name) for alias in node.names)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) < 200:
            literals.add(node.value)
    return _FileFacts(tree, frozenset(imports), frozenset(literals))


def _facts(path: Path) -> _FileFacts:
    """Parsed once per version of the file (a test may edit a copy of the code)."""
    stat = path.stat()
    return _facts_of_version(path, stat.st_mtime_ns, stat.st_size)


def _parsed(path: Path) -> ast.Module:
    return _facts(path).tree


def imported_project_modules(name: str, root: Path = REPO_ROOT) -> frozenset[str]:
    """The project modules that module `name` imports anywhere in its file (top level or inside functions)."""
    path = module_file(name, root)
    if path is None:
        return frozenset()
    found = {module if imported is None else _resolve(module, imported, root) for module, imported in _facts(path).imports}
    return frozenset(module for module in found if module_file(module, root))


def parent_packages(name: str, root: Path = REPO_ROOT) -> set[str]:
    """The packages above module `name` (`assets`, `assets.transforms`, ... for `assets.transforms.cleaning.codes`)."""
    parts = name.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts)) if module_file(".".join(parts[:i]), root)}


def module_closure(names: Iterable[str], root: Path = REPO_ROOT) -> set[str]:
    """`names` and every project module they import, transitively, with the packages above each of them.

    Importing a submodule runs its parent packages' __init__ too, so their own bytes count. What an __init__
    re-exports from its other submodules is not followed from there: a module that uses one of those names
    reaches its defining module through `_resolve`. So the cleaning stage's package exposing both Comtrade and
    TiVA cleaning does not make the Comtrade assets' versions depend on the TiVA code.
    """
    seen: set[str] = set()
    pending = [name for name in names if module_file(name, root)]
    while pending:
        name = pending.pop()
        if name not in seen:
            seen.add(name)
            pending.extend(imported_project_modules(name, root) - seen)
    return seen | {package for name in seen for package in parent_packages(name, root)}


def _bundled_data_files(module: str, root: Path) -> list[Path]:
    """Files of assets/data whose names appear as string literals in the module (e.g. "regions.csv")."""
    data_dir = root.joinpath(*DATA_FOLDER)
    if not data_dir.is_dir():
        return []
    names = {p.name: p for p in data_dir.iterdir() if p.is_file()}
    literals = _facts(module_file(module, root)).literals
    return [names[literal] for literal in sorted(literals & names.keys())]


def _top_level_names(tree: ast.Module, root: Path) -> tuple[dict[str, ast.stmt], dict[str, str]]:
    """({name: its def/class/assignment statement}, {name: project module it was imported from})."""
    statements: dict[str, ast.stmt] = {}
    imported: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            statements[node.name] = node
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for leaf in ast.walk(target):
                    if isinstance(leaf, ast.Name):
                        statements[leaf.id] = node
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and is_project_module(node.module):
            for alias in node.names:
                imported[alias.asname or alias.name] = _resolve(node.module, alias.name, root)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if is_project_module(alias.name):
                    imported[alias.asname or alias.name.split(".")[0]] = alias.name
    return statements, imported


def _names_used(node: ast.AST) -> set[str]:
    return {leaf.id for leaf in ast.walk(node) if isinstance(leaf, ast.Name)}


def function_dependencies(module: str, function: str, root: Path = REPO_ROOT) -> tuple[list[str], set[str]]:
    """(source of `function` and the same-module statements it uses, transitively; project modules it uses).

    Imports inside the used functions count as used modules.
    """
    path = module_file(module, root)
    if path is None:
        raise ValueError(f"{module} is not a project module (no file under {root})")
    tree = _parsed(path)
    statements, imported = _top_level_names(tree, root)
    if function not in statements:
        raise ValueError(f"{module} defines no top-level {function!r}")
    used_statements: dict[int, ast.stmt] = {}
    modules: set[str] = set()
    pending = [statements[function]]
    while pending:
        statement = pending.pop()
        if id(statement) in used_statements:
            continue
        used_statements[id(statement)] = statement
        for node in ast.walk(statement):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and is_project_module(node.module):
                modules.update(_resolve(node.module, alias.name, root) for alias in node.names)
            elif isinstance(node, ast.Import):
                modules.update(alias.name for alias in node.names if is_project_module(alias.name))
        for name in _names_used(statement):
            if name in statements:
                pending.append(statements[name])
            elif name in imported:
                modules.add(imported[name])
    ordered = sorted(used_statements.values(), key=lambda s: s.lineno)
    return [ast.unparse(s) for s in ordered], modules


def code_version_of(module: str, function: str, root: Path = REPO_ROOT) -> str:
    """The code version of the function `module.function`: 16 hex digits of a SHA-256 (see the module docstring)."""
    segments, used_modules = function_dependencies(module, function, root)
    digest = hashlib.sha256()
    for segment in segments:
        digest.update(segment.encode("utf-8") + b"\0")
    for name in sorted(module_closure(used_modules, root)):
        digest.update(name.encode() + b"\0" + module_file(name, root).read_bytes() + b"\0")
        for data_file in _bundled_data_files(name, root):
            digest.update(data_file.name.encode() + b"\0" + data_file.read_bytes() + b"\0")
    return digest.hexdigest()[:16]

