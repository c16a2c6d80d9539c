"""A test client that reads pages as a person would: parsed HTML, forms with CSRF."""

from __future__ import annotations

from bs4 import BeautifulSoup
from flask.testing import FlaskClient

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
        response = self.submit("/sign-in", {"email": email, "password": password})
        assert response.status_code == 302, f"sign-in as {email} failed"
        return response


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
