"""Cloud Based Telephony in General Practice (NHS England, official statistics in
development, monthly since October 2024): the publication summary workbook.

Tables 3, 4 and 5 are per practice: title rows, a two-row heading (group labels merged
above `Total`/`%`/`Count`), a national `Total` row, then one row per practice (`Month`,
`GP Practice (ODS_CODE)` with a line break in the heading, `GP Name`, PCN, sub-ICB,
ICB, region, then counts and fractions), then footnotes. Here the workbook gives each
practice's PCN and ICB; its call figures are read by the national-data import.
"""

from __future__ import annotations

from datetime import date

from monitor.core.formatting import MONTHS
from monitor.importers.datasets import Dataset, Extract
from monitor.importers.datasets._hierarchy import Columns, read_rows
from monitor.importers.published import Grid, Problem, PublishedFile, Refused

TABLES = ("Table 3", "Table 4", "Table 5")
COLUMNS = Columns(
    practice="GP Practice (ODS_CODE)",
    name="GP Name",
    pcn_code="PCN Code",
    pcn_name="PCN Name",
    icb_code="ICB Code",
    icb_name="ICB Name",
)
REQUIRED = ("Month", "GP Practice (ODS_CODE)", "PCN Code", "ICB Code")


def practice_table(file: PublishedFile) -> Grid | None:
    """Table 3 (inbound call outcomes by practice), where the practice rows are."""
    grid = file.grid("Table 3")
    if grid is None or not grid.mentions("cloud based telephony"):
        return None
    return grid if grid.find_header(*REQUIRED) is not None else None


def recognise(file: PublishedFile) -> bool:
    return not file.is_csv and practice_table(file) is not None


def publication_month(grid: Grid, header_row: int, month_column: int) -> date | None:
    for n in range(header_row + 1, len(grid.rows) + 1):
        value = grid.value(n, month_column)
        if isinstance(value, date):
            return value.replace(day=1)
    return None


def read(file: PublishedFile) -> Extract:
    grid = practice_table(file)
    header_row, found = grid.find_header(*REQUIRED)
    month = publication_month(grid, header_row, found["Month"])
    if month is None:
        raise Refused(Problem("has no practice row with a month", sheet=grid.name))
    description = f"Cloud Based Telephony, {MONTHS[month.month - 1]} {month.year} publication"
    extract = DATASET.extract(file.filename, description, month)
    if problems := read_rows(grid, header_row, found, COLUMNS, extract):
        raise Refused(problems)
    return extract


DATASET = Dataset(
    key="cbt",
    title="Cloud Based Telephony publication workbook",
    recognise=recognise,
    read=read,
    rank=40,
)
