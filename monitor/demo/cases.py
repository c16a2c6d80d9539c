"""Fictional case examples for the demo practices, at every visibility.

They tell the stories behind the demo records (monitor/demo/records.py): where those
records exist, each case example links the practice's real demo spending items (matched
by description), the intervention it tells of (matched by title) and the figures the
intervention was meant to move. Each is added through monitor.services.case_examples, as
the practice would add it, which publishes its charts as the figures stand when it is
loaded, marked with only that intervention.

Riverside City PCN's lead (the demo PCN lead) sees its member practices' PCN-shared and
ICB-wide examples and the ICB-wide ones from other PCNs; not Belgrave Road's private one
nor Melton Vale's, which Melton Vale shared with its own PCN only.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from monitor.models import CaseExample, Intervention, SpendItem, Visibility
from monitor.services import case_examples, organisations

# Link at most this many spending items (a recurrent licence appears once a year).
MAX_SPEND_LINKS = 4


@dataclass(frozen=True)
class DemoCase:
    ods: str
    title: str
    visibility: str
    problem: str
    actions: str
    cost: str
    outcome: str
    lessons: str
    tags: tuple[str, ...]
    metrics: tuple[str, ...]
    spend_prefixes: tuple[str, ...] = ()
    intervention_prefixes: tuple[str, ...] = ()


CASES: tuple[DemoCase, ...] = (
    DemoCase(
        "Z00001",
        "Cloud telephony with call-back",
        Visibility.PCN,
        "At 8am the phone lines were jammed: patients redialled dozens of times and many "
        "gave up. Older patients and people who speak little English were hit hardest, "
        "because they could not use the online form instead.",
        "We moved to a cloud telephony system that tells callers their place in the queue "
        "and offers a call-back, so nobody has to hang up and redial. Bilingual care "
        "navigators (Gujarati, Punjabi and Urdu) answer the queue, and all nine reception "
        "staff had care navigation training before go-live in September 2023.",
        "About £14,800 to install, 60% from HEP and the rest from core funding; licences "
        "now cost about £6,200 a year. The care navigators are paid from HEP.",
        "The average wait to answer fell from nearly five minutes to about two, and fewer "
        "calls are abandoned. Friends and Family Test scores rose a little over the "
        "following months.",
        "Train the whole team before go-live, not just reception, and tell patients about "
        "call-back in the community languages from day one: it took weeks for people to "
        "trust that we would ring back.",
        ("telephony", "non_clinical_staff", "training"),
        ("call_answer_time", "calls_abandoned_pct", "fft_positive_pct"),
        ("Cloud telephony", "Care navigation and call-back training"),
        ("Cloud telephony with call-back live",),
    ),
    DemoCase(
        "Z00001",
        "Bowel screening calls in community languages",
        Visibility.ICB,
        "Bowel screening uptake among our patients aged 60 to 74 was well below the ICB "
        "average, lowest among South Asian patients. Many had received the kit but did not "
        "know what it was for or how to use it.",
        "Our bilingual care navigators phoned people who had not returned their kit, in "
        "Gujarati, Punjabi and Urdu, and posted translated leaflets. A short video "
        "explaining the kit was shared through the local gurdwara and mosque.",
        "About £3,900 from HEP for translation, printing and navigator overtime.",
        "Uptake rose steadily over the following year. Several people told navigators "
        "they had thrown the kit away because they thought it was junk mail.",
        "Start with the video: it reached people the calls did not. Ask the screening hub "
        "for the list of non-responders early; it took us two months to get it.",
        ("screening_campaigns", "interpreting"),
        ("bowel_screening_pct",),
        ("Bowel screening campaign",),
        ("Culturally tailored bowel screening campaign",),
    ),
    DemoCase(
        "Z00002",
        "Proactive housebound visits by an advanced nurse practitioner",
        Visibility.PRIVATE,
        "Housebound patients with frailty or several long-term conditions were only seen "
        "when they or their carers called because something had gone wrong, often ending "
        "in an urgent visit or an admission.",
        "Extra advanced nurse practitioner sessions so that housebound patients on our "
        "frailty register are visited every three months, with medication and care plans "
        "reviewed at each visit.",
        "Three extra ANP sessions a week, paid from HEP.",
        "Planned home visits roughly doubled; urgent call-outs feel less frequent but we "
        "do not yet record them separately.",
        "Record planned and urgent visits separately from the start, so we could show the "
        "difference.",
        ("housebound_care", "clinical_staff"),
        ("home_visits",),
        ("Extra ANP sessions for proactive housebound visits",),
        ("Proactive housebound visits by ANP",),
    ),
    DemoCase(
        "Z00002",
        "Saturday MMR catch-up clinics",
        Visibility.PCN,
        "Too many children had missed their MMR doses; working parents told us they could "
        "not get to a weekday clinic.",
        "Monthly Saturday clinics for children who missed MMR, with reminder calls in "
        "Gujarati and Hindi by a receptionist who knows many of the families.",
        "About £2,600 a year from HEP for nurse overtime and the reminder calls, plus a "
        "part-time receptionist.",
        "Childhood immunisation coverage rose over the following year. The clinics stopped "
        "when the receptionist post ended after our HEP allocation fell in 2025/26.",
        "Plan for the funding ending: we had no way to keep the reminder calls going once "
        "the post went.",
        ("immunisation_outreach", "non_clinical_staff"),
        ("childhood_immunisation_pct",),
        ("Saturday MMR clinics", "Receptionist for Saturday clinics"),
        ("Saturday MMR catch-up clinics",),
    ),
    DemoCase(
        "Z00003",
        "A learning-disability health check clinic",
        Visibility.ICB,
        "Fewer than half of our patients with a learning disability had an annual health "
        "check. Standard 15-minute appointments and letters did not work for them or their "
        "carers.",
        "A monthly clinic with hour-long appointments, easy-read invitations and a phone "
        "call to each carer beforehand. Two nurses and a healthcare assistant were trained "
        "in learning-disability annual health checks.",
        "About £3,200 from HEP for easy-read invitations and the longer appointments, and "
        "£1,850 for training.",
        "Health check completion rose sharply within six months.",
        "Involve carers from the start: the pre-visit call was what made people come.",
        ("ld_health_checks", "training"),
        ("ld_health_checks_pct",),
        ("Easy-read invitations", "Learning-disability annual health check training"),
        ("Learning-disability health check clinic",),
    ),
    DemoCase(
        "Z00004",
        "Online consultation triage: what did not work",
        Visibility.PCN,
        "The phones were busy at 8am and we hoped an online form would take some of the "
        "pressure off for patients who could use it.",
        "We introduced an online consultation form triaged by a care navigator, with extra "
        "navigator hours to keep up with requests.",
        "About £4,800 to set up, three-quarters from HEP and the rest from PCN funding; the "
        "licence costs about £3,600 a year.",
        "Phone waits and the share of face-to-face appointments did not change noticeably: "
        "most patients still phoned.",
        "Ask patients first. Ours mostly wanted a quicker answer on the phone, not a form; "
        "we would have spent the money on call-back instead.",
        ("online_access", "extra_hours"),
        ("call_answer_time", "face_to_face_pct"),
        ("Online consultation tool", "Extra care navigator hours"),
        ("Online consultation triage pilot",),
    ),
    DemoCase(
        "Z00005",
        "Clinical pharmacist reviews for long-term conditions",
        Visibility.PRIVATE,
        "Reviews for diabetes, hypertension and asthma were falling behind, and GPs had "
        "little time for medication reviews.",
        "Two sessions a week of a locum clinical pharmacist doing structured medication "
        "reviews, and a recall administrator to book people in.",
        "Pharmacist sessions from HEP; the recall administrator half from HEP and half "
        "from core funding.",
        "QOF achievement improved a little; too early to say more.",
        "Draft: finish before sharing with the PCN.",
        ("ltc_reviews", "clinical_staff"),
        ("qof_achievement",),
        ("Locum clinical pharmacist sessions", "Recall administrator"),
        ("Clinical pharmacist sessions",),
    ),
    DemoCase(
        "Z00007",
        "A care navigator team with a call-back queue",
        Visibility.ICB,
        "Receptionists juggled the front desk and the phones, so calls went unanswered at "
        "busy times and patients rated getting through poorly in the GP Patient Survey.",
        "A team of care navigators now answers the phones from 8am and calls patients back "
        "in queue order, while the receptionists look after the front desk.",
        "The care navigator team (1.5 WTE) is paid from HEP.",
        "Waits to answer fell by about a third and the overall experience score in the "
        "survey rose the following year.",
        "Separate the phones from the front desk sooner: it was the single biggest change.",
        ("non_clinical_staff", "telephony"),
        ("call_answer_time", "calls_abandoned_pct", "gpps_overall_experience"),
        ("Care navigator team",),
        ("Care navigator team with call-back queue",),
    ),
    DemoCase(
        "Z00009",
        "Housebound reviews by a healthcare assistant",
        Visibility.PCN,
        "Housebound patients in outlying villages missed annual checks, bloods and vaccinations.",
        "A healthcare assistant visits housebound patients for annual checks, bloods and "
        "vaccinations, working from a list the practice nurse prepares each month.",
        "A few extra healthcare assistant hours a week from HEP.",
        "Home visits rose by about half.",
        "Plan the rounds by village to cut driving time.",
        ("housebound_care",),
        ("home_visits",),
        ("Healthcare assistant hours for housebound reviews",),
        ("Proactive housebound reviews by HCA",),
    ),
)


def _spend_ids(session: Session, practice_id: int, prefixes: tuple[str, ...]) -> list[int]:
    ids: list[int] = []
    for prefix in prefixes:
        rows = session.exec(
            select(SpendItem.id)
            .where(SpendItem.practice_id == practice_id, SpendItem.description.startswith(prefix))
            .order_by(SpendItem.spent_on, SpendItem.id)
            .limit(MAX_SPEND_LINKS)
        ).all()
        ids.extend(rows)
    return sorted(set(ids))[: MAX_SPEND_LINKS * 2]


def _intervention_ids(session: Session, practice_id: int, prefixes: tuple[str, ...]) -> list[int]:
    ids: list[int] = []
    for prefix in prefixes:
        ids.extend(
            session.exec(
                select(Intervention.id).where(
                    Intervention.practice_id == practice_id,
                    Intervention.title.startswith(prefix),
                )
            ).all()
        )
    return sorted(set(ids))


def load_demo_case_examples(session: Session) -> dict[str, int]:
    """Add the demo case examples that are missing (by practice and title).

    Practices that do not exist are skipped, so this runs on any database; spending
    items are linked where the demo records exist. Each case example is committed as it
    is added.
    """
    added = 0
    for spec in CASES:
        practice = organisations.find_practice(session, spec.ods)
        if practice is None:
            continue
        exists = session.exec(
            select(CaseExample.id).where(
                CaseExample.practice_id == practice.id, CaseExample.title == spec.title
            )
        ).first()
        if exists is not None:
            continue
        case_examples.create(
            session,
            user=None,  # the demo's own writing, like the rest of the demo data
            practice_id=practice.id,
            # Not through case_examples.clean, which would put the tags and figures in
            # template order: they stay in the order the story names them. A test checks
            # every demo case example passes clean.
            data=case_examples.CaseExampleInput(
                title=spec.title,
                problem=spec.problem,
                actions=spec.actions,
                cost=spec.cost,
                outcome=spec.outcome,
                lessons=spec.lessons,
                visibility=spec.visibility,
                tags=list(spec.tags),
                spend_item_ids=_spend_ids(session, practice.id, spec.spend_prefixes),
                metric_item_ids=list(spec.metrics),
                intervention_ids=_intervention_ids(
                    session, practice.id, spec.intervention_prefixes
                ),
            ),
        )
        added += 1
    return {"case_example": added}
