"""On a phone the SPC chart's text stays at least 12 px high (issue 16): the page offers
the chart laid out for a phone, and the browser picks it below the tablet breakpoint."""

import re

import pytest
from defusedxml import ElementTree

from monitor.demo import DEMO_PASSWORD
from tests.browser.conftest import sign_in, watched_page

SVG_TEXT = "{http://www.w3.org/2000/svg}text"


def smallest_text_px(page, image) -> float:
    """The smallest text of the chart the browser shows, in CSS pixels as drawn."""
    source = image.evaluate("img => img.currentSrc")
    svg = ElementTree.fromstring(page.request.get(source).body())
    width_pt = float(svg.get("width").removesuffix("pt"))
    sizes = [
        float(re.search(r"font-size: ([\d.]+)px", text.get("style")).group(1))
        for text in svg.iter(SVG_TEXT)
    ]
    return min(sizes) * image.evaluate("img => img.clientWidth") / width_pt


@pytest.mark.parametrize(
    ("width", "phone_chart"), [(375, True), (1280, False)], ids=["phone", "desktop"]
)
def test_the_spc_charts_text_is_at_least_12px_on_a_phone(chromium, live_server, width, phone_chart):
    page, context = watched_page(chromium, live_server)
    page.set_viewport_size({"width": width, "height": 800})
    try:
        sign_in(page, "pm@highfields.example", DEMO_PASSWORD)
        page.goto("/metrics/call_answer_time")
        image = page.locator("figure.app-chart img")
        image.evaluate("img => img.decode()")
        assert ("width=phone" in image.evaluate("img => img.currentSrc")) is phone_chart
        assert smallest_text_px(page, image) >= 12
        assert page.console_errors == []
    finally:
        context.close()
