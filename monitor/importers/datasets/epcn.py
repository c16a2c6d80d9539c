"""ODS ePCN: the primary care networks and their member practices. The workbook's
"PCN Core Partner Details" sheet (or the CSV of it the ODS portal exports) has one row
per spell of a practice in a PCN: partner organisation code and name, the practice's
parent sub-ICB location, PCN code and name, the PCN's sub-ICB location, and the start
and end dates of the relationship. Headings hold line breaks ("Partner\\nOrganisation\\n
Code"), which are read as spaces.

An empty end date means the practice is in that PCN now. A practice whose every spell
has ended is in no PCN. ePCN does not give the ICB's code: another file (epraccur, or an
NHS England publication) says which ICB each practice is in.
"""

from __future__ import annotations

from datetime import date

from monitor.core.names import UNALLOCATED_PCN, is_practice_code, ods_code, tidy_name
from monitor.importers.datasets import Dataset, Extract, PracticeFacts
from monitor.importers.published import (
    Grid,
    Problem,
    PublishedFile,
    Refused,
    parse_published_date,
)

SHEET = "PCN Core Partner Details"
CODE = "Partner Organisation Code"
NAME = "Partner Name"
PCN_CODE = "PCN Code"
PCN_NAME = "PCN Name"
PARENT = "Practice Parent Sub ICB Loc Name"
STARTS = "Practice to PCN Relationship Start Date"
ENDS = "Practice to PCN Relationship End Date"
REQUIRED = (CODE, PCN_CODE, PCN_NAME, STARTS, ENDS)


def core_partners(file: PublishedFile) -> Grid | None:
    grid = file.grid(SHEET) if not file.is_csv else file.grids["CSV"]
    if grid is None or grid.find_header(*REQUIRED, within=5) is None:
        return None
    return grid


def recognise(file: PublishedFile) -> bool:
    return core_partners(file) is not None


def _date(grid: Grid, n: int, column: int) -> date | None | str:
    value = grid.value(n, column)
    if isinstance(value, date):
        return value
    text = grid.text(n, column)
    if not text:
        return None
    return parse_published_date(text) or text


def read(file: PublishedFile) -> Extract:
    grid = core_partners(file)
    header_row, at = grid.find_header(*REQUIRED, within=5)
    name_at = at.get(NAME)
    parent_at = at.get(PARENT)
    problems: list[Problem] = []
    spells: dict[str, list[tuple[date | None, date | None, int]]] = {}
    newest: date | None = None
    rows = 0
    for n in range(header_row + 1, len(grid.rows) + 1):
        code = ods_code(grid.text(n, at[CODE]))
        if not code:
            continue
        if not is_practice_code(code):
            problems.append(Problem(f"“{code}” is not a practice code", grid.name, n, CODE))
            continue
        rows += 1
        starts, ends = _date(grid, n, at[STARTS]), _date(grid, n, at[ENDS])
        for label, value in ((STARTS, starts), (ENDS, ends)):
            if isinstance(value, str):
                problems.append(Problem(f"“{value}” is not a date", grid.name, n, label))
        if isinstance(starts, str) or isinstance(ends, str):
            continue
        newest = max(filter(None, (newest, starts, ends)), default=None)
        spells.setdefault(code, []).append((starts, ends, n))
    if problems:
        raise Refused(problems)
    extract = DATASET.extract(file.filename, "ODS PCN membership (ePCN)", newest)
    extract.rows_read = rows
    for code, rows_of in spells.items():
        current = [s for s in rows_of if s[1] is None or (newest and s[1] > newest)]
        if current:
            _, _, n = max(current, key=lambda s: s[0] or date.min)
            pcn_code = ods_code(grid.text(n, at[PCN_CODE]))
            pcn_name = grid.text(n, at[PCN_NAME])
            unallocated = pcn_code in UNALLOCATED_PCN or ods_code(pcn_name) in UNALLOCATED_PCN
        else:  # every spell has ended: the practice is in no PCN now
            n = max(rows_of, key=lambda s: s[1] or date.min)[2]
            unallocated = True
        extract.practices.append(
            PracticeFacts(
                ods_code=code,
                sheet=grid.name,
                row=n,
                name=tidy_name(grid.text(n, name_at)) or None if name_at is not None else None,
                icb_name=_icb_name(grid.text(n, parent_at)) if parent_at is not None else None,
                pcn_code="" if unallocated else pcn_code,
                pcn_name=None if unallocated else tidy_name(pcn_name),
            )
        )
    return extract


def _icb_name(sub_icb_name: str) -> str | None:
    """ePCN names each practice's sub-ICB location "NHS LEICESTER, LEICESTERSHIRE AND
    RUTLAND ICB - 03W": the ICB's name, then its location code."""
    name = sub_icb_name.rsplit(" - ", 1)[0].strip()
    return tidy_name(name) or None


DATASET = Dataset(
    key="epcn",
    title="ODS PCN membership (ePCN “PCN Core Partner Details”)",
    recognise=recognise,
    read=read,
    rank=20,
)
