"""The practice impact summary: choose a financial year or a date range, read the headline
figures on screen, and download them as an Excel workbook, a PDF or CSV files.

The period travels in the query string (`year=2024`, or `start=2024-04-01&end=2024-09-30`)
so every download link is a plain GET a practice manager can bookmark or share with a
colleague who has access to the same practice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import Blueprint, abort, render_template, request
from flask_login import current_user
from sqlalchemy import func
from sqlmodel import select

from monitor.core.clock import today
from monitor.core.inputs import Collector
from monitor.core.periods import financial_year_label, financial_year_of
from monitor.exporters.formats import CSV, SUMMARY_FORMATS, SummaryFormat
from monitor.exporters.summary_xlsx import summary_csv, summary_filename
from monitor.models import HepAllocation, MetricValue, Role, SpendItem
from monitor.services.summary import ImpactSummary, build_summary, financial_year_range
from monitor.web.access import allow
from monitor.web.chart_cache import cached_png
from monitor.web.context import db, own_practice, template_for_user
from monitor.web.downloads import download

bp = Blueprint("summary", __name__)

READERS = (Role.PRACTICE_EDITOR, Role.PRACTICE_VIEWER)


@dataclass(frozen=True)
class Choice:
    start: date
    end: date
    label: str
    query: dict[str, str]


def _years(practice_id: int) -> list[int]:
    """Financial years the practice has anything for, newest first, up to this one."""
    session = db()
    firsts = [
        session.exec(
            select(func.min(MetricValue.period_start)).where(MetricValue.practice_id == practice_id)
        ).one(),
        session.exec(
            select(func.min(SpendItem.spent_on)).where(SpendItem.practice_id == practice_id)
        ).one(),
    ]
    first_allocation = session.exec(
        select(func.min(HepAllocation.financial_year)).where(
            HepAllocation.practice_id == practice_id
        )
    ).one()
    current = financial_year_of(today())
    starts = [financial_year_of(d) for d in firsts if d is not None]
    if first_allocation is not None:
        starts.append(first_allocation)
    first = min(starts, default=current)
    return list(range(current, first - 1, -1))


def _default_year() -> int:
    """The latest complete financial year: the one a summary is usually asked for."""
    return financial_year_of(today()) - 1


def _parse_choice(args, years: list[int]) -> tuple[Choice | None, dict[str, str]]:
    """The period asked for in the query string, or errors keyed by field."""
    if args.get("range") == "custom":
        check = Collector(args)
        start = check.date("start", "the start date")
        end = check.date("end", "the end date")
        if not check.errors and end < start:
            check.add("end", "The end date must be the same as or after the start date")
        if not check.errors and start > today():
            check.add("start", "The start date must be today or in the past")
        if check.errors:
            return None, check.errors
        label = f"{start:%-d %B %Y} to {end:%-d %B %Y}"
        query = {"start": start.isoformat(), "end": end.isoformat()}
        return Choice(start, end, label, query), {}
    if "start" in args or "end" in args:
        try:
            start = date.fromisoformat(args.get("start", ""))
            end = date.fromisoformat(args.get("end", ""))
        except ValueError:
            return None, {"start": "Enter the start and end dates as real dates"}
        if end < start:
            return None, {"end": "The end date must be the same as or after the start date"}
        label = f"{start:%-d %B %Y} to {end:%-d %B %Y}"
        return Choice(start, end, label, {"start": args["start"], "end": args["end"]}), {}
    year = args.get("year", type=int, default=_default_year())
    if year not in years:
        return None, {"year": "Select a financial year from the list"}
    start, end = financial_year_range(year)
    label = financial_year_label(year)
    if end >= today():
        label = f"{label} (to date)"
    return Choice(start, end, label, {"year": str(year)}), {}


def _summary(choice: Choice, *, with_charts: bool) -> ImpactSummary:
    return build_summary(
        db(),
        practice=own_practice(),
        template=template_for_user(current_user),
        start=choice.start,
        end=choice.end,
        period_label=choice.label,
        today=today(),
        with_charts=with_charts,
        render_png=cached_png,
    )


def _choice_or_404() -> Choice:
    """Downloads take their period from the link; a broken link is simply not found."""
    choice, errors = _parse_choice(request.args, _years(own_practice().id))
    if errors:
        abort(404)
    return choice


@bp.get("/summary")
@allow(*READERS)
def index():
    practice = own_practice()
    years = _years(practice.id)
    choice, errors = _parse_choice(request.args, years)
    summary = _summary(choice, with_charts=False) if choice else None
    values = dict(request.args)
    values.setdefault("year", str(_default_year()))
    custom = request.args.get("range") == "custom"
    return (
        render_template(
            "summary/index.jinja",
            practice=practice,
            years=[(fy, financial_year_label(fy)) for fy in years],
            choice=choice,
            summary=summary,
            errors=errors,
            values=values,
            custom=custom,
            formats=SUMMARY_FORMATS,
        ),
        400 if errors else 200,
    )


def _download_view(fmt: SummaryFormat):
    def view():
        summary = _summary(_choice_or_404(), with_charts=fmt.with_charts)
        return download(
            fmt.write(summary), fmt.media_type, summary_filename(summary, fmt.extension)
        )

    view.__name__ = fmt.endpoint
    return allow(*READERS)(view)


for _format in SUMMARY_FORMATS:
    bp.add_url_rule(
        f"/summary/{_format.path}", endpoint=_format.endpoint, view_func=_download_view(_format)
    )


@bp.get("/summary/tables/<name>.csv")
@allow(*READERS)
def table_csv(name: str):
    summary = _summary(_choice_or_404(), with_charts=False)
    table = next((t for t in summary.tables if t.slug == name), None)
    if table is None:
        abort(404)
    stem = summary_filename(summary, "csv").removesuffix(".csv")
    return download(summary_csv(summary, table.name), CSV, f"{stem}-{name}.csv")
