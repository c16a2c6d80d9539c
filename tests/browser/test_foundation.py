"""What a person sees: signing in, a wrong password, signing out and pressing Back."""

from playwright.sync_api import expect

from monitor.demo import DEMO_PASSWORD
from tests.browser.conftest import sign_in

EDITOR = "pm@highfields.example"


def test_practice_editor_signs_in_and_sees_their_practice(page):
    sign_in(page, EDITOR, DEMO_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Highfields Medical Centre")
    expect(page.get_by_text("Z00001")).to_be_visible()
    expect(page.get_by_role("heading", name="What is due this month")).to_be_visible()
    expect(page.get_by_text("This is demonstration data")).to_be_visible()
    expect(page.locator(".nhsuk-header__account")).to_contain_text("Priya Mistry")
    assert page.console_errors == []


def test_wrong_password_shows_the_nhs_error_summary(page):
    sign_in(page, EDITOR, "not-my-password")
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text("Enter a correct email address and password")
    # The NHS script moves focus to the summary so screen readers announce it.
    expect(summary).to_be_focused()
    expect(page).to_have_title("Error: Sign in – HEP Impact Monitor")
    # Following the summary link puts the cursor in the field.
    summary.get_by_role("link").click()
    expect(page.get_by_label("Email address")).to_be_focused()


def test_after_sign_out_back_shows_no_practice_data(page):
    sign_in(page, EDITOR, DEMO_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Highfields Medical Centre")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    page.go_back()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to HEP Impact Monitor")
    assert "Highfields" not in page.content()


def test_admin_adds_a_user_who_must_choose_a_password(page):
    sign_in(page, "admin@icb.example", DEMO_PASSWORD)
    page.get_by_role("link", name="Users", exact=True).click()
    page.get_by_role("button", name="Add a user").click()
    page.get_by_label("Full name").fill("Nadia Rahman")
    page.get_by_label("Email address").fill("nadia@belgrave.example")
    page.get_by_label("Practice viewer").check()
    page.get_by_label("Organisation").select_option(
        label="Practice: Belgrave Road Surgery (Z00002)"
    )
    page.get_by_label("Temporary password").fill("temporary-pass-phrase")
    page.get_by_role("button", name="Add user").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nadia Rahman")
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("can now sign in")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, "nadia@belgrave.example", "temporary-pass-phrase")
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    page.get_by_label("Temporary password").fill("temporary-pass-phrase")
    page.get_by_label("New password", exact=True).fill("my own long pass phrase")
    page.get_by_label("Confirm new password").fill("my own long pass phrase")
    page.get_by_role("button", name="Save password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Belgrave Road Surgery")
    assert page.console_errors == []
