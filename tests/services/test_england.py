"""England beside the ICB (services/england, with national_data): a national file's figures
for every practice in England are kept with the import, with England's median,
quartiles and slope index of inequality; an excerpt gives none; onboarding from national
files keeps England's practices' deprivation and list sizes; undo forgets them; files
with several periods, and the HEP payment schedule, fill the right periods and rows.

Every extract here is synthetic: fictional practice codes ("E00001"…), made in the test."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from sqlmodel import func, select

from monitor.analysis import equity
from monitor.core.published import Extract, PracticeFacts, PublishedFigure
from monitor.models import (
    EnglandPractice,
    EnglandValue,
    HepAllocation,
    ImportChange,
    NationalAggregate,
    NationalImport,
    Role,
)
from monitor.services import england, national_data
from monitor.services.national_data import ImportRefused
from tests.factories import make_icb, make_pcn, make_practice, make_user, shipped_templates

TEMPLATES = shipped_templates()
V2 = TEMPLATES[("hep-light-touch", 2)]
TODAY = date(2026, 4, 20)
ENGLAND = 5200  # synthetic: a national file lists at least england.NATIONAL_PRACTICES


def england_codes(n=ENGLAND) -> list[str]:
    return [f"E{i:05d}" for i in range(1, n + 1)]


def value_of(i: int) -> float:
    """A synthetic answered-calls percentage that falls with deprivation (decile of i)."""
    return round(60 + (i % 10) * 3 + (i % 7) * 0.5, 2)


def decile_of(i: int) -> int:
    return i % 10 + 1


def national_extract(codes, *, period="2026-02", measure="answered_pct", source="cbt"):
    figures = [
        PublishedFigure(code, measure, period, value_of(i), "Table 3", i + 14)
        for i, code in enumerate(codes)
    ]
    return Extract(
        source=source,
        rank=5,
        filename="synthetic-national.xlsx",
        description="Cloud Based Telephony, February 2026 publication",
        as_of=date(2026, 3, 1),
        rows_read=len(codes),
        figures=figures,
        period=period,
    )


@pytest.fixture
def world(session):
    icb = make_icb(session, template_version=2)
    pcn = make_pcn(session, icb=icb)
    ours = [
        make_practice(session, pcn=pcn, ods_code=code, list_size=8000, imd_decile=decile_of(i))
        for i, code in enumerate(england_codes(6))
    ]
    analyst = make_user(session, role=Role.ICB_ANALYST, organisation=icb)
    return icb, ours, analyst


def facts_extract(codes, *, as_of=date(2026, 2, 1)) -> Extract:
    return Extract(
        source="fingertips_imd",
        rank=60,
        filename="synthetic-imd.csv",
        description="IMD",
        as_of=as_of,
        practices=[
            PracticeFacts(
                code,
                "CSV",
                i + 2,
                imd_score=40 - decile_of(i) * 3.0,
                imd_decile=decile_of(i),
                list_size=5000 + (i % 13) * 400,
            )
            for i, code in enumerate(codes)
        ],  # fmt: skip
    )


def run(session, icb, extract, user, *, sha="b" * 64, today=TODAY) -> NationalImport:
    found = NationalImport(icb_id=icb.id, filename=extract.filename, sha256=sha)
    session.add(found)
    session.commit()
    plan = national_data.plan_import(session, icb=icb, template=V2, extract=extract, today=today)
    found.description = extract.description
    found.dataset = extract.source
    return national_data.apply_import(
        session, user=user, plan=plan, template=V2, national_import=found
    )


def test_record_facts_keeps_englands_practices_only_from_a_national_file(session):
    assert england.record_facts(session, [facts_extract(england_codes(100))]) == 0
    assert england.record_facts(session, [facts_extract(england_codes())]) == ENGLAND
    session.commit()
    row = session.get(EnglandPractice, "E00003")
    assert (row.imd_decile, row.list_size, row.list_size_on) == (3, 5800, date(2026, 2, 1))
    # An older count of patients does not replace a newer one.
    older = facts_extract(england_codes(), as_of=date(2025, 1, 1))
    older.practices[2] = PracticeFacts("E00003", "CSV", 4, list_size=1)
    england.record_facts(session, [older])
    assert session.get(EnglandPractice, "E00003").list_size == 5800


def test_a_national_file_keeps_englands_values_median_quartiles_and_sii(session, world):
    icb, ours, analyst = world
    england.record_facts(session, [facts_extract(england_codes())])
    session.commit()
    done = run(session, icb, national_extract(england_codes()), analyst)

    stored = session.exec(
        select(func.count()).select_from(EnglandValue).where(EnglandValue.import_id == done.id)
    ).one()
    assert stored == ENGLAND
    aggregate = session.exec(select(NationalAggregate)).one()
    values = np.array([value_of(i) for i in range(ENGLAND)])
    assert aggregate.practices == ENGLAND
    assert (aggregate.q1, aggregate.median, aggregate.q3) == pytest.approx(
        list(np.percentile(values, [25, 50, 75]))
    )
    expected = equity.slope_index(
        list(values),
        [decile_of(i) for i in range(ENGLAND)],
        weights=[5000 + (i % 13) * 400 for i in range(ENGLAND)],
    )
    assert aggregate.sii == pytest.approx(expected.sii, rel=1e-12)
    assert (aggregate.sii_lower, aggregate.sii_upper) == pytest.approx(
        (expected.ci_lower, expected.ci_upper), rel=1e-12
    )
    assert aggregate.sii_practices == ENGLAND
    # The ICB's own practices got their values as ever.
    assert done.values_added == 6


def test_englands_figures_over_periods_and_a_practices_percentile(session, world):
    icb, ours, analyst = world
    item = V2.items_by_id["calls_answered_pct"]
    run(session, icb, national_extract(england_codes()), analyst, sha="c" * 64)
    march = national_extract(england_codes(), period="2026-03")
    march.figures = [
        PublishedFigure(f.ods_code, f.measure, f.period, f.value + 2, f.sheet, f.row)
        for f in march.figures
    ]
    run(session, icb, march, analyst, sha="d" * 64)

    both = england.figures(session, icb.id, item, ["2026-02", "2026-03"])
    means = np.array([value_of(i) + 1 for i in range(ENGLAND)])
    assert both.summary.n == ENGLAND
    assert both.summary.median == pytest.approx(float(np.median(means)))
    assert both.sii is None or not both.sii.ok  # no deprivation known for England yet
    lowest, highest = float(means.min()), float(means.max())
    assert both.percentile(lowest - 1) == 0
    assert both.percentile(highest + 1) == 100
    assert 40 <= both.percentile(float(np.median(means))) <= 60
    assert england.figures(session, icb.id, item, ["2025-02"]) is None


def test_an_excerpt_gives_no_england_figures_and_says_why(session, world):
    icb, ours, analyst = world
    extract = national_extract([p.ods_code for p in ours])
    plan = national_data.plan_import(session, icb=icb, template=V2, extract=extract, today=TODAY)
    assert plan.england is None
    assert any("not England's" in line for line in plan.summary_lines())
    run(session, icb, extract, analyst)
    assert session.exec(select(NationalAggregate)).all() == []


def test_undo_forgets_englands_figures_and_a_revision_replaces_them(session, world):
    icb, ours, analyst = world
    item = V2.items_by_id["calls_answered_pct"]
    first = run(session, icb, national_extract(england_codes()), analyst, sha="e" * 64)
    revised = national_extract(england_codes())
    revised.figures = [
        PublishedFigure(f.ods_code, f.measure, f.period, 50.0, f.sheet, f.row)
        for f in revised.figures
    ]
    second = run(session, icb, revised, analyst, sha="f" * 64)
    assert (
        england.aggregates(session, icb.id, [item.id], ["2026-02"])[(item.id, "2026-02")].import_id
        == second.id
    )
    national_data.undo_import(session, user=analyst, national_import=second)
    assert (
        england.aggregates(session, icb.id, [item.id], ["2026-02"])[(item.id, "2026-02")].import_id
        == first.id
    )
    left = session.exec(select(EnglandValue.import_id).distinct()).all()
    assert left == [first.id]


def test_another_icbs_import_is_not_this_icbs_england(session, world):
    icb, ours, analyst = world
    other = make_icb(session, template_version=2)
    other_practice = make_practice(session, pcn=make_pcn(session, icb=other), ods_code="E05100")
    assert other_practice.icb_id == other.id
    run(session, other, national_extract(england_codes()), None, sha="9" * 64)
    item = V2.items_by_id["calls_answered_pct"]
    assert england.figures(session, icb.id, item, ["2026-02"]) is None
    assert england.figures(session, other.id, item, ["2026-02"]).summary.n == ENGLAND


# --------------------------------------------------------------------------- periods


def schedule(rows, *, period="2026-27") -> Extract:
    figures = [
        PublishedFigure(code, "allocation", year, amount, "CSV", n, on=on)
        for n, (code, year, amount, on) in enumerate(rows, start=2)
    ]
    return Extract(
        source="hep_schedule",
        rank=50,
        filename="synthetic-schedule.csv",
        description="HEP payment schedule, 2025/26 to 2026/27",
        as_of=date(2026, 4, 1),
        rows_read=len(rows),
        figures=figures,
        measures={"allocation": "HEP allocation"},
        period=period,
    )


def allocation(session, practice, fy) -> HepAllocation | None:
    session.expire_all()
    return session.exec(
        select(HepAllocation).where(
            HepAllocation.practice_id == practice.id, HepAllocation.financial_year == fy
        )
    ).first()


def test_a_payment_schedule_fills_each_practices_allocation_for_each_year(session, world):
    icb, ours, analyst = world
    a, b = ours[0], ours[1]
    done = run(
        session,
        icb,
        schedule(
            [
                (a.ods_code, "2025-26", 48000.0, date(2025, 6, 30)),
                (a.ods_code, "2026-27", 50500.5, None),
                (b.ods_code, "2025-26", 390.0, date(2025, 7, 1)),
            ]
        ),
        analyst,
    )
    assert done.values_added == 3
    first = allocation(session, a, 2025)
    assert (float(first.amount), first.received_on, first.source, first.import_id) == (
        48000.0, date(2025, 6, 30), "hep_schedule", done.id,
    )  # fmt: skip
    assert float(allocation(session, a, 2026).amount) == 50500.5
    changes = session.exec(select(ImportChange).where(ImportChange.import_id == done.id)).all()
    assert sorted((c.item_id, c.period_code) for c in changes) == [
        ("hep_allocation", "2025-26"),
        ("hep_allocation", "2025-26"),
        ("hep_allocation", "2026-27"),
    ]


def test_a_schedule_keeps_the_practices_own_allocation_and_undo_puts_back(session, world):
    icb, ours, analyst = world
    a, b = ours[0], ours[1]
    session.add(HepAllocation(practice_id=a.id, financial_year=2025, amount=47000))
    session.commit()
    done = run(
        session,
        icb,
        schedule([(a.ods_code, "2025-26", 48000.0, None), (b.ods_code, "2025-26", 1000.0, None)]),
        analyst,
    )
    kept = allocation(session, a, 2025)
    assert (float(kept.amount), kept.import_id, float(kept.published_amount)) == (
        47000.0, None, 48000.0,
    )  # fmt: skip
    assert done.values_kept == 1
    national_data.undo_import(session, user=analyst, national_import=done)
    assert allocation(session, b, 2025) is None
    assert float(allocation(session, a, 2025).amount) == 47000.0


def test_a_schedule_may_be_for_next_year_but_not_later(session, world):
    icb, ours, analyst = world
    code = ours[0].ods_code
    plan = national_data.plan_import(
        session, icb=icb, template=V2,
        extract=schedule([(code, "2027-28", 1.0, None)], period="2027-28"), today=TODAY,
    )  # fmt: skip
    assert plan.added == 1
    with pytest.raises(ImportRefused, match="this financial year or the next"):
        national_data.plan_import(
            session, icb=icb, template=V2,
            extract=schedule([(code, "2028-29", 1.0, None)], period="2028-29"), today=TODAY,
        )  # fmt: skip


def test_figures_of_another_frequency_than_their_item_are_refused(session, world):
    icb, ours, analyst = world
    extract = national_extract([p.ods_code for p in ours], period="2025-26")
    with pytest.raises(ImportRefused, match="records it monthly"):
        national_data.plan_import(session, icb=icb, template=V2, extract=extract, today=TODAY)


def test_a_file_of_several_months_fills_each_and_refuses_one_not_ended(session, world):
    icb, ours, analyst = world
    codes = [p.ods_code for p in ours]
    extract = national_extract(codes, period="2026-03")
    extract.figures += national_extract(codes, period="2026-02").figures
    done = run(session, icb, extract, analyst)
    assert done.values_added == 12
    later = national_extract(codes, period="2026-04")
    with pytest.raises(ImportRefused, match="has not ended"):
        national_data.plan_import(session, icb=icb, template=V2, extract=later, today=TODAY)
