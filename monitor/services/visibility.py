"""The one place that decides what a signed-in user may reach.

Every route and service that returns practice data scopes its query through here, and
each rule fails closed: an inactive user, or a role the rule does not name, reaches
nothing.

- Practices: practice users reach their own practice; a PCN lead the PCN's member
  practices; ICB analysts and administrators the practices in their ICB.
- A practice's records (figures, allocations, spending, staffing, interventions and their
  history): practice users of that practice only.
- Case examples: practice users every example of their own practice; a PCN lead the
  member practices' examples shared with the PCN or ICB-wide and ICB-wide examples of
  other practices in the same ICB; an ICB analyst ICB-wide examples of practices in the
  ICB; an administrator none (they configure the service, they do not read its content).
- Collections: ICB analysts and administrators their own ICB's collections; practices
  the collections of their ICB that have opened and are not closed, or that they
  answered. Only ICB analysts read what practices submitted (`analyst_collection`); a PCN
  lead reads medians of member practices' submitted returns (`pcn_collections`).
- National-data imports: ICB analysts and administrators their own ICB's imports (to
  start, confirm, cancel and undo them, and read their provenance); no one else.
- Published figures: what an import of NHS England's data (or the ICB's HEP payment
  schedule) set is public, so whoever reaches a practice reaches its published figures,
  submitted or not (`published_figures`); what a practice typed is never among them.
- The audit log: an administrator reads the events of their own ICB, its PCNs, practices,
  users, collections, onboarding runs and national-data imports (`audit_filter`).
- A PCN's published figures: a practice user reads the figures NHS England published
  for the other practices of its PCN as bare values, without which practice has which
  (`pcn_published_values`), so the metric page can say where the practice sits among
  them; never a figure a practice typed.

Rules read the database on every call, so unsharing takes effect on the next request.
"""

from __future__ import annotations

import dataclasses
import sys
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, String, and_, cast, false, or_
from sqlmodel import Session, SQLModel, select
from sqlmodel.sql.expression import SelectOfScalar

from monitor.core.checklist import ALLOCATION_ITEM, Frequency
from monitor.core.periods import Period
from monitor.models import (
    PRACTICE_ROLES,
    AuditEvent,
    CaseExample,
    Collection,
    HepAllocation,
    MetricValue,
    NationalImport,
    Pcn,
    Practice,
    PracticeReturn,
    PracticeRow,
    Role,
    User,
    Visibility,
)

R = TypeVar("R", bound=SQLModel)

ICB_ROLES = frozenset({Role.ICB_ANALYST, Role.ADMIN})


# Practices ------------------------------------------------------------------------------


def practice_filter(user: User) -> ColumnElement[bool]:
    """A WHERE clause on Practice that keeps only what `user` may reach."""
    role = user.role_enum
    if not user.is_active:
        return false()
    if role in PRACTICE_ROLES:
        return Practice.id == user.practice_id
    if role is Role.PCN_LEAD:
        return Practice.pcn_id == user.pcn_id
    return Practice.icb_id == user.icb_id


def visible_practices(user: User) -> SelectOfScalar[Practice]:
    return select(Practice).where(practice_filter(user))


def list_practices(session: Session, user: User) -> list[Practice]:
    return list(session.exec(visible_practices(user).order_by(Practice.name)))


PRACTICE_ROW_COLUMNS = tuple(field.name for field in dataclasses.fields(PracticeRow))
_REPEATED = frozenset({"town", "rurality", "status", "source"})
"""Columns whose few values repeat from practice to practice: each held once."""


def practice_rows(session: Session, user: User) -> list[PracticeRow]:
    """`list_practices` as plain rows, for a view that holds every practice it reaches."""
    query = select(*(getattr(Practice, name) for name in PRACTICE_ROW_COLUMNS))
    repeated = [i for i, name in enumerate(PRACTICE_ROW_COLUMNS) if name in _REPEATED]
    out = []
    for row in session.exec(query.where(practice_filter(user)).order_by(Practice.name)):
        values = list(row)
        for i in repeated:
            if values[i] is not None:
                values[i] = sys.intern(values[i])
        out.append(PracticeRow(*values))
    return out


def get_practice(session: Session, user: User, practice_id: int) -> Practice | None:
    """The practice if `user` may reach it, else None (the caller answers 404)."""
    return session.exec(visible_practices(user).where(Practice.id == practice_id)).first()


def visible_pcns(session: Session, user: User) -> list[Pcn]:
    practice_pcns = select(Practice.pcn_id).where(practice_filter(user))
    return list(session.exec(select(Pcn).where(Pcn.id.in_(practice_pcns)).order_by(Pcn.name)))


def icb_pcns(session: Session, user: User) -> list[Pcn]:
    """Every PCN of an ICB analyst's or administrator's own ICB, with or without member
    practices (a PCN whose practices all moved away is still the ICB's)."""
    if user.role_enum not in ICB_ROLES or not user.is_active or user.icb_id is None:
        return []
    return list(session.exec(select(Pcn).where(Pcn.icb_id == user.icb_id).order_by(Pcn.name)))


# Published figures -------------------------------------------------------------------------


def published_figures(
    session: Session,
    user: User,
    *,
    item_ids: list[str],
    period_codes: list[str],
    practice_ids: list[int] | None = None,
) -> list[tuple[int, str, str, float, int | None]]:
    """(practice id, item id, period code, published value, import id) for the practices
    `user` reaches (of `practice_ids`, if given): the figure an import set where it
    stands, the published figure remembered beside it where the practice overrode it or
    recorded its own. Never a figure the practice typed."""
    if not item_ids or not period_codes:
        return []
    reached = select(Practice.id).where(practice_filter(user))
    if practice_ids is not None:
        reached = reached.where(Practice.id.in_(practice_ids))
    rows = session.exec(
        select(
            MetricValue.practice_id,
            MetricValue.item_id,
            MetricValue.period_code,
            MetricValue.value_number,
            MetricValue.import_id,
            MetricValue.override_reason,
            MetricValue.published_number,
        ).where(
            MetricValue.practice_id.in_(reached),
            MetricValue.item_id.in_(item_ids),
            MetricValue.period_code.in_(period_codes),
            or_(MetricValue.import_id.is_not(None), MetricValue.published_number.is_not(None)),
        )
    )
    found = [
        (practice_id, item_id, code, value, import_id)
        for practice_id, item_id, code, number, import_id, reason, published in rows
        if (value := _published(number, import_id, reason, published)) is not None
    ]
    years = {
        code: period.fy
        for code in period_codes
        if (period := Period.parse(code)).frequency is Frequency.ANNUAL
    }
    if ALLOCATION_ITEM in item_ids and years:
        by_year = {fy: code for code, fy in years.items()}
        for practice_id, fy, amount, import_id, reason, published in session.exec(
            select(
                HepAllocation.practice_id,
                HepAllocation.financial_year,
                HepAllocation.amount,
                HepAllocation.import_id,
                HepAllocation.override_reason,
                HepAllocation.published_amount,
            ).where(
                HepAllocation.practice_id.in_(reached),
                HepAllocation.financial_year.in_(list(by_year)),
                or_(
                    HepAllocation.import_id.is_not(None),
                    HepAllocation.published_amount.is_not(None),
                ),
            )
        ):
            amount = None if amount is None else float(amount)
            published = None if published is None else float(published)
            if (value := _published(amount, import_id, reason, published)) is not None:
                found.append((practice_id, ALLOCATION_ITEM, by_year[fy], value, import_id))
    return found


def _published(number, import_id, reason, published) -> float | None:
    if import_id is not None and not reason:
        return number
    return published


# A practice's own records ------------------------------------------------------------------


def own_practice_id(user: User) -> int | None:
    """The practice whose records this user works on (active practice users only)."""
    if user.role_enum not in PRACTICE_ROLES or not user.is_active:
        return None
    return user.practice_id


def own_practice(session: Session, user: User) -> Practice | None:
    practice_id = own_practice_id(user)
    return None if practice_id is None else session.get(Practice, practice_id)


def own_record(session: Session, user: User, model: type[R], record_id: int) -> R | None:
    """A record of the user's own practice, or None (the caller answers 404)."""
    practice_id = own_practice_id(user)
    if practice_id is None:
        return None
    return session.exec(
        select(model).where(model.id == record_id, model.practice_id == practice_id)
    ).first()


def own_records(session: Session, user: User, model: type[R], *order_by: Any) -> list[R]:
    practice_id = own_practice_id(user)
    if practice_id is None:
        return []
    statement = select(model).where(model.practice_id == practice_id)
    if order_by:
        statement = statement.order_by(*order_by)
    return list(session.exec(statement))


# Case examples ---------------------------------------------------------------------------


def _practices_in_icb(icb_id: Any) -> SelectOfScalar[int]:
    return select(Practice.id).where(Practice.icb_id == icb_id)


def case_example_filter(user: User) -> ColumnElement[bool]:
    """A WHERE clause on CaseExample keeping only what `user` may read."""
    role = user.role_enum
    if not user.is_active:
        return false()
    if role in PRACTICE_ROLES:
        return CaseExample.practice_id == user.practice_id
    if role is Role.PCN_LEAD:
        members = select(Practice.id).where(Practice.pcn_id == user.pcn_id)
        icb_of_pcn = select(Pcn.icb_id).where(Pcn.id == user.pcn_id).scalar_subquery()
        return or_(
            and_(
                CaseExample.practice_id.in_(members),
                CaseExample.visibility.in_((Visibility.PCN, Visibility.ICB)),
            ),
            and_(
                CaseExample.visibility == Visibility.ICB,
                CaseExample.practice_id.in_(_practices_in_icb(icb_of_pcn)),
            ),
        )
    if role is Role.ICB_ANALYST:
        return and_(
            CaseExample.visibility == Visibility.ICB,
            CaseExample.practice_id.in_(_practices_in_icb(user.icb_id)),
        )
    return false()


def visible_case_example(session: Session, user: User, case_id: int) -> CaseExample | None:
    """The case example if `user` may read it, else None (the caller answers 404)."""
    return session.exec(
        select(CaseExample).where(CaseExample.id == case_id, case_example_filter(user))
    ).first()


# Collections and returns -------------------------------------------------------------------


def icb_collection(session: Session, user: User, collection_id: int) -> Collection | None:
    """A collection of the ICB analyst's or administrator's own ICB, to manage."""
    if user.role_enum not in ICB_ROLES or not user.is_active or user.icb_id is None:
        return None
    collection = session.get(Collection, collection_id)
    if collection is None or collection.icb_id != user.icb_id:
        return None
    return collection


def icb_collections(session: Session, user: User) -> list[Collection]:
    """The ICB's collections, newest first (ICB analysts and administrators)."""
    if user.role_enum not in ICB_ROLES or not user.is_active or user.icb_id is None:
        return []
    return list(
        session.exec(
            select(Collection)
            .where(Collection.icb_id == user.icb_id)
            .order_by(Collection.opens_on.desc(), Collection.id.desc())
        )
    )


def analyst_collection(session: Session, user: User, collection_id: int) -> Collection | None:
    """The collection whose submitted returns an ICB analyst may read.

    Only ICB analysts read practices' returns: administrators configure the service and,
    as with case examples, do not read its content.
    """
    if user.role_enum is not Role.ICB_ANALYST:
        return None
    return icb_collection(session, user, collection_id)


def led_pcn(session: Session, user: User) -> Pcn | None:
    """The PCN a PCN lead leads, or None for anyone else."""
    if user.role_enum is not Role.PCN_LEAD or not user.is_active or user.pcn_id is None:
        return None
    return session.get(Pcn, user.pcn_id)


def pcn_collections(session: Session, user: User) -> list[Collection]:
    """Collections whose submitted returns from member practices a PCN lead sees as PCN
    trends: every collection of the PCN's ICB."""
    pcn = led_pcn(session, user)
    if pcn is None:
        return []
    return list(session.exec(select(Collection).where(Collection.icb_id == pcn.icb_id)))


def pcn_former_members(session: Session, user: User) -> list[Practice]:
    """Practices that have left the PCN lead's PCN but submitted returns while in it:
    those returns stay with the PCN, so its trends keep them."""
    pcn = led_pcn(session, user)
    if pcn is None:
        return []
    submitted_here = select(PracticeReturn.practice_id).where(PracticeReturn.pcn_id == pcn.id)
    return list(
        session.exec(
            select(Practice).where(
                Practice.id.in_(submitted_here),
                or_(Practice.pcn_id.is_(None), Practice.pcn_id != pcn.id),
            )
        )
    )


def _icb_id_of_practice(session: Session, practice: Practice) -> int:
    return practice.icb_id


def open_collections(session: Session, user: User, today: date) -> list[Collection]:
    """Collections of the user's ICB that practices can answer now (opened, not closed),
    due first: for the practice's own users and for the ICB's analysts and administrators.
    A practice that has closed is not asked by collections opened after it closed."""
    if not user.is_active:
        return []
    practice = None
    if user.role_enum in ICB_ROLES:
        icb_id = user.icb_id
    else:
        practice = own_practice(session, user)
        icb_id = None if practice is None else _icb_id_of_practice(session, practice)
    if icb_id is None:
        return []
    statement = (
        select(Collection)
        .where(
            Collection.icb_id == icb_id,
            Collection.closed_at.is_(None),
            Collection.opens_on <= today,
        )
        .order_by(Collection.due_on, Collection.id)
    )
    if practice is not None and not practice.is_open and practice.closed_on is not None:
        statement = statement.where(Collection.opens_on <= practice.closed_on)
    return list(session.exec(statement))


def practice_collection(
    session: Session, user: User, collection_id: int, today: date
) -> Collection | None:
    """A collection of the practice's own ICB that the practice may see: open and not
    closed (and opened while the practice was), or one the practice answered."""
    practice = own_practice(session, user)
    if practice is None:
        return None
    collection = session.get(Collection, collection_id)
    if collection is None or collection.icb_id != _icb_id_of_practice(session, practice):
        return None
    if collection.opens_on > today:
        return None
    if collection.closed_at is not None or not practice.open_on(collection.opens_on):
        answered = session.exec(
            select(PracticeReturn.id).where(
                PracticeReturn.collection_id == collection.id,
                PracticeReturn.practice_id == practice.id,
            )
        ).first()
        if answered is None:
            return None
    return collection


# National-data imports ----------------------------------------------------------------------


def icb_import(session: Session, user: User, import_id: int) -> NationalImport | None:
    """An import of the ICB analyst's or administrator's own ICB, else None (404)."""
    if user.role_enum not in ICB_ROLES or not user.is_active or user.icb_id is None:
        return None
    found = session.get(NationalImport, import_id)
    if found is None or found.icb_id != user.icb_id:
        return None
    return found


def icb_imports(session: Session, user: User) -> list[NationalImport]:
    """The ICB's imports, newest first (ICB analysts and administrators)."""
    if user.role_enum not in ICB_ROLES or not user.is_active or user.icb_id is None:
        return []
    return list(
        session.exec(
            select(NationalImport)
            .where(NationalImport.icb_id == user.icb_id)
            .order_by(NationalImport.created_at.desc(), NationalImport.id.desc())
        )
    )


# The audit log ------------------------------------------------------------------------------


def audit_filter(icb_id: int) -> ColumnElement[bool]:
    """Events an administrator of the ICB may read: about its practices' data, its users,
    its collections and its national-data imports. Anything else (another ICB's) stays
    out."""
    pcns = select(Pcn.id).where(Pcn.icb_id == icb_id)
    practices = select(Practice.id).where(Practice.icb_id == icb_id)
    users = select(cast(User.id, String)).where(
        or_(User.icb_id == icb_id, User.pcn_id.in_(pcns), User.practice_id.in_(practices))
    )
    collections = select(cast(Collection.id, String)).where(Collection.icb_id == icb_id)
    imports = select(cast(NationalImport.id, String)).where(NationalImport.icb_id == icb_id)
    own_pcns = select(cast(Pcn.id, String)).where(Pcn.icb_id == icb_id)
    return or_(
        AuditEvent.practice_id.in_(practices),
        and_(
            AuditEvent.object_type.in_(("icb", "onboarding")), AuditEvent.object_id == str(icb_id)
        ),
        and_(AuditEvent.object_type == "pcn", AuditEvent.object_id.in_(own_pcns)),
        and_(AuditEvent.object_type == "user", AuditEvent.object_id.in_(users)),
        and_(AuditEvent.object_type == "collection", AuditEvent.object_id.in_(collections)),
        and_(AuditEvent.object_type == "national_import", AuditEvent.object_id.in_(imports)),
    )


# A PCN's published figures --------------------------------------------------------------------


def pcn_published_values(
    session: Session, user: User, *, item_id: str, period_code: str
) -> list[float]:
    """The published figures for one item and period of the other practices in the PCN
    of a practice user's practice, in ascending order and with nothing to say whose each
    one is: an import's figure where it stands, the published figure remembered beside
    the practice's own where the practice overrode it (or kept its own). Never a figure
    the practice typed; nothing for anyone but an active practice user of a practice in
    a PCN."""
    practice = own_practice(session, user)
    if practice is None or practice.pcn_id is None:
        return []
    peers = select(Practice.id).where(
        Practice.pcn_id == practice.pcn_id, Practice.id != practice.id
    )
    rows = session.exec(
        select(
            MetricValue.value_number,
            MetricValue.import_id,
            MetricValue.override_reason,
            MetricValue.published_number,
        ).where(
            MetricValue.practice_id.in_(peers),
            MetricValue.item_id == item_id,
            MetricValue.period_code == period_code,
            or_(MetricValue.import_id.is_not(None), MetricValue.published_number.is_not(None)),
        )
    )
    published = [_published(*row) for row in rows]  # the rule of `published_figures`
    return sorted(v for v in published if v is not None)
