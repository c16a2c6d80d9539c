"""People who sign in, their role and the organisation the role applies to."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

import monitor.models.base  # noqa: F401  (naming convention first)
from monitor.core.clock import utcnow


class Role(StrEnum):
    PRACTICE_EDITOR = "practice_editor"
    PRACTICE_VIEWER = "practice_viewer"
    PCN_LEAD = "pcn_lead"
    ICB_ANALYST = "icb_analyst"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]

    @property
    def organisation_kind(self) -> str:
        """Which organisation a user in this role belongs to: practice, pcn or icb."""
        if self in (Role.PRACTICE_EDITOR, Role.PRACTICE_VIEWER):
            return "practice"
        if self is Role.PCN_LEAD:
            return "pcn"
        return "icb"


ROLE_LABELS = {
    Role.PRACTICE_EDITOR: "Practice editor",
    Role.PRACTICE_VIEWER: "Practice viewer",
    Role.PCN_LEAD: "PCN lead",
    Role.ICB_ANALYST: "ICB analyst",
    Role.ADMIN: "Administrator",
}

PRACTICE_ROLES = frozenset({Role.PRACTICE_EDITOR, Role.PRACTICE_VIEWER})


class UserBase(SQLModel):
    email: str = Field(max_length=254, unique=True, index=True)
    display_name: str = Field(max_length=100)
    role: str = Field(max_length=20)
    practice_id: int | None = Field(default=None, foreign_key="practice.id", index=True)
    pcn_id: int | None = Field(default=None, foreign_key="pcn.id", index=True)
    icb_id: int | None = Field(default=None, foreign_key="icb.id", index=True)


class User(UserBase, table=True):
    __tablename__ = "app_user"  # "user" is reserved in PostgreSQL
    __table_args__ = (
        CheckConstraint(
            "role IN ('practice_editor', 'practice_viewer', 'pcn_lead', 'icb_analyst', 'admin')",
            name="ck_user_role",
        ),
        # Exactly the organisation the role needs, and no other.
        CheckConstraint(
            "(role IN ('practice_editor', 'practice_viewer') AND practice_id IS NOT NULL"
            " AND pcn_id IS NULL AND icb_id IS NULL)"
            " OR (role = 'pcn_lead' AND pcn_id IS NOT NULL"
            " AND practice_id IS NULL AND icb_id IS NULL)"
            " OR (role IN ('icb_analyst', 'admin') AND icb_id IS NOT NULL"
            " AND practice_id IS NULL AND pcn_id IS NULL)",
            name="ck_user_organisation",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    password_hash: str = Field(max_length=200)
    is_active: bool = Field(default=True)
    must_change_password: bool = Field(default=False)
    # Rotated on sign-out and password change: a session cookie carries it, so a
    # copied cookie stops working the moment the session ends.
    session_token: str = Field(max_length=64)
    failed_sign_ins: int = Field(default=0)
    locked_until: datetime | None = Field(default=None)
    last_sign_in_at: datetime | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow)
    # The second factor (monitor.services.second_factor): the TOTP shared secret (base32)
    # once enrolled, the time step of the last code accepted (a code is never accepted
    # twice), and whether this person must have one whatever their role: set when they
    # enrol, so an administrator's reset makes them enrol again.
    totp_secret: str | None = Field(default=None, max_length=64)
    totp_last_counter: int | None = Field(default=None)
    totp_enrolled_at: datetime | None = Field(default=None)
    second_factor_required: bool = Field(default=False)

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    # flask-login protocol, written out so the session id carries the token.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"


class SignInFailure(SQLModel, table=True):
    """A failed sign-in from a network address, for the per-address limit."""

    __tablename__ = "sign_in_failure"

    id: int | None = Field(default=None, primary_key=True)
    address: str = Field(max_length=64, index=True)
    at: datetime = Field(default_factory=utcnow, index=True)


class RecoveryCode(SQLModel, table=True):
    """A one-time code that stands in for the authenticator app, stored as its SHA-256
    digest and spent (used_at) when used."""

    __tablename__ = "recovery_code"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    code_hash: str = Field(max_length=64)
    used_at: datetime | None = Field(default=None)
