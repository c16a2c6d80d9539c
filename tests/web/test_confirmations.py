"""Withdrawing a return and deactivating a user ask first: the NHS confirmation page with
a warning button, as deleting a record does; nothing changes until it is confirmed."""

from __future__ import annotations

from sqlmodel import select

from monitor.models.returns import PracticeReturn, ReturnStatus
from tests.client import heading
from tests.factories import make_collection, make_return


def _warning_form(soup):
    """The page's one confirming form: (its action, the warning button's text)."""
    forms = soup.select("main form[method=post]")
    assert len(forms) == 1
    warning = forms[0].select_one("button.nhsuk-button--warning")
    assert warning is not None
    return forms[0].get("action", ""), warning.get_text(strip=True)


def test_withdraw_on_the_task_list_opens_a_confirmation_and_changes_nothing(client, session, world):
    collection = make_collection(session, icb=world.icb)
    make_return(session, collection=collection, practice=world.practice)
    client.sign_in(world.editor.email)

    task_list = client.page(f"/returns/{collection.id}")
    assert not task_list.select(f"main form[action='/returns/{collection.id}/withdraw']")
    link = task_list.find("a", string=lambda s: s and s.strip() == "Withdraw return")
    assert link["href"] == f"/returns/{collection.id}/withdraw"

    confirm = client.page(link["href"])
    assert heading(confirm) == "Withdraw your return?"
    action, text = _warning_form(confirm)
    assert action in ("", f"/returns/{collection.id}/withdraw")
    assert text == "Yes, withdraw the return"
    keep = confirm.find("a", string="No, keep it submitted")
    assert keep["href"] == f"/returns/{collection.id}"
    answer = session.exec(select(PracticeReturn)).one()
    session.refresh(answer)
    assert answer.status == ReturnStatus.SUBMITTED


def test_confirming_the_withdrawal_withdraws_the_return(client, session, world):
    collection = make_collection(session, icb=world.icb)
    answer = make_return(session, collection=collection, practice=world.practice)
    client.sign_in(world.editor.email)
    url = f"/returns/{collection.id}/withdraw"

    response = client.submit(url, token_from=url)

    assert response.status_code == 302
    session.refresh(answer)
    assert answer.status == ReturnStatus.WITHDRAWN


def test_the_withdraw_confirmation_without_a_submitted_return_goes_back_to_the_task_list(
    client, session, world
):
    collection = make_collection(session, icb=world.icb)
    client.sign_in(world.editor.email)
    response = client.get(f"/returns/{collection.id}/withdraw")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/returns/{collection.id}"


def test_a_viewer_cannot_open_the_withdraw_confirmation(client, session, world):
    collection = make_collection(session, icb=world.icb)
    make_return(session, collection=collection, practice=world.practice)
    client.sign_in(world.viewer.email)
    assert client.get(f"/returns/{collection.id}/withdraw").status_code == 403


def test_deactivate_on_the_user_page_opens_a_confirmation_and_changes_nothing(
    client, session, world
):
    client.sign_in(world.admin.email)
    user_page = client.page(f"/admin/users/{world.viewer.id}")
    assert not user_page.select(f"main form[action='/admin/users/{world.viewer.id}/deactivate']")
    link = user_page.find("a", string=lambda s: s and s.strip() == "Deactivate account")
    assert link["href"] == f"/admin/users/{world.viewer.id}/deactivate"

    confirm = client.page(link["href"])
    assert heading(confirm) == f"Deactivate {world.viewer.display_name}?"
    _, text = _warning_form(confirm)
    assert text == "Yes, deactivate the account"
    keep = confirm.find("a", string="No, keep it active")
    assert keep["href"] == f"/admin/users/{world.viewer.id}"
    session.refresh(world.viewer)
    assert world.viewer.is_active is True


def test_confirming_deactivation_deactivates_the_user(client, session, world):
    client.sign_in(world.admin.email)
    url = f"/admin/users/{world.viewer.id}/deactivate"
    assert client.submit(url, token_from=url).status_code == 302
    session.refresh(world.viewer)
    assert world.viewer.is_active is False


def test_the_deactivate_confirmation_is_not_offered_for_your_own_account(client, world):
    client.sign_in(world.admin.email)
    response = client.get(f"/admin/users/{world.admin.id}/deactivate")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/users/{world.admin.id}"


def test_another_icbs_user_has_no_deactivate_confirmation(client, world):
    client.sign_in(world.admin.email)
    assert client.get(f"/admin/users/{world.foreign_editor.id}/deactivate").status_code == 404
