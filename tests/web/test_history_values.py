"""A practice's change history reads as people typed: field names as the forms name
them and values in their own format, never stored columns such as "value_number"."""

from bs4 import BeautifulSoup
from sqlmodel import select

from monitor.models import MetricValue, StaffingChange
from tests.client import error_summary


def soup_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def changes_on(page) -> list[str]:
    return [li.get_text(" ", strip=True) for li in page.select("main table li")]


def test_figure_history_shows_the_item_label_and_minutes_and_seconds(client, world, session):
    client.sign_in(world.editor.email)
    for typed in ("2:15", "2:38"):
        form = client.page("/figures/2025-10").select_one("main form[method=post]")
        hidden = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}
        response = client.submit("/figures/2025-10", {**hidden, "call_answer_time": typed})
        assert response.status_code == 302, error_summary(soup_of(response))
    figure = session.exec(
        select(MetricValue).where(
            MetricValue.practice_id == world.practice.id,
            MetricValue.item_id == "call_answer_time",
            MetricValue.period_code == "2025-10",
        )
    ).one()
    page = client.page(f"/history/metric_value/{figure.id}")
    assert changes_on(page) == ["Average time to answer calls : 2:15 → 2:38"]
    assert "value_number" not in page.get_text()


def test_spending_history_shows_money_and_dates_as_typed(client, world, session):
    item = world.records["spending"]
    client.sign_in(world.editor.email)
    form = client.page(f"/spending/{item.id}/edit")
    data = {field["name"]: field.get("value", "") for field in form.select("input[type=text]")}
    data.update(
        category="telephony",
        recurrence="recurrent",
        hep_mode="amount",
        other_sources="gms",
        version=str(item.version),
        total_cost="12,000",
        **{"spent_on-day": "12", "spent_on-month": "9", "spent_on-year": "2025"},
    )
    response = client.submit(f"/spending/{item.id}/edit", data)
    assert response.status_code == 302, error_summary(soup_of(response))
    changes = changes_on(client.page(f"/history/spend_item/{item.id}"))
    assert "Total cost : £10,000 → £12,000" in changes
    assert any(c.startswith("Date : ") and c.endswith("→ 12 September 2025") for c in changes)


def test_staffing_history_shows_the_hep_share_as_a_percentage(client, world, session):
    change = world.records["staffing"]
    client.sign_in(world.editor.email)
    data = {
        "role": change.role,
        "change_type": change.change_type,
        "wte_change": str(change.wte_change),
        "starts_on-day": str(change.starts_on.day),
        "starts_on-month": str(change.starts_on.month),
        "starts_on-year": str(change.starts_on.year),
        "contract_type": "permanent",
        "hep_share_pct": "45.5",
        "version": str(change.version),
    }
    if change.ends_on:
        data.update(
            {
                "ends_on-day": str(change.ends_on.day),
                "ends_on-month": str(change.ends_on.month),
                "ends_on-year": str(change.ends_on.year),
            }
        )
    response = client.submit(f"/staffing/{change.id}/edit", data)
    assert response.status_code == 302, error_summary(soup_of(response))
    session.expire_all()
    before = session.get(StaffingChange, change.id)
    assert before.hep_share_pct == 45.5
    changes = changes_on(client.page(f"/history/staffing_change/{change.id}"))
    assert any(c.startswith("HEP share : ") and c.endswith("→ 45.5%") for c in changes), changes
    assert not any("hep_share_pct" in c or "hep share pct" in c for c in changes)
