"""Setting up an authenticator app and signing in with it, as a person would."""

from pathlib import Path

import pyotp
from playwright.sync_api import expect

from monitor.demo import DEMO_PASSWORD
from tests.browser.conftest import authenticator_code, sign_in

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def test_the_demo_administrator_signs_in_with_an_authenticator_code(page):
    page.goto("/sign-in")
    page.get_by_label("Email address").fill("admin@icb.example")
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Enter the code from your authenticator app"
    )
    code = page.get_by_label("Enter the code from your authenticator app")
    code.fill("000000" if pyotp.TOTP("6MLDSZG4RP6UYR7A4TQ42FFZXPO6PHCH").now() != "000000" else "1")
    page.get_by_role("button", name="Continue").click()
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("Enter a correct code from your authenticator app")
    expect(page.locator("#code-error")).to_contain_text("Enter a correct code")
    summary.get_by_role("link").click()
    expect(code).to_be_focused()
    code.fill(authenticator_code(page, "6MLDSZG4RP6UYR7A4TQ42FFZXPO6PHCH"))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("link", name="Users", exact=True)).to_be_visible()
    assert page.console_errors == []


def test_a_practice_manager_sets_up_an_app_and_then_signs_in_with_it(page):
    sign_in(page, "pm@highfields.example", DEMO_PASSWORD)
    page.get_by_role("link", name="Priya Mistry").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    page.get_by_role("button", name="Set up an authenticator app").click()

    qr = page.get_by_role("img", name="QR code for setting up HEP Impact Monitor")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box["width"] >= 150 and box["height"] >= 150  # big enough to scan
    secret = page.locator("#secret-key").inner_text().replace(" ", "")
    assert len(secret) == 32
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "set-up-authenticator.png"), full_page=True)

    page.get_by_label("Code from your authenticator app").fill(authenticator_code(page, secret))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Save your recovery codes")
    codes = page.locator(".app-recovery-codes li")
    expect(codes).to_have_count(10)
    recovery = codes.first.inner_text()
    page.get_by_role("button", name="I have saved my recovery codes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    expect(page.locator("main")).to_contain_text("10 recovery codes left")

    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("Email address").fill("pm@highfields.example")
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Enter the code from your authenticator app"
    )
    page.get_by_text("I cannot use my authenticator app").click()
    expect(page.locator("details")).to_contain_text("recovery codes")
    page.get_by_label("Enter the code from your authenticator app").fill(recovery)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Highfields Medical Centre")
    assert page.console_errors == []
