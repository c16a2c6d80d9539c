"""No input anyone can send makes the service fail: property-based tests (Hypothesis)
over every route in the URL map, as each role, on both databases.

For every GET rule, Hypothesis fills each variable part from its converter (ids that
exist, zero, negative and far too large; strings with unicode, NUL, `..`, very long;
paths) and adds query parameters — the names the views read, found in the source, and
arbitrary ones — with hostile values (huge numbers, 9999-12-31 and 0001-01-01, NaN,
inf, 1e309, empty, repeated keys). For every POST rule it sends a valid CSRF token and
hostile values in the fields the page's own form has, beside the values the form offers
(so some requests get past validation). Besides the drawn examples, every rule a role
can see gets explicit ones (TRICKY, values that once made a view fail) in every
parameter or field, so those are tried on every run. A 500 (an exception, in tests)
fails the test with the request that caused it; any answer a person can act on passes
(429: the sign-in throttle, which hostile sign-ins soon reach).
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlmodel import select
from werkzeug.routing import IntegerConverter, PathConverter

from monitor import models
from monitor.models import Role
from tests.factories import (
    PASSWORD,
    build_icb_scene,
    make_case,
    make_national_import,
    shipped_templates,
)

ANSWERS = {200, 301, 302, 303, 304, 307, 308, 400, 403, 404, 405, 413, 429}
ROLES = [
    None,
    Role.PRACTICE_EDITOR,
    Role.PRACTICE_VIEWER,
    Role.PCN_LEAD,
    Role.ICB_ANALYST,
    Role.ADMIN,
]
# Drawn examples per rule and role (~100 GET and ~45 POST rules, 6 roles, 2 databases),
# besides the TRICKY explicit ones. Every rule is tried each run, not a sample of rules,
# and each run draws new values: about a minute of CPU per database.
GET_EXAMPLES = 1
POST_EXAMPLES = 1
SIGN_OUT = "/sign-out"

FUZZ = settings(
    max_examples=GET_EXAMPLES,
    deadline=None,
    database=None,  # nothing written to .hypothesis/ by a shared test run
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


def _query_names() -> list[str]:
    """Every query parameter a view or the service it calls reads, found in the source,
    so a parameter added later is fuzzed without editing this list."""
    root = Path(__file__).resolve().parents[2] / "monitor"
    found: set[str] = set()
    patterns = (
        r"args(?:\.get|\.getlist)\(\s*\"([\w-]+)\"",
        r"args\[\"([\w-]+)\"\]",
        r"as_int\(\"([\w-]+)\"\)",
        r"check\.date\(\"([\w-]+)\"",
    )
    for path in [*root.glob("web/**/*.py"), *root.glob("services/**/*.py")]:
        source = path.read_text(encoding="utf-8")
        for pattern in patterns:
            found.update(re.findall(pattern, source))
    # A date read with check.date is three boxes, <name>-day, -month and -year.
    dates = {n for n in ("start", "end") if n in found}
    found |= {f"{n}-{part}" for n in dates for part in ("day", "month", "year")}
    return sorted(found)


QUERY_NAMES = _query_names()

HOSTILE_WORDS = [
    "",
    " ",
    "0",
    "-1",
    "1",
    "yes",
    "custom",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "Infinity",
    "1e309",
    "-1e309",
    "1e-400",
    str(2**31),
    str(2**63),
    str(2**64),
    str(10**30),
    "9" * 400,
    "9" * 5000,  # int() refuses more than 4,300 digits
    "²",  # str.isdigit() says yes, int() says no
    "٣",
    "9999-12-31",
    "0001-01-01",
    "0000-00-00",
    "2026-02-30",
    "2025-26",
    "2025-26-q5",
    "31/12/9999",
    "01/01/0001",
    "\x00",
    "a\x00b",
    "../../etc/passwd",
    "%00",
    "<script>alert(1)</script>",
    "=1+1",
    "é" * 3000,
    "x" * 20000,
]
hostile_value = st.one_of(
    st.sampled_from(HOSTILE_WORDS),
    st.integers().map(str),
    st.floats().map(str),
    st.dates().map(lambda d: d.isoformat()),
    st.text(st.characters(codec="utf-8"), max_size=40),
)
query = st.lists(
    st.tuples(
        st.one_of(st.sampled_from(QUERY_NAMES), st.text(st.characters(codec="utf-8"), max_size=8)),
        hostile_value,
    ),
    max_size=8,
)


def _segment_words() -> list[str]:
    templates = shipped_templates()
    item_ids = sorted({i.id for t in templates.values() for i in t.items})
    return [
        *item_ids,
        "svg",
        "png",
        "pdf",
        "csv",
        "2025-08",
        "2025-26-q2",
        "2025-26",
        "9999-12",
        "0000-01",
        "2025-13",
        "2025-26-q9",
        f"{10**30}-01",
        "spend_item",
        "staffing_change",
        "metric_value",
        "hep_allocation",
        "intervention",
        "spending",
        "..",
        ".",
        "\x00",
        "%00",
        "a" * 5000,
        "ü" * 300,
    ]


def _segment(words: list[str]):
    """A value for a `<string>` part of a URL (one path segment)."""
    return st.one_of(
        st.sampled_from(words),
        st.text(st.characters(codec="utf-8"), min_size=1, max_size=60),
    )


def _path():
    return st.one_of(
        st.sampled_from(["css/main.css", "../../pyproject.toml", "..%2f..%2fetc/passwd", "a/"]),
        st.lists(
            st.text(st.characters(codec="utf-8"), min_size=1, max_size=20), min_size=1, max_size=4
        ).map("/".join),
    )


def _ids(session) -> dict[str, list[int]]:
    """The ids that exist, by the name routes give them, so routes run to the end."""
    by_name = {
        "practice_id": [models.Practice],
        "user_id": [models.User],
        "record_id": [
            models.SpendItem,
            models.StaffingChange,
            models.HepAllocation,
            models.Intervention,
            models.MetricValue,
        ],
        "case_id": [models.CaseExample],
        "collection_id": [models.Collection],
        "import_id": [models.NationalImport],
    }
    found = {
        name: sorted({i for model in tables for i in session.exec(select(model.id)).all()})
        for name, tables in by_name.items()
    }
    return {name: values or [1] for name, values in found.items()}


def _converter_values(rule, ids: list[int], words: list[str]):
    """A strategy for a dict of every variable part of `rule`."""
    parts = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, IntegerConverter):
            parts[name] = st.one_of(
                st.sampled_from(ids.get(name) or [1]),
                st.sampled_from([0, -1, 2**31 - 1, 2**31, 2**63 - 1, 2**63, 2**64, 10**30]),
                st.integers(min_value=-(2**70), max_value=2**70),
            )
        elif isinstance(converter, PathConverter):
            parts[name] = _path()
        else:
            parts[name] = _segment(words)
    return st.fixed_dictionaries(parts)


def _url(rule, values: dict) -> str:
    """The rule's path with each part filled in, percent-encoded as a browser would."""

    def fill(match: re.Match) -> str:
        value = str(values[match["name"]])
        safe = "/" if isinstance(rule._converters[match["name"]], PathConverter) else ""
        return quote(value, safe=safe)

    return re.sub(r"<(?:[^:<>]+:)?(?P<name>[^<>]+)>", fill, rule.rule)


def _rules(app, method: str):
    rules = [r for r in app.url_map.iter_rules() if method in r.methods]
    return sorted(rules, key=lambda r: r.rule)


@pytest.fixture
def fuzzing(app, client, session, world, tmp_path):
    """The world with an ICB collection and returns, so ids lead somewhere; uploads are
    kept in the test's own folder."""
    app.instance_path = str(tmp_path)
    build_icb_scene(session, world)
    make_case(session, practice=world.practice)
    make_national_import(session, icb=world.icb)
    return app, client, session, world


def _sign_in(client, world, role):
    if role is not None:
        client.sign_in(world.user_for(role).email)


def _check(response, description: str) -> None:
    assert response.status_code in ANSWERS, f"{description}: {response.status_code}"


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value if r else "anonymous")
def test_no_get_request_is_a_server_error(fuzzing, role):
    app, client, session, world = fuzzing
    _sign_in(client, world, role)
    ids, words = _ids(session), _segment_words()
    rules = _rules(app, "GET")
    assert len(rules) > 50

    for rule in rules:
        _get_is_answered(client, rule, ids, words)()


TRICKY = ["²", "a\x00"]
"""Values that once made a view fail, sent in every parameter of every rule each run:
digits `str.isdigit` accepts and `int` refuses (as it refuses more than 4,300 digits,
drawn among the hostile values), and a NUL (PostgreSQL refuses it in a query)."""


def _tricky(names) -> list[dict[str, str]]:
    """Every name with each TRICKY value once, over len(TRICKY) examples."""
    return [
        {name: TRICKY[(i + shift) % len(TRICKY)] for i, name in enumerate(names)}
        for shift in range(len(TRICKY))
    ]


def _good_values(rule, ids) -> dict | None:
    """Values for the rule's parts that lead to a page (the first record of each kind is
    the world practice's), or None when a part has no such value."""
    values = {}
    for name in rule._converters:
        if name in ids:
            values[name] = ids[name][0]
        elif name in GOOD_SEGMENTS:
            values[name] = GOOD_SEGMENTS[name]
        else:
            return None
    return values


def _get_is_answered(client, rule, ids, words):
    def request_is_answered(values, params):
        url = _url(rule, values)
        if params:
            url += "?" + urlencode(params, quote_via=quote)
        _check(client.get(url), f"GET {url[:300]}")

    test = request_is_answered
    good = _good_values(rule, ids)
    # The TRICKY values in every parameter, where the role sees the page: where it does
    # not, access is refused before any parameter is read.
    if good is not None and client.get(_url(rule, good)).status_code == 200:
        for chosen in _tricky(QUERY_NAMES):
            test = example(values=good, params=list(chosen.items()))(test)
    return FUZZ(given(values=_converter_values(rule, ids, words), params=query)(test))


def _form_fields(client, rule, ids: dict[str, list[int]]) -> tuple[dict[str, list[str]], list[str]]:
    """The fields of the form a rule's page shows (with ids that exist), each with the
    values the page offers or holds (so a hostile value can sit beside valid ones and
    reach the code past validation), and its file fields."""
    if "GET" not in rule.methods:
        return {}, []
    names = list(rule._converters)
    if any(n not in ids and n not in GOOD_SEGMENTS for n in names):
        return {}, []
    response = None
    for n in range(12):
        values = {
            name: ids[name][n % len(ids[name])] if name in ids else GOOD_SEGMENTS[name]
            for name in names
        }
        response = client.get(_url(rule, values))
        if response.status_code != 404 or not names:
            break
    if response.status_code != 200 or response.mimetype != "text/html":
        return {}, []
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    forms = [f for f in soup.select("form") if f.select_one("input[name=csrf_token]")]
    if not forms:
        return {}, []
    form = max(forms, key=lambda f: len(f.select("[name]")))
    fields: dict[str, list[str]] = {}
    files = []
    for field in form.select("input[name], select[name], textarea[name]"):
        name = field["name"]
        if name == "csrf_token":
            continue
        if field.get("type") == "file":
            files.append(name)
            continue
        offered = fields.setdefault(name, [])
        if field.name == "select":
            offered += [o.get("value", o.get_text()) for o in field.select("option")]
        elif field.name == "textarea":
            offered.append(field.get_text())
        elif field.get("value") is not None:
            offered.append(field["value"])
    return {name: sorted(set(v) | set(PLAUSIBLE)) for name, v in fields.items()}, files


PLAUSIBLE = ["1", "4", "12", "60", "2025", "1000", "Telephony", "A note"]
"""Values valid in many of the service's fields (days, months, years, amounts, words)."""

GOOD_SEGMENTS = {
    "period_code": "2025-08",
    "token": "unknown",
    "item_id": "home_visits",
    "fmt": "svg",
    "kind": "spend_item",
    "name": "spending",
    "filename": "nhsuk/nhsuk.min.css",
}


upload = st.tuples(
    st.sampled_from(["file.csv", "file.xlsx", "file.txt", "", "\x00.csv", "../x.csv"]),
    st.one_of(
        st.sampled_from(
            [
                b"",
                b"\x00" * 100,
                b"\xff\xfeO\x00D\x00S\x00",
                b"PK\x03\x04",
                b'"' + b"x" * 140_000 + b'"\n',
            ]
        ),
        st.binary(max_size=200),
    ),
)


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value if r else "anonymous")
def test_no_form_sent_with_hostile_values_is_a_server_error(fuzzing, role):
    app, client, session, world = fuzzing
    _sign_in(client, world, role)
    ids, words = _ids(session), _segment_words()
    rules = _rules(app, "POST")
    assert len(rules) > 30

    token = [client.csrf_token("/" if role else "/sign-in")]
    for rule in rules:
        fields = _form_fields(client, rule, ids)
        _post_is_answered(client, world, role, rule, ids, words, fields, token)()


def _post_is_answered(client, world, role, rule, ids, words, fields, token):
    offered, files = fields
    form = st.fixed_dictionaries(
        {
            name: st.one_of(st.sampled_from(choices), hostile_value)
            for name, choices in offered.items()
        }
    )
    extra = st.lists(st.tuples(st.sampled_from(QUERY_NAMES), hostile_value), max_size=3)

    def form_is_answered(values, form, files, extra):
        url = _url(rule, values)
        data = dict(form)
        for name, value in extra:
            data.setdefault(name, value)
        for name, (filename, content) in files.items():
            data[name] = (io.BytesIO(content), filename)
        data["csrf_token"] = token[0]
        response = client.post(url, data=data, content_type="multipart/form-data")
        _check(response, f"POST {url[:300]} {sorted(data)}")
        if rule.rule == SIGN_OUT and role is not None:
            client.sign_in(world.user_for(role).email, PASSWORD)
            token[0] = client.csrf_token("/")

    good = _good_values(rule, ids)
    shown = bool(offered or files) or "GET" not in rule.methods
    if good is not None and shown:
        tricky_file = dict.fromkeys(files, ("a\x00.csv", b"a,b\n"))
        for chosen in _tricky(offered) if offered else [{}]:
            form_is_answered = example(values=good, form=chosen, files=tricky_file, extra=[])(
                form_is_answered
            )
    strategies = {
        "values": _converter_values(rule, ids, words),
        "form": form,
        "files": st.fixed_dictionaries(dict.fromkeys(files, upload)),
        "extra": extra,
    }
    return settings(FUZZ, max_examples=POST_EXAMPLES)(given(**strategies)(form_is_answered))
