"""A practice's own records: figures by period, HEP allocations, spending, staffing
changes, interventions, the offline workbooks, sharing choices, and the change history
of each record.

Practice editors change records; practice viewers see the same pages without edit
controls. Every record is looked up within the signed-in user's practice, so another
practice's ids answer 404 on every read, edit and delete.
"""

from __future__ import annotations

from flask import Blueprint

from monitor.models import Role
from monitor.web.context import can_edit  # noqa: F401  (the one rule, used by the views)

bp = Blueprint("practice", __name__)

READERS = (Role.PRACTICE_EDITOR, Role.PRACTICE_VIEWER)
EDITOR = Role.PRACTICE_EDITOR


# Each page family adds its routes to `bp` when imported; they need `bp` defined first.
from monitor.web.practice import figures, history, logs, sharing, workbooks  # noqa: E402, F401
