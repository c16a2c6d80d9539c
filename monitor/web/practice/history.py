"""The change history of one of the practice's records, from the audit trail."""

from __future__ import annotations

from flask import abort, render_template
from flask_login import current_user

from monitor.services import records
from monitor.web.access import allow
from monitor.web.context import db, template_for_user, templates
from monitor.web.practice import READERS, bp
from monitor.web.presenters import history as wording
from monitor.web.presenters import practice as text


@bp.get("/history/<kind>/<int:record_id>")
@allow(*READERS)
def history(kind: str, record_id: int):
    events = records.history(db(), user=current_user, kind=kind, record_id=record_id)
    if not events:
        abort(404)
    rows = wording.history_rows(
        events, kind=kind, template=template_for_user(current_user), templates=templates()
    )
    return render_template(
        "practice/history.jinja",
        rows=rows,
        noun=text.RECORD_NOUNS[kind],
        record_id=record_id,
    )
