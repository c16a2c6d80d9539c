"""The dashboard on a phone (375 × 667): the baseline's Show button sits beside its
select, and a figure card shows without scrolling."""

from monitor.demo import DEMO_PASSWORD
from tests.browser.conftest import sign_in

PHONE = {"width": 375, "height": 667}


def test_dashboard_on_a_phone_shows_a_figure_and_the_button_beside_its_select(
    chromium, live_server
):
    context = chromium.new_context(base_url=live_server, viewport=PHONE)
    page = context.new_page()
    try:
        sign_in(page, "pm@highfields.example", DEMO_PASSWORD)
        page.goto("/dashboard")
        first = page.locator(".app-metric-card").first
        card = first.bounding_box()
        assert card["y"] < PHONE["height"], f"first figure starts at {card['y']:.0f} px"
        name = first.locator("h2").bounding_box()  # the figure's name reads, not just a border
        assert name["y"] + name["height"] <= PHONE["height"]

        select = page.locator("select#baseline").bounding_box()
        show = page.get_by_role("button", name="Show").bounding_box()
        # On one line: the button's box overlaps the select's vertically, to its right.
        assert show["y"] < select["y"] + select["height"]
        assert show["y"] + show["height"] > select["y"]
        assert show["x"] >= select["x"] + select["width"]
        assert show["x"] + show["width"] <= PHONE["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        # The intro and the link to the impact summary are still on the page, after the cards.
        summary_link = page.get_by_role("link", name="Impact summary for partners")
        assert summary_link.bounding_box()["y"] > card["y"]
    finally:
        context.close()
