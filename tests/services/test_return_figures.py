"""Each submitted return's figure per item, worked out once when its snapshot is written
(monitor.models.returns.ReturnFigure), and the ICB views that read those figures instead
of the snapshot's period-by-period rows."""

from __future__ import annotations

import math
from datetime import date

import pytest
from sqlalchemy import event
from sqlmodel import select

from monitor.core.checklist import template_used_by
from monitor.models import MetricValue, PracticeReturn, ReturnFigure, ReturnValue
from monitor.models.returns import ReturnStatus, return_figure
from monitor.services import collections, icb_views
from tests.factories import make_collection, make_return, make_value, months, shipped_templates

TODAY = date(2025, 10, 20)  # the factories' Q2 collection is open


def figures_of(session, answer_id: int) -> dict[str, tuple[float, int]]:
    session.expire_all()
    rows = session.exec(select(ReturnFigure).where(ReturnFigure.return_id == answer_id))
    return {row.item_id: (row.value, row.periods) for row in rows}


def mean_of_snapshot(session, answer_id: int) -> dict[str, tuple[float, int]]:
    """What the ICB views worked out from the snapshot before figures were stored: per
    item, the mean (math.fsum) of its periods' finite numbers."""
    numbers: dict[str, list[float]] = {}
    for row in session.exec(select(ReturnValue).where(ReturnValue.return_id == answer_id)):
        if row.value_number is not None and math.isfinite(row.value_number):
            numbers.setdefault(row.item_id, []).append(float(row.value_number))
    return {item: (math.fsum(found) / len(found), len(found)) for item, found in numbers.items()}


def template_of(collection):
    return template_used_by(shipped_templates(), collection)


def submit(session, world, collection):
    return collections.submit(
        session,
        user=world.editor,
        collection=collection,
        practice_id=world.practice.id,
        template=template_of(collection),
        today=TODAY,
    )


def test_the_figure_is_the_mean_of_the_finite_numbers_of_its_periods():
    assert return_figure([0.1, 0.2, 0.4]) == (math.fsum([0.1, 0.2, 0.4]) / 3, 3)
    assert return_figure([10, None, math.nan, 20]) == (15.0, 2)
    assert return_figure([math.inf, 5]) == (5.0, 1)
    assert return_figure([None, math.nan]) is None
    assert return_figure([]) is None


def test_submitting_stores_each_items_figure_the_mean_of_the_quarters_months(session, world):
    collection = make_collection(session, icb=world.icb)
    for code, number in months(41, 50, 62.5, first="2025-07"):
        make_value(
            session, practice=world.practice, item_id="home_visits", period_code=code, number=number
        )
    for code, number in months(0.1, 0.7, first="2025-08"):
        make_value(
            session,
            practice=world.practice,
            item_id="call_answer_time",
            period_code=code,
            number=number,
        )
    make_value(
        session,
        practice=world.practice,
        item_id="cervical_screening_pct",
        period_code="2025-26-q2",
        number=72.5,
    )
    make_value(  # blank: not recorded, so not in the snapshot or the figure
        session,
        practice=world.practice,
        item_id="fft_positive_pct",
        period_code="2025-07",
        number=None,
    )

    answer = submit(session, world, collection)

    figures = figures_of(session, answer.id)
    assert figures == {
        "home_visits": (math.fsum([41, 50, 62.5]) / 3, 3),
        "call_answer_time": (math.fsum([0.1, 0.7]) / 2, 2),
        "cervical_screening_pct": (72.5, 1),
    }
    assert figures == mean_of_snapshot(session, answer.id)


def test_nan_and_text_values_in_a_snapshot_give_no_figure(session, world):
    collection = make_collection(session, icb=world.icb)
    answer = make_return(
        session,
        collection=collection,
        practice=world.practice,
        values={"home_visits": months(30, math.nan, 50), "fft_positive_pct": months(math.nan)},
    )
    session.add(
        ReturnValue(
            return_id=answer.id,
            item_id="practice_notes",
            period_code="2025-07",
            period_start=date(2025, 7, 1),
            value_text="A text answer",
            unit="text",
            template_version=1,
        )
    )
    session.commit()

    assert figures_of(session, answer.id) == {"home_visits": (40.0, 2)}
    assert figures_of(session, answer.id) == mean_of_snapshot(session, answer.id)


def test_resubmitting_replaces_the_figures_and_withdrawing_hides_them(session, world):
    collection = make_collection(session, icb=world.icb)
    live = make_value(
        session, practice=world.practice, item_id="home_visits", period_code="2025-08", number=41
    )
    make_value(
        session,
        practice=world.practice,
        item_id="cervical_screening_pct",
        period_code="2025-26-q2",
        number=72.5,
    )
    answer = submit(session, world, collection)
    assert figures_of(session, answer.id) == {
        "home_visits": (41.0, 1),
        "cervical_screening_pct": (72.5, 1),
    }

    stored = session.get(MetricValue, live.id)
    stored.value_number = 45
    session.add(stored)
    session.commit()
    make_value(
        session, practice=world.practice, item_id="home_visits", period_code="2025-09", number=7
    )
    session.delete(
        session.exec(select(MetricValue).where(MetricValue.period_code == "2025-26-q2")).one()
    )
    session.commit()
    answer = submit(session, world, collection)
    assert figures_of(session, answer.id) == {"home_visits": (26.0, 2)}

    collections.withdraw(
        session,
        user=world.editor,
        collection=collection,
        practice_id=world.practice.id,
        today=TODAY,
    )
    # The snapshot and its figures stay for the audit trail; no ICB view reads them.
    assert figures_of(session, answer.id) == {"home_visits": (26.0, 2)}
    data = icb_views.load(
        session, user=world.analyst, collection=collection, template=template_of(collection)
    )
    assert data.submissions == [] and data.figures(data.item("home_visits")) == []

    answer = submit(session, world, collection)
    assert figures_of(session, answer.id) == {"home_visits": (26.0, 2)}
    assert figures_of(session, answer.id) == mean_of_snapshot(session, answer.id)


def test_deleting_a_return_deletes_its_figures(session, world):
    collection = make_collection(session, icb=world.icb)
    answer = make_return(
        session, collection=collection, practice=world.practice, values={"home_visits": months(3)}
    )
    assert figures_of(session, answer.id) == {"home_visits": (3.0, 1)}
    session.delete(session.get(PracticeReturn, answer.id))
    session.commit()
    assert figures_of(session, answer.id) == {}


# The ICB views read the figures ---------------------------------------------------------


def statements(session):
    """Every SQL statement run on the session's engine while the block runs."""
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args):
        seen.append(statement.lower())

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", note)
    return seen, lambda: event.remove(engine, "before_cursor_execute", note)


def test_loading_one_items_figures_reads_no_snapshot_rows_and_no_other_item(session, scene):
    template = template_of(scene.collection)
    every = icb_views.load(
        session, user=scene.world.analyst, collection=scene.collection, template=template
    )
    item = every.item("home_visits")
    seen, stop = statements(session)
    try:
        one = icb_views.load(
            session,
            user=scene.world.analyst,
            collection=scene.collection,
            template=template,
            items=[item.id],
            snapshot=False,
        )
    finally:
        stop()
    assert not [s for s in seen if "return_value" in s]
    assert [s for s in seen if "return_figure" in s]
    assert {f.item_id for s in one.submissions for f in s.figures} == {item.id}
    assert all(s.values == () for s in one.submissions)
    assert one.figures(item) == every.figures(item)
    assert icb_views.distribution(one, item) == icb_views.distribution(every, item)
    assert icb_views.equity_view(one, item) == icb_views.equity_view(every, item)


def test_every_figure_equals_the_mean_of_its_snapshot_as_the_views_had_it(session, scene):
    template = template_of(scene.collection)
    data = icb_views.load(
        session, user=scene.world.analyst, collection=scene.collection, template=template
    )
    assert data.items()
    for item in data.items():
        expected = []
        for submission in data.submissions:
            found = [
                v.value_number
                for v in submission.values
                if v.item_id == item.id
                and v.value_number is not None
                and math.isfinite(v.value_number)
            ]
            if found:
                expected.append((submission.practice.id, math.fsum(found) / len(found), len(found)))
        assert [(f.practice.id, f.value, f.periods) for f in data.figures(item)] == expected


@pytest.mark.parametrize(
    "path",
    ["/metrics/home_visits", "/metrics/home_visits/chart.svg", "/equity", "/metrics"],
)
def test_icb_pages_of_figures_read_no_snapshot_rows(client, session, scene, path):
    client.sign_in(scene.world.analyst.email)
    seen, stop = statements(session)
    try:
        response = client.get(f"/collections/{scene.collection.id}{path}")
    finally:
        stop()
    assert response.status_code == 200
    assert [s for s in seen if "return_figure" in s]
    assert not [s for s in seen if "return_value" in s]


def test_the_workbooks_tidy_sheet_still_reads_every_period(client, session, scene):
    client.sign_in(scene.world.analyst.email)
    response = client.get(f"/collections/{scene.collection.id}/returns.csv")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    submitted = session.exec(
        select(ReturnValue)
        .join(PracticeReturn, ReturnValue.return_id == PracticeReturn.id)
        .where(
            PracticeReturn.collection_id == scene.collection.id,
            PracticeReturn.status == ReturnStatus.SUBMITTED,
        )
    ).all()
    assert len(body.strip().splitlines()) == 1 + len(submitted)
