"""OHID Fingertips data exports: the standard 27-column CSV (`Indicator ID,Indicator Name,
Parent Code,Parent Name,Area Code,Area Name,Area Type,Sex,Age,…,Time period,Value,…`).

Indicator 93553, "Deprivation score (IMD 2019)" for GP practices, gives each practice's
IMD 2019 score: the average deprivation of the small areas its registered patients live
in, weighted by how many live in each. The service stores the score and ranks it to a
decile (and so a quintile) **among the practices in the same file**: every practice in
England when the national export is read, which is what the ICB's equity views compare
against. Decile 1 is the tenth of practices with the highest scores (the most deprived);
tied scores share the decile of the first of them. England's own rows (which the export
repeats) and any other area type are passed over.
"""

from __future__ import annotations

import math

from monitor.core.names import is_practice_code, ods_code, tidy_name
from monitor.importers.datasets import Dataset, Extract, PracticeFacts
from monitor.importers.published import Problem, PublishedFile, Refused

IMD_2019 = "93553"
REQUIRED = ("Indicator ID", "Area Code", "Area Name", "Area Type", "Time period", "Value")
GP_AREA_TYPES = frozenset({"gp", "gps"})
NATIONAL_PRACTICES = 5000
"""Fewer practices than this in a file and its deciles are not England's."""


def recognise(file: PublishedFile) -> bool:
    if not file.is_csv:
        return False
    grid = file.grids["CSV"]
    found = grid.find_header(*REQUIRED, within=1)
    if found is None:
        return False
    _, at = found
    return any(grid.text(n, at["Indicator ID"]) == IMD_2019 for n in range(2, len(grid.rows) + 1))


def read(file: PublishedFile) -> Extract:
    grid = file.grids["CSV"]
    _, at = grid.find_header(*REQUIRED, within=1)
    extract = DATASET.extract(file.filename, "IMD 2019 deprivation score (Fingertips 93553)", None)
    problems: list[Problem] = []
    scores: dict[str, tuple[float, int, str]] = {}
    for n in range(2, len(grid.rows) + 1):
        if not any(grid.row_texts(n)):
            continue
        if grid.text(n, at["Indicator ID"]) != IMD_2019:
            extract.skipped["another indicator"] += 1
            continue
        extract.rows_read += 1
        if grid.text(n, at["Area Type"]).casefold() not in GP_AREA_TYPES:
            extract.skipped["not a GP practice (England and other areas)"] += 1
            continue
        code = ods_code(grid.text(n, at["Area Code"]))
        if not is_practice_code(code):
            problems.append(Problem(f"“{code}” is not a practice code", row=n, column="Area Code"))
            continue
        text = grid.text(n, at["Value"])
        if not text:
            extract.skipped["no score published"] += 1
            continue
        try:
            score = float(text)
        except ValueError:
            score = math.nan
        if not math.isfinite(score):
            problems.append(Problem(f"“{text}” is not a score", row=n, column="Value"))
            continue
        scores[code] = (score, n, grid.text(n, at["Area Name"]))
    if problems:
        raise Refused(problems)
    ordered = sorted(scores.values(), key=lambda s: -s[0])
    total = len(ordered)
    decile_of_score: dict[float, int] = {}
    for rank, (score, _, _) in enumerate(ordered, start=1):
        decile_of_score.setdefault(score, math.ceil(10 * rank / total))
    for code, (score, n, name) in scores.items():
        extract.practices.append(
            PracticeFacts(
                code,
                "CSV",
                n,
                name=tidy_name(name) or None,
                imd_score=score,
                imd_decile=decile_of_score[score],
            )
        )
    if extract.skipped["another indicator"]:
        extract.notes.append(
            f"{extract.skipped['another indicator']:,} rows of other indicators were passed "
            "over: export them without indicator 93553 to import them as Fingertips figures."
        )
    if 0 < total < NATIONAL_PRACTICES:
        extract.notes.append(
            f"Deciles rank the {total:,} practices in this file, not every practice in "
            "England: read the national export for deciles the equity views can compare."
        )
    return extract


DATASET = Dataset(
    key="fingertips_imd",
    title="Fingertips export of indicator 93553 (IMD 2019 score)",
    recognise=recognise,
    read=read,
    rank=60,
)
