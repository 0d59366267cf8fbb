"""The fingerprint record (`<warehouse>/.fingerprints.json`) survives concurrent writers and a torn file.

Two `rvc backfill` processes used to share one fixed temp name: one crashed on the rename, the file
could tear, and every later backfill died with a bare JSONDecodeError.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
from pathlib import Path

import pytest

from pipelines.fingerprints import record_fingerprint, recorded_fingerprints
from pipelines.settings import Settings

WORKERS = 4
YEARS_EACH = 40


def settings_for(warehouse: Path) -> Settings:
    return Settings(extracts_dir=warehouse / "x", warehouse_dir=warehouse, reference_dir=warehouse / "r",
                    start_year=1995, uses_sample=False)


@pytest.mark.parametrize("content", ['{"2017": "abc', "", "\x00\x00\x00", "[1, 2]", '{"2017": 5}'])
def test_a_torn_or_foreign_record_means_every_year_re_runs_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, content: str
) -> None:
    settings = settings_for(tmp_path)
    (tmp_path / ".fingerprints.json").write_text(content)

    with caplog.at_level(logging.WARNING):
        assert recorded_fingerprints(settings) == {}  # nothing recorded = every year counts as changed
    assert any(".fingerprints.json" in r.getMessage() and "re-run" in r.getMessage() for r in caplog.records)

    record_fingerprint(settings, "2018", "f" * 64)  # the next successful year starts a clean record
    assert json.loads((tmp_path / ".fingerprints.json").read_text()) == {"2018": "f" * 64}


def test_a_missing_record_is_an_empty_one(tmp_path: Path) -> None:
    assert recorded_fingerprints(settings_for(tmp_path / "never_written")) == {}


def _record_many(warehouse: str, worker: int) -> None:
    settings = settings_for(Path(warehouse))
    for i in range(YEARS_EACH):
        record_fingerprint(settings, f"{worker}-{i:03d}", f"{worker:02d}{i:062d}")


def test_concurrent_writers_never_tear_the_file_nor_lose_an_update(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_record_many, args=(str(tmp_path), w)) for w in range(WORKERS)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=120)

    assert [process.exitcode for process in workers] == [0] * WORKERS  # nobody crashed on a shared temp file
    recorded = json.loads((tmp_path / ".fingerprints.json").read_text())  # whole JSON, not torn
    assert recorded == {f"{w}-{i:03d}": f"{w:02d}{i:062d}" for w in range(WORKERS) for i in range(YEARS_EACH)}
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # no temp file left behind


def test_a_temporary_left_by_a_killed_writer_is_removed_by_the_next_write(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    record_fingerprint(settings, "2017", "a" * 64)
    stale = tmp_path / "..fingerprints.json.0123abcd.tmp"  # assets.files.write_bytes_atomically names it so
    stale.write_text('{"2017": "a')  # what a SIGKILL mid-write leaves
    other = tmp_path / ".other.json.0123abcd.tmp"
    other.write_text("not ours")
    record_fingerprint(settings, "2018", "b" * 64)
    assert not stale.exists() and other.exists()
    assert recorded_fingerprints(settings) == {"2017": "a" * 64, "2018": "b" * 64}
