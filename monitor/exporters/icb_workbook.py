"""The ICB workbook of one collection: every submitted return, ready for analysis and the board.

One table per sheet, its header on row 1 (frozen) and an autofilter over it, so each
sheet filters and pivots cleanly. Figures are numbers at their item's precision
(``formatting.export_number``), in the unit their header (or Unit column) names:
durations in seconds, percentages 0-100, money in pounds. Dates and times are UK time
(Europe/London), as their headers say: Excel stores no time zone.

- "README": what each sheet holds, which returns are included (submitted ones, as of
  when the workbook was made, for which collection, period and template version) and
  where published figures come from.
- "Tidy": one row per practice, period and metric (ODS code, practice, PCN, period,
  metric, value, unit, template version, submitted time).
- "Completeness": every practice in the ICB with its return's state.
- "Completeness by PCN": the count of practices in each state, per PCN and overall.
- "Practices x metrics": one row per practice with a submitted return or a published
  figure, one column per metric, each practice's figure for the collection (the mean of
  the months of a quarter); a national item's figure is every practice's published one.
- "Published figures" (when there are any): every practice's published figure for each
  national item and period, with the publication it came from.
- "Equity": each metric's median by IMD quintile ("IMD quintile 1 (most deprived)" …) and
  its slope index of inequality with the 95% confidence interval and the interval's
  method named ("PHE simulation, 100,000 draws", "regression residuals"), explained in
  words (a count as a rate per 1,000 registered patients, as the equity page compares it).
  Always the equity page's default method: the options a person may choose there do not
  reach the workbook.
- "Spending by category": HEP-attributed spend by category across practices.
- "Spending by practice": each practice's HEP-attributed spend by category.

What practices typed comes from submitted returns only; every cell goes through
``monitor.exporters.safe`` so that a practice name such as "=HYPERLINK(...)" stays text.

Written in openpyxl's write-only mode, row by row to a file (`write_icb_workbook`): a
collection of every practice in England is hundreds of thousands of cells, which a
normal workbook holds in memory as objects until it is saved. A write-only sheet must
know its column widths before its first row. The tidy sheet (nearly every cell) is sized
from what is known before any row (names, labels, each metric's range of values:
`monitor.services.icb_tidy`), then each row is made once, as it is read from the
database (`icb_tidy.Tidy`), its repeating parts' cells made once and appended again; the
other sheets' rows are gone through twice, once to measure and once to write.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import IO, TYPE_CHECKING

from openpyxl import Workbook
from openpyxl.cell.cell import ERROR_CODES, Cell
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter

from monitor.analysis import equity
from monitor.core.checklist import Item, ItemType
from monitor.core.clock import to_uk, utcnow
from monitor.core.formatting import RECORDED_PLACES, date_time, export_number
from monitor.core.periods import Period
from monitor.core.small_numbers import MIN_PRACTICES
from monitor.exporters.safe import (
    DATETIME_FORMAT,
    FORMULA_STARTS,
    INTEGER_FORMAT,
    MONEY_FORMAT,
    NUMBER_FORMAT,
    PERCENT_FORMAT,
    excel_value,
    make_cell,
    neutralise_text,
)
from monitor.exporters.workbook import BOLD, CREATOR, MAX_WIDTH, TITLE_CHARS
from monitor.exporters.workbook import _shown_width as shown_width
from monitor.services import icb_views
from monitor.services.icb_tidy import LoadedTidy, Tidy, TidyGroup
from monitor.services.icb_views import SnapshotValue

if TYPE_CHECKING:
    from monitor.models import Collection

__all__ = ["SHEETS", "icb_workbook", "workbook_filename", "write_icb_workbook"]

TidyRows = Tidy | LoadedTidy
"""The tidy sheet's rows: read from the database, or from a snapshot already loaded."""

Row = tuple[Sequence[object], Sequence[str | None]]
"""A table row: its values, and each value's number format (None: the value's own)."""

README = "README"
TIDY = "Tidy"
COMPLETENESS = "Completeness"
COMPLETENESS_BY_PCN = "Completeness by PCN"
PIVOT = "Practices x metrics"
PUBLISHED = "Published figures"  # after PIVOT, when the collection has published figures
EQUITY = "Equity"
SPENDING = "Spending by category"
SPENDING_BY_PRACTICE = "Spending by practice"
SHEETS = (
    README,
    TIDY,
    COMPLETENESS,
    COMPLETENESS_BY_PCN,
    PIVOT,
    EQUITY,
    SPENDING,
    SPENDING_BY_PRACTICE,
)
MIN_WIDTH = 8
UK_TIME = "(UK time)"

SII_UNITS = {
    ItemType.MONEY: "£",
    ItemType.PERCENT: "percentage points",
    ItemType.DURATION: "seconds",
}

HOLDS = {
    TIDY: "One row per practice, period and metric of every submitted return: the figure "
    "as submitted, in the unit its Unit column names (durations in seconds, percentages "
    "0-100, money in pounds).",
    COMPLETENESS: "Every practice in the ICB and the state of its return for this "
    "collection (Submitted, Ready to submit, In progress, Not started, Withdrawn), with "
    "when it was submitted.",
    COMPLETENESS_BY_PCN: "How many practices of each PCN, and of the whole ICB, are in each state.",
    PIVOT: "One row per practice, one column per metric: the practice's figure for the "
    "collection (where a return holds several months of a metric, their mean).",
    PUBLISHED: "Every practice's figure that NHS England published for each national "
    "metric and period, with the publication it came from.",
    EQUITY: "Each metric's median by IMD quintile and its slope index of inequality (SII) "
    "with a 95% confidence interval, explained in words.",
    SPENDING: "HEP-attributed spend and total cost by spending category, across the "
    "submitted returns.",
    SPENDING_BY_PRACTICE: "Each practice's HEP-attributed spend, by category in pounds and "
    "as a share of its own HEP-attributed spend.",
}


def workbook_filename(collection: Collection, extension: str = "xlsx") -> str:
    """A download name like "icb-returns-2025-26-q2-7.xlsx"."""
    code = re.sub(r"[^A-Za-z0-9-]+", "", collection.period_code)
    return f"icb-returns-{code}-{collection.id}.{extension}"


def icb_workbook(
    data: icb_views.CollectionData,
    states: dict[int, str],
    *,
    made_at: datetime | None = None,
) -> bytes:
    """The workbook of `data`'s submitted returns, as they stand at `made_at` (now), as
    bytes (`write_icb_workbook` writes it to a file without holding it in memory)."""
    buffer = io.BytesIO()
    write_icb_workbook(data, states, buffer, made_at=made_at)
    return buffer.getvalue()


def write_icb_workbook(
    data: icb_views.CollectionData,
    states: dict[int, str],
    file: IO[bytes],
    *,
    made_at: datetime | None = None,
    tidy: TidyRows | None = None,
) -> None:
    """Write the workbook of `data`'s submitted returns, as they stand at `made_at` (now),
    to `file` (a binary file open for writing), opening on its README. The tidy sheet's
    rows are `tidy`'s (`icb_tidy.Tidy`: read from the database as they are written), or
    without it those of `data`'s snapshot (loaded with `icb_views.load(snapshot=True)`)."""
    book = Workbook(write_only=True)
    properties = book.properties
    properties.title = neutralise_text(f"ICB returns: {data.collection.name}")[:TITLE_CHARS]
    properties.creator = CREATOR
    properties.lastModifiedBy = CREATOR
    result = icb_views.completeness(data, states)
    mix = icb_views.spending_mix(data)
    sheets = [README, TIDY, COMPLETENESS, COMPLETENESS_BY_PCN, PIVOT]
    sheets += [PUBLISHED] if data.published else []
    sheets += [EQUITY, SPENDING, SPENDING_BY_PRACTICE]
    readme = _readme(data, result, sheets[1:], made_at or utcnow())
    _table(book, README, *readme, max_width=MAX_WIDTH + 40, wrap=True)
    _tidy_sheet(book, data, tidy if tidy is not None else LoadedTidy(data))
    _table(book, COMPLETENESS, *_completeness(result))
    _table(book, COMPLETENESS_BY_PCN, *_completeness_by_pcn(result))
    _table(book, PIVOT, *_pivot(data))  # its rows made as they are written
    if data.published:
        _table(book, PUBLISHED, PUBLISHED_HEADER, lambda: _published(data))
    _table(book, EQUITY, *_equity(data))
    _table(book, SPENDING, *_spending(mix))
    _table(book, SPENDING_BY_PRACTICE, *_spending_by_practice(mix))
    book.save(file)


HEADER_ALIGNMENT = Alignment(vertical="top", wrap_text=True)


def _table(
    book: Workbook,
    title: str,
    header: Sequence[str],
    rows: Iterable[Row] | Callable[[], Iterable[Row]],
    *,
    max_width: float = MAX_WIDTH,
    wrap: bool = False,
) -> None:
    """A sheet holding one table: `header` on row 1 in bold (frozen), `rows` below it, an
    autofilter over them all, and each column as wide as what it shows (within
    MIN_WIDTH..`max_width`); `wrap` wraps every cell's text. `rows` is a list, or for a
    big sheet a function making them afresh: they are gone through twice (measured, then
    written; the tidy sheet, the biggest, is sized before its rows instead: `_tidy_sheet`)."""
    again = rows if callable(rows) else lambda: rows
    widths = _header_widths(header)
    for values, formats in again():
        _fit(widths, values, formats)
    ws = _start(book, title, header, widths, max_width=max_width)
    count = 0
    for values, formats in again():
        ws.append(_cells(ws, values, formats, wrap=wrap))
        count += 1
    ws.auto_filter.ref = f"A1:{get_column_letter(len(header))}{count + 1}"


def _header_widths(header: Sequence[str]) -> list[float]:
    return [len(str(t)) * 1.1 for t in header]  # a bold heading shows a little wider


def _fit(widths: list[float], values: Sequence[object], formats: Sequence[str | None]) -> None:
    """Widen `widths` (one per column) to what a row of `values` shows."""
    for col, raw in enumerate(values):
        number_format = formats[col] if col < len(formats) else None
        value, own_format = excel_value(raw)
        width = shown_width(value, number_format or own_format or "General")
        if col >= len(widths):
            widths.append(width)
        elif width > widths[col]:
            widths[col] = width


def _start(
    book: Workbook,
    title: str,
    header: Sequence[str],
    widths: Sequence[float],
    *,
    max_width: float = MAX_WIDTH,
):
    """A new sheet with its columns `widths` wide (within MIN_WIDTH..`max_width`) and
    `header` on row 1, bold and frozen: a write-only sheet needs both before any row."""
    ws = book.create_sheet(title)
    for col, width in enumerate(widths, 1):
        fitted = min(max(width + 2, MIN_WIDTH), max_width)
        ws.column_dimensions[get_column_letter(col)].width = round(fitted, 1)
    ws.freeze_panes = "A2"
    heading = []
    for text in header:
        cell = make_cell(ws, text)
        cell.font = BOLD
        cell.alignment = HEADER_ALIGNMENT
        heading.append(cell)
    ws.append(heading)
    return ws


def _cells(
    ws, values: Sequence[object], formats: Sequence[str | None], *, wrap: bool = False
) -> list:
    """A row's cells: a value as it is where it needs no style (openpyxl writes it as its
    type), else a safe cell (monitor.exporters.safe) with its number format; text that a
    spreadsheet could take for a formula or an error is always a safe cell."""
    out: list[object] = []
    for col, raw in enumerate(values):
        number_format = formats[col] if col < len(formats) else None
        value, own_format = excel_value(raw)
        if value is None:
            out.append(None)
        elif wrap:
            cell = make_cell(ws, raw, number_format)
            cell.alignment = HEADER_ALIGNMENT
            out.append(cell)
        elif (number_format or own_format) is not None or (
            isinstance(value, str) and (value.startswith(FORMULA_STARTS) or value in ERROR_CODES)
        ):
            out.append(make_cell(ws, raw, number_format))
        else:
            out.append(value)
    return out


def _readme(
    data: icb_views.CollectionData,
    result: icb_views.Completeness,
    sheets: list[str],
    made_at: datetime,
) -> tuple[list[str], list[Row]]:
    """What the workbook holds, as a table: one row per sheet, then what it covers."""
    collection = data.collection
    rows: list[Row] = [([name, HOLDS[name]], ()) for name in sheets]
    counts = result.counts
    publications = sorted({p for found in data.published.values() for p in found.publications})
    about = [
        ("Collection", collection.name),
        ("Period", data.period.long_label),
        (
            "Template",
            f"{data.template.name} ({collection.template_id}), version "
            f"{collection.template_version}",
        ),  # fmt: skip
        (
            "Returns included",
            f"Submitted returns only: {counts.submitted} of {counts.total} practices, as "
            f"they stood when the practice submitted. Returns ready to submit, in progress, "
            f"not started or withdrawn are not included (Completeness lists their state).",
        ),
        ("As of", f"{date_time(made_at)} UK time ({to_uk(made_at).isoformat(timespec='minutes')})"),
        (
            "Published figures",
            "From NHS England's publications: " + "; ".join(publications) + ". They cover "
            "every practice in the ICB, whether or not it submitted a return."
            if publications
            else "None: every figure in this workbook is one a practice submitted.",
        ),
        ("Times", "Every date and time is UK time (Europe/London), as its header says."),
        (
            "Figures",
            "Numbers at the precision they are recorded to: whole counts and seconds, money "
            "to the penny, percentages to 2 places (0-100); a mean to at least 2 places. "
            + icb_views.VALUE_RULE,
        ),
    ]
    rows += [([topic, text], ()) for topic, text in about]
    return ["Sheet or topic", "What it says"], rows


def _figure(value: object, item: Item | None, *, derived: bool = False) -> object:
    """A figure at its item's precision; text (a text item's answer) as it is."""
    if item is None or not isinstance(value, int | float):
        return value
    return export_number(value, item.type, derived=derived)


def _number_format(item: Item, value: object) -> str | None:
    """The number format of a figure already in its header's unit: seconds and
    counts whole, money in pounds, percentages 0-100."""
    if item.type is ItemType.MONEY:
        return MONEY_FORMAT if float(value or 0) % 1 == 0 else '"£"#,##0.00;-"£"#,##0.00'
    if item.type is ItemType.PERCENT:
        return PERCENT_FORMAT
    if isinstance(value, float) and value % 1:
        return "#,##0.0#"
    return INTEGER_FORMAT


TIDY_FORMATS = [None] * 10 + [DATETIME_FORMAT]


def _tidy_sheet(book: Workbook, data: icb_views.CollectionData, tidy: TidyRows) -> None:
    """The tidy sheet, each row made once as it is read: its columns are sized first from
    what is known before any row (the practices' and PCNs' names, each metric and
    period's labels, units and range of values: `tidy.groups`)."""
    ws = _start(book, TIDY, icb_views.TIDY_HEADER, _tidy_widths(data, tidy))
    items = data.template.items_by_id
    # A row is made of parts that repeat (a submission's practice and time, a period, a
    # metric, its unit and version): each part's cells are made once and appended again,
    # as openpyxl's write-only append only sets a cell's row and column. A cell without
    # a style is one openpyxl reuses for the next value, so a part holding one (text
    # that reads as an error code, such as "#N/A") is made afresh for every row.
    heads: dict[int, list] = {}  # return id → its practice's ODS code, name and PCN
    tails: dict[int, list] = {}  # return id → its submitted time
    periods: dict[str, list] = {}  # period code → its label and code
    metrics: dict[str, list] = {}  # item id → its id and label
    units: dict[tuple[str, str, int], list] = {}  # the unit and template version
    count = 0
    for submission, value in tidy:
        row = icb_views.TidyRow(submission, value, items.get(value.item_id))
        practice = submission.practice
        key = submission.practice_return.id
        head = heads.get(key) or _kept(
            heads, key, _cells(ws, [practice.ods_code, practice.name, submission.pcn.name], ())
        )
        tail = tails.get(key) or _kept(
            tails, key, _cells(ws, [submission.submitted_at], [DATETIME_FORMAT])
        )
        period = periods.get(value.period_code) or _kept(
            periods, value.period_code, _cells(ws, [row.period_label, value.period_code], ())
        )
        metric = metrics.get(value.item_id) or _kept(
            metrics, value.item_id, _cells(ws, [value.item_id, row.metric_label], ())
        )
        about = (value.item_id, value.unit, value.template_version)
        unit = units.get(about) or _kept(
            units, about, _cells(ws, [row.unit, value.template_version], ())
        )
        figure = _figure(row.figure, row.item)
        if isinstance(figure, str):
            figure = _cells(ws, [figure], ())[0]
        ws.append([*head, *period, *metric, figure, *unit, *tail])
        count += 1
    ws.auto_filter.ref = f"A1:{get_column_letter(len(icb_views.TIDY_HEADER))}{count + 1}"


def _kept(parts: dict, key: object, cells: list) -> list:
    """`cells`, kept under `key` to append again if every one may be (see `_tidy_sheet`)."""
    if all(not isinstance(c, Cell) or c.has_style for c in cells):
        parts[key] = cells
    return cells


def _tidy_widths(data: icb_views.CollectionData, tidy: TidyRows) -> list[float]:
    """The tidy sheet's column widths, from what its rows hold without reading them."""
    widths = _header_widths(icb_views.TIDY_HEADER)
    for s in data.submissions:
        _fit(widths, [s.practice.ods_code, s.practice.name, s.pcn.name], ())
        _fit(widths, [None] * 10 + [s.submitted_at], TIDY_FORMATS)
    items = data.template.items_by_id
    for group in tidy.groups:
        item = items.get(group.item_id)
        value = SnapshotValue(0, group.item_id, group.period_code, None, None, None,
                              group.unit, group.template_version)  # fmt: skip
        row = icb_views.TidyRow(None, value, item)  # for its labels: no practice's
        _fit(widths, [None, None, None, row.period_label, group.period_code, group.item_id,
                      row.metric_label, None, row.unit, group.template_version], ())  # fmt: skip
        for figure in _widest_figures(group, item):
            _fit(widths, [None] * 7 + [figure], ())
    return widths


def _widest_figures(group: TidyGroup, item: Item | None) -> list[object]:
    """Figures at least as wide as any of the group's (its least and greatest number, at
    the item's precision, and one with all its decimal places; as long a text)."""
    out: list[object] = []
    if group.longest_text:
        out.append("x" * group.longest_text)
    numbers = [n for n in (group.low, group.high) if n is not None and math.isfinite(n)]
    if not numbers:
        return out
    out += [_figure(n, item) for n in numbers]
    places = RECORDED_PLACES.get(item.type) if item is not None else None
    if places is None:
        out.append("0" * 11)  # a number Excel shows in General format, at its widest
    elif places:
        biggest = max(abs(n) for n in numbers)
        widest = math.floor(biggest) + 1 - 10**-places
        out.append(-widest if min(numbers) < 0 else widest)
    return out


def _completeness(result: icb_views.Completeness) -> tuple[list[str], list[Row]]:
    header = ["PCN code", "PCN", "ODS code", "Practice", "State", f"Submitted {UK_TIME}"]
    formats = [None] * 5 + [DATETIME_FORMAT]
    rows: list[Row] = [
        (
            [
                group.pcn.code,
                group.pcn.name,
                row.practice.ods_code,
                row.practice.name,
                row.label,
                row.submitted_at,
            ],
            formats,
        )
        for group in result.by_pcn
        for row in group.practices
    ]
    return header, rows


def _completeness_by_pcn(result: icb_views.Completeness) -> tuple[list[str], list[Row]]:
    labels = [icb_views.STATE_LABELS[state] for state in result.states]
    header = ["PCN code", "PCN", *labels, "Practices", "Submitted (%)"]
    counted = [(g.pcn.code, g.pcn.name, g.counts) for g in result.by_pcn]
    counted.append(("All", "All practices", result.counts))
    formats = [None, None] + [INTEGER_FORMAT] * (len(labels) + 1) + [PERCENT_FORMAT]
    rows: list[Row] = []
    for code, name, counts in counted:
        pct = counts.submitted_pct
        rows.append(
            (
                [
                    code,
                    name,
                    *(counts.of_state(state) for state in result.states),
                    counts.total,
                    None if pct is None else round(pct, 2),
                ],
                formats,
            )
        )
    return header, rows


def _item_title(item: Item) -> str:
    unit = icb_views.unit_label(item, item.type.value)  # "seconds", "%", "£", "count"
    return f"{item.label} ({unit})" if unit else item.label


def _pivot(data: icb_views.CollectionData) -> tuple[list[str], Callable[[], Iterator[Row]]]:
    """The practices × metrics table: its header, and its rows made afresh a practice at
    a time (a national collection's table holds 6,300 × every item)."""
    items = data.items()
    header = ["ODS code", "Practice", "PCN", "IMD decile", "List size"]
    header += [_item_title(i) for i in items]
    # A national item's figures are every practice's, from the publication (public); the
    # rest are each submitting practice's, from its return.
    published = {
        item.id: {f.practice.id: f.value for f in data.figures(item)}
        for item in items
        if item.id in data.published
    }
    submitted = {s.practice.id: s for s in data.submissions}
    listed = [
        (p, submitted.get(p.id))
        for p in sorted(data.practices, key=lambda p: (p.name, p.ods_code))
        if p.id in submitted or any(p.id in by for by in published.values())
    ]
    formats = [None, None, None, "0", INTEGER_FORMAT]

    def rows() -> Iterator[Row]:
        for practice, submission in listed:
            figures = {
                f.item_id: f.value
                for f in (submission.figures if submission else ())
                if f.item_id not in published
            }
            figures.update((i, by[practice.id]) for i, by in published.items() if practice.id in by)
            # A practice's figure for the collection may be a mean of its months.
            values = [_figure(figures.get(item.id), item, derived=True) for item in items]
            pcn = submission.pcn if submission else _pcn_of(data, practice)
            yield (
                [practice.ods_code, practice.name, pcn.name, practice.imd_decile,
                 practice.list_size, *values],
                [*formats, *(_number_format(i, v) for i, v in zip(items, values, strict=True))],
            )  # fmt: skip

    return header, rows


def _pcn_of(data: icb_views.CollectionData, practice) -> object:
    return data.pcns.get(practice.pcn_id) or icb_views.no_pcn_group(practice.icb_id)


PUBLISHED_HEADER = ("ODS code", "Practice", "PCN", "Period", "Period code", "Metric id",
                    "Metric", "Value", "Unit", "From")  # fmt: skip


def _published(data: icb_views.CollectionData) -> Iterable[Row]:
    """Every practice's published figure for each national item and period."""
    by_id = {p.id: p for p in data.practices}
    for item in data.items():
        found = data.published.get(item.id)
        if found is None:
            continue
        source = "; ".join(found.publications)
        unit = icb_views.unit_label(item, item.type.value)
        for practice_id, periods in sorted(
            found.by_period.items(), key=lambda kv: (by_id[kv[0]].name, by_id[kv[0]].ods_code)
        ):
            practice = by_id[practice_id]
            for code in sorted(periods, key=Period.parse):
                # A published percentage computed from counts carries more places.
                value = _figure(periods[code], item, derived=True)
                yield (
                    [practice.ods_code, practice.name, _pcn_of(data, practice).name,
                     Period.parse(code).label, code, item.id, item.label, value, unit, source],
                    [None] * 7 + [_number_format(item, value), None, None],
                )  # fmt: skip


def _equity(data: icb_views.CollectionData) -> tuple[list[str], list[Row]]:
    header = ["Metric id", "Metric", "Unit", "Practices"]
    for q in range(1, 6):
        name = equity.quintile_label(q)  # "IMD quintile 1 (most deprived)", never "Q1"
        header += [f"{name} median", f"{name} practices"]
    header += ["SII", "SII 95% CI lower", "SII 95% CI upper", "SII unit", "SII 95% CI method"]
    header.append("Explanation")
    rows: list[Row] = []
    for item in data.items():
        view = icb_views.equity_view(data, item)
        unit = icb_views.unit_label(item, item.type.value)
        row: list[object] = [item.id, item.label, unit, view.n]
        formats: list[str | None] = [None, None, None, INTEGER_FORMAT]
        for q in view.quintiles:
            if q.quintile is None:
                continue
            enough = q.n_practices >= MIN_PRACTICES
            row += [_figure(q.median, item, derived=True) if enough else None, q.n_practices]
            formats += [NUMBER_FORMAT, INTEGER_FORMAT]
        sii = view.sii
        measure = view.compared  # a count as a rate per 1,000 registered patients
        row += [_derived(v) for v in (sii.sii, sii.ci_lower, sii.ci_upper)]
        row.append(SII_UNITS.get(measure.type, measure.unit))
        row.append(sii.method_label if sii.ok else None)
        formats += [NUMBER_FORMAT] * 3 + [None, None]
        row.append(" ".join(view.explanation))
        rows.append((row, formats))
    return header, rows


def _derived(value: float | None) -> float | None:
    """A statistic (an SII or its interval) to 2 places, like every derived figure."""
    return export_number(value, ItemType.NUMBER, derived=True) if value is not None else None


def _spending(mix) -> tuple[list[str], list[Row]]:
    header = [
        "Category",
        "Category id",
        "HEP-attributed spend (£)",
        "Total cost (£)",
        "Share of HEP-attributed spend (%)",
        "Practices",
    ]
    formats = [None, None, MONEY_FORMAT, MONEY_FORMAT, PERCENT_FORMAT, INTEGER_FORMAT]
    rows: list[Row] = [
        (
            [
                c.label,
                c.category,
                _money(c.hep),
                _money(c.total_cost),
                _pct(c.share_pct),
                c.practices,
            ],
            formats,
        )
        for c in mix.categories
    ]
    rows.append((["All categories", "", _money(mix.hep_total)], [None, None, MONEY_FORMAT]))
    return header, rows


def _spending_by_practice(mix) -> tuple[list[str], list[Row]]:
    header = (
        ["ODS code", "Practice", "PCN", "HEP-attributed spend (£)"]
        + [f"{c.label} (£)" for c in mix.categories]
        + [f"{c.label} (% of practice's HEP spend)" for c in mix.categories]
    )
    formats = (
        [None, None, None]
        + [MONEY_FORMAT] * (1 + len(mix.categories))
        + [PERCENT_FORMAT] * len(mix.categories)
    )
    rows: list[Row] = []
    for spend in mix.practices:
        practice = spend.submission.practice
        rows.append(
            (
                [
                    practice.ods_code,
                    practice.name,
                    spend.submission.pcn.name,
                    _money(spend.hep_total),
                ]
                + [_money(spend.hep_by_category.get(c)) for c in mix.category_ids]
                + [_pct(spend.share_pct(c)) for c in mix.category_ids],
                formats,
            )
        )
    return header, rows


def _money(value) -> float | None:
    return export_number(value, ItemType.MONEY)


def _pct(value) -> float | None:
    return export_number(value, ItemType.PERCENT)
