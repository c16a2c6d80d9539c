"""Password hashing (argon2id) and the password policy.

The policy follows NCSC and NIST SP 800-63B: a minimum length and a deny-list of
common choices, and no composition rules.
"""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 12
MAX_LENGTH = 128

# Common passwords of 12 or more characters, plus choices specific to this service.
DENY_LIST = frozenset(
    {
        "123456789012",
        "1234567890123",
        "12345678901234",
        "qwertyuiopas",
        "qwertyuiop123",
        "qwerty123456",
        "password1234",
        "password12345",
        "password123!",
        "passwordpassword",
        "iloveyou1234",
        "welcome12345",
        "welcome123456",
        "letmein12345",
        "changeme1234",
        "changeme12345",
        "administrator",
        "abcdefghijkl",
        "abcd12345678",
        "aaaaaaaaaaaa",
        "111111111111",
        "000000000000",
        "football1234",
        "monkey123456",
        "sunshine1234",
        "nhspassword1",
        "nhspassword123",
        "healthequity",
        "healthequitypayment",
        "hepmonitor123",
        "practice1234",
        "practicemanager",
        "temporary123",
        "temppassword",
        "temppassword1",
    }
)


class PasswordPolicyError(ValueError):
    pass


def check_password_policy(password: str, *, email: str = "") -> None:
    """Raise PasswordPolicyError with a message for the person choosing the password."""
    if len(password) < MIN_LENGTH:
        raise PasswordPolicyError(f"Password must be {MIN_LENGTH} characters or more")
    if len(password) > MAX_LENGTH:
        raise PasswordPolicyError(f"Password must be {MAX_LENGTH} characters or fewer")
    folded = password.casefold()
    if folded in DENY_LIST or len(set(folded)) <= 2:
        raise PasswordPolicyError(
            "Choose a password that is harder to guess: this one is too common"
        )
    if email and folded in {email.casefold(), email.casefold().split("@")[0]}:
        raise PasswordPolicyError("Password must not be your email address")


class Passwords:
    """argon2id hashing with the cost set by configuration."""

    def __init__(self, *, time_cost: int = 3, memory_cost: int = 65536) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_cost, parallelism=1, type=Type.ID
        )
        # Verified against when the email is unknown, so timing does not reveal accounts.
        self._dummy_hash = self._hasher.hash("not-a-real-password-for-timing")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def burn_time(self, password: str) -> None:
        self.verify(self._dummy_hash, password)

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)
