"""Submissions via Online Consultation Systems in General Practice (NHS England,
monthly): the publication workbook. Table 2 is per practice (`Month`, `GP Code`,
`GP Name`, PCN, sub-ICB, ICB, region, supplier(s) comma-joined, submissions by type,
registered patients, a rate, and since 2025 `Participation`). It gives each practice's
PCN and ICB, and these figures for the month, each found by its heading:

  submissions                  submissions received through the practice's online
                               consultation systems, of every type ("Submissions")
  clinical_submissions         of which clinical ("Clinical Submissions")
  administrative_submissions   of which administrative ("Administrative Submissions")
  other_submissions            of which of another or unknown type ("Other/Unknown Type
                               Submissions": suppliers that cannot tell the type)

All four are counts. A practice whose Supplier cell says "No data" (it has no
system, does not take part, its supplier does not submit yet, or nothing was received:
the table's note 6) or whose `Participation` is 0 is listed with 0 submissions; those
zeros are not counts, so its figures are None (148 practices in February 2026), as
are blank cells.

One row is one practice: a practice with several suppliers is one row with the
suppliers comma-joined ("ACCURX LIMITED, RAPID HEALTH"), its counts the practice's
whole month. That is so in the excerpt and in the national February 2026 and April
2024 tables (6,170 and 4,882 practices, none listed twice). So a practice listed
twice is refused rather than summed: it would mean the layout changed, and summing a
repeated row would count its submissions twice.
"""

from __future__ import annotations

from monitor.core.formatting import MONTHS
from monitor.importers.datasets import Dataset, Extract
from monitor.importers.datasets._hierarchy import (
    Columns,
    add_figure,
    each_once,
    figure_cell,
    month_code,
    practice_rows,
    read_rows,
)
from monitor.importers.datasets.cbt import publication_month
from monitor.importers.published import Grid, Problem, PublishedFile, Refused, heading_key

COLUMNS = Columns(
    practice="GP Code",
    name="GP Name",
    pcn_code="PCN Code",
    pcn_name="PCN Name",
    icb_code="ICB Code",
    icb_name="ICB Name",
)
REQUIRED = ("Month", "GP Code", "PCN Code", "ICB Code", "Submissions")
MEASURES = {
    "submissions": ("Submissions", "Online consultation submissions, every type"),
    "clinical_submissions": ("Clinical Submissions", "Online consultation submissions: clinical"),
    "administrative_submissions": (
        "Administrative Submissions",
        "Online consultation submissions: administrative",
    ),
    "other_submissions": (
        "Other/Unknown Type Submissions",
        "Online consultation submissions: other or unknown type",
    ),
}
NOT_TAKING_PART = frozenset({"no data"})
"""What the Supplier column says of a practice whose figures are not collected."""


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
    extract.period = month_code(month)
    extract.measures = {name: words for name, (_, words) in MEASURES.items()}
    problems = read_rows(grid, header_row, found, COLUMNS, extract)
    missing = [heading for heading, _ in MEASURES.values() if heading not in found]
    if missing:
        names = ", ".join(f"“{h}”" for h in missing)
        problems.append(Problem(f"has no column headed {names}", sheet=grid.name, row=header_row))
        raise Refused(problems)
    supplier, taking_part = found.get("Supplier"), found.get("Participation")
    rows = practice_rows(
        grid, header_row, found[COLUMNS.practice], COLUMNS.practice, extract, problems, count=False
    )  # read_rows counted them
    for n, code in each_once(rows, grid, COLUMNS.practice, problems):
        collected = not (
            (supplier is not None and heading_key(grid.text(n, supplier)) in NOT_TAKING_PART)
            or (taking_part is not None and grid.value(n, taking_part) in (0, 0.0, "0"))
        )
        for measure, (heading, _) in MEASURES.items():
            value = figure_cell(grid, n, found[heading], heading, problems, count=True)
            add_figure(extract, code, measure, value if collected else None, grid.name, n)
    if problems:
        raise Refused(problems)
    return extract


DATASET = Dataset(
    key="online_consultations",
    title="Online consultation submissions publication workbook",
    recognise=recognise,
    read=read,
    rank=40,
)
