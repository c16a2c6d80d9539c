"""Browser tests: Playwright drives Debian's Chromium against the app on a live server.

The app runs in a thread on 127.0.0.1 with an SQLite database holding the demo data.
Chromium is Debian's package (/usr/bin/chromium, or CHROMIUM_PATH); Playwright's own
browser download is never used.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import threading
import time
from contextlib import closing
from urllib.parse import urlsplit

import pyotp
import pytest
from playwright.sync_api import Page, sync_playwright
from sqlalchemy import create_engine
from sqlmodel import Session, SQLModel
from werkzeug.serving import make_server

from monitor import create_app
from monitor.core.clock import today
from monitor.demo import DEMO_TOTP_SECRETS, load_all_demo_data
from monitor.services.second_factor import DRIFT_STEPS, STEP_SECONDS
from tests.factories import TOTP_SECRET

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium():
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        raise RuntimeError(
            f"Chromium not found at {CHROMIUM}. Install Debian's chromium package "
            "(make test and .ci/run do this) or set CHROMIUM_PATH."
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def buffered(app):
    """The app with each response read whole (and its file closed) before any byte is
    sent. A browser that closes its page mid-download (a favicon as a test ends) then
    cannot leave a static file open for the garbage collector to warn about."""

    def wsgi(environ, start_response):
        chunks = app(environ, start_response)
        try:
            body = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        return [body]

    return wsgi


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory):
    """An SQLite file holding the schema and the demo data, made once a session and
    copied for each test (loading the demo takes seconds; a copy, milliseconds)."""
    path = tmp_path_factory.mktemp("browser-demo") / "demo.sqlite3"
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    app = create_app("test", DATABASE_URL=url)
    with Session(app.extensions["monitor.engine"]) as session:
        load_all_demo_data(session, app.extensions["monitor.passwords"], today=today())
    app.extensions["monitor.jobs"].close()
    app.extensions["monitor.engine"].dispose()
    # Everything into the one file (the app writes ahead to a -wal file), so a copy of
    # it is the whole database.
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA journal_mode=DELETE")
    return path


@pytest.fixture
def live_server(tmp_path, demo_database):
    """The app on a free local port, with the demo data loaded. Yields its base URL."""
    path = tmp_path / "browser.sqlite3"
    shutil.copyfile(demo_database, path)
    app = create_app("test", DATABASE_URL=f"sqlite:///{path}")
    server = make_server("127.0.0.1", 0, buffered(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        app.extensions["monitor.engine"].dispose()


def watched_page(chromium, base_url: str) -> tuple[Page, object]:
    """A page in a fresh browser context that records script errors, CSP violations and
    any asset (not the page itself, which may rightly be a 400 for a rejected form) that
    failed to load, in `page.console_errors`."""
    context = chromium.new_context(base_url=base_url, viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.console_errors = []

    def on_console(message):
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            page.console_errors.append(message.text)

    def on_response(response):
        if response.status >= 400 and response.request.resource_type != "document":
            page.console_errors.append(f"{response.status} {response.url}")

    page.on("console", on_console)
    page.on("response", on_response)
    page.set_default_timeout(10_000)
    return page, context


@pytest.fixture
def page(chromium, live_server) -> Page:
    page, context = watched_page(chromium, live_server)
    yield page
    context.close()


@pytest.fixture
def second_page(chromium, live_server) -> Page:
    """Another person at another browser, watched for errors like `page`."""
    page, context = watched_page(chromium, live_server)
    yield page
    context.close()


def sign_in(page: Page, email: str, password: str) -> None:
    """Sign in as a person would; an ICB analyst or administrator then enters the code
    their authenticator app shows: for the demo's published secret, or for the one
    tests.factories enrols the users it makes with."""
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    # Each step waits for the page its button leads to, so the caller's next action is
    # on that page and not on the one it is leaving.
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    if urlsplit(page.url).path == "/sign-in/authenticator-code":
        code = authenticator_code(page, DEMO_TOTP_SECRETS.get(email, TOTP_SECRET))
        page.get_by_label("Enter the code from your authenticator app").fill(code)
        with page.expect_navigation():
            page.get_by_role("button", name="Continue").click()


# The last time step whose code was entered, per server and secret: a code is accepted
# only once, and tests sign the same person in more than once within 30 seconds.
_steps_used: dict[tuple[str, str], int] = {}


def authenticator_code(page: Page, secret: str) -> str:
    """The code an app would show that this server has not accepted yet: now's, or the
    next step's (accepted for clock drift); past that, wait for the clock to move on."""
    key = (urlsplit(page.url).netloc, secret)
    now = int(time.time()) // STEP_SECONDS
    step = max(now, _steps_used.get(key, now - 1) + 1)
    if step > now + DRIFT_STEPS:
        time.sleep((step - DRIFT_STEPS) * STEP_SECONDS - time.time() + 0.1)
    _steps_used[key] = step
    return pyotp.TOTP(secret).generate_otp(step)
