"""Rows that carry the practice → PCN → sub-ICB → ICB columns NHS England puts in its
GP publications (the GPAD Mapping.csv, Cloud Based Telephony Tables 3–5, the online
consultation Table 2), read the same way whichever publication they come from, and the
figures on those rows.

A row is one practice when its practice column holds a practice code. Everything else
in the table is passed over and counted: the national "Total" row, "Unassigned" and
"Unmapped" rows, blank separator rows and the footnotes under the table. A code that
looks meant for a practice but is not one ("C8200") is a problem: the file is refused.

A figure cell holds a number, or says the figure is not published: blank, a suppression
mark ("*", "-", "..", "[c]", "x") or words ("no data"). Not published is None, never 0;
anything else in a figure cell is a problem naming its sheet, row and column.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from monitor.core.checklist import Frequency
from monitor.core.names import (
    NOT_A_PRACTICE,
    UNALLOCATED_PCN,
    is_practice_code,
    ods_code,
    tidy_name,
)
from monitor.core.periods import Period
from monitor.core.published import PublishedFigure
from monitor.importers.datasets import Extract, PracticeFacts
from monitor.importers.published import Grid, Problem, heading_key
from monitor.importers.upload import cell_text

_tidy = lru_cache(maxsize=8192)(tidy_name)
_ods_code = lru_cache(maxsize=8192)(ods_code)
"""PCN, sub-ICB and ICB names and codes repeat on thousands of rows of a national table."""

NOT_PUBLISHED = frozenset(
    {"", "*", "**", "-", "–", "—", ".", "..", ":", "c", "x", "z", "[c]", "[x]", "[z]", "n/a",
     "na", "nd", "no data", "not available", "not published", "suppressed"}
)  # fmt: skip
"""What NHS tables put in a cell whose figure is not published (heading_key-compared)."""


@dataclass(frozen=True)
class Columns:
    """The headings (as `heading_key` makes them) of the hierarchy columns."""

    practice: str
    name: str
    pcn_code: str
    pcn_name: str
    icb_code: str
    icb_name: str


@dataclass(frozen=True)
class RowCode:
    """What a table's practice cell says the row is: one practice (`code`), a row to pass
    over (`passed_over` says why), or a mistake (`wrong` says what)."""

    code: str = ""
    passed_over: str | None = None
    wrong: str | None = None


@lru_cache(maxsize=32768)
def row_code(raw: str) -> RowCode:
    """Decide from its practice cell whether a row is one practice. A blank cell gives an
    empty RowCode (a separator row, passed over without counting). Cached: a workbook
    lists each practice once in each of its tables."""
    code = ods_code(raw)
    if not code:
        return RowCode()
    reason = "national total" if code == "TOTAL" else "not one practice"
    if code in NOT_A_PRACTICE:  # before the length of notes: "UNALLOCATED" is 11 letters
        return RowCode(passed_over=f"{reason} (“{raw.strip()}”)")
    if len(raw.split()) > 2 or len(code) > 10:
        return RowCode(passed_over="notes under the table")
    if is_practice_code(code):
        return RowCode(code)
    if not any(ch.isdigit() for ch in code):
        return RowCode(passed_over=f"{reason} (“{raw.strip()}”)")
    return RowCode(wrong=f"“{raw.strip()}” is not a practice code")


def practice_rows(
    grid: Grid,
    header_row: int,
    column: int,
    heading: str,
    extract: Extract,
    problems: list[Problem],
    *,
    count: bool = True,
) -> Iterator[tuple[int, str]]:
    """(row, practice code) for every practice row below `header_row`, repeats included.
    Rows passed over are counted in `extract.skipped` and practice rows in `rows_read`
    when `count` (one table of a workbook counts, so a practice is one row read, not
    three); a broken code is added to `problems`."""
    rows = grid.rows
    for n in range(header_row + 1, len(rows) + 1):
        cells = rows[n - 1]
        value = cells[column] if column < len(cells) else None
        found = row_code(value if value.__class__ is str else cell_text(value))
        if found.wrong:
            problems.append(Problem(found.wrong, sheet=grid.name, row=n, column=heading))
        elif found.passed_over:
            if count:
                extract.skipped[found.passed_over] += 1
        elif found.code:
            if count:
                extract.rows_read += 1
            yield n, found.code


def each_once(
    rows: Iterable[tuple[int, str]],
    grid: Grid,
    heading: str,
    problems: list[Problem],
    seen: dict[str, int] | None = None,
) -> Iterator[tuple[int, str]]:
    """(row, code) of `rows` (from practice_rows), a practice listed again refused: its
    second row is added to `problems`, naming where it was first. `seen` (code → row)
    is filled as it goes."""
    seen = {} if seen is None else seen
    for n, code in rows:
        if code in seen:
            message = f"{code} is listed again (first on row {seen[code]:,})"
            problems.append(Problem(message, sheet=grid.name, row=n, column=heading))
            continue
        seen[code] = n
        yield n, code


def read_rows(
    grid: Grid, header_row: int, found: dict[str, int], columns: Columns, extract: Extract
) -> list[Problem]:
    """Add a PracticeFacts to `extract` for every practice row below `header_row`."""
    at = {
        field: found[heading_key(getattr(columns, field))] for field in columns.__dataclass_fields__
    }
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for n, code in practice_rows(
        grid, header_row, at["practice"], columns.practice, extract, problems
    ):
        if code in seen:
            continue  # a practice listed again (several suppliers): its first row counts
        seen[code] = n
        cells = grid.rows[n - 1]
        name, icb_code, icb_name, pcn_code, pcn_name = (
            _text(cells, at[field]) for field in ("name", "icb_code", "icb_name", "pcn_code",
                                                  "pcn_name")
        )  # fmt: skip
        pcn_code, pcn_name = pcn_of(pcn_code, pcn_name)
        extract.practices.append(
            PracticeFacts(
                ods_code=code,
                sheet=grid.name,
                row=n,
                name=tidy_name(name) or None,
                icb_code=_ods_code(icb_code) or None,
                icb_name=_tidy(icb_name) or None,
                pcn_code=pcn_code,
                pcn_name=pcn_name,
            )
        )
    return problems


def _text(cells: list[object], column: int) -> str:
    """A cell's text, as `Grid.text` gives it (most cells of these columns are text)."""
    value = cells[column] if column < len(cells) else None
    return value if value.__class__ is str else cell_text(value)


def pcn_of(code_text: str, name_text: str) -> tuple[str, str | None]:
    """A row's PCN code and name as PracticeFacts holds them: ("", None) when the row
    says the practice is in no PCN ("U", "Unallocated")."""
    code = _ods_code(code_text)
    if not code or code in UNALLOCATED_PCN or _ods_code(name_text) in UNALLOCATED_PCN:
        return "", None
    return code, _tidy(name_text) or None


def published_number(value: object) -> float | None:
    """A figure cell's number, or None when the cell says it is not published. Raises
    ValueError for anything else ("12a", "n/k", "inf")."""
    if isinstance(value, bool):
        raise ValueError("not a number")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueError("not a number")
        return float(value)
    text = cell_text(value).strip()
    if heading_key(text) in NOT_PUBLISHED:
        return None
    try:
        number = float(text.replace(",", ""))
    except ValueError:
        raise ValueError("not a number") from None
    if not math.isfinite(number):
        raise ValueError("not a number")
    return number


def figure_cell(
    grid: Grid, row: int, column: int, heading: str, problems: list[Problem], *, count: bool
) -> float | None:
    """The number in a figure cell, None when not published; a problem when neither (or,
    for a `count`, when it is negative)."""
    cells = grid.rows[row - 1] if 0 < row <= len(grid.rows) else ()
    value = cells[column] if 0 <= column < len(cells) else None
    if value.__class__ is float and 0.0 <= value < math.inf:
        return value  # most cells of a national table (NaN fails both comparisons)
    try:
        number = published_number(value)
    except ValueError:
        number, wrong = None, f"“{cell_text(value)}” is not a number"
    else:
        wrong = "is negative; a count cannot be" if count and number and number < 0 else None
    if wrong:
        problems.append(Problem(wrong, sheet=grid.name, row=row, column=heading))
        return None
    return number


@dataclass(frozen=True)
class FigureColumn:
    """Where a measure is in a table, and how its cells read."""

    measure: str
    column: int  # 0-based
    heading: str  # as a person reads it, for messages
    count: bool = True  # a count, which cannot be negative
    fraction: bool = False  # published as a fraction 0–1, recorded as a percentage


class RowFigures:
    """A table's figure columns, to add each practice row's figures to an extract (as
    `add_figure` does). A national table has some 100,000 figure cells, so the usual
    cell (a float, not negative) is taken without the checks of `figure_cell`."""

    def __init__(self, extract: Extract, columns: tuple[FigureColumn, ...]) -> None:
        if extract.period is None or any(c.measure not in extract.measures for c in columns):
            raise ValueError("set the extract's period and measures first")
        self.extract = extract
        self.columns = tuple((c.measure, c.column, c.heading, c.count, c.fraction) for c in columns)

    def add(
        self, grid: Grid, row: int, code: str, problems: list[Problem]
    ) -> dict[str, float | None]:
        """Add the figures on `row` for practice `code`; return them by measure."""
        cells = grid.rows[row - 1]
        width, period, sheet = len(cells), self.extract.period, grid.name
        append = self.extract.figures.append
        found: dict[str, float | None] = {}
        for measure, column, heading, count, fraction in self.columns:
            value = cells[column] if column < width else None
            if not (value.__class__ is float and 0.0 <= value < math.inf):
                value = figure_cell(grid, row, column, heading, problems, count=count)
            if fraction and value is not None:
                value = percentage(value)
            found[measure] = value
            append(PublishedFigure(code, measure, period, value, sheet, row))
        return found


def percentage(fraction: float | None) -> float | None:
    """A published fraction 0–1 as a percentage 0–100. Rounded to 8 places so that 0.305
    reads 30.5, not 30.500000000000004: the tables publish three or four places."""
    return None if fraction is None else round(fraction * 100, 8)


def month_code(month: date) -> str:
    """The period code of the month containing `month` ("2026-02")."""
    return Period.containing(month, Frequency.MONTHLY).code


def add_figure(
    extract: Extract, code: str, measure: str, value: float | None, sheet: str, row: int
) -> None:
    if extract.period is None or measure not in extract.measures:
        raise ValueError(f"{measure!r}: set the extract's period and measures first")
    extract.figures.append(PublishedFigure(code, measure, extract.period, value, sheet, row))
