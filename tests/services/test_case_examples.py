"""Case examples: practices write, edit and delete them; who reads them depends on the
practice's choice (private, shared with the PCN, shared across the ICB), read afresh on
every request; their charts are scoped the same way; the PCN lead's page."""

from __future__ import annotations

from datetime import date

import pytest
from bs4 import BeautifulSoup
from sqlmodel import func, select

from monitor.core.inputs import FormErrors
from monitor.core.patient_data import NHS_NUMBER_MESSAGE
from monitor.demo import load_demo
from monitor.demo.cases import CASES, load_demo_case_examples
from monitor.models import AuditEvent, CaseExample, Role, Visibility
from monitor.services import case_examples, visibility
from monitor.services.passwords import Passwords
from tests.client import error_summary, field_error, heading
from tests.factories import make_case, make_practice, make_user, make_value

# A valid NHS number (it passes the Modulus 11 check): the standard documentation example.
NHS_NUMBER = "943 476 5919"


def form(**overrides) -> dict:
    return {
        "title": "Bowel screening calls",
        "problem": "Low bowel screening uptake among South Asian patients aged 60 to 74",
        "actions": "Bilingual care navigators phoned people who had not returned their kit",
        "cost": "About £3,900 from HEP",
        "outcome": "Uptake rose",
        "lessons": "Start with the video",
        "visibility": "private",
        **overrides,
    }


def case_count(session) -> int:
    return session.exec(select(func.count()).select_from(CaseExample)).one()


def titles(cases) -> set[str]:
    return {case.title for case in cases}


def publish(session, case: CaseExample) -> CaseExample:
    """Save `case` unchanged through the service, which publishes its charts as the
    figures stand now (a factory-made case has none)."""
    data = case_examples.CaseExampleInput(
        **{
            name: getattr(case, name)
            for name in case_examples.CaseExampleInput.__dataclass_fields__
        }
    )
    return case_examples.update(
        session, user=None, case=case, data=data, expected_version=case.version
    )


@pytest.fixture
def cases(session, world):
    """A case example of each practice at each visibility that matters, named for it."""
    made = {}
    for name, practice, shared_with in [
        ("own private", world.practice, Visibility.PRIVATE),
        ("own pcn", world.practice, Visibility.PCN),
        ("own icb", world.practice, Visibility.ICB),
        ("sibling pcn", world.sibling, Visibility.PCN),
        ("other pcn's private", world.other_practice, Visibility.PRIVATE),
        ("other pcn's pcn", world.other_practice, Visibility.PCN),
        ("other pcn's icb", world.other_practice, Visibility.ICB),
        ("foreign icb", world.foreign_practice, Visibility.ICB),
    ]:
        made[name] = make_case(
            session,
            practice=practice,
            title=name,
            visibility=shared_with,
            metric_item_ids=["home_visits"],
        )
    for practice in (world.practice, world.sibling, world.other_practice, world.foreign_practice):
        for month, number in [("2025-06", 30), ("2025-07", 34), ("2025-08", 41)]:
            make_value(
                session, practice=practice, item_id="home_visits", period_code=month, number=number
            )
    return {name: publish(session, case) for name, case in made.items()}


# Who reads what ---------------------------------------------------------------------

EXPECTED = {
    "editor": {"own private", "own pcn", "own icb"},
    "viewer": {"own private", "own pcn", "own icb"},
    "other_editor": {"sibling pcn"},
    "pcn_lead": {"own pcn", "own icb", "sibling pcn", "other pcn's icb"},
    "analyst": {"own icb", "other pcn's icb"},
    "admin": set(),
    "foreign_admin": set(),
    "foreign_editor": {"foreign icb"},
}


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_each_role_lists_exactly_the_case_examples_it_may_read(session, world, cases, who):
    user = getattr(world, who)
    assert titles(case_examples.list_visible(session, user)) == EXPECTED[who]
    for name, case in cases.items():
        found = visibility.visible_case_example(session, user, case.id)
        assert (found is not None) == (name in EXPECTED[who]), name


@pytest.mark.parametrize("who", ["editor", "pcn_lead", "analyst", "admin"])
def test_each_role_gets_200_or_404_on_every_case_example_page_and_chart(client, world, cases, who):
    client.sign_in(getattr(world, who).email)
    for name, case in cases.items():
        expected = 200 if name in EXPECTED[who] else (403 if who == "admin" else 404)
        assert client.get(f"/case-examples/{case.id}").status_code == expected, name
        chart = f"/case-examples/{case.id}/metrics/home_visits/chart.svg"
        assert client.get(chart).status_code == expected, name


def test_a_deactivated_user_reads_nothing(session, world, cases):
    world.pcn_lead.is_active = False
    assert case_examples.list_visible(session, world.pcn_lead) == []


def test_pcn_lead_sees_a_member_practices_pcn_shared_example_but_not_a_private_one(
    client, world, cases
):
    client.sign_in(world.pcn_lead.email)
    page = client.page("/case-examples/shared")
    listed = {a.get_text(strip=True) for a in page.select("#case-examples a")}
    assert {"own pcn", "sibling pcn", "own icb", "other pcn's icb"} == listed
    assert client.get(f"/case-examples/{cases['own private'].id}").status_code == 404
    other_pcns = cases["other pcn's pcn"]
    assert client.get(f"/case-examples/{other_pcns.id}").status_code == 404


def test_icb_analyst_browses_only_icb_wide_examples_of_their_icb(client, world, cases):
    client.sign_in(world.analyst.email)
    page = client.page("/case-examples/shared")
    listed = {a.get_text(strip=True) for a in page.select("#case-examples a")}
    assert listed == {"own icb", "other pcn's icb"}


def test_unsharing_takes_effect_on_the_next_request(client, session, world, cases):
    case = cases["own pcn"]
    lead = client.application.test_client()
    lead.sign_in(world.pcn_lead.email)
    assert lead.get(f"/case-examples/{case.id}").status_code == 200
    assert lead.get(f"/case-examples/{case.id}/metrics/home_visits/chart.svg").status_code == 200

    client.sign_in(world.editor.email)
    response = client.submit(
        f"/case-examples/{case.id}/edit",
        form(title=case.title, visibility="private", version=str(case.version)),
    )
    assert response.status_code == 302

    assert lead.get(f"/case-examples/{case.id}").status_code == 404
    assert lead.get(f"/case-examples/{case.id}/metrics/home_visits/chart.svg").status_code == 404
    shared = lead.page("/case-examples/shared")
    assert case.title not in {a.get_text(strip=True) for a in shared.select("#case-examples a")}


def test_filters_narrow_by_tag_and_practice(session, client, world):
    make_case(
        session, practice=world.practice, title="Phones", tags=["telephony"], visibility="pcn"
    )
    make_case(
        session,
        practice=world.sibling,
        title="Bowel",
        tags=["screening_campaigns"],
        visibility="pcn",
    )
    assert titles(case_examples.list_visible(session, world.pcn_lead, tag="telephony")) == {
        "Phones"
    }
    assert titles(
        case_examples.list_visible(session, world.pcn_lead, practice_id=world.sibling.id)
    ) == {"Bowel"}

    client.sign_in(world.pcn_lead.email)
    page = client.page("/case-examples/shared?tag=screening_campaigns")
    assert [a.get_text(strip=True) for a in page.select("#case-examples a")] == ["Bowel"]
    page = client.page(f"/case-examples/shared?practice={world.practice.id}")
    assert [a.get_text(strip=True) for a in page.select("#case-examples a")] == ["Phones"]
    # A practice the lead cannot see is ignored rather than revealing anything.
    page = client.page(f"/case-examples/shared?practice={world.foreign_practice.id}")
    assert len(page.select("#case-examples a")) == 2


# Writing, changing and deleting ------------------------------------------------------


def test_editor_writes_a_private_case_example_with_links_and_it_is_audited(client, session, world):
    spend = world.records["spending"]
    client.sign_in(world.editor.email)
    assert heading(client.page("/case-examples/new")) == "Write a case example"
    response = client.post(
        "/case-examples/new",
        data={
            **form(),
            "spend_item_ids": [str(spend.id)],
            "metric_item_ids": ["bowel_screening_pct"],
            "tags": ["screening_campaigns", "interpreting"],
            "csrf_token": client.csrf_token("/case-examples/new"),
        },
    )
    assert response.status_code == 302
    case = session.exec(select(CaseExample)).one()
    assert case.practice_id == world.practice.id
    assert case.visibility == Visibility.PRIVATE and case.shared_at is None
    assert case.spend_item_ids == [spend.id]
    assert case.metric_item_ids == ["bowel_screening_pct"]
    # Stored in the template's order, not the order ticked.
    assert case.tags == ["screening_campaigns", "interpreting"]
    event = session.exec(select(AuditEvent).where(AuditEvent.object_type == "case_example")).one()
    assert event.action == "create" and event.actor_id == world.editor.id

    page = client.page(response.headers["Location"])
    assert heading(page) == "Bowel screening calls"
    assert "Cloud telephony" in page.select_one("#spend-items").get_text()
    assert page.select_one("#visibility").get_text(strip=True).startswith("Private")
    listed = client.page("/case-examples").select("#case-examples a")
    assert [a.get_text(strip=True) for a in listed] == ["Bowel screening calls"]


def test_visibility_defaults_to_private_on_the_form(client, world):
    client.sign_in(world.editor.email)
    page = client.page("/case-examples/new")
    assert page.select_one("input[name=visibility][checked]")["value"] == "private"
    labels = [label.get_text(strip=True) for label in page.select(".nhsuk-radios__label")]
    assert labels == ["Private to our practice", "Shared with our PCN", "Shared across the ICB"]


def test_required_fields_are_reported_and_nothing_is_saved(client, session, world):
    client.sign_in(world.editor.email)
    response = client.submit("/case-examples/new", form(title="", problem=" ", actions=""))
    assert response.status_code == 400
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert error_summary(soup) == [
        "Enter a title, like “Cloud telephony with call-back”",
        "Enter the problem and who it affected",
        "Enter what you did",
    ]
    assert field_error(soup, "actions") == "Enter what you did"
    assert case_count(session) == 0


@pytest.mark.parametrize("field", ["title", "problem", "actions", "cost", "outcome", "lessons"])
def test_an_nhs_number_in_any_free_text_is_refused(client, session, world, field):
    client.sign_in(world.editor.email)
    response = client.submit(
        "/case-examples/new", form(**{field: f"Patient {NHS_NUMBER} was called"})
    )
    assert response.status_code == 400
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert field_error(soup, field) == NHS_NUMBER_MESSAGE
    assert error_summary(soup) == [NHS_NUMBER_MESSAGE]
    assert case_count(session) == 0


def test_a_ten_digit_number_that_fails_the_check_is_allowed():
    from monitor.core.checklist import load_template
    from monitor.demo.records import TEMPLATE_PATH

    data = case_examples.clean(
        form(cost="Call 0116 255 1234 for the invoice"),
        template=load_template(TEMPLATE_PATH),
        own_spend_ids=set(),
    )
    assert data.cost.startswith("Call")


def test_another_practices_spending_items_cannot_be_linked(client, session, world):
    client.sign_in(world.editor.email)
    sibling_spend = world.sibling_records["spending"]
    page = client.page("/case-examples/new")
    offered = {i["value"] for i in page.select("input[name=spend_item_ids]")}
    assert offered == {str(world.records["spending"].id)}
    response = client.submit(
        "/case-examples/new", {**form(), "spend_item_ids": str(sibling_spend.id)}
    )
    assert response.status_code == 400
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert field_error(soup, "spend_item_ids") == "Select spending items from your practice's list"
    assert case_count(session) == 0


def test_unknown_tags_figures_and_visibility_are_refused(world):
    from monitor.core.checklist import load_template
    from monitor.demo.records import TEMPLATE_PATH

    with pytest.raises(FormErrors) as raised:
        case_examples.clean(
            {**form(visibility="public"), "tags": ["bogus"], "metric_item_ids": ["nope"]},
            template=load_template(TEMPLATE_PATH),
            own_spend_ids=set(),
        )
    assert set(raised.value.errors) == {"metric_item_ids", "tags", "visibility"}


def test_editing_shares_with_the_pcn_and_records_who_changed_what(client, session, world):
    case = make_case(session, practice=world.practice)
    client.sign_in(world.editor.email)
    page = client.page(f"/case-examples/{case.id}/edit")
    assert page.select_one("#title")["value"] == case.title
    response = client.submit(
        f"/case-examples/{case.id}/edit",
        form(title="Call-back queue", visibility="pcn", version="1"),
    )
    assert response.status_code == 302
    session.refresh(case)
    assert (case.title, case.visibility, case.version) == ("Call-back queue", "pcn", 2)
    assert case.shared_at is not None
    event = session.exec(select(AuditEvent).where(AuditEvent.object_type == "case_example")).one()
    assert event.action == "update"
    assert event.before["visibility"] == "private" and event.after["visibility"] == "pcn"
    assert "shared with our pcn" in event.summary


def test_a_stale_edit_is_refused_and_nothing_is_overwritten(client, session, world):
    case = make_case(session, practice=world.practice, version=3)
    client.sign_in(world.editor.email)
    response = client.submit(
        f"/case-examples/{case.id}/edit", form(title="Overwritten", version="2")
    )
    assert response.status_code == 409
    session.refresh(case)
    assert case.title == "Cloud telephony with call-back" and case.version == 3


def test_deleting_removes_the_case_example_and_keeps_an_audit_record(client, session, world):
    case = make_case(session, practice=world.practice, visibility="icb")
    client.sign_in(world.editor.email)
    page = client.page(f"/case-examples/{case.id}/delete")
    assert heading(page) == "Delete this case example?"
    response = client.submit(f"/case-examples/{case.id}/delete", {"version": "1"})
    assert response.status_code == 302
    assert case_count(session) == 0
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "delete")).one()
    assert event.object_type == "case_example" and event.before["title"] == case.title


def test_another_practices_editor_cannot_change_or_delete(client, session, world):
    case = make_case(session, practice=world.practice, visibility="icb")
    client.sign_in(world.other_editor.email)
    assert client.get(f"/case-examples/{case.id}/edit").status_code == 404
    assert client.get(f"/case-examples/{case.id}/delete").status_code == 404
    response = client.submit(
        f"/case-examples/{case.id}/delete", {"version": "1"}, token_from="/case-examples"
    )
    assert response.status_code == 404
    assert case_count(session) == 1


def test_viewer_reads_but_cannot_write(client, session, world):
    case = make_case(session, practice=world.practice)
    client.sign_in(world.viewer.email)
    listing = client.page("/case-examples")
    assert not listing.select("a[href='/case-examples/new']")
    detail = client.page(f"/case-examples/{case.id}")
    assert not detail.select(f"a[href='/case-examples/{case.id}/edit']")
    assert client.get("/case-examples/new").status_code == 403
    assert client.get(f"/case-examples/{case.id}/edit").status_code == 403


# Charts of linked figures -------------------------------------------------------------


def test_linked_figures_are_charted_with_alt_text_and_a_data_table(client, session, world):
    for month, number in [("2025-06", 30), ("2025-07", 34), ("2025-08", 41)]:
        make_value(
            session,
            practice=world.practice,
            item_id="home_visits",
            period_code=month,
            number=number,
        )
    case = make_case(
        session, practice=world.practice, visibility="pcn", metric_item_ids=["home_visits"]
    )
    case = publish(session, case)
    client.sign_in(world.pcn_lead.email)
    page = client.page(f"/case-examples/{case.id}")
    image = page.select_one("#metric-home_visits img")
    assert image["alt"].strip()
    assert image["src"] == f"/case-examples/{case.id}/metrics/home_visits/chart.svg"
    table = page.select_one("#data-home_visits")
    periods = [th.get_text(strip=True) for th in table.select("tbody th")]
    assert len(periods) == 3
    response = client.get(image["src"])
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    # A figure the case example does not link is not served through it.
    make_value(
        session,
        practice=world.practice,
        item_id="call_answer_time",
        period_code="2025-08",
        number=90,
    )
    assert (
        client.get(f"/case-examples/{case.id}/metrics/call_answer_time/chart.svg").status_code
        == 404
    )


# The PCN lead's page ------------------------------------------------------------------


def test_pcn_page_lists_member_practices_and_their_shared_examples(client, session, world, cases):
    world.sibling.shares_with_pcn = True
    session.add(world.sibling)
    session.commit()
    client.sign_in(world.pcn_lead.email)
    page = client.page("/pcn")
    rows = [
        [cell.get_text(strip=True) for cell in row.select("td")]
        for row in page.select("#member-practices tbody tr")
    ]
    assert rows == [
        ["Alpha Surgery", world.practice.ods_code, f"{world.practice.list_size:,}", "1", "No"],
        ["Beta Surgery", world.sibling.ods_code, f"{world.sibling.list_size:,}", "3", "Yes"],
    ]
    shared = {a.get_text(strip=True) for a in page.select("#pcn-case-examples a")}
    assert shared == {"own pcn", "own icb", "sibling pcn"}
    has_trends = "icb.pcn_trends" in client.application.view_functions
    assert bool(page.select("#pcn-trends")) == has_trends


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.PCN_LEAD])
def test_only_pcn_leads_open_the_pcn_page(client, world, role):
    client.sign_in(world.user_for(role).email)
    assert client.get("/pcn").status_code == 403


def test_a_lead_of_another_pcn_sees_only_its_own_members(client, session, world, cases):
    lead = make_user(session, role=Role.PCN_LEAD, organisation=world.other_pcn)
    make_practice(session, pcn=world.other_pcn, name="Zeta Surgery")
    client.sign_in(lead.email)
    page = client.page("/pcn")
    names = [
        row.select_one("td").get_text(strip=True)
        for row in page.select("#member-practices tbody tr")
    ]
    assert names == ["Gamma Surgery", "Zeta Surgery"]
    shared = {a.get_text(strip=True) for a in page.select("#pcn-case-examples a")}
    assert shared == {"other pcn's pcn", "other pcn's icb"}


# Demo data ----------------------------------------------------------------------------


def test_demo_case_examples_are_valid_and_cover_every_visibility():
    from monitor.core.checklist import load_template
    from monitor.demo.records import TEMPLATE_PATH

    template = load_template(TEMPLATE_PATH)
    for spec in CASES:
        case_examples.clean(
            {
                "title": spec.title,
                "problem": spec.problem,
                "actions": spec.actions,
                "cost": spec.cost,
                "outcome": spec.outcome,
                "lessons": spec.lessons,
                "visibility": spec.visibility,
                "tags": list(spec.tags),
                "metric_item_ids": list(spec.metrics),
            },
            template=template,
            own_spend_ids=set(),
        )
    by_visibility = {v: [c for c in CASES if c.visibility == v] for v in Visibility.CHOICES}
    assert all(len(found) >= 2 for found in by_visibility.values())


def test_demo_loader_runs_on_an_empty_database(session):
    assert load_demo_case_examples(session) == {"case_example": 0}


def test_demo_loader_adds_the_case_examples_once(session):
    load_demo(session, Passwords(time_cost=1, memory_cost=8))
    assert load_demo_case_examples(session) == {"case_example": len(CASES)}
    assert load_demo_case_examples(session) == {"case_example": 0}
    assert case_count(session) == len(CASES)


def test_demo_case_examples_link_the_practices_own_demo_spending(session):
    from monitor.demo.records import load_demo_records
    from monitor.models import Practice, SpendItem

    load_demo(session, Passwords(time_cost=1, memory_cost=8))
    load_demo_records(session, today=date(2026, 11, 23))
    load_demo_case_examples(session)
    highfields = session.exec(select(Practice).where(Practice.ods_code == "Z00001")).one()
    phones = session.exec(
        select(CaseExample).where(CaseExample.title == "Cloud telephony with call-back")
    ).one()
    assert phones.practice_id == highfields.id and phones.spend_item_ids
    for spend_id in phones.spend_item_ids:
        assert session.get(SpendItem, spend_id).practice_id == highfields.id
