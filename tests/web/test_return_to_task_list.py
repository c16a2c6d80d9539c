"""A section opened from a return's task list (or its review) goes back there when its
figures are saved, not to "Figures by period"; `return_to` only ever names the signed-in
practice's own return pages, so it cannot send anyone elsewhere."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.factories import make_collection


def section_link(soup, title: str) -> str:
    item = next(
        li for li in soup.select(".nhsuk-task-list__item") if title in li.get_text(" ", strip=True)
    )
    return item.select_one("a")["href"]


def save(client, url: str, figures: dict):
    page = client.page(url)
    form = page.select_one("main form[method=post]")
    assert form is not None
    action = form.get("action") or url
    token = page.select_one("input[name=token]")["value"]
    return client.submit(action, {"token": token, **figures}, token_from=url)


def test_saving_a_section_opened_from_the_task_list_returns_to_the_task_list(
    client, session, world
):
    collection = make_collection(session, icb=world.icb)
    client.sign_in(world.editor.email)
    task_list = f"/returns/{collection.id}"
    url = section_link(client.page(task_list), "Appointments")

    back = client.page(url).select_one("a.nhsuk-back-link")
    assert back["href"] == task_list
    assert back.get_text(strip=True) == "Back to the task list"

    response = save(client, url, {"home_visits": "12"})
    assert response.status_code == 302
    assert response.headers["Location"] == task_list


def test_saving_a_period_changed_from_the_review_returns_to_the_review(client, session, world):
    collection = make_collection(session, icb=world.icb)
    client.sign_in(world.editor.email)
    review = f"/returns/{collection.id}/review"
    add = next(a for a in client.page(review).select("main a") if a.get_text().startswith("Add"))

    response = save(client, add["href"], {"home_visits": "12"})

    assert response.headers["Location"] == review


def test_a_period_opened_from_figures_by_period_still_returns_there(client, world):
    client.sign_in(world.editor.email)
    response = save(client, "/figures/2025-08", {"home_visits": "12"})
    assert response.headers["Location"] == "/figures"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/returns/1",
        "//evil.example/returns/1",
        "/\\evil.example",
        "/admin/users",
        "/returns/1/withdraw",
        "/returns/999999",
        "/returns/2147483648",
        "/returns/abc",
        "",
    ],
)
def test_return_to_anywhere_but_the_practices_own_return_pages_is_ignored(
    client, session, world, target
):
    make_collection(session, icb=world.icb)  # collection 1, which the practice may see
    client.sign_in(world.editor.email)
    url = "/figures/2025-08?" + urlencode({"return_to": target})
    assert client.page(url).select_one("a.nhsuk-back-link")["href"] == "/figures"
    response = save(client, url, {"home_visits": "12"})
    assert response.headers["Location"] == "/figures"


def test_return_to_another_icbs_collection_is_ignored(client, session, world):
    foreign = make_collection(session, icb=world.other_icb)
    client.sign_in(world.editor.email)
    response = save(
        client, f"/figures/2025-08?return_to=/returns/{foreign.id}", {"home_visits": "12"}
    )
    assert response.headers["Location"] == "/figures"
