"""OHID Fingertips data exports for GP practices: the standard 27-column CSV
(`Indicator ID,Indicator Name,Parent Code,Parent Name,Area Code,Area Name,Area Type,Sex,
Age,Category Type,Category,Time period,Value,Lower CI 95.0 limit,Upper CI 95.0 limit,…,
Count,Denominator,…,Time period Sortable,New data,Compared to goal,Time period range`), for
any indicator but 93553.

A file holding indicator 93553 (IMD 2019 score) is the Fingertips IMD export
(`fingertips.py`, key "fingertips_imd"), which sets practices' deprivation: that
includes a file of 93553 *and* other indicators, whose other rows that reader passes
over. So exactly one dataset claims any Fingertips file; export the other indicators
without 93553 to import them as figures here.

One file may hold several indicators and several periods. Each row for a GP practice
(Area Type "GP" or "GPs") gives one figure:

  indicator_<ID>   the published Value, as published (for the cancer screening
                   indicators a percentage 0–100), with `lower`/`upper` the 95%
                   confidence limits and `count`/`denominator` as published. A blank
                   Value (Fingertips leaves suppressed and missing values blank) is not
                   published: None, never 0.

An indicator published in the file for more than one Sex or Age (the registered
population by age band, say) gives one measure for each, named
`indicator_<ID>_<sex>_<age>` ("indicator_337_male_0_4_yrs"); an indicator with one Sex and
Age, as every screening indicator has, is `indicator_<ID>`. `extract.measures` gives each
measure's Indicator Name.

England's rows (which the export repeats), ICBs, sub-ICBs, PCNs and every other area type
are passed over and counted by area type in `extract.skipped`, as are breakdowns (a row
with a Category Type, such as deprivation deciles).

Time periods are NHS periods (monitor.core.periods), read from "Time period":

  "2023/24"      the financial year 2023-24 (April 2023 to March 2024). The Cancer
                 Services profile publishes GP practices' screening coverage so, once a
                 year, at 31 March for the year ending then ("Time period range" 1y).
  "2023/24 Q3"   the financial quarter 2023-24-q3 (October to December 2023); Q4 is
                 January to March 2024.
  "2024 Q1"      a calendar quarter: the same three months as the financial quarter
                 that starts then, 2023-24-q4 (January to March 2024).
  "Mar 2024"     the month 2024-03 ("March 2024" too).
  "2019"         a calendar year is not an NHS period: it is placed in the financial
                 year that starts in its April (2019 → 2019-20, which holds nine of its
                 twelve months), and the extract's notes say so.

Anything else ("2019/20 - 21/22", pooled over three years; "2023/25") is refused naming
its row and column, as is a "Time period range" that does not match the period (a year
is 1y, a quarter 3m, a month 1m). `extract.period` is the latest period in the file and
`extract.as_of` its first day. A practice listed twice for one indicator, period, Sex and
Age, a Value that is not a number or a practice code that is not one refuses the whole
file, naming the row and column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from monitor.core.checklist import Frequency
from monitor.core.formatting import MONTHS
from monitor.core.names import is_practice_code, ods_code
from monitor.core.periods import Period
from monitor.core.published import PublishedFigure
from monitor.importers.datasets import Dataset, Extract
from monitor.importers.datasets._hierarchy import figure_cell
from monitor.importers.published import Grid, Headings, Problem, PublishedFile, Refused

IMD_2019 = "93553"
"""Read by the Fingertips IMD dataset (fingertips.py), never here."""
ID = "Indicator ID"
NAME = "Indicator Name"
CODE = "Area Code"
AREA_TYPE = "Area Type"
SEX = "Sex"
AGE = "Age"
CATEGORY_TYPE = "Category Type"
PERIOD = "Time period"
VALUE = "Value"
LOWER = "Lower CI 95.0 limit"
UPPER = "Upper CI 95.0 limit"
COUNT = "Count"
DENOMINATOR = "Denominator"
RANGE = "Time period range"
REQUIRED = (ID, NAME, CODE, AREA_TYPE, SEX, AGE, CATEGORY_TYPE, PERIOD, VALUE)
GP_AREA_TYPES = frozenset({"gp", "gps"})
MOST_PROBLEMS = 20
"""A broken file is refused naming this many cells at most."""

_FINANCIAL_YEAR = re.compile(r"^(\d{4})/(\d{2})$")
_FINANCIAL_QUARTER = re.compile(r"^(\d{4})/(\d{2})\s*Q([1-4])$", re.IGNORECASE)
_CALENDAR_YEAR = re.compile(r"^(\d{4})$")
_CALENDAR_QUARTER = re.compile(r"^(\d{4})\s*Q([1-4])$", re.IGNORECASE)
_MONTH = re.compile(r"^([A-Za-z]{3,9})\.?\s+(\d{4})$")
_RANGES = {Frequency.ANNUAL: {"1y", "12m"}, Frequency.QUARTERLY: {"3m"},
           Frequency.MONTHLY: {"1m"}}  # fmt: skip
_RANGE_WORDS = {Frequency.ANNUAL: "a year is 1y", Frequency.QUARTERLY: "a quarter is 3m",
                Frequency.MONTHLY: "a month is 1m"}  # fmt: skip
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class TimePeriod:
    """Where a Fingertips time period falls among NHS periods."""

    period: Period
    calendar_year: bool = False  # a calendar year, placed in a financial year


def time_period(text: str) -> TimePeriod | None:
    """The NHS period of a Fingertips "Time period", or None when it cannot be placed."""
    text = " ".join((text or "").split())
    try:
        if match := _FINANCIAL_YEAR.match(text):
            fy = _financial_year(match[1], match[2])
            return None if fy is None else TimePeriod(Period(Frequency.ANNUAL, fy, 1))
        if match := _FINANCIAL_QUARTER.match(text):
            fy = _financial_year(match[1], match[2])
            quarter = Period(Frequency.QUARTERLY, fy, int(match[3])) if fy else None
            return None if quarter is None else TimePeriod(quarter)
        if match := _CALENDAR_QUARTER.match(text):
            first = date(int(match[1]), 3 * int(match[2]) - 2, 1)
            return TimePeriod(Period.containing(first, Frequency.QUARTERLY))
        if match := _CALENDAR_YEAR.match(text):
            return TimePeriod(Period(Frequency.ANNUAL, int(match[1]), 1), calendar_year=True)
        if match := _MONTH.match(text):
            word = match[1].casefold()
            months = [m.casefold() for m in MONTHS]
            found = [i for i, m in enumerate(months) if m.startswith(word)]  # Mar, Sept, March
            if len(found) == 1:
                month = date(int(match[2]), found[0] + 1, 1)
                return TimePeriod(Period.containing(month, Frequency.MONTHLY))
    except ValueError:  # a year Period does not take (before 1990, after 2200)
        return None
    return None


def _financial_year(first: str, second: str) -> int | None:
    fy = int(first)
    return fy if (fy + 1) % 100 == int(second) else None


# Recognising ------------------------------------------------------------------------------


def _header(file: PublishedFile) -> Headings | None:
    if not file.is_csv:
        return None
    found = file.grids["CSV"].find_header(*REQUIRED, within=1)
    return found[1] if found else None


def recognise(file: PublishedFile) -> bool:
    """A Fingertips export with rows of data and no row of indicator 93553."""
    at = _header(file)
    if at is None:
        return False
    grid = file.grids["CSV"]
    column = at[ID]
    ids = {grid.text(n, column).strip() for n in range(2, len(grid.rows) + 1)} - {""}
    return bool(ids) and IMD_2019 not in ids


# Reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    n: int
    code: str
    indicator: str
    sex: str
    age: str
    placed: TimePeriod
    value: float | None
    lower: float | None
    upper: float | None
    count: float | None
    denominator: float | None


def read(file: PublishedFile) -> Extract:
    grid = file.grids["CSV"]
    at = _header(file)
    extract = DATASET.extract(file.filename, "Fingertips indicator export (GP practices)", None)
    problems: list[Problem] = []
    rows: list[_Row] = []
    names: dict[str, str] = {}
    seen: dict[tuple[str, str, str, str, str], int] = {}
    for n in range(2, len(grid.rows) + 1):
        if len(problems) >= MOST_PROBLEMS:
            break
        if not any(t.strip() for t in grid.row_texts(n)):
            continue
        indicator = grid.text(n, at[ID]).strip()
        if not indicator.isdigit():
            problems.append(Problem(f"“{indicator}” is not an indicator ID", row=n, column=ID))
            continue
        if indicator == IMD_2019:  # only when the file is given as this kind
            extract.skipped["indicator 93553 (IMD 2019: read as the Fingertips IMD export)"] += 1
            continue
        area_type = grid.text(n, at[AREA_TYPE]).strip()
        if area_type.casefold() not in GP_AREA_TYPES:
            extract.skipped[f"not a GP practice ({area_type or 'no Area Type'})"] += 1
            continue
        if grid.text(n, at[CATEGORY_TYPE]).strip():
            extract.skipped["a breakdown of a practice's figure (Category Type set)"] += 1
            continue
        extract.rows_read += 1
        row = _read_row(grid, n, at, indicator, problems)
        if row is None:
            continue
        period_text = grid.text(n, at[PERIOD]).strip()
        key = (row.code, indicator, row.placed.period.code, row.sex.casefold(), row.age.casefold())
        if key in seen:
            problems.append(
                Problem(
                    f"{row.code} is listed again for indicator {indicator}, {period_text}, "
                    f"{row.sex}, {row.age} (first on row {seen[key]:,})",
                    row=n,
                    column=CODE,
                )
            )
            continue
        seen[key] = n
        names.setdefault(indicator, grid.text(n, at[NAME]).strip() or f"Indicator {indicator}")
        rows.append(row)
    if problems:
        raise Refused(problems[:MOST_PROBLEMS])
    if not rows:
        raise Refused(
            Problem(
                "has no rows for GP practices (Area Type “GP”): export the indicators for "
                "GP practices"
            )
        )
    _add_figures(extract, rows, names)
    calendar_years = sorted({grid.text(r.n, at[PERIOD]).strip() for r in rows
                             if r.placed.calendar_year})  # fmt: skip
    if calendar_years:
        extract.notes.append(
            f"Calendar years ({', '.join(calendar_years)}) are not NHS periods: each was "
            "placed in the financial year that starts in its April (2019 in 2019/20)."
        )
    return extract


def _read_row(
    grid: Grid, n: int, at: Headings, indicator: str, problems: list[Problem]
) -> _Row | None:
    """A practice row's figures, or None with its problems added."""
    before = len(problems)
    code = ods_code(grid.text(n, at[CODE]))
    if not is_practice_code(code):
        text = grid.text(n, at[CODE]).strip()
        problems.append(Problem(f"“{text}” is not a practice code", row=n, column=CODE))
    period_text = grid.text(n, at[PERIOD]).strip()
    placed = time_period(period_text)
    if placed is None:
        problems.append(
            Problem(
                f"“{period_text}” is not a time period the service can place in an NHS "
                "month, quarter or financial year",
                row=n,
                column=PERIOD,
            )
        )
    elif at.get(RANGE) is not None and not _range_fits(grid.text(n, at[RANGE]), placed.period):
        problems.append(
            Problem(
                f"“{grid.text(n, at[RANGE]).strip()}” is not the range of the time period "
                f"“{period_text}” ({_RANGE_WORDS[placed.period.frequency]})",
                row=n,
                column=RANGE,
            )
        )
    value = figure_cell(grid, n, at[VALUE], VALUE, problems, count=False)
    found: dict[str, float | None] = {}
    for heading, count in ((LOWER, False), (UPPER, False), (COUNT, True), (DENOMINATOR, True)):
        column = at.get(heading)
        found[heading] = (
            None if column is None else figure_cell(grid, n, column, heading, problems,
                                                    count=count)
        )  # fmt: skip
    if len(problems) > before:
        return None
    return _Row(n, code, indicator, grid.text(n, at[SEX]).strip(), grid.text(n, at[AGE]).strip(),
                placed, value, found[LOWER], found[UPPER], found[COUNT],
                found[DENOMINATOR])  # fmt: skip


def _range_fits(text: str, period: Period) -> bool:
    """Whether a "Time period range" (blank, or "1y", "3m", "1m") is that of the period."""
    text = "".join(text.split()).casefold()
    return not text or text in _RANGES[period.frequency]


def _add_figures(extract: Extract, rows: list[_Row], names: dict[str, str]) -> None:
    latest = max(row.placed.period for row in rows)
    earliest = min(row.placed.period for row in rows)
    covers = latest.label if earliest == latest else f"{earliest.label} to {latest.label}"
    extract.description = f"Fingertips indicator export (GP practices), {covers}"
    extract.as_of = latest.start
    extract.period = latest.code
    combinations: dict[str, set[tuple[str, str]]] = {}
    for row in rows:
        combinations.setdefault(row.indicator, set()).add((row.sex.casefold(), row.age.casefold()))
    for row in rows:
        measure, name = f"indicator_{row.indicator}", names[row.indicator]
        if len(combinations[row.indicator]) > 1:
            measure = "_".join((measure, _slug(row.sex), _slug(row.age)))
            name = f"{name} ({row.sex}, {row.age})"
        extract.measures.setdefault(measure, name)
        extract.figures.append(
            PublishedFigure(
                row.code,
                measure,
                row.placed.period.code,
                row.value,
                "CSV",
                row.n,
                lower=row.lower,
                upper=row.upper,
                count=row.count,
                denominator=row.denominator,
            )  # fmt: skip
        )


def _slug(text: str) -> str:
    return _SLUG.sub("_", text.casefold()).strip("_") or "all"


DATASET = Dataset(
    key="fingertips",
    title="Fingertips indicator export (GP practices)",
    recognise=recognise,
    read=read,
    rank=60,
)
