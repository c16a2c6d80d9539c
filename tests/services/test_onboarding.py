"""Onboarding an ICB from published files: what is created, kept current and never
touched; all or nothing; idempotent; practices that move, close, merge or appear; two
ICBs side by side. Files are synthetic unless named from ../shared/opendata/."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from monitor.models import (
    AuditEvent,
    Collection,
    Icb,
    MetricValue,
    Pcn,
    Practice,
    PracticePcnSpell,
    PracticeReturn,
    Role,
)
from monitor.services import collections, icb_views, onboarding, visibility
from tests.factories import (
    make_collection,
    make_user,
    make_value,
    shipped_templates,
)
from tests.published_files import (
    EPCN_HEADINGS,
    csv_bytes,
    epraccur_row,
    extract,
    gpad_mapping,
    real,
    registered_patients,
    workbook_bytes,
)

TODAY = date(2026, 3, 15)
LLR = "NHS LEICESTER, LEICESTERSHIRE AND RUTLAND INTEGRATED CARE BOARD"


def register(*rows):
    return extract("synthetic-epraccur.csv", csv_bytes(list(rows), quote_all=True))


def membership(*spells):
    """ePCN rows: (practice, PCN code, PCN name, start, end)."""
    sub = ["03W", "NHS LEICESTER, LEICESTERSHIRE AND RUTLAND ICB - 03W"]
    rows = [
        [code, "", *sub, pcn, pcn_name, *sub, start, end]
        for code, pcn, pcn_name, start, end in spells
    ]
    return extract(
        "synthetic-ePCN.xlsx", workbook_bytes({"PCN Core Partner Details": [EPCN_HEADINGS, *rows]})
    )


def first_files():
    """Three QK1 practices (one closed), one of QHM, two PCNs, list sizes."""
    return [
        register(
            epraccur_row("C82001", "SOUTH LEICESTERSHIRE MEDICAL GROUP", "QK1"),
            epraccur_row("C82002", "COUNTESTHORPE HEALTH CENTRE", "QK1"),
            epraccur_row("C82003", "THE HEATHER SURGERY", "QK1", status="C", closed="20250930"),
            epraccur_row("A81001", "THE DENSHAM SURGERY", "QHM"),
        ),
        membership(
            ("C82001", "U30213", "CROSS COUNTIES PCN", date(2019, 7, 1), None),
            ("C82002", "U71931", "SOUTH BLABY & LUTTERWORTH PCN", date(2019, 7, 1), None),
            ("C82003", "U71931", "SOUTH BLABY & LUTTERWORTH PCN", date(2019, 7, 1), None),
        ),
        extract("synthetic-reg.csv", registered_patients({"C82001": 25760, "C82002": 10884})),
    ]


def onboard(session, files, *, icb="QK1", dry_run=False, on=TODAY, user=None):
    return onboarding.onboard(
        session, user=user, icb_code=icb, extracts=files, today=on, dry_run=dry_run
    )


def practice(session, code) -> Practice:
    return session.exec(select(Practice).where(Practice.ods_code == code)).one()


def events(session) -> int:
    return len(session.exec(select(AuditEvent)).all())


def test_a_fresh_database_becomes_the_icb_its_pcns_and_practices(session):
    plan = onboard(session, first_files())

    icb = session.exec(select(Icb).where(Icb.code == "QK1")).one()
    assert icb.name == "NHS Leicester, Leicestershire and Rutland ICB"
    assert {p.code: p.name for p in session.exec(select(Pcn)).all()} == {
        "U30213": "Cross Counties PCN",
        "U71931": "South Blaby & Lutterworth PCN",
    }
    south = practice(session, "C82001")
    assert (south.name, south.icb_id, south.list_size, south.list_size_on) == (
        "South Leicestershire Medical Group",
        icb.id,
        25760,
        date(2026, 3, 1),
    )
    assert south.source == "epraccur" and south.imd_decile is None  # not known yet
    heather = practice(session, "C82003")
    assert (heather.status, heather.closed_on) == ("closed", date(2025, 9, 30))
    assert session.exec(select(Practice).where(Practice.ods_code == "A81001")).first() is None
    assert plan.other_icb_practices == 1
    assert dict(plan.counts()) == {"ICB created": 1, "PCNs created": 2, "Practices created": 3}
    assert "Practices created: 3" in plan.summary_lines()


def test_running_again_with_the_same_files_changes_nothing_and_writes_no_event(session):
    onboard(session, first_files())
    before = events(session)

    again = onboard(session, first_files())

    assert again.nothing and again.unchanged == 3
    assert events(session) == before


def test_a_dry_run_writes_nothing(session):
    plan = onboard(session, first_files(), dry_run=True)

    assert plan.count("practice", "create") == 3
    assert session.exec(select(Practice)).all() == [] and events(session) == 0


def test_every_change_is_audited_as_the_person_who_onboarded(session):
    onboard(session, first_files())
    icb = session.exec(select(Icb)).one()
    admin = make_user(session, role=Role.ADMIN, organisation=icb)

    onboard(
        session,
        [
            extract(
                "synthetic-reg.csv",
                registered_patients({"C82001": 26000}, extract_date="2026-04-01"),
            )
        ],
        user=admin,
    )

    latest = session.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).all()[:2]
    assert {e.actor_id for e in latest} == {admin.id}
    assert {e.object_type for e in latest} == {"practice", "onboarding"}
    assert latest[1].before["list_size"] == 25760 and latest[1].after["list_size"] == 26000


def test_a_practice_that_moves_pcn_keeps_its_history_and_its_returns_stay_put(session):
    onboard(session, first_files())
    south = practice(session, "C82001")
    cross = session.exec(select(Pcn).where(Pcn.code == "U30213")).one()
    collection = make_collection(
        session, icb=session.exec(select(Icb)).one(), due_on=date(2099, 1, 1)
    )
    make_value(session, practice=south, item_id="home_visits", period_code="2025-08", number=12)
    collections.submit(
        session,
        user=None,
        collection=collection,
        practice_id=south.id,
        template=shipped_templates()[("hep-light-touch", 1)],
        today=date(2025, 10, 20),
    )

    plan = onboard(
        session,
        [
            membership(
                ("C82001", "U30213", "CROSS COUNTIES PCN", date(2019, 7, 1), date(2026, 3, 31)),
                ("C82001", "U71931", "SOUTH BLABY & LUTTERWORTH PCN", date(2026, 4, 1), None),
            )
        ],
        on=date(2026, 4, 2),
    )

    session.refresh(south)
    south_blaby = session.exec(select(Pcn).where(Pcn.code == "U71931")).one()
    assert plan.count("practice", "move") == 1
    assert south.pcn_id == south_blaby.id
    spells = onboarding.spells(session, south.id)
    assert [(s.pcn_id, s.ended_on) for s in spells] == [
        (cross.id, date(2026, 4, 1)),
        (south_blaby.id, None),
    ]
    answer = session.exec(select(PracticeReturn)).one()
    assert answer.pcn_id == cross.id  # submitted from Cross Counties: it stays there
    lead = make_user(session, role=Role.PCN_LEAD, organisation=cross)
    trends = icb_views.pcn_trends(session, user=lead, templates=shipped_templates())
    home_visits = next(t for t in trends.trends if t.item.id == "home_visits")
    assert home_visits.points[0].summary.n == 1  # still counted in the PCN it was in


def test_a_practice_that_closes_is_kept_marked_closed_and_not_asked_by_new_collections(session):
    onboard(session, first_files())
    countesthorpe = practice(session, "C82002")
    make_value(
        session, practice=countesthorpe, item_id="home_visits", period_code="2025-08", number=9
    )
    editor = make_user(session, role=Role.PRACTICE_EDITOR, organisation=countesthorpe)

    plan = onboard(
        session,
        [
            register(
                epraccur_row(
                    "C82002", "COUNTESTHORPE HEALTH CENTRE", "QK1", status="C", closed="20260331"
                )
            )
        ],
    )

    session.refresh(countesthorpe)
    assert plan.count("practice", "close") == 1
    assert (countesthorpe.status, countesthorpe.closed_on) == ("closed", date(2026, 3, 31))
    icb = session.exec(select(Icb)).one()
    later = make_collection(session, icb=icb, opens_on=date(2026, 4, 14), period_code="2025-26-q4")
    earlier = make_collection(session, icb=icb, opens_on=date(2026, 1, 14), name="Q3")
    open_now = visibility.open_collections(session, editor, date(2026, 5, 1))
    assert later not in open_now and earlier in open_now
    assert countesthorpe not in collections.counted_practices(session, later, [countesthorpe])
    assert visibility.practice_collection(session, editor, later.id, date(2026, 5, 1)) is None
    assert len(session.exec(select(Collection)).all()) == 2
    kept = session.exec(select(MetricValue).where(MetricValue.practice_id == countesthorpe.id))
    assert len(kept.all()) == 1  # its data is kept


def test_a_new_practice_and_a_merger(session):
    onboard(session, first_files())
    heather_before = practice(session, "C82003")
    make_value(
        session, practice=heather_before, item_id="home_visits", period_code="2025-06", number=4
    )

    # C82004 opens; C82002 is absorbed by C82001 and closes.
    plan = onboard(
        session,
        [
            register(
                epraccur_row("C82001", "SOUTH LEICESTERSHIRE MEDICAL GROUP", "QK1"),
                epraccur_row(
                    "C82002", "COUNTESTHORPE HEALTH CENTRE", "QK1", status="C", closed="20260228"
                ),
                epraccur_row("C82003", "THE HEATHER SURGERY", "QK1", status="C", closed="20250930"),
                epraccur_row("C82004", "NEW SURGERY", "QK1", opened="20260301"),
            )
        ],
    )

    assert plan.count("practice", "create") == 1 and plan.count("practice", "close") == 1
    new = practice(session, "C82004")
    assert new.pcn_id is None and new.list_size is None  # no file says yet
    absorbed = practice(session, "C82002")
    assert absorbed.status == "closed" and practice(session, "C82001").status == "open"
    assert practice(session, "C82003").id == heather_before.id  # history stays its own


def test_practices_in_no_pcn_and_unassigned_rows(session):
    files = [
        extract(
            "synthetic-mapping.csv",
            gpad_mapping(
                [
                    (
                        "C82001",
                        "SOUTH LEICESTERSHIRE MEDICAL GROUP",
                        "U30213",
                        "CROSS COUNTIES PCN",
                        "QK1",
                        LLR,
                    ),
                    ("C82005", "ISOLATED SURGERY", "U", "Unallocated", "QK1", LLR),
                    ("UNASSIGNED", "UNASSIGNED", "", "", "QK1", LLR),
                ]
            ),
        )
    ]

    plan = onboard(session, files)

    isolated = practice(session, "C82005")
    assert isolated.pcn_id is None
    assert plan.count("practice", "create") == 2
    assert plan.files[0].skipped == (("not one practice (“UNASSIGNED”)", 1),)


def test_codes_and_capital_names_are_normalised(session):
    onboard(session, [register(epraccur_row(" c82001", "ST JOHN'S SURGERY (NHS)", " qk1 "))])

    assert practice(session, "C82001").name == "St John's Surgery (NHS)"


def test_two_icbs_side_by_side_from_the_same_files(session):
    files = first_files()

    onboard(session, files, icb="QK1")
    onboard(session, files, icb="QHM")

    qk1, qhm = (session.exec(select(Icb).where(Icb.code == c)).one() for c in ("QK1", "QHM"))
    densham = practice(session, "A81001")
    assert densham.icb_id == qhm.id
    analyst = make_user(session, role=Role.ICB_ANALYST, organisation=qk1)
    other = make_user(session, role=Role.ICB_ANALYST, organisation=qhm)
    assert "A81001" not in {p.ods_code for p in visibility.list_practices(session, analyst)}
    assert {p.ods_code for p in visibility.list_practices(session, other)} == {"A81001"}


def test_the_real_publication_excerpts_onboard_llr(session):
    files = [
        real("cbt_publication_summary_feb2026_LLR_excerpt.xlsx"),
        real("oc_submissions_feb2026_LLR_excerpt.xlsx"),
        real("gp_registered_patients_feb2026_LLR.csv"),
    ]
    from monitor.importers import datasets

    plan = onboard(session, [datasets.read(f) for f in files])

    assert plan.icb_name == "NHS Leicester, Leicestershire and Rutland Integrated Care Board"
    billesdon = practice(session, "C82022")
    assert (billesdon.name, billesdon.list_size) == ("The Billesdon Surgery", 7364)
    assert {p.code for p in session.exec(select(Pcn)).all()} >= {"U30213", "U87499"}


def test_facts_without_an_icb_only_update_the_icbs_own_practices(session):
    onboard(session, first_files())

    plan = onboard(
        session,
        [extract("synthetic-reg.csv", registered_patients({"C82001": 25760, "Z99999": 100}))],
    )

    assert plan.nothing
    assert session.exec(select(Practice).where(Practice.ods_code == "Z99999")).first() is None


def test_every_new_practice_starts_a_pcn_spell(session):
    onboard(session, first_files())

    spells = session.exec(select(PracticePcnSpell)).all()
    assert len(spells) == 3 and all(s.ended_on is None for s in spells)


def test_a_practice_the_files_move_from_another_icb_comes_with_its_history(session):
    files = first_files()
    onboard(session, files, icb="QHM")  # A81001 is QHM's
    densham = practice(session, "A81001")
    make_value(session, practice=densham, item_id="home_visits", period_code="2025-08", number=7)

    moved = register(epraccur_row("A81001", "THE DENSHAM SURGERY", "QK1"))
    plan = onboard(session, [moved], icb="QK1")

    session.refresh(densham)
    qk1 = session.exec(select(Icb).where(Icb.code == "QK1")).one()
    assert plan.count("practice", "create") == 0 and plan.count("practice", "update") == 1
    assert plan.changes[-1].details[0][0] == "ICB"
    assert densham.icb_id == qk1.id
    assert session.exec(select(MetricValue).where(MetricValue.practice_id == densham.id)).one()


def test_a_move_between_pcns_is_described_with_their_names(session):
    onboard(session, first_files())

    plan = onboard(
        session,
        [membership(("C82002", "U30213", "CROSS COUNTIES PCN", date(2026, 4, 1), None))],
        dry_run=True,
    )

    move = next(c for c in plan.changes if c.action == "move")
    assert move.describe() == (
        "practice Countesthorpe Health Centre (C82002): "
        "PCN South Blaby & Lutterworth PCN → Cross Counties PCN"
    )


def test_a_file_of_figures_sets_nothing_up_and_says_to_import_it(session):
    from tests.published_gpps_qof import gpps_2024, gpps_row

    survey = extract("synthetic-GPPS_2025_Practice_data.csv", gpps_2024([gpps_row("C82001")]))
    result = onboard(session, [*first_files(), survey])

    summary = next(f for f in result.files if f.filename == survey.filename)
    assert summary.in_icb == 0
    assert any("Import it as national data" in note for note in summary.notes)
    assert any("sets nothing up" in line for line in result.summary_lines())
    assert practice(session, "C82001").list_size == 25760  # the other files still count
