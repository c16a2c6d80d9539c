"""Trends across collections: the ICB analyst's (median and interquartile range across
the ICB's practices) and the PCN lead's (the PCN median), from each collection's figures.

The scene (tests/factories.py `build_icb_scene`): home visits in a 2025/26 Q1 collection
(North 10, 20, 30; South's Gamma 555) and a Q2 one (Alpha 20, Beta 40, Epsilon 60, Gamma
80, Eta 100; Zeta's withdrawn 987.654 never counts), seven practices in the test ICB.
Quartiles are worked by hand with linear interpolation (numpy's default, Excel's
QUARTILE.INC).
"""

from __future__ import annotations

from datetime import date

import pytest

from monitor.core.checklist import Frequency
from monitor.core.periods import Period
from monitor.models import Role
from monitor.services import icb_views
from tests.factories import (
    make_collection,
    make_imported_value,
    make_national_import,
    make_practice,
    make_return,
    make_user,
    months,
    shipped_templates,
)


def icb_trends(session, user, **kw):
    return icb_views.icb_trends(session, user=user, templates=shipped_templates(), **kw)


def trend_of(found, item_id):
    return next(t for t in found.trends if t.item.id == item_id)


def figures(trend):
    return [
        (p.period.code, p.summary.n, p.summary.median, p.summary.q1, p.summary.q3)
        for p in trend.points
    ]


def test_icb_trend_gives_median_and_quartiles_per_collection_oldest_first(session, scene):
    found = icb_trends(session, scene.world.analyst)
    # Q1: 10, 20, 30, 555 -> positions 0.75, 1.5, 2.25 -> 17.5, 25, 161.25.
    # Q2: 20, 40, 60, 80, 100 -> 40, 60, 80 (Zeta's withdrawn return is left out).
    assert figures(trend_of(found, "home_visits")) == [
        ("2025-26-q1", 4, 25.0, 17.5, 161.25),
        ("2025-26-q2", 5, 60.0, 40.0, 80.0),
    ]
    assert [p.members for p in trend_of(found, "home_visits").points] == [7, 7]
    assert [(c.collection.name, c.submitted, c.practices) for c in found.collections] == [
        ("2025/26 Q1 return", 4, 7),
        ("2025/26 Q2 return", 5, 7),
    ]
    # Another ICB's collection is not among them.
    assert scene.foreign.id not in {c.collection.id for c in found.collections}


def test_icb_trend_suppresses_points_with_too_few_practices(session, scene):
    fft = trend_of(icb_trends(session, scene.world.analyst), "fft_positive_pct")
    # Q1: nobody; Q2: Alpha and Beta only, so no median or quartiles.
    assert figures(fft) == [
        ("2025-26-q1", 0, None, None, None),
        ("2025-26-q2", 2, None, None, None),
    ]
    assert fft.plotted == 0


def test_icb_trend_for_one_item(session, scene):
    found = icb_trends(session, scene.world.analyst, item_id="home_visits")
    assert [t.item.id for t in found.trends] == ["home_visits"]
    assert icb_trends(session, scene.world.analyst, item_id="nonsense").trends == []


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.ICB_ANALYST])
def test_only_an_icb_analyst_gets_icb_trends(session, world, role):
    with pytest.raises(PermissionError):
        icb_trends(session, world.user_for(role))


def test_icb_trend_of_a_national_item_uses_every_practices_published_figures(session, world):
    # Three practices' published inbound calls for July 2025; none of them submitted.
    make_collection(session, icb=world.icb, template_version=2)
    publication = make_national_import(session, icb=world.icb, period_code="2025-07")
    third = make_practice(session, pcn=world.pcn)
    for practice, number in ((world.practice, 300), (world.sibling, 100), (third, 200)):
        make_imported_value(
            session,
            practice=practice,
            item_id="inbound_calls",
            period_code="2025-07",
            number=number,
            national_import=publication,
        )
    found = icb_trends(session, world.analyst)
    assert [c.submitted for c in found.collections] == [0]
    calls = trend_of(found, "inbound_calls")
    assert figures(calls) == [("2025-26-q2", 3, 200.0, 150.0, 250.0)]
    assert calls.published and calls.points[0].published


def test_a_year_comes_after_the_quarters_it_spans_whatever_the_opening_dates(session, world):
    practices = [make_practice(session, pcn=world.pcn) for _ in range(3)]
    # Opened in a scrambled order: the year first, then Q4 2024/25, then Q1 2025/26.
    for code, opens in (("2024-25", 1), ("2024-25-q4", 2), ("2025-26-q1", 3), ("2024-25-q3", 4)):
        collection = make_collection(
            session, icb=world.icb, period_code=code, name=code, opens_on=date(2025, 1, opens)
        )
        first = Period.parse(code).start.strftime("%Y-%m")
        for n, practice in enumerate(practices):
            make_return(
                session,
                collection=collection,
                practice=practice,
                values={"home_visits": months(10 * (n + 1), first=first)},
            )
    found = icb_trends(session, world.analyst)
    assert [c.period.code for c in found.collections] == [
        "2024-25-q3",
        "2024-25-q4",
        "2024-25",
        "2025-26-q1",
    ]
    visits = trend_of(found, "home_visits")
    assert visits.mixed_frequencies
    assert [p.period.frequency for p in visits.points] == [
        Frequency.QUARTERLY,
        Frequency.QUARTERLY,
        Frequency.ANNUAL,
        Frequency.QUARTERLY,
    ]


def test_an_annual_item_has_points_only_from_year_collections(session, world):
    practices = [make_practice(session, pcn=world.pcn) for _ in range(3)]
    year = make_collection(session, icb=world.icb, period_code="2024-25", name="Year")
    quarter = make_collection(session, icb=world.icb, period_code="2025-26-q1", name="Q1")
    for n, practice in enumerate(practices):
        make_return(
            session,
            collection=year,
            practice=practice,
            values={"gpps_overall_experience": [("2024-25", 70 + n)]},
            units={"gpps_overall_experience": "percent"},
        )
        make_return(
            session,
            collection=quarter,
            practice=practice,
            values={"home_visits": months(5, first="2025-04")},
        )
    found = icb_trends(session, world.analyst)
    assert [p.collection.id for p in trend_of(found, "gpps_overall_experience").points] == [year.id]
    # A monthly item is asked for by both: the year's twelve months and the quarter's three.
    assert [p.collection.id for p in trend_of(found, "home_visits").points] == [
        year.id,
        quarter.id,
    ]


# --------------------------------------------------------------------------- PCN


def test_pcn_trend_is_in_period_order_with_only_collections_that_ask_for_the_item(session, scene):
    # A year's collection opened before the quarters it spans still comes after them.
    year = make_collection(
        session,
        icb=scene.world.icb,
        period_code="2025-26",
        name="2025/26 year",
        opens_on=date(2025, 4, 1),
    )
    north = [scene.world.practice, scene.world.sibling, scene.epsilon]
    for n, practice in enumerate(north):
        make_return(
            session,
            collection=year,
            practice=practice,
            values={"gpps_overall_experience": [("2025-26", 60 + n)]},
            units={"gpps_overall_experience": "percent"},
        )
    lead = scene.world.pcn_lead
    found = icb_views.pcn_trends(session, user=lead, templates=shipped_templates())
    assert [period.code for _, period, _ in found.collections] == [
        "2025-26-q1",
        "2025-26-q2",
        "2025-26",
    ]
    visits = trend_of(found, "home_visits")
    assert [(p.period.code, p.summary.median) for p in visits.points] == [
        ("2025-26-q1", 20.0),
        ("2025-26-q2", 40.0),
        ("2025-26", None),  # the year's returns hold no home visits
    ]
    gpps = trend_of(found, "gpps_overall_experience")
    assert [(p.period.code, p.summary.median) for p in gpps.points] == [("2025-26", 61.0)]


def test_pcn_trends_are_for_a_pcn_lead_only(session, world):
    other = make_user(session, role=Role.ICB_ANALYST, organisation=world.icb)
    with pytest.raises(PermissionError):
        icb_views.pcn_trends(session, user=other, templates=shipped_templates())
