"""The practice impact summary: choose a financial year or a date range, read the headline
figures on screen, and download them as an Excel workbook, a PDF or CSV files.

The period travels in the query string (`year=2024`, or `start=2024-04-01&end=2024-09-30`)
so every download link is a plain GET a practice manager can bookmark or share with a
colleague who has access to the same practice.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from monitor.core.clock import today
from monitor.core.periods import financial_year_label
from monitor.exporters.formats import CSV, SUMMARY_FORMATS, SummaryFormat
from monitor.exporters.summary_xlsx import summary_csv, summary_filename
from monitor.models import Role
from monitor.services.summary import (
    Choice,
    ImpactSummary,
    build_summary,
    choose_period,
    default_year,
    summary_years,
)
from monitor.web.access import allow
from monitor.web.chart_cache import cached_png
from monitor.web.context import db, own_practice, template_for_user, templates
from monitor.web.downloads import download

bp = Blueprint("summary", __name__)

READERS = (Role.PRACTICE_EDITOR, Role.PRACTICE_VIEWER)


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
        templates=templates(),
    )


def _choice_or_404() -> Choice:
    """Downloads take their period from the link; a broken link is simply not found."""
    years = summary_years(db(), own_practice().id, today())
    choice, errors = choose_period(request.args, years=years, today=today())
    if errors:
        abort(404)
    return choice


@bp.get("/summary")
@allow(*READERS)
def index():
    practice = own_practice()
    years = summary_years(db(), practice.id, today())
    choice, errors = choose_period(request.args, years=years, today=today())
    summary = _summary(choice, with_charts=False) if choice else None
    values = dict(request.args)
    values.setdefault("year", str(default_year(today())))
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
