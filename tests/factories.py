"""Test data with sensible defaults; pass **overrides for what a test cares about."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from sqlmodel import Session

from monitor.config import Config
from monitor.core.checklist import Templates, load_templates
from monitor.models import Icb, Pcn, Practice, Role, User
from monitor.services.accounts import new_session_token
from monitor.services.passwords import Passwords

PASSWORD = "correct-horse-battery"
_counter = itertools.count(1)
_passwords = Passwords(time_cost=1, memory_cost=8)
_password_hash = _passwords.hash(PASSWORD)


@cache
def shipped_templates() -> Templates:
    """The templates in checklist_templates/, as the app loads them."""
    return load_templates(Path(Config.CHECKLIST_TEMPLATE_DIR))


def _next() -> int:
    return next(_counter)


def make_icb(session: Session, **overrides) -> Icb:
    n = _next()
    icb = Icb(**{"code": f"Q{n % 100:02d}", "name": f"Test ICB {n}", **overrides})
    session.add(icb)
    session.commit()
    return icb


def make_pcn(session: Session, *, icb: Icb, **overrides) -> Pcn:
    n = _next()
    pcn = Pcn(**{"code": f"U{n:05d}", "name": f"Test PCN {n}", "icb_id": icb.id, **overrides})
    session.add(pcn)
    session.commit()
    return pcn


def make_practice(session: Session, *, pcn: Pcn, **overrides) -> Practice:
    n = _next()
    practice = Practice(
        **{
            "ods_code": f"Y{n:05d}",
            "name": f"Test Practice {n}",
            "pcn_id": pcn.id,
            "town": "Leicester",
            "list_size": 8000 + n,
            "imd_decile": 3,
            "rurality": "urban",
            **overrides,
        }
    )
    session.add(practice)
    session.commit()
    return practice


def make_user(session: Session, *, role: Role, organisation, **overrides) -> User:
    n = _next()
    kind = role.organisation_kind
    user = User(
        **{
            "email": f"user{n}@test.example",
            "display_name": f"Test User {n}",
            "role": role.value,
            "password_hash": _password_hash,
            "session_token": new_session_token(),
            f"{kind}_id": organisation.id,
            **overrides,
        }
    )
    session.add(user)
    session.commit()
    return user


@dataclass
class World:
    icb: Icb
    pcn: Pcn
    other_pcn: Pcn
    practice: Practice
    sibling: Practice  # same PCN as `practice`
    other_practice: Practice  # in other_pcn
    editor: User
    viewer: User
    other_editor: User
    pcn_lead: User
    analyst: User
    admin: User
    other_icb: Icb
    foreign_practice: Practice
    foreign_admin: User
    foreign_editor: User
    records: dict | None = None  # kind -> record of `practice`
    sibling_records: dict | None = None  # kind -> record of `sibling`

    def user_for(self, role: Role) -> User:
        return {
            Role.PRACTICE_EDITOR: self.editor,
            Role.PRACTICE_VIEWER: self.viewer,
            Role.PCN_LEAD: self.pcn_lead,
            Role.ICB_ANALYST: self.analyst,
            Role.ADMIN: self.admin,
        }[role]


def make_records(session: Session, practice: Practice) -> dict:
    """One record of each kind for a practice, each with a creation audit event."""
    from monitor.services import audit

    made = {
        "allocations": make_allocation(session, practice=practice),
        "spending": make_spend(session, practice=practice),
        "staffing": make_staffing(session, practice=practice),
        "interventions": make_intervention(session, practice=practice),
    }
    kinds = {
        "allocations": "hep_allocation",
        "spending": "spend_item",
        "staffing": "staffing_change",
        "interventions": "intervention",
    }
    for kind, record in made.items():
        audit.record(
            session,
            actor=None,
            action="create",
            object_type=kinds[kind],
            object_id=record.id,
            practice_id=practice.id,
            summary="Test record",
            after=audit.snapshot(record),
        )
    session.commit()
    return made


def build_world(session: Session) -> World:
    icb = make_icb(session, name="Test ICB")
    pcn = make_pcn(session, icb=icb, name="North PCN")
    other_pcn = make_pcn(session, icb=icb, name="South PCN")
    practice = make_practice(session, pcn=pcn, name="Alpha Surgery", imd_decile=1)
    sibling = make_practice(session, pcn=pcn, name="Beta Surgery", imd_decile=5)
    other_practice = make_practice(session, pcn=other_pcn, name="Gamma Surgery", imd_decile=9)
    other_icb = make_icb(session, name="Elsewhere ICB")
    foreign_pcn = make_pcn(session, icb=other_icb, name="Far PCN")
    foreign_practice = make_practice(session, pcn=foreign_pcn, name="Delta Surgery")
    world = World(
        icb=icb,
        pcn=pcn,
        other_pcn=other_pcn,
        practice=practice,
        sibling=sibling,
        other_practice=other_practice,
        editor=make_user(session, role=Role.PRACTICE_EDITOR, organisation=practice),
        viewer=make_user(session, role=Role.PRACTICE_VIEWER, organisation=practice),
        other_editor=make_user(session, role=Role.PRACTICE_EDITOR, organisation=sibling),
        pcn_lead=make_user(session, role=Role.PCN_LEAD, organisation=pcn),
        analyst=make_user(session, role=Role.ICB_ANALYST, organisation=icb),
        admin=make_user(session, role=Role.ADMIN, organisation=icb),
        other_icb=other_icb,
        foreign_practice=foreign_practice,
        foreign_admin=make_user(session, role=Role.ADMIN, organisation=other_icb),
        foreign_editor=make_user(session, role=Role.PRACTICE_EDITOR, organisation=foreign_practice),
    )
    world.records = make_records(session, practice)
    world.sibling_records = make_records(session, sibling)
    return world


def make_allocation(session: Session, *, practice: Practice, **overrides):
    from decimal import Decimal

    from monitor.models import HepAllocation

    allocation = HepAllocation(
        **{
            "practice_id": practice.id,
            "financial_year": 2025,
            "amount": Decimal("48000"),
            **overrides,
        }
    )
    session.add(allocation)
    session.commit()
    return allocation


def make_spend(session: Session, *, practice: Practice, **overrides):
    from datetime import date
    from decimal import Decimal

    from monitor.models import SpendItem

    item = SpendItem(
        **{
            "practice_id": practice.id,
            "spent_on": date(2025, 9, 3),
            "category": "telephony",
            "description": "Cloud telephony",
            "total_cost": Decimal("10000"),
            "hep_amount": Decimal("6000"),
            "other_sources": ["gms"],
            "recurrence": "recurrent",
            **overrides,
        }
    )
    session.add(item)
    session.commit()
    return item


def make_staffing(session: Session, *, practice: Practice, **overrides):
    from datetime import date
    from decimal import Decimal

    from monitor.models import StaffingChange

    change = StaffingChange(
        **{
            "practice_id": practice.id,
            "role": "care_navigator",
            "change_type": "new_post",
            "wte_change": Decimal("1"),
            "starts_on": date(2025, 10, 1),
            "contract_type": "permanent",
            "hep_share_pct": Decimal("100"),
            **overrides,
        }
    )
    session.add(change)
    session.commit()
    return change


def make_intervention(session: Session, *, practice: Practice, **overrides):
    from datetime import date

    from monitor.models import Intervention

    event = Intervention(
        **{
            "practice_id": practice.id,
            "occurred_on": date(2023, 9, 4),
            "title": "Cloud telephony live",
            "affected_items": ["call_answer_time"],
            **overrides,
        }
    )
    session.add(event)
    session.commit()
    return event


def make_value(
    session: Session,
    *,
    practice: Practice,
    item_id: str,
    period_code: str,
    number: float,
    **overrides,
):
    from monitor.core.periods import Period
    from monitor.models import MetricValue

    period = Period.parse(period_code)
    value = MetricValue(
        **{
            "practice_id": practice.id,
            "item_id": item_id,
            "frequency": period.frequency.value,
            "period_code": period.code,
            "period_start": period.start,
            "value_number": number,
            "template_id": "hep-light-touch",
            "template_version": 1,
            **overrides,
        }
    )
    session.add(value)
    session.commit()
    return value
