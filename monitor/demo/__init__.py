"""Fictional demonstration data: an ICB with its PCNs, practices and people, five years
of practice records, returns to the ICB's collections and case examples.

Every loader writes through the services a person's actions use, so the demo data has
the same audit trail and obeys the same rules as real data. Loading is idempotent and
deterministic: run it again and nothing changes.

constants     who is in the demo (imports no other demo module)
organisations the ICB, PCNs, practices and users
records       figures, allocations, staffing, spending and interventions
returns       collections and the practices' returns
cases         case examples
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from monitor.demo.cases import load_demo_case_examples
from monitor.demo.constants import (
    DEMO_PASSWORD,
    DEMO_TOTP_SECRETS,
    ICB,
    PCNS,
    PRACTICES,
    USERS,
    DemoUser,
)
from monitor.demo.organisations import load_demo
from monitor.demo.records import load_demo_records
from monitor.demo.returns import load_demo_returns
from monitor.services.passwords import Passwords

__all__ = [
    "DEMO_PASSWORD",
    "DEMO_TOTP_SECRETS",
    "ICB",
    "PCNS",
    "PRACTICES",
    "USERS",
    "DemoUser",
    "load_all_demo_data",
    "load_demo",
]


def load_all_demo_data(session: Session, passwords: Passwords, *, today: date) -> dict[str, int]:
    """Organisations and users, then five years of records, then what practices share:
    returns to the ICB's collections and case examples. Returns how many of each kind of
    thing were added."""
    added = load_demo(session, passwords)
    added.update(load_demo_records(session, today=today))
    added.update(load_demo_returns(session, today))
    added.update(load_demo_case_examples(session))
    return added
