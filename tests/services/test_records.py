"""Many records at once: added in batches or deleted with ONE audit event for them all,
filed under their practice; never spread over two practices."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import Session, func, select

from monitor.models import AuditEvent, HepAllocation, MetricValue, Role, SpendItem, StaffingChange
from monitor.services import records
from tests.factories import make_icb, make_pcn, make_practice, make_user


def figure(practice, month: int, value: float = 10.0) -> MetricValue:
    return MetricValue(
        practice_id=practice.id,
        item_id="call_answer_time",
        frequency="monthly",
        period_code=f"2025-{month:02d}",
        period_start=date(2025, month, 1),
        value_number=value,
        template_id="hep-light-touch",
        template_version=1,
    )


def events(session) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).order_by(AuditEvent.id)))


def count(session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


@pytest.fixture
def practice(session):
    return make_practice(session, pcn=make_pcn(session, icb=make_icb(session)))


def test_create_many_adds_every_record_with_one_event(session, practice):
    editor = make_user(session, role=Role.PRACTICE_EDITOR, organisation=practice)
    rows = [figure(practice, month) for month in range(1, 13)]
    added = records.create_many(
        session, user=editor, records=rows, summary="Imported {added} from calls.csv"
    )
    assert added == 12 and count(session, MetricValue) == 12
    assert all(row.id is not None and row.updated_by_id == editor.id for row in rows)
    (event,) = events(session)
    assert (event.action, event.object_type, event.object_id) == ("create", "metric_value", "")
    assert event.practice_id == practice.id and event.actor_id == editor.id
    assert event.summary == "Imported 12 figures from calls.csv"


def test_adding_in_batches_lets_later_records_link_to_earlier_ones(session, practice):
    with records.adding(
        session,
        user=None,
        summary="Demo data: {added} loaded",
        object_type="demo_data",
        object_id=practice.id,
    ) as additions:
        change = StaffingChange(
            practice_id=practice.id,
            role="receptionist",
            change_type="new_post",
            wte_change=Decimal("1.00"),
            starts_on=date(2025, 4, 1),
            contract_type="permanent",
            hep_share_pct=Decimal("100"),
        )
        allocation = HepAllocation(
            practice_id=practice.id, financial_year=2025, amount=Decimal("48000")
        )
        additions.add([figure(practice, 4), change, allocation])
        additions.add(
            [
                SpendItem(
                    practice_id=practice.id,
                    spent_on=date(2025, 4, 1),
                    category="non_clinical_staff",
                    description="Receptionist",
                    total_cost=Decimal("24000"),
                    hep_amount=Decimal("24000"),
                    recurrence="recurrent",
                    staffing_change_id=change.id,
                )
            ]
        )
    assert additions.counts == {
        "metric_value": 1,
        "staffing_change": 1,
        "hep_allocation": 1,
        "spend_item": 1,
    }
    spend = session.exec(select(SpendItem)).one()
    assert spend.staffing_change_id == change.id is not None
    (event,) = events(session)
    assert (event.object_type, event.object_id) == ("demo_data", str(practice.id))
    assert event.summary == (
        "Demo data: 1 figure, 1 HEP allocation, 1 staffing change, 1 spending item loaded"
    )


def test_records_of_two_practices_are_refused_and_nothing_is_kept(session, practice):
    other = make_practice(session, pcn=make_pcn(session, icb=make_icb(session)))
    with pytest.raises(ValueError, match="one practice"):
        records.create_many(
            session, user=None, records=[figure(practice, 1), figure(other, 1)], summary="x"
        )
    assert count(session, MetricValue) == 0 and events(session) == []


def test_a_failure_part_way_keeps_no_row_without_its_event(session, practice):
    with pytest.raises(RuntimeError), records.adding(session, user=None, summary="x") as added:
        added.add([figure(practice, 1)])
        raise RuntimeError("the next batch could not be built")
    assert count(session, MetricValue) == 0 and events(session) == []


def test_adding_nothing_writes_no_event(session):
    assert records.create_many(session, user=None, records=[], summary="x") == 0
    assert events(session) == []


def test_delete_many_removes_the_records_with_one_event(session, practice):
    rows = [figure(practice, month) for month in (1, 2, 3)]
    records.create_many(session, user=None, records=rows, summary="Added {added}")
    removed = records.delete_many(
        session, user=None, records=rows[:2], summary="Removed {removed} for January, February"
    )
    assert removed == 2
    left = session.exec(select(MetricValue)).all()
    assert [row.period_code for row in left] == ["2025-03"]
    event = events(session)[-1]
    assert (event.action, event.object_type, event.practice_id) == (
        "delete",
        "metric_value",
        practice.id,
    )
    assert event.summary == "Removed 2 figures for January, February"


def test_delete_many_refuses_records_changed_since_they_were_read(session, practice):
    rows = [figure(practice, month) for month in (1, 2)]
    records.create_many(session, user=None, records=rows, summary="Added {added}")
    with Session(session.get_bind()) as someone_else:
        theirs = someone_else.get(MetricValue, rows[1].id)
        records.update_fields(
            someone_else,
            user=None,
            record=theirs,
            changes={"value_number": 99.0},
            expected_version=1,
            summary="Changed",
        )
    with pytest.raises(records.EditConflict):
        records.delete_many(session, user=None, records=rows, summary="Removed")
    assert count(session, MetricValue) == 2


def test_every_object_type_has_a_noun_for_summaries():
    assert set(records.OBJECT_TYPES.values()) <= set(records.NOUNS)
    assert records.describe_counts({"spend_item": 2, "metric_value": 3_960}) == (
        "3,960 figures, 2 spending items"
    )
    assert records.describe_counts({}) == "nothing"
