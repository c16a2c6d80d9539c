"""From recorded figures to a verdict a practice manager can defend."""

from decimal import Decimal

import pytest

from monitor.core.periods import Period
from monitor.services import evidence
from monitor.services.evidence import Strength
from tests.factories import make_allocation, make_practice, make_value


@pytest.fixture
def template(app):
    with app.app_context():
        from monitor.web.context import default_template

        return default_template()


def record_months(session, practice, item_id, start_code, numbers):
    period = Period.parse(start_code)
    for number in numbers:
        if number is not None:
            make_value(
                session, practice=practice, item_id=item_id, period_code=period.code, number=number
            )
        period = period.next()
    return period.previous()


BASELINE = [290, 305, 280, 300, 310, 295, 285, 300, 290, 305, 295, 300]  # 2021/22, ~4:55
AFTER = [130, 125, 120, 135, 118, 122, 128, 119, 131, 124, 120, 126]  # 2022/23, ~2:05


def test_series_keeps_gaps_as_none(session, world, template):
    item = template.items_by_id["call_answer_time"]
    last = record_months(session, world.practice, item.id, "2021-04", [300, None, 280, 290])
    series = evidence.series_for(session, practice_id=world.practice.id, item=item, until=last)
    assert [p.code for p in series.periods] == ["2021-04", "2021-05", "2021-06", "2021-07"]
    assert series.values == [300, None, 280, 290]
    assert series.missing == 1


def test_baseline_is_the_year_before_the_first_allocation(session, world):
    make_allocation(session, practice=world.sibling, financial_year=2022, amount=Decimal(1))
    assert evidence.default_baseline_year(session, world.sibling.id) == 2021
    lonely = make_practice(session, pcn=world.pcn)
    assert evidence.default_baseline_year(session, lonely.id) is None


def test_a_sustained_fall_in_call_waits_is_an_improvement(session, world, template):
    item = template.items_by_id["call_answer_time"]
    last = record_months(session, world.practice, item.id, "2021-04", BASELINE + AFTER)
    series = evidence.series_for(session, practice_id=world.practice.id, item=item, until=last)
    result = evidence.evidence_for(series, baseline_year=2021)
    assert result.strength is Strength.IMPROVEMENT
    assert result.verdict == (
        "Average time to answer calls has improved since April 2022: a mean of 2:05 against "
        "the 2021/22 average of 4:56, and 12 of the last 12 months below it."
    )
    assert result.baseline_mean == pytest.approx(sum(BASELINE) / 12)
    assert result.fmt(result.latest_value) == "2:06"
    assert result.change_since_baseline < -150


def test_the_same_fall_in_fft_would_be_a_concern(session, world, template):
    item = template.items_by_id["fft_positive_pct"]
    last = record_months(
        session,
        world.practice,
        item.id,
        "2021-04",
        [90, 91, 89, 90, 92, 90, 91, 89, 90, 91, 90, 90] + [80] * 8,
    )
    series = evidence.series_for(session, practice_id=world.practice.id, item=item, until=last)
    result = evidence.evidence_for(series, baseline_year=2021)
    assert result.strength is Strength.CONCERN
    assert result.verdict.startswith(
        "Friends and Family Test positive has got worse since April 2022: a mean of 80% "
        "against the 2021/22 average of 90.2%, and 8 of the last 8 months below it."
    )


def test_noise_is_no_significant_change(session, world, template):
    item = template.items_by_id["call_answer_time"]
    last = record_months(
        session, world.practice, item.id, "2021-04", BASELINE + [300, 290, 295, 310, 285, 300]
    )
    series = evidence.series_for(session, practice_id=world.practice.id, item=item, until=last)
    result = evidence.evidence_for(series, baseline_year=2021)
    assert result.strength is Strength.NO_CHANGE
    assert result.verdict.startswith("No significant change yet")


def test_too_few_baseline_figures_says_so(session, world, template):
    item = template.items_by_id["call_answer_time"]
    last = record_months(session, world.practice, item.id, "2022-03", [300, 120, 125])
    series = evidence.series_for(session, practice_id=world.practice.id, item=item, until=last)
    assert evidence.evidence_for(series, baseline_year=2021).strength is Strength.TOO_FEW
    assert evidence.evidence_for(series, baseline_year=None).verdict.startswith("No baseline")


def test_peer_medians_use_only_practices_that_share_and_never_fewer_than_three(
    session, world, template
):
    item = template.items_by_id["inbound_calls"]
    periods = [Period.parse("2025-10")]
    peers = [world.sibling] + [make_practice(session, pcn=world.pcn) for _ in range(3)]
    for number, peer in zip([100, 200, 300, 400], peers, strict=True):
        make_value(session, practice=peer, item_id=item.id, period_code="2025-10", number=number)
    make_value(
        session, practice=world.practice, item_id=item.id, period_code="2025-10", number=999999
    )

    def median(scope):
        return evidence.peer_medians(
            session, practice=world.practice, item=item, periods=periods, scope=scope
        )[0]

    assert median("pcn") is None  # nobody has chosen to share
    for peer in peers[:2]:
        peer.shares_with_pcn = True
        session.add(peer)
    session.commit()
    assert median("pcn") is None  # two sharers could be identified
    peers[2].shares_with_pcn = True
    session.add(peers[2])
    session.commit()
    assert median("pcn") == 200  # 100, 200, 300: the practice itself never counts
    assert median("icb") is None
