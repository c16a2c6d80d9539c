"""An ICB analyst imports NHS data in Chromium: uploads the real Cloud Based Telephony
excerpt, watches the progress bar until the page turns into the preview by itself (the
page's script, no reload), confirms, watches again until the import is complete, and the
practices' figures for February 2026 are filled. The pages read at 375 px."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine
from sqlmodel import Session, SQLModel, select
from werkzeug.serving import make_server

from monitor import create_app
from monitor.jobs import jobs_of, start_worker
from monitor.models import MetricValue, NationalImport, Role
from tests.browser.conftest import buffered, sign_in, watched_page
from tests.factories import PASSWORD, make_user, onboard_llr
from tests.published_files import OPENDATA

CBT = "cbt_publication_summary_feb2026_LLR_excerpt.xlsx"
TODAY = date(2026, 4, 20)
ANALYST = "analyst@llr.example"


@pytest.fixture
def llr_server(tmp_path):
    """The app on a free local port with LLR (QK1) onboarded from the real excerpts, on
    template version 2, and its analyst. No worker runs until the test starts one, so
    the page is seen waiting first."""
    url = f"sqlite:///{tmp_path / 'browser.sqlite3'}"
    engine = create_engine(url)
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    app = create_app("test", DATABASE_URL=url, JOBS_TODAY=TODAY, JOBS_POLL_SECONDS=0.1)
    app.instance_path = str(tmp_path / "instance")
    with Session(app.extensions["monitor.engine"], expire_on_commit=False) as session:
        icb = onboard_llr(session, today=TODAY)
        make_user(session, role=Role.ICB_ANALYST, organisation=icb, email=ANALYST)
    server = make_server("127.0.0.1", 0, buffered(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        jobs_of(app).close()
        app.extensions["monitor.engine"].dispose()


def filled(app) -> list[MetricValue]:
    with Session(app.extensions["monitor.engine"]) as session:
        return session.exec(select(MetricValue).where(MetricValue.source == "cbt")).all()


def test_an_analyst_imports_the_cbt_excerpt_watching_the_progress_bar(chromium, llr_server):
    app, base_url = llr_server
    page, context = watched_page(chromium, base_url)
    worker = None
    try:
        sign_in(page, ANALYST, PASSWORD)
        page.get_by_role("link", name="NHS data", exact=True).first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("National data imports")
        page.get_by_role("button", name="Import NHS data").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Import NHS data")
        page.locator("input[type=file][name=file]").set_input_files(str(OPENDATA / CBT))
        page.get_by_role("button", name="Upload and check").click()

        # Waiting for a worker: the bar, its label and its text equivalent.
        expect(page.get_by_role("heading", level=1)).to_have_text("Importing NHS data")
        bar = page.get_by_label("Progress of the import")
        expect(bar).to_be_visible()
        expect(page.get_by_role("status")).to_have_text("Waiting to start.")
        expect(page.locator("#import-refresh")).to_be_hidden()  # the script refreshes
        page.evaluate("window.stayedOnThePage = true")

        worker = start_worker(app, threaded=True)
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Check the import", timeout=30_000
        )
        assert page.evaluate("window.stayedOnThePage") is True  # swapped, not reloaded
        assert page.evaluate("document.activeElement.id") == "import-heading"
        expect(page).to_have_title("Check the import – HEP Impact Monitor")
        expect(page.locator("#recognised")).to_contain_text(
            "Cloud Based Telephony, February 2026 publication: 6 practice rows, "
            "6 of your 6 practices"
        )
        expect(page.locator("#import-changes tbody tr")).to_have_count(30)
        page.get_by_role("button", name="Confirm import").click()

        page.evaluate("window.stayedOnThePage = true")
        expect(page.get_by_role("heading", level=1)).to_have_text("Import complete", timeout=30_000)
        expect(page.locator("#import-counts")).to_contain_text("Values that were added")
        assert len(filled(app)) == 30
        with Session(app.extensions["monitor.engine"]) as session:
            done = session.exec(select(NationalImport)).one()
        assert {v.import_id for v in filled(app)} == {done.id}
        assert {v.period_code for v in filled(app)} == {"2026-02"}

        page.get_by_role("link", name="Every import").click()
        row = page.locator("#imports tbody tr").first
        expect(row).to_contain_text("Imported")
        expect(row).to_contain_text("30 added")
        assert page.console_errors == []
    finally:
        if worker is not None:
            worker.stop(graceful=True)
        context.close()


def test_the_import_pages_read_at_375px(chromium, llr_server):
    app, base_url = llr_server
    context = chromium.new_context(base_url=base_url, viewport={"width": 375, "height": 800})
    page = context.new_page()
    worker = start_worker(app, threaded=True)
    try:
        sign_in(page, ANALYST, PASSWORD)
        page.goto("/national-data/imports/new")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.locator("input[type=file][name=file]").set_input_files(str(OPENDATA / CBT))
        page.get_by_role("button", name="Upload and check").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Check the import", timeout=30_000
        )
        # Narrow screens stack each change, every value under its column's heading.
        change = page.locator("#import-changes tbody tr").first
        expect(change.locator(".nhsuk-table__heading").first).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.goto("/national-data/imports")
        expect(page.locator("#imports")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
    finally:
        worker.stop(graceful=True)
        context.close()
