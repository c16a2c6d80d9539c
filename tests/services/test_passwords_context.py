"""Context words (ASVS V6.2.11): a password made from the person's name or email, their
organisation's name or ODS code, or the service's own name is refused."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from monitor.models import Role
from monitor.services import accounts
from monitor.services.accounts import AccountError
from monitor.services.passwords import (
    CONTEXT_MESSAGE,
    PasswordPolicyError,
    Passwords,
    check_password_policy,
)
from tests.client import field_error
from tests.factories import PASSWORD

PRACTICE_CONTEXT = ["Priya Mistry", "Highfields Medical Centre", "Z00001"]


@pytest.mark.parametrize(
    "password",
    [
        "HEP Impact Monitor",
        "hepimpactmonitor",
        "HEPMonitor2026!",  # the service's words run together, padded with digits
        "hep-impact-monitor-1",
        "Health Equity Payment",
        "Highfields Medical Centre",
        "HIGHFIELDSMEDICAL",
        "Highfields2026!!",  # a word of the practice's name, with digits and punctuation
        "highfieldshighfields",
        "Z00001Z00001",  # the ODS code twice
        "z00001-highfields",
        "PriyaMistry1234",
        "mistry.priya.2026",
        "pm.highfields.example",  # the email's words without the @
    ],
)
def test_context_words_are_refused(password):
    with pytest.raises(PasswordPolicyError) as refused:
        check_password_policy(password, email="pm@highfields.example", context=PRACTICE_CONTEXT)
    assert str(refused.value) == CONTEXT_MESSAGE


@pytest.mark.parametrize(
    "password",
    [
        "correct-horse-battery",
        "highfields orchard lantern",  # a context word among others is fine
        "monitor lizard sunrise",
        "Z00002 belongs elsewhere",
    ],
)
def test_passwords_with_more_than_context_words_are_accepted(password):
    check_password_policy(password, email="pm@highfields.example", context=PRACTICE_CONTEXT)


def test_the_service_name_is_refused_without_any_context():
    with pytest.raises(PasswordPolicyError, match="name of this service"):
        check_password_policy("HEP Impact Monitor 2026")


def test_creating_a_user_refuses_their_practices_name_and_code(session, world):
    for password in (world.practice.name + " 1", world.practice.ods_code * 2):
        with pytest.raises(AccountError) as refused:
            accounts.create_user(
                session,
                actor=world.admin,
                passwords=Passwords(time_cost=1, memory_cost=8),
                email="new.person@test.example",
                display_name="New Person",
                role=Role.PRACTICE_EDITOR,
                organisation_id=world.practice.id,
                password=password,
            )
        assert refused.value.field == "password"
        assert refused.value.message == CONTEXT_MESSAGE
    assert accounts.find_by_email(session, "new.person@test.example") is None


def test_changing_password_to_the_practice_name_shows_the_reason_by_the_field(client, world):
    client.sign_in(world.editor.email)
    new = f"{world.practice.name}!!2026"
    response = client.submit(
        "/change-password",
        {"current_password": PASSWORD, "new_password": new, "confirm_password": new},
    )
    assert response.status_code == 400
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert field_error(soup, "new_password") == CONTEXT_MESSAGE


def test_a_pcn_lead_cannot_use_their_pcns_name(session, world):
    with pytest.raises(AccountError, match="organisation's name"):
        accounts.change_password(
            session,
            user=world.pcn_lead,
            passwords=Passwords(time_cost=1, memory_cost=8),
            current_password=PASSWORD,
            new_password=f"{world.pcn.name} {world.pcn.code}",
        )
