"""A practice manager opens a month NHS data filled: the published figures come first,
read only, with their source; overriding one asks for a reason, and once saved the
figure is the practice's, with what NHS England published beside it."""

from __future__ import annotations

import threading

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine
from sqlmodel import Session, SQLModel, select
from werkzeug.serving import make_server

from monitor import create_app
from monitor.core.clock import today
from monitor.demo import DEMO_PASSWORD, load_all_demo_data
from monitor.models import Icb, MetricValue, Practice
from tests.browser.conftest import buffered, sign_in, watched_page
from tests.factories import make_imported_value, make_national_import

EDITOR = "pm@highfields.example"
CBT = "Cloud Based Telephony, February 2026 publication"
PUBLISHED = {  # items version 2 adds, which the demo has no figures for
    "calls_answered_pct": 88.5,
    "calls_missed_pct": 11.5,
    "calls_answered_within_2_min_pct": 61.0,
    "callbacks_requested": 40,
}


@pytest.fixture
def prefilled_server(tmp_path):
    """The demo, its ICB on template version 2, and Highfields' February 2026 CBT
    figures imported."""
    url = f"sqlite:///{tmp_path / 'browser.sqlite3'}"
    engine = create_engine(url)
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    app = create_app("test", DATABASE_URL=url)
    with Session(app.extensions["monitor.engine"], expire_on_commit=False) as session:
        load_all_demo_data(session, app.extensions["monitor.passwords"], today=today())
        practice = session.exec(select(Practice).where(Practice.ods_code == "Z00001")).one()
        icb = session.get(Icb, practice.icb_id)
        icb.template_version = 2
        session.add(icb)
        session.commit()
        found = make_national_import(session, icb=icb, description=CBT)
        for item_id, number in PUBLISHED.items():
            make_imported_value(
                session, practice=practice, item_id=item_id, period_code="2026-02",
                number=number, national_import=found,
            )  # fmt: skip
    server = make_server("127.0.0.1", 0, buffered(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app
    finally:
        server.shutdown()
        thread.join(timeout=5)
        app.extensions["monitor.engine"].dispose()


def test_manager_sees_published_figures_first_and_overrides_one_with_a_reason(
    chromium, prefilled_server
):
    base_url, app = prefilled_server
    page, context = watched_page(chromium, base_url)
    sign_in(page, EDITOR, DEMO_PASSWORD)
    page.goto("/figures/2026-02")

    prefilled = page.locator("#prefilled")
    expect(prefilled).to_be_visible()
    calls = prefilled.locator(".nhsuk-summary-list__row", has_text="Calls answered").first
    expect(calls).to_contain_text("88.5%")
    expect(calls).to_contain_text(f"From {CBT}")
    expect(page.get_by_label("Calls answered", exact=True)).to_have_count(0)  # not a box
    expect(page.get_by_role("heading", name="Figures to add yourself")).to_be_visible()

    prefilled.get_by_role("link", name="Override Calls answered", exact=True).click()
    box = page.get_by_label("Calls answered", exact=True)
    expect(box).to_have_value("88.5")
    box.fill("90")
    page.get_by_role("button", name="Save figures").click()

    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text(
        "Enter why you are overriding the published figure for Calls answered"
    )
    summary.get_by_role("link").first.click()
    reason = page.get_by_label("Reason for overriding the published figure")
    expect(reason).to_be_focused()
    reason.fill("Calls to the branch surgery line were left out of the report")
    page.get_by_role("button", name="Save figures").click()

    expect(page.locator(".nhsuk-notification-banner")).to_contain_text(
        "February 2026 figures saved"
    )
    page.goto("/figures/2026-02")
    expect(page.get_by_label("Calls answered", exact=True)).to_have_value("90")
    expect(page.locator("#calls_answered_pct-published")).to_have_text(
        "NHS England published 88.5% for this month."
    )
    keys = page.locator("#prefilled .nhsuk-summary-list__key")
    expect(keys).to_have_text(
        ["Calls missed", "Calls answered within 2 minutes", "Call-backs requested"]
    )
    with Session(app.extensions["monitor.engine"]) as session:
        row = session.exec(
            select(MetricValue).where(MetricValue.item_id == "calls_answered_pct")
        ).one()
        assert (row.value_number, row.published_number) == (90, 88.5)
        assert row.override_reason.startswith("Calls to the branch surgery line")
    assert page.console_errors == []
    context.close()
