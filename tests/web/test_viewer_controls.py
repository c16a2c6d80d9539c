"""A practice viewer (read only) sees no control they cannot use, on any page they can
reach: every page is crawled as the viewer, following every link on it, and no link,
button or form may lead to something the viewer would be refused, nor offer to change
anything ("Change", "Add figures", "Record spending", "Withdraw return"...)."""

from __future__ import annotations

import re
from collections import deque
from datetime import date
from urllib.parse import urljoin, urlsplit

import pytest
from bs4 import BeautifulSoup
from werkzeug.exceptions import HTTPException

from monitor.models import Role
from monitor.web.access import rule_for_endpoint
from tests.factories import make_case, make_collection, make_return, make_value

VIEWER = Role.PRACTICE_VIEWER
# Files, charts and data: checked against the access rule, not opened.
FILE = re.compile(r"\.(csv|xlsx|pdf|svg|png|zip|json|<fmt>)$")
# Words that offer to change something: the text of a link or button a viewer must not
# see. "Change history" reads the record's history, and a viewer may change their own
# password and sign-in settings (auth.*).
EDIT_WORDS = re.compile(
    r"^(Change|Add|Record|Delete|Edit|Upload|Override|Submit|Withdraw|Write|Save|Deactivate)\b"
)
READING = re.compile(r"^Change history")
OWN_ACCOUNT = "auth."
# The crawl opens at most this many variants of one page (query strings), so it ends.
VARIANTS_PER_ENDPOINT = 4


@pytest.fixture
def rich_world(world, session):
    """The viewer's practice with something on every page: figures, every kind of record
    (from `world`), a case example, a submitted return and one with figures to review."""
    for month, number in (("2025-07", 30), ("2025-08", 35), ("2025-09", 40)):
        make_value(
            session,
            practice=world.practice,
            item_id="home_visits",
            period_code=month,
            number=number,
        )
    make_case(session, practice=world.practice, metric_item_ids=["home_visits"])
    submitted = make_collection(session, icb=world.icb, name="Submitted return")
    make_return(session, collection=submitted, practice=world.practice)
    make_collection(
        session,
        icb=world.icb,
        name="Open return",
        period_code="2025-26-q2",
        opens_on=date(2025, 10, 1),
    )
    return world


def endpoint_of(app, path: str, method: str = "GET") -> str | None:
    try:
        endpoint, _ = app.url_map.bind("").match(path, method=method)
    except HTTPException:
        return None
    return endpoint


def viewer_may(app, endpoint: str) -> bool:
    with app.test_request_context():
        rule = rule_for_endpoint(endpoint)
    return rule is not None and rule.permits(VIEWER)


def control_text(tag) -> str:
    return " ".join(tag.get_text(" ", strip=True).split())


def check_page(app, url: str, soup: BeautifulSoup) -> tuple[list[str], list[str]]:
    """(problems on the page, same-site links to follow)."""
    problems, links = [], []
    main = soup.select_one("main") or soup
    for form in soup.select("form"):
        method = (form.get("method") or "get").upper()
        action = urlsplit(urljoin(url, form.get("action") or url)).path
        endpoint = endpoint_of(app, action, method)
        if endpoint is None or not viewer_may(app, endpoint):
            problems.append(f"{url}: a {method} form to {action}, which the viewer may not use")
        elif method == "POST" and not endpoint.startswith(OWN_ACCOUNT):
            problems.append(f"{url}: a form that changes something ({action})")
    for control in main.select("a[href], button, input[type=submit]"):
        text = control_text(control) or control.get("value", "")
        if EDIT_WORDS.match(text) and not READING.match(text):
            href = control.get("href", "")
            form = control.find_parent("form")
            if not href and form is not None:  # a form's button: where the form goes
                href = form.get("action") or url
            method = "GET" if control.name == "a" else (form.get("method") or "get").upper()
            endpoint = endpoint_of(app, urlsplit(urljoin(url, href)).path, method)
            if not (endpoint or "").startswith(OWN_ACCOUNT):
                problems.append(f"{url}: shows “{text}” ({href or control.name})")
    for anchor in soup.select("a[href]"):
        href = anchor["href"]
        if href.startswith(("#", "mailto:")) or urlsplit(href).netloc:
            continue
        target = urljoin(url, href).split("#")[0]
        endpoint = endpoint_of(app, urlsplit(target).path)
        if endpoint is None:
            problems.append(f"{url}: links to {target}, which is no page")
        elif not viewer_may(app, endpoint):
            problems.append(f"{url}: links to {target} ({endpoint}), refused to a viewer")
        else:
            links.append(target)
    return problems, links


def crawl(app, client, starts: list[str]):
    problems: list[str] = []
    seen: set[str] = set()
    visited: set[str] = set()
    variants: dict[str, int] = {}
    queue = deque(starts)
    while queue:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        path = urlsplit(url).path
        endpoint = endpoint_of(app, path)
        if endpoint in (None, "static") or FILE.search(path):
            continue
        variants[endpoint] = variants.get(endpoint, 0) + 1
        if variants[endpoint] > VARIANTS_PER_ENDPOINT:
            continue
        response = client.get(url)
        if response.status_code == 403:
            problems.append(f"{url}: 403 for the viewer, yet linked")
            continue
        if response.status_code in (301, 302, 303):
            queue.append(response.headers["Location"])
            continue
        if response.status_code != 200 or not response.mimetype.startswith("text/html"):
            continue
        visited.add(endpoint)
        found, links = check_page(
            app, url, BeautifulSoup(response.get_data(as_text=True), "html.parser")
        )
        problems += found
        queue.extend(link for link in links if link not in seen)
    return visited, problems


def html_pages_a_viewer_may_open(app) -> set[str]:
    pages = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static" or FILE.search(rule.rule):
            continue
        if viewer_may(app, rule.endpoint):
            pages.add(rule.endpoint)
    return pages


def starting_pages(app, world) -> list[str]:
    """Home, the practice's profile, and every page of the URL map without variable
    parts that a viewer's role admits (some, like /sharing, no page links to)."""
    pages = ["/", f"/practices/{world.practice.id}"]
    for rule in app.url_map.iter_rules():
        if rule.arguments or "GET" not in rule.methods or FILE.search(rule.rule):
            continue
        if viewer_may(app, rule.endpoint):
            pages.append(rule.rule)
    return pages


# Pages the viewer's role admits that a viewer is sent away from, with the reason.
NOT_FOR_A_VIEWER = {
    "auth.sign_in": "signed in already: it sends them home",
    "auth.sign_in_code": "the second step of signing in",
    "auth.sign_in_set_up": "the second step of signing in",
}


def test_a_practice_viewer_sees_no_control_they_cannot_use_on_any_page(app, client, rich_world):
    client.sign_in(rich_world.viewer.email)

    visited, problems = crawl(app, client, starting_pages(app, rich_world))

    assert not problems, "\n".join(sorted(set(problems)))
    unreached = html_pages_a_viewer_may_open(app) - visited - set(NOT_FOR_A_VIEWER)
    assert not unreached, f"the crawl never reached {sorted(unreached)}"


def test_the_review_page_shows_a_viewer_the_figures_without_change_links(
    app, client, session, rich_world
):
    collection = make_collection(session, icb=rich_world.icb, name="Another return")
    client.sign_in(rich_world.viewer.email)
    soup = client.page(f"/returns/{collection.id}/review")
    text = soup.select_one("main").get_text(" ", strip=True)
    assert "Home visits" in text
    offered = {control_text(a) for a in soup.select("main a")}
    assert not {t for t in offered if EDIT_WORDS.match(t)}, offered

    editor = app.test_client()
    editor.sign_in(rich_world.editor.email)
    soup = editor.page(f"/returns/{collection.id}/review")
    offered = {control_text(a) for a in soup.select("main a")}
    assert any(t.startswith("Change") for t in offered)
    assert any(t.startswith(("Record spending", "Change spending")) for t in offered)
