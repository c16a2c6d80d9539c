"""Every role's pages in Chromium at 1280 px and 375 px, checked by axe-core against
WCAG 2.0, 2.1 and 2.2 A and AA, and for sideways scroll on a phone (issue 16).

Each test signs in as one demo role and walks the app as that person can: from the home
page, every link in the header and the page, breadth first, one page of each kind (a
kind is the path with its numbers and periods taken out, so one month's figures stand
for all of them), up to 30 pages (the practice roles reach more kinds than that: the
nearest 30 to the home page are checked). Every disclosure is opened before axe runs, so
the data tables behind "Data table" links are checked too. Then the states a link cannot
reach: each form the role fills in, sent with a mistake, so its error summary and
messages are checked.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page

from monitor.demo import DEMO_PASSWORD
from tests.browser.axe import violations
from tests.browser.conftest import sign_in, watched_page

WIDTHS = {"desktop": 1280, "phone": 375}
DOWNLOADS = (".csv", ".xlsx", ".pdf", ".svg", ".png", ".zip", ".json")
PER_KIND = 1
MOST_PAGES = 30

# A few mistakes per role, each sent from the form a person would use: (the form's page,
# what to type into which labelled box, the button). Each re-renders the form with an
# error summary; nothing is saved.
MISTAKES = {
    "pm@highfields.example": [
        ("/figures/2026-10", {"Average time to answer calls": "soon"}, "Save figures"),
        ("/spending/new", {"Total cost": "-5"}, "Save spending"),
        ("/staffing/new", {}, "Save staffing change"),
        ("/interventions/new", {}, "Save intervention"),
        ("/case-examples/new", {}, "Save case example"),
        ("/change-password", {}, "Save password"),
    ],
    "analyst@icb.example": [("/collections/new", {}, "Open collection")],
    "admin@icb.example": [("/admin/users/new", {}, "Add user")],
}
ROLES = [
    "pm@highfields.example",
    "viewer@highfields.example",
    "lead@riverside-pcn.example",
    "analyst@icb.example",
    "admin@icb.example",
    None,  # signed out
]


def kind(url: str) -> str:
    parts = urlsplit(url)
    path = re.sub(r"\d{4}-\d{2}(-q\d)?|\d+", "N", parts.path)
    return path + (
        "?" + ",".join(sorted(re.findall(r"([^&=]+)=", parts.query))) if parts.query else ""
    )


def followable(href: str) -> bool:
    parts = urlsplit(href)
    return not (
        parts.path.endswith(DOWNLOADS)
        or parts.path in ("/sign-out", "/sign-in/authenticator-code")
        or "download" in parts.query
    )


def check_page(page: Page, width: int) -> list[str]:
    """What is wrong with the page as it stands: axe's findings and any sideways scroll."""
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    found = violations(page)
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    if scroll_width > width:
        found.append(f"scrolls sideways: {scroll_width} px wide at {width} px")
    return found


def walk(page: Page, width: int) -> tuple[dict[str, list[str]], list[str]]:
    problems: dict[str, list[str]] = {}
    seen: set[str] = set()
    kinds: Counter[str] = Counter()
    queue = deque(["/"])
    while queue and len(seen) < MOST_PAGES:
        url = queue.popleft()
        if url in seen or kinds[kind(url)] >= PER_KIND:
            continue
        seen.add(url)
        kinds[kind(url)] += 1
        response = page.goto(url)
        if response is None or "text/html" not in response.headers.get("content-type", ""):
            continue
        if found := check_page(page, width):
            problems[url] = found
        hrefs = page.eval_on_selector_all(
            "a[href^='/']", "links => links.map(a => a.getAttribute('href'))"
        )
        queue.extend(h.split("#")[0] for h in hrefs if followable(h) and h.split("#")[0])
    return problems, sorted(seen)


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
@pytest.mark.parametrize("email", ROLES, ids=lambda e: (e or "signed-out").split("@")[0])
def test_every_page_a_role_can_reach_has_no_accessibility_violation(
    chromium, live_server, email, width
):
    page, context = watched_page(chromium, live_server)
    page.set_viewport_size({"width": width, "height": 800})
    try:
        if email:
            sign_in(page, email, DEMO_PASSWORD)
        problems, seen = walk(page, width)
        for url, fields, button in MISTAKES.get(email, []):
            page.goto(url)
            for label, value in fields.items():
                page.get_by_label(label).first.fill(value)
            page.get_by_role("button", name=button, exact=True).click()
            page.wait_for_load_state()
            summary = page.locator(".nhsuk-error-summary")
            assert summary.is_visible(), f"{url}: no error summary after a mistake"
            if found := check_page(page, width):
                problems[f"{url} (with a mistake)"] = found
        if email is None:
            page.goto("/sign-in")
            page.get_by_role("button", name="Sign in").click()
            if found := check_page(page, width):
                problems["/sign-in (with a mistake)"] = found
        assert len(seen) >= (3 if email is None else 10), seen
        assert problems == {}
        assert page.console_errors == []
    finally:
        context.close()
