"""Patients Registered at a GP Practice (NHS England, monthly), the all-persons file
(`gp-reg-pat-prac-all.csv`): `PUBLICATION,EXTRACT_DATE,TYPE,…_CODE,ONS_…_CODE,CODE,
POSTCODE,SEX,AGE,NUMBER_OF_PATIENTS`. Before July 2022 the fourth and fifth columns were
the CCG's (`CCG_CODE,ONS_CCG_CODE`), since then the sub-ICB location's; both are read.

Each practice's row with SEX "ALL" and AGE "ALL" gives its list size on the extract
date. The file says nothing of PCNs or ICBs, so it only updates practices that another
file places in the ICB.
"""

from __future__ import annotations

from monitor.core.names import is_practice_code, ods_code
from monitor.importers.datasets import Dataset, Extract, PracticeFacts
from monitor.importers.published import Problem, PublishedFile, Refused, parse_published_date

REQUIRED = ("EXTRACT_DATE", "CODE", "SEX", "AGE", "NUMBER_OF_PATIENTS")


def recognise(file: PublishedFile) -> bool:
    return file.is_csv and file.grids["CSV"].find_header(*REQUIRED, within=1) is not None


def read(file: PublishedFile) -> Extract:
    grid = file.grids["CSV"]
    _, at = grid.find_header(*REQUIRED, within=1)
    problems: list[Problem] = []
    dates = set()
    extract = DATASET.extract(file.filename, "", None)
    for n in range(2, len(grid.rows) + 1):
        code = ods_code(grid.text(n, at["code"]))
        if not code:
            continue
        extract.rows_read += 1
        if (grid.text(n, at["sex"]).upper(), grid.text(n, at["age"]).upper()) != ("ALL", "ALL"):
            extract.skipped["not the all-persons count"] += 1
            continue
        if "type" in at and grid.text(n, at["type"]).upper() not in ("GP", ""):
            extract.skipped["not a GP practice"] += 1
            continue
        if not is_practice_code(code):
            problems.append(Problem(f"“{code}” is not a practice code", row=n, column="CODE"))
            continue
        text = grid.text(n, at["number_of_patients"]).replace(",", "")
        if not text.isdigit():
            problems.append(
                Problem(f"“{text}” is not a number of patients", row=n, column="NUMBER_OF_PATIENTS")
            )
            continue
        extracted = parse_published_date(grid.text(n, at["extract_date"]))
        if extracted is None:
            problems.append(
                Problem(
                    f"“{grid.text(n, at['extract_date'])}” is not a date",
                    row=n,
                    column="EXTRACT_DATE",
                )
            )
            continue
        dates.add(extracted)
        extract.practices.append(PracticeFacts(code, "CSV", n, list_size=int(text)))
    if problems:
        raise Refused(problems)
    if len(dates) > 1:
        raise Refused(Problem("holds more than one extract date; read one month's file at a time"))
    extract.as_of = next(iter(dates), None)
    day = extract.as_of
    extract.description = "Patients registered at a GP practice" + (
        f", {day.day} {day:%B %Y}" if day else ""
    )
    return extract


DATASET = Dataset(
    key="registered_patients",
    title="Patients registered at a GP practice (gp-reg-pat-prac-all.csv)",
    recognise=recognise,
    read=read,
    rank=30,
)
