"""The one place that decides which practices a signed-in user may reach.

Every route and service that returns practice data scopes its query through here.
Practice users reach their own practice; a PCN lead the PCN's member practices; ICB
analysts and administrators the practices in their ICB. (What each role may see *of*
a practice's data — shared items, submitted returns — narrows this further in the
services for that data.)
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false
from sqlmodel import Session, select
from sqlmodel.sql.expression import SelectOfScalar

from monitor.models import PRACTICE_ROLES, Pcn, Practice, Role, User


def practice_filter(user: User) -> ColumnElement[bool]:
    """A WHERE clause on Practice that keeps only what `user` may reach."""
    role = user.role_enum
    if not user.is_active:
        return false()
    if role in PRACTICE_ROLES:
        return Practice.id == user.practice_id
    if role is Role.PCN_LEAD:
        return Practice.pcn_id == user.pcn_id
    return Practice.pcn_id.in_(select(Pcn.id).where(Pcn.icb_id == user.icb_id))


def visible_practices(user: User) -> SelectOfScalar[Practice]:
    return select(Practice).where(practice_filter(user))


def list_practices(session: Session, user: User) -> list[Practice]:
    return list(session.exec(visible_practices(user).order_by(Practice.name)))


def get_practice(session: Session, user: User, practice_id: int) -> Practice | None:
    """The practice if `user` may reach it, else None (the caller answers 404)."""
    return session.exec(visible_practices(user).where(Practice.id == practice_id)).first()


def visible_pcns(session: Session, user: User) -> list[Pcn]:
    practice_pcns = select(Practice.pcn_id).where(practice_filter(user))
    return list(session.exec(select(Pcn).where(Pcn.id.in_(practice_pcns)).order_by(Pcn.name)))
