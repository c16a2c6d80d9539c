"""Password hashing (argon2id) and the password policy.

The policy follows NCSC and NIST SP 800-63B: a minimum length and a deny-list of
common choices, and no composition rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

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


# The service's own name and what people call it (ASVS V6.2.11 context words).
SERVICE_WORDS = ("HEP Impact Monitor", "Health Equity Payment", "NHS")

# A context word shorter than this is not used to build a password out of words: "pm" or
# a single letter would make every password refused.
_MIN_CONTEXT_TOKEN = 3

CONTEXT_MESSAGE = (
    "Choose a password that is not made from your name, your email address, your "
    "organisation's name or code, or the name of this service"
)


class PasswordPolicyError(ValueError):
    pass


def _alphanumeric(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _letters(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalpha())


def context_tokens(words: Iterable[str]) -> frozenset[str]:
    """The pieces a guesser who knows these words would try: each phrase whole and each
    word of it, case-folded, with punctuation (and, separately, digits) taken out."""
    tokens: set[str] = set()
    for phrase in words:
        if not phrase:
            continue
        parts = [phrase, *re.split(r"[^\w]+|_", phrase)]
        for part in parts:
            for token in (_alphanumeric(part), _letters(part)):
                if len(token) >= _MIN_CONTEXT_TOKEN:
                    tokens.add(token)
    return frozenset(tokens)


def _made_of(text: str, tokens: frozenset[str]) -> bool:
    """Whether `text` is one or more tokens end to end ("hepmonitor", "highfieldshighfields")."""
    if not text:
        return False
    lengths = sorted({len(token) for token in tokens})
    reachable = [True] + [False] * len(text)
    for end in range(1, len(text) + 1):
        reachable[end] = any(
            size <= end and reachable[end - size] and text[end - size : end] in tokens
            for size in lengths
        )
    return reachable[-1]


def check_password_policy(password: str, *, email: str = "", context: Iterable[str] = ()) -> None:
    """Raise PasswordPolicyError with a message for the person choosing the password.

    `context` holds the words a guesser who knows the person would try first: their name
    and their organisation's name and code. The email address and the service's name are
    always context. A password made only of them (ignoring case, and ignoring the digits
    and punctuation added to pad it out) is refused.
    """
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
    tokens = context_tokens([email, *context, *SERVICE_WORDS])
    if _made_of(_alphanumeric(password), tokens) or _made_of(_letters(password), tokens):
        raise PasswordPolicyError(CONTEXT_MESSAGE)


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
