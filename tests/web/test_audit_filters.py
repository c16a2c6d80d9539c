"""The administrator's audit log filters by who, what kind of record and when (issue
16), and a date typed wrongly is named beside its field, filtering nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from monitor.models import AuditEvent
from monitor.services import audit
from tests.client import error_summary, field_error


def _rows(client, url: str) -> list[str]:
    return [r.get_text(" ", strip=True) for r in client.page(url).select("#audit-events tbody tr")]


def _event(session, world, *, actor, at: datetime, object_id: str) -> None:
    audit.record(
        session, actor=actor, action="update", object_type="spend_item", object_id=object_id,
        practice_id=world.practice.id, before={"description": "a"}, after={"description": "b"},
    )  # fmt: skip
    event = session.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    event.at = at
    session.add(event)
    session.commit()


def test_the_audit_log_filters_by_who_and_when(client, session, world):
    # 23:30 on 31 March UTC is 00:30 on 1 April in UK summer time: April in the log.
    for actor, at, object_id in (
        (world.admin, datetime(2026, 3, 31, 22, 30, tzinfo=UTC), "901"),
        (world.admin, datetime(2026, 3, 31, 23, 30, tzinfo=UTC), "902"),
        (world.analyst, datetime(2026, 4, 2, 9, 0, tzinfo=UTC), "903"),
    ):
        _event(session, world, actor=actor, at=at, object_id=object_id)
    client.sign_in(world.admin.email)
    page = client.page("/admin/audit")
    who = {o.get_text(strip=True): o["value"] for o in page.select("#who option")}
    assert who["Everyone"] == ""
    assert who[world.admin.email] == str(world.admin.id)

    mine = _rows(client, f"/admin/audit?who={world.admin.id}")
    assert mine and all(world.admin.email in row for row in mine)
    assert not any("Spending item 903" in row for row in mine)

    april = _rows(client, "/admin/audit?from=1/4/2026&to=2026-04-30")
    assert [r for r in april if " 90" in r] and not any("Spending item 901" in r for r in april)
    assert any("Spending item 902" in r for r in april) and any(
        "Spending item 903" in r for r in april
    )
    first_of_april = _rows(client, "/admin/audit?from=1/4/2026&to=1/4/2026")
    assert [
        ("Spending item 902" in r, "Spending item 903" in r)
        for r in first_of_april
        if "Spending item 90" in r
    ] == [(True, False)]
    both = _rows(client, f"/admin/audit?who={world.analyst.id}&from=2026-04-01")
    assert any("Spending item 903" in r for r in both) and not any(
        "Spending item 902" in r for r in both
    )


def test_a_wrong_date_is_named_by_its_field_and_filters_nothing(client, world):
    client.sign_in(world.admin.email)
    everything = _rows(client, "/admin/audit")
    page = client.page("/admin/audit?from=31/02/2026&to=9999-01-01", status=400)
    assert field_error(page, "from") == "The date from: 31/02/2026 is not a real date"
    assert field_error(page, "to") == "The date to must be between 2000 and 2100"
    assert len(error_summary(page)) == 2
    assert len(page.select("#audit-events tbody tr")) == len(everything)
    backwards = client.page("/admin/audit?from=2026-05-01&to=2026-04-01", status=400)
    assert field_error(backwards, "to").endswith("must be the same as or after the date from")
    # A person not offered by the filter is no filter, as for the other selects.
    assert len(_rows(client, "/admin/audit?who=99999999")) == len(everything)
