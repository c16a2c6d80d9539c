"""Practices read as plain rows (`visibility.practice_rows`) for the ICB-wide views: the
same practices as the stored ones a user reaches, the same attributes and facts."""

import dataclasses
from datetime import date

import pytest

from monitor.models import Practice, PracticeRow, PracticeStatus, Role
from monitor.services import visibility
from tests.factories import make_practice


def test_a_row_has_every_column_of_a_practice():
    """A column added to Practice and not to PracticeRow fails here, not in a view."""
    fields = [field.name for field in dataclasses.fields(PracticeRow)]
    assert sorted(fields) == sorted(Practice.__table__.columns.keys())


@pytest.mark.parametrize("role", list(Role))
def test_each_role_reads_the_same_practices_as_rows(session, world, role):
    user = world.user_for(role)
    stored = visibility.list_practices(session, user)
    rows = visibility.practice_rows(session, user)
    assert [r.id for r in rows] == [p.id for p in stored]
    assert stored  # every role reaches a practice of the world
    for row, practice in zip(rows, stored, strict=True):
        for name in visibility.PRACTICE_ROW_COLUMNS:
            assert getattr(row, name) == getattr(practice, name), name


def test_an_inactive_user_reads_no_rows(session, world):
    world.analyst.is_active = False
    session.add(world.analyst)
    session.commit()
    assert visibility.practice_rows(session, world.analyst) == []


def test_a_row_tells_the_same_facts_as_the_practice(session, world):
    closed = make_practice(
        session,
        pcn=world.pcn,
        name="Closed Surgery",
        imd_decile=4,
        status=PracticeStatus.CLOSED,
        closed_on=date(2025, 6, 30),
    )
    unknown = make_practice(session, pcn=world.pcn, name="Unknown Surgery", imd_decile=None)
    rows = {r.id: r for r in visibility.practice_rows(session, world.analyst)}
    for practice in (closed, unknown, world.practice):
        row = rows[practice.id]
        assert (row.imd_quintile, row.is_open) == (practice.imd_quintile, practice.is_open)
        for day in (date(2025, 6, 29), date(2025, 6, 30), date(2025, 7, 1)):
            assert row.open_on(day) == practice.open_on(day)
    assert rows[closed.id].imd_quintile == 2
    assert rows[closed.id].open_on(date(2025, 6, 30))
    assert not rows[closed.id].open_on(date(2025, 7, 1))
    assert rows[unknown.id].imd_quintile is None


def test_repeated_values_are_held_once(session, world):
    make_practice(session, pcn=world.pcn, name="Another Surgery", town="Leicester")
    rows = [r for r in visibility.practice_rows(session, world.analyst) if r.town == "Leicester"]
    assert len(rows) >= 2
    assert len({id(r.town) for r in rows}) == 1
    assert len({id(r.status) for r in rows}) == 1


def test_a_row_cannot_be_changed(session, world):
    row = visibility.practice_rows(session, world.editor)[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        row.name = "Renamed"  # a view reads a practice; changing one is the stored object's
