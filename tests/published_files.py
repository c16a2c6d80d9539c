"""Synthetic published files for tests, built in the layouts NHS England publishes (see
../shared/opendata/README.md). Every file these make is synthetic: fictional practices
with real-looking codes, never real figures."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

from openpyxl import Workbook

from monitor.importers import datasets
from monitor.importers.published import read_published

OPENDATA = Path(__file__).resolve().parent / "fixtures" / "opendata"
"""Real excerpts of the published files (copied from ../shared/opendata/; see SOURCES.md)."""


def real(name: str):
    """A real excerpt (tests/fixtures/opendata/), read."""
    return read_published(name, (OPENDATA / name).read_bytes())


def extract(name: str, data: bytes):
    """A synthetic file, read and recognised as a person's upload would be."""
    return datasets.read(read_published(name, data))


def csv_bytes(rows, *, encoding="utf-8", quote_all=False) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def epraccur_row(code, name, icb, *, status="A", closed="", setting="4", opened="19740401"):
    """A synthetic epraccur row: 27 columns as ODS publishes them."""
    row = [""] * 27
    row[0], row[1], row[2], row[3] = code, name, "Y60", icb
    row[9], row[10], row[11], row[12] = "LE1 1AA", opened, closed, status
    row[13], row[14], row[25] = "B", "03W", setting
    return row


def workbook_bytes(sheets: dict[str, list[list[object]]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


EPCN_HEADINGS = [
    "Partner\nOrganisation\nCode",
    "Partner\nName",
    "Practice\nParent\nSub ICB Loc Code",
    "Practice\nParent\nSub ICB Loc Name",
    "PCN Code",
    "PCN Name",
    "PCN\nParent\nSub ICB Loc Code",
    "PCN\nParent\nSub ICB Loc Name",
    "Practice to PCN\nRelationship\nStart Date",
    "Practice to PCN\nRelationship\nEnd Date",
]


def epcn_rows():
    """Synthetic "PCN Core Partner Details" rows: a practice that moved PCN (an ended spell
    and a current one), one whose only spell ended, and one in PCN "U"."""
    sub_icb = ["03W", "NHS LEICESTER, LEICESTERSHIRE AND RUTLAND ICB - 03W"]
    return [
        ["C82001", "SOUTH LEICS MG", *sub_icb, "U30213", "CROSS COUNTIES PCN", *sub_icb,
         date(2019, 7, 1), date(2024, 3, 31)],
        ["C82001", "SOUTH LEICS MG", *sub_icb, "U71931", "SOUTH BLABY & LUTTERWORTH PCN",
         *sub_icb, date(2024, 4, 1), None],
        ["C82002", "COUNTESTHORPE HC", *sub_icb, "U71931", "SOUTH BLABY & LUTTERWORTH PCN",
         *sub_icb, date(2019, 7, 1), date(2023, 9, 30)],
        ["C82003", "HEATHER SURGERY", *sub_icb, "U", "UNALLOCATED", *sub_icb,
         date(2019, 7, 1), None],
    ]  # fmt: skip


GPAD_MAPPING_HEADINGS = [
    "GP_CODE", "GP_NAME", "SUPPLIER", "PCN_CODE", "PCN_NAME", "SUB_ICB_LOCATION_CODE",
    "SUB_ICB_LOCATION_NAME", "ICB_CODE", "ICB_NAME", "REGION_CODE", "REGION_NAME",
]  # fmt: skip


def gpad_mapping(rows: list[tuple[str, str, str, str, str, str]]) -> bytes:
    """(practice code, name, PCN code, PCN name, ICB code, ICB name) rows as Mapping.csv."""
    body = [
        [code, name, "EMIS", pcn, pcn_name, "03W", "SUB ICB", icb, icb_name, "Y60", "MIDLANDS"]
        for code, name, pcn, pcn_name, icb, icb_name in rows
    ]
    return csv_bytes([GPAD_MAPPING_HEADINGS, *body])


def registered_patients(sizes: dict[str, int], *, extract_date: str = "2026-03-01") -> bytes:
    heading = ["PUBLICATION", "EXTRACT_DATE", "TYPE", "SUB_ICB_LOCATION_CODE",
               "ONS_SUB_ICB_LOCATION_CODE", "CODE", "POSTCODE", "SEX", "AGE",
               "NUMBER_OF_PATIENTS"]  # fmt: skip
    body = [
        ["GP_PRAC_PAT_LIST", extract_date, "GP", "03W", "E38000051", code, "LE1 1AA", "ALL",
         "ALL", size]
        for code, size in sizes.items()
    ]  # fmt: skip
    return csv_bytes([heading, *body])
