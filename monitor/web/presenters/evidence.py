"""Wording of the evidence pages: alt text of the money charts, the options of a metric
page's chart controls, and the headings and numbers of a metric's data download."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from monitor import charts
from monitor.core.checklist import Item, ItemType
from monitor.core.formatting import export_number, money
from monitor.core.periods import financial_year_label
from monitor.models import Intervention
from monitor.services.evidence import SPARKLINE_PERIODS, Evidence
from monitor.services.logs import SpendSummary
from monitor.services.metric_view import MetricView

# Money --------------------------------------------------------------------------------


def allocation_alt(year_rows: Sequence[Mapping[str, Any]]) -> str:
    """Alt text of the allocation chart: the years it spans and the latest allocation."""
    with_allocation = [r for r in year_rows if r["allocation"] is not None]
    if not with_allocation:
        return "Bar chart of HEP allocation and HEP-attributed spend: no allocations recorded."
    latest = with_allocation[-1]
    return (
        f"Bar chart of HEP allocation and HEP-attributed spend by financial year, "
        f"{year_rows[0]['label']} to {year_rows[-1]['label']}. In {latest['label']} the "
        f"allocation was {money(latest['allocation'])} and HEP-attributed spend "
        f"{money(latest['hep_spend'])}. The table below gives every figure."
    )


def category_chart_title(fy: int) -> str:
    return f"HEP-attributed spend by category, {financial_year_label(fy)}"


def category_alt(summary: SpendSummary, fy: int) -> str:
    """Alt text of the spend-by-category chart: how many categories, the largest, the total."""
    if not summary.by_category:
        return f"Bar chart of HEP-attributed spend by category in {financial_year_label(fy)}: none."
    top = summary.by_category[0]
    return (
        f"Bar chart of HEP-attributed spend by category in {financial_year_label(fy)}: "
        f"{len(summary.by_category)} categories, largest {top.label} at {money(top.hep)}, "
        f"total {money(summary.hep_total)}. The table below gives every figure."
    )


# A metric page's chart controls -------------------------------------------------------


def baseline_items(choices: Iterable[tuple[int, str]], chosen: int | None) -> list[dict]:
    """Options for the baseline-year select, "Default" first, the chosen one selected."""
    return [{"value": "", "text": "Default"}] + [
        {"value": str(fy), "text": label, "selected": fy == chosen} for fy, label in choices
    ]


def _intervention_text(event: Intervention) -> str:
    return f"{event.title} ({event.occurred_on:%d/%m/%Y})"


def intervention_items(interventions: Iterable[Intervention], chosen: int | None) -> list[dict]:
    return [
        {"value": str(i.id), "text": _intervention_text(i), "selected": i.id == chosen}
        for i in interventions
    ]


def rebase_items(interventions: Iterable[Intervention], chosen: Iterable[int]) -> list[dict]:
    return [
        {"value": str(i.id), "text": _intervention_text(i), "checked": i.id in chosen}
        for i in interventions
    ]


def choice_items(choices: Mapping[str, str], chosen: str | None) -> list[dict]:
    """Radio items for a choice of `choices` (value → text), `chosen` checked."""
    return [{"value": k, "text": v, "checked": k == chosen} for k, v in choices.items()]


two_in_three_items = choice_items


# A metric's data download -------------------------------------------------------------


def download_unit(item: Item) -> str:
    """The unit a download's numbers are in: seconds for a duration (a spreadsheet would
    read "4:50" as ten to five in the morning), "%" for a percentage (0–100), "£"."""
    if item.type is ItemType.DURATION:
        return "seconds"
    if item.type is ItemType.PERCENT:
        return "%"
    if item.type is ItemType.MONEY:
        return "£"
    return item.unit


def metric_table(item: Item, view: MetricView) -> tuple[list[str], list[list[Any]]]:
    """The CSV of a metric chart: a row per period, then the chart settings. Figures are
    numbers at the item's precision (``export_number``), their unit in the heading, so
    a spreadsheet can chart them again; a negative limit stays a number."""
    unit = download_unit(item)

    def heading(name: str) -> str:
        return f"{name} ({unit})" if unit else name

    def figure(value: float | None) -> int | float | None:
        return export_number(value, item.type)

    def derived(value: float | None) -> int | float | None:
        return export_number(value, item.type, derived=True)

    cumulative = bool(view.evidence.series.year_to_date)
    header = [
        "Period",
        *([heading(f"{item.label}, year to date")] if cumulative else []),
        heading(f"{item.label}, rise in the period" if cumulative else item.label),
        *(heading(name) for name in ("Mean", "Lower process limit", "Upper process limit")),
        "Special cause",
        *(heading(name) for name in ("PCN median", "ICB median")),
        *(heading(name) for name in
          ("England median", "England lower quartile", "England upper quartile")
          if view.has_england),
        "Source",
        "Definition",
    ]  # fmt: skip
    body: list[list[Any]] = [
        [
            row.period.label,
            *([figure(row.year_to_date)] if cumulative else []),
            figure(row.value),
            derived(row.mean),
            derived(row.lower),
            derived(row.upper),
            row.signal,
            derived(row.pcn_median),
            derived(row.icb_median),
            *([derived(row.england_median), derived(row.england_q1), derived(row.england_q3)]
              if view.has_england else []),
            row.source,
            "Earlier definition" if row.earlier_definition else "",
        ]
        for row in view.rows
    ]  # fmt: skip
    body.append([])
    body.append(["Settings", view.settings_text])
    for name, note in (("Sources", view.source_note), ("Definition", view.definition_note)):
        if note:
            body.append([name, note])
    return header, body


def sparkline(card: Evidence) -> charts.Sparkline:
    """A dashboard card's trend line: its last three years of periods, the latest dot in
    the colour of its chart's last point."""
    return charts.sparkline(
        card.series.values[-SPARKLINE_PERIODS:], category_of_last=card.chart.variation
    )
