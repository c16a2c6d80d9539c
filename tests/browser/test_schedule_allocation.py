"""A practice manager opens last year's figures after the ICB imported its HEP payment
schedule: the allocation is there already, read only, saying it came from the schedule;
overriding it asks for a reason, and once saved the figure is the practice's, with what
the schedule says beside it, and the allocations page says it overrides the schedule."""

from __future__ import annotations

import hashlib
import threading
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine
from sqlmodel import Session, SQLModel, select
from werkzeug.serving import make_server

from monitor import create_app
from monitor.core.checklist import Frequency
from monitor.core.clock import today
from monitor.core.periods import Period, financial_year_label, financial_year_of
from monitor.demo import DEMO_PASSWORD, load_all_demo_data
from monitor.importers import datasets
from monitor.importers.published import read_published
from monitor.models import HepAllocation, Icb, NationalImport, Practice
from monitor.services import national_data
from tests.browser.conftest import buffered, sign_in, watched_page
from tests.factories import shipped_templates
from tests.published_files import csv_bytes

EDITOR = "pm@highfields.example"
V2 = shipped_templates()[("hep-light-touch", 2)]
FY = financial_year_of(today()) - 1  # the last year that has ended: its figures page is open
YEAR = financial_year_label(FY)
FIGURES = f"/figures/{Period(Frequency.ANNUAL, FY, 1).code}"
REASON = "The ICB recovered £2,000 of an overpayment in March"


@pytest.fixture
def schedule_server(tmp_path):
    """The demo, its ICB on template version 2, and a synthetic payment schedule giving
    Highfields (Z00001, a fictional code) £52,340 for last year in place of the demo's."""
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
        demo = session.exec(
            select(HepAllocation).where(
                HepAllocation.practice_id == practice.id, HepAllocation.financial_year == FY
            )
        ).one()
        session.delete(demo)
        session.commit()
        data = csv_bytes(
            [
                ["ods_code", "financial_year", "amount", "payment_date"],
                ["Z00001", YEAR, "52,340.00", f"30/06/{FY}"],
            ]
        )
        extract = datasets.read(read_published("synthetic-schedule.csv", data))
        found = NationalImport(
            icb_id=icb.id,
            filename=extract.filename,
            sha256=hashlib.sha256(data).hexdigest(),
            dataset=extract.source,
            description=extract.description,
        )
        session.add(found)
        session.commit()
        plan = national_data.plan_import(
            session, icb=icb, template=V2, extract=extract, today=today()
        )
        national_data.apply_import(
            session, user=None, plan=plan, template=V2, national_import=found
        )
    server = make_server("127.0.0.1", 0, buffered(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app
    finally:
        server.shutdown()
        thread.join(timeout=5)
        app.extensions["monitor.engine"].dispose()


def test_manager_sees_the_schedules_allocation_and_overrides_it_with_a_reason(
    chromium, schedule_server
):
    base_url, app = schedule_server
    page, context = watched_page(chromium, base_url)
    sign_in(page, EDITOR, DEMO_PASSWORD)
    page.goto(FIGURES)

    prefilled = page.locator("#prefilled")
    allocation = prefilled.locator(".nhsuk-summary-list__row", has_text="HEP allocation received")
    expect(allocation).to_contain_text("£52,340")
    expect(allocation).to_contain_text(f"From HEP payment schedule, {YEAR}")
    expect(page.locator("#prefilled-intro")).to_contain_text(
        "Your ICB filled this from its HEP payment schedule"
    )
    expect(page.get_by_label("HEP allocation received", exact=True)).to_have_count(0)

    prefilled.get_by_role("link", name="Override HEP allocation received", exact=True).click()
    box = page.get_by_label("HEP allocation received", exact=True)
    expect(box).to_have_value("52,340")
    box.fill("50,340")
    page.get_by_role("button", name="Save figures").click()

    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text(
        "Enter why you are overriding your ICB's HEP payment schedule for HEP allocation received"
    )
    summary.get_by_role("link").first.click()
    reason = page.get_by_label("Reason for overriding the payment schedule")
    expect(reason).to_be_focused()
    reason.fill(REASON)
    page.get_by_role("button", name="Save figures").click()

    expect(page.locator(".nhsuk-notification-banner")).to_contain_text(f"{YEAR} figures saved")
    page.goto(FIGURES)
    expect(page.get_by_label("HEP allocation received", exact=True)).to_have_value("50,340")
    expect(page.locator("#hep_allocation-published")).to_have_text(
        f"Your figure overrides your ICB's HEP payment schedule, which says £52,340 for {YEAR}."
    )
    expect(page.locator("main")).not_to_contain_text("NHS England")

    page.goto("/allocations")
    row = page.locator("tbody tr", has_text=YEAR).first
    expect(row).to_contain_text("£50,340")
    expect(row).to_contain_text(
        f"Overrides your ICB's payment schedule (schedule: £52,340; reason: {REASON})"
    )
    with Session(app.extensions["monitor.engine"]) as session:
        stored = session.exec(
            select(HepAllocation)
            .join(Practice, HepAllocation.practice_id == Practice.id)
            .where(Practice.ods_code == "Z00001", HepAllocation.financial_year == FY)
        ).one()
        assert (stored.amount, stored.published_amount, stored.override_reason) == (
            Decimal("50340"), Decimal("52340"), REASON,
        )  # fmt: skip
    assert page.console_errors == []
    context.close()
