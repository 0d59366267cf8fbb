"""One answer to "which years does this file hold": the extract manifest. The convenience reader's per-file
summary describes the rows it read, and agrees with the manifest for every readable fixture."""

from __future__ import annotations

import shutil
from pathlib import Path

from assets.sources.comtrade_readers import read_comtrade_extracts
from assets.sources.manifest import COMTRADE, load_manifest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "comtrade"
READABLE = sorted(
    path.name for path in FIXTURES.iterdir()
    if path.suffix in (".csv", ".tsv", ".json") and "error" not in path.name and "unknown" not in path.name
    and not path.name.endswith(".query.json")
)


def test_the_reader_and_the_manifest_agree_on_the_years_of_each_file(tmp_path: Path) -> None:
    extracts = tmp_path / "extracts"
    (extracts / "comtrade").mkdir(parents=True)
    for name in READABLE:
        shutil.copyfile(FIXTURES / name, extracts / "comtrade" / name)
    manifest = load_manifest(extracts, tmp_path / "wh" / ".cache" / "extracts")
    by_manifest = {e.source_file: e.rows_by_year for e in manifest.entries if e.family == COMTRADE and e.readable}
    assert len(by_manifest) == len(READABLE) > 3

    rows, summary = read_comtrade_extracts(extracts, cache_dir=tmp_path / "cache")
    by_reader = {
        source_file: {int(year): int(n) for year, n in group["refYear"].value_counts().items()}
        for source_file, group in rows.groupby("source_file")
    }
    nonempty = {name: years for name, years in by_manifest.items() if years}
    assert by_reader == nonempty
    for row in summary.itertuples(index=False):
        assert row.years == ",".join(str(year) for year in sorted(by_manifest[row.source_file])), row.source_file
