"""The ICB workbook of one collection: every submitted return, ready for analysis and the board.

Sheets, each a table with its header on row 1 (frozen) so it filters and pivots cleanly:

- "Tidy": one row per practice, period and metric (ODS code, practice, PCN, period,
  metric, value, unit, template version, submitted date). Values are raw numbers in the
  unit column's terms (durations in seconds, percentages 0-100).
- "Completeness": every practice in the ICB with its state, then totals by PCN.
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
- "Spending mix": HEP-attributed spend by category across practices, then per practice.

What practices typed comes from submitted returns only; every cell goes through
``monitor.exporters.safe`` so that a practice name such as "=HYPERLINK(...)" stays text.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from monitor.analysis import equity
from monitor.core.checklist import Item, ItemType
from monitor.core.periods import Period
from monitor.core.small_numbers import MIN_PRACTICES
from monitor.core.tables import ITEM_FORMATS
from monitor.exporters.safe import (
    DATETIME_FORMAT,
    INTEGER_FORMAT,
    MONEY_FORMAT,
    NUMBER_FORMAT,
    PERCENT_FORMAT,
    typed_value,
)
from monitor.exporters.workbook import Book, Sheet
from monitor.services import icb_views

if TYPE_CHECKING:
    from monitor.models import Collection

__all__ = ["SHEETS", "icb_workbook", "workbook_filename"]

TIDY, COMPLETENESS, PIVOT, EQUITY, SPENDING = (
    "Tidy",
    "Completeness",
    "Practices x metrics",
    "Equity",
    "Spending mix",
)
SHEETS = (TIDY, COMPLETENESS, PIVOT, EQUITY, SPENDING)
PUBLISHED = "Published figures"  # after PIVOT, when the collection has published figures
MIN_WIDTH = 8

SII_UNITS = {
    ItemType.MONEY: "£",
    ItemType.PERCENT: "percentage points",
    ItemType.DURATION: "seconds",
}


def workbook_filename(collection: Collection, extension: str = "xlsx") -> str:
    """A download name like "icb-returns-2025-26-q2-7.xlsx"."""
    code = re.sub(r"[^A-Za-z0-9-]+", "", collection.period_code)
    return f"icb-returns-{code}-{collection.id}.{extension}"


def icb_workbook(data: icb_views.CollectionData, states: dict[int, str]) -> bytes:
    book = Book(f"ICB returns: {data.collection.name}")
    _tidy(book.sheet(TIDY, min_width=MIN_WIDTH), data)
    _completeness(book.sheet(COMPLETENESS, min_width=MIN_WIDTH), data, states)
    _pivot(book.sheet(PIVOT, min_width=MIN_WIDTH), data)
    if data.published:
        _published(book.sheet(PUBLISHED, min_width=MIN_WIDTH), data)
    _equity(book.sheet(EQUITY, min_width=MIN_WIDTH), data)
    _spending(book.sheet(SPENDING, min_width=MIN_WIDTH), data)
    return book.to_bytes()


def _tidy(table: Sheet, data: icb_views.CollectionData) -> None:
    table.header(icb_views.TIDY_HEADER)
    table.freeze()
    for row in icb_views.tidy_rows(data):
        practice = row.submission.practice
        table.line(
            [
                practice.ods_code,
                practice.name,
                row.submission.pcn.name,
                row.period_label,
                row.value.period_code,
                row.value.item_id,
                row.metric_label,
                row.figure,
                row.unit,
                row.value.template_version,
                row.submission.submitted_at,
            ],
            [None] * 10 + [DATETIME_FORMAT],
        )


def _completeness(table: Sheet, data: icb_views.CollectionData, states: dict[int, str]) -> None:
    result = icb_views.completeness(data, states)
    table.header(["PCN code", "PCN", "ODS code", "Practice", "State", "Submitted"])
    table.freeze()
    for group in result.by_pcn:
        for row in group.practices:
            table.line(
                [
                    group.pcn.code,
                    group.pcn.name,
                    row.practice.ods_code,
                    row.practice.name,
                    row.label,
                    row.submitted_at,
                ],
                [None] * 5 + [DATETIME_FORMAT],
            )
    table.skip()
    labels = [icb_views.STATE_LABELS[state] for state in result.states]
    table.header(["By PCN", "", *labels, "Practices", "% submitted"])
    counted = [(g.pcn.code, g.pcn.name, g.counts) for g in result.by_pcn]
    counted.append(("All", "All practices", result.counts))
    for code, name, counts in counted:
        table.line(
            [
                code,
                name,
                *(counts.of_state(state) for state in result.states),
                counts.total,
                counts.submitted_pct,
            ],
            [None, None] + [INTEGER_FORMAT] * (len(labels) + 1) + [PERCENT_FORMAT],
        )


def _item_title(item: Item) -> str:
    unit = icb_views.unit_label(item, item.type.value)
    if item.type is ItemType.DURATION:
        unit = "m:ss"
    return f"{item.label} ({unit})" if unit else item.label


def _pivot(table: Sheet, data: icb_views.CollectionData) -> None:
    items = data.items()
    table.header(
        ["ODS code", "Practice", "PCN", "IMD decile", "List size"]
        + [_item_title(i) for i in items],
    )
    table.freeze(columns=2)
    figures = {item.id: {f.practice.id: f.value for f in data.figures(item)} for item in items}
    # Every practice with a submitted return or a published figure (national items cover
    # every practice of the ICB: published figures are public).
    submitted = {s.practice.id: s for s in data.submissions}
    with_figures = {pid for by in figures.values() for pid in by}
    rows = [
        (p, submitted[p.id].pcn if p.id in submitted else _pcn_of(data, p))
        for p in sorted(data.practices, key=lambda p: (p.name, p.ods_code))
        if p.id in submitted or p.id in with_figures
    ]
    for practice, pcn in rows:
        typed = [
            typed_value(figures[item.id].get(practice.id), ITEM_FORMATS[item.type])
            for item in items
        ]
        table.line(
            [
                practice.ods_code,
                practice.name,
                pcn.name,
                practice.imd_decile,
                practice.list_size,
                *(value for value, _ in typed),
            ],
            [None, None, None, "0", INTEGER_FORMAT, *(fmt for _, fmt in typed)],
        )


def _pcn_of(data: icb_views.CollectionData, practice) -> object:
    return data.pcns.get(practice.pcn_id) or icb_views.no_pcn_group(practice.icb_id)


def _published(table: Sheet, data: icb_views.CollectionData) -> None:
    """Every practice's published figure for each national item and period."""
    table.header(["ODS code", "Practice", "PCN", "Period", "Period code", "Metric id",
                  "Metric", "Value", "Unit", "From"])  # fmt: skip
    table.freeze()
    by_id = {p.id: p for p in data.practices}
    for item in data.items():
        found = data.published.get(item.id)
        if found is None:
            continue
        source = "; ".join(found.publications)
        for practice_id, periods in sorted(
            found.by_period.items(), key=lambda kv: (by_id[kv[0]].name, by_id[kv[0]].ods_code)
        ):
            practice = by_id[practice_id]
            for code in sorted(periods, key=Period.parse):
                value, fmt = typed_value(periods[code], ITEM_FORMATS[item.type])
                table.line(
                    [practice.ods_code, practice.name, _pcn_of(data, practice).name,
                     Period.parse(code).label, code, item.id, item.label, value,
                     icb_views.unit_label(item, item.type.value), source],
                    [None] * 7 + [fmt, None, None],
                )  # fmt: skip


def _equity(table: Sheet, data: icb_views.CollectionData) -> None:
    header = ["Metric id", "Metric", "Practices"]
    for q in range(1, 6):
        name = equity.quintile_label(q)  # "IMD quintile 1 (most deprived)", never "Q1"
        header += [f"{name} median", f"{name} practices"]
    header += ["SII", "SII 95% CI lower", "SII 95% CI upper", "SII unit", "SII 95% CI method"]
    header.append("Explanation")
    table.header(header)
    table.freeze(columns=2)
    for item in data.items():
        view = icb_views.equity_view(data, item)
        row: list[object] = [item.id, item.label, view.n]
        formats: list[str | None] = [None, None, INTEGER_FORMAT]
        for q in view.quintiles:
            if q.quintile is None:
                continue
            enough = q.n_practices >= MIN_PRACTICES
            row += [q.median if enough else None, q.n_practices]
            formats += [NUMBER_FORMAT, INTEGER_FORMAT]
        sii = view.sii
        measure = view.compared  # a count as a rate per 1,000 registered patients
        row += [sii.sii, sii.ci_lower, sii.ci_upper, SII_UNITS.get(measure.type, measure.unit)]
        row.append(sii.method_label if sii.ok else None)
        formats += [NUMBER_FORMAT] * 3 + [None, None]
        row.append(" ".join(view.explanation))
        table.line(row, formats)


def _spending(table: Sheet, data: icb_views.CollectionData) -> None:
    mix = icb_views.spending_mix(data)
    table.header(
        [
            "Category",
            "Category id",
            "HEP-attributed spend",
            "Total cost",
            "Share of HEP-attributed spend",
            "Practices",
        ]
    )
    table.freeze()
    for c in mix.categories:
        table.line(
            [c.label, c.category, c.hep, c.total_cost, c.share_pct, c.practices],
            [None, None, MONEY_FORMAT, MONEY_FORMAT, PERCENT_FORMAT, INTEGER_FORMAT],
        )
    table.line(["All categories", "", mix.hep_total], [None, None, MONEY_FORMAT])
    table.skip()
    table.header(
        ["ODS code", "Practice", "PCN", "HEP-attributed spend"]
        + [f"{c.label} (£)" for c in mix.categories]
        + [f"{c.label} (% of practice's HEP spend)" for c in mix.categories]
    )
    for spend in mix.practices:
        practice = spend.submission.practice
        table.line(
            [practice.ods_code, practice.name, spend.submission.pcn.name, spend.hep_total]
            + [spend.hep_by_category.get(c) for c in mix.category_ids]
            + [spend.share_pct(c) for c in mix.category_ids],
            [None, None, None]
            + [MONEY_FORMAT] * (1 + len(mix.categories))
            + [PERCENT_FORMAT] * len(mix.categories),
        )
