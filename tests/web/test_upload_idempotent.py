"""Uploading the same spending or staffing workbook twice changes nothing (as the README
promises): the same file is recognised by its SHA-256 and answered "already uploaded";
a new row identical to a record already in the log is not added again, even from a
different file. On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from bs4 import BeautifulSoup
from sqlmodel import func, select

from monitor.core.clock import utcnow
from monitor.importers.upload import cell_text
from monitor.models import AuditEvent, SpendItem, StaffingChange

NEW_SPEND = ["", "13/02/2026", "Telephony", "New phone system", "2500", "2500", "", "One-off", ""]
NEW_STAFF = ["", "ANP", "New post", "0.6", "01/02/2026", "", "Permanent", "100", "", "", ""]
LOGS = {
    "spending": ("Spending", SpendItem, NEW_SPEND),
    "staffing": ("Staffing", StaffingChange, NEW_STAFF),
}


def log_csv(client, kind: str, *rows: list[str], line_end: str = "\r\n") -> bytes:
    """The practice's log workbook saved as CSV (as Excel would), with `rows` added."""
    sheet_name, _, _ = LOGS[kind]
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/{kind}/workbook.xlsx").data))
    lines = [[cell_text(v) for v in row] for row in book[sheet_name].iter_rows(values_only=True)]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=line_end).writerows([*lines, *rows])
    return buffer.getvalue().encode("utf-8")


def upload(client, kind: str, data: bytes, filename: str = "log.csv"):
    url = f"/{kind}/upload"
    return client.post(
        url,
        data={"csrf_token": client.csrf_token(url), "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def count(session, model) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(model)).one()


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def texts(soup: BeautifulSoup, selector: str) -> list[str]:
    return [e.get_text(" ", strip=True) for e in soup.select(selector)]


@pytest.mark.parametrize("kind", LOGS)
def test_the_same_file_uploaded_twice_changes_nothing_the_second_time(client, world, session, kind):
    _, model, new_row = LOGS[kind]
    client.sign_in(world.editor.email)
    data = log_csv(client, kind, new_row)
    before = count(session, model)
    first = upload(client, kind, data)
    assert first.status_code == 200, page(first).get_text(" ", strip=True)
    assert count(session, model) == before + 1

    events = count_uploads(session)
    second = upload(client, kind, data, filename="copy of log.csv")
    assert second.status_code == 200
    assert texts(page(second), "#upload-repeated") == [
        f"This file was already uploaded on {utcnow():%-d %B %Y}; nothing changed."
    ]
    assert count(session, model) == before + 1
    assert count_uploads(session) == events + 1  # the attempt is still recorded


def count_uploads(session) -> int:
    session.expire_all()
    return session.exec(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "upload")
    ).one()


@pytest.mark.parametrize("kind", LOGS)
def test_a_new_row_already_in_the_log_is_not_added_again_from_another_file(
    client, world, session, kind
):
    _, model, new_row = LOGS[kind]
    client.sign_in(world.editor.email)
    original = log_csv(client, kind, new_row)
    assert upload(client, kind, original).status_code == 200
    before = count(session, model)

    # The same rows saved again with other line endings: another file, the same content.
    other = original.replace(b"\r\n", b"\n")
    assert other != original
    response = upload(client, kind, other)
    assert response.status_code == 200
    assert count(session, model) == before
    assert len(texts(page(response), "#upload-already li")) == 1
    assert texts(page(response), "#upload-repeated") == []


def test_rows_are_matched_one_to_one_so_a_second_identical_purchase_is_added(
    client, world, session
):
    client.sign_in(world.editor.email)
    assert upload(client, "spending", log_csv(client, "spending", NEW_SPEND)).status_code == 200
    before = count(session, SpendItem)
    # A workbook downloaded before that upload, listing the purchase twice: one of the
    # two is the record already kept, the other a second purchase.
    twice = log_csv(client, "spending").replace(b"\r\n", b"\n")
    lines = twice.decode().splitlines()
    kept = [line for line in lines if "New phone system" not in line]
    row = ",".join(NEW_SPEND)
    data = "\n".join([*kept, row, row]).encode() + b"\n"
    response = upload(client, "spending", data)
    assert response.status_code == 200, page(response).get_text(" ", strip=True)
    assert count(session, SpendItem) == before + 1
    assert len(texts(page(response), "#upload-already li")) == 1


def test_a_refused_upload_does_not_count_as_uploaded(client, world, session):
    client.sign_in(world.editor.email)
    bad = log_csv(client, "spending", [*NEW_SPEND[:4], "not money", *NEW_SPEND[5:]])
    assert upload(client, "spending", bad).status_code == 400
    assert upload(client, "spending", bad).status_code == 400  # refused again, not "already"
