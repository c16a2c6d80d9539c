"""One stamp of everything the collection's ICB views read (icb_views.collection_stamp),
which keys their cached pages and charts: every change to what a view shows changes it,
whichever way the change was written, and nothing else the views do not read does.

Uses the `scene` fixture (tests/factories.py: five submitted returns of home visits to
a 2025/26 Q2 collection open from 1 October to 30 November 2025), and for national items
an ICB on template version 2."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from monitor.models import ImportStatus, NationalImport, Role
from monitor.services import collections, evidence, icb_charts, icb_views
from tests.factories import (
    make_collection,
    make_icb,
    make_imported_value,
    make_pcn,
    make_practice,
    make_return,
    make_user,
    make_value,
    months,
    shipped_templates,
)

IN_THE_WINDOW = date(2025, 10, 15)
V1 = shipped_templates()[("hep-light-touch", 1)]
V2 = shipped_templates()[("hep-light-touch", 2)]


def stamp(session, scene, user=None) -> str:
    session.expire_all()  # what a new request would read
    collection = session.get(type(scene.collection), scene.collection.id)
    return icb_views.collection_stamp(session, user or scene.world.analyst, collection, V1)


def submit_theta(session, scene):
    make_return(
        session, collection=scene.collection, practice=scene.theta,
        values={"home_visits": months(7)},
    )  # fmt: skip


def withdraw_epsilon(session, scene):
    collections.withdraw(
        session, user=scene.world.analyst, collection=scene.collection,
        practice_id=scene.epsilon.id, today=IN_THE_WINDOW,
    )  # fmt: skip


def edit(attribute, value):
    def change(session, scene):
        setattr(scene.epsilon, attribute, value)
        session.add(scene.epsilon)
        session.commit()

    change.__name__ = f"epsilon_{attribute}"
    return change


def move_epsilon_to_the_other_pcn(session, scene):
    scene.epsilon.pcn_id = scene.world.other_pcn.id
    session.add(scene.epsilon)
    session.commit()


def rename_the_pcn(session, scene):
    scene.world.pcn.name = "North Renamed PCN"
    session.add(scene.world.pcn)
    session.commit()


def change_a_figure_in_sql(session, scene):
    session.execute(
        text("UPDATE return_figure SET value = value + 1 WHERE item_id = 'home_visits'")
    )
    session.commit()


def change_a_list_size_in_sql(session, scene):
    session.execute(
        text("UPDATE practice SET list_size = list_size + 1 WHERE id = :id"),
        {"id": scene.epsilon.id},
    )
    session.commit()


def change_spending_in_sql(session, scene):
    session.execute(text("UPDATE return_spend SET hep_amount = hep_amount + 1"))
    session.commit()


def rename_the_collection(session, scene):
    scene.collection.name = "2025/26 Q2 return (corrected)"
    scene.collection.version += 1
    session.add(scene.collection)
    session.commit()


CHANGES = [
    submit_theta,
    withdraw_epsilon,
    edit("list_size", 12345),
    edit("imd_decile", 9),
    edit("imd_score", 12.5),
    edit("name", "Epsilon Health Centre"),
    edit("status", "closed"),
    move_epsilon_to_the_other_pcn,
    rename_the_pcn,
    change_a_figure_in_sql,
    change_a_list_size_in_sql,
    change_spending_in_sql,
    rename_the_collection,
]


@pytest.mark.parametrize("change", CHANGES, ids=lambda change: change.__name__)
def test_every_change_to_what_the_icb_views_show_changes_the_stamp(session, scene, change):
    before = stamp(session, scene)
    assert stamp(session, scene) == before  # nothing changed: the same stamp
    change(session, scene)
    assert stamp(session, scene) != before


def test_a_resubmission_changes_the_stamp_from_both_the_withdrawal_and_the_first(session, scene):
    first = stamp(session, scene)
    withdraw_epsilon(session, scene)
    withdrawn = stamp(session, scene)
    make_value(
        session, practice=scene.epsilon, item_id="home_visits", period_code="2025-07", number=61
    )
    collections.submit(
        session, user=None, collection=scene.collection, practice_id=scene.epsilon.id,
        template=V1, today=IN_THE_WINDOW,
    )  # fmt: skip
    resubmitted = stamp(session, scene)
    assert len({first, withdrawn, resubmitted}) == 3


def test_what_the_views_do_not_read_leaves_the_stamp_alone(session, scene):
    before = stamp(session, scene)
    # A practice's live figures (never shown until submitted), a return to another
    # collection, and a colleague signing in.
    make_value(
        session, practice=scene.theta, item_id="home_visits", period_code="2025-08", number=5
    )
    make_return(
        session, collection=scene.earlier, practice=scene.theta,
        values={"home_visits": months(3, first="2025-04")},
    )  # fmt: skip
    make_user(session, role=Role.ICB_ANALYST, organisation=scene.world.icb)
    assert stamp(session, scene) == before


def test_the_stamp_is_of_the_users_reach_not_the_user(session, scene):
    colleague = make_user(session, role=Role.ICB_ANALYST, organisation=scene.world.icb)
    ours = stamp(session, scene)
    assert stamp(session, scene, colleague) == ours
    assert stamp(session, scene, icb_charts.icb_reader(scene.world.icb.id)) == ours
    assert stamp(session, scene, scene.world.pcn_lead) != ours  # one PCN's practices


def test_a_national_items_published_figures_and_imports_change_the_stamp(session):
    icb = make_icb(session, template_version=2)
    pcn = make_pcn(session, icb=icb)
    practice = make_practice(session, pcn=pcn)
    analyst = make_user(session, role=Role.ICB_ANALYST, organisation=icb)
    collection = make_collection(session, icb=icb, template_version=2)
    national = next(i for i in V2.items if i.national is not None and i.id != "hep_allocation")

    def now() -> str:
        session.expire_all()
        return icb_views.collection_stamp(session, analyst, collection, V2)

    before = now()
    value = make_imported_value(
        session, practice=practice, item_id=national.id, period_code="2025-08", number=4
    )
    imported = now()
    assert imported != before
    session.execute(
        text("UPDATE metric_value SET value_number = 5 WHERE id = :id"), {"id": value.id}
    )
    session.commit()
    changed = now()
    assert changed != imported
    undone = session.get(NationalImport, value.import_id)
    undone.status = ImportStatus.UNDONE
    undone.version += 1
    session.add(undone)
    session.commit()
    assert now() != changed


# The same rows, added up in another order --------------------------------------------
#
# A float sum depends on the order of its additions: 1e16 + -1e16 + 1 is 1, while
# -1e16 + 1 + 1e16 is 0 (1 is below 1e16's precision). PostgreSQL moves a row it updates
# to the end of its table, so updating a row to its own value changes the order a scan
# adds them in, as its parallel workers' shares do on a large table: a stamp must not
# change. (SQLite updates in place: there the order, and the stamp, stay as they were.)

ORDER_SENSITIVE = (1e16, -1e16, 1.0)


def _scans_in_storage_order(session) -> None:
    """On PostgreSQL, every query of this test's database reads its tables in storage
    order (no index scans, which would read in key order), as a parallel scan of a large
    table does; connections opened before are closed so none keeps the old plans."""
    engine = session.get_bind()
    if engine.dialect.name != "postgresql":
        return
    name = session.execute(text("SELECT current_database()")).scalar_one()
    for setting in ("enable_indexscan", "enable_indexonlyscan", "enable_bitmapscan"):
        session.execute(text(f'ALTER DATABASE "{name}" SET {setting} = off'))
    session.commit()
    session.close()
    engine.dispose()


def _same_rows_in_another_order(session, table: str, column: str, ids: list[int]) -> None:
    session.execute(text(f"UPDATE {table} SET {column} = {column} WHERE id = :id"), {"id": ids[0]})
    session.commit()


def test_the_collection_stamp_is_the_same_whatever_order_its_figures_are_added_in(session, scene):
    ids = list(
        session.execute(
            text(
                "SELECT return_figure.id FROM return_figure JOIN practice_return "
                "ON practice_return.id = return_figure.return_id "
                "WHERE practice_return.collection_id = :c AND practice_return.status = "
                "'submitted' ORDER BY return_figure.id"
            ),
            {"c": scene.collection.id},
        ).scalars()
    )
    assert len(ids) >= len(ORDER_SENSITIVE)
    _scans_in_storage_order(session)
    values = [*ORDER_SENSITIVE, *[0.0] * (len(ids) - len(ORDER_SENSITIVE))]
    for figure_id, value in zip(ids, values, strict=True):
        session.execute(
            text("UPDATE return_figure SET value = :v WHERE id = :id"),
            {"v": value, "id": figure_id},
        )
    session.commit()
    before = stamp(session, scene)
    _same_rows_in_another_order(session, "return_figure", "value", ids)
    assert stamp(session, scene) == before


def test_the_live_and_dashboard_stamps_are_the_same_whatever_order_figures_are_added_in(
    session, scene
):
    made = [
        make_value(session, practice=scene.theta, item_id="home_visits",
                   period_code=code, number=number)
        for (code, _), number in zip(months(0, 0, 0), ORDER_SENSITIVE, strict=True)
    ]  # fmt: skip
    ids = [value.id for value in made]
    _scans_in_storage_order(session)

    def stamps():
        session.expire_all()
        collection = session.get(type(scene.collection), scene.collection.id)
        live = icb_views.live_stamp(session, scene.world.analyst, collection, V1)
        return live, evidence.figures_stamps(session, scene.theta.id).by_item["home_visits"]

    before = stamps()
    _same_rows_in_another_order(session, "metric_value", "value_number", ids)
    assert stamps() == before
