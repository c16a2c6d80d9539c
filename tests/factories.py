"""Test data with sensible defaults; pass **overrides for what a test cares about."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

from sqlmodel import Session, select

from monitor.config import Config
from monitor.core.checklist import Templates, load_templates
from monitor.core.clock import utcnow
from monitor.models import Icb, Pcn, Practice, Role, User
from monitor.services.accounts import SECOND_FACTOR_ROLES, new_session_token
from monitor.services.passwords import Passwords

PASSWORD = "correct-horse-battery"
# Every analyst and administrator the factories make has set up an authenticator app with
# this secret (their role requires one); tests.client's sign_in enters its code.
TOTP_SECRET = "BVXZYEHHHDFVOVNHOM7REEEOCVG5E6Q7"
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
            "icb_id": pcn.icb_id,
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
    enrolled = {}
    if role in SECOND_FACTOR_ROLES:
        enrolled = {"totp_secret": TOTP_SECRET, "totp_enrolled_at": utcnow()}
    user = User(
        **{
            "email": f"user{n}@test.example",
            "display_name": f"Test User {n}",
            "role": role.value,
            "password_hash": _password_hash,
            "session_token": new_session_token(),
            f"{kind}_id": organisation.id,
            **enrolled,
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


def make_values(session: Session, *, practice: Practice, item_id: str, first: str, numbers):
    """One value a period from `first` on (each the period after the last); the last made."""
    from monitor.core.periods import Period

    period, last = Period.parse(first), None
    for number in numbers:
        last = make_value(
            session, practice=practice, item_id=item_id, period_code=period.code, number=number
        )
        period = period.next()
    return last


def make_case(session: Session, *, practice: Practice, **overrides):
    from monitor.models import CaseExample, Visibility

    case = CaseExample(
        **{
            "practice_id": practice.id,
            "title": "Cloud telephony with call-back",
            "problem": "Patients could not get through at 8am",
            "actions": "Moved to cloud telephony with a call-back queue",
            "visibility": Visibility.PRIVATE,
            **overrides,
        }
    )
    session.add(case)
    session.commit()
    return case


def make_collection(session: Session, *, icb: Icb, **overrides):
    """A collection for 2025/26 Q2, open from 14 October 2025 and due far ahead."""
    from monitor.models import Collection

    collection = Collection(
        **{
            "icb_id": icb.id,
            "name": "2025/26 Q2 light-touch return",
            "template_id": "hep-light-touch",
            "template_version": 1,
            "period_code": "2025-26-q2",
            "opens_on": date(2025, 10, 14),
            "due_on": date(2099, 12, 31),
            "message": "We use these figures to see where HEP is helping.",
            **overrides,
        }
    )
    session.add(collection)
    session.commit()
    return collection


def make_return(
    session: Session,
    *,
    collection,
    practice: Practice,
    values: dict | None = None,
    spend=(),
    status: str = "submitted",
    units: dict | None = None,
    submitted_at: datetime | None = None,
):
    """A practice's return with `values` {item_id: [(period_code, number), ...]} and
    `spend` [(category, hep, total), ...], as submitting would freeze them."""
    from monitor.core.clock import utcnow
    from monitor.core.periods import Period
    from monitor.models import PracticeReturn, ReturnSpend, ReturnValue

    answer = PracticeReturn(
        collection_id=collection.id,
        practice_id=practice.id,
        pcn_id=practice.pcn_id,
        status=status,
        submitted_at=submitted_at or utcnow(),
        withdrawn_at=utcnow() if status == "withdrawn" else None,
    )
    session.add(answer)
    session.flush()
    for item_id, rows in (values or {}).items():
        for code, number in rows:
            session.add(
                ReturnValue(
                    return_id=answer.id,
                    item_id=item_id,
                    period_code=code,
                    period_start=Period.parse(code).start,
                    value_number=number,
                    unit=(units or {}).get(item_id, "count"),
                    template_version=1,
                )
            )
    for category, hep, total in spend:
        session.add(
            ReturnSpend(
                return_id=answer.id,
                category=category,
                hep_amount=Decimal(hep),
                total_cost=Decimal(total),
            )
        )
    session.commit()
    return answer


def months(*numbers, first: str = "2025-07") -> list[tuple[str, float]]:
    """(period code, number) for consecutive months from `first`."""
    from monitor.core.periods import Period

    period = Period.parse(first)
    out = []
    for number in numbers:
        out.append((period.code, number))
        period = period.next()
    return out


@dataclass
class Scene:
    """An ICB collection with five submitted returns, a withdrawn one, live figures and
    another ICB's return carrying the sentinel 987.654 that no ICB view may show."""

    world: World
    collection: object
    earlier: object
    foreign: object
    epsilon: Practice
    zeta: Practice
    eta: Practice
    theta: Practice


def build_icb_scene(session: Session, world: World) -> Scene:
    north, south = world.pcn, world.other_pcn
    epsilon = make_practice(session, pcn=north, name="Epsilon Surgery", imd_decile=3)
    zeta = make_practice(session, pcn=north, name="Zeta Surgery", imd_decile=7)
    eta = make_practice(session, pcn=south, name="Eta Surgery", imd_decile=2)
    theta = make_practice(session, pcn=south, name="Theta Surgery", imd_decile=6)
    q2 = {"opens_on": date(2025, 10, 1), "due_on": date(2025, 11, 30), "message": ""}
    collection = make_collection(session, icb=world.icb, name="2025/26 Q2 return", **q2)
    # Home visits: practice figures are the means of the months submitted:
    # Alpha 20, Beta 40, Epsilon 60 (North); Gamma 80, Eta 100 (South).
    make_return(
        session,
        collection=collection,
        practice=world.practice,
        values={"home_visits": months(10, 20, 30), "fft_positive_pct": months(90)},
        spend=[("telephony", "6000", "10000"), ("clinical_staff", "4000", "4000")],
        units={"fft_positive_pct": "percent"},
    )
    make_return(
        session,
        collection=collection,
        practice=world.sibling,
        values={"home_visits": months(40, 40, 40), "fft_positive_pct": months(70)},
        spend=[("telephony", "2000", "2500")],
        units={"fft_positive_pct": "percent"},
    )
    make_return(
        session, collection=collection, practice=epsilon, values={"home_visits": months(60)}
    )
    make_return(
        session,
        collection=collection,
        practice=world.other_practice,
        values={"home_visits": months(80, 80, 80)},
    )
    make_return(session, collection=collection, practice=eta, values={"home_visits": months(100)})
    # Never to be seen: a withdrawn return, live figures, another ICB's return.
    make_return(
        session,
        collection=collection,
        practice=zeta,
        values={"home_visits": months(987.654), "calls_abandoned_pct": months(987.654)},
        spend=[("premises", "987654", "987654")],
        status="withdrawn",
    )
    make_value(session, practice=zeta, item_id="home_visits", period_code="2025-08", number=987.654)
    make_value(
        session,
        practice=world.practice,
        item_id="inbound_calls",
        period_code="2025-08",
        number=987.654,
    )
    make_value(
        session, practice=theta, item_id="home_visits", period_code="2025-05", number=987.654
    )
    foreign = make_collection(session, icb=world.other_icb, name="Elsewhere return", **q2)
    make_return(
        session,
        collection=foreign,
        practice=world.foreign_practice,
        values={"home_visits": months(987.654)},
        spend=[("premises", "987654", "987654")],
    )
    # An earlier collection, for the PCN trend: North 10, 20, 30 (median 20).
    earlier = make_collection(
        session, icb=world.icb, period_code="2025-26-q1", name="2025/26 Q1 return", **q2
    )
    for practice, number in ((world.practice, 10), (world.sibling, 20), (epsilon, 30)):
        make_return(
            session,
            collection=earlier,
            practice=practice,
            values={"home_visits": months(number, first="2025-04")},
        )
    make_return(
        session,
        collection=earlier,
        practice=world.other_practice,
        values={"home_visits": months(555, first="2025-04")},
    )
    return Scene(world, collection, earlier, foreign, epsilon, zeta, eta, theta)


def make_national_import(session: Session, *, icb: Icb, **overrides):
    """A finished national import, as the provenance of the values it filled."""
    from monitor.models import ImportStatus, NationalImport

    n = _next()
    found = NationalImport(
        **{
            "icb_id": icb.id,
            "dataset": "cbt",
            "description": "Cloud Based Telephony, February 2026 publication",
            "period_code": "2026-02",
            "filename": f"cbt-{n}.xlsx",
            "sha256": f"{n:064x}",
            "status": ImportStatus.DONE,
            **overrides,
        }
    )
    session.add(found)
    session.commit()
    return found


def make_imported_value(
    session: Session,
    *,
    practice: Practice,
    item_id: str,
    period_code: str,
    number: float,
    national_import=None,
    **overrides,
):
    """A figure a national import filled (template version 2): `source` the dataset's key,
    `import_id` the import (one is made, for `period_code`, unless given)."""
    if national_import is None:
        national_import = make_national_import(
            session, icb=session.get(Icb, practice.icb_id), period_code=period_code
        )
    return make_value(
        session,
        practice=practice,
        item_id=item_id,
        period_code=period_code,
        number=number,
        **{
            "source": national_import.dataset,
            "import_id": national_import.id,
            "template_version": 2,
            **overrides,
        },
    )


def onboard_llr(session: Session, *, today, template_version: int = 2) -> Icb:
    """LLR (QK1) onboarded from the real Cloud Based Telephony and registered-patients
    excerpts (six practices with list sizes), on `template_version`."""
    from monitor.importers import datasets
    from monitor.services import onboarding
    from tests.published_files import real

    files = [
        real("cbt_publication_summary_feb2026_LLR_excerpt.xlsx"),
        real("gp_registered_patients_feb2026_LLR.csv"),
    ]
    onboarding.onboard(
        session, user=None, icb_code="QK1", extracts=[datasets.read(f) for f in files],
        today=today,
    )  # fmt: skip
    icb = session.exec(select(Icb).where(Icb.code == "QK1")).one()
    icb.template_version = template_version
    session.add(icb)
    session.commit()
    return icb


def make_home_visits(session: Session, *, practice) -> None:
    """Home visits for April to October 2025 (30, 31, ... 36): a short monthly series
    for pages and downloads that need some figures."""
    for n, month in enumerate(range(4, 11)):
        make_value(
            session, practice=practice, item_id="home_visits",
            period_code=f"2025-{month:02d}", number=30 + n,
        )  # fmt: skip
