"""Every CSV and workbook reader refuses what it cannot keep, naming where it is, and
never fails with the csv module's or pyarrow's error: a cell beyond the csv module's
131,072-character limit (or a practice cell beyond Excel's 32,767), a NUL (which
PostgreSQL cannot store), a workbook with macros; and a UTF-16 CSV (Excel's "Unicode"
formats) is read as the text it is rather than refused with a garbled message."""

from __future__ import annotations

import codecs
import csv
import io
import zipfile

import openpyxl
import pytest
from bs4 import BeautifulSoup
from sqlmodel import func, select

from monitor.importers import datasets
from monitor.importers.datasets._streamed import CsvSource
from monitor.importers.published import Refused, read_published
from monitor.importers.upload import UploadRejected, cell_text, read_upload
from monitor.models import AuditEvent, SpendItem

HUGE = "x" * 140_000  # beyond the csv module's field limit (131,072)
LONG = "y" * 40_000  # within it, beyond what an Excel cell holds (32,767)


def xlsx(rows, *, extra_parts: dict[str, bytes] | None = None) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    if not extra_parts:
        return buffer.getvalue()
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            target.writestr(item, source.read(item))
        for name, data in extra_parts.items():
            target.writestr(name, data)
    return out.getvalue()


def refused(filename: str, data: bytes) -> UploadRejected:
    with pytest.raises(UploadRejected) as caught:
        read_upload(filename, data)
    return caught.value


# The practice's upload reader -------------------------------------------------------


def test_a_csv_cell_beyond_the_csv_modules_limit_is_refused_naming_its_row():
    error = refused("log.csv", f"a,b\nc,d\ne,{HUGE}\n".encode())
    assert error.message == (
        "Row 3: A cell is longer than 131,072 characters. Check the file and upload it again"
    )
    assert error.row == 3


def test_a_cell_longer_than_excel_holds_is_refused_naming_row_and_column():
    error = refused("log.csv", f"a,b\nc,{LONG}\n".encode())
    assert error.message.startswith("Row 2, column B: The cell has more than 32,767 characters")
    # (openpyxl reads no more than 32,767 characters of a workbook's cell.)


def test_a_nul_in_a_csv_cell_is_refused_naming_row_and_column():
    error = refused("log.csv", b"a,b\nc,d\ne,f\x00g\n")
    assert error.message.startswith("Row 3, column B: The cell contains a NUL character")
    assert (error.row, error.column) == (3, 2)


def test_a_workbook_with_macros_is_refused_whatever_it_is_called():
    data = xlsx([["a"]], extra_parts={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0macro"})
    error = refused("return.xlsx", data)
    assert error.message.startswith("The workbook contains macros")
    assert "Save it as an Excel Workbook (.xlsx)" in error.message


@pytest.mark.parametrize(
    "encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-8-sig", "utf-8"]
)
def test_a_unicode_csv_is_read_as_its_text(encoding):
    text = "Id,Description,Total cost\n,Café “screening” drive,£2,500\n"
    data = text.encode(encoding)
    sheet = read_upload("log.csv", data)["CSV"]
    assert [[c.text for c in row] for row in sheet.rows] == [
        ["Id", "Description", "Total cost"],
        ["", "Café “screening” drive", "£2", "500"],
    ]


def test_a_damaged_utf16_csv_is_refused_saying_save_as_csv_utf8():
    data = codecs.BOM_UTF16_LE + "a,b\n".encode("utf-16-le") + b"\x00\xd8"  # lone surrogate
    error = refused("log.csv", data)
    assert error.message.endswith("Save it as CSV UTF-8 and upload it again")


def test_ordinary_csvs_still_read_as_before():
    assert read_upload("a.csv", "\ufeffa,£12\n".encode())["CSV"].value(1, 2).text == "£12"
    assert read_upload("b.csv", "a,£12\n".encode("cp1252"))["CSV"].value(1, 2).text == "£12"


# National files ---------------------------------------------------------------------


def published_problems(filename: str, data: bytes) -> list[str]:
    with pytest.raises(Refused) as caught:
        read_published(filename, data)
    return [str(p) for p in caught.value.problems]


def test_a_national_csv_with_a_huge_cell_is_refused_naming_its_row():
    assert published_problems("gpad.csv", f"A,B\n1,2\n3,{HUGE}\n".encode()) == [
        "Row 3: A cell is longer than 131,072 characters. Check the file and upload it again"
    ]


def test_a_national_csv_with_a_nul_is_refused_naming_row_and_column():
    (problem,) = published_problems("gpad.csv", b"A,B\n1,2\x00\n")
    assert problem.startswith("Row 2, column “B”: The cell contains a NUL character")


def test_a_national_utf16_csv_is_read_as_its_text():
    data = "PRACTICE_CODE,VALUE\nC82001,12\n".encode("utf-16")
    grid = read_published("fft.csv", data).grids["CSV"]
    assert grid.row_texts(1) == ["PRACTICE_CODE", "VALUE"]
    assert grid.row_texts(2) == ["C82001", "12"]


def streamed(tmp_path, data: bytes) -> CsvSource:
    path = tmp_path / "national.csv"
    path.write_bytes(data)
    return CsvSource.at(path, path.name)


def test_a_streamed_national_csv_with_a_nul_is_refused_naming_row_and_column(tmp_path):
    source = streamed(tmp_path, b"A,B\n1,2\n3,4\x00\n")
    with pytest.raises(Refused) as caught:
        list(source.blocks(["A", "B"], []))
    assert [str(p) for p in caught.value.problems] == [
        "Row 3, column “B”: The cell contains a NUL character, which cannot be saved. "
        "Download the file again"
    ]


def test_a_streamed_national_csv_reread_names_a_huge_cell_rather_than_failing(tmp_path):
    source = streamed(tmp_path, f"A,B\n1,2\n3,{HUGE}\n".encode())
    assert [str(p) for p in source.reread()] == ["Row 3: A cell is longer than 131,072 characters"]


def test_a_streamed_national_csv_in_utf16_is_read_as_its_text(tmp_path):
    source = streamed(tmp_path, "A,B\n1,2\n3,4\n".encode("utf-16"))
    assert source.header().headings == ["A", "B"]
    batches = [batch.to_pylist() for _, batch in source.blocks(["A", "B"], [])]
    assert [row for batch in batches for row in batch] == [
        {"A": "1", "B": "2"},
        {"A": "3", "B": "4"},
    ]


def test_a_huge_first_line_is_no_header_rather_than_an_error(tmp_path):
    path = tmp_path / "national.csv"
    path.write_bytes(f"{HUGE},B\n1,2\n".encode())
    with pytest.raises(Refused):
        datasets.read_path(path)


# Through the upload page, on both databases -------------------------------------------


def spending_csv(client, *rows: list[str], encoding: str = "utf-8") -> bytes:
    """The practice's spending workbook as CSV (what Excel saves), with `rows` added."""
    response = client.get("/spending/workbook.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    lines = [[cell_text(v) for v in row] for row in book["Spending"].iter_rows(values_only=True)]
    buffer = io.StringIO()
    csv.writer(buffer).writerows([*lines, *rows])
    return buffer.getvalue().encode(encoding)


def post_file(client, url: str, data: bytes, filename: str):
    return client.post(
        url,
        data={"csrf_token": client.csrf_token(url), "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def file_error(response) -> str:
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    message = soup.select_one("#file-error")
    return message.get_text(" ", strip=True).removeprefix("Error:").strip() if message else ""


def count(session, model) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(model)).one()


NEW_ROW = ["", "13/02/2026", "Telephony", "New phone system", "2500", "2500", "", "One-off", ""]


def test_a_huge_csv_cell_in_an_upload_is_a_message_naming_the_row(client, world, session):
    client.sign_in(world.editor.email)
    data = spending_csv(client, [*NEW_ROW[:3], HUGE, *NEW_ROW[4:]])
    before = count(session, SpendItem)
    response = post_file(client, "/spending/upload", data, "spending.csv")
    assert response.status_code == 400
    assert file_error(response).startswith("Row 6: A cell is longer than 131,072 characters")
    assert count(session, SpendItem) == before


def test_a_nul_in_an_uploaded_cell_is_refused_and_nothing_is_stored(client, world, session):
    client.sign_in(world.editor.email)
    data = spending_csv(client, [*NEW_ROW[:3], "New\x00 phones", *NEW_ROW[4:]])
    before = count(session, SpendItem), count(session, AuditEvent)
    response = post_file(client, "/spending/upload", data, "spending.csv")
    assert response.status_code == 400
    assert file_error(response).startswith("Row 6, column D: The cell contains a NUL character")
    assert count(session, SpendItem) == before[0]
    assert count(session, AuditEvent) == before[1] + 1  # the refused upload, recorded


def test_a_macro_workbook_upload_is_refused(client, world, session):
    client.sign_in(world.editor.email)
    book = client.get("/spending/workbook.xlsx").data
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(book)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            target.writestr(item, source.read(item))
        target.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0")
    response = post_file(client, "/spending/upload", out.getvalue(), "spending.xlsx")
    assert response.status_code == 400
    assert file_error(response).startswith("The workbook contains macros")


def test_a_utf16_csv_upload_is_read(client, world, session):
    client.sign_in(world.editor.email)
    data = spending_csv(client, NEW_ROW, encoding="utf-16")
    before = count(session, SpendItem)
    response = post_file(client, "/spending/upload", data, "spending.csv")
    assert response.status_code == 200, file_error(response)
    assert count(session, SpendItem) == before + 1


def test_a_control_character_in_an_uploaded_cell_is_reported_by_row_and_column(
    client, world, session
):
    client.sign_in(world.editor.email)
    data = spending_csv(client, [*NEW_ROW[:3], "New\x07 phones", *NEW_ROW[4:]])
    before = count(session, SpendItem)
    response = post_file(client, "/spending/upload", data, "spending.csv")
    assert response.status_code == 400
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    rows = [
        [td.get_text(" ", strip=True) for td in tr.select("td")]
        for tr in soup.select("#upload-errors tbody tr")
    ]
    assert rows == [
        [
            "6",
            "Description",
            "Description contains an invisible control character, which cannot be saved. "
            "Type it again rather than pasting it",
        ]
    ]
    assert count(session, SpendItem) == before


def test_a_national_workbook_with_a_nul_in_a_cell_is_refused_naming_it():
    data = xlsx([["PRACTICE_CODE", "NAME"], ["C82001", "a_x0000_b"]])  # how a workbook writes NUL
    assert published_problems("register.xlsx", data) == [
        "Sheet “Sheet”, row 2, column “B”: The cell contains a NUL character, which cannot be "
        "saved. Download the file again"
    ]
