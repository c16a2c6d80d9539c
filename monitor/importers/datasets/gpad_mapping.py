"""Appointments in General Practice (GPAD): the Mapping.csv published with each month's
practice-level files, one row per practice with its supplier, PCN, sub-ICB location, ICB
and region (`GP_CODE,GP_NAME,SUPPLIER,PCN_CODE,PCN_NAME,SUB_ICB_LOCATION_CODE,…,
ICB_CODE,ICB_NAME,REGION_CODE,REGION_NAME`).

The file carries no date, so where it disagrees with a dated file the dated one wins.
"""

from __future__ import annotations

from monitor.importers.datasets import Dataset, Extract
from monitor.importers.datasets._hierarchy import Columns, read_rows
from monitor.importers.published import PublishedFile, Refused

COLUMNS = Columns(
    practice="GP_CODE",
    name="GP_NAME",
    pcn_code="PCN_CODE",
    pcn_name="PCN_NAME",
    icb_code="ICB_CODE",
    icb_name="ICB_NAME",
)
REQUIRED = ("GP_CODE", "GP_NAME", "PCN_CODE", "PCN_NAME", "ICB_CODE", "ICB_NAME")


def recognise(file: PublishedFile) -> bool:
    return file.is_csv and file.grids["CSV"].find_header(*REQUIRED, within=1) is not None


def read(file: PublishedFile) -> Extract:
    grid = file.grids["CSV"]
    header_row, found = grid.find_header(*REQUIRED, within=1)
    extract = DATASET.extract(file.filename, "GP appointments (GPAD) practice mapping", None)
    if problems := read_rows(grid, header_row, found, COLUMNS, extract):
        raise Refused(problems)
    return extract


DATASET = Dataset(
    key="gpad_mapping",
    title="GP appointments (GPAD) Mapping.csv",
    recognise=recognise,
    read=read,
    rank=30,
)
