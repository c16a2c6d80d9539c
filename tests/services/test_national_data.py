"""Importing national figures into an ICB's practices (services/national_data): what is
added, changed, kept and left blank; revised publications; all or nothing; the same file
twice; undo; and imported values as private as typed ones.

The extracts here are synthetic (built in the test, not read from a file), so each rule
is checked on its own; the readers' real excerpts are tested in tests/importers and the
whole pipeline through the worker in tests/test_jobs.py."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from monitor import national_import
from monitor.core.published import Extract, PublishedFigure
from monitor.models import AuditEvent, ImportChange, MetricValue, NationalImport, Role
from monitor.services import national_data, records
from monitor.services.national_data import ImportRefused
from tests.factories import (
    make_icb,
    make_pcn,
    make_practice,
    make_user,
    make_value,
    shipped_templates,
)

TEMPLATES = shipped_templates()
V2 = TEMPLATES[("hep-light-touch", 2)]
V1 = TEMPLATES[("hep-light-touch", 1)]
TODAY = date(2026, 4, 20)
CBT = "Cloud Based Telephony, February 2026 publication"


def figures(values: dict[tuple[str, str], float | None], period="2026-02"):
    return [
        PublishedFigure(code, measure, period, value, "Table 3", row)
        for row, ((code, measure), value) in enumerate(values.items(), start=14)
    ]


def extract_of(values, *, source="cbt", period="2026-02", description=CBT) -> Extract:
    found = figures(values, period)
    return Extract(
        source=source,
        rank=5,
        filename="synthetic.xlsx",
        description=description,
        as_of=date(2026, 3, 1),
        rows_read=len({f.ods_code for f in found}),
        figures=found,
        measures={"inbound_calls": "Inbound calls", "callback_made": "Call backs made"},
        period=period,
    )


@pytest.fixture
def icb_world(session):
    icb = make_icb(session, template_version=2)
    pcn = make_pcn(session, icb=icb)
    first = make_practice(session, pcn=pcn, list_size=10_000)
    second = make_practice(session, pcn=pcn, list_size=None)
    elsewhere_icb = make_icb(session, template_version=2)
    elsewhere = make_practice(session, pcn=make_pcn(session, icb=elsewhere_icb))
    analyst = make_user(session, role=Role.ICB_ANALYST, organisation=icb)
    return icb, first, second, elsewhere, analyst


def run_import(session, icb, extract, user, *, sha="a" * 64) -> NationalImport:
    found = NationalImport(icb_id=icb.id, filename=extract.filename, sha256=sha)
    session.add(found)
    session.commit()
    plan = national_data.plan_import(session, icb=icb, template=V2, extract=extract, today=TODAY)
    found.description = extract.description
    found.dataset = extract.source
    found.period_code = extract.period
    return national_data.apply_import(
        session, user=user, plan=plan, template=V2, national_import=found
    )


def stored(session, practice, item_id, period="2026-02") -> MetricValue | None:
    session.expire_all()
    return session.exec(
        select(MetricValue).where(
            MetricValue.practice_id == practice.id,
            MetricValue.item_id == item_id,
            MetricValue.period_code == period,
        )
    ).first()


def test_an_import_fills_the_practices_items_with_their_source(session, icb_world):
    icb, first, second, _, analyst = icb_world
    extract = extract_of(
        {
            (first.ods_code, "inbound_calls"): 4321,
            (first.ods_code, "answered_pct"): 91.25,
            (second.ods_code, "inbound_calls"): 1200,
        }
    )
    done = run_import(session, icb, extract, analyst)

    assert done.status == "done"
    assert (done.values_added, done.values_changed, done.practices_matched) == (3, 0, 2)
    calls = stored(session, first, "inbound_calls")
    assert calls.value_number == 4321
    assert (calls.source, calls.import_id) == ("cbt", done.id)
    assert (calls.template_id, calls.template_version) == ("hep-light-touch", 2)
    assert (calls.frequency, calls.period_start) == ("monthly", date(2026, 2, 1))
    assert stored(session, first, "calls_answered_pct").value_number == 91.25
    assert national_data.source_label(session, calls) == f"From {CBT}"
    changes = session.exec(select(ImportChange).where(ImportChange.import_id == done.id)).all()
    assert sorted((c.item_id, c.action, c.after_number) for c in changes) == [
        ("calls_answered_pct", "add", 91.25),
        ("inbound_calls", "add", 1200),
        ("inbound_calls", "add", 4321),
    ]
    summaries = [e.summary for e in session.exec(select(AuditEvent)).all()]
    assert any(s.startswith(f"Imported {CBT}: 3 values added") for s in summaries)


def test_the_plan_counts_other_icbs_unknown_codes_and_unmapped_measures(session, icb_world):
    icb, first, _, elsewhere, analyst = icb_world
    extract = extract_of(
        {
            (first.ods_code, "inbound_calls"): 10,
            (elsewhere.ods_code, "inbound_calls"): 20,
            ("Z99999", "inbound_calls"): 30,
            ("Z99998", "inbound_calls"): 30,
            (first.ods_code, "callback_made"): 3,
        }
    )
    plan = national_data.plan_import(session, icb=icb, template=V2, extract=extract, today=TODAY)

    assert (plan.practices_matched, plan.other_practices, plan.unknown_codes) == (1, 1, 2)
    assert plan.practices_in_icb == 2
    assert plan.unmapped_measures == ["Call backs made"]
    assert [c.practice.ods_code for c in plan.changes] == [first.ods_code]
    lines = plan.summary_lines()
    assert lines[0] == f"{CBT}: 4 practice rows, 1 of your 2 practices"
    assert "Unknown practice codes: 2; other ICBs' practices: 1" in lines[1]
    run_import(session, icb, extract, analyst)
    assert stored(session, elsewhere, "inbound_calls") is None


def test_not_published_is_left_blank_never_zero(session, icb_world):
    icb, first, second, _, analyst = icb_world
    extract = extract_of(
        {(first.ods_code, "inbound_calls"): None, (second.ods_code, "inbound_calls"): 0}
    )
    done = run_import(session, icb, extract, analyst)

    assert stored(session, first, "inbound_calls") is None
    assert stored(session, second, "inbound_calls").value_number == 0
    assert (done.values_added, done.values_not_published) == (1, 1)


def test_per_1000_patients_uses_the_list_size_and_needs_one(session, icb_world):
    icb, first, second, _, analyst = icb_world
    extract = extract_of(
        {
            (first.ods_code, "clinical_submissions"): 456,
            (second.ods_code, "clinical_submissions"): 99,
        },
        source="online_consultations",
        description="Submissions via Online Consultation Systems, February 2026",
    )
    plan = national_data.plan_import(session, icb=icb, template=V2, extract=extract, today=TODAY)
    assert plan.needs_list_size == 1
    assert any("list size is not known" in line for line in plan.summary_lines())
    run_import(session, icb, extract, analyst)

    assert stored(session, first, "oc_clinical_per_1000").value_number == 45.6
    assert stored(session, second, "oc_clinical_per_1000") is None


def test_a_value_outside_the_items_range_is_not_stored(session, icb_world):
    icb, first, _, _, analyst = icb_world
    extract = extract_of({(first.ods_code, "answered_pct"): 130.0})
    plan = national_data.plan_import(session, icb=icb, template=V2, extract=extract, today=TODAY)

    assert (plan.out_of_range, plan.added) == (1, 0)


def test_a_revised_publication_updates_imported_values_and_records_what_changed(session, icb_world):
    icb, first, second, _, analyst = icb_world
    original = extract_of(
        {(first.ods_code, "inbound_calls"): 4321, (second.ods_code, "inbound_calls"): 1200}
    )
    first_import = run_import(session, icb, original, analyst, sha="1" * 64)
    revised = extract_of(
        {(first.ods_code, "inbound_calls"): 4400, (second.ods_code, "inbound_calls"): 1200},
        description="Cloud Based Telephony, February 2026 publication (revised)",
    )
    second_import = run_import(session, icb, revised, analyst, sha="2" * 64)

    assert (second_import.values_changed, second_import.values_unchanged) == (1, 1)
    value = stored(session, first, "inbound_calls")
    assert (value.value_number, value.import_id) == (4400, second_import.id)
    change = session.exec(
        select(ImportChange).where(ImportChange.import_id == second_import.id)
    ).one()
    assert (change.action, change.before_number, change.after_number) == ("change", 4321, 4400)
    assert change.before_import_id == first_import.id


def test_a_practices_own_value_and_its_override_are_kept_with_the_published_one(session, icb_world):
    icb, first, second, _, analyst = icb_world
    typed = make_value(
        session, practice=first, item_id="inbound_calls", period_code="2026-02",
        number=5000, source="manual", template_version=2,
    )  # fmt: skip
    run_import(
        session, icb, extract_of({(second.ods_code, "inbound_calls"): 1200}), analyst,
        sha="1" * 64,
    )  # fmt: skip
    imported = stored(session, second, "inbound_calls")
    manager = make_user(session, role=Role.PRACTICE_EDITOR, organisation=second)
    records.update_fields(
        session,
        user=manager,
        record=imported,
        changes={"value_number": 1250, "source": "manual", "override_reason": "Lines down"},
        expected_version=imported.version,
        summary="Overrode calls",
    )

    again = run_import(
        session,
        icb,
        extract_of(
            {(first.ods_code, "inbound_calls"): 4321, (second.ods_code, "inbound_calls"): 1300}
        ),
        analyst,
        sha="2" * 64,
    )

    assert (again.values_kept, again.values_added, again.values_changed) == (2, 0, 0)
    mine = stored(session, first, "inbound_calls")
    assert (mine.value_number, mine.source, mine.published_number) == (5000, "manual", 4321)
    assert mine.id == typed.id
    overridden = stored(session, second, "inbound_calls")
    assert (overridden.value_number, overridden.override_reason) == (1250, "Lines down")
    assert overridden.published_number == 1300


def test_the_same_file_twice_is_refused_and_changes_nothing(session, icb_world, tmp_path):
    icb, first, _, _, analyst = icb_world
    run_import(session, icb, extract_of({(first.ods_code, "inbound_calls"): 10}), analyst)
    before = session.exec(select(MetricValue)).all()
    path = tmp_path / "again.xlsx"
    path.write_bytes(b"never read")
    again = NationalImport(icb_id=icb.id, filename="again.xlsx", sha256="a" * 64)
    again.stored_path = str(path)
    session.add(again)
    session.commit()

    result = national_import.run(
        session, again, phase="plan", templates=TEMPLATES, today=TODAY, user=analyst
    )

    assert result.status == "failed"
    assert "imported already" in result.error and "would change nothing" in result.error
    assert session.exec(select(MetricValue)).all() == before
    assert not path.exists()  # the stored upload is cleaned up


def test_an_import_is_all_or_nothing(session, icb_world, monkeypatch):
    icb, first, second, _, analyst = icb_world
    extract = extract_of(
        {(first.ods_code, "inbound_calls"): 10, (second.ods_code, "inbound_calls"): 20}
    )
    calls = {"n": 0}
    real_create_many = records.create_many

    def fails_second_time(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        return real_create_many(*args, **kwargs)

    monkeypatch.setattr(records, "create_many", fails_second_time)
    with pytest.raises(RuntimeError):
        run_import(session, icb, extract, analyst)

    assert session.exec(select(MetricValue)).all() == []
    assert session.exec(select(ImportChange)).all() == []


def test_undo_puts_back_what_the_import_changed_and_leaves_later_edits(session, icb_world):
    icb, first, second, _, analyst = icb_world
    run_import(
        session, icb, extract_of({(first.ods_code, "inbound_calls"): 4321}), analyst,
        sha="1" * 64,
    )  # fmt: skip
    revised = run_import(
        session,
        icb,
        extract_of(
            {
                (first.ods_code, "inbound_calls"): 4400,
                (first.ods_code, "answered_pct"): 90.0,
                (second.ods_code, "inbound_calls"): 1200,
            }
        ),
        analyst,
        sha="2" * 64,
    )
    edited = stored(session, second, "inbound_calls")
    records.update_fields(
        session, user=analyst, record=edited,
        changes={"value_number": 1250, "source": "manual", "override_reason": "Wrong"},
        expected_version=edited.version, summary="Overrode",
    )  # fmt: skip

    restored = national_data.undo_import(session, user=analyst, national_import=revised)

    assert restored == 3  # the overridden value too: it no longer names the undone import
    back = stored(session, first, "inbound_calls")
    assert (back.value_number, back.source) == (4321, "cbt")
    assert stored(session, first, "calls_answered_pct") is None
    assert stored(session, second, "inbound_calls").value_number == 1250
    session.refresh(revised)
    assert revised.status == "undone" and revised.undone_by_id == analyst.id
    with pytest.raises(ImportRefused, match="Only a finished import"):
        national_data.undo_import(session, user=analyst, national_import=revised)


def test_a_template_without_national_items_is_refused_saying_what_to_do(session, icb_world):
    icb, first, _, _, _ = icb_world
    extract = extract_of({(first.ods_code, "inbound_calls"): 10})

    with pytest.raises(ImportRefused) as refused:
        national_data.plan_import(session, icb=icb, template=V1, extract=extract, today=TODAY)

    assert "has no items from Cloud Based Telephony" in refused.value.message
    assert "version 2" in refused.value.message


def test_a_month_not_yet_ended_or_a_file_without_figures_is_refused(session, icb_world):
    icb, first, _, _, _ = icb_world
    future = extract_of({(first.ods_code, "inbound_calls"): 10}, period="2026-04")
    with pytest.raises(ImportRefused, match="has not ended"):
        national_data.plan_import(session, icb=icb, template=V2, extract=future, today=TODAY)
    empty = extract_of({})
    with pytest.raises(ImportRefused, match="holds no figures"):
        national_data.plan_import(session, icb=icb, template=V2, extract=empty, today=TODAY)


def test_imported_share_counts_values_from_national_data_not_overrides(session, icb_world):
    icb, first, _, _, analyst = icb_world
    run_import(
        session,
        icb,
        extract_of({(first.ods_code, "inbound_calls"): 10, (first.ods_code, "answered_pct"): 9}),
        analyst,
    )
    make_value(
        session, practice=first, item_id="call_answer_time", period_code="2026-02",
        number=120, source="manual", template_version=2,
    )  # fmt: skip
    answered = stored(session, first, "calls_answered_pct")
    records.update_fields(
        session, user=analyst, record=answered,
        changes={"value_number": 8, "source": "manual", "override_reason": "x"},
        expected_version=answered.version, summary="Overrode",
    )  # fmt: skip
    values = session.exec(select(MetricValue).where(MetricValue.practice_id == first.id)).all()

    assert national_data.imported_share(values) == (1, 3)


def test_a_file_with_none_of_the_icbs_practices_is_refused(session, icb_world):
    icb, _, _, elsewhere, _ = icb_world
    extract = extract_of({(elsewhere.ods_code, "inbound_calls"): 10, ("Z9", "inbound_calls"): 2})

    with pytest.raises(ImportRefused) as refused:
        national_data.plan_import(session, icb=icb, template=V2, extract=extract, today=TODAY)

    assert refused.value.message == (
        f"None of your ICB's 2 practices is in {CBT} (2 practices): is it the file you meant?"
    )


@pytest.mark.parametrize("source", ["manual", "spreadsheet", "demo"])
def test_a_value_the_practice_recorded_any_way_is_kept(session, icb_world, source):
    icb, first, _, _, analyst = icb_world
    own = make_value(
        session, practice=first, item_id="inbound_calls", period_code="2026-02",
        number=5000, source=source, template_version=2,
    )  # fmt: skip

    done = run_import(session, icb, extract_of({(first.ods_code, "inbound_calls"): 4321}), analyst)

    kept = stored(session, first, "inbound_calls")
    assert (kept.id, kept.value_number, kept.source) == (own.id, 5000, source)
    assert (kept.published_number, done.values_kept, done.values_changed) == (4321, 1, 0)
    national_data.undo_import(session, user=analyst, national_import=done)
    assert stored(session, first, "inbound_calls").value_number == 5000


def test_the_rows_passed_over_are_counted_and_said(session, icb_world):
    icb, first, _, _, analyst = icb_world
    extract = extract_of({(first.ods_code, "inbound_calls"): 10})
    extract.skipped.update({"Unassigned rows": 3, "national totals": 1})

    plan = national_data.plan_import(session, icb=icb, template=V2, extract=extract, today=TODAY)
    done = run_import(session, icb, extract, analyst)

    assert "Rows passed over, not a practice's: 3 Unassigned rows, 1 national totals" in (
        plan.summary_lines()
    )
    assert done.rows_passed_over == 4
