"""Where each figure came from, in the services: saving a period around prefilled
figures (override with a reason, the spreadsheet refused, back to the published
figure), the share of a period NHS data filled, and evidence series that say where
each value came from and carry an earlier template version's item on, never
rewriting a stored value."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from monitor.core.checklist import ChecklistTemplate
from monitor.core.inputs import FormErrors
from monitor.core.periods import Period
from monitor.core.published import Extract, PublishedFigure
from monitor.models import AuditEvent, ImportChange, MetricValue
from monitor.services import evidence, figures, national_data
from tests.factories import (
    make_imported_value,
    make_national_import,
    make_value,
    shipped_templates,
)

TEMPLATES = shipped_templates()
V1 = TEMPLATES[("hep-light-touch", 1)]
V2 = TEMPLATES[("hep-light-touch", 2)]
TODAY = date(2026, 11, 23)
FEBRUARY = Period.parse("2026-02")
CBT = "Cloud Based Telephony, February 2026 publication"


@pytest.fixture
def icb(world, session):
    world.icb.template_version = 2
    session.add(world.icb)
    session.commit()
    return world.icb


@pytest.fixture
def cbt(session, icb):
    return make_national_import(session, icb=icb, description=CBT)


def imported(session, world, cbt, item_id="inbound_calls", number=1200, period=FEBRUARY):
    return make_imported_value(
        session,
        practice=world.practice,
        item_id=item_id,
        period_code=period.code,
        number=number,
        national_import=cbt,
    )


def save(session, world, raw, *, overrides=None, source="manual", period=FEBRUARY):
    return figures.save_period(
        session,
        user=world.editor,
        practice=world.practice,
        template=V2,
        period=period,
        raw=raw,
        token=None,
        today=TODAY,
        source=source,
        overrides=overrides,
    )


def every_row(session):
    """Every stored figure, every column: to prove nothing was rewritten."""
    session.expire_all()
    return sorted(
        (tuple(sorted(row.model_dump().items())) for row in session.exec(select(MetricValue))),
    )


# Saving around prefilled figures -------------------------------------------------------


def test_recorded_values_say_where_each_figure_came_from(session, world, cbt):
    imported(session, world, cbt)
    make_value(
        session, practice=world.practice, item_id="call_answer_time",
        period_code=FEBRUARY.code, number=95, template_version=2, published_number=None,
    )  # fmt: skip

    stored = figures.recorded_values(session, world.practice.id, FEBRUARY)

    calls = stored["inbound_calls"]
    assert calls.imported
    assert calls.provenance.origin == f"From {CBT}"
    assert calls.provenance.text == f"NHS England: {CBT}"
    assert calls.provenance.origin == national_data.source_label(
        session, session.get(MetricValue, calls.record_id)
    )
    own = stored["call_answer_time"]
    assert not own.imported
    assert own.provenance.text == "Entered by the practice"


def test_an_override_needs_a_reason_and_keeps_the_import_and_the_published_value(
    session, world, cbt
):
    value = imported(session, world, cbt)
    before = every_row(session)

    with pytest.raises(FormErrors) as refused:
        save(session, world, {"inbound_calls": "1250"}, overrides={"inbound_calls": "  "})
    assert refused.value.errors == {
        "inbound_calls-reason": "Enter why you are overriding the published figure for "
        "Inbound calls"
    }
    assert every_row(session) == before

    result = save(
        session, world, {"inbound_calls": "1250"}, overrides={"inbound_calls": "Branch line"}
    )

    assert result.changed == ["Inbound calls"]
    session.expire_all()
    row = session.get(MetricValue, value.id)
    assert (row.value_number, row.source, row.import_id) == (1250, "manual", cbt.id)
    assert (row.override_reason, row.published_number) == ("Branch line", 1200)
    stored = figures.recorded_values(session, world.practice.id, FEBRUARY)["inbound_calls"]
    assert stored.provenance.overridden and not stored.imported
    assert stored.provenance.text == "Entered by the practice (overrides the published value)"
    event = session.exec(
        select(AuditEvent).where(
            AuditEvent.object_type == "metric_value", AuditEvent.object_id == value.id
        )
    ).one()
    assert event.summary == "Overrode NHS England's published Inbound calls for February 2026"
    assert event.before["override_reason"] is None
    assert event.after["override_reason"] == "Branch line"


def test_an_override_reason_refuses_an_nhs_number(session, world, cbt):
    imported(session, world, cbt)
    with pytest.raises(FormErrors) as refused:
        save(
            session,
            world,
            {"inbound_calls": "1250"},
            overrides={"inbound_calls": "Patient 943 476 5919 rang twice"},
        )
    assert "NHS number" in refused.value.errors["inbound_calls-reason"]


def test_the_spreadsheet_cannot_change_a_prefilled_figure(session, world, cbt):
    imported(session, world, cbt)
    before = every_row(session)

    with pytest.raises(FormErrors) as refused:
        save(session, world, {"inbound_calls": "1250"}, source="spreadsheet")
    with pytest.raises(FormErrors) as cleared:
        save(session, world, {"inbound_calls": ""}, source="spreadsheet")

    message = (
        f"Inbound calls is NHS England's published figure (from {CBT}). To use your own "
        "figure instead, override it on the figures page and give a reason"
    )
    assert refused.value.errors == {"inbound_calls": message}
    assert cleared.value.errors == {"inbound_calls": message}
    assert every_row(session) == before
    # The same figure again (a workbook downloaded with the figures) changes nothing.
    assert save(session, world, {"inbound_calls": "1,200"}, source="spreadsheet").nothing


def test_going_back_to_the_published_figure_ends_the_override(session, world, cbt):
    value = imported(session, world, cbt)
    save(session, world, {"inbound_calls": "1250"}, overrides={"inbound_calls": "Branch"})

    with pytest.raises(FormErrors) as blank:
        save(session, world, {"inbound_calls": ""}, overrides={"inbound_calls": "Branch"})
    assert blank.value.errors["inbound_calls"].endswith("enter 1,200")
    save(session, world, {"inbound_calls": "1200"}, overrides={"inbound_calls": ""})

    session.expire_all()
    row = session.get(MetricValue, value.id)
    assert (row.value_number, row.source, row.import_id) == (1200, "cbt", cbt.id)
    assert (row.override_reason, row.published_number) == (None, None)
    assert figures.recorded_values(session, world.practice.id, FEBRUARY)["inbound_calls"].imported


def test_an_overridden_figure_survives_a_reimport_and_undo(session, world, icb, cbt):
    """The override keeps the import named; the import service treats it as the
    practice's own, so neither a revised publication nor an undo replaces it. Undone,
    the import's published figure goes with it: the practice's figure stands as its own,
    overriding nothing."""
    value = imported(session, world, cbt)
    session.add(
        ImportChange(
            import_id=cbt.id, practice_id=world.practice.id, item_id="inbound_calls",
            period_code=FEBRUARY.code, action="add", after_number=1200,
        )
    )  # fmt: skip
    session.commit()
    save(session, world, {"inbound_calls": "1250"}, overrides={"inbound_calls": "Branch"})
    revised = Extract(
        source="cbt",
        rank=5,
        filename="synthetic-revised.xlsx",
        description="Cloud Based Telephony, February 2026 publication (revised)",
        as_of=date(2026, 4, 1),
        rows_read=1,
        figures=[
            PublishedFigure(world.practice.ods_code, "inbound_calls", "2026-02", 1210, "T3", 14)
        ],
        measures={"inbound_calls": "Inbound calls"},
        period="2026-02",
    )

    plan = national_data.plan_import(session, icb=icb, template=V2, extract=revised, today=TODAY)
    national_data.undo_import(session, user=world.admin, national_import=cbt)

    assert (plan.kept, plan.changes) == (1, [])
    session.expire_all()
    row = session.get(MetricValue, value.id)
    assert (row.value_number, row.override_reason) == (1250, None)
    assert (row.import_id, row.published_number, row.source) == (None, None, "manual")


def test_period_share_counts_only_figures_recorded_for_the_period(session, world, cbt):
    for item_id, number in (("inbound_calls", 1200), ("calls_answered_pct", 90)):
        imported(session, world, cbt, item_id, number)
    overridden = imported(session, world, cbt, "calls_missed_pct", 10)
    overridden.override_reason, overridden.source = "Wrong", "manual"
    session.add(overridden)
    make_value(
        session, practice=world.practice, item_id="call_answer_time",
        period_code=FEBRUARY.code, number=95, template_version=2,
    )  # fmt: skip
    imported(session, world, cbt, "inbound_calls", 999, Period.parse("2026-01"))
    make_value(
        session,
        practice=world.practice,
        item_id="calls_abandoned_pct",
        period_code=FEBRUARY.code,
        number=4,
    )  # fmt: skip  (an item v2 does not have)
    session.commit()

    [summary] = figures.period_summaries(
        session, practice_id=world.practice.id, template=V2, periods=[FEBRUARY]
    )

    assert (summary.imported, summary.recorded, summary.total) == (2, 4, 15)
    assert summary.to_add == 11
    rows = session.exec(
        select(MetricValue).where(
            MetricValue.practice_id == world.practice.id,
            MetricValue.period_code == FEBRUARY.code,
            MetricValue.item_id.in_(list(V2.items_by_id)),
        )
    ).all()
    assert national_data.imported_share(rows) == (summary.imported, summary.recorded)


def test_earlier_version_figures_keep_their_own_label(session, world, icb):
    make_value(
        session, practice=world.practice, item_id="calls_abandoned_pct",
        period_code="2025-02", number=7.5, template_version=1,
    )  # fmt: skip
    period = Period.parse("2025-02")
    stored = figures.recorded_values(session, world.practice.id, period)

    [figure] = figures.earlier_version_values(TEMPLATES, V2, stored, period)

    assert figure.item == V1.items_by_id["calls_abandoned_pct"]
    assert figure.carried_on_by.id == "calls_missed_pct"
    assert figure.recorded.number == 7.5


# Evidence series ------------------------------------------------------------------------


def months(first: str, count: int) -> list[Period]:
    periods = [Period.parse(first)]
    while len(periods) < count:
        periods.append(periods[-1].next())
    return periods


@pytest.fixture
def moved_to_v2(session, world):
    """Two years of abandoned calls typed under version 1 (April 2024 to March 2026),
    then the ICB moves to version 2 and CBT's missed calls are imported monthly."""
    for n, period in enumerate(months("2024-04", 24)):
        make_value(
            session, practice=world.practice, item_id="calls_abandoned_pct",
            period_code=period.code, number=8 + (n % 3) * 0.5, template_version=1,
        )  # fmt: skip
    world.icb.template_version = 2
    session.add(world.icb)
    session.commit()
    for n, period in enumerate(months("2026-04", 6)):
        found = make_national_import(
            session,
            icb=world.icb,
            period_code=period.code,
            description=f"Cloud Based Telephony, {period.label} publication",
        )
        make_imported_value(
            session, practice=world.practice, item_id="calls_missed_pct",
            period_code=period.code, number=12 + n * 0.25, national_import=found,
        )  # fmt: skip
    return world


def test_a_continued_item_carries_the_earlier_items_values_with_a_note(session, moved_to_v2):
    world = moved_to_v2
    before = every_row(session)
    item = V2.items_by_id["calls_missed_pct"]

    series = evidence.series_for(
        session,
        practice_id=world.practice.id,
        item=item,
        until=Period.parse("2026-10"),
        template_version=2,
    )

    assert len(series.observed) == 30
    assert series.periods[0] == Period.parse("2024-04")
    earlier = [series.origin(n).earlier_definition for n in range(30)]
    assert earlier == [True] * 24 + [False] * 6
    assert {series.origin(n).item_id for n in range(24)} == {"calls_abandoned_pct"}
    assert {series.origin(n).template_version for n in range(24)} == {1}
    assert series.definition_changed_at == Period.parse("2026-04")
    assert series.definition_note == (
        "From April 2026 the definition changed: " + " ".join(item.continues.note.split())
    )
    assert series.imported == [False] * 24 + [True] * 6
    assert series.source_note == (
        "Squares are NHS England's published figures (6 of 30): April 2026 to September "
        "2026: Cloud Based Telephony (6 publications). Circles were entered by the practice."
    )
    assert series.origin(24).text == "NHS England: Cloud Based Telephony, April 2026 publication"
    assert series.origin(0).text == "Entered by the practice"
    # The new definition has limits of its own.
    result = evidence.evidence_for(series, baseline_year=None)
    assert Period.parse("2026-04") in result.chart.settings.rebase_at
    assert every_row(session) == before


def test_an_item_carried_on_under_the_same_id_joins_its_history(session, world, icb, cbt):
    make_value(
        session, practice=world.practice, item_id="inbound_calls", period_code="2026-01",
        number=1000, template_version=1,
    )  # fmt: skip
    imported(session, world, cbt)

    series = evidence.series_for(
        session,
        practice_id=world.practice.id,
        item=V2.items_by_id["inbound_calls"],
        until=FEBRUARY,
        template_version=2,
    )

    assert series.values == [1000, 1200]
    assert series.definition_changed_at is None and series.definition_note is None
    assert series.imported == [False, True]
    assert series.source_note == (
        f"Squares are NHS England's published figures (1 of 2): February 2026: {CBT}. "
        "Circles were entered by the practice."
    )


def test_an_earlier_item_nobody_continues_is_retired_not_lost(session, world):
    trimmed = ChecklistTemplate.model_validate(
        {**V2.model_dump(), "items": [i.model_dump() for i in V2.items if i.id != "staff_leavers"]}
    )
    templates = {**TEMPLATES, trimmed.key: trimmed}

    retired = evidence.retired_items(templates, trimmed)

    screening = ["cervical_screening_pct", "bowel_screening_pct", "breast_screening_pct"]
    assert [i.id for i in retired] == [*screening, "staff_leavers"]
    assert retired[-1].label == V1.items_by_id["staff_leavers"].label
    # Everything version 1 had, version 2 as shipped has or carries on, but the quarterly
    # screening coverage a practice typed: version 2 takes Fingertips' yearly figure.
    assert [i.id for i in evidence.retired_items(TEMPLATES, V2)] == screening
