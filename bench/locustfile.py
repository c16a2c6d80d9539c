"""The load bench/load.py puts on gunicorn: signed-in practice users and an ICB analyst.

Run by bench/load.py (which starts PostgreSQL, gunicorn and the worker, and writes
BENCH_CONFIG, a JSON file of who signs in and what each saves); not on its own.

The run has two phases. Arrival: every user signs in as locust starts it (the Monday
morning rush: 51 Argon2 checks at production cost in a few seconds). Steady: from the
moment the last of them has signed in, BENCH_STEADY_SECONDS of use by all of them at
once; the statistics are reset at that moment, so the CSV files locust writes are the
steady phase's, and the arrival phase's are written to BENCH_ARRIVAL (JSON) first.

Each practice user signs in once, then, with 5 to 15 seconds' reading between pages,
views the dashboard (three times in four) or opens and saves its own month's figures
form (POST with the form's CSRF token and state token; one figure alternates between
its stored value and one more, so every save changes exactly one value). Two of them
instead download the impact summary workbook or PDF every 10 to 20 seconds. Each
user's month is its own, so no save ever meets another's edit. The analyst downloads
the ICB workbook of a collection. An anonymous visitor fetches the sign-in page
throughout: the floor page under load.

The cookies are Secure (production's __Host- session cookie); the bench stands where
the TLS-terminating reverse proxy would, talking plain HTTP to gunicorn on loopback, so
its cookie jar sends Secure cookies over http.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import time
from html.parser import HTMLParser

import gevent
from locust import HttpUser, between, events, task
from requests.cookies import RequestsCookieJar

CONFIG = json.loads(open(os.environ["BENCH_CONFIG"], encoding="utf-8").read())
_practice_slots = itertools.count()
# slot index -> the value of its figure after the last save that succeeded
SAVED: dict[int, float] = {}
SAVES = {"ok": 0, "failed": 0}
SIGNING_IN = len(CONFIG["practice_users"]) + 1  # and the analyst
_signed_in = itertools.count(1)


class _ProxyJar(RequestsCookieJar):
    """Keeps Secure cookies as if they were not, so they go back over plain HTTP (a jar's
    cookie policy is not enough: requests copies cookies into a default jar per request)."""

    def set_cookie(self, cookie, *args, **kwargs):
        cookie.secure = False
        return super().set_cookie(cookie, *args, **kwargs)


class _Inputs(HTMLParser):
    """The inputs of the page's POST forms: name -> value (checkboxes only if checked)."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._in_post_form = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._in_post_form = (a.get("method") or "").lower() == "post"
        elif tag == "input" and self._in_post_form and a.get("name"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            if a.get("type") in ("submit", "button"):
                return
            self.values.setdefault(a["name"], a.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_post_form = False


def form_inputs(html: str) -> dict[str, str]:
    parser = _Inputs()
    parser.feed(html)
    return parser.values


_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class SignedIn(HttpUser):
    abstract = True

    def sign_in(self, email: str, password: str, totp_secret: str | None = None) -> None:
        self.client.cookies = _ProxyJar()
        page = self.client.get("/sign-in", name="sign in")
        token = _CSRF.search(page.text).group(1)
        with self.client.post(
            "/sign-in",
            data={"email": email, "password": password, "csrf_token": token},
            allow_redirects=False,
            name="sign in",
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"sign-in answered {response.status_code}")
                return
            location = response.headers.get("Location", "")
        if location.endswith("/sign-in/authenticator-code"):
            import pyotp  # only the analyst and administrators have a second factor

            page = self.client.get(location, name="sign in, authenticator code")
            token = _CSRF.search(page.text).group(1)
            with self.client.post(
                location,
                data={"code": pyotp.TOTP(totp_secret).now(), "csrf_token": token},
                allow_redirects=False,
                name="sign in, authenticator code",
                catch_response=True,
            ) as response:
                if response.status_code != 302:
                    response.failure(f"second step answered {response.status_code}")

    def signed_in(self) -> None:
        """Counts this user in (whether or not its sign-in succeeded); the last one ends
        the arrival phase."""
        if next(_signed_in) == SIGNING_IN:
            _end_arrival(self.environment)


class PracticeMember(SignedIn):
    """Signs in as one of the practice users, each user once (its slot)."""

    abstract = True

    def on_start(self) -> None:
        self.slot = next(_practice_slots) % len(CONFIG["practice_users"])
        me = CONFIG["practice_users"][self.slot]
        self.me = me
        self.value = me["value"]
        try:
            self.sign_in(me["email"], CONFIG["password"])
        finally:
            self.signed_in()


class PracticeUser(PracticeMember):
    wait_time = between(5, 15)  # reading the page before the next

    @task(3)
    def dashboard(self) -> None:
        self.client.get("/dashboard", name="dashboard")

    @task(1)
    def save_figures(self) -> None:
        url = f"/figures/{self.me['period']}"
        page = self.client.get(url, name="figures form")
        values = form_inputs(page.text)
        item = self.me["item"]
        if item not in values or "csrf_token" not in values:
            SAVES["failed"] += 1
            return
        new = self.me["value"] + 1 if self.value == self.me["value"] else self.me["value"]
        values[item] = f"{new:g}"
        with self.client.post(
            url, data=values, allow_redirects=False, name="figures save", catch_response=True
        ) as response:
            if response.status_code == 302:
                self.value = new
                SAVED[self.slot] = new
                SAVES["ok"] += 1
            else:
                SAVES["failed"] += 1
                response.failure(f"save answered {response.status_code}")


class Reporter(PracticeMember):
    """Two of the practice users are preparing a report for the partners: they download
    the impact summary workbook or PDF."""

    fixed_count = 2
    wait_time = between(10, 20)

    @task
    def summary_download(self) -> None:
        kind = "xlsx" if self.slot % 2 == 0 else "pdf"
        self.client.get(
            f"/summary/impact-summary.{kind}?year={CONFIG['year']}", name=f"summary .{kind}"
        )


class Analyst(SignedIn):
    fixed_count = 1
    wait_time = between(5, 10)

    def on_start(self) -> None:
        me = CONFIG["analyst"]
        try:
            self.sign_in(me["email"], me["password"], me.get("totp_secret"))
        finally:
            self.signed_in()

    @task
    def icb_workbook(self) -> None:
        self.client.get(
            f"/collections/{CONFIG['collection_id']}/workbook.xlsx", name="ICB workbook"
        )


class FloorVisitor(HttpUser):
    """Anonymous: the sign-in page, as cheap a page as the app serves (the floor)."""

    fixed_count = 1
    wait_time = between(0.5, 1.5)

    @task
    def sign_in_page(self) -> None:
        self.client.get("/sign-in", name="floor: sign-in page")


def phase_rows(stats) -> list[dict]:
    """Each request type's count, failures, p50 and p95 (ms) so far, and every request's
    (named "Aggregated", as in locust's CSV)."""
    return [
        {
            "name": entry.name,
            "method": entry.method or "",
            "count": entry.num_requests,
            "failures": entry.num_failures,
            "p50": entry.get_response_time_percentile(0.5) or 0.0,
            "p95": entry.get_response_time_percentile(0.95) or 0.0,
        }
        for entry in [*stats.entries.values(), stats.total]
        if entry.num_requests
    ]


def _end_arrival(environment) -> None:
    """Everyone has signed in: keep the arrival phase's figures, start the steady phase's
    afresh, and end the run after BENCH_STEADY_SECONDS of it."""
    with open(os.environ["BENCH_ARRIVAL"], "w", encoding="utf-8") as file:
        json.dump({"rows": phase_rows(environment.stats), "ended": time.time()}, file)
    environment.stats.reset_all()
    gevent.spawn_later(float(os.environ["BENCH_STEADY_SECONDS"]), environment.runner.quit)


@events.test_stop.add_listener
def _write_saves(environment, **_kwargs) -> None:
    with open(os.environ["BENCH_SAVES"], "w", encoding="utf-8") as file:
        json.dump({"saved": SAVED, **SAVES}, file)
