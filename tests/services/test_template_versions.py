"""Moving an ICB from template version 1 to 2: what the move says it means, that it is
audited, and that no stored value is lost or silently reinterpreted (every row is
compared before and after, on SQLite and PostgreSQL); the administrator's page and the
command line make the same move."""

from __future__ import annotations

import pytest
from sqlmodel import select

from monitor.models import AuditEvent, Icb, MetricValue
from monitor.services import template_versions
from monitor.services.template_versions import TemplateMoveRefused
from tests.client import error_summary
from tests.factories import make_value, shipped_templates

TEMPLATES = shipped_templates()


def rows(session) -> list[tuple]:
    session.expire_all()
    return sorted(
        (v.id, v.practice_id, v.item_id, v.period_code, v.value_number, v.template_version,
         v.source, v.version)
        for v in session.exec(select(MetricValue)).all()
    )  # fmt: skip


@pytest.fixture
def history(session, world):
    """A practice with two years of version 1 figures, among them abandoned calls (which
    version 2 continues as calls missed, with a changed definition)."""
    for month in ("2025-03", "2025-04", "2026-01"):
        for item_id, number in (
            ("calls_abandoned_pct", 7.5),
            ("inbound_calls", 4200),
            ("call_answer_time", 140),
        ):
            make_value(
                session, practice=world.practice, item_id=item_id, period_code=month,
                number=number, source="manual",
            )  # fmt: skip
    make_value(
        session, practice=world.foreign_practice, item_id="inbound_calls",
        period_code="2026-01", number=1,
    )  # fmt: skip
    return world


def test_the_move_says_which_items_are_new_carried_redefined_and_no_longer_asked(session, history):
    icb = session.get(Icb, history.practice.icb_id)

    move = template_versions.describe(session, TEMPLATES, icb, 2)

    new = {i.id for i in move.new_items}
    assert new == {
        "calls_answered_pct", "calls_answered_within_2_min_pct", "callbacks_requested",
        "oc_clinical_per_1000", "oc_admin_per_1000", "gp_fte_per_10000", "clinical_fte_per_10000",
        "cervical_screening_coverage", "bowel_screening_coverage", "breast_screening_coverage",
    }  # fmt: skip
    assert [(n.id, o.id) for n, o in move.redefined] == [
        ("calls_missed_pct", "calls_abandoned_pct")
    ]
    assert {"inbound_calls", "call_answer_time", "hep_allocation"} <= {
        n.id for n, _ in move.carried
    }
    # Screening coverage is Fingertips' annual figure from version 2, not the practice's
    # quarterly one: the quarterly items are not asked, their values kept as they are.
    assert {i.id for i in move.no_longer_asked} == {
        "cervical_screening_pct", "bowel_screening_pct", "breast_screening_pct"
    }  # fmt: skip
    assert move.stored_values == 9  # this ICB's, not the other ICB's
    lines = template_versions.summary_lines(move)
    assert any(line.startswith("Calls missed") and "changed definition" in line for line in lines)
    assert lines[-1] == "Values recorded under version 1: 9, kept as they are"


def test_moving_changes_no_stored_value_and_is_audited(session, history):
    icb = session.get(Icb, history.practice.icb_id)
    before = rows(session)

    template_versions.move(
        session, user=history.admin, move=template_versions.describe(session, TEMPLATES, icb, 2)
    )

    session.refresh(icb)
    assert icb.template_version == 2
    assert rows(session) == before
    event = session.exec(select(AuditEvent).where(AuditEvent.object_type == "icb")).one()
    assert event.actor_id == history.admin.id
    assert "from template version 1 to version 2" in event.summary
    assert "9 values recorded under version 1 kept as they were" in event.summary


def test_a_move_to_the_same_or_a_missing_version_is_refused(session, history):
    icb = session.get(Icb, history.practice.icb_id)
    with pytest.raises(TemplateMoveRefused, match="already uses version 1"):
        template_versions.describe(session, TEMPLATES, icb, 1)
    with pytest.raises(TemplateMoveRefused, match="Version 7 of the template is not loaded"):
        template_versions.describe(session, TEMPLATES, icb, 7)


def test_the_administrator_moves_the_icb_from_the_template_page(client, session, history):
    client.sign_in(history.admin.email)
    home = client.page("/")
    assert home.select_one("main a[href='/admin/template']") is not None
    page = client.page("/admin/template")
    summary = page.select_one("#move-2").get_text(" ", strip=True)
    assert "Calls missed" in summary and "Values recorded under version 1: 9" in summary
    before = rows(session)

    response = client.submit("/admin/template", {"version": "2"}, token_from="/admin/template")

    assert response.status_code == 302
    after = client.page("/admin/template")
    assert "version 2" in after.select_one("main p").get_text(" ", strip=True)
    assert rows(session) == before
    session.expire_all()
    assert session.get(Icb, history.practice.icb_id).template_version == 2


def test_a_refused_move_on_the_page_says_why_and_changes_nothing(client, session, history):
    client.sign_in(history.admin.email)

    response = client.submit("/admin/template", {"version": "7"}, token_from="/admin/template")

    assert response.status_code == 400
    from bs4 import BeautifulSoup

    assert error_summary(BeautifulSoup(response.data, "html.parser")) == [
        "Version 7 of the template is not loaded"
    ]
    session.expire_all()
    assert session.get(Icb, history.practice.icb_id).template_version == 1


@pytest.mark.parametrize("role", ["analyst", "editor", "pcn_lead"])
def test_only_the_administrator_may_move_the_template(client, history, role):
    client.sign_in(getattr(history, role).email)
    assert client.get("/admin/template").status_code == 403


def test_the_command_line_shows_then_makes_the_move(app, runner, session, history):
    icb = session.get(Icb, history.practice.icb_id)
    before = rows(session)

    dry = runner.invoke(args=["template", "--icb", icb.code, "--version", "2", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Values recorded under version 1: 9, kept as they are" in dry.output
    assert "Dry run: nothing was changed." in dry.output
    session.expire_all()
    assert session.get(Icb, icb.id).template_version == 1

    done = runner.invoke(args=["template", "--icb", icb.code, "--version", "2"])
    assert done.exit_code == 0, done.output
    assert f"{icb.name} now uses template version 2." in done.output
    again = runner.invoke(args=["template", "--icb", icb.code, "--version", "2"])
    assert again.exit_code != 0 and "already uses version 2" in again.output
    assert rows(session) == before
