"""The error for a reference table (a UN workbook or its CSV export) that cannot be read at all.

Belongs here: telling the user what a damaged file looks like (an HTML page saved under a workbook name,
a cut .xlsx or .xls, binary data in a .csv) and what to do. Not here: parsing the tables
(hs_correlation.read_table_rows, country_lists, hs_nomenclature), nor errors about their content.
"""

from __future__ import annotations

from pathlib import Path

from assets.errors import RvcInputError

_ZIP_MAGIC = b"PK\x03\x04"  # .xlsx is a ZIP archive
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls is an OLE2 compound document


def _looks_like(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            head = handle.read(512)
    except OSError:
        return "unreadable"
    if head.lstrip()[:1] == b"<":
        return "an HTML or XML page (a download that saved the site's error or sign-in page?)"
    if head.startswith(_ZIP_MAGIC):
        return "a cut or damaged .xlsx workbook (a ZIP archive that does not end properly)"
    if head.startswith(_OLE2_MAGIC):
        return "a cut or damaged .xls workbook"
    if b"\x00" in head:
        return "binary data, not CSV text"
    return "neither a workbook nor CSV text that this reader understands"


def unreadable_table(path: Path, expected: str, error: BaseException) -> RvcInputError:
    """An RvcInputError for `path` that no reader could open: names the file, `expected` (the table it
    should be, e.g. "a UN HS correlation table") and what to do."""
    return RvcInputError(
        f"{path}: cannot be read as {expected} ({type(error).__name__}: {str(error)[:200]}); the file looks like "
        f"{_looks_like(Path(path))}. What to do: download the table again from its source (a cut download "
        "leaves a file like this), or open it in a spreadsheet program and export the sheet as CSV (UTF-8) "
        "under the same name with a .csv suffix."
    )
