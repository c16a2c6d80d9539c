"""At 375 px no page of a practice manager's main journey scrolls sideways (issue 16):
wide tables scroll inside their own focusable, labelled region instead."""

import pytest

from monitor.demo import DEMO_PASSWORD
from tests.browser.conftest import sign_in

PHONE = {"width": 375, "height": 667}
PAGES = [
    "/",
    "/dashboard",
    "/metrics/call_answer_time",
    "/money",
    "/figures",
    "/spending",
    "/staffing",
    "/interventions",
    "/allocations",
    "/summary",
    "/returns",
]


@pytest.fixture
def phone(chromium, live_server):
    context = chromium.new_context(base_url=live_server, viewport=PHONE)
    page = context.new_page()
    sign_in(page, "pm@highfields.example", DEMO_PASSWORD)
    yield page
    context.close()


def test_no_page_of_the_practice_managers_journey_scrolls_sideways_at_375px(phone):
    wide = {}
    for url in PAGES:
        response = phone.goto(url)
        assert response.ok, url
        width = phone.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            wide[url] = width
    assert wide == {}
    # The spending items scroll inside their region, which a keyboard can reach.
    phone.goto("/spending")
    region = phone.locator("div.app-table-scroll", has=phone.locator("#spend-items"))
    assert region.get_attribute("tabindex") == "0"
    assert region.get_attribute("aria-label").startswith("Spending items in")


@pytest.mark.parametrize(
    "email",
    ["lead@riverside-pcn.example", "analyst@icb.example", "admin@icb.example"],
)
def test_the_other_roles_pages_linked_from_home_do_not_scroll_sideways(
    chromium, live_server, email
):
    context = chromium.new_context(base_url=live_server, viewport=PHONE)
    page = context.new_page()
    try:
        sign_in(page, email, DEMO_PASSWORD)
        page.goto("/")
        links = page.eval_on_selector_all(
            "main a[href^='/'], header a[href^='/']", "as => as.map(a => a.getAttribute('href'))"
        )
        urls = ["/"] + sorted({u for u in links if not u.endswith((".csv", ".xlsx", ".pdf"))})
        wide = {}
        for url in urls[:25]:
            response = page.goto(url)
            if response is None or not response.ok:
                continue
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                wide[url] = width
        assert len(urls) > 3
        assert wide == {}
    finally:
        context.close()
