"""Voluntary returns: what a collection asks for, practice states, task list, submitting a
frozen snapshot, withdrawing, and the ICB's collection pages."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from monitor.core.checklist import Frequency, template_used_by
from monitor.core.periods import Period
from monitor.models.returns import Collection, PracticeReturn, ReturnStatus
from monitor.services import collections
from tests.factories import (
    make_collection,
    make_national_import,
    make_return,
    make_value,
    shipped_templates,
)

Q2 = Period.parse("2025-26-q2")  # July to September 2025


@pytest.fixture
def template(app):
    with app.app_context():
        from monitor.web.context import default_template

        return default_template()


# items_due ----------------------------------------------------------------------------


def test_a_quarter_asks_for_monthly_items_for_its_three_months_and_quarterly_items_once(
    template,
):
    due = collections.items_due(template, Q2)
    monthly = [item for item in template.items if item.frequency is Frequency.MONTHLY]
    quarterly = [item for item in template.items if item.frequency is Frequency.QUARTERLY]
    assert len(due) == 3 * len(monthly) + len(quarterly)
    for item in monthly:
        assert [p.code for i, p in due if i.id == item.id] == ["2025-07", "2025-08", "2025-09"]
    for item in quarterly:
        assert [p.code for i, p in due if i.id == item.id] == [Q2.code]
    assert not [i for i, _ in due if i.frequency is Frequency.ANNUAL]


def test_a_financial_year_asks_for_annual_items_every_quarter_and_every_month(template):
    year = Period.parse("2025-26")
    due = collections.items_due(template, year)
    counts = {Frequency.ANNUAL: 1, Frequency.QUARTERLY: 4, Frequency.MONTHLY: 12}
    assert len(due) == sum(counts[item.frequency] for item in template.items)
    allocation = [p.code for i, p in due if i.id == "hep_allocation"]
    assert allocation == ["2025-26"]
    months = [p.code for i, p in due if i.id == "call_answer_time"]
    assert months[0] == "2025-04" and months[-1] == "2026-03" and len(months) == 12
    quarters = [p.code for i, p in due if i.id == "cervical_screening_pct"]
    assert quarters == ["2025-26-q1", "2025-26-q2", "2025-26-q3", "2025-26-q4"]


# return_states / submitted_returns ----------------------------------------------------------


def test_states_distinguish_submitted_in_progress_withdrawn_and_not_started(session, world):
    collection = make_collection(session, icb=world.icb)
    make_return(session, collection=collection, practice=world.practice)
    make_value(
        session, practice=world.sibling, item_id="call_answer_time", period_code="2025-08", number=3
    )
    make_return(
        session,
        collection=collection,
        practice=world.foreign_practice,
        status=ReturnStatus.WITHDRAWN,
    )
    practices = [world.practice, world.sibling, world.other_practice, world.foreign_practice]

    states = collections.return_states(
        session, collection, practices, template=template_used_by(shipped_templates(), collection)
    )

    assert states == {
        world.practice.id: "submitted",
        world.sibling.id: "in_progress",
        world.other_practice.id: "not_started",
        world.foreign_practice.id: "withdrawn",
    }


def test_values_outside_the_collection_period_do_not_count_as_progress(session, world):
    collection = make_collection(session, icb=world.icb)
    make_value(
        session, practice=world.sibling, item_id="call_answer_time", period_code="2025-10", number=3
    )
    states = collections.return_states(
        session,
        collection,
        [world.sibling],
        template=template_used_by(shipped_templates(), collection),
    )
    assert states == {world.sibling.id: "not_started"}


def test_only_figures_a_practice_recorded_itself_for_a_due_period_start_its_return(session, world):
    collection = make_collection(session, icb=world.icb)
    imported = make_national_import(session, icb=world.icb, period_code="2025-08")
    # Filled by an import and left as it was: not the practice's own start.
    make_value(session, practice=world.practice, item_id="call_answer_time",
               period_code="2025-08", number=3, import_id=imported.id)  # fmt: skip
    # Blank, and a month's code on a quarterly item: neither is a due figure.
    make_value(session, practice=world.sibling, item_id="call_answer_time",
               period_code="2025-09", number=None, value_text="")  # fmt: skip
    make_value(session, practice=world.sibling, item_id="cervical_screening_pct",
               period_code="2025-08", number=70)  # fmt: skip
    # Overridden with a reason: the practice's own.
    make_value(session, practice=world.other_practice, item_id="call_answer_time",
               period_code="2025-08", number=4, import_id=imported.id,
               override_reason="Our own count")  # fmt: skip
    practices = [world.practice, world.sibling, world.other_practice]

    states = collections.return_states(
        session, collection, practices, template=template_used_by(shipped_templates(), collection)
    )

    assert states == {
        world.practice.id: "not_started",
        world.sibling.id: "not_started",
        world.other_practice.id: "in_progress",
    }


def test_a_submitted_or_withdrawn_return_decides_the_state_whatever_is_recorded_live(
    session, world
):
    collection = make_collection(session, icb=world.icb)
    make_return(session, collection=collection, practice=world.practice)
    make_return(
        session, collection=collection, practice=world.sibling, status=ReturnStatus.WITHDRAWN
    )
    for practice in (world.practice, world.sibling):
        make_value(session, practice=practice, item_id="call_answer_time",
                   period_code="2025-08", number=3)  # fmt: skip

    states = collections.return_states(
        session,
        collection,
        [world.practice, world.sibling],
        template=template_used_by(shipped_templates(), collection),
    )

    assert states == {world.practice.id: "submitted", world.sibling.id: "withdrawn"}


def test_submitted_returns_leave_out_withdrawn_ones(session, world):
    collection = make_collection(session, icb=world.icb)
    kept = make_return(session, collection=collection, practice=world.practice)
    make_return(
        session, collection=collection, practice=world.sibling, status=ReturnStatus.WITHDRAWN
    )
    other = make_collection(session, icb=world.icb, name="Another")
    make_return(session, collection=other, practice=world.other_practice)

    assert [r.id for r in collections.submitted_returns(session, collection)] == [kept.id]


# The practice's task list -----------------------------------------------------------------


def task_rows(soup) -> dict[str, tuple[str, str]]:
    """Task name -> (status text, link)."""
    rows = {}
    for li in soup.select(".nhsuk-task-list__item"):
        name = li.select_one(
            ".nhsuk-task-list__name-and-hint a, .nhsuk-task-list__name-and-hint div"
        )
        link = li.select_one("a")
        status = li.select_one(".nhsuk-task-list__status").get_text(" ", strip=True)
        # The path only: a section's link also says to come back (test_return_to_task_list).
        path = link["href"].split("?")[0] if link else ""
        rows[name.get_text(" ", strip=True)] = (status, path)
    return rows


def record_access_quarter(session, practice, *, months=("2025-07", "2025-08", "2025-09")):
    for month in months:
        make_value(
            session, practice=practice, item_id="call_answer_time", period_code=month, number=95
        )


def test_task_list_marks_sections_from_live_values_and_links_to_what_needs_doing(
    client, session, world
):
    collection = make_collection(session, icb=world.icb)
    record_access_quarter(session, world.practice)  # every month of Q2: access complete
    make_value(
        session, practice=world.practice, item_id="home_visits", period_code="2025-07", number=40
    )  # appointments: July only
    client.sign_in(world.editor.email)

    soup = client.page(f"/returns/{collection.id}")

    rows = task_rows(soup)
    assert rows["Access and telephony"][0] == "Completed"
    assert rows["Appointments"] == ("In progress", "/figures/2025-08")
    assert rows["Screening, immunisation and health checks"] == (
        "Not started",
        f"/figures/{Q2.code}",
    )
    assert "HEP funding" not in rows  # annual only: not due in a quarter
    assert rows["Review and submit"][1] == f"/returns/{collection.id}/review"
    assert "We use these figures to see where HEP is helping." in soup.get_text()
    assert "Why the ICB asks" in soup.get_text()


def test_practices_list_their_icbs_open_collections_with_their_own_state_only(
    client, session, world
):
    collection = make_collection(session, icb=world.icb)
    make_collection(session, icb=world.icb, name="Closed one", closed_at=datetime.now(UTC))
    make_collection(session, icb=world.other_icb, name="Elsewhere return")
    make_return(session, collection=collection, practice=world.sibling)
    client.sign_in(world.editor.email)

    soup = client.page("/returns")

    text = soup.get_text(" ", strip=True)
    assert "2025/26 Q2 light-touch return" in text
    assert "Closed one" not in text and "Elsewhere return" not in text
    assert "Not started" in text and "Submitted" not in text
    assert world.sibling.name not in text


def test_a_collection_of_another_icb_or_not_yet_open_is_not_found_for_practices(
    client, session, world
):
    foreign = make_collection(session, icb=world.other_icb)
    future = make_collection(session, icb=world.icb, opens_on=date(2099, 1, 1))
    client.sign_in(world.editor.email)
    for collection in (foreign, future):
        client.page(f"/returns/{collection.id}", status=404)
        client.page(f"/returns/{collection.id}/review", status=404)


# Review and submit ------------------------------------------------------------------------


def test_review_lists_every_value_to_send_with_change_links_and_the_declaration(
    client, session, world
):
    collection = make_collection(session, icb=world.icb)
    make_value(
        session, practice=world.practice, item_id="home_visits", period_code="2025-08", number=41
    )
    make_value(
        session,
        practice=world.practice,
        item_id="cervical_screening_pct",
        period_code=Q2.code,
        number=72.5,
    )
    make_value(  # outside the period: not sent
        session, practice=world.practice, item_id="home_visits", period_code="2025-10", number=99
    )
    client.sign_in(world.editor.email)

    soup = client.page(f"/returns/{collection.id}/review")

    rows = {
        (row.find_previous("h3").get_text(strip=True), row.select_one("dt").get_text(strip=True)): (
            row.select_one("dd.nhsuk-summary-list__value").get_text(strip=True),
            # The path only: the link also says to come back (test_return_to_task_list).
            row.select_one("dd.nhsuk-summary-list__actions a")["href"].split("?")[0],
        )
        for row in soup.select(".nhsuk-summary-list__row")
    }
    assert rows[("August 2025", "Home visits")] == ("41", "/figures/2025-08")
    assert (
        rows[("2025/26 Q2", "Cervical screening coverage (25 to 49)")][1] == f"/figures/{Q2.code}"
    )
    assert rows[("2025/26 Q2", "Cervical screening coverage (25 to 49)")][0].startswith("72.5")
    assert len(rows) == 2
    assert collections.DECLARATION in soup.get_text(" ", strip=True)
    assert soup.select_one("main form[method=post] button")


def submit(client, collection):
    return client.submit(f"/returns/{collection.id}/review")


def snapshot(session, answer_id):
    from monitor.models.returns import ReturnValue

    session.expire_all()
    rows = session.exec(select(ReturnValue).where(ReturnValue.return_id == answer_id)).all()
    return {(r.item_id, r.period_code): (r.value_number, r.unit, r.template_version) for r in rows}


def the_return(session, collection, practice) -> PracticeReturn | None:
    session.expire_all()
    return session.exec(
        select(PracticeReturn).where(
            PracticeReturn.collection_id == collection.id,
            PracticeReturn.practice_id == practice.id,
        )
    ).first()


def test_submitting_freezes_a_snapshot_of_values_and_spending(client, session, world):
    from monitor.models import AuditEvent
    from monitor.models.returns import ReturnSpend

    collection = make_collection(session, icb=world.icb)
    make_value(
        session, practice=world.practice, item_id="home_visits", period_code="2025-08", number=41
    )
    make_value(
        session,
        practice=world.practice,
        item_id="cervical_screening_pct",
        period_code=Q2.code,
        number=72.5,
    )
    client.sign_in(world.editor.email)

    response = submit(client, collection)

    assert response.status_code == 302
    answer = the_return(session, collection, world.practice)
    assert answer.status == ReturnStatus.SUBMITTED
    assert answer.submitted_by_id == world.editor.id and answer.submitted_at is not None
    assert snapshot(session, answer.id) == {
        ("home_visits", "2025-08"): (41, "count", 1),
        ("cervical_screening_pct", Q2.code): (72.5, "percent", 1),
    }
    spend = session.exec(select(ReturnSpend).where(ReturnSpend.return_id == answer.id)).all()
    # The world's spending item: £10,000 telephony on 3 September 2025, £6,000 from HEP.
    assert [(s.category, s.hep_amount, s.total_cost) for s in spend] == [("telephony", 6000, 10000)]
    events = session.exec(
        select(AuditEvent).where(
            AuditEvent.object_type == "practice_return", AuditEvent.action == "submit"
        )
    ).all()
    assert [e.practice_id for e in events] == [world.practice.id]
    page = client.page(f"/returns/{collection.id}")
    assert "Return submitted" in page.get_text()


def test_editing_live_values_after_submitting_does_not_change_the_snapshot(client, session, world):
    from monitor.models import MetricValue

    collection = make_collection(session, icb=world.icb)
    live = make_value(
        session, practice=world.practice, item_id="home_visits", period_code="2025-08", number=41
    )
    client.sign_in(world.editor.email)
    submit(client, collection)
    answer = the_return(session, collection, world.practice)

    stored = session.get(MetricValue, live.id)
    stored.value_number = 999
    session.add(stored)
    session.commit()
    make_value(
        session, practice=world.practice, item_id="home_visits", period_code="2025-09", number=7
    )

    assert snapshot(session, answer.id) == {("home_visits", "2025-08"): (41, "count", 1)}
    [kept] = collections.submitted_returns(session, collection)
    assert snapshot(session, kept.id)[("home_visits", "2025-08")][0] == 41


def test_resubmitting_replaces_the_snapshot(client, session, world):
    from monitor.models import MetricValue

    collection = make_collection(session, icb=world.icb)
    live = make_value(
        session, practice=world.practice, item_id="home_visits", period_code="2025-08", number=41
    )
    client.sign_in(world.editor.email)
    submit(client, collection)
    session.delete(session.get(MetricValue, live.id))
    session.commit()
    make_value(
        session, practice=world.practice, item_id="home_visits", period_code="2025-09", number=7
    )

    assert submit(client, collection).status_code == 302

    answer = the_return(session, collection, world.practice)
    assert snapshot(session, answer.id) == {("home_visits", "2025-09"): (7, "count", 1)}
    assert answer.version == 2


def test_withdrawing_hides_the_return_from_the_icb_and_resubmitting_is_allowed(
    client, session, world
):
    from monitor.models import AuditEvent

    collection = make_collection(session, icb=world.icb)
    make_value(
        session, practice=world.practice, item_id="home_visits", period_code="2025-08", number=41
    )
    client.sign_in(world.editor.email)
    submit(client, collection)

    response = client.submit(
        f"/returns/{collection.id}/withdraw", token_from=f"/returns/{collection.id}"
    )

    assert response.status_code == 302
    answer = the_return(session, collection, world.practice)
    assert answer.status == ReturnStatus.WITHDRAWN and answer.withdrawn_at is not None
    assert collections.submitted_returns(session, collection) == []
    states = collections.return_states(
        session,
        collection,
        [world.practice],
        template=template_used_by(shipped_templates(), collection),
    )
    assert states == {world.practice.id: "withdrawn"}
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "withdraw")).all()
    assert "withdrawn" in client.page(f"/returns/{collection.id}").get_text()

    submit(client, collection)
    assert the_return(session, collection, world.practice).status == ReturnStatus.SUBMITTED


@pytest.mark.parametrize(
    "overrides",
    [
        {"closed_at": datetime(2025, 11, 1, tzinfo=UTC)},
        {"due_on": date(2025, 11, 30)},
    ],
    ids=["closed", "past-due"],
)
def test_a_closed_or_past_due_collection_refuses_submission_and_withdrawal(
    client, session, world, overrides
):
    collection = make_collection(session, icb=world.icb, **overrides)
    make_value(
        session, practice=world.practice, item_id="home_visits", period_code="2025-08", number=41
    )
    if "closed_at" in overrides:  # practices only reach closed collections they answered
        make_return(session, collection=collection, practice=world.practice)
    client.sign_in(world.editor.email)

    review = client.page(f"/returns/{collection.id}/review")
    assert not review.select("main form[method=post]")
    response = client.submit(
        f"/returns/{collection.id}/review", token_from=f"/returns/{collection.id}"
    )
    assert response.status_code == 302
    message = client.page(response.headers["Location"]).select_one(".nhsuk-notification-banner")
    assert "no longer accepts submissions" in message.get_text()
    answer = the_return(session, collection, world.practice)
    if "closed_at" in overrides:
        assert snapshot(session, answer.id) == {}  # nothing newly frozen
        withdrawn = client.submit(
            f"/returns/{collection.id}/withdraw", token_from=f"/returns/{collection.id}"
        )
        assert withdrawn.status_code == 302
        assert the_return(session, collection, world.practice).status == ReturnStatus.SUBMITTED
    else:
        assert answer is None


def test_submitting_with_nothing_recorded_is_refused(client, session, world):
    collection = make_collection(session, icb=world.icb)
    client.sign_in(world.editor.email)
    response = submit(client, collection)
    assert response.status_code == 302
    assert the_return(session, collection, world.practice) is None


def test_viewers_read_the_review_but_cannot_submit_or_withdraw(client, session, world):
    collection = make_collection(session, icb=world.icb)
    make_value(
        session, practice=world.practice, item_id="home_visits", period_code="2025-08", number=41
    )
    client.sign_in(world.viewer.email)

    soup = client.page(f"/returns/{collection.id}/review")

    assert "Home visits" in soup.get_text()
    assert not soup.select("main form[method=post]")
    assert submit(client, collection).status_code == 403
    withdraw = client.submit(
        f"/returns/{collection.id}/withdraw", token_from=f"/returns/{collection.id}"
    )
    assert withdraw.status_code == 403
    assert the_return(session, collection, world.practice) is None


def test_another_practices_values_and_state_never_show(client, session, world):
    collection = make_collection(session, icb=world.icb)
    make_value(
        session, practice=world.sibling, item_id="home_visits", period_code="2025-08", number=4321
    )
    make_return(session, collection=collection, practice=world.sibling)
    client.sign_in(world.editor.email)

    for url in ("/returns", f"/returns/{collection.id}", f"/returns/{collection.id}/review"):
        text = client.page(url).get_text(" ", strip=True)
        assert "4321" not in text and "4,321" not in text
        assert world.sibling.name not in text
        assert "Submitted" not in text.replace("Not yet submitted", "")


# The ICB's collections ----------------------------------------------------------------------


def date_fields(name, day: date) -> dict[str, str]:
    return {
        f"{name}-day": str(day.day),
        f"{name}-month": str(day.month),
        f"{name}-year": str(day.year),
    }


def test_an_analyst_opens_a_collection_and_it_is_audited(client, session, world):
    from monitor.core.clock import today
    from monitor.models import AuditEvent

    period = collections.period_choices(today())[0]
    client.sign_in(world.analyst.email)
    form = client.page("/collections/new")
    assert form.select_one("select#template option[selected]")["value"] == "hep-light-touch:1"

    response = client.submit(
        "/collections/new",
        {
            "name": "Light-touch return",
            "template": "hep-light-touch:1",
            "period": period.code,
            **date_fields("opens_on", today()),
            **date_fields("due_on", today() + timedelta(days=21)),
            "message": "We will use the figures to plan support.",
        },
    )

    assert response.status_code == 302
    [saved] = session.exec(select(Collection)).all()
    assert (saved.icb_id, saved.period_code, saved.template_version) == (
        world.icb.id,
        period.code,
        1,
    )
    assert saved.created_by_id == world.analyst.id
    event = session.exec(select(AuditEvent).where(AuditEvent.object_type == "collection")).one()
    assert event.action == "create" and event.actor_id == world.analyst.id
    listing = client.page("/collections").get_text(" ", strip=True)
    assert "Light-touch return" in listing and "Open" in listing


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"name": ""}, "name", "Enter a name for the collection"),
        ({"period": "2030-31"}, "period", "Select the period the collection asks about"),
        ({"template": "nope:9"}, "template", "Select the template version"),
        (date_fields("due_on", date(2025, 10, 1)), "due_on", "must be after the opening date"),
        ({"opens_on-day": "31", "opens_on-month": "2"}, "opens_on", "must be a real date"),
        (
            {"message": "About patient 943 476 5919"},
            "message",
            "This looks like an NHS number. Remove patient details before saving.",
        ),
    ],
    ids=["name", "period", "template", "dates-order", "real-date", "nhs-number"],
)
def test_the_collection_form_shows_errors_and_saves_nothing(
    client, session, world, change, field, message
):
    from tests.client import error_summary, field_error

    client.sign_in(world.analyst.email)
    good = {
        "name": "Light-touch return",
        "template": "hep-light-touch:1",
        "period": Q2.code,
        **date_fields("opens_on", date(2025, 10, 14)),
        **date_fields("due_on", date(2025, 11, 14)),
    }
    response = client.submit("/collections/new", {**good, **change})

    assert response.status_code == 400
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert message in field_error(soup, field)
    assert any(message in line for line in error_summary(soup))
    assert session.exec(select(Collection)).all() == []


def test_closing_a_collection_stops_submissions_and_is_audited(client, session, world):
    from monitor.models import AuditEvent

    collection = make_collection(session, icb=world.icb)
    make_value(
        session, practice=world.practice, item_id="home_visits", period_code="2025-08", number=41
    )
    client.sign_in(world.analyst.email)
    response = client.submit(
        f"/collections/{collection.id}/close", token_from=f"/collections/{collection.id}"
    )
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Collection, collection.id).closed_at is not None
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "close")).one()

    client.submit("/sign-out", token_from=f"/collections/{collection.id}")
    client.sign_in(world.editor.email)
    assert client.page("/returns").get_text().count(collection.name) == 0
    client.page(f"/returns/{collection.id}", status=404)
    submit(client, collection)
    assert the_return(session, collection, world.practice) is None


def test_collection_page_counts_submitted_in_progress_and_not_started(client, session, world):
    collection = make_collection(session, icb=world.icb)
    make_return(session, collection=collection, practice=world.practice)
    make_value(
        session, practice=world.sibling, item_id="home_visits", period_code="2025-08", number=4
    )
    client.sign_in(world.analyst.email)

    soup = client.page(f"/collections/{collection.id}")

    def count(state):
        return soup.select_one(f"#count-{state} td").get_text(strip=True)

    # The ICB has three practices: Alpha (submitted), Beta (in progress), Gamma.
    assert (count("submitted"), count("in_progress"), count("not_started")) == ("1", "1", "1")
    assert world.foreign_practice.name not in soup.get_text()


def test_an_analyst_of_another_icb_gets_not_found(client, session, world):
    from monitor.models import Role
    from tests.factories import make_user

    collection = make_collection(session, icb=world.icb)
    outsider = make_user(session, role=Role.ICB_ANALYST, organisation=world.other_icb)
    client.sign_in(outsider.email)

    client.page(f"/collections/{collection.id}", status=404)
    response = client.submit(f"/collections/{collection.id}/close", token_from="/collections")
    assert response.status_code == 404
    assert collection.name not in client.page("/collections").get_text()
    session.expire_all()
    assert session.get(Collection, collection.id).closed_at is None


# Demo data ---------------------------------------------------------------------------------


def test_demo_has_an_open_collection_with_practices_in_every_state_and_a_closed_one(session):
    from monitor.demo import load_demo
    from monitor.demo.records import load_demo_records
    from monitor.demo.returns import load_demo_returns
    from monitor.models import Icb, Practice
    from monitor.models.returns import ReturnValue
    from monitor.services.passwords import Passwords

    today = date(2026, 11, 23)
    load_demo(session, Passwords(time_cost=1, memory_cost=8))
    load_demo_records(session, today=today)

    added = load_demo_returns(session, today)

    assert added == {"collection": 2, "practice_return": 6 + 6}
    assert load_demo_returns(session, today) == {"collection": 0, "practice_return": 0}
    icb = session.exec(select(Icb).where(Icb.code == "QZ9")).one()
    listed = session.exec(select(Collection).order_by(Collection.opens_on)).all()
    closed, current = listed
    assert current.period_code == "2026-27-q2" and current.name == "2026/27 Q2 light-touch return"
    assert current.closed_at is None and current.opens_on <= today < current.due_on
    assert closed.closed_at is not None and closed.period_code == "2026-27-q1"
    practices = session.exec(select(Practice).order_by(Practice.ods_code)).all()
    states = collections.return_states(
        session, current, practices, template=template_used_by(shipped_templates(), current)
    )
    by_ods = {p.ods_code: states[p.id] for p in practices}
    assert by_ods["Z00002"] == "submitted" and by_ods["Z00001"] == "in_progress"
    assert by_ods["Z00005"] == "not_started" and by_ods["Z00008"] == "withdrawn"
    assert sorted(set(by_ods.values())) == ["in_progress", "not_started", "submitted", "withdrawn"]
    submitted = collections.submitted_returns(session, current)
    assert len(submitted) == 5
    values = session.exec(select(ReturnValue).where(ReturnValue.return_id == submitted[0].id))
    assert len(values.all()) > 10
    assert icb.id == current.icb_id
