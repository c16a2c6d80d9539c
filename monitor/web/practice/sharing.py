"""Who the practice shares its figures with: its PCN, the ICB, both or neither."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from monitor.services import logs
from monitor.web.access import allow
from monitor.web.context import db, own_practice
from monitor.web.practice import READERS, bp, can_edit
from monitor.web.presenters import practice as text


@bp.route("/sharing", methods=["GET", "POST"])
@allow(*READERS)
def sharing():
    practice = own_practice()
    if request.method == "POST":
        if not can_edit():
            abort(403)
        chosen = set(request.form.getlist("share"))
        if not chosen <= {"pcn", "icb"}:
            abort(400)
        changed = logs.set_sharing(
            db(),
            user=current_user,
            practice=practice,
            with_pcn="pcn" in chosen,
            with_icb="icb" in chosen,
        )
        flash(text.sharing_saved(changed))
        return redirect(url_for("practice.sharing"))
    return render_template("practice/sharing.jinja", practice=practice, can_edit=can_edit())
