"""Where each value on a metric page came from: the chart's note and alt text, the
data table's Source column and its CSV, and a v1 item's history carried on by the v2
item that continues it (with the note where its definition changed), without any
stored value changing. An item no later version asks for stays on the dashboard under
its own label."""

from __future__ import annotations

import csv
import io

import pytest
from sqlmodel import select

from monitor.core.checklist import ChecklistTemplate
from monitor.core.periods import Period
from monitor.models import MetricValue
from tests.factories import (
    make_imported_value,
    make_national_import,
    make_value,
    shipped_templates,
)

V1 = shipped_templates()[("hep-light-touch", 1)]
V2 = shipped_templates()[("hep-light-touch", 2)]


def months(first: str, count: int) -> list[Period]:
    periods = [Period.parse(first)]
    while len(periods) < count:
        periods.append(periods[-1].next())
    return periods


def every_row(session):
    session.expire_all()
    return sorted(tuple(sorted(r.model_dump().items())) for r in session.exec(select(MetricValue)))


@pytest.fixture
def moved(session, world):
    """Abandoned calls typed under version 1 for April 2024 to March 2026; the ICB
    moves to version 2; CBT's missed calls imported for April to September 2026, and
    the practice overrides August's."""
    for n, period in enumerate(months("2024-04", 24)):
        make_value(
            session, practice=world.practice, item_id="calls_abandoned_pct",
            period_code=period.code, number=8 + (n % 3) * 0.5, template_version=1,
        )  # fmt: skip
    world.icb.template_version = 2
    session.add(world.icb)
    session.commit()
    for n, period in enumerate(months("2026-04", 6)):
        found = make_national_import(
            session,
            icb=world.icb,
            period_code=period.code,
            description=f"Cloud Based Telephony, {period.label} publication",
        )
        value = make_imported_value(
            session, practice=world.practice, item_id="calls_missed_pct",
            period_code=period.code, number=12 + n * 0.25, national_import=found,
        )  # fmt: skip
        if period.code == "2026-08":
            value.source, value.override_reason = "manual", "Lines down for a day"
            value.published_number, value.value_number = value.value_number, 11.0
            session.add(value)
            session.commit()
    return world


def table(page) -> list[dict[str, str]]:
    head = [th.get_text(" ", strip=True) for th in page.select("#chart-data thead th")]
    return [
        dict(zip(head, [c.get_text(" ", strip=True) for c in tr.select("th, td")], strict=True))
        for tr in page.select("#chart-data tbody tr")
    ]


def test_the_chart_of_a_continued_item_shows_both_definitions_with_a_note(client, moved, session):
    before = every_row(session)
    client.sign_in(moved.editor.email)

    page = client.page("/metrics/calls_missed_pct")

    note = page.select_one("#definition-note").get_text(" ", strip=True)
    assert note.startswith("From April 2026 the definition changed: Until version 2 this was")
    rows = {row["Period"].removesuffix(" Earlier definition"): row for row in table(page)}
    assert len(rows) == 30
    assert rows["April 2024"]["Period"] == "April 2024 Earlier definition"
    assert rows["March 2026"]["Period"] == "March 2026 Earlier definition"
    assert rows["April 2026"]["Period"] == "April 2026"
    assert len(page.select("#chart-data tr.app-earlier-definition")) == 24
    assert rows["March 2026"]["Source"] == "Entered by the practice"
    assert rows["April 2026"]["Source"] == (
        "NHS England: Cloud Based Telephony, April 2026 publication"
    )
    assert rows["August 2026"]["Source"] == (
        "Entered by the practice (overrides the published value)"
    )
    source_note = page.select_one("#source-note").get_text(" ", strip=True)
    assert source_note == (
        "Squares are NHS England's published figures (5 of 30): April 2026 to July 2026: "
        "Cloud Based Telephony (4 publications); September 2026: Cloud Based Telephony, "
        "September 2026 publication. Circles were entered by the practice."
    )
    alt = page.select_one("figure.app-chart img")["alt"]
    assert "5 of the 30 values are NHS England's published figures" in alt
    assert "The definition changed from April 2026." in alt
    assert "Rebased at April 2026" in page.select_one("#settings").get_text()
    svg = client.get("/metrics/calls_missed_pct/chart.svg")
    assert svg.status_code == 200
    assert b"Definition changed" in svg.data
    assert every_row(session) == before  # nothing stored was rewritten or re-versioned


def test_the_data_download_has_a_source_and_a_definition_column(client, moved):
    client.sign_in(moved.editor.email)

    response = client.get("/metrics/calls_missed_pct/data.csv")

    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    header = rows[0]
    assert header[-2:] == ["Source", "Definition"]
    by_period = {r[0]: r for r in rows[1:] if r}
    assert by_period["May 2024"][-2:] == ["Entered by the practice", "Earlier definition"]
    assert by_period["May 2026"][-2:] == [
        "NHS England: Cloud Based Telephony, May 2026 publication",
        "",
    ]
    assert by_period["Sources"][1].startswith("Squares are NHS England's published figures")
    assert by_period["Definition"][1].startswith("From April 2026 the definition changed")


def test_the_earlier_item_is_not_a_page_of_its_own_once_continued(client, moved):
    client.sign_in(moved.editor.email)
    dashboard = client.page("/dashboard")
    labels = [a.get_text(strip=True) for a in dashboard.select(".nhsuk-card__link")]
    assert "Calls missed" in labels
    assert V1.items_by_id["calls_abandoned_pct"].label not in labels
    assert dashboard.select_one("#no-longer-asked") is None


def test_an_item_no_version_carries_on_stays_under_its_own_label(client, world, session, app):
    trimmed = ChecklistTemplate.model_validate(
        {
            **V2.model_dump(),
            "version": 3,
            "items": [i.model_dump() for i in V2.items if i.id != "staff_leavers"],
        }
    )
    app.extensions["monitor.templates"][trimmed.key] = trimmed
    world.icb.template_version = 3
    session.add(world.icb)
    session.commit()
    make_value(
        session, practice=world.practice, item_id="staff_leavers", period_code="2025-26-q1",
        number=2, template_version=1,
    )  # fmt: skip
    make_value(
        session, practice=world.practice, item_id="staff_leavers", period_code="2025-26-q2",
        number=1, template_version=2,
    )  # fmt: skip
    before = every_row(session)
    client.sign_in(world.editor.email)

    dashboard = client.page("/dashboard")
    retired = dashboard.select_one("#retired-cards").get_text(" ", strip=True)
    label = V2.items_by_id["staff_leavers"].label
    assert label in retired
    page = client.page("/metrics/staff_leavers")
    assert page.select_one("h1").get_text(strip=True) == label
    assert [r["Value"] for r in table(page)] == ["1", "2"]
    quarter = client.page("/figures/2025-26-q1")
    assert label in quarter.select_one("#earlier").get_text(" ", strip=True)
    assert every_row(session) == before
