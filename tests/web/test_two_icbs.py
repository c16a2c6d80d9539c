"""Two ICBs in one database: nothing of one is reachable from the other.

Two ICBs are seeded alike, each with a PCN of three practices, a user of every role, and
records in every shape a page, chart, export or log can show: the ICB's, PCN's,
practices' and users' names, a HEP allocation, spending, a staffing change, an
intervention, figures typed and figures a national import filled, a case example shared
ICB-wide, a collection with three submitted returns, a national-data import, and the
audit events of all of it. Every one carries a sentinel (a string, or a number in the
forms pages and files write it) found nowhere else.

Signed in as each role of one ICB, the crawl fetches every GET route in the URL map
(not a hand-kept list, so a new route is crawled the day it is added), its ids filled
from both ICBs in turn. With the other ICB's ids every answer is 403 or 404; with its
own, anything but a server error. No body — page, SVG, CSV, JSON, every XML part of a
workbook, the text of a PDF, every member of a zip — holds a sentinel of the other ICB.
Each role must meet its own ICB's sentinels somewhere, so a crawl that only ever reached
the sign-in page fails. Both directions are crawled, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlmodel import Session
from werkzeug.routing import IntegerConverter

from monitor.core.checklist import template_used_by
from monitor.models import Collection, Role, Visibility
from monitor.services import audit, case_examples, collections
from tests.factories import (
    make_allocation,
    make_icb,
    make_imported_value,
    make_intervention,
    make_national_import,
    make_pcn,
    make_practice,
    make_spend,
    make_staffing,
    make_user,
    make_value,
    shipped_templates,
)

ROLES = (Role.PRACTICE_EDITOR, Role.PRACTICE_VIEWER, Role.PCN_LEAD, Role.ICB_ANALYST, Role.ADMIN)
# Fixed values for the URL parts that are not ids.
NAMED_PARTS = {
    "item_id": "inbound_calls",
    "fmt": "svg",
    "period_code": "2025-04",
    "name": "spending",
    "kind": "spend_item",
}
# Record ids by the URL's first segment (/spending/<record_id>/edit and so on).
RECORD_KINDS = {
    "allocations": "allocation",
    "spending": "spend",
    "staffing": "staffing",
    "interventions": "intervention",
    "history": "spend",
}
YEAR_QUERY = {
    "evidence.money_view",
    "evidence.category_chart",
    "summary.index",
    "summary.workbook",
    "summary.pdf",
    "summary.tables_zip",
    "summary.table_csv",
    "practice.spending",
    "practice.staffing",
}
NOT_CRAWLED = {"static", "auth.sign_in"}


@dataclass
class Tenant:
    """One ICB's people, ids and sentinels."""

    tag: str
    base: int
    users: dict[Role, object] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)
    texts: list[str] = field(default_factory=list)  # found as they are in every body
    numbers: list[str] = field(default_factory=list)  # "912,347" (and "912347" in files)

    def sentinel(self, what: str) -> str:
        text = f"SENTINEL-{self.tag}-{what}"
        self.texts.append(text)
        return text

    def number(self, value: int) -> int:
        self.numbers.append(f"{value:,}")
        return value

    def must_meet(self, role: Role) -> set[str]:
        """Some of its own ICB's sentinels each role must meet in the crawl (so a crawl
        stopped at a sign-in step, or a page gone blank, fails)."""
        figure, submitted = f"{self.base + 100:,}", str(self.base + 200)  # in the CSV
        practice = (figure, "SPEND", "ALLOCATION", "STAFFING", "INTERVENTION", "CASE", "IMPORT")
        wanted = {
            Role.PRACTICE_EDITOR: practice,
            Role.PRACTICE_VIEWER: practice,
            Role.PCN_LEAD: ("PCN", "PRACTICE2", "CASE"),
            Role.ICB_ANALYST: (submitted, "COLLECTION", "CASE", "IMPORT", "PRACTICE3"),
            Role.ADMIN: ("ICB", "ADMIN", "EDITOR", "VIEWER", "LEAD", "ANALYST", "PRACTICE3"),
        }[role]
        return {w if w[0].isdigit() else f"SENTINEL-{self.tag}-{w}" for w in wanted}

    def found_in(self, body: str, *, digits: bool) -> list[str]:
        """The sentinels in `body`; plain digits only in files (in a page they could be
        part of a token by chance)."""
        forms = [*self.texts, *self.numbers]
        if digits:
            forms += [number.replace(",", "") for number in self.numbers]
        return [form for form in forms if form in body]


def seed_icb(session: Session, tag: str, base: int) -> Tenant:
    """An ICB with a PCN of three practices and a user of every role, every record a
    sentinel; `base` makes its numbers its own (six digits, found nowhere else)."""
    t = Tenant(tag, base)
    icb = make_icb(session, name=t.sentinel("ICB"))
    pcn = make_pcn(session, icb=icb, name=t.sentinel("PCN"))
    owner, *others = [
        make_practice(session, pcn=pcn, name=t.sentinel(f"PRACTICE{n}"), imd_decile=decile)
        for n, decile in ((1, 1), (2, 5), (3, 9))
    ]
    t.users = {
        Role.PRACTICE_EDITOR: make_user(
            session, role=Role.PRACTICE_EDITOR, organisation=owner,
            display_name=t.sentinel("EDITOR"), email=f"editor-{tag.lower()}@test.example",
        ),
        Role.PRACTICE_VIEWER: make_user(
            session, role=Role.PRACTICE_VIEWER, organisation=owner,
            display_name=t.sentinel("VIEWER"), email=f"viewer-{tag.lower()}@test.example",
        ),
        Role.PCN_LEAD: make_user(
            session, role=Role.PCN_LEAD, organisation=pcn,
            display_name=t.sentinel("LEAD"), email=f"lead-{tag.lower()}@test.example",
        ),
        Role.ICB_ANALYST: make_user(
            session, role=Role.ICB_ANALYST, organisation=icb,
            display_name=t.sentinel("ANALYST"), email=f"analyst-{tag.lower()}@test.example",
        ),
        Role.ADMIN: make_user(
            session, role=Role.ADMIN, organisation=icb,
            display_name=t.sentinel("ADMIN"), email=f"admin-{tag.lower()}@test.example",
        ),
    }  # fmt: skip
    t.texts += [f"editor-{tag.lower()}@test.example", f"viewer-{tag.lower()}@test.example"]
    editor = t.users[Role.PRACTICE_EDITOR]

    # Live records of the owner practice, each audited as the write path audits.
    records = {
        "allocation": make_allocation(
            session, practice=owner, amount=Decimal(t.number(base + 11)),
            note=t.sentinel("ALLOCATION"),
        ),
        "spend": make_spend(
            session, practice=owner, spent_on=date(2025, 5, 14),
            description=t.sentinel("SPEND"), total_cost=Decimal(base + 90000),
            hep_amount=Decimal(t.number(base + 22)),
        ),
        "staffing": make_staffing(session, practice=owner, note=t.sentinel("STAFFING")),
        "intervention": make_intervention(
            session, practice=owner, occurred_on=date(2025, 6, 2),
            title=t.sentinel("INTERVENTION"), affected_items=["inbound_calls"],
        ),
    }  # fmt: skip
    for kind, record in records.items():
        audit.record(
            session,
            actor=editor,
            action="create",
            object_type=record.__tablename__,
            object_id=record.id,
            practice_id=owner.id,
            summary=t.sentinel(f"AUDIT-{kind.upper()}"),
            after=audit.snapshot(record),
        )
    session.commit()
    t.ids.update({kind: record.id for kind, record in records.items()})

    # Figures: ordinary months so charts draw, one sentinel month per practice, submitted.
    for n, practice in enumerate([owner, *others]):
        for month in range(5, 11):
            make_value(
                session, practice=practice, item_id="inbound_calls",
                period_code=f"2025-{month:02d}", number=2000 + 100 * n + month,
            )  # fmt: skip
        make_value(
            session, practice=practice, item_id="inbound_calls", period_code="2025-04",
            number=t.number(base + 100 * (n + 1)),
        )  # fmt: skip
    collection = Collection(
        icb_id=icb.id,
        name=t.sentinel("COLLECTION"),
        template_id="hep-light-touch",
        template_version=1,
        period_code="2025-26-q1",
        opens_on=date(2025, 7, 1),
        due_on=date(2099, 12, 31),
    )
    session.add(collection)
    session.commit()
    template = template_used_by(shipped_templates(), collection)
    for practice in [owner, *others]:
        collections.submit(
            session, user=None, collection=collection, practice_id=practice.id,
            template=template, today=date(2025, 7, 15),
        )  # fmt: skip

    case = case_examples.create(
        session,
        user=editor,
        practice_id=owner.id,
        data=case_examples.CaseExampleInput(
            title=t.sentinel("CASE"),
            problem=t.sentinel("CASE-PROBLEM"),
            actions="Cloud telephony with call-back",
            cost=f"£{t.number(base + 33)}",
            outcome="Calls answered sooner",
            lessons="Start sooner",
            visibility=Visibility.ICB,
            tags=["telephony"],
            spend_item_ids=[records["spend"].id],
            metric_item_ids=["inbound_calls"],
        ),
    )
    national_import = make_national_import(
        session, icb=icb, description=t.sentinel("IMPORT"), filename=f"{t.tag}-import.xlsx"
    )
    make_imported_value(
        session, practice=owner, item_id="inbound_calls", period_code="2025-11",
        number=t.number(base + 44), national_import=national_import,
    )  # fmt: skip
    t.ids.update(
        practice=owner.id,
        user=t.users[Role.PRACTICE_VIEWER].id,
        case=case.id,
        collection=collection.id,
        import_=national_import.id,
    )
    return t


@pytest.fixture
def tenants(session) -> dict[str, Tenant]:
    return {"A": seed_icb(session, "A", 912000), "B": seed_icb(session, "B", 857000)}


# --------------------------------------------------------------------------- the crawl


def urls_of(app, tenant: Tenant) -> list[tuple[str, str, bool]]:
    """(endpoint, URL, has an id) for every GET route, ids filled from `tenant`."""
    found = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in NOT_CRAWLED:
            continue
        values, has_id = {}, False
        for name, converter in rule._converters.items():
            if isinstance(converter, IntegerConverter):
                has_id = True
                key = {
                    "practice_id": "practice",
                    "user_id": "user",
                    "case_id": "case",
                    "collection_id": "collection",
                    "import_id": "import_",
                }.get(name) or RECORD_KINDS[rule.rule.strip("/").split("/")[0]]
                values[name] = tenant.ids[key]
            else:
                values[name] = NAMED_PARTS[name]
        url = rule.rule
        for name, value in values.items():
            start = url.index("<")
            assert name in url[start : url.index(">") + 1], (rule.rule, name)
            url = url[:start] + str(value) + url[url.index(">") + 1 :]
        if rule.endpoint in YEAR_QUERY:
            url += "?year=2025"
        found.append((rule.endpoint, url, has_id))
    return sorted(found)


def readable(response) -> tuple[str, bool]:
    """Everything a person could read in a response, and whether it is a file (where a
    sentinel's plain digits count)."""
    data = response.get_data()
    kind = response.mimetype
    if kind == "text/html":
        return data.decode("utf-8"), False
    return _text_of(data, kind), True


def _text_of(data: bytes, kind: str) -> str:
    if kind == "image/png":
        return ""
    if kind == "application/pdf":
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    if kind.endswith("spreadsheetml.sheet") or kind == "application/zip":
        # Every part of a workbook (shared strings, sheets, properties, comments) as
        # written, and every member of a zip read by its own kind.
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "\n".join(
                _text_of(archive.read(name), _kind_of(name)) for name in archive.namelist()
            )
    return data.decode("utf-8-sig", errors="replace")


def _kind_of(name: str) -> str:
    return {
        ".png": "image/png",
        ".pdf": "application/pdf",
        ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ".zip": "application/zip",
    }.get(name[name.rfind(".") :], "text/plain")


@pytest.mark.parametrize("viewer_icb, other_icb", [("A", "B"), ("B", "A")])
def test_nothing_of_one_icb_is_reachable_from_the_other(
    app, client, tenants, viewer_icb, other_icb
):
    own, other = tenants[viewer_icb], tenants[other_icb]
    problems = []
    own_urls, other_urls = urls_of(app, own), urls_of(app, other)
    assert len(own_urls) > 60
    crawl = [(e, u, False) for e, u, _ in own_urls] + [
        (e, u, True) for e, u, has_id in other_urls if has_id
    ]
    for role in ROLES:
        client = app.test_client()  # a PageClient (the client fixture sets the class)
        client.sign_in(own.users[role].email)
        met_own = set()
        for endpoint, url, others_ids in crawl:
            where = f"{role.value} GET {url} ({endpoint})"
            try:
                response = client.get(url)
            except Exception as error:  # the test app raises what would be a 500
                problems.append(f"{where}: {type(error).__name__}: {error}")
                continue
            if others_ids and response.status_code not in (403, 404):
                problems.append(f"{where}: the other ICB's id answered {response.status_code}")
            if response.status_code >= 500:
                problems.append(f"{where}: {response.status_code}")
            if response.status_code != 200:
                continue
            body, is_file = readable(response)
            if leaked := other.found_in(body, digits=is_file):
                problems.append(f"{where}: the other ICB's {leaked}")
            met_own.update(own.found_in(body, digits=is_file))
        if missing := own.must_meet(role) - met_own:
            problems.append(f"{role.value} never met their own ICB's {sorted(missing)}")
    assert not problems, "\n".join(problems)
