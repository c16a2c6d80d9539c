"""Who sees which practice data: every route that shows it, for every kind of user.

tests/web/test_access.py decides which *roles* may use a route; this file checks what each
signed-in person actually gets from it. One practice (the owner, "Alpha", in North PCN)
holds objects in every state — case examples private, shared with the PCN, shared
ICB-wide and shared-then-unshared; a return submitted (then its live figures edited),
one withdrawn, one never submitted; live spending, staffing, interventions and an
allocation — each seeded with a sentinel string and number found nowhere else. Its
sibling practice (same PCN) holds sentinels of its own.

For each person (the owner's editor and viewer; the same roles at the sibling practice,
at a practice in another PCN and in a foreign ICB; PCN leads of the owner's PCN, another
PCN and a foreign ICB; ICB analysts and administrators of the owner's ICB and a foreign
one) every route is fetched and must answer exactly the expected status: 403 where the
role may not use the route (as tests/web/test_access.py says), else 200 or 404 by the data.
Every 200 body — page, SVG text, every cell of a workbook, every member of a zip, the
text of a PDF — must hold no sentinel that person may not see, and the sentinels they
should see must appear where expected. All failures of one person are reported together.

The audit log holds every one of those records' edits, before → after, with summaries
that quote them: an administrator crawls every /admin page (the audit log on every page
and through every filter) and must meet none of it, while the practice's own history
pages show it in full.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from defusedxml import ElementTree
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlmodel import Session, select

from monitor.core.checklist import template_used_by
from monitor.core.periods import Period
from monitor.models import (
    CaseExample,
    Collection,
    MetricValue,
    NationalImport,
    Pcn,
    Practice,
    Role,
    SpendItem,
    User,
    Visibility,
)
from monitor.services import audit, case_examples, collections
from tests.factories import (
    World,
    make_intervention,
    make_practice,
    make_spend,
    make_staffing,
    make_user,
    make_value,
    shipped_templates,
)
from tests.web.test_access import ROUTES

PRACTICE_ROLES = (Role.PRACTICE_EDITOR, Role.PRACTICE_VIEWER)

# How a person relates to the owner practice: their practice is it (or their PCN / ICB
# holds it); their practice is in the same PCN; in another PCN of the same ICB; elsewhere.
OWN, SAME_PCN, SAME_ICB, FOREIGN = "own", "same PCN", "same ICB", "foreign ICB"


# --------------------------------------------------------------------------- sentinels


@dataclass(frozen=True)
class Sentinel:
    """A marker seeded into one object: any of `forms` in a body means it leaked."""

    name: str
    forms: tuple[str, ...]


def _number(text_with_commas: str) -> tuple[str, str]:
    """A number as pages show it ("164,927") and as CSV and workbooks hold it ("164927")."""
    return text_with_commas, text_with_commas.replace(",", "")


CASE_PRIVATE = Sentinel("private case example", ("SENTINEL-CASE-PRIVATE-7f3a", "83,614"))
CASE_PCN = Sentinel("PCN-shared case example", ("SENTINEL-CASE-PCN-2b9c", "72,503"))
CASE_ICB = Sentinel("ICB-wide case example", ("SENTINEL-CASE-ICB-5d1e", "64,197"))
CASE_UNSHARED = Sentinel("unshared case example", ("SENTINEL-CASE-UNSHARED-9a4f", "59,386"))
# Inbound calls (a monthly count): the Q1 snapshot, the live Q1 figure edited after
# submitting, the withdrawn Q2 return's figure and a Q3 figure never submitted.
SUBMITTED = Sentinel("submitted snapshot figure", _number("164,927"))
EDITED_AFTER = Sentinel("live figure edited after submitting", _number("158,361"))
WITHDRAWN = Sentinel("withdrawn return's figure", _number("173,519"))
LIVE_ONLY = Sentinel("live figure never submitted", _number("149,283"))
# A figure national data filled (an import's value): as private as one the practice typed.
IMPORTED = Sentinel("figure imported from national data", _number("138,462"))
# HEP-attributed spending: Q1's snapshot amount (the ICB's spending mix), the same item
# edited after submitting, and items in the withdrawn and the never-submitted quarters.
# Pages round money to whole pounds, so every amount has fewer than 50 pence.
SPEND_SUBMITTED = Sentinel("submitted HEP spend", _number("61,829"))
SPEND_SUBMITTED_TEXT = Sentinel("submitted spend description", ("SENTINEL-SPEND-Q1-4e7b",))
SPEND_EDITED_AFTER = Sentinel("spend edited after submitting", _number("57,246"))
SPEND_WITHDRAWN = Sentinel(
    "withdrawn quarter's spending", ("SENTINEL-SPEND-Q2-8c1d", *_number("68,453"))
)
SPEND_LIVE = Sentinel("live spending", ("SENTINEL-SPEND-Q3-1f6a", *_number("52,917")))
STAFFING = Sentinel("staffing change", ("SENTINEL-STAFFING-3a9e",))
INTERVENTION = Sentinel("intervention", ("SENTINEL-INTERVENTION-7d2c",))
ALLOCATION = Sentinel("HEP allocation", ("SENTINEL-ALLOCATION-6b4f", *_number("43,761")))
SIBLING_SPEND = Sentinel("sibling's spending", ("SENTINEL-SIBLING-SPEND-3c8d",))
SIBLING_CASE = Sentinel("sibling's private case example", ("SENTINEL-SIBLING-CASE-6e2b",))

OWNER_SENTINELS = (
    CASE_PRIVATE,
    CASE_PCN,
    CASE_ICB,
    CASE_UNSHARED,
    SUBMITTED,
    EDITED_AFTER,
    WITHDRAWN,
    LIVE_ONLY,
    IMPORTED,
    SPEND_SUBMITTED,
    SPEND_SUBMITTED_TEXT,
    SPEND_EDITED_AFTER,
    SPEND_WITHDRAWN,
    SPEND_LIVE,
    STAFFING,
    INTERVENTION,
    ALLOCATION,
)
SIBLING_SENTINELS = (SIBLING_SPEND, SIBLING_CASE)
# The foreign ICB's own data: no one of the owner's ICB may meet any of it.
FOREIGN_NAME = Sentinel("another ICB's practice", ("SENTINEL-FOREIGN-PRACTICE-8b3e",))
FOREIGN_CASE = Sentinel("another ICB's ICB-wide case example", ("SENTINEL-FOREIGN-CASE-5a7c",))
FOREIGN_SUBMITTED = Sentinel("another ICB's submitted figure", _number("187,342"))
FOREIGN_SPEND = Sentinel("another ICB's spending", ("SENTINEL-FOREIGN-SPEND-9e1b",))
FOREIGN_COLLECTION = Sentinel("another ICB's collection", ("SENTINEL-FOREIGN-COLLECTION-2d7f",))
FOREIGN_IMPORT = Sentinel("another ICB's national-data import", ("SENTINEL-FOREIGN-IMPORT-4c2a",))
FOREIGN_SENTINELS = (
    FOREIGN_NAME,
    FOREIGN_CASE,
    FOREIGN_SUBMITTED,
    FOREIGN_SPEND,
    FOREIGN_COLLECTION,
    FOREIGN_IMPORT,
)
ALL_SENTINELS = OWNER_SENTINELS + SIBLING_SENTINELS + FOREIGN_SENTINELS


# --------------------------------------------------------------------------- people


@dataclass(frozen=True)
class Viewer:
    label: str
    role: Role
    relation: str  # to the owner practice (see OWN ... FOREIGN)

    @property
    def is_practice(self) -> bool:
        return self.role in PRACTICE_ROLES

    def may_see(self) -> set[Sentinel]:
        """The sentinels this person may meet anywhere (everything else must not appear).
        The foreign ICB's people may meet their own ICB's data (the rules inside an ICB
        are checked on the owner's); no one else may meet any of it."""
        return self._owners_data() | (set(FOREIGN_SENTINELS) if self.relation == FOREIGN else set())

    def _owners_data(self) -> set[Sentinel]:
        if self.is_practice:
            if self.relation == OWN:
                return set(OWNER_SENTINELS)
            if self.relation == SAME_PCN:
                return set(SIBLING_SENTINELS)
            return set()
        if self.role is Role.PCN_LEAD:
            # The PCN median of three submitting members is the owner's snapshot figure.
            return {
                OWN: {CASE_PCN, CASE_ICB, SUBMITTED},
                SAME_ICB: {CASE_ICB},
            }.get(self.relation, set())
        if self.role is Role.ICB_ANALYST and self.relation == OWN:
            return {CASE_ICB, SUBMITTED, SPEND_SUBMITTED}
        return set()


VIEWERS = [
    Viewer("owner-editor", Role.PRACTICE_EDITOR, OWN),
    Viewer("owner-viewer", Role.PRACTICE_VIEWER, OWN),
    Viewer("sibling-editor", Role.PRACTICE_EDITOR, SAME_PCN),
    Viewer("sibling-viewer", Role.PRACTICE_VIEWER, SAME_PCN),
    Viewer("other-pcn-practice-editor", Role.PRACTICE_EDITOR, SAME_ICB),
    Viewer("foreign-practice-editor", Role.PRACTICE_EDITOR, FOREIGN),
    Viewer("pcn-lead", Role.PCN_LEAD, OWN),
    Viewer("other-pcn-lead", Role.PCN_LEAD, SAME_ICB),
    Viewer("foreign-pcn-lead", Role.PCN_LEAD, FOREIGN),
    Viewer("icb-analyst", Role.ICB_ANALYST, OWN),
    Viewer("foreign-icb-analyst", Role.ICB_ANALYST, FOREIGN),
    Viewer("icb-admin", Role.ADMIN, OWN),
    Viewer("foreign-admin", Role.ADMIN, FOREIGN),
]

# The summary's workbook and PDF draw every chart (seconds each): fetched for the owner
# and for a sibling only (the summary is always the signed-in practice's own).
SLOW_ROUTES_FOR = {"owner-editor", "sibling-editor"}


# --------------------------------------------------------------------------- the world


@dataclass
class Seeded:
    world: World
    users: dict[str, User]  # viewer label -> the person signing in
    cases: dict[str, CaseExample]  # private, pcn, icb, unshared
    collections: dict[str, Collection]  # submitted, withdrawn, open
    spend_live: SpendItem
    staffing_id: int
    intervention_id: int
    allocation_id: int
    foreign_case: CaseExample
    foreign_collection: Collection
    imports: dict[str, NationalImport] | None = None  # "own" (the owner's ICB), "foreign"


def _case(session, world, *, title, cost, visibility) -> CaseExample:
    data = case_examples.CaseExampleInput(
        title=title,
        problem=f"Patients could not get through. {title}",
        actions="Cloud telephony with call-back",
        cost=cost,
        outcome="Calls answered sooner",
        lessons=f"Start sooner ({title})",
        visibility=visibility,
        tags=["telephony"],
        spend_item_ids=[world.records["spending"].id],
        metric_item_ids=["home_visits"],
    )
    return case_examples.create(
        session, user=world.editor, practice_id=world.practice.id, data=data
    )


def _spend(session, practice, **values) -> SpendItem:
    item = make_spend(session, practice=practice, total_cost=Decimal("95000"), **values)
    audit.record(
        session,
        actor=None,
        action="create",
        object_type="spend_item",
        object_id=item.id,
        practice_id=practice.id,
        summary="Test record",
        after=audit.snapshot(item),
    )
    session.commit()
    return item


def _audited_edit(
    session, *, object_type: str, record_id: int, practice, before: dict, after: dict
) -> None:
    """The audit event an edit of a practice's record writes: before → after, and a
    summary that quotes the record as the app's summaries do."""
    audit.record(
        session,
        actor=None,
        action="update",
        object_type=object_type,
        object_id=record_id,
        practice_id=practice.id,
        summary=f"Changed {object_type}: {' / '.join(str(v) for v in after.values())}",
        before=before,
        after=after,
    )
    session.commit()


def _figure(practice, item_id: str, period_code: str, number: float) -> MetricValue:
    period = Period.parse(period_code)
    return MetricValue(
        practice_id=practice.id,
        item_id=item_id,
        frequency=period.frequency.value,
        period_code=period.code,
        period_start=period.start,
        value_number=number,
        template_id="hep-light-touch",
        template_version=1,
    )


def _benign_figures(session, practices: list[tuple[Practice, int | None]]) -> None:
    """Ordinary figures, so every practice's own charts have something to draw; inbound
    calls from `calls_from` up (None: the practice's inbound calls are sentinels)."""
    for practice, calls_from in practices:
        for n, month in enumerate(range(4, 11)):
            code = f"2025-{month:02d}"
            session.add(_figure(practice, "home_visits", code, 30 + n))
            if calls_from is not None:
                session.add(_figure(practice, "inbound_calls", code, calls_from + n))
    session.commit()


def _collection(session, world, name, period_code, opens_on, due_on) -> Collection:
    found = Collection(
        icb_id=world.icb.id,
        name=name,
        template_id="hep-light-touch",
        template_version=1,
        period_code=period_code,
        opens_on=opens_on,
        due_on=due_on,
    )
    session.add(found)
    session.commit()
    return found


def _submit(session, collection, practice, *, user, on: date) -> None:
    collections.submit(
        session,
        user=user,
        collection=collection,
        practice_id=practice.id,
        template=template_used_by(shipped_templates(), collection),
        today=on,
    )


def _calls(session, practice, period_code) -> MetricValue:
    return session.exec(
        select(MetricValue).where(
            MetricValue.practice_id == practice.id,
            MetricValue.item_id == "inbound_calls",
            MetricValue.period_code == period_code,
        )
    ).one()


@pytest.fixture
def seeded(session: Session, world: World) -> Seeded:
    owner, sibling = world.practice, world.sibling
    _benign_figures(
        session,
        [
            (owner, None),
            (sibling, 2100),
            (world.other_practice, 2300),
            (world.foreign_practice, 2500),
        ],
    )

    # Live records of the owner, each with a sentinel.
    allocation = world.records["allocations"]
    allocation.amount = Decimal("43761")
    allocation.note = "SENTINEL-ALLOCATION-6b4f"
    session.add(allocation)
    session.commit()
    staffing = make_staffing(session, practice=owner, note="SENTINEL-STAFFING-3a9e")
    intervention = make_intervention(
        session,
        practice=owner,
        occurred_on=date(2025, 6, 2),
        title="SENTINEL-INTERVENTION-7d2c",
        affected_items=["inbound_calls"],
    )
    for object_type, record_id, before, after in [
        ("hep_allocation", allocation.id, {"amount": "48000.00", "note": ""},
         {"amount": "43761.00", "note": "SENTINEL-ALLOCATION-6b4f"}),
        ("staffing_change", staffing.id, {"note": ""}, {"note": "SENTINEL-STAFFING-3a9e"}),
        ("intervention", intervention.id, {"title": "New telephony"},
         {"title": "SENTINEL-INTERVENTION-7d2c"}),
    ]:  # fmt: skip
        _audited_edit(
            session, object_type=object_type, record_id=record_id, practice=owner,
            before=before, after=after,
        )  # fmt: skip

    # Q1: figures and spending submitted, then edited live.
    submitted = _collection(
        session, world, "2025/26 Q1 return", "2025-26-q1", date(2025, 7, 1), date(2025, 8, 31)
    )
    make_value(
        session, practice=owner, item_id="inbound_calls", period_code="2025-04", number=164927
    )
    q1_spend = _spend(
        session,
        owner,
        spent_on=date(2025, 5, 14),
        category="telephony",
        description="SENTINEL-SPEND-Q1-4e7b",
        hep_amount=Decimal("61829.37"),
    )
    # Two more North PCN practices submit, so the PCN median (3 practices) is the owner's.
    fillers = []
    for number, decile in [(100000, 2), (190000, 4)]:
        filler = make_practice(session, pcn=world.pcn, imd_decile=decile)
        make_value(
            session, practice=filler, item_id="inbound_calls", period_code="2025-04", number=number
        )
        fillers.append(filler)
    for practice in [owner, *fillers]:
        _submit(session, submitted, practice, user=None, on=date(2025, 7, 15))
    live = _calls(session, owner, "2025-04")
    live.value_number = 158361
    q1_spend.hep_amount = Decimal("57246.19")
    session.add_all([live, q1_spend])
    session.commit()
    _audited_edit(
        session, object_type="metric_value", record_id=live.id, practice=owner,
        before={"value_number": 164927.0}, after={"value_number": 158361.0},
    )  # fmt: skip
    _audited_edit(
        session, object_type="spend_item", record_id=q1_spend.id, practice=owner,
        before={"description": "SENTINEL-SPEND-Q1-4e7b", "hep_amount": "61829.37"},
        after={"description": "SENTINEL-SPEND-Q1-4e7b", "hep_amount": "57246.19"},
    )  # fmt: skip

    # Q2: submitted, then withdrawn.
    withdrawn = _collection(
        session, world, "2025/26 Q2 return", "2025-26-q2", date(2025, 10, 1), date(2025, 11, 30)
    )
    make_value(
        session, practice=owner, item_id="inbound_calls", period_code="2025-07", number=173519
    )
    _spend(
        session,
        owner,
        spent_on=date(2025, 8, 12),
        category="premises",
        description="SENTINEL-SPEND-Q2-8c1d",
        hep_amount=Decimal("68453.21"),
    )
    _submit(session, withdrawn, owner, user=world.editor, on=date(2025, 10, 10))
    collections.withdraw(
        session,
        user=world.editor,
        collection=withdrawn,
        practice_id=owner.id,
        today=date(2025, 10, 20),
    )

    # Q3: open, recorded live, never submitted.
    still_open = _collection(
        session, world, "2025/26 Q3 return", "2025-26-q3", date(2026, 1, 5), date(2099, 12, 31)
    )
    make_value(
        session, practice=owner, item_id="inbound_calls", period_code="2025-10", number=149283
    )
    spend_live = _spend(
        session,
        owner,
        spent_on=date(2025, 11, 5),
        category="training",
        description="SENTINEL-SPEND-Q3-1f6a",
        hep_amount=Decimal("52917.23"),
    )
    _audited_edit(
        session, object_type="spend_item", record_id=spend_live.id, practice=owner,
        before={"description": "Training (draft)", "hep_amount": "50000.00"},
        after={"description": "SENTINEL-SPEND-Q3-1f6a", "hep_amount": "52917.23"},
    )  # fmt: skip

    cases = {
        key: _case(session, world, title=title, cost=cost, visibility=visibility)
        for key, title, cost, visibility in [
            ("private", "SENTINEL-CASE-PRIVATE-7f3a", "£83,614", Visibility.PRIVATE),
            ("pcn", "SENTINEL-CASE-PCN-2b9c", "£72,503", Visibility.PCN),
            ("icb", "SENTINEL-CASE-ICB-5d1e", "£64,197", Visibility.ICB),
            ("unshared", "SENTINEL-CASE-UNSHARED-9a4f", "£59,386", Visibility.ICB),
        ]
    }
    _unshare(session, world, cases["unshared"])

    # The sibling's own sentinels.
    _spend(
        session,
        sibling,
        spent_on=date(2025, 6, 1),
        category="equipment",
        description="SENTINEL-SIBLING-SPEND-3c8d",
        hep_amount=Decimal("1200"),
    )
    case_examples.create(
        session,
        user=world.other_editor,
        practice_id=sibling.id,
        data=case_examples.CaseExampleInput(
            title="SENTINEL-SIBLING-CASE-6e2b",
            problem="Long waits",
            actions="More staff",
            cost="",
            outcome="",
            lessons="",
            visibility=Visibility.PRIVATE,
            tags=[],
            spend_item_ids=[],
            metric_item_ids=[],
        ),
    )

    sibling_spend = session.exec(
        select(SpendItem).where(SpendItem.description == "SENTINEL-SIBLING-SPEND-3c8d")
    ).one()
    _audited_edit(
        session, object_type="spend_item", record_id=sibling_spend.id, practice=sibling,
        before={"description": "Equipment"}, after={"description": "SENTINEL-SIBLING-SPEND-3c8d"},
    )  # fmt: skip

    foreign_case, foreign_collection = _seed_foreign_icb(session, world)
    foreign_pcn = session.get(Pcn, world.foreign_practice.pcn_id)
    users = {
        "owner-editor": world.editor,
        "owner-viewer": world.viewer,
        "sibling-editor": world.other_editor,
        "sibling-viewer": make_user(session, role=Role.PRACTICE_VIEWER, organisation=sibling),
        "other-pcn-practice-editor": make_user(
            session, role=Role.PRACTICE_EDITOR, organisation=world.other_practice
        ),
        "foreign-practice-editor": world.foreign_editor,
        "pcn-lead": world.pcn_lead,
        "other-pcn-lead": make_user(session, role=Role.PCN_LEAD, organisation=world.other_pcn),
        "foreign-pcn-lead": make_user(session, role=Role.PCN_LEAD, organisation=foreign_pcn),
        "icb-analyst": world.analyst,
        "foreign-icb-analyst": make_user(
            session, role=Role.ICB_ANALYST, organisation=world.other_icb
        ),
        "icb-admin": world.admin,
        "foreign-admin": world.foreign_admin,
    }
    imports = {
        "own": _import(session, world.icb, "Cloud Based Telephony, February 2026 publication"),
        "foreign": _import(session, world.other_icb, "SENTINEL-FOREIGN-IMPORT-4c2a"),
    }
    make_value(
        session, practice=owner, item_id="appointments_attended", period_code="2025-10",
        number=138462, source="gpad_appointments", import_id=imports["own"].id,
    )  # fmt: skip
    # Newer events of the ICB's configuration, so the practices' events above fall on the
    # audit log's second page as well as its first.
    for n in range(AUDIT_FILLER_EVENTS):
        audit.record(
            session, actor=world.admin, action="sign_in", object_type="user",
            object_id=world.admin.id, summary=f"{world.admin.email} signed in ({n})",
        )  # fmt: skip
    session.commit()
    return Seeded(
        imports=imports,
        world=world,
        users=users,
        cases=cases,
        collections={"submitted": submitted, "withdrawn": withdrawn, "open": still_open},
        spend_live=spend_live,
        staffing_id=staffing.id,
        intervention_id=intervention.id,
        allocation_id=allocation.id,
        foreign_case=foreign_case,
        foreign_collection=foreign_collection,
    )


AUDIT_FILLER_EVENTS = 40


def _seed_foreign_icb(session, world) -> tuple[CaseExample, Collection]:
    """The other ICB's practice with a name, a submitted figure, spending, an ICB-wide case
    example and a collection, each a sentinel."""
    foreign = world.foreign_practice
    foreign.name = "SENTINEL-FOREIGN-PRACTICE-8b3e"
    session.add(foreign)
    session.commit()
    collection = Collection(
        icb_id=world.other_icb.id,
        name="SENTINEL-FOREIGN-COLLECTION-2d7f",
        template_id="hep-light-touch",
        template_version=1,
        period_code="2025-26-q1",
        opens_on=date(2025, 7, 1),
        due_on=date(2099, 12, 31),
    )
    session.add(collection)
    session.commit()
    make_value(
        session, practice=foreign, item_id="appointments_attended", period_code="2025-04",
        number=187342,
    )  # fmt: skip
    _submit(session, collection, foreign, user=world.foreign_editor, on=date(2025, 7, 15))
    _spend(
        session,
        foreign,
        spent_on=date(2025, 6, 3),
        category="telephony",
        description="SENTINEL-FOREIGN-SPEND-9e1b",
        hep_amount=Decimal("1500"),
    )
    foreign_spend = session.exec(
        select(SpendItem).where(SpendItem.description == "SENTINEL-FOREIGN-SPEND-9e1b")
    ).one()
    _audited_edit(
        session, object_type="spend_item", record_id=foreign_spend.id, practice=foreign,
        before={"description": "Telephony"}, after={"description": "SENTINEL-FOREIGN-SPEND-9e1b"},
    )  # fmt: skip
    case = case_examples.create(
        session,
        user=world.foreign_editor,
        practice_id=foreign.id,
        data=case_examples.CaseExampleInput(
            title="SENTINEL-FOREIGN-CASE-5a7c",
            problem="Long waits",
            actions="More staff",
            cost="",
            outcome="",
            lessons="",
            visibility=Visibility.ICB,
            tags=[],
            spend_item_ids=[],
            metric_item_ids=[],
        ),
    )
    return case, collection


def _import(session, icb, description: str) -> NationalImport:
    """A finished national-data import of the ICB (its pages are the ICB staff's)."""
    found = NationalImport(
        icb_id=icb.id, filename=f"{description}.xlsx", sha256=f"{icb.id:064d}",
        description=description, status="done",
    )  # fmt: skip
    session.add(found)
    session.commit()
    return found


def _unshare(session, world, case: CaseExample) -> None:
    data = case_examples.CaseExampleInput(
        **{
            name: getattr(case, name)
            for name in case_examples.CaseExampleInput.__dataclass_fields__
            if name != "visibility"
        },
        visibility=Visibility.PRIVATE,
    )
    case_examples.update(
        session, user=world.editor, case=case, data=data, expected_version=case.version
    )


# --------------------------------------------------------------------------- routes

Rule = Callable[[Viewer], int]


def always(viewer: Viewer) -> int:
    return 200


def owner_only(viewer: Viewer) -> int:
    """An object of the owner practice, or the owner practice itself: reachable by the
    owner's own users, its PCN lead, and its ICB's analysts and administrators."""
    return 200 if viewer.relation == OWN else 404


def same_icb(viewer: Viewer) -> int:
    """A collection of the owner's ICB."""
    return 404 if viewer.relation == FOREIGN else 200


def mirrored(rule: Rule) -> Rule:
    """A rule for the foreign ICB's objects: the foreign ICB's people stand where the
    owner's do, and everyone of the owner's ICB stands where the foreign ICB's do."""

    def for_foreign(viewer: Viewer) -> int:
        relation = OWN if viewer.relation == FOREIGN else FOREIGN
        return rule(Viewer(viewer.label, viewer.role, relation))

    return for_foreign


def case_rule(visibility: str) -> Rule:
    def rule(viewer: Viewer) -> int:
        if viewer.is_practice:
            return 200 if viewer.relation == OWN else 404
        if viewer.role is Role.PCN_LEAD:
            if viewer.relation == OWN:
                return 200 if visibility in (Visibility.PCN, Visibility.ICB) else 404
            if viewer.relation == SAME_ICB:
                return 200 if visibility == Visibility.ICB else 404
            return 404
        if viewer.role is Role.ICB_ANALYST:
            return 200 if viewer.relation == OWN and visibility == Visibility.ICB else 404
        return 404

    return rule


@dataclass(frozen=True)
class Route:
    endpoint: str
    url: str
    rule: Rule = always
    slow: bool = False


def audit_queries(s: Seeded) -> list[str]:
    """The audit log's pages and filters: every kind of record, the owner's and the
    sibling's practice (and the foreign ICB's, which filters nothing), and second pages."""
    w = s.world
    kinds = [
        "spend_item", "metric_value", "case_example", "hep_allocation", "staffing_change",
        "intervention", "practice_return", "collection", "user", "national_import",
    ]  # fmt: skip
    queries = ["", "?page=2", "?page=3"]
    queries += [f"?type={kind}" for kind in kinds]
    for practice in (w.practice, w.sibling, w.foreign_practice):
        queries += [f"?practice={practice.id}", f"?practice={practice.id}&type=spend_item"]
    queries += [f"?practice={w.practice.id}&page=2", "?type=nonsense&page=2"]
    return queries


def routes(s: Seeded) -> list[Route]:
    w = s.world
    year = "year=2025"
    found = [
        Route("home.index", "/"),
        Route("home.practice", f"/practices/{w.practice.id}", owner_only),
        # The signed-in practice's own pages and exports.
        Route("evidence.dashboard", "/dashboard"),
        Route("evidence.metric", "/metrics/inbound_calls"),
        Route("evidence.metric_chart", "/metrics/inbound_calls/chart.svg"),
        Route("evidence.metric_chart", "/metrics/inbound_calls/chart.png"),
        Route("evidence.metric_data", "/metrics/inbound_calls/data.csv"),
        Route("evidence.money_view", f"/money?{year}"),
        Route("evidence.allocation_chart", "/money/allocation.svg"),
        Route("evidence.category_chart", f"/money/categories.svg?{year}"),
        Route("summary.index", f"/summary?{year}"),
        Route("summary.workbook", f"/summary/impact-summary.xlsx?{year}", slow=True),
        Route("summary.pdf", f"/summary/impact-summary.pdf?{year}", slow=True),
        Route("summary.tables_zip", f"/summary/tables.zip?{year}"),
        Route("summary.table_csv", f"/summary/tables/spending.csv?{year}"),
        Route("practice.figures_overview", "/figures"),
        Route("practice.sharing", "/sharing"),
        Route("practice.spending_workbook", "/spending/workbook.xlsx"),
        Route("practice.staffing_workbook", "/staffing/workbook.xlsx"),
        Route("practice.spending_upload", "/spending/upload"),
        Route("practice.staffing_upload", "/staffing/upload"),
        Route("cases.practice_list", "/case-examples"),
        Route("cases.new_case", "/case-examples/new"),
        Route("returns.index", "/returns"),
        Route("practice.history", f"/history/spend_item/{s.spend_live.id}", owner_only),
    ]
    # The submitted-then-edited month and the never-submitted one.
    for code in ("2025-04", "2025-10"):
        found += [
            Route("practice.figures_period", f"/figures/{code}"),
            Route("practice.figures_workbook", f"/figures/{code}/workbook.xlsx?filled=1"),
        ]
    found.append(Route("practice.figures_upload", "/figures/2025-10/upload"))
    owned = {
        "allocations": ("allocation", s.allocation_id),
        "spending": ("spend", s.spend_live.id),
        "staffing": ("staffing", s.staffing_id),
        "interventions": ("intervention", s.intervention_id),
    }
    for kind, (single, record_id) in owned.items():
        query = f"?{year}" if kind in ("spending", "staffing") else ""
        found += [
            Route(f"practice.{kind}", f"/{kind}{query}"),
            Route(f"practice.new_{single}", f"/{kind}/new"),
            Route(f"practice.edit_{single}", f"/{kind}/{record_id}/edit", owner_only),
            Route(f"practice.delete_{single}", f"/{kind}/{record_id}/delete", owner_only),
        ]
    # Case examples in every state.
    for case in s.cases.values():
        rule = case_rule(case.visibility)
        found += [
            Route("cases.detail", f"/case-examples/{case.id}", rule),
            Route(
                "cases.metric_chart",
                f"/case-examples/{case.id}/metrics/home_visits/chart.svg",
                rule,
            ),
        ]
    private = s.cases["private"].id
    found += [
        Route("cases.edit_case", f"/case-examples/{private}/edit", owner_only),
        Route("cases.delete_case", f"/case-examples/{private}/delete", owner_only),
    ]
    found += [
        Route("cases.browse", "/case-examples/shared"),
        Route("cases.pcn_home", "/pcn"),
        Route("icb.pcn_trends", "/pcn/trends"),
        # One collection with a PCN median of inbound calls (the owner's PCN's Q1) is too
        # few points for a chart: the trend is a table, its chart not found, for every PCN
        # (charts of three or more: tests/web/test_icb_trends_pages.py).
        Route("icb.pcn_trend_chart", "/pcn/trends/inbound_calls/chart.svg", lambda v: 404),
        # The ICB's trends across its collections; one ICB median of inbound calls (Q1's,
        # the owner's snapshot figure) and the foreign ICB's one practice: no chart.
        Route("icb.trends", "/trends"),
        Route("icb.trend_chart", "/trends/inbound_calls/chart.svg", lambda v: 404),
        Route("returns.collections", "/collections"),
        Route("returns.new_collection", "/collections/new"),
        # Administration: every page, and the audit log on every page and filter.
        Route("admin.users", "/admin/users"),
        Route("admin.new_user", "/admin/users/new"),
        Route("admin.template", "/admin/template"),
        Route("admin.user", f"/admin/users/{w.editor.id}", owner_only),
        Route("admin.user", f"/admin/users/{w.admin.id}", owner_only),
        Route(
            "admin.temporary_password", f"/admin/users/{w.editor.id}/temporary-password", owner_only
        ),
        Route("admin.user", f"/admin/users/{w.foreign_editor.id}", mirrored(owner_only)),
        *(Route("admin.audit_log", f"/admin/audit{query}") for query in audit_queries(s)),
        # Organisation facts (list sizes, deprivation, setting) are not private.
        Route("organisations.index", "/admin/organisations"),
        Route("organisations.update", "/admin/organisations/update"),
        Route("organisations.edit_practice", f"/admin/practices/{w.practice.id}/edit", owner_only),
    ]
    # The foreign ICB's practice, case example and collection.
    foreign = w.foreign_practice.id
    found += [
        Route("home.practice", f"/practices/{foreign}", mirrored(owner_only)),
        Route("cases.detail", f"/case-examples/{s.foreign_case.id}", mirrored(case_rule("icb"))),
        Route(
            "organisations.edit_practice", f"/admin/practices/{foreign}/edit", mirrored(owner_only)
        ),
    ]
    # National-data imports: the ICB's own, and the foreign ICB's.
    found += [
        Route("national_imports.index", "/national-data/imports"),
        Route("national_imports.upload", "/national-data/imports/new"),
    ]
    for key, rule in (("own", same_icb), ("foreign", mirrored(same_icb))):
        url = f"/national-data/imports/{s.imports[key].id}"
        found += [
            Route("national_imports.detail", url, rule),
            Route("national_imports.progress", f"{url}/progress.json", rule),
            Route("national_imports.undo", f"{url}/undo", rule),
        ]
    # Returns in every state, from the practice's side and the ICB's; and the foreign one.
    for collection in [*s.collections.values(), s.foreign_collection]:
        rule = mirrored(same_icb) if collection is s.foreign_collection else same_icb
        c = f"/collections/{collection.id}"
        found += [
            Route("returns.task_list", f"/returns/{collection.id}", rule),
            Route("returns.review", f"/returns/{collection.id}/review", rule),
            Route("returns.collection", c, rule),
            Route("icb.completeness", f"{c}/completeness", rule),
            Route("icb.completeness_csv", f"{c}/completeness.csv", rule),
            Route("icb.metrics", f"{c}/metrics", rule),
            Route("icb.distribution", f"{c}/metrics/inbound_calls", rule),
            Route("icb.distribution", f"{c}/metrics/appointments_attended", rule),
            Route("icb.distribution_chart", f"{c}/metrics/inbound_calls/chart.svg", rule),
            Route("icb.equity", f"{c}/equity", rule),
            Route("icb.equity_chart", f"{c}/equity/inbound_calls/chart.svg", rule),
            Route("icb.spending_mix", f"{c}/spending", rule),
            Route("icb.spending_chart", f"{c}/spending/chart.svg", rule),
            Route("icb.workbook", f"{c}/workbook.xlsx", rule),
            Route("icb.tidy_csv", f"{c}/returns.csv", rule),
        ]
    return found


# Routes that show no practice data (sign-in, user administration, the public page) or
# change something (POST only); every other endpoint must be in the matrix above.
NOT_PRACTICE_DATA = {
    "auth.sign_in",
    "auth.sign_out",
    "auth.change_password",
    "auth.sign_in_code",
    "auth.sign_in_set_up",
    "auth.account",
    "auth.set_up_authenticator",
    "admin.reset_second_factor",
    "admin.deactivate",
    "admin.reactivate",
    "home.what_we_ask",
    "returns.withdraw",
    "returns.close_collection",
    "organisations.confirm",
    "organisations.cancel",
    "national_imports.confirm",
    "national_imports.cancel",
    "national_imports.hep_schedule_layout",  # the schedule's layout: fictional examples only
    "national_imports.hep_schedule_csv",
}


def expected_status(route: Route, viewer: Viewer) -> int:
    allowed = ROUTES[route.endpoint][2]
    if allowed is not None and viewer.role not in allowed:
        return 403
    return route.rule(viewer)


# --------------------------------------------------------------------------- bodies


def body_text(response) -> str:
    """Everything a person could read in a response, as one string."""
    data = response.get_data()
    kind = response.mimetype
    if kind == "image/png":
        return ""
    return _text_of(data, kind)


def _text_of(data: bytes, kind: str) -> str:
    if kind == "image/svg+xml":
        root = ElementTree.fromstring(data)
        return " ".join(root.itertext())
    if kind.endswith("spreadsheetml.sheet"):
        book = load_workbook(io.BytesIO(data))
        cells = [
            str(cell.value)
            for sheet in book.worksheets
            for row in sheet.iter_rows()
            for cell in row
            if cell.value is not None
        ]
        return "\n".join([*book.sheetnames, *cells])
    if kind == "application/pdf":
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    if kind == "application/zip":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "\n".join(
                _text_of(archive.read(name), _kind_of(name)) for name in archive.namelist()
            )
    return data.decode("utf-8-sig")


def _kind_of(name: str) -> str:
    return {
        ".svg": "image/svg+xml",
        ".png": "image/png",
        ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ".pdf": "application/pdf",
    }.get(name[name.rfind(".") :], "text/plain")


def found_in(text: str, sentinel: Sentinel) -> str | None:
    return next((form for form in sentinel.forms if form in text), None)


# --------------------------------------------------------------------------- what must show

# viewer label -> (url, sentinels that must appear there)
MUST_SEE: dict[str, list[tuple[str, tuple[Sentinel, ...]]]] = {
    "owner": [
        ("/case-examples", (CASE_PRIVATE, CASE_PCN, CASE_ICB, CASE_UNSHARED)),
        ("/metrics/inbound_calls/data.csv", (EDITED_AFTER, WITHDRAWN, LIVE_ONLY)),
        ("/figures/2025-10", (IMPORTED,)),
        ("/metrics/inbound_calls", (EDITED_AFTER, WITHDRAWN, LIVE_ONLY, INTERVENTION)),
        (
            "/spending?year=2025",
            (SPEND_SUBMITTED_TEXT, SPEND_EDITED_AFTER, SPEND_WITHDRAWN, SPEND_LIVE),
        ),
        ("/spending/workbook.xlsx", (SPEND_SUBMITTED_TEXT, SPEND_WITHDRAWN, SPEND_LIVE)),
        ("/staffing/workbook.xlsx", (STAFFING,)),
        ("/interventions", (INTERVENTION,)),
        ("/allocations", (ALLOCATION,)),
        ("/figures/2025-10/workbook.xlsx?filled=1", (LIVE_ONLY, IMPORTED)),
        ("/figures/2025-04/workbook.xlsx?filled=1", (EDITED_AFTER,)),
        ("/returns/{submitted}/review", (EDITED_AFTER,)),
        ("/returns/{open}/review", (LIVE_ONLY,)),
        ("/summary/tables.zip?year=2025", (SPEND_LIVE, EDITED_AFTER)),
        # The practice's own history keeps the full before → after.
        ("/history/spend_item/{spend_live}", (SPEND_LIVE,)),
    ],
    "owner-editor": [
        ("/staffing/{staffing}/edit", (STAFFING,)),
        ("/summary/impact-summary.xlsx?year=2025", (SPEND_LIVE, EDITED_AFTER)),
        ("/summary/impact-summary.pdf?year=2025", (SPEND_LIVE,)),
    ],
    "sibling": [
        ("/spending?year=2025", (SIBLING_SPEND,)),
        ("/case-examples", (SIBLING_CASE,)),
    ],
    "pcn-lead": [
        ("/pcn", (CASE_PCN, CASE_ICB)),
        ("/case-examples/shared", (CASE_PCN, CASE_ICB)),
        ("/case-examples/{pcn}", (CASE_PCN,)),
        ("/pcn/trends", (SUBMITTED,)),
    ],
    "other-pcn-lead": [("/case-examples/shared", (CASE_ICB,))],
    "foreign-icb-analyst": [
        ("/collections/{foreign}/metrics/appointments_attended", (FOREIGN_SUBMITTED,)),
        ("/case-examples/shared", (FOREIGN_CASE,)),
        ("/", (FOREIGN_NAME,)),
        ("/national-data/imports", (FOREIGN_IMPORT,)),
    ],
    "foreign-practice-editor": [("/spending?year=2025", (FOREIGN_SPEND,))],
    "foreign-admin": [("/admin/organisations", (FOREIGN_NAME,))],
    "icb-analyst": [
        ("/case-examples/shared", (CASE_ICB,)),
        ("/case-examples/{icb}", (CASE_ICB,)),
        ("/collections/{submitted}/metrics/inbound_calls", (SUBMITTED,)),
        ("/collections/{submitted}/metrics", (SUBMITTED,)),
        ("/collections/{submitted}/workbook.xlsx", (SUBMITTED, SPEND_SUBMITTED)),
        ("/collections/{submitted}/returns.csv", (SUBMITTED,)),
        ("/collections/{submitted}/spending", (SPEND_SUBMITTED,)),
        ("/trends", (SUBMITTED,)),
    ],
}


def must_see(viewer: Viewer, s: Seeded) -> list[tuple[str, tuple[Sentinel, ...]]]:
    groups = [viewer.label]
    if viewer.is_practice and viewer.relation == OWN:
        groups.append("owner")
    if viewer.is_practice and viewer.relation == SAME_PCN:
        groups.append("sibling")
    ids = {name: c.id for name, c in s.collections.items()}
    ids |= {name: c.id for name, c in s.cases.items()}
    ids["staffing"] = s.staffing_id
    ids["spend_live"] = s.spend_live.id
    ids["foreign"] = s.foreign_collection.id
    return [(url.format(**ids), wanted) for g in groups for url, wanted in MUST_SEE.get(g, [])]


# --------------------------------------------------------------------------- the tests


def test_every_route_that_shows_practice_data_is_in_the_matrix(app, seeded):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - {"static"}
    covered = {route.endpoint for route in routes(seeded)}
    assert endpoints - NOT_PRACTICE_DATA - covered == set()
    assert covered <= set(ROUTES)


@pytest.mark.parametrize("viewer", VIEWERS, ids=[v.label for v in VIEWERS])
def test_each_person_gets_exactly_the_practice_data_they_may_see(client, seeded, viewer):
    client.sign_in(seeded.users[viewer.label].email)
    forbidden = [s for s in ALL_SENTINELS if s not in viewer.may_see()]
    failures: list[str] = []
    bodies: dict[str, str] = {}
    for route in routes(seeded):
        if route.slow and viewer.label not in SLOW_ROUTES_FOR:
            continue
        expected = expected_status(route, viewer)
        response = client.get(route.url)
        if response.status_code != expected:
            failures.append(f"{route.url}: status {response.status_code}, expected {expected}")
            continue
        if response.status_code != 200:
            continue
        text = body_text(response)
        bodies[route.url] = text
        for sentinel in forbidden:
            if form := found_in(text, sentinel):
                failures.append(f"{route.url}: leaks the {sentinel.name} ({form!r})")
    for url, wanted in must_see(viewer, seeded):
        if url not in bodies:
            failures.append(f"{url}: expected to be fetched with status 200")
            continue
        for sentinel in wanted:
            if found_in(bodies[url], sentinel) is None:
                failures.append(f"{url}: does not show the {sentinel.name}")
    assert not failures, f"{viewer.label} ({viewer.role.value}):\n" + "\n".join(failures)


def test_unsharing_a_case_example_hides_it_on_the_next_request(client, seeded, session):
    case = seeded.cases["icb"]
    client.sign_in(seeded.world.analyst.email)
    assert client.get(f"/case-examples/{case.id}").status_code == 200
    _unshare(session, seeded.world, case)
    assert client.get(f"/case-examples/{case.id}").status_code == 404
    chart = client.get(f"/case-examples/{case.id}/metrics/home_visits/chart.svg")
    assert chart.status_code == 404
    browse = client.page("/case-examples/shared")
    assert "SENTINEL-CASE-ICB-5d1e" not in browse.get_text()


def test_the_icb_administrator_reads_that_each_record_changed_but_not_how(client, seeded, session):
    """Scoping the audit log to the ICB must not hide its practices' events: the
    administrator reads which record of which practice changed, and which fields."""
    w = seeded.world
    sibling_case = session.exec(
        select(CaseExample).where(CaseExample.title == "SENTINEL-SIBLING-CASE-6e2b")
    ).one()
    client.sign_in(w.admin.email)

    def rows(query: str) -> list[str]:
        soup = client.page(f"/admin/audit{query}")
        return [row.get_text(" ", strip=True) for row in soup.select("table tbody tr")]

    cases = rows("?type=case_example")
    for case, practice in ((seeded.cases["private"], w.practice), (sibling_case, w.sibling)):
        row = next(r for r in cases if f"Case example {case.id} " in r)
        assert "Added case example" in row
        assert f"{practice.name} ({practice.ods_code})" in row
    live = _calls(session, w.practice, "2025-04")
    figures = rows(f"?type=metric_value&practice={w.practice.id}")
    assert any(f"Figure {live.id} " in r and "Changed: value_number" in r for r in figures)
    spending = rows(f"?type=spend_item&practice={w.practice.id}")
    edit = next(r for r in spending if f"Spending item {seeded.spend_live.id} " in r)
    assert "Changed: description, hep_amount" in edit
