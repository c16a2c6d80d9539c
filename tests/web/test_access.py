"""Every route declares who may use it, and each role gets exactly that.

A new route must be added to ROUTES below, or `test_every_route_is_in_the_matrix`
fails: that is the point — nobody ships a route without deciding who may use it.
"""

from datetime import date

import pytest

from monitor.models import Role
from monitor.web.access import rule_for_endpoint
from tests.conftest import BACKENDS
from tests.factories import make_collection, make_return

ALL = frozenset(Role)
ADMIN = frozenset({Role.ADMIN})
PRACTICE = frozenset({Role.PRACTICE_EDITOR, Role.PRACTICE_VIEWER})
EDITOR = frozenset({Role.PRACTICE_EDITOR})
PUBLIC = None
# Case examples: an ICB-wide one of `practice` (see the `world` fixture) is readable by
# its practice, its PCN lead and the ICB's analysts; administrators read none.
CASE_SHARED_READERS = frozenset({Role.PCN_LEAD, Role.ICB_ANALYST})
CASE_READERS = PRACTICE | CASE_SHARED_READERS
# The ICB's views of submitted returns: analysts only (administrators configure, not read).
ANALYST = frozenset({Role.ICB_ANALYST})
# Opening and closing collections: the ICB's analysts and administrators.
RETURNS_ICB = frozenset({Role.ICB_ANALYST, Role.ADMIN})
UNKNOWN_TOKEN = "A" * 43  # shaped like a staged upload's token; no upload made it

# endpoint -> (method, url builder, roles allowed or PUBLIC)
ROUTES = {
    "home.index": ("GET", lambda w: "/", ALL),
    "home.practice": ("GET", lambda w: f"/practices/{w.practice.id}", ALL),
    "home.what_we_ask": ("GET", lambda w: "/what-we-ask", PUBLIC),
    "auth.sign_in": ("GET", lambda w: "/sign-in", PUBLIC),
    "auth.sign_out": ("POST", lambda w: "/sign-out", ALL),
    "auth.change_password": ("GET", lambda w: "/change-password", ALL),
    # The second step of signing in: without a password step first, a page saying so.
    "auth.sign_in_code": ("GET", lambda w: "/sign-in/authenticator-code", PUBLIC),
    "auth.sign_in_set_up": ("GET", lambda w: "/sign-in/set-up-authenticator", PUBLIC),
    "auth.account": ("GET", lambda w: "/account", ALL),
    "auth.set_up_authenticator": ("GET", lambda w: "/account/set-up-authenticator", ALL),
    "admin.users": ("GET", lambda w: "/admin/users", ADMIN),
    "admin.new_user": ("GET", lambda w: "/admin/users/new", ADMIN),
    "admin.user": ("GET", lambda w: f"/admin/users/{w.viewer.id}", ADMIN),
    "admin.deactivate": ("POST", lambda w: f"/admin/users/{w.viewer.id}/deactivate", ADMIN),
    "admin.reactivate": ("POST", lambda w: f"/admin/users/{w.viewer.id}/reactivate", ADMIN),
    "admin.reset_second_factor": (
        "POST",
        lambda w: f"/admin/users/{w.viewer.id}/reset-second-factor",
        ADMIN,
    ),
    "admin.temporary_password": (
        "GET",
        lambda w: f"/admin/users/{w.viewer.id}/temporary-password",
        ADMIN,
    ),
    "admin.audit_log": ("GET", lambda w: "/admin/audit", ADMIN),
    "admin.template": ("GET", lambda w: "/admin/template", ADMIN),
    # Organisations (monitor/web/organisations.py); a token no upload made is refused
    # with a redirect to the upload page.
    "organisations.index": ("GET", lambda w: "/admin/organisations", ADMIN),
    "organisations.update": ("GET", lambda w: "/admin/organisations/update", ADMIN),
    "organisations.confirm": (
        "POST",
        lambda w: f"/admin/organisations/update/{UNKNOWN_TOKEN}/confirm",
        ADMIN,
    ),
    "organisations.cancel": (
        "POST",
        lambda w: f"/admin/organisations/update/{UNKNOWN_TOKEN}/cancel",
        ADMIN,
    ),
    "organisations.edit_practice": (
        "GET",
        lambda w: f"/admin/practices/{w.practice.id}/edit",
        ADMIN,
    ),
    "practice.figures_overview": ("GET", lambda w: "/figures", PRACTICE),
    "practice.figures_period": ("GET", lambda w: "/figures/2025-10", PRACTICE),
    "practice.sharing": ("GET", lambda w: "/sharing", PRACTICE),
    "practice.figures_workbook": ("GET", lambda w: "/figures/2025-10/workbook.xlsx", PRACTICE),
    "practice.figures_upload": ("GET", lambda w: "/figures/2025-10/upload", EDITOR),
    "practice.spending_workbook": ("GET", lambda w: "/spending/workbook.xlsx", PRACTICE),
    "practice.spending_upload": ("GET", lambda w: "/spending/upload", EDITOR),
    "practice.staffing_workbook": ("GET", lambda w: "/staffing/workbook.xlsx", PRACTICE),
    "practice.staffing_upload": ("GET", lambda w: "/staffing/upload", EDITOR),
    "evidence.dashboard": ("GET", lambda w: "/dashboard", PRACTICE),
    "evidence.metric": ("GET", lambda w: "/metrics/home_visits", PRACTICE),
    "evidence.metric_chart": ("GET", lambda w: "/metrics/home_visits/chart.svg", PRACTICE),
    "evidence.metric_data": ("GET", lambda w: "/metrics/home_visits/data.csv", PRACTICE),
    "evidence.money_view": ("GET", lambda w: "/money", PRACTICE),
    "evidence.allocation_chart": ("GET", lambda w: "/money/allocation.svg", PRACTICE),
    "evidence.category_chart": ("GET", lambda w: "/money/categories.svg", PRACTICE),
    "summary.index": ("GET", lambda w: "/summary", PRACTICE),
    "summary.workbook": ("GET", lambda w: "/summary/impact-summary.xlsx?year=2025", PRACTICE),
    "summary.pdf": ("GET", lambda w: "/summary/impact-summary.pdf?year=2025", PRACTICE),
    "summary.tables_zip": ("GET", lambda w: "/summary/tables.zip?year=2025", PRACTICE),
    "summary.table_csv": ("GET", lambda w: "/summary/tables/spending.csv?year=2025", PRACTICE),
    # Voluntary returns (monitor/web/returns.py)
    "returns.collections": ("GET", lambda w: "/collections", RETURNS_ICB),
    "returns.new_collection": ("GET", lambda w: "/collections/new", RETURNS_ICB),
    "returns.collection": ("GET", lambda w: f"/collections/{w.collection.id}", RETURNS_ICB),
    "returns.close_collection": (
        "POST",
        lambda w: f"/collections/{w.collection.id}/close",
        RETURNS_ICB,
    ),
    "returns.index": ("GET", lambda w: "/returns", PRACTICE),
    "returns.task_list": ("GET", lambda w: f"/returns/{w.collection.id}", PRACTICE),
    "returns.review": ("GET", lambda w: f"/returns/{w.collection.id}/review", PRACTICE),
    "returns.withdraw": ("POST", lambda w: f"/returns/{w.collection.id}/withdraw", EDITOR),
    # ICB and PCN views (monitor/web/icb.py)
    "icb.completeness": ("GET", lambda w: f"/collections/{w.collection.id}/completeness", ANALYST),
    "icb.completeness_csv": (
        "GET",
        lambda w: f"/collections/{w.collection.id}/completeness.csv",
        ANALYST,
    ),
    "icb.metrics": ("GET", lambda w: f"/collections/{w.collection.id}/metrics", ANALYST),
    "icb.distribution": (
        "GET",
        lambda w: f"/collections/{w.collection.id}/metrics/home_visits",
        ANALYST,
    ),
    "icb.distribution_chart": (
        "GET",
        lambda w: f"/collections/{w.collection.id}/metrics/home_visits/chart.svg",
        ANALYST,
    ),
    "icb.equity": ("GET", lambda w: f"/collections/{w.collection.id}/equity", ANALYST),
    "icb.equity_chart": (
        "GET",
        lambda w: f"/collections/{w.collection.id}/equity/home_visits/chart.svg",
        ANALYST,
    ),
    "icb.spending_mix": ("GET", lambda w: f"/collections/{w.collection.id}/spending", ANALYST),
    "icb.spending_chart": (
        "GET",
        lambda w: f"/collections/{w.collection.id}/spending/chart.svg",
        ANALYST,
    ),
    "icb.workbook": ("GET", lambda w: f"/collections/{w.collection.id}/workbook.xlsx", ANALYST),
    "icb.tidy_csv": ("GET", lambda w: f"/collections/{w.collection.id}/returns.csv", ANALYST),
    "icb.trends": ("GET", lambda w: "/trends", ANALYST),
    "icb.trend_chart": ("GET", lambda w: "/trends/home_visits/chart.svg", ANALYST),
    "icb.pcn_trends": ("GET", lambda w: "/pcn/trends", frozenset({Role.PCN_LEAD})),
    "icb.pcn_trend_chart": (
        "GET",
        lambda w: "/pcn/trends/home_visits/chart.svg",
        frozenset({Role.PCN_LEAD}),
    ),
    # Case examples (monitor/web/cases.py)
    "cases.practice_list": ("GET", lambda w: "/case-examples", PRACTICE),
    "cases.new_case": ("GET", lambda w: "/case-examples/new", EDITOR),
    "cases.edit_case": ("GET", lambda w: f"/case-examples/{w.case_example.id}/edit", EDITOR),
    "cases.delete_case": ("GET", lambda w: f"/case-examples/{w.case_example.id}/delete", EDITOR),
    "cases.detail": ("GET", lambda w: f"/case-examples/{w.case_example.id}", CASE_READERS),
    "cases.metric_chart": (
        "GET",
        lambda w: f"/case-examples/{w.case_example.id}/metrics/home_visits/chart.svg",
        CASE_READERS,
    ),
    "cases.browse": ("GET", lambda w: "/case-examples/shared", CASE_SHARED_READERS),
    "cases.pcn_home": ("GET", lambda w: "/pcn", frozenset({Role.PCN_LEAD})),
    "practice.history": (
        "GET",
        lambda w: f"/history/spend_item/{w.records['spending'].id}",
        PRACTICE,
    ),
    # Importing NHS data (monitor/web/national_imports.py): the ICB's analysts and
    # administrators; `national_import` is a finished import of the ICB (confirming or
    # cancelling it is refused with a redirect).
    "national_imports.index": ("GET", lambda w: "/national-data/imports", RETURNS_ICB),
    "national_imports.upload": ("GET", lambda w: "/national-data/imports/new", RETURNS_ICB),
    "national_imports.detail": ("GET", lambda w: _import_url(w), RETURNS_ICB),
    "national_imports.progress": (
        "GET",
        lambda w: f"{_import_url(w)}/progress.json",
        RETURNS_ICB,
    ),
    "national_imports.confirm": ("POST", lambda w: f"{_import_url(w)}/confirm", RETURNS_ICB),
    "national_imports.cancel": ("POST", lambda w: f"{_import_url(w)}/cancel", RETURNS_ICB),
    "national_imports.undo": ("GET", lambda w: f"{_import_url(w)}/undo", RETURNS_ICB),
    # The HEP payment schedule's layout and its CSV, beside the upload page.
    "national_imports.hep_schedule_layout": (
        "GET",
        lambda w: "/national-data/hep-payment-schedule",
        RETURNS_ICB,
    ),
    "national_imports.hep_schedule_csv": (
        "GET",
        lambda w: "/national-data/hep-payment-schedule.csv",
        RETURNS_ICB,
    ),
}
for kind, single in [
    ("allocations", "allocation"),
    ("spending", "spend"),
    ("staffing", "staffing"),
    ("interventions", "intervention"),
]:
    ROUTES[f"practice.{kind}"] = ("GET", lambda w, k=kind: f"/{k}", PRACTICE)
    ROUTES[f"practice.new_{single}"] = ("GET", lambda w, k=kind: f"/{k}/new", EDITOR)
    ROUTES[f"practice.edit_{single}"] = (
        "GET",
        lambda w, k=kind: f"/{k}/{w.records[k].id}/edit",
        EDITOR,
    )
    ROUTES[f"practice.delete_{single}"] = (
        "GET",
        lambda w, k=kind: f"/{k}/{w.records[k].id}/delete",
        EDITOR,
    )


def _access_world(app, session):
    """The shared world (tests/factories.py build_world) plus a recorded figure, so chart
    routes have something to draw, a published ICB-wide case example, a submitted
    collection with earlier quarters for the trend charts, and a finished import."""
    from monitor.models import CaseExample, NationalImport
    from tests.factories import build_world, make_value

    world = build_world(session)
    make_value(
        session, practice=world.practice, item_id="home_visits", period_code="2025-09", number=40
    )
    world.case_example = CaseExample(
        practice_id=world.practice.id,
        title="Home visits scheme",
        problem="Housebound patients missed reviews",
        actions="Proactive visits",
        visibility="icb",
        metric_item_ids=["home_visits"],
    )
    session.add(world.case_example)
    session.commit()
    world.case_example = _published(session, world.case_example)
    world.collection = _submitted_collection(session, world)
    _trend_collections(session, world)
    world.national_import = NationalImport(
        icb_id=world.icb.id, filename="cbt.xlsx", sha256="0" * 64, status="done"
    )
    session.add(world.national_import)
    session.commit()
    return world


@pytest.fixture(params=BACKENDS)
def built(request, tmp_path, built_databases):
    """A copy of the access world's database, on each backend in turn, and its world: built
    once per backend (a matrix of some 1,200 requests would otherwise build it each time)."""
    yield from built_databases.copy("access-world", request.param, _access_world, tmp_path)


@pytest.fixture
def database_url(built):
    return built[0]


@pytest.fixture
def world(built):
    """The access world's records (read only: ids and emails for URLs and sign-ins)."""
    return built[1]


def _published(session, case):
    """The case saved again through the service, which publishes its chart."""
    from monitor.services import case_examples

    fields = case_examples.CaseExampleInput.__dataclass_fields__
    data = case_examples.CaseExampleInput(**{name: getattr(case, name) for name in fields})
    return case_examples.update(
        session, user=None, case=case, data=data, expected_version=case.version
    )


def _import_url(world) -> str:
    return f"/national-data/imports/{world.national_import.id}"


def _submitted_collection(session, world):
    """An ICB collection with `practice`'s submitted return (for the ICB views' routes)."""
    collection = make_collection(
        session,
        icb=world.icb,
        name="2025/26 Q2 return",
        opens_on=date(2025, 10, 1),
        due_on=date(2025, 11, 30),
        message="",
    )
    make_return(
        session,
        collection=collection,
        practice=world.practice,
        values={"home_visits": [("2025-09", 40)]},
    )
    return collection


def _trend_collections(session, world) -> None:
    """Three earlier quarters in which three North PCN practices submitted home visits:
    enough medians for the ICB's and the PCN's trend charts (fewer than three, and a
    trend is a table only, its chart not found)."""
    from tests.factories import make_practice

    third = make_practice(session, pcn=world.pcn)
    for n, (code, month) in enumerate(
        (("2024-25-q2", "2024-07"), ("2024-25-q3", "2024-10"), ("2024-25-q4", "2025-01"))
    ):
        collection = make_collection(
            session, icb=world.icb, name=f"{code} return", period_code=code
        )
        for practice, number in ((world.practice, 10), (world.sibling, 20), (third, 30)):
            make_return(
                session,
                collection=collection,
                practice=practice,
                values={"home_visits": [(month, number + n)]},
            )


def test_every_route_declares_an_access_rule(app):
    with app.test_request_context():
        missing = [
            rule.endpoint
            for rule in app.url_map.iter_rules()
            if rule_for_endpoint(rule.endpoint) is None
        ]
    assert missing == []


def test_every_route_is_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - {"static"}
    assert endpoints == set(ROUTES)


def test_a_route_without_a_rule_is_refused(app, client, world):
    @app.get("/undeclared")
    def undeclared():
        return "should never be served"

    client.sign_in(world.admin.email)
    assert client.get("/undeclared").status_code == 403


def request_route(client, endpoint, world):
    method, url_for, _ = ROUTES[endpoint]
    url = url_for(world)
    if method == "GET":
        return client.get(url)
    token_page = "/" if client.get("/").status_code == 200 else "/sign-in"
    return client.submit(url, token_from=token_page)


# Pages (GET) change nothing another page shows, so one signed-in client asks for every
# page in turn, each a subtest of its own; an action (POST) may change what the next
# request finds (signing out, closing a collection), so each has a database of its own.
PAGES = sorted(endpoint for endpoint, (method, _, _) in ROUTES.items() if method == "GET")
ACTIONS = sorted(endpoint for endpoint, (method, _, _) in ROUTES.items() if method == "POST")


def check_anonymous(response, endpoint) -> None:
    if ROUTES[endpoint][2] is PUBLIC:
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/sign-in?next=")


def check_role(response, endpoint, role) -> None:
    allowed = ROUTES[endpoint][2]
    if allowed is PUBLIC or role in allowed:
        expected = 302 if ROUTES[endpoint][0] == "POST" or endpoint == "auth.sign_in" else 200
        assert response.status_code == expected
    else:
        assert response.status_code == 403
        assert "You do not have permission" in response.get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_sign_in_from_every_page(client, world, subtests):
    for endpoint in PAGES:
        with subtests.test(endpoint=endpoint):
            check_anonymous(request_route(client, endpoint, world), endpoint)


@pytest.mark.parametrize("endpoint", ACTIONS)
def test_anonymous_visitors_are_sent_to_sign_in_from_every_action(client, world, endpoint):
    check_anonymous(request_route(client, endpoint, world), endpoint)


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_each_role_gets_exactly_its_pages(client, world, role, subtests):
    client.sign_in(world.user_for(role).email)
    for endpoint in PAGES:
        with subtests.test(endpoint=endpoint):
            check_role(request_route(client, endpoint, world), endpoint, role)


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
@pytest.mark.parametrize("endpoint", ACTIONS)
def test_each_role_gets_exactly_its_actions(client, world, endpoint, role):
    client.sign_in(world.user_for(role).email)
    check_role(request_route(client, endpoint, world), endpoint, role)
