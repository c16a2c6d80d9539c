"""A return's state says what it means, the same on every page: "Ready to submit" (all
asked for is recorded, not sent), "In progress" (part done), "Submitted", "Withdrawn"
and "Not started"; collections.return_states is the one rule."""

from __future__ import annotations

import pytest

from monitor.core.checklist import ItemType, template_used_by
from monitor.services import collections
from monitor.services.figures import ALLOCATION_ITEM
from tests.factories import (
    make_allocation,
    make_collection,
    make_return,
    make_value,
    shipped_templates,
)


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


def test_states_are_decided_practice_by_practice_across_batches_of_rows(
    session, world, monkeypatch
):
    """The live figures are read a few rows at a time in practice order and each
    practice decided from its own rows: a practice's rows split across two batches, and
    a practice that typed only its HEP allocation (no figure), get the states they would
    all read at once."""
    found = make_collection(
        session, icb=world.icb, name="2025/26 annual return", period_code="2025-26"
    )
    template = template_used_by(shipped_templates(), found)
    due = collections.items_due(template, collections.collection_period(found))
    assert any(item.id == ALLOCATION_ITEM for item, _ in due)
    everything, all_but_a_month = world.practice, world.sibling
    record_everything_due(session, everything, found)
    record_everything_due(session, all_but_a_month, found, leave_out="2026-03")
    only_allocation = world.other_practice
    make_allocation(session, practice=only_allocation, financial_year=2025)
    rows_each = len(due)  # a practice's rows
    for batch in (1, 7, rows_each - 1, rows_each, rows_each + 1, 10_000):
        monkeypatch.setattr(collections, "ROWS_AT_A_TIME", batch)
        states = collections.return_states(
            session, found, [everything, all_but_a_month, only_allocation], template=template
        )
        assert states == {
            everything.id: collections.READY,
            all_but_a_month.id: collections.IN_PROGRESS,
            only_allocation.id: collections.IN_PROGRESS,
        }, batch
