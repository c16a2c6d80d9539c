"""The organisations people belong to: ICBs, their primary care networks (PCNs) and
their GP practices, each known by its ODS code.

`ensure_*` creates an organisation unless one with its ODS code already exists, so
onboarding an ICB (the fictional demo one, or a real one from NHS England's files) can
run again and change nothing. An existing organisation is returned as it is: whether
to bring its details up to date is the caller's decision, not a side effect of
onboarding. Each organisation created is written through `records.create`, so it has
its audit event like any other record.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, select

from monitor.models import Icb, Pcn, Practice, PracticePcnSpell, User
from monitor.services import records


def find_icb(session: Session, code: str) -> Icb | None:
    return session.exec(select(Icb).where(Icb.code == code)).first()


def find_pcn(session: Session, code: str) -> Pcn | None:
    return session.exec(select(Pcn).where(Pcn.code == code)).first()


def find_practice(session: Session, ods_code: str) -> Practice | None:
    return session.exec(select(Practice).where(Practice.ods_code == ods_code)).first()


def ensure_icb(
    session: Session, *, user: User | None, code: str, name: str, commit: bool = True
) -> tuple[Icb, bool]:
    """The ICB with ODS `code`, created if missing; and whether it was created."""
    if (icb := find_icb(session, code)) is not None:
        return icb, False
    icb = records.create(
        session,
        user=user,
        record=Icb(code=code, name=name),
        summary=f"Added the ICB {name} ({code})",
        commit=commit,
    )
    return icb, True


def ensure_pcn(
    session: Session,
    *,
    user: User | None,
    code: str,
    name: str,
    icb_id: int,
    source: str = "manual",
    confirmed_on: date | None = None,
    commit: bool = True,
) -> tuple[Pcn, bool]:
    """The PCN with ODS `code`, created in ICB `icb_id` if missing; and whether it was
    created."""
    if (pcn := find_pcn(session, code)) is not None:
        return pcn, False
    pcn = records.create(
        session,
        user=user,
        record=Pcn(code=code, name=name, icb_id=icb_id, source=source, confirmed_on=confirmed_on),
        summary=f"Added the PCN {name} ({code})",
        commit=commit,
    )
    return pcn, True


def ensure_practice(
    session: Session,
    *,
    user: User | None,
    ods_code: str,
    name: str,
    icb_id: int,
    pcn_id: int | None = None,
    source: str = "manual",
    confirmed_on: date | None = None,
    commit: bool = True,
    **details: Any,
) -> tuple[Practice, bool]:
    """The practice with `ods_code`, created in ICB `icb_id` (and PCN `pcn_id`, if it is
    in one) if missing; and whether it was created. `details` are other Practice fields
    (town, list_size, imd_decile, rurality, ...). A new practice shares nothing until it
    chooses to, and starts its first PCN spell."""
    if (practice := find_practice(session, ods_code)) is not None:
        return practice, False
    practice = records.create(
        session,
        user=user,
        record=Practice(
            ods_code=ods_code,
            name=name,
            icb_id=icb_id,
            pcn_id=pcn_id,
            source=source,
            confirmed_on=confirmed_on,
            **details,
        ),
        summary=f"Added the practice {name} ({ods_code})",
        commit=False,
    )
    session.add(PracticePcnSpell(practice_id=practice.id, pcn_id=pcn_id, source=source))
    if commit:
        session.commit()
    return practice, True
