"""A test client that reads pages as a person would: parsed HTML, forms with CSRF."""

from __future__ import annotations

import pyotp
from bs4 import BeautifulSoup
from flask.testing import FlaskClient
from sqlmodel import Session, select

from monitor.core.clock import utcnow
from monitor.models import User
from monitor.services.second_factor import DRIFT_STEPS, time_step
from tests.factories import PASSWORD


class PageClient(FlaskClient):
    def page(self, url: str, *, status: int = 200) -> BeautifulSoup:
        """GET a page, check its status, and return it parsed."""
        response = self.get(url)
        assert response.status_code == status, (
            f"GET {url}: expected {status}, got {response.status_code}"
        )
        return BeautifulSoup(response.get_data(as_text=True), "html.parser")

    def csrf_token(self, url: str = "/") -> str:
        soup = self.page(url, status=self.get(url).status_code)
        field = soup.select_one("input[name=csrf_token]")
        assert field is not None, f"no CSRF token on {url}"
        return field["value"]

    def submit(self, url: str, data: dict | None = None, *, token_from: str | None = None):
        """POST a form with the CSRF token a browser would have had from the page."""
        form = dict(data or {})
        form["csrf_token"] = self.csrf_token(token_from or url)
        return self.post(url, data=form)

    def sign_in(self, email: str, password: str = PASSWORD):
        """Sign in as a person would, entering their authenticator code if they have one,
        and setting up an app first if their role needs one and they have none (then the
        response is the recovery codes page; otherwise the last step's redirect)."""
        response = self.submit("/sign-in", {"email": email, "password": password})
        assert response.status_code == 302, f"sign-in as {email} failed"
        if response.headers["Location"] == "/sign-in/authenticator-code":
            code = self.authenticator_code(email)
            response = self.submit("/sign-in/authenticator-code", {"code": code})
            assert response.status_code == 302, f"second step as {email} failed"
        elif response.headers["Location"] == "/sign-in/set-up-authenticator":
            response = self.set_up_authenticator("/sign-in/set-up-authenticator")
        return response

    def set_up_authenticator(self, url: str = "/account/set-up-authenticator"):
        """Set up an authenticator app from the key the page shows, as someone who cannot
        scan the QR code would; returns the recovery codes page."""
        page = self.page(url)
        secret = page.select_one("#secret-key").get_text().replace(" ", "")
        code = pyotp.TOTP(secret).generate_otp(time_step(utcnow()))
        response = self.submit(url, {"code": code})
        assert response.status_code == 200, f"setting up an authenticator app at {url} failed"
        return response

    def authenticator_code(self, email: str) -> str:
        """A code the person's app would show that the service has not yet accepted.

        Tests sign the same person in many times within one 30-second step, and a code
        is accepted once; the next step's code is accepted too (clock drift), and past
        that this helper forgets the last accepted step in the database (the rule itself
        is tested in tests/web/test_mfa.py)."""
        engine = self.application.extensions["monitor.engine"]
        with Session(engine) as session:
            user = session.exec(select(User).where(User.email == email.strip().lower())).one()
            now = time_step(utcnow())
            step = now if user.totp_last_counter is None else max(now, user.totp_last_counter + 1)
            if step > now + DRIFT_STEPS:
                user.totp_last_counter = None
                session.add(user)
                session.commit()
                step = now
            return pyotp.TOTP(user.totp_secret).generate_otp(step)


def error_summary(soup: BeautifulSoup) -> list[str]:
    summary = soup.select_one(".nhsuk-error-summary")
    if summary is None:
        return []
    return [li.get_text(" ", strip=True) for li in summary.select("li")]


def field_error(soup: BeautifulSoup, field_id: str) -> str:
    """The error message shown next to a field (NHS pattern: id="<field>-error")."""
    message = soup.select_one(f"#{field_id}-error")
    if message is None:
        return ""
    return message.get_text(" ", strip=True).removeprefix("Error:").strip()


def heading(soup: BeautifulSoup) -> str:
    return soup.select_one("h1").get_text(" ", strip=True)
