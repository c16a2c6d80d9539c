"""What no published file has said yet (list size, deprivation, setting, a PCN) reads "Not
known yet" (or "Not in a PCN") on every page that shows it, and statistics leave such a
practice out and say so, rather than failing or inventing a value."""

from __future__ import annotations

from sqlmodel import select

from monitor.models import Practice
from tests.factories import make_collection, make_practice, make_return, months


def unknown_practice(session, world) -> Practice:
    return make_practice(
        session,
        pcn=world.pcn,
        name="Newly Onboarded Surgery",
        list_size=None,
        imd_decile=None,
        rurality=None,
        pcn_id=None,
    )


def test_the_icb_home_page_says_what_is_not_known_yet(client, session, world):
    unknown_practice(session, world)
    client.sign_in(world.analyst.email)

    page = client.page("/")

    text = page.get_text(" ", strip=True)
    assert "not yet known for 1 practice" in text
    row = next(r for r in page.select("tr") if "Newly Onboarded Surgery" in r.get_text())
    cells = [c.get_text(" ", strip=True) for c in row.select("td")]
    assert cells[2:] == ["Not known yet", "Not known yet", "Not known yet"]
    # Each PCN is an h3 under the h2 "Practices by PCN"; the no-PCN group comes last.
    headings = [h.get_text(strip=True) for h in page.select("h3")]
    assert headings[-1] == "Not in a PCN"
    quintiles = page.select_one("table").get_text(" ", strip=True)
    assert "Not known yet 1" in quintiles


def test_a_practice_profile_says_not_known_yet(client, session, world):
    newly = unknown_practice(session, world)
    client.sign_in(world.analyst.email)

    page = client.page(f"/practices/{newly.id}")

    details = {
        dt.get_text(strip=True): dd.get_text(" ", strip=True)
        for dt, dd in zip(page.select("dt"), page.select("dd"), strict=False)
    }
    assert details["PCN"] == "Not in a PCN"
    assert details["Registered patients"] == "Not known yet"
    assert details["Deprivation decile"] == "Not known yet"


def test_the_equity_view_leaves_out_practices_whose_deprivation_is_not_known(
    client, session, world
):
    newly = unknown_practice(session, world)
    collection = make_collection(session, icb=world.icb)
    for practice in (world.practice, world.sibling, world.other_practice, newly):
        make_return(
            session, collection=collection, practice=practice, values={"home_visits": months(5)}
        )
    client.sign_in(world.analyst.email)

    page = client.page(f"/collections/{collection.id}/equity")

    note = page.select_one("#equity-home_visits .app-not-known").get_text(" ", strip=True)
    assert note == (
        "1 submitting practice is left out of the slope index: its deprivation or list size "
        "is not known yet."
    )
    assert session.exec(select(Practice).where(Practice.id == newly.id)).one().list_size is None
