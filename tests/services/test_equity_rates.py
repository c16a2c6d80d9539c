"""The equity lens compares rates, not counts, the ICB's practices and England's alike.

A synthetic England (5,200 fictional practices, E00001…) whose bigger practices are the
less deprived ones, and whose inbound calls are 400 per 1,000 registered patients a month
at every practice: the count rises away from deprivation only because the lists do, so
the slope index of inequality of the count is large and that of the rate is none. The
ICB's six practices are among England's. Every file here is synthetic, made in the test.
"""

from __future__ import annotations

import math
from datetime import date

import pytest
from sqlmodel import select

from monitor.analysis import equity
from monitor.core.published import Extract, PracticeFacts, PublishedFigure
from monitor.models import NationalAggregate, Role
from monitor.services import england, icb_views
from tests.factories import make_collection, make_icb, make_pcn, make_practice, make_user
from tests.services.test_england import V2, run

ENGLAND = 5200
CODES = [f"E{i:05d}" for i in range(1, ENGLAND + 1)]
ICB_INDEXES = (100, 1000, 2000, 3000, 4000, 5100)
RATE = 400  # inbound calls a month per 1,000 registered patients, everywhere
MONTH = "2026-02"


def list_size(i: int) -> int:
    return 3000 + i  # practice i is the (i + 1)th most deprived: bigger lists, less deprived


def imd_score(i: int) -> float:
    return round(60 - i / 100, 2)


def decile(i: int) -> int:
    return math.ceil(10 * (i + 1) / ENGLAND)


def calls(i: int) -> float:
    return float(round(list_size(i) * RATE / 1000))


def answered_pct(i: int) -> float:
    return round(60 + 2 * decile(i) + (i % 7) * 0.5, 1)


def facts() -> Extract:
    return Extract(
        source="fingertips_imd", rank=60, filename="synthetic-imd.csv", description="IMD",
        as_of=date(2026, 2, 1),
        practices=[
            PracticeFacts(code, "CSV", i + 2, imd_score=imd_score(i), imd_decile=decile(i),
                          list_size=list_size(i))
            for i, code in enumerate(CODES)
        ],
    )  # fmt: skip


def cbt(measure: str, figure) -> Extract:
    return Extract(
        source="cbt", rank=5, filename=f"synthetic-cbt-{measure}.xlsx",
        description="Cloud Based Telephony, February 2026 publication (synthetic)",
        as_of=date(2026, 3, 1), rows_read=ENGLAND, period=MONTH,
        figures=[
            PublishedFigure(code, measure, MONTH, figure(i), "Table 3", i + 14)
            for i, code in enumerate(CODES)
        ],
    )  # fmt: skip


@pytest.fixture
def scene(session):
    icb = make_icb(session, template_version=2)
    pcn = make_pcn(session, icb=icb)
    practices = {
        i: make_practice(
            session,
            pcn=pcn,
            ods_code=CODES[i],
            name=f"Synthetic Practice {i:04d}",
            list_size=list_size(i),
            imd_score=imd_score(i),
            imd_decile=decile(i),
        )  # fmt: skip
        for i in ICB_INDEXES
    }
    analyst = make_user(session, role=Role.ICB_ANALYST, organisation=icb)
    england.record_facts(session, [facts()])
    session.commit()
    run(session, icb, cbt("inbound_calls", calls), analyst, sha="a" * 64)
    run(session, icb, cbt("answered_pct", answered_pct), analyst, sha="b" * 64)
    collection = make_collection(
        session, icb=icb, template_version=2, period_code="2025-26-q4",
        name="2025/26 Q4 light-touch return", opens_on=date(2026, 1, 5),
    )  # fmt: skip
    return icb, practices, analyst, collection


def rates_by_hand(indexes) -> dict[str, list[float]]:
    """Each practice's rate per 1,000 and PHE's 95% limits of it, worked out here."""
    out: dict[str, list[float]] = {"rate": [], "lower": [], "upper": []}
    for i in indexes:
        low, high = equity.poisson_limits(calls(i))
        out["rate"].append(calls(i) / list_size(i) * 1000)
        out["lower"].append(low / list_size(i) * 1000)
        out["upper"].append(high / list_size(i) * 1000)
    return out


def by_hand(indexes) -> equity.SiiResult:
    found = rates_by_hand(indexes)
    return equity.slope_index(
        found["rate"], imd_scores=[imd_score(i) for i in indexes],
        weights=[list_size(i) for i in indexes], lower_cls=found["lower"],
        upper_cls=found["upper"],
    )  # fmt: skip


def stored(session, item_id: str) -> NationalAggregate:
    return session.exec(select(NationalAggregate).where(NationalAggregate.item_id == item_id)).one()


def test_englands_stored_sii_of_a_count_is_of_its_rate_per_1000(session, scene):
    everyone = range(ENGLAND)
    raw = equity.slope_index(
        [calls(i) for i in everyone], imd_scores=[imd_score(i) for i in everyone],
        weights=[list_size(i) for i in everyone],
    )  # fmt: skip
    assert raw.sii > 500  # the count's "gap": only the lists' sizes
    aggregate = stored(session, "inbound_calls")
    expected = by_hand(everyone)
    assert expected.ci_method == "simulation" and expected.repetitions == 100_000
    assert aggregate.sii == pytest.approx(expected.sii, rel=1e-9)
    assert (aggregate.sii_lower, aggregate.sii_upper) == pytest.approx(
        (expected.ci_lower, expected.ci_upper), rel=1e-9
    )
    assert abs(aggregate.sii) < 0.1  # the same rate everywhere, to the rounding of counts
    assert aggregate.sii_lower < 0 < aggregate.sii_upper
    assert aggregate.sii_practices == ENGLAND
    # England's median and quartiles stay the figures as published (the distribution
    # pages show counts beside counts).
    assert aggregate.median == pytest.approx(calls(ENGLAND // 2), abs=1)


def test_the_icbs_and_englands_sii_and_quintiles_of_a_count_are_rates(session, scene):
    icb, practices, analyst, collection = scene
    data = icb_views.load(session, user=analyst, collection=collection, template=V2)
    item = V2.items_by_id["inbound_calls"]
    view = icb_views.equity_view(data, item, session=session, user=analyst)

    ours = by_hand(ICB_INDEXES)
    assert (view.sii.per_patients, view.sii.ranked_by, view.sii.ci_method) == (
        1000, "imd_score", "simulation",
    )  # fmt: skip
    assert view.sii.sii == pytest.approx(ours.sii, rel=1e-9)
    assert (view.sii.ci_lower, view.sii.ci_upper) == pytest.approx(
        (ours.ci_lower, ours.ci_upper), rel=1e-9
    )
    assert [u.value for u in view.sii.units] == pytest.approx([RATE] * 6, abs=0.2)
    assert view.compared.label == "Inbound calls per 1,000 registered patients"

    # England's, over the collection's periods, the same way.
    theirs = view.england.sii
    assert (theirs.per_patients, theirs.ranked_by, theirs.ci_method) == (
        1000, "imd_score", "simulation",
    )  # fmt: skip
    assert theirs.sii == pytest.approx(by_hand(range(ENGLAND)).sii, rel=1e-9)
    assert view.gap in ("narrower", "similar", "wider")

    # Quintile medians, the ICB's and England's: rates, never counts.
    for quintile in (*view.quintiles, *view.england.quintiles):
        if quintile.median is not None:
            assert quintile.median == pytest.approx(RATE, abs=0.2), quintile.label
    assert view.england.quintiles[0].label == "IMD quintile 1 (most deprived)"

    # Period by period: the stored England SII is of rates too.
    [point] = view.over_time
    assert point.icb.per_patients == 1000
    assert point.england.sii == pytest.approx(theirs.sii, rel=1e-9)


def test_the_equity_page_names_rates_and_each_intervals_method(client, session, scene):
    icb, practices, analyst, collection = scene
    client.sign_in(analyst.email)
    page = client.page(f"/collections/{collection.id}/equity")
    rows = {
        row["data-item"]: [c.get_text(" ", strip=True) for c in row.select("th, td")]
        for row in page.select("#sii-summary tbody tr")
    }
    calls_row, answered_row = rows["inbound_calls"], rows["calls_answered_pct"]
    assert calls_row[0] == "Inbound calls per 1,000 registered patients"
    assert calls_row[2].endswith("per 1,000 registered patients a month")
    assert calls_row[3].endswith("per 1,000 registered patients a month (PHE simulation)")
    assert answered_row[3].endswith("percentage points (regression residuals)")

    section = page.select_one("#equity-calls_answered_pct").get_text(" ", strip=True)
    assert "95% confidence interval (regression residuals)" in section
    section = page.select_one("#equity-inbound_calls").get_text(" ", strip=True)
    assert "95% confidence interval (PHE simulation)" in section
    assert "rates per 1,000 registered patients" in section
    quintiles = [
        row.select_one("th").get_text(strip=True)
        for row in page.select("#quintiles-inbound_calls tbody tr")
    ]
    assert quintiles == [
        "IMD quintile 1 (most deprived)", "IMD quintile 2", "IMD quintile 3",
        "IMD quintile 4", "IMD quintile 5 (least deprived)",
    ]  # fmt: skip
    method = page.select_one("#equity-method").get_text(" ", strip=True)
    assert "ranked by their IMD score" in method
    assert "at least 5 practices" in method
    assert "Q1" not in page.get_text(" ")


def test_an_icb_ranked_by_decile_is_not_set_beside_england_ranked_by_score(client, session, scene):
    icb, practices, analyst, collection = scene
    for practice in practices.values():
        practice.imd_score = None
        session.add(practice)
    session.commit()
    data = icb_views.load(session, user=analyst, collection=collection, template=V2)
    view = icb_views.equity_view(
        data, V2.items_by_id["inbound_calls"], session=session, user=analyst
    )
    assert view.sii.ok and view.sii.ranked_by == "imd_decile"
    assert view.england.sii.ranked_by == "imd_score"
    assert view.gap is None
    assert all(point.gap is None for point in view.over_time)
    client.sign_in(analyst.email)
    page = client.page(f"/collections/{collection.id}/equity")
    text = page.select_one("#equity-inbound_calls .app-england-gap").get_text(" ", strip=True)
    assert text.startswith("Not compared with England's")


def test_englands_stored_aggregates_can_be_worked_out_again(session, scene):
    # A database whose aggregates an earlier method stored (here: the SII of the raw
    # count, ranked by decile, with the regression interval) is put right in one pass.
    aggregate = stored(session, "inbound_calls")
    right = (aggregate.sii, aggregate.sii_lower, aggregate.sii_upper)
    everyone = range(ENGLAND)
    old = equity.slope_index(
        [calls(i) for i in everyone], [decile(i) for i in everyone],
        weights=[list_size(i) for i in everyone],
    )  # fmt: skip
    aggregate.sii, aggregate.sii_lower, aggregate.sii_upper = old.sii, old.ci_lower, old.ci_upper
    session.add(aggregate)
    session.commit()

    assert england.recompute_aggregates(session, V2.items_by_id) == 1
    session.commit()
    again = stored(session, "inbound_calls")
    assert (again.sii, again.sii_lower, again.sii_upper) == pytest.approx(right, rel=1e-12)
    assert england.recompute_aggregates(session, V2.items_by_id) == 0
