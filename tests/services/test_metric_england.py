"""England beside the practice on its metric page (services/metric_view): England's
median and interquartile range for each period, from the national files its ICB
imported, on the chart (a band behind the practice's points) and in the table; where the
practice sits among England's practices and among its PCN's published figures, never
which practice has which; nothing for an item no national collection publishes.

Every extract here is synthetic: fictional practice codes ("E00001"…), made in the test."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date

import pandas as pd
import pytest
from sqlmodel import select

from monitor.core.published import Extract, PublishedFigure
from monitor.models import Icb, MetricValue, NationalImport, Pcn, Practice, Role, User
from monitor.services import england, metric_view, national_data, visibility
from tests.factories import (
    make_icb,
    make_pcn,
    make_practice,
    make_user,
    make_value,
    shipped_templates,
)

V2 = shipped_templates()[("hep-light-touch", 2)]
TODAY = date(2026, 4, 20)
ENGLAND = 5200  # synthetic: a national file lists at least england.NATIONAL_PRACTICES
MONTHS = {"2026-01": "January 2026", "2026-02": "February 2026"}
TYPED = ["2025-07", "2025-08", "2025-09", "2025-10", "2025-11", "2025-12"]
OURS, PEERS, ELSEWHERE = 7, (1, 5, 9), 3
"""Indexes among England's practices: ours (81.0) sits above two peers (63.5, 77.5) and
below one (88.0)."""
_files = itertools.count(1)


def england_codes(n: int = ENGLAND) -> list[str]:
    return [f"E{i:05d}" for i in range(1, n + 1)]


def value_of(i: int, *, shift: float = 0.0) -> float:
    """A synthetic percentage for England's i-th practice (0-based)."""
    return round(60 + (i % 10) * 3 + (i % 7) * 0.5 + shift, 2)


def national_extract(
    period: str, *, measure: str = "answered_pct", shift: float = 0.0, codes=None
) -> Extract:
    codes = england_codes() if codes is None else codes
    return Extract(
        source="cbt",
        rank=5,
        filename=f"synthetic-national-{period}.xlsx",
        description=f"Cloud Based Telephony, {MONTHS[period]} publication",
        as_of=date(2026, 3, 1),
        rows_read=len(codes),
        figures=[
            PublishedFigure(code, measure, period, value_of(i, shift=shift), "Table 3", i + 14)
            for i, code in enumerate(codes)
        ],
        period=period,
    )


def run(session, icb: Icb, extract: Extract, user: User | None) -> NationalImport:
    found = NationalImport(
        icb_id=icb.id,
        filename=extract.filename,
        sha256=f"{next(_files):064x}",
    )
    session.add(found)
    session.commit()
    plan = national_data.plan_import(session, icb=icb, template=V2, extract=extract, today=TODAY)
    found.description = extract.description
    found.dataset = extract.source
    return national_data.apply_import(
        session, user=user, plan=plan, template=V2, national_import=found
    )


@dataclass
class Scene:
    icb: Icb
    pcn: Pcn
    ours: Practice  # E00008 among England's practices
    peers: list[Practice]  # same PCN, in England's files
    typed_peer: Practice  # same PCN, in no national file: its figures are typed
    elsewhere: Practice  # another PCN of the ICB
    editor: User
    analyst: User


def build_scene(session, *, imported_peers: int = 3) -> Scene:
    """Our practice typed calls answered for July to December 2025; January and February
    2026 came from England's national files, which filled our practice's figures and its
    imported peers'; a peer outside the files typed its own February figure."""
    icb = make_icb(session, template_version=2)
    pcn = make_pcn(session, icb=icb)
    codes = england_codes()
    ours = make_practice(session, pcn=pcn, ods_code=codes[OURS], name="Our Surgery")
    peers = [
        make_practice(session, pcn=pcn, ods_code=codes[i], name=f"Peer Practice {n}")
        for n, i in enumerate(PEERS[:imported_peers], start=1)
    ]
    typed_peer = make_practice(session, pcn=pcn, name="Typing Practice")
    elsewhere = make_practice(session, pcn=make_pcn(session, icb=icb), ods_code=codes[ELSEWHERE])
    editor = make_user(session, role=Role.PRACTICE_EDITOR, organisation=ours)
    analyst = make_user(session, role=Role.ICB_ANALYST, organisation=icb)
    for n, code in enumerate(TYPED):
        make_value(
            session, practice=ours, item_id="calls_answered_pct", period_code=code,
            number=70 + n % 3, template_version=2,
        )  # fmt: skip
    make_value(
        session, practice=typed_peer, item_id="calls_answered_pct", period_code="2026-02",
        number=99.9, template_version=2,
    )  # fmt: skip
    run(session, icb, national_extract("2026-01", shift=-1.0), analyst)
    run(session, icb, national_extract("2026-02"), analyst)
    return Scene(icb, pcn, ours, peers, typed_peer, elsewhere, editor, analyst)


@pytest.fixture
def scene(session) -> Scene:
    return build_scene(session)


def view_of(session, scene: Scene, item_id: str = "calls_answered_pct", *, viewer=True):
    return metric_view.build(
        session,
        practice=scene.ours,
        template=V2,
        item=V2.items_by_id[item_id],
        today=TODAY,
        viewer=scene.editor if viewer else None,
    )


def stored_aggregates(session, scene: Scene, item_id: str = "calls_answered_pct"):
    codes = TYPED + list(MONTHS)
    return {
        code: found
        for (_, code), found in england.aggregates(session, scene.icb.id, [item_id], codes).items()
    }


# --------------------------------------------------------------------------- chart and table


def test_the_table_has_englands_median_and_quartiles_as_stored_blank_where_none(session, scene):
    view = view_of(session, scene)

    stored = stored_aggregates(session, scene)
    assert sorted(stored) == ["2026-01", "2026-02"]
    assert view.has_england
    for row in view.rows:
        found = stored.get(row.period.code)
        expected = (None, None, None) if found is None else (found.median, found.q1, found.q3)
        assert (row.england_median, row.england_q1, row.england_q3) == expected
    band = view.spec.band
    assert band.label == "England median (IQR shaded)"
    assert [band.median[n] for n, _ in enumerate(view.rows)] == [
        r.england_median for r in view.rows
    ]


def test_limits_and_signals_come_from_the_practices_points_only(session, scene):
    with_england = view_of(session, scene)
    without = view_of(session, scene, viewer=False)

    assert with_england.spec.band is not None and without.spec.band is None
    pd.testing.assert_frame_equal(with_england.evidence.chart.points, without.evidence.chart.points)
    assert with_england.explanation == without.explanation
    assert with_england.evidence.verdict == without.evidence.verdict
    assert [(r.mean, r.lower, r.upper, r.signal) for r in with_england.rows] == [
        (r.mean, r.lower, r.upper, r.signal) for r in without.rows
    ]
    assert with_england.alt.startswith(without.alt)
    assert with_england.alt.removeprefix(without.alt) == (
        " England's median and interquartile range (shaded) are drawn behind the values "
        "for 2 of the 8 periods; in February 2026 England's median was "
        f"{with_england.fmt(stored_aggregates(session, scene)['2026-02'].median)} "
        f"(interquartile range {with_england.fmt(with_england.rows[-1].england_q1)} to "
        f"{with_england.fmt(with_england.rows[-1].england_q3)})."
    )


def test_the_chart_key_changes_with_a_revised_national_file(session, scene):
    before = view_of(session, scene)
    assert view_of(session, scene).key == before.key  # the same figures, the same key

    run(session, scene.icb, national_extract("2026-02", shift=5.0), scene.analyst)
    after = view_of(session, scene)

    assert after.key != before.key
    assert after.rows[-1].england_median == pytest.approx(before.rows[-1].england_median + 5.0)


# --------------------------------------------------------------------------- placement


def test_where_the_practice_sits_in_england_and_its_pcn(session, scene):
    view = view_of(session, scene)

    placement = view.placement
    assert placement.period.code == "2026-02"
    assert placement.value == value_of(OURS)  # our imported February figure
    figures = england.figures(
        session, scene.icb.id, V2.items_by_id["calls_answered_pct"], ["2026-02"]
    )
    assert placement.england_percentile == figures.percentile(value_of(OURS))
    assert placement.england_practices == ENGLAND
    assert placement.publications == ("Cloud Based Telephony, February 2026 publication",)
    peers = [value_of(i) for i in PEERS]  # the typed peer's 99.9 is not published
    assert placement.pcn_peers == 3
    assert placement.pcn_percentile == metric_view.percentile_among(peers, value_of(OURS))
    assert placement.pcn_percentile == 67  # above two of the three


def test_the_practices_own_override_is_its_figure(session, scene):
    value = session.exec(
        select(MetricValue).where(
            MetricValue.practice_id == scene.ours.id, MetricValue.period_code == "2026-02"
        )
    ).one()
    value.published_number, value.value_number = value.value_number, 95.0
    value.override_reason, value.source = "Our own call logs", "manual"
    session.add(value)
    session.commit()

    placement = view_of(session, scene).placement

    assert placement.value == 95.0
    assert placement.pcn_percentile == 100


def test_a_peers_override_counts_as_what_was_published_and_typed_figures_not_at_all(session, scene):
    peer = scene.peers[0]
    value = session.exec(
        select(MetricValue).where(
            MetricValue.practice_id == peer.id, MetricValue.period_code == "2026-02"
        )
    ).one()
    value.published_number, value.value_number = value.value_number, 1.0
    value.override_reason, value.source = "Lines down", "manual"
    session.add(value)
    session.commit()

    found = visibility.pcn_published_values(
        session, scene.editor, item_id="calls_answered_pct", period_code="2026-02"
    )

    assert found == sorted(value_of(i) for i in PEERS)
    assert 1.0 not in found and 99.9 not in found


def test_fewer_than_three_published_peers_give_no_pcn_percentile(session):
    scene = build_scene(session, imported_peers=2)

    placement = view_of(session, scene).placement

    assert placement.pcn_peers == 2  # the typed peer's figure is not among them
    assert placement.pcn_percentile is None
    assert placement.england_practices == ENGLAND


def test_only_the_practices_own_users_read_its_pcns_published_values(session, scene):
    lead = make_user(session, role=Role.PCN_LEAD, organisation=scene.pcn)
    args = {"item_id": "calls_answered_pct", "period_code": "2026-02"}
    assert visibility.pcn_published_values(session, lead, **args) == []
    assert visibility.pcn_published_values(session, scene.analyst, **args) == []
    scene.editor.is_active = False
    assert visibility.pcn_published_values(session, scene.editor, **args) == []


# --------------------------------------------------------------------------- nothing changes


def test_an_item_no_national_collection_publishes_has_no_england(session, scene):
    for code in TYPED:
        make_value(
            session, practice=scene.ours, item_id="call_answer_time", period_code=code,
            number=120.0, template_version=2,
        )  # fmt: skip
    view = view_of(session, scene, "call_answer_time")
    plain = view_of(session, scene, "call_answer_time", viewer=False)

    assert not view.has_england and view.spec.band is None and view.placement is None
    assert all(r.england_median is None for r in view.rows)
    assert (view.key, view.alt) == (plain.key, plain.alt)


def test_no_national_file_means_no_england(session):
    icb = make_icb(session, template_version=2)
    pcn = make_pcn(session, icb=icb)
    ours = make_practice(session, pcn=pcn, ods_code="E00001")
    editor = make_user(session, role=Role.PRACTICE_EDITOR, organisation=ours)
    analyst = make_user(session, role=Role.ICB_ANALYST, organisation=icb)
    run(session, icb, national_extract("2026-02", codes=["E00001"]), analyst)  # an excerpt
    item = V2.items_by_id["calls_answered_pct"]

    view = metric_view.build(
        session, practice=ours, template=V2, item=item, today=TODAY, viewer=editor
    )

    assert view.rows[-1].source.startswith("NHS England")
    assert not view.has_england and view.spec.band is None and view.placement is None
