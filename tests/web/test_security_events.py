"""Security events go to the "monitor.security" logger as structured records (who, from
where, which route, the outcome, why) and sign-in failures to the audit trail too;
no password, token or query string ever reaches a log record."""

from __future__ import annotations

import json
import logging

import pyotp
import pytest
from sqlmodel import select

from monitor.core.clock import utcnow
from monitor.models import AuditEvent, Visibility
from monitor.services.second_factor import time_step
from monitor.web import auth, security_events
from tests.factories import (
    PASSWORD,
    TOTP_SECRET,
    make_case,
    make_collection,
    make_home_visits,
    make_national_import,
)

TYPED_PASSWORD = "Typed-At-Sign-In-9f3b2c"
CODE_PAGE = "/sign-in/authenticator-code"


@pytest.fixture
def logs(caplog):
    """Every log record of every logger, from DEBUG up."""
    caplog.set_level(logging.DEBUG)
    return caplog


def security(caplog, event: str | None = None) -> list[dict]:
    found = [r.security_event for r in caplog.records if r.name == security_events.logger.name]
    return [e for e in found if event is None or e["event"] == event]


def everything_logged(caplog) -> str:
    """All that any log record holds: messages, arguments and extra attributes."""
    return "\n".join(
        f"{r.getMessage()} {r.args!r} {json.dumps(r.__dict__, default=str)}" for r in caplog.records
    )


def _sign_in(client, email: str, password: str):
    token = client.csrf_token("/sign-in")
    response = client.post(
        "/sign-in", data={"email": email, "password": password, "csrf_token": token}
    )
    return response, token


def test_a_wrong_password_is_logged_against_the_account_and_audited(client, world, session, logs):
    response, token = _sign_in(client, world.editor.email, TYPED_PASSWORD)
    assert response.status_code == 400
    (event,) = security(logs, "sign_in")
    assert event == {
        "event": "sign_in",
        "outcome": "failure",
        "reason": "wrong password",
        "user_id": world.editor.id,
        "address": "127.0.0.1",
        "method": "POST",
        "endpoint": "auth.sign_in",
        "path": "/sign-in",
        "step": "password",
        "status": 400,
        "failed_sign_ins": 1,
    }
    record = next(r for r in logs.records if r.name == "monitor.security")
    assert record.levelno == logging.WARNING
    assert json.loads(record.getMessage()) == event
    audited = session.exec(
        select(AuditEvent).where(
            AuditEvent.action == "sign_in_failed", AuditEvent.object_id == str(world.editor.id)
        )
    ).one()
    assert audited.object_type == "user"
    assert audited.summary == f"Failed sign-in to {world.editor.email}: wrong password"
    text = everything_logged(logs)
    assert TYPED_PASSWORD not in text
    assert token not in text


def test_an_unknown_account_is_logged_without_the_typed_email(client, world, session, logs):
    typed = "no-such-person@test.example"
    _sign_in(client, typed, TYPED_PASSWORD)
    (event,) = security(logs, "sign_in")
    assert (event["outcome"], event["reason"], event["user_id"]) == (
        "failure",
        "unknown account",
        None,
    )
    text = everything_logged(logs)
    assert typed not in text and TYPED_PASSWORD not in text
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "sign_in_failed")).all() == []


def test_the_failure_that_locks_an_account_and_attempts_while_locked(app, client, world, logs):
    app.config["LOCKOUT_THRESHOLD"] = 3
    for _ in range(3):
        _sign_in(client, world.viewer.email, TYPED_PASSWORD)
    _sign_in(client, world.viewer.email, PASSWORD)  # right password, but locked
    outcomes = [(e["outcome"], e["reason"]) for e in security(logs, "sign_in")]
    assert outcomes == [
        ("failure", "wrong password"),
        ("failure", "wrong password"),
        ("lockout", "too many failed sign-ins in a row: account locked"),
        ("failure", "account locked"),
    ]
    assert {e["user_id"] for e in security(logs, "sign_in")} == {world.viewer.id}
    text = everything_logged(logs)
    assert TYPED_PASSWORD not in text and PASSWORD not in text


def test_a_deactivated_account_and_a_throttled_address(app, client, world, session, logs):
    world.other_editor.is_active = False
    session.add(world.other_editor)
    session.commit()
    _sign_in(client, world.other_editor.email, PASSWORD)
    app.config["ADDRESS_FAILURE_LIMIT"] = 1
    response, _ = _sign_in(client, world.editor.email, PASSWORD)
    assert response.status_code == 429
    first, second = security(logs, "sign_in")
    assert (first["outcome"], first["reason"]) == ("failure", "deactivated account")
    assert (second["outcome"], second["status"]) == ("throttled", 429)
    assert PASSWORD not in everything_logged(logs)


def test_a_successful_sign_in_is_logged_at_info(client, world, logs):
    response, token = _sign_in(client, world.editor.email, PASSWORD)
    assert response.status_code == 302
    (event,) = security(logs, "sign_in")
    assert (event["outcome"], event["user_id"]) == ("success", world.editor.id)
    record = next(r for r in logs.records if r.name == "monitor.security")
    assert record.levelno == logging.INFO
    text = everything_logged(logs)
    assert PASSWORD not in text and token not in text


def _wrong_code() -> str:
    """Six digits that are none of the codes the demo secret gives around now."""
    totp, step = pyotp.TOTP(TOTP_SECRET), time_step(utcnow())
    near = {totp.generate_otp(step + offset) for offset in range(-3, 4)}
    return next(c for c in (f"{n:06d}" for n in range(123456, 999999, 7919)) if c not in near)


def test_both_steps_of_an_authenticator_sign_in_are_logged(client, world, session, logs):
    response, _ = _sign_in(client, world.analyst.email, PASSWORD)
    assert response.headers["Location"] == CODE_PAGE
    wrong = _wrong_code()
    assert client.submit(CODE_PAGE, {"code": wrong}).status_code == 400
    right = client.authenticator_code(world.analyst.email)
    assert client.submit(CODE_PAGE, {"code": right}).status_code == 302
    steps = [
        (e["step"], e["outcome"], e["reason"], e["user_id"], e["path"])
        for e in security(logs, "sign_in")
    ]
    assert steps == [
        ("password", "password_accepted", "second step to come", world.analyst.id, "/sign-in"),
        ("authenticator_code", "failure", "wrong or reused code", world.analyst.id, CODE_PAGE),
        ("authenticator_code", "success", "", world.analyst.id, CODE_PAGE),
    ]
    audited = session.exec(
        select(AuditEvent).where(
            AuditEvent.action == "sign_in_failed", AuditEvent.object_id == str(world.analyst.id)
        )
    ).one()
    assert audited.summary == f"Failed sign-in to {world.analyst.email}: wrong or reused code"
    text = everything_logged(logs)
    for secret in (PASSWORD, wrong, right, TOTP_SECRET):
        assert secret not in text


def test_the_pending_sign_in_is_read_under_auths_session_key():
    assert security_events.PENDING_SIGN_IN == auth.PENDING


def test_a_code_step_with_no_password_step_under_way_logs_nothing(client, logs):
    client.submit(CODE_PAGE, {"code": "123456"}, token_from="/sign-in")
    assert security(logs, "sign_in") == []


def test_a_form_with_a_wrong_csrf_token_is_logged_once_without_any_token(client, world, logs):
    real = client.csrf_token("/sign-in")
    forged = "forged-csrf-token-4b1d9e"
    response = client.post(
        "/sign-in",
        data={"email": world.editor.email, "password": TYPED_PASSWORD, "csrf_token": forged},
    )
    assert response.status_code == 400
    (event,) = security(logs)
    assert event["event"] == "csrf_failure"
    assert (event["outcome"], event["path"], event["status"]) == ("refused", "/sign-in", 400)
    assert "CSRF" in event["reason"]
    text = everything_logged(logs)
    for secret in (real, forged, TYPED_PASSWORD):
        assert secret not in text


def test_a_signed_in_form_without_a_token_is_logged_against_the_user(client, world, logs):
    client.sign_in(world.editor.email)
    logs.clear()
    response = client.post("/spending/new", data={"description": "x"})
    assert response.status_code == 400
    (event,) = security(logs)
    assert (event["event"], event["user_id"]) == ("csrf_failure", world.editor.id)


def test_a_route_the_role_may_not_use_is_logged_as_forbidden_without_the_query(client, world, logs):
    client.sign_in(world.editor.email)
    logs.clear()
    assert client.get("/admin/users?token=query-secret-77a1").status_code == 403
    (event,) = security(logs)
    assert event == {
        "event": "access_denied",
        "outcome": "forbidden",
        "reason": "role practice_editor may not use this route",
        "user_id": world.editor.id,
        "address": "127.0.0.1",
        "method": "GET",
        "endpoint": "admin.users",
        "path": "/admin/users",
        "status": 403,
    }
    assert "query-secret-77a1" not in everything_logged(logs)


def test_a_token_in_a_path_is_logged_as_the_routes_pattern(client, world, logs):
    token = "staged-upload-token-0c4e7b"
    client.sign_in(world.editor.email)
    logs.clear()
    response = client.submit(
        f"/admin/organisations/update/{token}/confirm", token_from="/dashboard"
    )
    assert response.status_code == 403
    (event,) = security(logs)
    assert event["path"] == "/admin/organisations/update/<token>/confirm"
    assert token not in everything_logged(logs)


def test_another_practices_record_is_logged_but_a_missing_one_is_not(client, world, logs):
    sibling_spend = world.sibling_records["spending"]
    own_spend = world.records["spending"]
    client.sign_in(world.editor.email)
    logs.clear()
    assert client.get(f"/spending/{sibling_spend.id}/edit").status_code == 404
    assert client.get("/spending/999999/edit").status_code == 404
    assert client.get(f"/history/spend_item/{sibling_spend.id}").status_code == 404
    assert client.get(f"/spending/{own_spend.id}/edit").status_code == 200
    events = security(logs)
    assert [(e["event"], e["outcome"], e["record_type"], e["record_id"]) for e in events] == [
        ("access_denied", "not_found", "spend_item", sibling_spend.id),
        ("access_denied", "not_found", "spend_item", sibling_spend.id),
    ]
    assert (
        events[0]["reason"]
        == f"spend_item {sibling_spend.id} exists but is not visible to this user"
    )
    assert events[0]["status"] == 404 and events[0]["user_id"] == world.editor.id


def test_other_organisations_practices_cases_and_users_are_logged(client, session, world, logs):
    private_case = make_case(session, practice=world.sibling, visibility=Visibility.PRIVATE)
    client.sign_in(world.pcn_lead.email)
    logs.clear()
    assert client.get(f"/practices/{world.foreign_practice.id}").status_code == 404
    assert client.get(f"/case-examples/{private_case.id}").status_code == 404
    kinds = [(e["record_type"], e["record_id"]) for e in security(logs)]
    assert kinds == [("practice", world.foreign_practice.id), ("case_example", private_case.id)]


def test_an_administrator_trying_another_icbs_user_and_import_is_logged(
    client, session, world, logs
):
    foreign_import = make_national_import(session, icb=world.other_icb)
    foreign_collection = make_collection(session, icb=world.other_icb)
    client.sign_in(world.admin.email)
    logs.clear()
    assert client.get(f"/admin/users/{world.foreign_editor.id}").status_code == 404
    assert client.get(f"/national-data/imports/{foreign_import.id}").status_code == 404
    assert client.get(f"/collections/{foreign_collection.id}").status_code == 404
    kinds = [(e["record_type"], e["record_id"]) for e in security(logs)]
    assert kinds == [
        ("user", world.foreign_editor.id),
        ("national_import", foreign_import.id),
        ("collection", foreign_collection.id),
    ]


def test_every_model_a_route_names_has_a_kind():
    models = {*security_events.ID_MODELS.values(), *security_events.RECORD_MODELS.values()}
    for model in models:
        assert security_events._kind(model)


@pytest.fixture
def figures(session, world):
    make_home_visits(session, practice=world.practice)
    return world


@pytest.mark.parametrize(
    ("url", "path", "media_type"),
    [
        ("/summary/impact-summary.xlsx?year=2025", "/summary/impact-summary.xlsx", "xlsx"),
        ("/summary/impact-summary.pdf?year=2025", "/summary/impact-summary.pdf", "pdf"),
        ("/summary/tables/spending.csv?year=2025", "/summary/tables/spending.csv", "csv"),
        ("/summary/tables.zip?year=2025", "/summary/tables.zip", "zip"),
        ("/metrics/home_visits/data.csv", "/metrics/home_visits/data.csv", "csv"),
        ("/spending/workbook.xlsx", "/spending/workbook.xlsx", "xlsx"),
    ],
)
def test_every_practice_export_download_is_logged(client, figures, logs, url, path, media_type):
    client.sign_in(figures.editor.email)
    logs.clear()
    response = client.get(url)
    assert response.status_code == 200
    (event,) = security(logs)
    assert event["event"] == "download" and event["outcome"] == "sent"
    assert (event["user_id"], event["path"], event["status"]) == (figures.editor.id, path, 200)
    assert event["filename"].endswith(f".{media_type}")
    assert event["media_type"] == response.mimetype
    assert event["bytes"] == len(response.get_data())
    assert "year=2025" not in everything_logged(logs)


def test_the_icbs_workbook_and_csv_downloads_are_logged(client, session, world, logs):
    collection = make_collection(session, icb=world.icb)
    client.sign_in(world.analyst.email)
    logs.clear()
    for url in (
        f"/collections/{collection.id}/workbook.xlsx",
        f"/collections/{collection.id}/returns.csv",
    ):
        assert client.get(url).status_code == 200
    events = security(logs)
    assert [(e["event"], e["endpoint"], e["user_id"]) for e in events] == [
        ("download", "icb.workbook", world.analyst.id),
        ("download", "icb.tidy_csv", world.analyst.id),
    ]


def test_ordinary_pages_log_no_security_event(client, world, logs):
    client.sign_in(world.editor.email)
    logs.clear()
    for url in ("/", "/dashboard", "/spending"):
        assert client.get(url).status_code == 200
    assert security(logs) == []
