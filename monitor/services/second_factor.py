"""The second factor: TOTP codes from an authenticator app (RFC 6238) and one-time
recovery codes.

Required for ICB analysts and administrators, optional for everyone else
(`accounts.second_factor_required`). A code is accepted from the time step before to the
one after the server's (clocks drift), and never twice: the last step accepted is kept,
and only a later one is accepted after it. Wrong codes count towards the same lockout and
per-address limit as wrong passwords.

Recovery codes are 60 random bits each, stored as their SHA-256 digest. A slow password
hash protects guessable human choices; against a random 60-bit value it adds nothing
(nobody can try 2^60 guesses, even offline with the table), and a fast digest lets a
code be looked up and spent in one statement (so it cannot be spent twice), costs
nothing at sign-in, and does not depend on SECRET_KEY (rotating the key locks nobody
out).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from enum import Enum

import pyotp
from sqlalchemy import delete, update
from sqlmodel import Session, func, select

from monitor.core.clock import utcnow
from monitor.models import User
from monitor.models.users import RecoveryCode
from monitor.services import audit
from monitor.services.accounts import (
    AccountError,
    ThrottlePolicy,
    address_throttled,
    complete_sign_in,
    is_locked,
    new_session_token,
    record_failure,
)

ISSUER = "HEP Impact Monitor"
STEP_SECONDS = 30
DRIFT_STEPS = 1
RECOVERY_CODE_COUNT = 10
# Lower-case letters and digits without the ones people confuse (0/o, 1/l/i).
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_GROUPS = 3
RECOVERY_GROUP_LENGTH = 4  # 12 characters of 31: about 60 bits

WRONG_ENROLMENT_CODE = (
    "The code is not correct. Enter the 6-digit code your authenticator app shows now"
)


class CodeOutcome(Enum):
    SIGNED_IN = "signed_in"
    WRONG = "wrong"  # wrong code, or the account is locked: one message
    REUSED = "reused"  # a right code already used in its time step
    ADDRESS_THROTTLED = "address_throttled"


def new_secret() -> str:
    """A TOTP shared secret: 160 random bits in base32, as authenticator apps take it."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    """The otpauth:// address a QR code carries, naming the service and the account."""
    return pyotp.TOTP(secret, interval=STEP_SECONDS).provisioning_uri(
        name=email, issuer_name=ISSUER
    )


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def time_step(moment: datetime) -> int:
    return int(moment.timestamp()) // STEP_SECONDS


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.casefold() if ch.isalnum())


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step (within the allowed drift) whose code this is, or None."""
    code = normalise_code(code)
    # ASCII digits only: str.isdigit accepts "²", which compare_digest cannot compare.
    if len(code) != 6 or not (code.isascii() and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret, interval=STEP_SECONDS)
    current = time_step(now)
    found = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            found = step
    return found


def recovery_digest(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def _new_recovery_code() -> str:
    groups = (
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_GROUP_LENGTH))
        for _ in range(RECOVERY_GROUPS)
    )
    return "-".join(groups)


def _replace_recovery_codes(session: Session, user: User) -> list[str]:
    session.exec(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    for code in codes:
        session.add(RecoveryCode(user_id=user.id, code_hash=recovery_digest(code)))
    return codes


def recovery_codes_left(session: Session, user: User) -> int:
    return session.exec(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ).one()


def enrol(
    session: Session, *, user: User, secret: str, code: str, now: datetime | None = None
) -> list[str]:
    """Set up an authenticator app once the person has shown a code from it; replace any
    earlier one. Returns the new recovery codes, the only time they exist in plain text."""
    now = now or utcnow()
    step = _matching_step(secret, code, now)
    if step is None:
        raise AccountError("code", WRONG_ENROLMENT_CODE)
    replacing = user.totp_secret is not None
    user.totp_secret = secret
    user.totp_last_counter = step
    user.totp_enrolled_at = now
    user.second_factor_required = True
    session.add(user)
    codes = _replace_recovery_codes(session, user)
    audit.record(
        session,
        actor=user,
        action="enrol_second_factor",
        object_type="user",
        object_id=user.id,
        summary=(
            f"{user.email} {'replaced their' if replacing else 'set up an'} authenticator "
            f"app and received {RECOVERY_CODE_COUNT} recovery codes"
        ),
    )
    session.commit()
    return codes


def enrol_with_known_secret(session: Session, *, user: User, secret: str) -> None:
    """Set up a second factor with a secret given rather than shown: only for the demo's
    shared accounts, whose secrets are published so that anyone can try the demo. No code
    has been used yet and there are no recovery codes."""
    user.totp_secret = secret
    user.totp_last_counter = None
    user.totp_enrolled_at = utcnow()
    user.second_factor_required = True
    session.add(user)
    audit.record(
        session,
        actor=None,
        action="enrol_second_factor",
        object_type="user",
        object_id=user.id,
        summary=f"{user.email} was given the demo's published authenticator secret",
    )
    session.commit()


def new_recovery_codes(session: Session, *, user: User) -> list[str]:
    """Replace an enrolled person's recovery codes (the old ones stop working)."""
    if user.totp_secret is None:
        raise AccountError("code", "Set up an authenticator app first")
    codes = _replace_recovery_codes(session, user)
    audit.record(
        session,
        actor=user,
        action="new_recovery_codes",
        object_type="user",
        object_id=user.id,
        summary=f"{user.email} replaced their recovery codes",
    )
    session.commit()
    return codes


def sign_in_with_code(
    session: Session,
    *,
    user: User,
    code: str,
    address: str,
    policy: ThrottlePolicy,
    now: datetime | None = None,
) -> CodeOutcome:
    """The second step of signing in: a code from the app, or an unused recovery code.
    The caller has checked the password and the session this step belongs to."""
    now = now or utcnow()
    if address_throttled(session, address=address, policy=policy, now=now):
        return CodeOutcome.ADDRESS_THROTTLED
    if is_locked(user, now) or user.totp_secret is None:
        record_failure(session, user=user, address=address, policy=policy, now=now)
        session.commit()
        return CodeOutcome.WRONG
    step = _matching_step(user.totp_secret, code, now)
    if step is not None and (user.totp_last_counter is None or step > user.totp_last_counter):
        user.totp_last_counter = step
        complete_sign_in(session, user=user, now=now, how="with an authenticator code")
        return CodeOutcome.SIGNED_IN
    if step is not None:
        record_failure(session, user=user, address=address, policy=policy, now=now)
        session.commit()
        return CodeOutcome.REUSED
    if _spend_recovery_code(session, user=user, code=code, now=now):
        left = recovery_codes_left(session, user)
        complete_sign_in(session, user=user, now=now, how=f"with a recovery code ({left} left)")
        return CodeOutcome.SIGNED_IN
    record_failure(session, user=user, address=address, policy=policy, now=now)
    session.commit()
    return CodeOutcome.WRONG


def _spend_recovery_code(session: Session, *, user: User, code: str, now: datetime) -> bool:
    """Mark the code used if it is this person's and unused, in one statement: two
    requests racing with the same code cannot both succeed."""
    if len(normalise_code(code)) != RECOVERY_GROUPS * RECOVERY_GROUP_LENGTH:
        return False
    spent = session.exec(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == recovery_digest(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
    )
    return spent.rowcount == 1


def reset(session: Session, *, actor: User, user: User) -> None:
    """An administrator removes someone's authenticator app and recovery codes (a lost
    phone): they are signed out everywhere and must set up a new app when they next sign
    in. The caller has checked that `user` is in the administrator's ICB."""
    if user.id == actor.id:
        raise AccountError(
            "user",
            "You cannot reset your own second factor. Set up a new authenticator app "
            "from Your account, or ask another administrator",
        )
    had_app = user.totp_secret is not None
    user.totp_secret = None
    user.totp_last_counter = None
    user.totp_enrolled_at = None
    user.second_factor_required = True
    user.session_token = new_session_token()
    session.add(user)
    session.exec(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    audit.record(
        session,
        actor=actor,
        action="reset_second_factor",
        object_type="user",
        object_id=user.id,
        summary=(
            f"Reset the second factor of {user.email}"
            f"{'' if had_app else ' (none was set up)'}: they must set up an "
            "authenticator app when they next sign in"
        ),
    )
    session.commit()
