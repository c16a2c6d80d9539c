"""Fictional demonstration data: one ICB, 3 PCNs, 10 practices and a user for every role.

Practices are spread like the HEP evaluation's sample: high, medium and low deprivation;
small to very large lists; city, suburb and county. ODS codes begin with Z, which NHS
England does not issue to GP practices, so they cannot be mistaken for real ones.
Loading is idempotent: rows are matched by their natural keys and left as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from monitor.models import Icb, Pcn, Practice, Role, User
from monitor.services import audit
from monitor.services.accounts import new_session_token
from monitor.services.passwords import Passwords

DEMO_PASSWORD = "demo-password-2026"

ICB = {"code": "QZ9", "name": "NHS Soar Valley Integrated Care Board (demo)"}

PCNS = [
    {"code": "U99001", "name": "Riverside City PCN"},
    {"code": "U99002", "name": "Soar Valley Suburbs PCN"},
    {"code": "U99003", "name": "Rutland and Wolds PCN"},
]

# (ODS, name, PCN code, town, list size, IMD decile, rurality)
PRACTICES = [
    ("Z00001", "Highfields Medical Centre", "U99001", "Leicester", 14200, 1, "urban"),
    ("Z00002", "Belgrave Road Surgery", "U99001", "Leicester", 9800, 1, "urban"),
    ("Z00003", "Spinney Hill Health Centre", "U99001", "Leicester", 21500, 2, "urban"),
    ("Z00004", "Aylestone Family Practice", "U99001", "Leicester", 6400, 4, "urban"),
    ("Z00005", "Wigston Lane Surgery", "U99002", "Wigston", 11300, 5, "urban"),
    ("Z00006", "Birstall Medical Practice", "U99002", "Birstall", 8700, 6, "urban"),
    ("Z00007", "Loughborough Road Health Centre", "U99002", "Loughborough", 17900, 3, "urban"),
    ("Z00008", "Oakham Market Surgery", "U99003", "Oakham", 12600, 8, "rural"),
    ("Z00009", "Melton Vale Practice", "U99003", "Melton Mowbray", 15200, 7, "urban"),
    ("Z00010", "Wolds Village Surgery", "U99003", "Waltham on the Wolds", 2900, 9, "rural"),
]


@dataclass(frozen=True)
class DemoUser:
    email: str
    display_name: str
    role: Role
    organisation: str  # ODS code of the practice, PCN or ICB

    @property
    def description(self) -> str:
        names = {ICB["code"]: ICB["name"]}
        names.update({pcn["code"]: pcn["name"] for pcn in PCNS})
        names.update({ods: name for ods, name, *_ in PRACTICES})
        return f"{self.role.label}, {names[self.organisation]}"


USERS = [
    DemoUser("pm@highfields.example", "Priya Mistry", Role.PRACTICE_EDITOR, "Z00001"),
    DemoUser("viewer@highfields.example", "Sam Okafor", Role.PRACTICE_VIEWER, "Z00001"),
    DemoUser("pm@oakham.example", "Gareth Hughes", Role.PRACTICE_EDITOR, "Z00008"),
    DemoUser("pm@wigston.example", "Helen Clarke", Role.PRACTICE_EDITOR, "Z00005"),
    DemoUser("lead@riverside-pcn.example", "Dr Amina Patel", Role.PCN_LEAD, "U99001"),
    DemoUser("analyst@icb.example", "Jo Whitfield", Role.ICB_ANALYST, "QZ9"),
    DemoUser("admin@icb.example", "Chris Bell", Role.ADMIN, "QZ9"),
]


def load_demo(session: Session, passwords: Passwords) -> dict[str, int]:
    """Create whatever demo rows are missing; return how many of each were added."""
    added = {"icb": 0, "pcn": 0, "practice": 0, "user": 0}
    icb = session.exec(select(Icb).where(Icb.code == ICB["code"])).first()
    if icb is None:
        icb = Icb(**ICB)
        session.add(icb)
        session.flush()
        added["icb"] += 1
    pcns: dict[str, Pcn] = {}
    for spec in PCNS:
        pcn = session.exec(select(Pcn).where(Pcn.code == spec["code"])).first()
        if pcn is None:
            pcn = Pcn(icb_id=icb.id, **spec)
            session.add(pcn)
            session.flush()
            added["pcn"] += 1
        pcns[pcn.code] = pcn
    practices: dict[str, Practice] = {}
    for ods, name, pcn_code, town, list_size, decile, rurality in PRACTICES:
        practice = session.exec(select(Practice).where(Practice.ods_code == ods)).first()
        if practice is None:
            practice = Practice(
                ods_code=ods,
                name=name,
                pcn_id=pcns[pcn_code].id,
                town=town,
                list_size=list_size,
                imd_decile=decile,
                rurality=rurality,
            )
            session.add(practice)
            session.flush()
            added["practice"] += 1
        practices[ods] = practice
    password_hash = None
    for spec in USERS:
        if session.exec(select(User).where(User.email == spec.email)).first() is not None:
            continue
        password_hash = password_hash or passwords.hash(DEMO_PASSWORD)
        kind = spec.role.organisation_kind
        org_id = {
            "practice": lambda code: practices[code].id,
            "pcn": lambda code: pcns[code].id,
            "icb": lambda code: icb.id,
        }[kind](spec.organisation)
        user = User(
            email=spec.email,
            display_name=spec.display_name,
            role=spec.role.value,
            password_hash=password_hash,
            session_token=new_session_token(),
            **{f"{kind}_id": org_id},
        )
        session.add(user)
        session.flush()
        audit.record(
            session,
            actor=None,
            action="create",
            object_type="user",
            object_id=user.id,
            summary=f"Demo data: created {spec.role.label.lower()} {spec.email}",
            after=audit.snapshot(user),
        )
        added["user"] += 1
    session.commit()
    return added


def load_all_demo_data(session: Session, passwords: Passwords, *, today: date) -> dict[str, int]:
    """Organisations and users, then five years of records, then what practices share:
    returns to the ICB's collections and case examples."""
    from monitor.demo_cases import load_demo_case_examples
    from monitor.demo_records import load_demo_records
    from monitor.demo_returns import load_demo_returns

    added = load_demo(session, passwords)
    added.update(load_demo_records(session, today=today))
    added.update(load_demo_returns(session, today))
    added.update(load_demo_case_examples(session))
    return added
