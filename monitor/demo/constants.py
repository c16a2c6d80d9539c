"""Who is in the demo: one ICB, 3 PCNs, 10 practices and a user for every role.

Practices are spread like the HEP evaluation's sample: high, medium and low deprivation;
small to very large lists; city, suburb and county. ODS codes begin with Z, which NHS
England does not issue to GP practices, so they cannot be mistaken for real ones.

Every other demo module reads the cast from here, and this module imports no other
demo module, so the loaders never import one another in a circle.
"""

from __future__ import annotations

from dataclasses import dataclass

from monitor.models import Role

DEMO_PASSWORD = "demo-password-2026"

# The demo's analyst and administrator must sign in with an authenticator code, as the
# real roles must. These secrets are published (`monitor demo-sign-ins` prints them) so
# anyone trying the demo can add them to an authenticator app: they exist only here.
DEMO_TOTP_SECRETS = {
    "analyst@icb.example": "WTBCKD4CBN25JMBHSXVL2BDW2ROH6F23",
    "admin@icb.example": "6MLDSZG4RP6UYR7A4TQ42FFZXPO6PHCH",
}

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
PRACTICE_CODES = tuple(ods for ods, *_ in PRACTICES)


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
