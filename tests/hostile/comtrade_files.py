"""Small Comtrade+ extracts for the hostile-input tests: a header and rows built from named fields, so each
test states only what makes its file hostile."""

from __future__ import annotations

from pathlib import Path

# The Comtrade+ bulk header (as in sample/extracts/comtrade), value last as in the cut-value case.
COLUMNS = (
    "typeCode", "freqCode", "refYear", "period", "reporterCode", "reporterISO", "flowCode", "partnerCode",
    "partnerISO", "partner2Code", "classificationCode", "cmdCode", "customsCode", "motCode", "mosCode",
    "isOriginalClassification", "primaryValue",
)
# One HS6 bilateral fact that cleaning keeps in comtrade_clean: Japan's 2017 car exports to Thailand.
FACT = {
    "typeCode": "C", "freqCode": "A", "refYear": "2017", "period": "2017", "reporterCode": "392",
    "reporterISO": "JPN", "flowCode": "X", "partnerCode": "764", "partnerISO": "THA", "partner2Code": "0",
    "classificationCode": "H5", "cmdCode": "870323", "customsCode": "C00", "motCode": "0", "mosCode": "0",
    "isOriginalClassification": "1", "primaryValue": "17950567092",
}


def row(**fields: str) -> dict[str, str]:
    """FACT with `fields` replaced (e.g. row(cmdCode="870324", primaryValue="1e30"))."""
    unknown = set(fields) - set(COLUMNS)
    assert not unknown, f"not a column of the test header: {unknown}"
    return {**FACT, **fields}


def delimited(rows: list[dict[str, str]], delimiter: str = ",", newline: str = "\n") -> str:
    lines = [delimiter.join(COLUMNS)] + [delimiter.join(record[name] for name in COLUMNS) for record in rows]
    return newline.join(lines) + newline


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path
