"""The ICB's completeness page filters practices by their return's status (the labels
collections.return_states decides) and exports the filtered practices as CSV, so the
analyst knows whom to chase."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from tests.factories import make_collection, make_practice, make_return, make_value


@pytest.fixture
def collection(session, world):
    """Alpha: in progress (one figure typed); Beta: not started; Gamma: submitted;
    '=Evil Surgery' (North PCN): withdrawn."""
    found = make_collection(session, icb=world.icb, name="Chase test return")
    make_value(
        session,
        practice=world.practice,
        item_id="home_visits",
        period_code="2025-08",
        number=4,
        updated_at=datetime(2025, 8, 20, 9, 30, tzinfo=UTC),
    )
    make_return(
        session,
        collection=found,
        practice=world.other_practice,
        submitted_at=datetime(2025, 10, 20, 13, 5, tzinfo=UTC),
    )
    evil = make_practice(session, pcn=world.pcn, name='=HYPERLINK("http://x")')
    make_return(session, collection=found, practice=evil, status="withdrawn")
    world.evil = evil
    return found


def shown_practices(soup) -> dict[str, str]:
    return {
        row.select("td")[0].get_text(strip=True): row.select_one(".nhsuk-tag").get_text(strip=True)
        for table in soup.select("table.app-completeness-practices")
        for row in table.select("tbody tr")
    }


def read_csv(response) -> list[list[str]]:
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))


def test_the_page_offers_each_status_by_its_label_and_shows_every_practice_unfiltered(
    client, world, collection
):
    client.sign_in(world.analyst.email)
    soup = client.page(f"/collections/{collection.id}/completeness")
    form = soup.select_one("form#status-filter")
    assert form["method"] == "get"
    labels = [label.get_text(strip=True) for label in form.select(".nhsuk-checkboxes__label")]
    assert labels == ["Submitted", "Ready to submit", "In progress", "Not started", "Withdrawn"]
    assert shown_practices(soup) == {
        world.practice.name: "In progress",
        world.sibling.name: "Not started",
        world.other_practice.name: "Submitted",
        world.evil.name: "Withdrawn",
    }
    assert "All statuses" in soup.select_one("#filter-applied").get_text()


def test_filtering_by_status_shows_only_those_practices_and_keeps_the_counts(
    client, world, collection
):
    client.sign_in(world.analyst.email)
    url = f"/collections/{collection.id}/completeness?status=not_started&status=in_progress"
    soup = client.page(url)
    assert shown_practices(soup) == {
        world.practice.name: "In progress",
        world.sibling.name: "Not started",
    }
    checked = {box["value"] for box in soup.select("input[name=status][checked]")}
    assert checked == {"not_started", "in_progress"}
    # The summary still counts every practice.
    everyone = soup.select("#completeness-by-pcn tbody tr")[-1]
    assert everyone.select("td")[-1].get_text(strip=True) == "4"
    applied = soup.select_one("#filter-applied").get_text(" ", strip=True)
    assert "Status: In progress, Not started" in applied
    export = soup.select_one("#completeness-export")["href"]
    assert export.startswith(f"/collections/{collection.id}/completeness.csv?")
    assert "status=in_progress" in export and "status=not_started" in export


def test_a_filter_no_practice_matches_says_so(client, world, collection):
    client.sign_in(world.analyst.email)
    soup = client.page(f"/collections/{collection.id}/completeness?status=ready_to_submit")
    assert shown_practices(soup) == {}
    assert soup.select_one("#no-practices") is not None


def test_the_export_lists_the_filtered_practices_with_status_and_uk_time(client, world, collection):
    client.sign_in(world.analyst.email)
    response = client.get(
        f"/collections/{collection.id}/completeness.csv?status=in_progress&status=submitted"
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    header, *rows = read_csv(response)
    assert header == [
        "Practice",
        "ODS code",
        "PCN",
        "Status",
        "Last changed (UK time)",
        "Filter applied",
    ]
    # 20 Aug 2025 09:30 UTC is 10:30 BST; 20 Oct 2025 13:05 UTC is 14:05 BST.
    assert sorted(rows) == [
        [
            world.practice.name,
            world.practice.ods_code,
            "North PCN",
            "In progress",
            "2025-08-20 10:30",
            "Status: Submitted, In progress",
        ],
        [
            world.other_practice.name,
            world.other_practice.ods_code,
            "South PCN",
            "Submitted",
            "2025-10-20 14:05",
            "Status: Submitted, In progress",
        ],
    ]


def test_the_export_matches_the_rows_the_page_shows(client, world, collection):
    client.sign_in(world.analyst.email)
    query = "status=not_started&status=withdrawn"
    soup = client.page(f"/collections/{collection.id}/completeness?{query}")
    response = client.get(f"/collections/{collection.id}/completeness.csv?{query}")
    _, *rows = read_csv(response)
    page = {(name, status) for name, status in shown_practices(soup).items()}
    # The exported name is made safe for spreadsheets; the page shows it as typed.
    exported = {(name.removeprefix("'"), row_status) for name, _, _, row_status, *_ in rows}
    assert exported == page


def test_a_practice_name_starting_with_equals_is_exported_as_text(client, world, collection):
    client.sign_in(world.analyst.email)
    response = client.get(f"/collections/{collection.id}/completeness.csv?status=withdrawn")
    _, *rows = read_csv(response)
    assert [row[0] for row in rows] == ["'" + world.evil.name]
    assert rows[0][3] == "Withdrawn"


@pytest.mark.parametrize("suffix", ["completeness", "completeness.csv"])
def test_an_unknown_status_is_a_field_error_and_400(client, world, collection, suffix):
    client.sign_in(world.analyst.email)
    soup = client.page(
        f"/collections/{collection.id}/{suffix}?status=submitted&status=lost", status=400
    )
    summary = soup.select_one(".nhsuk-error-summary")
    assert summary is not None
    message = soup.select_one("#status-error, .nhsuk-error-message").get_text(" ", strip=True)
    assert "Select statuses from the list" in message
    assert soup.select_one("title").get_text().startswith("Error:")
    assert soup.select_one("#completeness-export") is None
