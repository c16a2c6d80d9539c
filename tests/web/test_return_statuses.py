"""A return's state says what it means, the same on every page: "Ready to submit" (all
asked for is recorded, not sent), "In progress" (part done), "Submitted", "Withdrawn"
and "Not started"; collections.return_states is the one rule."""

from __future__ import annotations

import pytest

from monitor.core.checklist import ItemType, template_used_by
from monitor.services import collections
from tests.factories import make_collection, make_return, make_value, shipped_templates


def record_everything_due(session, practice, collection, *, leave_out: str = ""):
    """Record a figure for every (item, period) the collection asks for, but none for
    the period `leave_out`."""
    template = template_used_by(shipped_templates(), collection)
    for item, period in collections.items_due(template, collections.collection_period(collection)):
        if period.code == leave_out:
            continue
        if item.type is ItemType.TEXT:
            make_value(
                session,
                practice=practice,
                item_id=item.id,
                period_code=period.code,
                number=None,
                value_text="Noted",
            )
        else:
            make_value(
                session, practice=practice, item_id=item.id, period_code=period.code, number=1
            )


@pytest.fixture
def collection(session, world):
    """Alpha: everything recorded; Beta: one figure; Gamma: a withdrawn return."""
    found = make_collection(session, icb=world.icb)
    record_everything_due(session, world.practice, found)
    make_value(
        session, practice=world.sibling, item_id="home_visits", period_code="2025-08", number=4
    )
    make_return(session, collection=found, practice=world.other_practice, status="withdrawn")
    return found


def test_a_finished_unsent_return_is_ready_a_part_done_one_in_progress_a_withdrawn_one_withdrawn(
    session, world, collection
):
    states = collections.return_states(
        session,
        collection,
        [world.practice, world.sibling, world.other_practice],
        template=template_used_by(shipped_templates(), collection),
    )
    assert states == {
        world.practice.id: collections.READY,
        world.sibling.id: collections.IN_PROGRESS,
        world.other_practice.id: collections.WITHDRAWN,
    }
    assert [collections.STATE_LABELS[s] for s in collections.STATES] == [
        "Submitted",
        "Ready to submit",
        "In progress",
        "Not started",
        "Withdrawn",
    ]


def test_a_month_left_blank_keeps_a_return_in_progress(session, world):
    found = make_collection(session, icb=world.icb)
    record_everything_due(session, world.practice, found, leave_out="2025-09")
    states = collections.return_states(
        session, found, [world.practice], template=template_used_by(shipped_templates(), found)
    )
    assert states == {world.practice.id: collections.IN_PROGRESS}


def test_the_practice_sees_ready_to_submit_on_its_returns_and_task_list(client, world, collection):
    client.sign_in(world.editor.email)
    returns = client.page("/returns")
    row = returns.find("a", string=collection.name).find_parent("tr")
    assert row.select_one(".nhsuk-tag").get_text(strip=True) == "Ready to submit"
    assert "nhsuk-tag--blue" in row.select_one(".nhsuk-tag")["class"]

    task_list = client.page(f"/returns/{collection.id}")
    review = next(
        li
        for li in task_list.select(".nhsuk-task-list__item")
        if "Review and submit" in li.get_text()
    )
    assert review.select_one(".nhsuk-tag").get_text(strip=True) == "Ready to submit"


def test_a_withdrawn_return_says_withdrawn_on_the_returns_page(client, world, session):
    found = make_collection(session, icb=world.icb)
    make_return(session, collection=found, practice=world.practice, status="withdrawn")
    client.sign_in(world.editor.email)
    row = client.page("/returns").find("a", string=found.name).find_parent("tr")
    assert row.select_one(".nhsuk-tag").get_text(strip=True) == "Withdrawn"


def test_the_icb_completeness_and_collection_pages_use_the_same_states(client, world, collection):
    client.sign_in(world.analyst.email)
    soup = client.page(f"/collections/{collection.id}/completeness")
    tags = {
        row.select("td")[0].get_text(strip=True): row.select_one(".nhsuk-tag")
        for table in soup.select("table.app-completeness-practices")
        for row in table.select("tbody tr")
    }
    assert {name: tag.get_text(strip=True) for name, tag in tags.items()} == {
        world.practice.name: "Ready to submit",
        world.sibling.name: "In progress",
        world.other_practice.name: "Withdrawn",
    }
    assert "nhsuk-tag--orange" in tags[world.other_practice.name]["class"]
    header = [th.get_text(strip=True) for th in soup.select("#completeness-by-pcn thead th")]
    assert header == [
        "PCN",
        "Submitted",
        "Ready to submit",
        "In progress",
        "Not started",
        "Withdrawn",
        "Practices",
    ]
    everyone = soup.select("#completeness-by-pcn tbody tr")[-1]
    assert [td.get_text(strip=True) for td in everyone.select("td")] == [
        "0",
        "1",
        "1",
        "0",
        "1",
        "3",
    ]

    page = client.page(f"/collections/{collection.id}")
    counts = {
        row["id"].removeprefix("count-"): row.select_one("td").get_text(strip=True)
        for row in page.select("tr[id^=count-]")
    }
    assert counts == {
        "submitted": "0",
        "ready_to_submit": "1",
        "in_progress": "1",
        "not_started": "0",
        "withdrawn": "1",
    }
