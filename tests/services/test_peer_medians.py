"""PCN and ICB medians on a metric page, computed in the database: the same figures as
the median of every sharing peer's rows read one by one (the computation they
replaced), on SQLite and PostgreSQL."""

import random
import statistics
from collections import defaultdict

import pytest
from sqlmodel import select

from monitor.core.periods import Period
from monitor.core.small_numbers import enough
from monitor.models import MetricValue, Practice
from monitor.services import evidence
from tests.factories import make_pcn, make_practice, make_value

ITEM = "inbound_calls"


@pytest.fixture
def template(app):
    with app.app_context():
        from monitor.web.context import default_template

        return default_template()


def reference_medians(session, *, practice, item, periods, scope):
    """The computation before: every sharing peer's figures read, the median taken in
    Python (a copy of `evidence.peer_medians` as it was)."""
    peers = select(Practice.id).where(Practice.id != practice.id)
    if scope == "pcn":
        if practice.pcn_id is None:
            return [None] * len(periods)
        peers = peers.where(Practice.pcn_id == practice.pcn_id, Practice.shares_with_pcn.is_(True))
    else:
        peers = peers.where(Practice.icb_id == practice.icb_id, Practice.shares_with_icb.is_(True))
    rows = session.exec(
        select(MetricValue.period_code, MetricValue.value_number).where(
            MetricValue.item_id == item.id,
            MetricValue.practice_id.in_(peers),
            MetricValue.period_code.in_([p.code for p in periods]),
            MetricValue.value_number.is_not(None),
        )
    ).all()
    grouped = defaultdict(list)
    for code, number in rows:
        grouped[code].append(number)
    return [
        statistics.median(grouped[p.code]) if enough(len(grouped[p.code])) else None
        for p in periods
    ]


def periods_from(code, n):
    period, found = Period.parse(code), []
    for _ in range(n):
        found.append(period)
        period = period.next()
    return found


def test_medians_equal_the_python_median_of_every_peer_row(session, world, template):
    """Twelve months in which 0 to 9 peers recorded a figure (odd and even counts, ties,
    fractions), peers that share with the PCN, the ICB, both or neither, another PCN of
    the ICB, another ICB's practice that shares, the practice's own figure and a text
    figure without a number: every median equal to the row-by-row one, suppressed alike
    below three practices."""
    rng = random.Random(17)
    item = template.items_by_id[ITEM]
    periods = periods_from("2024-04", 12)
    other_pcn = make_pcn(session, icb=world.icb, name="East PCN")
    peers = [world.sibling, world.other_practice, world.foreign_practice]
    peers += [make_practice(session, pcn=world.pcn) for _ in range(6)]
    peers += [make_practice(session, pcn=other_pcn) for _ in range(3)]
    for n, peer in enumerate(peers):
        peer.shares_with_pcn = n % 3 != 2
        peer.shares_with_icb = n % 4 != 3
        session.add(peer)
    session.commit()
    for n, period in enumerate(periods):
        # From nobody to everyone; a tie of equal figures in some months.
        for peer in rng.sample(peers, n % len(peers)):
            number = rng.choice([120.0, 120.0, rng.uniform(0, 500), rng.randint(1, 900) / 8])
            make_value(
                session, practice=peer, item_id=item.id, period_code=period.code, number=number
            )
        make_value(
            session, practice=world.practice, item_id=item.id, period_code=period.code, number=1e6
        )
    make_value(
        session,
        practice=peers[4],
        item_id=item.id,
        period_code="2025-04",
        number=None,
        value_text="not known",
    )
    # A period outside the chart and another item never count.
    make_value(session, practice=peers[5], item_id=item.id, period_code="2026-01", number=7)
    make_value(session, practice=peers[5], item_id="call_answer_time", period_code="2024-05",
               number=7)  # fmt: skip
    asked = [*periods, Period.parse("2025-04")]
    for scope in ("pcn", "icb"):
        expected = reference_medians(
            session, practice=world.practice, item=item, periods=asked, scope=scope
        )
        found = evidence.peer_medians(
            session, practice=world.practice, item=item, periods=asked, scope=scope
        )
        assert found == expected, scope
        # The ordered query and the row-by-row read agree on either database.
        ask = {"practice": world.practice, "item_id": item.id, "codes": [p.code for p in asked]}
        assert sorted(evidence.peer_median_rows(session, scope=scope, **ask)) == sorted(
            evidence._peer_median_rows_read(session, scope=scope, **ask)
        )
        # Both shown and suppressed medians, even and odd counts, are among them.
        assert any(v is None for v in expected) and sum(v is not None for v in expected) >= 4
    counts = {
        code: count
        for code, _, count in evidence.peer_median_rows(
            session,
            practice=world.practice,
            item_id=item.id,
            codes=[p.code for p in asked],
            scope="icb",
        )
    }
    assert {c % 2 for c in counts.values() if enough(c)} == {0, 1}


def test_one_row_per_period_whatever_the_number_of_peers(session, world, template):
    """The database returns a row per period with figures, not one per peer figure."""
    item = template.items_by_id[ITEM]
    periods = periods_from("2025-01", 3)
    peers = [make_practice(session, pcn=world.pcn, shares_with_icb=True) for _ in range(8)]
    for n, peer in enumerate(peers):
        for period in periods:
            make_value(
                session, practice=peer, item_id=item.id, period_code=period.code, number=10 * n
            )
    rows = evidence.peer_median_rows(
        session,
        practice=world.practice,
        item_id=item.id,
        codes=[p.code for p in periods],
        scope="icb",
    )
    assert sorted(rows) == [(p.code, 35.0, 8) for p in periods]  # mean of 30 and 40


def test_even_count_median_is_the_mean_of_the_middle_two(session, world, template):
    item = template.items_by_id[ITEM]
    peers = [make_practice(session, pcn=world.pcn, shares_with_pcn=True) for _ in range(4)]
    for number, peer in zip([0.1, 0.2, 0.7, 100.0], peers, strict=True):
        make_value(session, practice=peer, item_id=item.id, period_code="2025-10", number=number)
    periods = [Period.parse("2025-10")]
    found = evidence.peer_medians(
        session, practice=world.practice, item=item, periods=periods, scope="pcn"
    )
    assert found == [statistics.median([0.1, 0.2, 0.7, 100.0])] == [(0.2 + 0.7) / 2]
