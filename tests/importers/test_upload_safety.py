"""Hostile and malformed uploads are refused quickly and change nothing."""

import io
import re
import time
import tracemalloc
import zipfile

import openpyxl
import openpyxl.xml
import pytest

from monitor.importers import upload as reader
from monitor.importers.upload import UploadRejected, read_upload


def xlsx_bytes(rows) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_only_xlsx_and_csv_are_accepted():
    for name in ("return.xls", "return.xlsm", "return.pdf", "return", "return.xlsx.exe"):
        with pytest.raises(UploadRejected, match=r"must be an \.xlsx spreadsheet or a \.csv"):
            read_upload(name, b"anything")


def test_a_file_pretending_to_be_xlsx_is_refused():
    with pytest.raises(UploadRejected, match="not a valid .xlsx"):
        read_upload("return.xlsx", b"this is not a zip")


def test_a_zip_bomb_is_refused_quickly_without_much_memory():
    # About 10 MB of zeros compresses to a few kB; declared as one member of ~120 MB.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(120):
                member.write(chunk)
    data = buffer.getvalue()
    assert len(data) < 1024 * 1024
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(UploadRejected, match="too large once unpacked"):
        read_upload("bomb.xlsx", data)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 20 * 1024 * 1024  # never inflated
    assert time.perf_counter() - started < 10  # a sanity bound, not a benchmark


def test_declared_sizes_that_lie_are_caught_while_reading(monkeypatch):
    monkeypatch.setattr(reader, "MAX_MEMBER_RATIO", 10**9)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.xml", b"\0" * (reader.MAX_UNZIPPED_BYTES + 1))
    data = bytearray(buffer.getvalue())
    # Rewrite the declared uncompressed size in the central directory to 1 byte.
    central = data.rfind(b"PK\x01\x02")
    data[central + 24 : central + 28] = (1).to_bytes(4, "little")
    with pytest.raises(UploadRejected):
        read_upload("liar.xlsx", bytes(data))


def test_too_many_zip_members_are_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for n in range(reader.MAX_ZIP_MEMBERS + 1):
            archive.writestr(f"part{n}.xml", b"<a/>")
    with pytest.raises(UploadRejected, match="too many parts"):
        read_upload("many.xlsx", buffer.getvalue())


def test_openpyxl_refuses_xml_entity_attacks_through_defusedxml():
    assert openpyxl.xml.DEFUSEDXML is True
    good = xlsx_bytes([["a"]])
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c>'
        b"</row></sheetData></worksheet>"
    )
    source = zipfile.ZipFile(io.BytesIO(good))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = bomb
            target.writestr(info, data)
    with pytest.raises(UploadRejected, match="could not be read"):
        read_upload("entities.xlsx", buffer.getvalue())


def test_row_and_column_caps():
    with pytest.raises(UploadRejected, match="more than 2,000 rows"):
        read_upload("rows.csv", ("x\n" * (reader.MAX_ROWS + 1)).encode())
    with pytest.raises(UploadRejected, match="more than 40 columns"):
        read_upload("wide.csv", (",".join(["x"] * 41) + "\n").encode())
    with pytest.raises(UploadRejected, match="more than 2,000 rows"):
        read_upload("rows.xlsx", xlsx_bytes([[n] for n in range(reader.MAX_ROWS + 1)]))


def test_a_workbook_whose_declared_dimensions_lie_is_read_in_full():
    data = xlsx_bytes([[n, f"row {n}"] for n in range(1, 51)])
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = re.sub(
                    rb'<dimension ref="A1:B50"\s*/>', b'<dimension ref="A1:A2"/>', content
                )
                assert b'<dimension ref="A1:A2"/>' in content
            target.writestr(info, content)
    sheet = read_upload("liar.xlsx", buffer.getvalue())["Sheet"]
    assert len(sheet.rows) == 50
    assert sheet.value(50, 2).text == "row 50"


def test_csv_with_bom_and_windows_encoding():
    assert read_upload("a.csv", "\ufeffa,£12\n".encode())["CSV"].value(1, 2).text == "£12"
    assert read_upload("b.csv", "a,£12\n".encode("cp1252"))["CSV"].value(1, 2).text == "£12"


def test_cell_text():
    assert reader.cell_text(12.0) == "12"
    assert reader.cell_text(12.5) == "12.5"
    assert reader.excel_serial_date("45566").isoformat() == "2024-10-01"
    assert reader.excel_serial_date("12") is None


def test_oversized_upload_gets_a_friendly_413(client, world):
    client.sign_in(world.editor.email)
    url = "/figures/2025-10/upload"
    token = client.csrf_token(url)
    # The multipart body is built here, in memory: werkzeug's own builder spools a body
    # this size to a temporary file that the test client never closes.
    boundary = "hep-boundary"
    body = (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="csrf_token"\r\n\r\n'
            f"{token}\r\n"
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="big.xlsx"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + b"x" * (6 * 1024 * 1024)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 413
    assert "The file is too large" in response.get_data(as_text=True)
