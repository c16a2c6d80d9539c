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


# National monthly figures -------------------------------------------------------------------
# Synthetic variants of the real excerpts: the real workbook's every sheet and cell, with the
# edits a test makes, written again (so read as a person's upload is, through calamine); and
# GPAD crosstab and FFT files built from the published headers. Their file names start
# "synthetic-".

CBT_REAL = "cbt_publication_summary_feb2026_LLR_excerpt.xlsx"
OC_REAL = "oc_submissions_feb2026_LLR_excerpt.xlsx"
GPAD_REAL = "gpad_practice_crosstab_Oct25_F81134_all_rows.csv"
GPAD_COMMA_REAL = "gpad_practice_crosstab_Oct25_comma_name_excerpt.csv"
FFT_REAL = "fft_gp_feb26_DERIVED_excerpt.csv"
MONTH_WORDS = ("January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December")  # fmt: skip


def real_sheets(name: str) -> dict[str, list[list[object]]]:
    """Every sheet of a real excerpt workbook as rows of cells, to edit into a variant."""
    return {n: [list(row) for row in grid.rows] for n, grid in real(name).grids.items()}


def find_row(rows: list[list[object]], code: str) -> list[object]:
    """The row of a sheet whose cells include `code` (a practice's, say)."""
    return next(row for row in rows if code in row)


def with_month(sheets: dict[str, list[list[object]]], month: date, *, was=date(2026, 2, 1)):
    """The sheets with every cell dated `was` (the Month column) moved to `month`, and
    the titles naming `was`'s month naming `month`'s."""
    old = f"{MONTH_WORDS[was.month - 1]} {was.year}"
    new = f"{MONTH_WORDS[month.month - 1]} {month.year}"
    for rows in sheets.values():
        for row in rows:
            for c, value in enumerate(row):
                if value == was:
                    row[c] = month
                elif isinstance(value, str) and old in value:
                    row[c] = value.replace(old, new)
    return sheets


def read_workbook(sheets: dict[str, list[list[object]]], *, kind: str | None = None,
                  name: str = "synthetic-variant.xlsx"):  # fmt: skip
    """A synthetic workbook, written and read back as an upload is."""
    return datasets.read(read_published(name, workbook_bytes(sheets)), kind=kind)


GPAD_HEADINGS = [
    "APPOINTMENT_MONTH_START_DATE", "GP_CODE", "GP_NAME", "SUPPLIER", "PCN_CODE", "PCN_NAME",
    "SUB_ICB_LOCATION_CODE", "SUB_ICB_LOCATION_NAME", "HCP_TYPE", "APPT_MODE",
    "NATIONAL_CATEGORY", "TIME_BETWEEN_BOOK_AND_APPT", "COUNT_OF_APPOINTMENTS", "APPT_STATUS",
]  # fmt: skip


def gpad_row(code, count, *, mode="Face-to-Face", status="Attended", month="01NOV2025",
             name="SYNTHETIC SURGERY", pcn=("U30213", "CROSS COUNTIES PCN"), hcp="GP",
             category="General Consultation Routine", band="8  to 14 Days"):  # fmt: skip
    """A synthetic row of the GPAD practice-level crosstab, in the published shapes."""
    return [month, code, name, "EMIS", *pcn, "03W",
            "NHS Leicester, Leicestershire and Rutland ICB - 03W", hcp, mode, category, band,
            str(count), status]  # fmt: skip


def gpad_crosstab(rows, *, encoding="utf-8") -> bytes:
    return csv_bytes([GPAD_HEADINGS, *rows], encoding=encoding)


FFT_HEADINGS = ["Period", "Practice Code", "Practice Name", "Extremely Likely/Very Good",
                "Likely/Good", "Neither Likely nor Unlikely/Neither Good nor Poor",
                "Unlikely/Poor", "Extremely Unlikely/Very Poor", "Do not Know",
                "Total Responses", "Percentage Positive"]  # fmt: skip


def fft_workbook(rows, *, title_month="February 2026", headings=FFT_HEADINGS,
                 sheet="FFT GP Practice Data") -> bytes:  # fmt: skip
    """A synthetic FFT monthly workbook: a notes sheet, then the practice sheet with title
    rows above its heading row, as NHS England lays it out."""
    titles = [["Friends and Family Test: GP practice data (synthetic)"],
              [f"{title_month}"], ["Published 12 March 2026"], [None]]  # fmt: skip
    return workbook_bytes(
        {"Notes": [["Friends and Family Test (synthetic)"], ["Contents"]],
         sheet: [*titles, headings, *rows]}
    )  # fmt: skip


SUM, SHARE = "sum", "share"


def fft_row(code, very_good, good, *others, total=SUM, positive=SHARE, period="FEB-26",
            name="SYNTHETIC SURGERY"):  # fmt: skip
    """A practice row of the FFT workbook: the two positive answers, then the other four
    (0 unless given), the total (their sum unless given) and the percentage positive (as
    a fraction, worked out unless given)."""
    others = list(others) + [0] * (4 - len(others))
    counts = [very_good, good, *others]
    if total == SUM:
        total = sum(counts)
    if positive == SHARE:
        positive = (very_good + good) / total
    return [period, code, name, *counts, total, positive]
