"""Damaged reference tables in RVC_REFERENCE: a cut .xlsx, an HTML page saved as .xlsx, a cut .xls,
a workbook saved under a .csv name. Each is an RvcInputError naming the file, the table expected and
what to do — never BadZipFile, IndexError or a decoding error from deep inside a library.
"""

from __future__ import annotations

import struct
from io import BytesIO
from pathlib import Path

import openpyxl
import pytest

from assets.errors import RvcInputError
from assets.sources.country_lists import LEGACY_FILE, load_country_lists
from assets.sources.hs_bec import load_hs_bec
from assets.sources.hs_correlation import read_correlation_table
from assets.sources.hs_nomenclature import load_h0_leaf_codes

HTML_PAGE = b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>Please sign in</body></html>\n"


def small_xlsx() -> bytes:
    book = openpyxl.Workbook()
    book.active.title = "Correlation"
    book.active.append(["From HS 2017", "To HS 1992", "Relationship"])
    book.active.append(["870323", "870323", "1:1"])
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def cut_xls() -> bytes:
    """An OLE2 compound-document header (what every .xls starts with) whose sector table lies past the end."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16) + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + bytes(6)
    header += struct.pack("<IIIIIiIiI", 0, 1, 0, 0, 4096, -2, 0, -2, 0)
    header += struct.pack("<i", 40) + struct.pack("<i", -1) * 108
    return header + bytes(512 * 3)


DAMAGED = {
    "cut_xlsx": (".xlsx", small_xlsx()[:300]),
    "html_as_xlsx": (".xlsx", HTML_PAGE),
    "cut_xls": (".xls", cut_xls()),
    "html_as_xls": (".xls", HTML_PAGE),
}


def assert_clear(error: pytest.ExceptionInfo, path: Path, table: str) -> None:
    message = str(error.value)
    assert str(path) in message
    assert table in message  # what was expected
    assert "download" in message.lower() and "CSV" in message  # what to do


@pytest.mark.parametrize("kind", DAMAGED)
def test_a_damaged_correlation_workbook(tmp_path: Path, kind: str) -> None:
    suffix, data = DAMAGED[kind]
    path = tmp_path / f"HS2017_to_HS1992_UNSD{suffix}"
    path.write_bytes(data)
    with pytest.raises(RvcInputError) as error:
        read_correlation_table(path)
    assert_clear(error, path, "correlation")


@pytest.mark.parametrize("kind", DAMAGED)
def test_a_damaged_hs_bec_workbook(tmp_path: Path, kind: str) -> None:
    suffix, data = DAMAGED[kind]
    path = tmp_path / "hs_bec" / f"HS2017_to_BEC4_UNSD{suffix}"
    path.parent.mkdir()
    path.write_bytes(data)
    with pytest.raises(RvcInputError) as error:
        load_hs_bec(tmp_path)
    assert_clear(error, path, "BEC")


@pytest.mark.parametrize("kind", ["cut_xlsx", "html_as_xlsx"])
def test_a_damaged_legacy_country_list(tmp_path: Path, kind: str) -> None:
    _, data = DAMAGED[kind]
    path = tmp_path / "country_codes" / LEGACY_FILE
    path.parent.mkdir()
    path.write_bytes(data)
    with pytest.raises(RvcInputError) as error:
        load_country_lists(tmp_path / "country_codes")
    assert_clear(error, path, "country")


@pytest.mark.parametrize("data", [small_xlsx(), b"id,text,aggrlevel\n01,\x81\x00 cut", b"\x00\x01\x02\x03" * 50])
def test_a_nomenclature_csv_that_is_not_text(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "hs_nomenclature" / "comtradeplus_ref_H0_2024.csv"
    path.parent.mkdir()
    path.write_bytes(data)
    with pytest.raises(RvcInputError) as error:
        load_h0_leaf_codes(tmp_path)
    assert_clear(error, path, "nomenclature")


@pytest.mark.real_data
def test_a_real_xls_cut_in_half(tmp_path: Path, real_data_dir: Path) -> None:
    source = real_data_dir / "hs_correlation" / "HS1996_to_HS1992_UNSD.xls"
    data = source.read_bytes()
    path = tmp_path / source.name
    path.write_bytes(data[: len(data) // 2])  # xlrd: IndexError, array index out of range
    with pytest.raises(RvcInputError) as error:
        read_correlation_table(path)
    assert_clear(error, path, "correlation")
