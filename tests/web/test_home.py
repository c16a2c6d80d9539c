"""Each role's home page, the practice profile and "What we ask and why"."""

from datetime import date

import pytest

from monitor.services import visibility
from tests.client import heading


@pytest.fixture
def fixed_today(monkeypatch):
    monkeypatch.setattr("monitor.web.home.today", lambda: date(2026, 11, 23))


def summary_list(soup) -> dict[str, str]:
    return {
        row.select_one(".nhsuk-summary-list__key").get_text(strip=True): row.select_one(
            ".nhsuk-summary-list__value"
        ).get_text(" ", strip=True)
        for row in soup.select(".nhsuk-summary-list__row")
    }


def test_practice_editor_home_shows_the_practice_and_what_is_due(client, world, fixed_today):
    client.sign_in(world.editor.email)
    soup = client.page("/")
    assert heading(soup) == world.practice.name
    details = summary_list(soup)
    assert details["ODS code"] == world.practice.ods_code
    assert details["PCN"] == world.pcn.name
    assert details["Registered patients"] == f"{world.practice.list_size:,}"
    assert details["Deprivation decile"].startswith("1 ")
    cards = {
        card.select_one("h3").get_text(strip=True): card.get_text(" ", strip=True)
        for card in soup.select(".nhsuk-card")
    }
    assert set(cards) == {
        "October 2026",
        "2026/27 Q2 (July to September 2026)",
        "2025/26 (1 April 2025 to 31 March 2026)",
    }
    assert "Average time to answer calls" in cards["October 2026"]
    assert "Cervical screening coverage" in cards["2026/27 Q2 (July to September 2026)"]
    assert (
        "HEP allocation received (£) Required" in cards["2025/26 (1 April 2025 to 31 March 2026)"]
    )


def test_practice_viewer_sees_their_own_practice(client, world, fixed_today):
    client.sign_in(world.viewer.email)
    assert heading(client.page("/")) == world.practice.name


def test_pcn_lead_sees_member_practices_only(client, world):
    client.sign_in(world.pcn_lead.email)
    soup = client.page("/")
    assert heading(soup) == world.pcn.name
    names = [a.get_text(strip=True) for a in soup.select("tbody td a")]
    assert names == sorted([world.practice.name, world.sibling.name])


def test_icb_analyst_sees_every_practice_in_the_icb(client, world):
    client.sign_in(world.analyst.email)
    soup = client.page("/")
    assert heading(soup) == world.icb.name
    names = {a.get_text(strip=True) for a in soup.select("tbody td a")}
    assert names == {world.practice.name, world.sibling.name, world.other_practice.name}
    quintiles = {
        row.select_one("th").get_text(strip=True): row.select_one("td").get_text(strip=True)
        for row in soup.select("table")[0].select("tbody tr")
    }
    assert quintiles["1 (most deprived)"] == "1"
    assert quintiles["3"] == "1"
    assert quintiles["5 (least deprived)"] == "1"


def test_admin_home_links_to_administration(client, world):
    client.sign_in(world.admin.email)
    soup = client.page("/")
    links = {a["href"] for a in soup.select("main a")}
    assert {"/admin/users", "/admin/users/new", "/admin/audit"} <= links


@pytest.mark.parametrize(
    ("who", "target", "status"),
    [
        ("editor", "practice", 200),
        ("editor", "sibling", 404),
        ("viewer", "other_practice", 404),
        ("pcn_lead", "sibling", 200),
        ("pcn_lead", "other_practice", 404),
        ("analyst", "other_practice", 200),
        ("analyst", "foreign_practice", 404),
        ("admin", "foreign_practice", 404),
    ],
)
def test_practice_profile_is_scoped_by_role(client, world, who, target, status):
    client.sign_in(getattr(world, who).email)
    practice = getattr(world, target)
    soup = client.page(f"/practices/{practice.id}", status=status)
    if status == 200:
        assert heading(soup) == practice.name
    else:
        assert practice.name not in soup.get_text()


def test_visibility_helper_scopes_each_role(session, world):
    def names(user):
        return {p.name for p in visibility.list_practices(session, user)}

    assert names(world.editor) == {world.practice.name}
    assert names(world.pcn_lead) == {world.practice.name, world.sibling.name}
    assert names(world.analyst) == {
        world.practice.name,
        world.sibling.name,
        world.other_practice.name,
    }
    assert names(world.foreign_admin) == {world.foreign_practice.name}
    world.editor.is_active = False
    assert names(world.editor) == set()


def test_what_we_ask_shows_every_item_with_why_and_how(client, app):
    from monitor.web.context import default_template

    with app.app_context():
        template = default_template()
    soup = client.page("/what-we-ask")
    assert heading(soup) == "What we ask and why"
    for item in template.items:
        block = soup.select_one(f"#item-{item.id}")
        assert block is not None, item.id
        rows = summary_list_after(block)
        assert rows["Why we ask"] == item.hint
        assert rows["How often"].startswith(item.frequency.label)
        assert rows["Better when"] == item.direction.label
        assert rows["National collection"] == item.aligned.collection
        assert rows["Unit"] == item.unit
    assert "The ICB sees only returns your practice chooses to submit" in soup.get_text()


def summary_list_after(heading_tag) -> dict[str, str]:
    listing = heading_tag.find_next_sibling("dl")
    return {
        row.select_one("dt").get_text(strip=True): row.select_one("dd").get_text(" ", strip=True)
        for row in listing.select(".nhsuk-summary-list__row")
    }


def test_every_page_says_it_is_demo_data_in_demo_mode(client, world):
    assert "This is demonstration data" in client.page("/sign-in").get_text()
    client.sign_in(world.editor.email)
    assert "This is demonstration data" in client.page("/").get_text()


def test_no_demo_banner_outside_demo_mode(app, client):
    app.config["DEMO_MODE"] = False
    assert "demonstration data" not in client.page("/sign-in").get_text()


def test_not_found_page_is_nhs_styled(client, world):
    client.sign_in(world.editor.email)
    soup = client.page("/no-such-page", status=404)
    assert heading(soup) == "Page not found"
    assert soup.select_one("header.nhsuk-header") is not None
