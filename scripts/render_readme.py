"""Write the indicator catalog into README.md between the CATALOG markers (a test keeps them in sync)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from assets.transforms.indicators.indicator_catalog import catalog_markdown, load_indicator_catalog  # noqa: E402

START, END = "<!-- CATALOG:START -->", "<!-- CATALOG:END -->"


def render(readme: str) -> str:
    block = f"{START}\n{catalog_markdown(load_indicator_catalog()).strip()}\n{END}"
    return re.sub(re.escape(START) + r".*?" + re.escape(END), lambda _m: block, readme, flags=re.S)


if __name__ == "__main__":
    path = REPO / "README.md"
    path.write_text(render(path.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"catalog written into {path}")
