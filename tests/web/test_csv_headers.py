"""Every CSV download says what it is exactly once: `Content-Type: text/csv; charset=utf-8`.

Werkzeug appends "; charset=utf-8" to any text/* type it is given as a bare mimetype, so
a type that already names its charset went out as "text/csv; charset=utf-8;
charset=utf-8", which strict clients refuse. The routes are found from the URL map, so a
new CSV route cannot ship without being checked here.
"""

from __future__ import annotations

import pytest

from monitor.web.downloads import download
from tests.factories import make_collection, make_home_visits

CSV_TYPE = "text/csv; charset=utf-8"

# endpoint -> (who downloads it, url builder)
CSV_ROUTES = {
    "evidence.metric_data": ("editor", lambda w, c: "/metrics/home_visits/data.csv"),
    "summary.table_csv": ("editor", lambda w, c: "/summary/tables/spending.csv?year=2025"),
    "icb.tidy_csv": ("analyst", lambda w, c: f"/collections/{c.id}/returns.csv"),
    "icb.completeness_csv": ("analyst", lambda w, c: f"/collections/{c.id}/completeness.csv"),
    "national_imports.hep_schedule_csv": (
        "analyst",
        lambda w, c: "/national-data/hep-payment-schedule.csv",
    ),
}


@pytest.fixture
def csv_world(session, world):
    make_home_visits(session, practice=world.practice)
    return world, make_collection(session, icb=world.icb)


def test_every_csv_route_is_checked(app):
    csv_endpoints = {
        rule.endpoint for rule in app.url_map.iter_rules() if rule.rule.endswith(".csv")
    }
    assert csv_endpoints == set(CSV_ROUTES)


def _assert_one_csv_type(response, url: str) -> None:
    assert response.status_code == 200, url
    assert response.headers.getlist("Content-Type") == [CSV_TYPE], url
    assert response.headers["Content-Disposition"].startswith("attachment; filename="), url


@pytest.mark.parametrize("endpoint", sorted(CSV_ROUTES))
def test_csv_download_sends_one_charset(client, csv_world, endpoint):
    world, collection = csv_world
    who, url_for = CSV_ROUTES[endpoint]
    client.sign_in(getattr(world, who).email)
    url = url_for(world, collection)
    _assert_one_csv_type(client.get(url), url)


def test_every_summary_table_csv_sends_one_charset(client, csv_world):
    world, _ = csv_world
    client.sign_in(world.editor.email)
    links = [
        a["href"] for a in client.page("/summary?year=2025").select("a[href]")
        if ".csv" in a["href"]
    ]  # fmt: skip
    assert len(links) >= 3
    for url in links:
        _assert_one_csv_type(client.get(url), url)


@pytest.mark.parametrize(
    ("media_type", "header"),
    [
        ("text/csv", CSV_TYPE),
        (CSV_TYPE, CSV_TYPE),
        ("text/csv; Charset=UTF-8", "text/csv; Charset=UTF-8"),
        ("application/pdf", "application/pdf"),
    ],
)
def test_a_download_names_a_text_types_charset_once(media_type, header):
    assert download(b"x", media_type, "x.csv").headers.getlist("Content-Type") == [header]
