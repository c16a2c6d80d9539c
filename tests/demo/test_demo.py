"""Demo data and the command line."""

from sqlmodel import func, select

from monitor.demo import DEMO_PASSWORD, PRACTICES, USERS
from monitor.models import AuditEvent, Icb, Pcn, Practice, User


def counts(session):
    return {
        model.__name__: session.exec(select(func.count()).select_from(model)).one()
        for model in (Icb, Pcn, Practice, User, AuditEvent)
    }


def test_demo_loads_once_and_a_second_run_changes_nothing(runner, session):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    after_first = counts(session)
    assert after_first["Practice"] == 10 and after_first["Pcn"] == 3
    assert after_first["User"] == len(USERS)
    second = runner.invoke(args=["demo"])
    assert "nothing changed" in second.output
    assert counts(session) == after_first


def test_demo_spreads_practices_like_the_evaluation_sample():
    deciles = [p[5] for p in PRACTICES]
    list_sizes = [p[4] for p in PRACTICES]
    assert min(deciles) <= 2 and max(deciles) >= 8
    assert min(list_sizes) < 4000 and max(list_sizes) > 20000
    assert {p[6] for p in PRACTICES} == {"urban", "rural"}
    assert all(p[0].startswith("Z") for p in PRACTICES)  # never a real ODS code


def test_every_demo_role_can_sign_in(runner, client):
    runner.invoke(args=["demo"])
    roles = set()
    for user in USERS:
        client.sign_in(user.email, DEMO_PASSWORD)
        assert client.get("/").status_code == 200
        client.submit("/sign-out", token_from="/")
        roles.add(user.role)
    assert len(roles) == 5


def test_demo_sign_ins_prints_every_account(runner):
    result = runner.invoke(args=["demo-sign-ins"])
    for user in USERS:
        assert user.email in result.output
    assert DEMO_PASSWORD in result.output
