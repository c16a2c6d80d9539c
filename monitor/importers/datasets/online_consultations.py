"""Submissions via Online Consultation Systems in General Practice (NHS England,
monthly): the publication workbook. Table 2 is per practice (`Month`, `GP Code`,
`GP Name`, PCN, sub-ICB, ICB, region, supplier(s) comma-joined, submissions by type).
Here it gives each practice's PCN and ICB; its submission counts are read by the
national-data import.
"""

from __future__ import annotations

from monitor.core.formatting import MONTHS
from monitor.importers.datasets import Dataset, Extract
from monitor.importers.datasets._hierarchy import Columns, read_rows
from monitor.importers.datasets.cbt import publication_month
from monitor.importers.published import Grid, Problem, PublishedFile, Refused

COLUMNS = Columns(
    practice="GP Code",
    name="GP Name",
    pcn_code="PCN Code",
    pcn_name="PCN Name",
    icb_code="ICB Code",
    icb_name="ICB Name",
)
REQUIRED = ("Month", "GP Code", "PCN Code", "ICB Code", "Submissions")


def practice_table(file: PublishedFile) -> Grid | None:
    grid = file.grid("Table 2")
    if grid is None or not grid.mentions("online consultation"):
        return None
    return grid if grid.find_header(*REQUIRED) is not None else None


def recognise(file: PublishedFile) -> bool:
    return not file.is_csv and practice_table(file) is not None


def read(file: PublishedFile) -> Extract:
    grid = practice_table(file)
    header_row, found = grid.find_header(*REQUIRED)
    month = publication_month(grid, header_row, found["Month"])
    if month is None:
        raise Refused(Problem("has no practice row with a month", sheet=grid.name))
    description = (
        f"Online consultation submissions, {MONTHS[month.month - 1]} {month.year} publication"
    )
    extract = DATASET.extract(file.filename, description, month)
    if problems := read_rows(grid, header_row, found, COLUMNS, extract):
        raise Refused(problems)
    return extract


DATASET = Dataset(
    key="online_consultations",
    title="Online consultation submissions publication workbook",
    recognise=recognise,
    read=read,
    rank=40,
)
