"""Schedules pick the right years for a date; the extract inventory notices new and changed files."""

from datetime import datetime, timezone
from pathlib import Path

import pytest

from assets.sources.extract_inventory import changed_files, decode_cursor, encode_cursor, inventory
from pipelines.schedules import refresh_years

KEYS = [str(y) for y in range(1995, 2024)]


@pytest.mark.parametrize(
    ("when", "years_back", "expected"),
    [
        (datetime(2024, 3, 1, tzinfo=timezone.utc), 3, ["2021", "2022", "2023"]),
        (datetime(2020, 6, 1, tzinfo=timezone.utc), 3, ["2017", "2018", "2019"]),  # 2020 cannot be published yet
        (datetime(2030, 1, 1, tzinfo=timezone.utc), 2, ["2022", "2023"]),  # capped at the latest partition
        (datetime(1995, 5, 1, tzinfo=timezone.utc), 3, []),
    ],
)
def test_refresh_years(when: datetime, years_back: int, expected: list[str]) -> None:
    assert refresh_years(KEYS, when, years_back) == expected


def test_inventory_and_changes(tmp_path: Path) -> None:
    (tmp_path / "comtrade").mkdir()
    (tmp_path / "comtrade" / "a.csv").write_text("x\n1\n")
    (tmp_path / "comtrade" / "a.csv.query.json").write_text("{}")  # sidecar, not data
    (tmp_path / ".hidden").write_text("ignored")
    first = inventory(tmp_path)
    assert list(first) == ["comtrade/a.csv"]

    (tmp_path / "comtrade" / "b.csv").write_text("x\n2\n")
    (tmp_path / "comtrade" / "a.csv").write_text("x\n1\n")  # same content: unchanged
    second = inventory(tmp_path)
    assert changed_files(second, first) == ["comtrade/b.csv"]

    (tmp_path / "comtrade" / "a.csv").write_text("x\n3\n")
    third = inventory(tmp_path)
    assert changed_files(third, second) == ["comtrade/a.csv"]
    assert decode_cursor(encode_cursor(third)) == third
    assert decode_cursor(None) == {}
