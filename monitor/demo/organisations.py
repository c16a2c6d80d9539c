"""The demo's ICB, PCNs, practices and users (see monitor.demo.constants for who they are),
created as an administrator onboarding an ICB would create them: the organisations
through monitor.services.organisations, each person through accounts.create_user, so
every one has the same audit event a real one would.

Loading is idempotent: organisations are matched by ODS code and users by email, and
whatever already exists is left as it is.
"""

from __future__ import annotations

from sqlmodel import Session

from monitor.demo.constants import DEMO_PASSWORD, DEMO_TOTP_SECRETS, ICB, PCNS, PRACTICES, USERS
from monitor.models import User
from monitor.services import accounts, organisations, second_factor
from monitor.services.passwords import Passwords


def load_demo(session: Session, passwords: Passwords) -> dict[str, int]:
    """Create whatever demo organisations and users are missing; return how many of each
    were added."""
    added = {"icb": 0, "pcn": 0, "practice": 0, "user": 0}
    icb, created = organisations.ensure_icb(session, user=None, **ICB)
    added["icb"] += created
    ids: dict[str, dict[str, int]] = {"icb": {icb.code: icb.id}, "pcn": {}, "practice": {}}
    for spec in PCNS:
        pcn, created = organisations.ensure_pcn(session, user=None, icb_id=icb.id, **spec)
        added["pcn"] += created
        ids["pcn"][pcn.code] = pcn.id
    for ods, name, pcn_code, town, list_size, decile, rurality in PRACTICES:
        practice, created = organisations.ensure_practice(
            session,
            user=None,
            ods_code=ods,
            name=name,
            icb_id=icb.id,
            pcn_id=ids["pcn"][pcn_code],
            source="demo",
            town=town,
            list_size=list_size,
            imd_decile=decile,
            rurality=rurality,
        )
        added["practice"] += created
        ids["practice"][ods] = practice.id
    for spec in USERS:
        existing = accounts.find_by_email(session, spec.email)
        if existing is not None:
            _enrol_demo_second_factor(session, existing)
            continue
        user = accounts.create_user(
            session,
            actor=None,
            passwords=passwords,
            email=spec.email,
            display_name=spec.display_name,
            role=spec.role,
            organisation_id=ids[spec.role.organisation_kind][spec.organisation],
            password=DEMO_PASSWORD,
            # Demo accounts are shared and printed on the screen: nobody should have to
            # choose a new password before looking round.
            temporary=False,
        )
        _enrol_demo_second_factor(session, user)
        added["user"] += 1
    return added


def _enrol_demo_second_factor(session: Session, user: User) -> None:
    """The analyst and administrator get the demo's published authenticator secret, unless
    they have one already (someone trying the demo may have set up their own)."""
    secret = DEMO_TOTP_SECRETS.get(user.email)
    if secret and user.totp_secret is None:
        second_factor.enrol_with_known_secret(session, user=user, secret=secret)
