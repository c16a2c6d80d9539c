"""People: create, sign in (with throttling), sign out, passwords, deactivate."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import delete, func
from sqlmodel import Session, select

from monitor.core.clock import utcnow
from monitor.models import Icb, Pcn, Practice, Role, SignInFailure, User
from monitor.services import audit, records
from monitor.services.passwords import Passwords, check_password_policy

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AccountError(ValueError):
    """A problem with submitted account details; `field` names the form field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class ThrottlePolicy:
    lockout_threshold: int = 10
    lockout_period: timedelta = timedelta(minutes=15)
    address_failure_limit: int = 30
    address_failure_window: timedelta = timedelta(minutes=15)


class SignInOutcome(Enum):
    SIGNED_IN = "signed_in"
    # The password was right; an authenticator code (or a recovery code) comes next.
    SECOND_FACTOR = "second_factor"
    # The password was right; this person must set up an authenticator app first.
    ENROL_SECOND_FACTOR = "enrol_second_factor"
    FAILED = "failed"  # unknown email, wrong password, locked or deactivated: one message
    ADDRESS_THROTTLED = "address_throttled"


# Roles that hold ICB-wide data or configure the service: a second factor is required.
SECOND_FACTOR_ROLES = frozenset({Role.ICB_ANALYST, Role.ADMIN})


def second_factor_required(user: User) -> bool:
    """Whether this person must sign in with a second factor: their role requires one, or
    they set one up (so losing it, and an administrator's reset, cannot quietly remove it)."""
    return user.role_enum in SECOND_FACTOR_ROLES or user.second_factor_required


@dataclass(frozen=True)
class SignInResult:
    outcome: SignInOutcome
    user: User | None = None


def normalise_email(email: str) -> str:
    return email.strip().lower()


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def find_by_email(session: Session, email: str) -> User | None:
    if "\x00" in email:  # no account's; PostgreSQL refuses a NUL in a query (a 500)
        return None
    return session.exec(select(User).where(User.email == normalise_email(email))).first()


def sign_in(
    session: Session,
    *,
    email: str,
    password: str,
    address: str,
    passwords: Passwords,
    policy: ThrottlePolicy,
    now: datetime | None = None,
) -> SignInResult:
    """Check credentials, applying the per-account lockout and per-address limit.

    Every outcome costs one password verification (against a dummy hash where there is
    no account to check), so its timing tells nothing about which one it was."""
    now = now or utcnow()
    if address_throttled(session, address=address, policy=policy, now=now):
        passwords.burn_time(password)
        return SignInResult(SignInOutcome.ADDRESS_THROTTLED)

    user = find_by_email(session, email)
    if user is None or not user.is_active:
        passwords.burn_time(password)
        record_failure(session, user=None, address=address, policy=policy, now=now)
        session.commit()
        return SignInResult(SignInOutcome.FAILED)

    # Verified even when locked, and the result ignored: a locked account must take as
    # long to answer as a wrong password, or timing tells which accounts are locked.
    correct = passwords.verify(user.password_hash, password)
    if is_locked(user, now) or not correct:
        record_failure(session, user=user, address=address, policy=policy, now=now)
        session.commit()
        return SignInResult(SignInOutcome.FAILED)

    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash(password)
        session.add(user)
    if user.totp_secret or second_factor_required(user):
        # The failure count is kept until the second step is passed too: a right password
        # must not give someone guessing codes a fresh set of attempts.
        session.commit()
        outcome = (
            SignInOutcome.SECOND_FACTOR if user.totp_secret else SignInOutcome.ENROL_SECOND_FACTOR
        )
        return SignInResult(outcome, user)
    return complete_sign_in(session, user=user, now=now)


def is_locked(user: User, now: datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


def address_throttled(
    session: Session, *, address: str, policy: ThrottlePolicy, now: datetime
) -> bool:
    """Whether this network address has failed too often lately (passwords and codes)."""
    recent_failures = session.exec(
        select(func.count())
        .select_from(SignInFailure)
        .where(
            SignInFailure.address == address,
            SignInFailure.at >= now - policy.address_failure_window,
        )
    ).one()
    return recent_failures >= policy.address_failure_limit


def record_failure(
    session: Session, *, user: User | None, address: str, policy: ThrottlePolicy, now: datetime
) -> None:
    """A wrong password or code: counted against the address and, unless it is already
    locked, the account, which locks after `lockout_threshold` in a row (audited)."""
    session.exec(
        delete(SignInFailure).where(
            SignInFailure.address == address,
            SignInFailure.at < now - policy.address_failure_window,
        )
    )
    session.add(SignInFailure(address=address, at=now))
    if user is None or is_locked(user, now):
        return
    user.failed_sign_ins += 1
    if user.failed_sign_ins >= policy.lockout_threshold:
        user.failed_sign_ins = 0
        user.locked_until = now + policy.lockout_period
        audit.record(
            session,
            actor=None,
            action="account_locked",
            object_type="user",
            object_id=user.id,
            summary=f"{user.email} locked after {policy.lockout_threshold} failed sign-ins",
        )
    session.add(user)


def complete_sign_in(session: Session, *, user: User, now: datetime, how: str = "") -> SignInResult:
    """Every step passed: clear the failure count and record the sign-in."""
    user.failed_sign_ins = 0
    user.locked_until = None
    user.last_sign_in_at = now
    session.add(user)
    audit.record(
        session,
        actor=user,
        action="sign_in",
        object_type="user",
        object_id=user.id,
        summary=f"{user.email} signed in{' ' + how if how else ''}",
    )
    session.commit()
    return SignInResult(SignInOutcome.SIGNED_IN, user)


def sign_out(session: Session, user: User) -> None:
    """End every copy of the session: the token in the cookie no longer matches."""
    user.session_token = new_session_token()
    session.add(user)
    audit.record(
        session,
        actor=user,
        action="sign_out",
        object_type="user",
        object_id=user.id,
        summary=f"{user.email} signed out",
    )
    session.commit()


def load_session_user(session: Session, session_id: str) -> User | None:
    """The user for a session id "<id>:<token>", or None if it has been revoked."""
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = session.get(User, int(user_id))
    if user is None or not user.is_active:
        return None
    if not secrets.compare_digest(user.session_token, token):
        return None
    return user


def _icb_of(session: Session, kind: str, organisation_id: int) -> int | None:
    if kind == "icb":
        return organisation_id if session.get(Icb, organisation_id) else None
    if kind == "pcn":
        pcn = session.get(Pcn, organisation_id)
        return pcn.icb_id if pcn else None
    practice = session.get(Practice, organisation_id)
    return practice.icb_id if practice else None


def _organisation_fields(
    session: Session, actor: User | None, role: Role, organisation_id: int | None
) -> dict:
    """The organisation columns for a role; an administrator stays within their ICB."""
    kind = role.organisation_kind
    icb_id = _icb_of(session, kind, organisation_id) if organisation_id else None
    if icb_id is None or (actor is not None and icb_id != actor.icb_id):
        noun = {"practice": "practice", "pcn": "PCN", "icb": "ICB"}[kind]
        raise AccountError("organisation", f"Select the {noun} this person works for")
    fields = {"practice_id": None, "pcn_id": None, "icb_id": None}
    fields[f"{kind}_id"] = organisation_id
    return fields


def password_context(
    session: Session,
    *,
    display_name: str,
    practice_id: int | None = None,
    pcn_id: int | None = None,
    icb_id: int | None = None,
) -> list[str]:
    """Words a password must not be made from: the person's name and their organisation's
    name and code (with the email address and the service's name, which the policy adds)."""
    words = [display_name]
    for model, organisation_id in ((Practice, practice_id), (Pcn, pcn_id), (Icb, icb_id)):
        organisation = session.get(model, organisation_id) if organisation_id else None
        if organisation is not None:
            code = organisation.ods_code if model is Practice else organisation.code
            words += [organisation.name, code]
    return words


def _check_password(session: Session, password: str, *, field: str, **person) -> None:
    """The password policy for this person, as an AccountError on `field`."""
    email = person.pop("email")
    try:
        check_password_policy(password, email=email, context=password_context(session, **person))
    except ValueError as exc:
        raise AccountError(field, str(exc)) from None


def _person(user: User) -> dict:
    return {
        "email": user.email,
        "display_name": user.display_name,
        "practice_id": user.practice_id,
        "pcn_id": user.pcn_id,
        "icb_id": user.icb_id,
    }


def create_user(
    session: Session,
    *,
    actor: User | None,
    passwords: Passwords,
    email: str,
    display_name: str,
    role: Role | str,
    organisation_id: int | None,
    password: str,
    temporary: bool = True,
) -> User:
    """Create a user. With `temporary`, they must choose a new password at first sign-in."""
    email = normalise_email(email)
    display_name = display_name.strip()
    if not EMAIL.match(email):
        raise AccountError(
            "email", "Enter an email address in the correct format, like name@example.nhs.uk"
        )
    if find_by_email(session, email) is not None:
        raise AccountError("email", "A user with this email address already exists")
    if not display_name:
        raise AccountError("display_name", "Enter the person's name")
    try:
        role = Role(role)
    except ValueError:
        raise AccountError("role", "Select a role") from None
    org = _organisation_fields(session, actor, role, organisation_id)
    _check_password(
        session, password, field="password", email=email, display_name=display_name, **org
    )
    user = User(
        email=email,
        display_name=display_name,
        role=role.value,
        password_hash=passwords.hash(password),
        session_token=new_session_token(),
        must_change_password=temporary,
        **org,
    )
    return records.create(
        session, user=actor, record=user, summary=f"Created {role.label.lower()} {email}"
    )


def change_password(
    session: Session,
    *,
    user: User,
    passwords: Passwords,
    current_password: str,
    new_password: str,
) -> None:
    if not passwords.verify(user.password_hash, current_password):
        raise AccountError("current_password", "Your current password is not correct")
    _check_password(session, new_password, field="new_password", **_person(user))
    if passwords.verify(user.password_hash, new_password):
        raise AccountError("new_password", "Choose a password different from your current one")
    user.password_hash = passwords.hash(new_password)
    user.must_change_password = False
    user.session_token = new_session_token()  # other sessions end; the caller signs in again
    session.add(user)
    audit.record(
        session,
        actor=user,
        action="change_password",
        object_type="user",
        object_id=user.id,
        summary=f"{user.email} changed their password",
    )
    session.commit()


def set_temporary_password(
    session: Session, *, actor: User, user: User, passwords: Passwords, password: str
) -> None:
    _check_password(session, password, field="password", **_person(user))
    records.update_fields(
        session,
        user=actor,
        record=user,
        changes={
            "password_hash": passwords.hash(password),
            "must_change_password": True,
            "failed_sign_ins": 0,
            "locked_until": None,
            "session_token": new_session_token(),
        },
        expected_version=None,
        summary=f"Set a temporary password for {user.email}",
        action="set_temporary_password",
        always_record=True,
    )


def set_active(session: Session, *, actor: User, user: User, active: bool) -> None:
    if user.id == actor.id and not active:
        raise AccountError("user", "You cannot deactivate your own account")
    if user.is_active == active:
        return
    records.update_fields(
        session,
        user=actor,
        record=user,
        changes={"is_active": active, "session_token": new_session_token()},
        expected_version=None,
        summary=f"{'Reactivated' if active else 'Deactivated'} {user.email}",
        action="reactivate" if active else "deactivate",
    )


def _managed_by(actor: User):
    """Users in organisations of the administrator's ICB."""
    in_icb_pcns = select(Pcn.id).where(Pcn.icb_id == actor.icb_id)
    in_icb_practices = select(Practice.id).where(Practice.icb_id == actor.icb_id)
    return (
        (User.icb_id == actor.icb_id)
        | User.pcn_id.in_(in_icb_pcns)
        | User.practice_id.in_(in_icb_practices)
    )


def list_users(session: Session, *, actor: User) -> list[User]:
    statement = (
        select(User)
        .where(_managed_by(actor))
        .order_by(User.is_active.desc(), User.display_name, User.id)
    )
    return list(session.exec(statement))


def get_managed_user(session: Session, *, actor: User, user_id: int) -> User | None:
    return session.exec(select(User).where(_managed_by(actor), User.id == user_id)).first()
