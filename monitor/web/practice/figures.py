"""The practice's figures: the overview of recordable periods, and one period's form."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from monitor.core.clock import today
from monitor.core.inputs import FormErrors, format_for_input
from monitor.core.periods import Period, financial_year_label
from monitor.services import figures
from monitor.services.records import EditConflict
from monitor.web import returns
from monitor.web.access import allow
from monitor.web.context import db, own_practice, template_for_user, templates
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
        imported_share=text.imported_share,
        can_edit=can_edit(),
    )


@bp.route("/figures/<period_code>", methods=["GET", "POST"])
@allow(*READERS)
def figures_period(period_code: str):
    """The period's form. Figures filled from NHS data come first, read only, each with
    an Override link (`?override=<item id>`, repeatable) that opens its box and a
    required reason; only the rest are boxes to type in."""
    period = recordable_or_404(period_code)
    if request.method == "POST" and not can_edit():
        abort(403)
    # Opened from a return's task list or review: go back there, never anywhere else.
    back = returns.return_page(request.args.get("return_to"))
    template = template_for_user(current_user)
    practice = own_practice()
    session = db()
    items = template.items_for(period.frequency)
    stored = figures.recorded_values(session, practice.id, period)
    asked = request.form if request.method == "POST" else request.args
    layout = text.figures_layout(items, stored, asked.getlist("override"))
    values = {
        item.id: format_for_input(item, stored[item.id].number, stored[item.id].text)
        for item in items
        if item.id in stored
    }
    values |= {
        figures.reason_field(item_id): stored[item_id].provenance.override_reason or ""
        for item_id in layout.overriding
    }
    errors: dict[str, str] = {}
    warnings: dict[str, str] = {}
    conflict = False
    token = figures.state_token(stored)
    status = 200
    if request.method == "POST" and can_edit():
        raw = {item.id: request.form.get(item.id, "") for item in layout.typed}
        reasons = {i: request.form.get(figures.reason_field(i), "") for i in layout.overriding}
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
                overrides=reasons,
            )
        except FormErrors as error:
            errors, status = error.errors, 400
            values |= raw | {figures.reason_field(i): r for i, r in reasons.items()}
        except figures.NeedsConfirmation as needs:
            warnings, status = needs.warnings, 400
            values |= raw | {figures.reason_field(i): r for i, r in reasons.items()}
        except EditConflict:
            conflict, status = True, 409
        else:
            flash(text.figures_saved(period.label, result))
            return redirect(back[0] if back else url_for("practice.figures_overview"))
    previous = figures.previous_values(session, practice_id=practice.id, items=items, before=period)
    return render_template(
        "practice/figures_period.jinja",
        practice=practice,
        template=template,
        period=period,
        layout=layout,
        sections=template.items_by_section(layout.typed),
        earlier=figures.earlier_version_values(templates(), template, stored, period),
        values=values,
        stored=stored,
        previous=previous,
        errors=errors,
        warnings=warnings,
        conflict=conflict,
        token=token,
        can_edit=can_edit(),
        back=back,
        confirmed={k for k in warnings if request.form.get(f"confirm-{k}")},
        reason_field=figures.reason_field,
        source_note=text.source_note,
        prefilled_intro=text.prefilled_intro,
        override_text=text.override_text,
        overridden_hint=text.overridden_hint,
        recorded_source=text.recorded_source,
    ), status
