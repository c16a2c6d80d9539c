"""Saving a period's figures: all or nothing, blank is not zero, soft check, locking."""

from datetime import date

import pytest
from sqlmodel import func, select

from monitor.analysis.unusual import is_unusual
from monitor.core.checklist import Frequency
from monitor.core.inputs import FormErrors, InvalidValue
from monitor.core.periods import Period
from monitor.models import AuditEvent, HepAllocation, MetricValue
from monitor.services import figures
from monitor.services.records import EditConflict
from tests.factories import make_value

TODAY = date(2026, 11, 23)
OCTOBER = Period.parse("2026-10")


@pytest.fixture
def template(app):
    with app.app_context():
        from monitor.web.context import default_template

        return default_template()


def save(session, world, template, raw, *, period=OCTOBER, confirmed=(), token=None):
    return figures.save_period(
        session,
        user=world.editor,
        practice=world.practice,
        template=template,
        period=period,
        raw=raw,
        confirmed=set(confirmed),
        token=token,
        today=TODAY,
    )


def values(session, practice_id):
    rows = session.exec(select(MetricValue).where(MetricValue.practice_id == practice_id))
    return {(r.item_id, r.period_code): r.value_number for r in rows}


def test_a_month_is_saved_with_its_period_and_template_version(session, world, template):
    result = save(session, world, template, {"call_answer_time": "2:30", "inbound_calls": ""})
    assert result.added == ["Average time to answer calls"]
    row = session.exec(select(MetricValue)).one()
    assert (row.period_code, row.frequency, row.period_start) == (
        "2026-10",
        "monthly",
        date(2026, 10, 1),
    )
    assert (row.template_id, row.template_version) == ("hep-light-touch", 1)
    assert row.value_number == 150
    assert values(session, world.practice.id) == {("call_answer_time", "2026-10"): 150}


def test_one_invalid_value_saves_nothing(session, world, template):
    with pytest.raises(FormErrors) as error:
        save(session, world, template, {"call_answer_time": "2:30", "calls_abandoned_pct": "140"})
    assert error.value.errors == {"calls_abandoned_pct": "Calls abandoned: 140% is more than 100%"}
    assert values(session, world.practice.id) == {}


def test_blank_clears_a_value_rather_than_storing_zero(session, world, template):
    save(session, world, template, {"inbound_calls": "1,200"})
    result = save(session, world, template, {"inbound_calls": ""})
    assert result.removed == ["Inbound calls"]
    assert values(session, world.practice.id) == {}
    actions = session.exec(
        select(AuditEvent.action).where(AuditEvent.object_type == "metric_value")
    ).all()
    assert actions == ["create", "delete"]


def test_edits_are_audited_with_before_and_after(session, world, template):
    save(session, world, template, {"inbound_calls": "1200"})
    save(session, world, template, {"inbound_calls": "1300"})
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "update")).one()
    assert event.before["value_number"] == 1200 and event.after["value_number"] == 1300
    assert event.practice_id == world.practice.id and event.actor_id == world.editor.id


def test_future_and_current_periods_cannot_be_recorded(session, world, template):
    for code in ("2026-11", "2026-27-q3", "2026-27"):
        with pytest.raises(InvalidValue, match="has not ended yet"):
            save(session, world, template, {"inbound_calls": "1"}, period=Period.parse(code))
    with pytest.raises(InvalidValue, match="the 2025/26 financial year or earlier"):
        figures.check_recordable(Period.parse("2026-27"), TODAY)


def test_recordable_periods_cross_the_april_boundary():
    periods = figures.recordable_periods(date(2026, 4, 2))
    assert [p.code for p in periods[2026]] == []
    previous = [p.code for p in periods[2025]]
    assert previous[:3] == ["2025-26", "2025-26-q4", "2026-03"]
    assert len(previous) == 1 + 4 + 12


def test_annual_allocation_item_is_the_allocation_log(session, world, template):
    year = Period.parse("2024-25")
    save(
        session,
        world,
        template,
        {"hep_allocation": "£48,000", "qof_achievement": "96.5"},
        period=year,
    )
    allocation = session.exec(
        select(HepAllocation).where(
            HepAllocation.practice_id == world.practice.id, HepAllocation.financial_year == 2024
        )
    ).one()
    assert float(allocation.amount) == 48000.0
    stored = figures.recorded_values(session, world.practice.id, year)
    assert stored["hep_allocation"].number == 48000
    summary = figures.period_summaries(
        session, practice_id=world.practice.id, template=template, periods=[year]
    )[0]
    assert (summary.recorded, summary.total) == (2, 3)
    assert summary.status is figures.PeriodStatus.PARTLY_RECORDED


def test_period_status(session, world, template):
    months = [Period.parse("2026-08"), Period.parse("2026-09")]
    for item in template.items_for(Frequency.MONTHLY):
        make_value(
            session, practice=world.practice, item_id=item.id, period_code="2026-09", number=1
        )
    statuses = [
        s.status
        for s in figures.period_summaries(
            session, practice_id=world.practice.id, template=template, periods=months
        )
    ]
    assert statuses == [figures.PeriodStatus.NOT_STARTED, figures.PeriodStatus.COMPLETE]


def seed_history(session, world, numbers):
    month = Period.parse("2025-10")
    for number in numbers:
        make_value(
            session,
            practice=world.practice,
            item_id="inbound_calls",
            period_code=month.code,
            number=number,
        )
        month = month.next()


def test_a_value_far_from_recent_history_needs_confirmation(session, world, template):
    seed_history(
        session, world, [5100, 4900, 5300, 5000, 5200, 4800, 5050, 4950, 5150, 5000, 5100, 4900]
    )
    with pytest.raises(figures.NeedsConfirmation) as needed:
        save(session, world, template, {"inbound_calls": "51000"})
    message = needed.value.warnings["inbound_calls"]
    assert "51,000 is far from your last 12 figures" in message
    assert "between 4,800 and 5,300" in message
    assert ("inbound_calls", "2026-10") not in values(session, world.practice.id)
    save(session, world, template, {"inbound_calls": "51000"}, confirmed={"inbound_calls"})
    assert values(session, world.practice.id)[("inbound_calls", "2026-10")] == 51000


def test_ordinary_change_is_not_questioned(session, world, template):
    seed_history(
        session, world, [5100, 4900, 5300, 5000, 5200, 4800, 5050, 4950, 5150, 5000, 5100, 4900]
    )
    save(session, world, template, {"inbound_calls": "5600"})


def test_short_history_is_not_checked(session, world, template):
    seed_history(session, world, [5000, 5000, 5000])
    save(session, world, template, {"inbound_calls": "90000"})


@pytest.mark.parametrize(
    ("history", "value", "unusual"),
    [
        ([10, 11, 9, 10, 12, 10, 11, 9], 30, True),
        ([10, 11, 9, 10, 12, 10, 11, 9], 13, False),
        ([10] * 8, 10, False),
        ([10] * 8, 14, False),
        ([10] * 8, 16, True),
    ],
)
def test_unusual_is_measured_from_median_and_mad(history, value, unusual):
    assert is_unusual(value, history) is unusual


def test_second_save_from_a_stale_page_is_refused(session, world, template):
    opened = figures.state_token(figures.recorded_values(session, world.practice.id, OCTOBER))
    save(session, world, template, {"inbound_calls": "1200"}, token=opened)
    count = session.exec(select(func.count()).select_from(AuditEvent)).one()
    with pytest.raises(EditConflict):
        save(session, world, template, {"inbound_calls": "1300"}, token=opened)
    assert values(session, world.practice.id)[("inbound_calls", "2026-10")] == 1200
    assert session.exec(select(func.count()).select_from(AuditEvent)).one() == count
