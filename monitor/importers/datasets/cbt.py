"""Cloud Based Telephony in General Practice (NHS England, official statistics in
development, monthly since October 2024): the publication summary workbook.

Tables 3, 4 and 5 are per practice: title rows, a two-row heading (group labels merged
above `Total`/`%`/`Count`, and over Tables 4 and 5 a third label saying which bands are
wait times and which durations), a national `Total` row, then one row per practice
(`Month`, `GP Practice (ODS_CODE)` with a line break in the heading, `GP Name`, PCN,
sub-ICB, ICB, region, then counts and fractions), then footnotes. "Unassigned" rows
(calls of accounts that cannot be split by practice) are passed over and counted.

The workbook gives each practice's PCN and ICB (from Table 3) and these figures for the
month, each found by its heading text (the label over it, its group label and its
sub-label read together), never by its position:

Table 3, inbound call outcomes:
  inbound_calls        count of inbound calls ("Count of Inbound calls", Total)
  answered             calls answered ("Answered", Total)
  answered_pct         answered as a percentage of inbound calls ("Answered", %)
  ended_in_ivr         calls that ended during the IVR stage ("Ended during the IVR
                       Stage", Total)
  callback_requested   calls where the caller asked to be called back ("Call back
                       requested", Total)
  missed               calls missed, voicemails included ("Missed", Total)
  missed_pct           missed as a percentage of inbound calls ("Missed", %)
  callback_made        call backs made ("Call back made", Total)
Table 4, answered calls by how long the caller waited ("Answered Calls - Wait time";
the duration bands beside them are not read):
  answered_under_1_min, answered_1_to_2_min, answered_2_to_5_min, answered_over_5_min
                       counts ("Less than 1 minute", "1 - 2 minutes", "2 - 5 minutes",
                       "Longer than 5 minutes", Count)
  answered_within_2_min_pct
                       (answered_under_1_min + answered_1_to_2_min) / answered × 100,
                       computed here (not published) when all three are published and
                       answered is not 0. `answered` is Table 3's, which NHS England
                       says is metric CBT007; the wait bands are CBT003, which some
                       suppliers reported differently before June 2025, so for those
                       months the percentage can be off (even above 100).
Table 5, missed calls by how long the caller waited ("Missed Calls - Wait time"):
  missed_under_1_min, missed_1_to_2_min, missed_2_to_5_min, missed_over_5_min

Percentages are 0–100 (the workbook's fractions 0–1 times 100). A blank or "-" cell is
not published: None, never 0. A practice listed twice in one table is refused: its
figures could not be told apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from monitor.core.formatting import MONTHS
from monitor.importers.datasets import Dataset, Extract
from monitor.importers.datasets._hierarchy import (
    Columns,
    FigureColumn,
    RowFigures,
    add_figure,
    each_once,
    month_code,
    practice_rows,
    read_rows,
)
from monitor.importers.published import Grid, Problem, PublishedFile, Refused, heading_key

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
_FOOTNOTE = re.compile(r"\[[^\]]*\]")


@dataclass(frozen=True)
class Measure:
    """A published column: its group label (any of `group`), its sub-label, and words
    the label above the group must contain (to tell wait-time bands from durations)."""

    name: str
    words: str
    group: tuple[str, ...]
    sub: str
    above: str = ""

    @property
    def is_percentage(self) -> bool:
        return self.sub == "%"


def _bands(prefix: str, what: str, above: str) -> tuple[Measure, ...]:
    bands = (
        ("under_1_min", "in less than 1 minute", "less than 1 minute"),
        ("1_to_2_min", "after 1 to 2 minutes", "1 - 2 minutes"),
        ("2_to_5_min", "after 2 to 5 minutes", "2 - 5 minutes"),
        ("over_5_min", "after longer than 5 minutes", "longer than 5 minutes"),
    )
    return tuple(
        Measure(f"{prefix}_{suffix}", f"{what} {words}", (heading,), "count", above)
        for suffix, words, heading in bands
    )


MEASURES: dict[str, tuple[Measure, ...]] = {
    "Table 3": (
        Measure("inbound_calls", "Inbound calls", ("count of inbound calls", "inbound calls"),
                "total"),
        Measure("answered", "Calls answered", ("answered",), "total"),
        Measure("answered_pct", "Calls answered, % of inbound calls", ("answered",), "%"),
        Measure("ended_in_ivr", "Calls that ended during the IVR stage",
                ("ended during the ivr stage",), "total"),
        Measure("callback_requested", "Calls where a call back was requested",
                ("call back requested",), "total"),
        Measure("missed", "Calls missed (voicemails included)", ("missed",), "total"),
        Measure("missed_pct", "Calls missed, % of inbound calls", ("missed",), "%"),
        Measure("callback_made", "Call backs made", ("call back made",), "total"),
    ),
    "Table 4": _bands("answered", "Calls answered", "wait time"),
    "Table 5": _bands("missed", "Calls missed", "wait time"),
}  # fmt: skip
WITHIN_2_MIN = "answered_within_2_min_pct"
WITHIN_2_MIN_WORDS = (
    "Calls answered within 2 minutes, % of calls answered (computed: under 1 minute plus "
    "1 to 2 minutes, over calls answered)"
)


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


def labelled_columns(grid: Grid, header_row: int) -> list[tuple[str, str, str, int]]:
    """(label above, group label, sub-label, 0-based column) for every column with a
    sub-label in the row under the heading row. A merged label is held by its first
    cell only, so each label carries on to the right until the next one."""
    above = group = ""
    found = []
    width = max(len(grid.rows[header_row - 2]) if header_row > 1 else 0,
                len(grid.rows[header_row - 1]),
                len(grid.rows[header_row]) if header_row < len(grid.rows) else 0)  # fmt: skip
    for c in range(width):
        above = grid.text(header_row - 1, c) or above
        group = grid.text(header_row, c) or group
        sub = grid.text(header_row + 1, c)
        if sub:
            found.append((above, group, sub, c))
    return found


def measure_columns(
    grid: Grid, header_row: int, measures: tuple[Measure, ...]
) -> tuple[dict[str, tuple[int, str]], list[Problem]]:
    """Each measure's 0-based column and its heading as a person reads it, or a problem
    for each measure whose heading is missing or found twice."""
    labelled = labelled_columns(grid, header_row)
    found: dict[str, tuple[int, str]] = {}
    problems = []
    for measure in measures:
        matches = [
            (c, _shown(above, group, sub, measure))
            for above, group, sub, c in labelled
            if heading_key(group) in measure.group
            and heading_key(sub) == measure.sub
            and measure.above in heading_key(above)
        ]
        if len(matches) == 1:
            found[measure.name] = matches[0]
            continue
        wanted = f"“{measure.group[0]}” ({measure.sub})"
        if measure.above:
            wanted += f" under “{measure.above}”"
        how = "no column headed" if not matches else "more than one column headed"
        problems.append(Problem(f"has {how} {wanted}", sheet=grid.name, row=header_row))
    return found, problems


def _shown(above: str, group: str, sub: str, measure: Measure) -> str:
    shown = f"{_plain(group)} ({sub})"
    return f"{_plain(above)}: {shown}" if measure.above else shown


def _plain(heading: str) -> str:
    """A heading as a person reads it in a message: footnote marks dropped."""
    return " ".join(_FOOTNOTE.sub("", heading).split())


def read(file: PublishedFile) -> Extract:
    grid = practice_table(file)
    header_row, found = grid.find_header(*REQUIRED)
    month = publication_month(grid, header_row, found["Month"])
    if month is None:
        raise Refused(Problem("has no practice row with a month", sheet=grid.name))
    description = f"Cloud Based Telephony, {MONTHS[month.month - 1]} {month.year} publication"
    extract = DATASET.extract(file.filename, description, month)
    extract.period = month_code(month)
    extract.measures = {m.name: m.words for ms in MEASURES.values() for m in ms}
    extract.measures[WITHIN_2_MIN] = WITHIN_2_MIN_WORDS
    problems = read_rows(grid, header_row, found, COLUMNS, extract)
    values: dict[str, dict[str, float | None]] = {}
    rows: dict[str, dict[str, int]] = {}
    for table in TABLES:
        problems += _read_table(file, table, extract, values, rows.setdefault(table, {}))
    if problems:
        raise Refused(problems)
    for code, row in rows["Table 4"].items():
        mine = values[code]
        under_1, to_2 = mine.get("answered_under_1_min"), mine.get("answered_1_to_2_min")
        answered = mine.get("answered")
        published = under_1 is not None and to_2 is not None and answered  # not None, not 0
        value = (under_1 + to_2) / answered * 100 if published else None
        add_figure(extract, code, WITHIN_2_MIN, value, "Table 4", row)
    return extract


def _read_table(
    file: PublishedFile,
    table: str,
    extract: Extract,
    values: dict[str, dict[str, float | None]],
    rows: dict[str, int],
) -> list[Problem]:
    """Add the table's figures to `extract` (and `values`, by practice), noting in `rows`
    the row each practice is on."""
    grid = file.grid(table)
    located = grid.find_header(*REQUIRED) if grid is not None else None
    if located is None:
        return [Problem(f"The workbook has no {table} with a practice heading row")]
    header_row, found = located
    columns, problems = measure_columns(grid, header_row, MEASURES[table])
    if problems:
        return problems
    figures = RowFigures(
        extract,
        tuple(
            FigureColumn(m.name, *columns[m.name], count=not m.is_percentage,
                         fraction=m.is_percentage)
            for m in MEASURES[table]
        ),
    )  # fmt: skip
    practices = practice_rows(
        grid,
        header_row,
        found[COLUMNS.practice],
        COLUMNS.practice,
        extract,
        problems,
        count=False,  # read_rows counted Table 3's rows; the others list them again
    )
    for n, code in each_once(practices, grid, COLUMNS.practice, problems, rows):
        values.setdefault(code, {}).update(figures.add(grid, n, code, problems))
    return problems


DATASET = Dataset(
    key="cbt",
    title="Cloud Based Telephony publication workbook",
    recognise=recognise,
    read=read,
    rank=40,
)
