"""The README's indicator catalog is the catalog the pipeline uses."""

from pathlib import Path
import importlib.util

REPO_ROOT = Path(__file__).resolve().parents[1]  # tests must not import conftest: there are several



def test_readme_catalog_is_in_sync_with_the_catalog_file() -> None:
    spec = importlib.util.spec_from_file_location("render_readme", REPO_ROOT / "scripts" / "render_readme.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert module.render(readme) == readme, "run: .venv/bin/python scripts/render_readme.py"
    assert "`two_way_trade_share`" in readme
