"""An id in a URL beyond what an id column holds is no record's: every route with an
`<int:…>` part answers 404 for it, as each role, never a 500 (PostgreSQL refuses
integers above 2^31 − 1 in a query, SQLite above 2^63 − 1)."""

from __future__ import annotations

import pytest
from werkzeug.routing import IntegerConverter

from monitor.models import Role

TOO_LARGE = (2**31, 2**63, 10**30)


def int_routes(app) -> list[tuple[str, str]]:
    """(method, URL) of every route whose variable parts are all ids, filled with ID."""
    found = []
    for rule in app.url_map.iter_rules():
        converters = rule._converters
        if not converters or not all(isinstance(c, IntegerConverter) for c in converters.values()):
            continue
        method = "GET" if "GET" in rule.methods else "POST"
        found.append((method, rule.rule))
    return found


def test_every_int_route_is_bounded_by_the_id_columns_range(app):
    routes = int_routes(app)
    assert len(routes) > 10
    for rule in app.url_map.iter_rules():
        for converter in rule._converters.values():
            if isinstance(converter, IntegerConverter):
                assert converter.max is not None and converter.max <= 2**31 - 1, rule.rule


@pytest.mark.parametrize(
    "role", [Role.PRACTICE_EDITOR, Role.PCN_LEAD, Role.ICB_ANALYST, Role.ADMIN]
)
def test_an_id_too_large_for_the_database_is_a_404_on_every_route(app, client, world, role):
    client.sign_in(world.user_for(role).email)
    token = client.csrf_token()
    problems = []
    for method, rule in int_routes(app):
        for too_large in TOO_LARGE:
            url = rule
            for name in ("<int:", "<int("):
                while name in url:
                    start = url.index(name)
                    url = url[:start] + str(too_large) + url[url.index(">", start) + 1 :]
            if method == "GET":
                response = client.get(url)
            else:
                response = client.post(url, data={"csrf_token": token})
            if response.status_code != 404:
                problems.append(f"{method} {url}: {response.status_code}")
    assert not problems, "\n".join(problems)
