"""The practice's side of national data on the figures pages: figures NHS data filled
come first, read only, with their source; overriding one needs a reason and is audited;
a practice's own figure that differs from the published one says so; the overview and
home page say how many of a month's figures came from NHS data; figures of an earlier
template version stay visible under their own label."""

from __future__ import annotations

from datetime import date

import pytest
from bs4 import BeautifulSoup
from sqlmodel import select

from monitor.models import AuditEvent, MetricValue
from tests.client import error_summary, field_error
from tests.factories import (
    make_imported_value,
    make_national_import,
    make_value,
    shipped_templates,
)

FEBRUARY = "2026-02"
CBT = "Cloud Based Telephony, February 2026 publication"
OC = "Submissions via Online Consultation Systems, February 2026 publication"
GPAD = "Appointments in General Practice, February 2026 publication"
FFT = "Friends and Family Test, February 2026 publication"
GPW = "General Practice Workforce, February 2026"
V2 = shipped_templates()[("hep-light-touch", 2)]

PUBLISHED = {  # item: (dataset, publication, value) for February 2026
    "inbound_calls": ("cbt", CBT, 1200),
    "calls_answered_pct": ("cbt", CBT, 88.5),
    "calls_missed_pct": ("cbt", CBT, 11.5),
    "calls_answered_within_2_min_pct": ("cbt", CBT, 61.0),
    "callbacks_requested": ("cbt", CBT, 40),
    "oc_clinical_per_1000": ("online_consultations", OC, 30.2),
    "oc_admin_per_1000": ("online_consultations", OC, 12.1),
    "appointments_attended": ("gpad_appointments", GPAD, 3100),
    "face_to_face_pct": ("gpad_appointments", GPAD, 64.0),
    "home_visits": ("gpad_appointments", GPAD, 21),
    "fft_positive_pct": ("fft", FFT, 91.0),
    "fft_responses": ("fft", FFT, 140),
    "gp_fte_per_10000": ("workforce", GPW, 6.1),
    "clinical_fte_per_10000": ("workforce", GPW, 14.3),
}


@pytest.fixture
def v2_world(world, session):
    world.icb.template_version = 2
    session.add(world.icb)
    session.commit()
    return world


def import_month(session, practice, items=PUBLISHED, period=FEBRUARY):
    """Values for `items` as the month's imports filled them, one import per dataset."""
    imports = {}
    values = {}
    for item_id, (dataset, description, number) in items.items():
        if dataset not in imports:
            imports[dataset] = make_national_import(
                session,
                icb=_icb(session, practice),
                dataset=dataset,
                description=description,
                period_code=period,
            )
        values[item_id] = make_imported_value(
            session,
            practice=practice,
            item_id=item_id,
            period_code=period,
            number=number,
            national_import=imports[dataset],
        )
    return values


def _icb(session, practice):
    from monitor.models import Icb

    return session.get(Icb, practice.icb_id)


def rows_of(session, practice):
    session.expire_all()
    return sorted(
        (
            v.item_id,
            v.value_number,
            v.source,
            v.import_id,
            v.override_reason,
            v.published_number,
            v.version,
        )
        for v in session.exec(select(MetricValue).where(MetricValue.practice_id == practice.id))
    )


def soup_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def test_prefilled_figures_come_first_read_only_with_their_source(client, v2_world, session):
    import_month(session, v2_world.practice)
    client.sign_in(v2_world.editor.email)

    page = client.page(f"/figures/{FEBRUARY}")

    prefilled = page.select_one("#prefilled")
    rows = {
        row.select_one(".nhsuk-summary-list__key").get_text(strip=True): row
        for row in prefilled.select(".nhsuk-summary-list__row")
    }
    assert len(rows) == 14
    calls = rows["Inbound calls"]
    assert calls.select_one(".app-figure").get_text(strip=True) == "1,200"
    assert calls.select_one(".app-figure-source").get_text(strip=True) == f"From {CBT}"
    assert rows["Friends and Family Test positive"].select_one(".app-figure-source").get_text(
        strip=True
    ) == (f"From {FFT}")
    override = calls.select_one("a[href*='override=inbound_calls']")
    assert override.get_text(" ", strip=True).startswith("Override")
    # Not editable by default: only the figure no file provides is a box to type in.
    boxes = [i["name"] for i in page.select("form input.nhsuk-input")]
    assert boxes == ["call_answer_time"]
    headings = [h.get_text(strip=True) for h in page.select("h2")]
    assert headings.index("Figures from NHS data") < headings.index("Figures to add yourself")


def test_overriding_needs_a_reason_and_saves_nothing_without_one(client, v2_world, session):
    import_month(session, v2_world.practice)
    client.sign_in(v2_world.editor.email)
    url = f"/figures/{FEBRUARY}?override=inbound_calls"
    page = client.page(url)
    assert page.select_one("input[name=inbound_calls]")["value"] == "1,200"
    assert page.select_one("textarea[name=inbound_calls-reason]") is not None
    # Opened for overriding, it leaves the read-only list (the rest stay there).
    listed = [
        row.select_one(".nhsuk-summary-list__key").get_text(strip=True)
        for row in page.select("#prefilled .nhsuk-summary-list__row")
    ]
    assert "Inbound calls" not in listed and len(listed) == 13
    token = page.select_one("input[name=token]")["value"]
    before = rows_of(session, v2_world.practice)
    audit_before = len(session.exec(select(AuditEvent)).all())

    response = client.submit(
        url,
        {"token": token, "override": "inbound_calls", "inbound_calls": "1250"},
    )

    assert response.status_code == 400
    again = soup_of(response)
    message = "Enter why you are overriding the published figure for Inbound calls"
    assert field_error(again, "inbound_calls-reason") == message
    assert error_summary(again) == [message]
    assert again.select_one(".nhsuk-error-summary a")["href"] == "#inbound_calls-reason"
    assert again.select_one("input[name=inbound_calls]")["value"] == "1250"
    assert rows_of(session, v2_world.practice) == before
    assert len(session.exec(select(AuditEvent)).all()) == audit_before


def test_an_override_with_a_reason_is_saved_audited_and_shown_as_the_practices(
    client, v2_world, session
):
    values = import_month(session, v2_world.practice)
    client.sign_in(v2_world.editor.email)
    url = f"/figures/{FEBRUARY}?override=inbound_calls"
    token = client.page(url).select_one("input[name=token]")["value"]

    response = client.submit(
        url,
        {
            "token": token,
            "override": "inbound_calls",
            "inbound_calls": "1,250",
            "inbound_calls-reason": "Calls to the branch line were left out",
        },
    )

    assert response.status_code == 302
    session.expire_all()
    row = session.get(MetricValue, values["inbound_calls"].id)
    assert (row.value_number, row.source, row.published_number) == (1250, "manual", 1200)
    assert row.override_reason == "Calls to the branch line were left out"
    assert row.import_id == values["inbound_calls"].import_id  # provenance kept
    event = session.exec(
        select(AuditEvent).where(
            AuditEvent.object_type == "metric_value", AuditEvent.object_id == row.id
        )
    ).one()
    assert event.actor_id == v2_world.editor.id
    assert event.after["override_reason"] == "Calls to the branch line were left out"
    assert (event.before["value_number"], event.after["value_number"]) == (1200, 1250)
    assert "Overrode" in event.summary

    page = client.page(f"/figures/{FEBRUARY}")
    assert page.select_one("input[name=inbound_calls]")["value"] == "1,250"
    assert page.select_one("#inbound_calls-published").get_text(strip=True) == (
        "NHS England published 1,200 for this month."
    )
    reason = page.select_one("textarea[name=inbound_calls-reason]")
    assert reason.get_text(strip=True) == "Calls to the branch line were left out"
    prefilled = page.select_one("#prefilled").get_text(" ", strip=True)
    assert "Inbound calls" not in prefilled


def test_an_override_cannot_blank_the_figure(client, v2_world, session):
    import_month(session, v2_world.practice)
    client.sign_in(v2_world.editor.email)
    url = f"/figures/{FEBRUARY}?override=fft_responses"
    token = client.page(url).select_one("input[name=token]")["value"]
    before = rows_of(session, v2_world.practice)

    response = client.submit(
        url,
        {
            "token": token,
            "override": "fft_responses",
            "fft_responses": "",
            "fft_responses-reason": "Wrong",
        },
    )

    assert response.status_code == 400
    assert field_error(soup_of(response), "fft_responses") == (
        "Enter your figure for Friends and Family Test responses, or cancel to keep the "
        "published figure"
    )
    assert rows_of(session, v2_world.practice) == before


def test_a_prefilled_figure_posted_without_override_is_left_as_published(client, v2_world, session):
    import_month(session, v2_world.practice)
    client.sign_in(v2_world.editor.email)
    url = f"/figures/{FEBRUARY}"
    token = client.page(url).select_one("input[name=token]")["value"]
    before = rows_of(session, v2_world.practice)

    response = client.submit(url, {"token": token, "inbound_calls": "5"})

    assert response.status_code == 302
    assert rows_of(session, v2_world.practice) == before


def test_entering_the_published_figure_again_ends_the_override(client, v2_world, session):
    values = import_month(session, v2_world.practice)
    client.sign_in(v2_world.editor.email)
    url = f"/figures/{FEBRUARY}?override=home_visits"
    token = client.page(url).select_one("input[name=token]")["value"]
    client.submit(
        url,
        {
            "token": token,
            "override": "home_visits",
            "home_visits": "25",
            "home_visits-reason": "Four visits were booked as telephone",
        },
    )
    page = client.page(f"/figures/{FEBRUARY}")
    token = page.select_one("input[name=token]")["value"]
    assert "To go back to the published figure, enter 21" in page.select_one(
        "#home_visits-hint"
    ).get_text(" ", strip=True)

    response = client.submit(
        f"/figures/{FEBRUARY}",
        {
            "token": token,
            "override": "home_visits",
            "home_visits": "21",
            "home_visits-reason": "Four visits were booked as telephone",
            "call_answer_time": "",
        },
    )

    assert response.status_code == 302
    session.expire_all()
    row = session.get(MetricValue, values["home_visits"].id)
    assert (row.value_number, row.source, row.override_reason, row.published_number) == (
        21,
        "gpad_appointments",
        None,
        None,
    )
    page = client.page(f"/figures/{FEBRUARY}")
    assert "Home visits" in page.select_one("#prefilled").get_text(" ", strip=True)


def test_a_practices_own_figure_that_differs_from_the_published_one_says_so(
    client, v2_world, session
):
    make_value(
        session,
        practice=v2_world.practice,
        item_id="inbound_calls",
        period_code=FEBRUARY,
        number=600,
        source="manual",
        template_version=2,
        published_number=612,
    )
    client.sign_in(v2_world.editor.email)

    page = client.page(f"/figures/{FEBRUARY}")

    assert page.select_one("input[name=inbound_calls]")["value"] == "600"
    assert page.select_one("#inbound_calls-published").get_text(strip=True) == (
        "NHS England published 612 for this month."
    )
    assert page.select_one("textarea[name=inbound_calls-reason]") is None


def test_a_viewer_sees_the_sources_and_no_override(client, v2_world, session):
    import_month(session, v2_world.practice)
    client.sign_in(v2_world.viewer.email)

    page = client.page(f"/figures/{FEBRUARY}")

    assert page.select_one("form input[name=token]") is None
    prefilled = page.select_one("#prefilled")
    assert f"From {CBT}" in prefilled.get_text(" ", strip=True)
    assert not prefilled.select("a[href*='override=']")
    assert client.page(f"/figures/{FEBRUARY}?override=inbound_calls").select_one("textarea") is None


def test_a_viewer_cannot_post_an_override(client, v2_world, session):
    import_month(session, v2_world.practice)
    client.sign_in(v2_world.viewer.email)
    before = rows_of(session, v2_world.practice)

    response = client.submit(
        f"/figures/{FEBRUARY}",
        {"override": "inbound_calls", "inbound_calls": "1", "inbound_calls-reason": "x"},
    )

    assert response.status_code == 403
    assert rows_of(session, v2_world.practice) == before


def test_overview_and_home_say_how_many_figures_came_from_nhs_data(
    client, v2_world, session, monkeypatch
):
    monkeypatch.setattr("monitor.web.home.today", lambda: date(2026, 3, 20))
    values = import_month(session, v2_world.practice)
    make_value(
        session,
        practice=v2_world.practice,
        item_id="call_answer_time",
        period_code=FEBRUARY,
        number=95,
        template_version=2,
    )
    overridden = values["fft_responses"]
    overridden.override_reason = "Paper cards were left out"
    overridden.published_number = 140
    overridden.source = "manual"
    overridden.value_number = 150
    session.add(overridden)
    session.commit()
    client.sign_in(v2_world.editor.email)

    overview = client.page("/figures")
    row = next(
        tr
        for tr in overview.select("tbody tr")
        if tr.select_one("a").get_text(strip=True) == "February 2026"
    )
    cells = [td.get_text(" ", strip=True) for td in row.select("td")]
    # 15 figures recorded: 13 filled by NHS data, 1 typed, 1 overridden.
    assert cells[1] == "15 of 15 monthly items"
    assert cells[2] == "13 of 15 figures for February 2026 came from NHS data"
    january = next(
        tr
        for tr in overview.select("tbody tr")
        if tr.select_one("a").get_text(strip=True) == "January 2026"
    )
    assert january.select_one(".app-imported-share").get_text(strip=True) == "None"

    home = client.page("/")
    card = next(
        c for c in home.select(".nhsuk-card") if "February 2026" in c.select_one("h3").get_text()
    )
    assert card.select_one(".app-imported-share").get_text(" ", strip=True) == (
        "13 of 15 figures for February 2026 came from NHS data. Nothing left to add."
    )


def test_the_share_counts_only_figures_recorded_for_the_period(
    client, v2_world, session, monkeypatch
):
    monkeypatch.setattr("monitor.web.home.today", lambda: date(2026, 3, 20))
    import_month(session, v2_world.practice)
    # Another month, another practice and an earlier version's item do not count.
    import_month(
        session, v2_world.practice, {"inbound_calls": PUBLISHED["inbound_calls"]}, "2026-01"
    )
    import_month(session, v2_world.sibling)
    make_value(
        session, practice=v2_world.practice, item_id="calls_abandoned_pct",
        period_code=FEBRUARY, number=4, template_version=1,
    )  # fmt: skip
    client.sign_in(v2_world.editor.email)

    card = next(
        c
        for c in client.page("/").select(".nhsuk-card")
        if "February 2026" in c.select_one("h3").get_text()
    )

    assert card.select_one(".app-imported-share").get_text(" ", strip=True) == (
        "14 of 14 figures for February 2026 came from NHS data. 1 figure left to add yourself."
    )


def test_earlier_template_versions_figures_stay_under_their_own_label(client, v2_world, session):
    make_value(
        session,
        practice=v2_world.practice,
        item_id="calls_abandoned_pct",
        period_code="2025-02",
        number=7.5,
        template_version=1,
    )
    client.sign_in(v2_world.editor.email)

    page = client.page("/figures/2025-02")

    earlier = page.select_one("#earlier").get_text(" ", strip=True)
    v1 = shipped_templates()[("hep-light-touch", 1)]
    assert v1.items_by_id["calls_abandoned_pct"].label in earlier
    assert "7.5%" in earlier
    assert "Carried on by “Calls missed”, defined differently" in earlier
