"""The practice's figures: the overview of recordable periods, and one period's form."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from monitor.core.clock import today
from monitor.core.inputs import FormErrors, format_for_input
from monitor.core.periods import Period, financial_year_label
from monitor.services import figures
from monitor.services.records import EditConflict
from monitor.web.access import allow
from monitor.web.context import db, own_practice, template_for_user
from monitor.web.practice import READERS, bp, can_edit
from monitor.web.presenters import practice as text


def recordable_or_404(period_code: str) -> Period:
    """The period a URL names, if the practice may record figures for it yet."""
    try:
        period = Period.parse(period_code)
        figures.check_recordable(period, today())
    except ValueError:
        abort(404)
    return period


@bp.get("/figures")
@allow(*READERS)
def figures_overview():
    template = template_for_user(current_user)
    practice = own_practice()
    by_year = figures.recordable_periods(today())
    summaries = {
        fy: figures.period_summaries(
            db(), practice_id=practice.id, template=template, periods=periods
        )
        for fy, periods in by_year.items()
    }
    return render_template(
        "practice/figures_overview.jinja",
        practice=practice,
        summaries=summaries,
        financial_year_label=financial_year_label,
        can_edit=can_edit(),
    )


@bp.route("/figures/<period_code>", methods=["GET", "POST"])
@allow(*READERS)
def figures_period(period_code: str):
    period = recordable_or_404(period_code)
    if request.method == "POST" and not can_edit():
        abort(403)
    template = template_for_user(current_user)
    practice = own_practice()
    session = db()
    items = template.items_for(period.frequency)
    stored = figures.recorded_values(session, practice.id, period)
    values = {
        item.id: format_for_input(item, stored[item.id].number, stored[item.id].text)
        for item in items
        if item.id in stored
    }
    errors: dict[str, str] = {}
    warnings: dict[str, str] = {}
    conflict = False
    token = figures.state_token(stored)
    status = 200
    if request.method == "POST":
        raw = {item.id: request.form.get(item.id, "") for item in items}
        confirmed = {item.id for item in items if request.form.get(f"confirm-{item.id}")}
        try:
            result = figures.save_period(
                session,
                user=current_user,
                practice=practice,
                template=template,
                period=period,
                raw=raw,
                confirmed=confirmed,
                token=request.form.get("token", ""),
                today=today(),
            )
        except FormErrors as error:
            errors, values, status = error.errors, raw, 400
        except figures.NeedsConfirmation as needs:
            warnings, values, status = needs.warnings, raw, 400
        except EditConflict:
            conflict, status = True, 409
        else:
            flash(text.figures_saved(period.label, result))
            return redirect(url_for("practice.figures_overview"))
    previous = figures.previous_values(session, practice_id=practice.id, items=items, before=period)
    return render_template(
        "practice/figures_period.jinja",
        practice=practice,
        template=template,
        period=period,
        sections=template.items_by_section(items),
        values=values,
        stored=stored,
        previous=previous,
        errors=errors,
        warnings=warnings,
        conflict=conflict,
        token=token,
        can_edit=can_edit(),
        confirmed={k for k in warnings if request.form.get(f"confirm-{k}")},
    ), status
