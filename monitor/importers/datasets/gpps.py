"""GP Patient Survey (NHS England, run by Ipsos, once a year): the practice results CSV,
one row per practice, as "GPPS_2025_Practice_data_(weighted)_(csv)_PUBLIC.csv".

Read in two layouts:

* 2024 onwards: `ad_practicecode, ad_practicename, ad_icscode, ad_icsname, ad_icscodeons,
  ad_commissioningregioncode, ad_commissioningregionname, ad_pcncode, ad_pcnname,
  distributed, received, resprate, popsize`, then some 1,100 question columns named by
  topic (`overallexp_1.pct`, `overallexp.pcteval`, …). A `.pcteval` column is the
  survey's own positive result for the question, as a fraction 0–1 of those who
  answered it. Negative values (-97, -98, -99) are the survey's codes for a result it
  does not publish (fewer than 10 answered): not published, None, never 0.
* Up to 2023: `Practice_Code, Practice_Name, …, distributed, received, resprate, …,
  Q28_12pct`, the `Qn_12pct` columns being the fraction 0–1 who gave the first two
  answers to question n. Q28 was "Overall, how would you describe your experience of
  your GP practice?" (very good + fairly good). The questionnaire and the survey's
  method changed in 2024, so NHS England says results up to 2023 are not comparable
  with 2024 onwards: the older question is kept as a measure of its own, which no
  2024-onwards item is filled from, and the extract's notes say why.

Figures for the financial year the survey describes:

  responses                     questionnaires returned by the practice's patients
                                (`received`; either layout)
  overall_experience_good_pct   (2024 onwards) % describing their overall experience of
                                the practice as very or fairly good
                                (`overallexp.pcteval` × 100)
  contact_phone_easy_pct        (2024 onwards, when the file has the column) % finding it
                                very or fairly easy to contact the practice on the phone,
                                of those who had tried (`localgpservicesphone.pcteval`
                                × 100)
  overall_experience_good_pct_before_2024
                                (up to 2023) % describing their overall experience of
                                the practice as very or fairly good, as the older
                                questionnaire asked it (`Q28_12pct` × 100)

The survey of year Y (fieldwork January to April Y, published in July) describes the
financial year (Y-1)/Y: the 2025 survey gives period "2024-25". The year is read from a
year column when the file has one, else from the file's name (which the extract's
notes then say); a file with neither is refused.

The national file is tens of megabytes (~6,300 rows, ~1,100 columns), so it is
streamed from disk (`read_path`) with pyarrow reading only the columns read here, every
one as text; an upload (`read`) is written back as CSV and read the same way. Rows that
are not one practice (national, ICB or region totals, blank rows) are passed over and
counted; a practice listed twice, a value that is not a number (or a fraction above 1,
or a number of questionnaires that is not whole) refuses the file naming its row and
column. No practice facts are given: the survey's organisation columns describe the
sample, and the registers say where practices are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import PurePath

from monitor.core.checklist import Frequency
from monitor.core.periods import Period
from monitor.importers.datasets import Extract
from monitor.importers.datasets._hierarchy import (
    add_figure,
    each_once,
    percentage,
    published_number,
    row_code,
)
from monitor.importers.datasets._streamed import (
    BLANK,
    MOST_PROBLEMS,
    NO_CODE,
    CsvSource,
    has_headings,
    streamed_dataset,
)
from monitor.importers.published import Grid, Problem, Refused

# The layouts ------------------------------------------------------------------------------

COUNT, FRACTION = "count", "fraction"


@dataclass(frozen=True)
class Figure:
    measure: str
    heading: str
    kind: str  # COUNT or FRACTION
    required: bool
    description: str


@dataclass(frozen=True)
class Layout:
    name: str
    code: str  # the practice code column
    identifying: tuple[str, ...]  # the headings that make a file this layout
    figures: tuple[Figure, ...]
    areas: tuple[str, ...]  # code columns of the ICB, region (or CCG) a row is in


RESPONSES = "Questionnaires returned (GP Patient Survey)"
SINCE_2024 = Layout(
    name="2024 onwards",
    code="ad_practicecode",
    identifying=("ad_practicecode", "ad_icscode", "distributed", "received", "resprate"),
    figures=(
        Figure("responses", "received", COUNT, True, RESPONSES),
        Figure(
            "overall_experience_good_pct",
            "overallexp.pcteval",
            FRACTION,
            True,
            "Overall experience of the GP practice very or fairly good, % (GP Patient "
            "Survey, 2024 onwards)",
        ),
        Figure(
            "contact_phone_easy_pct",
            "localgpservicesphone.pcteval",
            FRACTION,
            False,
            "Very or fairly easy to contact the practice on the phone, % of those who tried "
            "(GP Patient Survey, 2024 onwards)",
        ),
    ),
    areas=("ad_icscode", "ad_icscodeons", "ad_commissioningregioncode"),
)
BEFORE_2024 = Layout(
    name="up to 2023",
    code="Practice_Code",
    identifying=("Practice_Code", "Q28_12pct"),
    figures=(
        Figure("responses", "received", COUNT, False, RESPONSES),
        Figure(
            "overall_experience_good_pct_before_2024",
            "Q28_12pct",
            FRACTION,
            True,
            "Overall experience of the GP practice very or fairly good, % (GP Patient "
            "Survey up to 2023, question 28: not comparable with 2024 onwards)",
        ),
    ),
    areas=("ICS_Code", "ICB_Code", "CCG_Code", "STP_Code", "Region_Code"),
)
LAYOUTS = (SINCE_2024, BEFORE_2024)
YEAR_HEADINGS = ("year", "survey year", "surveyyear", "gpps year")
COMPARABILITY = (
    "The GP Patient Survey's questionnaire and method changed in 2024, so results up to "
    "2023 are not comparable with 2024 onwards: this file's overall experience (question "
    "28, Q28_12pct) is read as its own measure, overall_experience_good_pct_before_2024, "
    "and fills no item of the 2024-onwards survey."
)

_YEAR_IN_NAME = re.compile(r"(?<!\d)(20\d{2})(?!\d)")
_YEAR_CELL = re.compile(r"^\s*(\d{4})(?:\.0*)?\s*$")


def _layout(headings: Sequence[str]) -> Layout | None:
    return next((lay for lay in LAYOUTS if has_headings(headings, lay.identifying)), None)


def _is_header(headings: Sequence[str]) -> bool:
    return _layout(headings) is not None


# Reading ----------------------------------------------------------------------------------


def _read(source: CsvSource) -> Extract:
    header = source.header()
    layout = _layout(header.headings)
    if layout is None:
        raise Refused(Problem("does not have the GP Patient Survey practice results' header"))
    column = header.column
    figures = [(f, column(f.heading)) for f in layout.figures]
    missing = [f.heading for f, c in figures if c is None and f.required]
    if missing:
        names = " or ".join(f"“{h}”" for h in missing)
        raise Refused(Problem(f"has no column {names}", row=1))
    figures = [(f, c) for f, c in figures if c is not None]
    code = column(layout.code)
    areas = [c for c in map(column, layout.areas) if c]
    year_column = header.first_column(YEAR_HEADINGS)
    wanted = list(dict.fromkeys([code, *areas, *(c for _, c in figures)]))
    if year_column:
        wanted.append(year_column)

    broken: list[Problem] = []
    cells: dict[str, list[str]] = {c: [] for c in wanted}
    for _, batch in source.blocks(wanted, broken):
        for c in wanted:
            cells[c].extend(batch[c].to_pylist())
    if broken:
        raise Refused(broken)  # `blocks` keeps MOST_PROBLEMS at most

    years = (cells[year_column], year_column) if year_column else None
    extract = _extract(source.filename, layout, figures, years)
    rows = _Rows(cells, code, areas, extract)
    problems: list[Problem] = []
    practices = each_once(rows, _CSV, code, problems)
    for n, ods in practices:
        for figure, heading in figures:
            text = cells[heading][n - 2]
            try:
                value = _value(text, figure.kind)
            except ValueError as wrong:
                problems.append(Problem(str(wrong), row=n, column=heading))
                continue
            add_figure(extract, ods, figure.measure, value, "CSV", n)
    problems += rows.problems
    if problems:
        raise Refused(sorted(problems, key=lambda p: p.row or 0)[:MOST_PROBLEMS])
    return extract


_CSV = Grid("CSV", [])  # where `each_once` says a repeated practice is


def _extract(
    filename: str,
    layout: Layout,
    figures: list[tuple[Figure, str]],
    years: tuple[list[str], str] | None,
) -> Extract:
    year, from_name = _year(filename, years)
    period = Period(Frequency.ANNUAL, year - 1, 1)
    extract = DATASET.extract(filename, f"GP Patient Survey {year}, practice results", period.start)
    extract.period = period.code
    extract.measures = {f.measure: f.description for f, _ in figures}
    if layout is BEFORE_2024:
        extract.notes.append(COMPARABILITY)
    if from_name:
        extract.notes.append(
            f"The file has no year column: the survey year ({year}, describing "
            f"{period.label}) was taken from its name, “{filename}”."
        )
    for figure in layout.figures:
        if figure.measure not in extract.measures:
            extract.notes.append(
                f"The file has no column “{figure.heading}”, so it gives no {figure.measure}."
            )
    return extract


def _year(filename: str, column: tuple[list[str], str] | None) -> tuple[int, bool]:
    """The survey's year (from the year column's cells and heading, if the file has one),
    and whether it was taken from the file's name."""
    if column:
        cells, heading = column
        years = set()
        for n, text in enumerate(cells, start=2):
            if not text.strip():
                continue
            match = _YEAR_CELL.match(text)
            if match is None:
                raise Refused(Problem(f"“{text}” is not a year", row=n, column=heading))
            years.add(int(match[1]))
        if len(years) > 1:
            listed = ", ".join(str(y) for y in sorted(years))
            raise Refused(
                Problem(f"holds more than one survey year ({listed}); read one year at a time")
            )
        if years:
            return _valid(years.pop()), False
    named = {int(y) for y in _YEAR_IN_NAME.findall(PurePath(filename).stem)}
    if len(named) == 1:
        return _valid(named.pop()), True
    raise Refused(
        Problem(
            "does not say which year's survey it is: it has no year column and its name "
            "names no one year (as in “GPPS_2025_Practice_data_(weighted)_(csv)_PUBLIC.csv”)"
        )
    )


def _valid(year: int) -> int:
    if not 2007 <= year <= 2200:  # the survey began in 2007
        raise Refused(Problem(f"{year} is not a year of the GP Patient Survey"))
    return year


class _Rows:
    """(row, practice code) of the practice rows; rows passed over are counted in the
    extract, and codes that are not a practice's collected in `problems`."""

    def __init__(
        self, cells: dict[str, list[str]], code: str, areas: list[str], extract: Extract
    ) -> None:
        self.cells, self.code, self.areas, self.extract = cells, code, areas, extract
        self.problems: list[Problem] = []

    def __iter__(self) -> Iterator[tuple[int, str]]:
        cells, codes = self.cells, self.cells[self.code]
        last = max((i for i in range(len(codes)) if _filled(cells, i)), default=-1)
        for i in range(last + 1):  # blank rows at the end are not rows (as in an upload)
            n, raw = i + 2, codes[i]
            found = row_code(raw)
            if found.wrong and _area_total(raw, (cells[a][i] for a in self.areas)):
                self.extract.skipped[f"England, ICB or region total (“{raw.strip()}”)"] += 1
            elif found.wrong:
                self.problems.append(Problem(found.wrong, row=n, column=self.code))
            elif found.passed_over:
                self.extract.skipped[found.passed_over] += 1
            elif not found.code:
                self.extract.skipped[NO_CODE if _filled(cells, i) else BLANK] += 1
            else:
                self.extract.rows_read += 1
                yield n, found.code


_ONS_AREA = re.compile(r"E\d{8}")  # England E92000001, an ICB E54000015, a region E40000011


def _area_total(raw: str, areas: Iterable[str]) -> bool:
    """Whether a row's practice cell holds an area's code: the row is that area's total."""
    code = raw.strip().upper()
    return bool(_ONS_AREA.fullmatch(code)) or code in {a.strip().upper() for a in areas}


def _filled(cells: dict[str, list[str]], i: int) -> bool:
    return any(values[i].strip() for values in cells.values())


def _value(text: str, kind: str) -> float | None:
    """A figure cell's value: a percentage 0–100 for a fraction, or a count; None when
    the survey does not publish it (blank, or one of its negative codes)."""
    try:
        number = published_number(text)
    except ValueError:
        raise ValueError(f"“{text.strip()}” is not a number") from None
    if number is None or number < 0:  # -97, -99: the survey's codes for suppressed
        return None
    if kind == FRACTION:
        if number > 1:
            raise ValueError(f"{text.strip()} is not a fraction 0–1 (0.85 is 85%)")
        return percentage(number)
    if not number.is_integer():
        raise ValueError(f"“{text.strip()}” is not a whole number of questionnaires")
    return number


DATASET = streamed_dataset(
    key="gpps",
    title="GP Patient Survey practice results",
    rank=60,
    is_header=_is_header,
    read=_read,
)
recognise, recognise_header = DATASET.recognise, DATASET.recognise_header
