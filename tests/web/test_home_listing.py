"""The analyst home page's listing of practices by PCN: paged a page of PCNs at a time
(a national deployment lists 1,250 PCNs), searched by practice, ODS code or PCN, and
scoped to the analyst's ICB like every other practice query."""

from monitor.models import Pcn, Practice, Role
from monitor.services import practice_listing
from monitor.services.practice_listing import PCNS_PER_PAGE, page_numbers
from tests.factories import make_icb, make_user

PCNS = 2 * PCNS_PER_PAGE + 5  # three pages


def big_icb(session):
    """PCNS PCNs named PCN 001… with two practices each, one practice in no PCN, and a
    practice of another ICB whose name would match every search."""
    icb = make_icb(session, name="Big ICB")
    pcns = [Pcn(code=f"U{n:05d}", name=f"PCN {n:03d}", icb_id=icb.id) for n in range(1, PCNS + 1)]
    session.add_all(pcns)
    session.commit()
    practices = [
        Practice(
            ods_code=f"B{n:03d}{k}",
            name=f"{'Hill' if k == 1 else 'Vale'} Surgery {n:03d}",
            icb_id=icb.id,
            pcn_id=pcn.id,
            list_size=1000 * n,
            imd_decile=(n % 10) + 1,
        )
        for n, pcn in enumerate(pcns, start=1)
        for k in (1, 2)
    ]
    practices.append(Practice(ods_code="Z99999", name="Loner 100% Surgery", icb_id=icb.id))
    elsewhere = make_icb(session, name="Elsewhere ICB")
    practices.append(
        Practice(ods_code="X00001", name="Hill Surgery Elsewhere", icb_id=elsewhere.id)
    )
    session.add_all(practices)
    session.commit()
    return make_user(session, role=Role.ICB_ANALYST, organisation=icb)


def groups_on(soup) -> list[str]:
    return [h.get_text(strip=True) for h in soup.select("main h3")]


def practices_on(soup) -> list[str]:
    return [a.get_text(strip=True) for a in soup.select("main tbody td a")]


def test_the_listing_is_paged_by_pcn_with_the_practices_in_no_pcn_last(client, session):
    analyst = big_icb(session)
    client.sign_in(analyst.email)
    first = client.page("/")
    summary = first.select_one("main p").get_text(" ", strip=True)
    assert summary.startswith(f"{2 * PCNS + 1} practices in {PCNS} PCNs, ")
    assert f"{sum(2000 * n for n in range(1, PCNS + 1)):,} registered patients" in summary
    assert "(not yet known for 1 practice)" in summary
    assert groups_on(first) == [f"PCN {n:03d}" for n in range(1, PCNS_PER_PAGE + 1)]
    assert practices_on(first)[:2] == ["Hill Surgery 001", "Vale Surgery 001"]
    assert len(practices_on(first)) == 2 * PCNS_PER_PAGE
    assert "Page 1 of 3" in first.get_text()
    links = {a.get_text(" ", strip=True): a["href"] for a in first.select(".nhsuk-pagination a")}
    assert links["2"] == "/?page=2#practices"
    assert links["Next page"] == "/?page=2#practices"
    assert first.select_one(".nhsuk-pagination [aria-current=page]").get_text(strip=True) == "1"

    last = client.page("/?page=3")
    assert groups_on(last) == [
        *(f"PCN {n:03d}" for n in range(2 * PCNS_PER_PAGE + 1, PCNS + 1)),
        "Not in a PCN",
    ]
    assert practices_on(last)[-1] == "Loner 100% Surgery"
    assert "Hill Surgery Elsewhere" not in last.get_text()
    # The summary is of every practice, whichever page.
    assert last.select_one("main p").get_text(" ", strip=True) == summary
    for wrong in ("/?page=4", "/?page=0", "/?page=-1"):
        client.page(wrong, status=404)
    assert groups_on(client.page("/?page=two"))[0] == "PCN 001"  # not a number: the first


def test_a_search_matches_practice_names_ods_codes_and_pcns_in_any_case(client, session):
    analyst = big_icb(session)
    client.sign_in(analyst.email)

    by_name = client.page("/?q=hill+surgery+06")
    assert practices_on(by_name) == [f"Hill Surgery 06{n}" for n in range(0, 6)]
    assert groups_on(by_name) == [f"PCN 06{n}" for n in range(0, 6)]
    status = by_name.select_one("#listing-status").get_text(" ", strip=True)
    assert status.startswith("6 practices match “hill surgery 06”.")
    assert by_name.select_one("#q")["value"] == "hill surgery 06"
    assert not by_name.select(".nhsuk-pagination")

    assert practices_on(client.page("/?q=b0422")) == ["Vale Surgery 042"]
    assert practices_on(client.page("/?q=pcn+007")) == ["Hill Surgery 007", "Vale Surgery 007"]
    assert practices_on(client.page("/?q=U00")) != []  # PCN codes
    # % and _ are searched for as themselves, not as SQL wildcards.
    assert practices_on(client.page("/?q=100%25")) == ["Loner 100% Surgery"]
    assert practices_on(client.page("/?q=_")) == []

    # A search across many PCNs is paged too, and its links keep the search.
    surgeries = client.page("/?q=surgery")
    assert "Page 1 of 3" in surgeries.get_text()
    assert (
        surgeries.select_one("#listing-status")
        .get_text(" ", strip=True)
        .startswith(f"{2 * PCNS + 1} practices match")
    )
    next_link = surgeries.select_one(".nhsuk-pagination__next")["href"]
    assert next_link == "/?page=2&q=surgery#practices"


def test_a_search_that_matches_nothing_says_so_and_reaches_no_other_icb(client, session):
    analyst = big_icb(session)
    client.sign_in(analyst.email)
    soup = client.page("/?q=Elsewhere")
    assert practices_on(soup) == []
    assert groups_on(soup) == []
    status = soup.select_one("#listing-status").get_text(" ", strip=True)
    assert status.startswith("No practice matches “Elsewhere”.")
    assert soup.select_one("#listing-status a")["href"] == "/#practices"
    # An absurdly long search is cut to a sane length, never an error; a NUL (which
    # PostgreSQL refuses in a query) or another control character is left out.
    assert client.get("/?q=" + "x" * 5000).status_code == 200
    assert practices_on(client.page("/?q=Hill%00+Surgery+001%07")) == ["Hill Surgery 001"]


def test_the_overview_counts_only_what_the_user_reaches(session, world):
    counts = practice_listing.overview(session, world.analyst)
    assert (counts.practices, counts.pcns) == (3, 2)
    assert counts.quintiles == {1: 1, 3: 1, 5: 1}  # deciles 1, 5 and 9
    lead = practice_listing.overview(session, world.pcn_lead)
    assert (lead.practices, lead.pcns) == (2, 1)
    world.analyst.is_active = False
    assert practice_listing.overview(session, world.analyst).practices == 0
    page = practice_listing.listing(session, world.analyst, icb_id=world.icb.id, page=1)
    assert page.groups == [] and page.pages == 1 and page.matches == 0


def test_page_numbers_show_the_ends_and_the_neighbours():
    assert page_numbers(1, 1) == [1]
    assert page_numbers(1, 3) == [1, 2, 3]
    assert page_numbers(1, 10) == [1, 2, None, 10]
    assert page_numbers(5, 10) == [1, None, 4, 5, 6, None, 10]
    assert page_numbers(10, 10) == [1, None, 9, 10]
    assert page_numbers(3, 10) == [1, 2, 3, 4, None, 10]


def test_the_cached_listing_shows_a_change_on_the_next_view(client, session, world):
    client.sign_in(world.analyst.email)

    def row_of(soup, name):
        for row in soup.select("main tbody tr"):
            if row.select_one("td a") and row.select_one("td a").get_text(strip=True) == name:
                return [cell.get_text(" ", strip=True) for cell in row.select("td")]
        raise AssertionError(name)

    assert row_of(client.page("/"), "Gamma Surgery")[2] != "12,345"
    client.page("/")  # from the cache
    world.other_practice.list_size = 12_345
    world.other_practice.status = "closed"
    session.add(world.other_practice)
    session.commit()
    row = row_of(client.page("/"), "Gamma Surgery")
    assert row[2] == "12,345"
    assert row[4].endswith("Closed")
