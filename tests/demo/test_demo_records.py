"""Demo monitoring records: plenty of them, valid against the template, loaded once, and
telling the story the demo is for (Highfields' phones got better after September 2023)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from statistics import mean

import pytest
from sqlmodel import delete, func, select

from monitor.analysis.spc import before_after
from monitor.core.checklist import Frequency, ItemType, load_template
from monitor.core.periods import Period, financial_year_of
from monitor.demo import PCNS, PRACTICES, load_demo
from monitor.demo.records import TEMPLATE_PATH, load_demo_records
from monitor.models import (
    AuditEvent,
    HepAllocation,
    Intervention,
    MetricValue,
    Practice,
    SpendItem,
    StaffingChange,
)
from monitor.services.passwords import Passwords
from tests.conftest import BACKENDS

TODAY = date(2026, 11, 23)
RECORD_MODELS = (MetricValue, HepAllocation, Intervention, StaffingChange, SpendItem)
COUNTY_PCN = PCNS[2]["code"]


def _load_demo(app, session) -> dict[str, int]:
    load_demo(session, Passwords(time_cost=1, memory_cost=8))
    return load_demo_records(session, today=TODAY)


def _nothing(app, session) -> None:
    return None


@pytest.fixture(params=BACKENDS)
def built(request, tmp_path, built_databases):
    """A copy of a database holding the demo, on each backend in turn, and what loading it
    made: loaded once per backend, as most tests here only read it. A test without the
    `demo` fixture gets an empty database."""
    if "demo" in request.fixturenames:
        yield from built_databases.copy("demo-records", request.param, _load_demo, tmp_path)
    else:
        yield from built_databases.copy("empty", request.param, _nothing, tmp_path)


@pytest.fixture
def database_url(built):
    return built[0]


@pytest.fixture
def demo(built):
    """What loading the demo's records made, by kind (a fresh copy of the database each)."""
    return built[1]


@pytest.fixture(scope="module")
def template():
    return load_template(TEMPLATE_PATH)


def practices_by_id(session) -> dict[int, str]:
    return {p.id: p.ods_code for p in session.exec(select(Practice))}


def row_counts(session) -> dict[str, int]:
    return {
        model.__name__: session.exec(select(func.count()).select_from(model)).one()
        for model in (*RECORD_MODELS, AuditEvent)
    }


def series(session, ods: str, item_id: str) -> dict[date, float]:
    """One practice's values of one item, by the start of their period, in time order."""
    rows = session.exec(
        select(MetricValue.period_start, MetricValue.value_number)
        .join(Practice, Practice.id == MetricValue.practice_id)
        .where(Practice.ods_code == ods, MetricValue.item_id == item_id)
        .order_by(MetricValue.period_start)
    )
    return dict(rows.all())


def test_every_demo_practice_gets_years_of_figures(session, demo):
    counts = demo
    assert counts["metric_value"] > 5000
    assert set(counts) == {
        "metric_value",
        "hep_allocation",
        "intervention",
        "staffing_change",
        "spend_item",
    }
    stored = row_counts(session)
    assert counts["metric_value"] == stored["MetricValue"]
    assert counts["spend_item"] == stored["SpendItem"]
    # April 2021 to October 2026 is 67 months; a few may be missed, and an FFT return
    # now and then, but a gap is a missing row, never a zero.
    fft_gaps = 0
    for ods, *_ in PRACTICES:
        calls = series(session, ods, "call_answer_time")
        assert 60 <= len(calls) <= 67
        fft = series(session, ods, "fft_responses")
        assert set(fft) <= set(calls)
        fft_gaps += len(calls) - len(fft)
        assert len(series(session, ods, "bowel_screening_pct")) >= 18  # of 22 quarters
        assert len(series(session, ods, "qof_achievement")) == 5  # 2021/22 to 2025/26
    assert fft_gaps >= len(PRACTICES)


def test_loading_twice_adds_nothing(session, demo):
    before = row_counts(session)
    assert load_demo_records(session, today=TODAY) == dict.fromkeys(demo, 0)
    assert row_counts(session) == before


def test_practice_with_its_own_records_is_left_alone(session):
    load_demo(session, Passwords(time_cost=1, memory_cost=8))
    own = session.exec(select(Practice).where(Practice.ods_code == "Z00001")).one()
    session.add(HepAllocation(practice_id=own.id, financial_year=2024, amount=Decimal("70000.00")))
    session.commit()
    load_demo_records(session, today=TODAY)
    for model in RECORD_MODELS:
        rows = session.exec(select(model).where(model.practice_id == own.id)).all()
        assert len(rows) == (1 if model is HepAllocation else 0), model.__name__
    assert session.exec(select(func.count()).select_from(MetricValue)).one() > 4000


def test_figures_are_valid_for_the_template_and_their_periods(session, demo, template):
    rows = session.exec(select(MetricValue)).all()
    for row in rows:
        item = template.items_by_id[row.item_id]
        assert item.id != "hep_allocation"  # kept in HepAllocation, not as a figure
        assert (row.template_id, row.template_version, row.source) == ("hep-light-touch", 1, "demo")
        assert row.updated_by_id is None
        assert row.value_text is None
        assert item.min <= row.value_number <= item.max, (row.item_id, row.value_number)
        if item.type in (ItemType.COUNT, ItemType.DURATION):
            assert row.value_number == int(row.value_number)
        if item.type in (ItemType.PERCENT, ItemType.DURATION):
            assert row.value_number > 0
        period = Period.parse(row.period_code)
        assert period.frequency is item.frequency
        assert row.frequency == period.frequency.value
        assert row.period_start == period.start
        assert date(2021, 4, 1) <= period.start and period.end < TODAY


def test_allocations_go_to_the_under_funded_half_from_2022_23(session, demo):
    ods_of = practices_by_id(session)
    allocations = session.exec(select(HepAllocation)).all()
    by_practice: dict[str, dict[int, HepAllocation]] = defaultdict(dict)
    for allocation in allocations:
        by_practice[ods_of[allocation.practice_id]][allocation.financial_year] = allocation
    hep_practices = set(by_practice)
    assert {"Z00001", "Z00002", "Z00003", "Z00005", "Z00007"} <= hep_practices
    assert 6 <= len(hep_practices) <= 7
    county = {ods for ods, _, pcn, *_ in PRACTICES if pcn == COUNTY_PCN}
    assert hep_practices & county
    for years in by_practice.values():
        assert sorted(years) == [2022, 2023, 2024, 2025, 2026]  # none in 2021/22, the baseline
        for fy, allocation in years.items():
            assert Decimal("390") <= allocation.amount <= Decimal("120000")
            assert allocation.amount == allocation.amount.quantize(Decimal("0.01"))
            if allocation.received_on is not None:
                assert date(fy, 4, 1) <= allocation.received_on <= date(fy, 6, 30)
            if fy > 2022:
                change = allocation.amount / years[fy - 1].amount - 1
                assert abs(change) <= Decimal("0.20")
    assert 30_000 <= mean(float(a.amount) for a in allocations) <= 65_000
    changes = [
        abs(years[fy].amount / years[fy - 1].amount - 1)
        for years in by_practice.values()
        for fy in range(2023, 2027)
    ]
    assert any(change > Decimal("0.12") for change in changes)  # planning risk is visible


def test_hep_attributed_spending_adds_up_to_roughly_each_allocation(session, demo, template):
    ods_of = practices_by_id(session)
    allocations = {
        (a.practice_id, a.financial_year): a.amount for a in session.exec(select(HepAllocation))
    }
    categories = {c.id for c in template.spending_categories}
    sources = {s.id for s in template.funding_sources} - {"hep"}
    hep_by_year: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    for item in session.exec(select(SpendItem)):
        fy = financial_year_of(item.spent_on)
        assert (item.practice_id, fy) in allocations, ods_of[item.practice_id]
        assert item.spent_on <= TODAY
        assert item.category in categories
        assert item.recurrence in ("recurrent", "one_off")
        assert Decimal(0) < item.hep_amount <= item.total_cost
        assert set(item.other_sources) <= sources
        assert bool(item.other_sources) == (item.hep_amount < item.total_cost)
        hep_by_year[(item.practice_id, fy)] += item.hep_amount
    assert set(hep_by_year) == set(allocations)
    ratios = {key: hep_by_year[key] / amount for key, amount in allocations.items()}
    assert all(Decimal("0.70") <= ratio <= Decimal("1.15") for ratio in ratios.values()), ratios
    assert any(ratio > 1 for ratio in ratios.values())  # one practice overspent one year


def test_staffing_changes_and_their_spending_agree(session, demo, template):
    roles = {r.id for r in template.staffing_roles}
    change_types = {c.id for c in template.staffing_change_types}
    changes = {c.id: c for c in session.exec(select(StaffingChange))}
    for change in changes.values():
        assert change.role in roles and change.change_type in change_types
        assert change.contract_type in ("permanent", "fixed_term", "locum")
        assert Decimal(0) <= change.hep_share_pct <= Decimal(100)
        assert change.starts_on <= TODAY
        if change.contract_type == "fixed_term" and change.change_type != "post_ended":
            assert change.ends_on is not None and change.ends_on > change.starts_on
        if change.change_type == "post_ended":
            assert change.wte_change < 0
        elif change.change_type in ("new_post", "increased_hours"):
            assert change.wte_change > 0
    kinds = {c.change_type for c in changes.values()}
    assert {"new_post", "increased_hours", "upskilling", "post_ended"} <= kinds
    assert any(c.change_type == "upskilling" and c.wte_change == 0 for c in changes.values())
    assert any(c.contract_type == "fixed_term" for c in changes.values())

    linked = session.exec(select(SpendItem).where(SpendItem.staffing_change_id.is_not(None)))
    linked = linked.all()
    assert linked
    for item in linked:
        change = changes[item.staffing_change_id]
        assert change.practice_id == item.practice_id
        if item.recurrence == "recurrent":  # pay: HEP pays the post's HEP share
            share = item.hep_amount / item.total_cost * 100
            assert abs(share - change.hep_share_pct) < Decimal("0.1")


def test_interventions_are_dated_and_name_template_items(session, demo, template):
    ods_of = practices_by_id(session)
    interventions = session.exec(select(Intervention)).all()
    per_practice = defaultdict(list)
    for intervention in interventions:
        per_practice[ods_of[intervention.practice_id]].append(intervention)
        assert intervention.affected_items
        assert set(intervention.affected_items) <= set(template.items_by_id)
        assert date(2022, 4, 1) <= intervention.occurred_on <= TODAY
    hep_practices = {
        ods_of[practice_id] for practice_id in session.exec(select(HepAllocation.practice_id))
    }
    assert all(1 <= len(per_practice[ods]) <= 3 for ods in hep_practices)
    linked = session.exec(select(SpendItem).where(SpendItem.intervention_id.is_not(None))).all()
    by_id = {i.id: i for i in interventions}
    assert linked
    assert all(by_id[item.intervention_id].practice_id == item.practice_id for item in linked)


def test_highfields_call_waits_fell_after_cloud_telephony(session, demo):
    highfields = session.exec(select(Practice).where(Practice.ods_code == "Z00001")).one()
    telephony = session.exec(
        select(Intervention).where(
            Intervention.practice_id == highfields.id,
            Intervention.title == "Cloud telephony with call-back live",
        )
    ).one()
    assert telephony.occurred_on == date(2023, 9, 12)
    assert {"call_answer_time", "calls_abandoned_pct"} <= set(telephony.affected_items)
    go_live = Period.containing(telephony.occurred_on, Frequency.MONTHLY)
    first_after = go_live.next().start
    waits = series(session, "Z00001", "call_answer_time")
    before = [v for d, v in waits.items() if date(2022, 9, 1) <= d < go_live.start]
    after = [v for d, v in waits.items() if first_after <= d < date(2024, 10, 1)]
    assert 270 <= mean(before) <= 300  # about 4:30 to 5:00
    assert mean(before) - mean(after) >= 90
    assert 100 <= mean(after) <= 140  # about 2:00
    abandoned = series(session, "Z00001", "calls_abandoned_pct")
    assert mean(v for d, v in abandoned.items() if d < go_live.start) > 12
    assert mean(v for d, v in abandoned.items() if d >= first_after) < 8
    # A Making Data Count special cause, improving, against the pre-telephony limits.
    result = before_after(
        list(waits.values()), periods=list(waits), split_at=first_after, improvement="decrease"
    )
    assert result.outcome == "improvement"


def test_levels_follow_deprivation_and_list_size(session, demo):
    sizes = {ods: size for ods, _, _, _, size, *_ in PRACTICES}
    baseline = {
        ods: {
            item: mean(v for d, v in series(session, ods, item).items() if d < date(2022, 4, 1))
            for item in ("call_answer_time", "fft_positive_pct")
        }
        for ods in ("Z00001", "Z00002", "Z00008", "Z00010")
    }
    for deprived in ("Z00001", "Z00002"):
        for affluent in ("Z00008", "Z00010"):
            assert baseline[deprived]["call_answer_time"] > baseline[affluent]["call_answer_time"]
            assert baseline[deprived]["fft_positive_pct"] < baseline[affluent]["fft_positive_pct"]
    bowel = {ods: mean(series(session, ods, "bowel_screening_pct").values()) for ods in sizes}
    assert bowel["Z00001"] < bowel["Z00008"] and bowel["Z00002"] < bowel["Z00010"]
    for ods, size in sizes.items():
        calls = mean(series(session, ods, "inbound_calls").values()) / size
        appointments = mean(series(session, ods, "appointments_attended").values()) / size
        assert 0.33 <= calls <= 0.62, ods
        assert 0.38 <= appointments <= 0.57, ods
        assert max(series(session, ods, "home_visits").values()) < size / 200


def test_one_audit_event_per_practice(session, demo):
    events = session.exec(select(AuditEvent).where(AuditEvent.object_type == "demo_data")).all()
    assert len(events) == len(PRACTICES)
    for event in events:
        assert event.actor_id is None and event.action == "create"
        assert event.object_id == str(event.practice_id)
        assert event.summary.startswith("Demo data: ") and event.summary.endswith(" loaded")
        assert "figures" in event.summary


def test_past_figures_do_not_depend_on_the_day_they_are_loaded(session, demo):
    def snapshot():
        rows = session.exec(select(MetricValue)).all()
        return {(r.practice_id, r.item_id, r.period_code): r.value_number for r in rows}

    def allocations():
        rows = session.exec(select(HepAllocation)).all()
        return {(r.practice_id, r.financial_year): r.amount for r in rows}

    later, later_allocations = snapshot(), allocations()
    for model in (SpendItem, StaffingChange, Intervention, HepAllocation, MetricValue):
        session.exec(delete(model))
    session.commit()
    load_demo_records(session, today=date(2025, 6, 10))
    earlier = snapshot()
    assert earlier and set(earlier) < set(later)
    assert all(later[key] == value for key, value in earlier.items())
    assert all(later_allocations[key] == amount for key, amount in allocations().items())
    assert session.exec(select(func.max(MetricValue.period_start))).one() == date(2025, 5, 1)
