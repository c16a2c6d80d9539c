"""Fictional monitoring records for the demo practices, so every chart has a story to tell.

From April 2021 (2021/22, the baseline year before the HEP began) up to the last
complete period before `today`, each demo practice gets monthly, quarterly and annual
figures; the practices that receive the HEP (from 2022/23) also get allocations,
staffing changes, spending with pooled funding, and dated interventions.

The figures are made up but behave like real ones: levels depend on deprivation and
list size, there is month-to-month noise, winter pressure on the phones, a few missed
months, and step changes after the interventions that should cause them, such as
Highfields' cloud telephony in September 2023. Some interventions change nothing
visible, because that happens too and the demo should not oversell the HEP.

Everything comes from random generators seeded per practice, so loading is
deterministic; a practice that already has records of its own is left alone, so loading
twice changes nothing. Each practice's records go through the one audited write path
(records.adding) in a few batches, with one audit event for them all.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path

import numpy as np
from sqlmodel import Session, select

from monitor.config import Config
from monitor.core.checklist import ChecklistTemplate, Frequency, ItemType, load_template
from monitor.core.periods import Period, financial_year_of
from monitor.demo.constants import PRACTICE_CODES
from monitor.models import (
    HepAllocation,
    Intervention,
    MetricValue,
    Practice,
    SpendItem,
    StaffingChange,
)
from monitor.services import organisations, records

TEMPLATE_PATH = Path(Config.CHECKLIST_TEMPLATE_DIR) / "hep-light-touch-v1.yaml"
SOURCE = "demo"
FIRST_YEAR = 2021  # 2021/22: the baseline year, before the HEP began
HEP_FIRST_YEAR = 2022
SEED = 20220401
HORIZON_FY = 2035  # figures are drawn up to here so earlier ones never change
PENNY = Decimal("0.01")
ALLOCATION_RANGE = (390.0, 120_000.0)  # the ICB's published range per practice
FUNDING_ORDER = ("gms", "arrs", "pcn", "other_icb", "other")  # as the template lists them

# Yearly pay per whole-time equivalent in 2022/23, with on-costs; rises 3% a year.
PAY_2022 = {
    "anp": 66_000,
    "care_navigator": 25_500,
    "clinical_pharmacist": 72_000,  # locum sessional rate
    "hca": 26_500,
    "practice_nurse": 46_000,
    "receptionist": 24_800,
    "administrator": 25_000,
    "social_prescriber": 31_000,
}
PAY_RISE = 0.03

# Seasonal factors by calendar month (January first): winter pressure on the phones and
# appointments, quieter summers, holidays in August and at Christmas.
WAIT_SEASON = (1.12, 1.06, 1.02, 0.98, 0.96, 0.95, 0.95, 0.93, 1.00, 1.03, 1.06, 1.10)
CALL_SEASON = (1.10, 1.04, 1.03, 0.96, 0.98, 0.97, 0.96, 0.88, 1.02, 1.05, 1.06, 0.97)
APPOINTMENT_SEASON = (1.06, 1.02, 1.05, 0.94, 0.99, 1.00, 1.00, 0.90, 1.01, 1.06, 1.04, 0.88)
HOME_VISIT_SEASON = (1.12, 1.1, 1.04, 0.97, 0.94, 0.93, 0.93, 0.9, 0.96, 1.0, 1.06, 1.1)
# GP Patient Survey: the national fall in overall experience after 2022.
GPPS_YEAR_SHIFT = {2021: 0.0, 2022: -4.0, 2023: -3.0, 2024: -2.0}
# Share of the year's learning-disability health checks done by the end of each quarter.
LD_CUMULATIVE = {1: 0.16, 2: 0.37, 3: 0.60, 4: 1.0}


# The plan for each practice ------------------------------------------------------------


@dataclass(frozen=True)
class Effect:
    """How an intervention moves one item once it has bedded in over `ramp_days`."""

    item_id: str
    change: float  # a factor when `relative`, otherwise points (or seconds) added
    relative: bool = False
    ramp_days: int = 30


@dataclass(frozen=True)
class Cost:
    """Spending on an intervention or a post, beyond pay."""

    category: str
    description: str
    total: float
    hep_share: float = 1.0
    other_sources: tuple[str, ...] = ()
    recurrent_total: float = 0.0  # yearly cost in the following years (licences)
    recurrent_description: str = ""


@dataclass(frozen=True)
class DemoIntervention:
    occurred_on: date
    title: str
    description: str
    affected_items: tuple[str, ...]
    effects: tuple[Effect, ...] = ()  # none: the honest "no visible change"
    cost: Cost | None = None


@dataclass(frozen=True)
class DemoPost:
    """A staffing change; a post may end, recorded as a second, negative change."""

    role: str
    change_type: str
    wte: float
    starts_on: date
    contract_type: str = "permanent"
    hep_share_pct: float = 100
    spend_category: str = ""  # where its pay is recorded (not for upskilling)
    spend_description: str = ""
    ends_on: date | None = None  # the end of a fixed-term contract
    left_on: date | None = None  # a permanent post that ended
    languages: str = ""
    note: str = ""
    ended_note: str = ""
    other_sources: tuple[str, ...] = ()
    training: Cost | None = None  # upskilling costs training, not pay


@dataclass(frozen=True)
class Filler:
    """Other HEP-funded spending that makes up the rest of a year's allocation.

    A filler with a `unit_cost` is bought by the session, hour or visit, up to `high`,
    and takes up what is left; the others cost something between `low` and `high`.
    """

    category: str
    description: str
    low: float
    high: float
    hep_share: float = 1.0
    other_sources: tuple[str, ...] = ()
    recurrence: str = "one_off"
    unit_cost: float | None = None
    units: tuple[str, str] = ("", "")  # singular and plural, for "{n} {units}"

    def describe(self, total: float) -> str:
        if self.unit_cost is None:
            return self.description
        n = max(1, round(total / self.unit_cost))
        return self.description.format(n=n, units=self.units[n != 1])


HOURS_A_WEEK = ("hour a week", "hours a week")
FILLERS = {
    "locum": Filler(
        "clinical_staff",
        "Extra locum GP sessions ({n} {units})",
        0,
        30_000,
        unit_cost=340,
        units=("session", "sessions"),
    ),
    "reception_hours": Filler(
        "extra_hours",
        "Extra reception hours at the 8am peak ({n} {units})",
        0,
        21_000,
        recurrence="recurrent",
        unit_cost=13.5 * 52,
        units=HOURS_A_WEEK,
    ),
    "nurse_hours": Filler(
        "extra_hours",
        "Extra practice nurse hours for long-term-condition reviews ({n} {units})",
        0,
        18_000,
        recurrence="recurrent",
        unit_cost=24.0 * 52,
        units=HOURS_A_WEEK,
    ),
    "ltc": Filler(
        "ltc_reviews",
        "Longer diabetes and COPD reviews, 30 minutes instead of 15 ({n} {units})",
        0,
        25_000,
        0.7,
        ("gms",),
        "recurrent",
        unit_cost=28,
        units=("review", "reviews"),
    ),
    "housebound": Filler(
        "housebound_care",
        "Housebound flu and COVID vaccination round ({n} {units})",
        0,
        11_000,
        recurrence="recurrent",
        unit_cost=45,
        units=("visit", "visits"),
    ),
    "interpreting": Filler(
        "interpreting",
        "Face-to-face and telephone interpreting",
        1_500,
        7_500,
        0.8,
        ("gms",),
        "recurrent",
    ),
    "bp_monitors": Filler(
        "equipment", "Home blood pressure monitors to lend to patients", 600, 2_200
    ),
    "premises": Filler(
        "premises",
        "Automatic entrance door and lowered reception counter",
        9_000,
        18_000,
        0.45,
        ("gms", "other_icb"),
    ),
    "training": Filler(
        "training", "Health inequalities and cultural awareness training", 500, 3_500
    ),
    "sms": Filler(
        "it_digital",
        "Text-message credits for recalls and reminders",
        800,
        3_000,
        recurrence="recurrent",
    ),
    "womens_health": Filler(
        "womens_health",
        "Women's health clinic with a female GP",
        2_500,
        8_000,
        0.8,
        ("pcn",),
        "recurrent",
    ),
    "imms_calls": Filler(
        "immunisation_outreach", "Immunisation reminder calls in community languages", 800, 3_000
    ),
    "health_event": Filler(
        "other",
        "Community health check event with the local faith centre",
        900,
        3_500,
        0.6,
        ("pcn",),
    ),
    "ecg": Filler("equipment", "ECG machine and spirometer for in-house diagnostics", 2_500, 6_000),
}


@dataclass(frozen=True)
class Plan:
    hep_2022: float | None = None  # the 2022/23 allocation; None: no HEP
    # Year-to-year factor and note for years that moved more than the usual few percent.
    allocation_changes: dict[int, tuple[float, str]] = field(default_factory=dict)
    overspend_year: int | None = None
    interventions: tuple[DemoIntervention, ...] = ()
    posts: tuple[DemoPost, ...] = ()
    fillers: tuple[str, ...] = ()
    levels: dict[str, float] = field(default_factory=dict)  # overrides of baseline levels


PLANS: dict[str, Plan] = {
    "Z00001": Plan(  # Highfields: deprived inner city, large list
        hep_2022=70_400,
        levels={"wait": 282, "bowel": 49.5},
        interventions=(
            DemoIntervention(
                date(2023, 9, 12),
                "Cloud telephony with call-back live",
                "Moved from the old phone lines to a cloud telephony system with a queue "
                "position message and call-back, so patients no longer have to hang up and "
                "redial at 8am. Bilingual care navigators answer the queue.",
                ("call_answer_time", "calls_abandoned_pct", "inbound_calls", "fft_positive_pct"),
                effects=(
                    Effect("call_answer_time", 0.43, relative=True),
                    Effect("inbound_calls", 0.91, relative=True, ramp_days=60),
                    Effect("fft_positive_pct", 3.5, ramp_days=90),
                ),
                cost=Cost(
                    "telephony",
                    "Cloud telephony system: installation, handsets and first-year licences",
                    14_800,
                    0.6,
                    ("gms",),
                    recurrent_total=6_200,
                    recurrent_description="Cloud telephony licences and support",
                ),
            ),
            DemoIntervention(
                date(2024, 5, 7),
                "Culturally tailored bowel screening campaign",
                "Bilingual care navigators phoned people aged 60 to 74 who had not returned "
                "their bowel screening kit, in Gujarati, Punjabi and Urdu, with translated "
                "leaflets and a short video shared through the local gurdwara and mosque.",
                ("bowel_screening_pct",),
                effects=(Effect("bowel_screening_pct", 5.5, ramp_days=300),),
                cost=Cost(
                    "screening_campaigns",
                    "Bowel screening campaign: translation, printing and navigator overtime",
                    3_900,
                ),
            ),
        ),
        posts=(
            DemoPost(
                "care_navigator",
                "new_post",
                1.6,
                date(2023, 1, 9),
                spend_category="non_clinical_staff",
                spend_description="Bilingual care navigators (1.6 WTE)",
                languages="Gujarati, Punjabi, Urdu",
                note="Answer the morning queue and call patients back; speak the three main "
                "community languages.",
            ),
            DemoPost(
                "receptionist",
                "upskilling",
                0,
                date(2023, 8, 21),
                note="Care navigation and call-back training for nine reception staff "
                "before the new phones went live.",
                training=Cost("training", "Care navigation and call-back training", 2_400),
            ),
            DemoPost(
                "social_prescriber",
                "new_post",
                0.6,
                date(2024, 4, 15),
                contract_type="fixed_term",
                hep_share_pct=50,
                spend_category="non_clinical_staff",
                spend_description="Social prescriber (0.6 WTE, fixed term), shared with the PCN",
                ends_on=date(2026, 4, 14),
                other_sources=("pcn",),
                note="Two-year post shared with the PCN; renewal depends on next year's HEP.",
            ),
        ),
        fillers=(
            "interpreting",
            "reception_hours",
            "locum",
            "bp_monitors",
            "health_event",
            "training",
        ),
    ),
    "Z00002": Plan(  # Belgrave Road: deprived, older South Asian population
        hep_2022=48_900,
        allocation_changes={
            2025: (0.84, "Down 16% after the ICB refreshed the funding formula"),
        },
        levels={"home_visits": 12.5},
        interventions=(
            DemoIntervention(
                date(2022, 10, 3),
                "Proactive housebound visits by ANP",
                "An advanced nurse practitioner visits housebound patients with frailty or "
                "several long-term conditions every three months, rather than waiting for a "
                "call when they are unwell.",
                ("home_visits",),
                effects=(Effect("home_visits", 2.2, relative=True, ramp_days=90),),
            ),
            DemoIntervention(
                date(2024, 1, 15),
                "Saturday MMR catch-up clinics",
                "Monthly Saturday clinics for children who missed their MMR, with reminder "
                "calls in Gujarati and Hindi by a receptionist who knows the families.",
                ("childhood_immunisation_pct",),
                effects=(Effect("childhood_immunisation_pct", 4.5, ramp_days=270),),
                cost=Cost(
                    "immunisation_outreach",
                    "Saturday MMR clinics: nurse overtime and reminder calls",
                    2_600,
                ),
            ),
        ),
        posts=(
            DemoPost(
                "anp",
                "increased_hours",
                0.3,
                date(2022, 9, 5),
                spend_category="clinical_staff",
                spend_description="Extra ANP sessions for proactive housebound visits (0.3 WTE)",
            ),
            DemoPost(
                "receptionist",
                "new_post",
                0.6,
                date(2023, 11, 27),
                spend_category="non_clinical_staff",
                spend_description="Receptionist for Saturday clinics and reminder calls (0.6 WTE)",
                left_on=date(2025, 4, 30),
                languages="Gujarati, Hindi",
                ended_note="Not replaced after the 2025/26 HEP allocation fell by 16%.",
            ),
        ),
        fillers=("interpreting", "ltc", "nurse_hours", "imms_calls", "bp_monitors", "premises"),
    ),
    "Z00003": Plan(  # Spinney Hill: deprived, very large list
        hep_2022=101_300,
        interventions=(
            DemoIntervention(
                date(2023, 4, 3),
                "Two extra receptionists on the 8am phone peak",
                "Two new receptionists work 8am to 1pm so that six people answer the phones "
                "at the morning peak instead of four.",
                ("call_answer_time", "calls_abandoned_pct"),
                effects=(Effect("call_answer_time", 0.8, relative=True),),
            ),
            DemoIntervention(
                date(2023, 11, 6),
                "Evening and Saturday cervical screening clinics",
                "Cervical screening with female sample-takers on Tuesday evenings and "
                "Saturday mornings, with invitations in Somali and Urdu.",
                ("cervical_screening_pct",),
                effects=(Effect("cervical_screening_pct", 4.5, ramp_days=365),),
            ),
            DemoIntervention(
                date(2024, 9, 2),
                "Learning-disability health check clinic",
                "A monthly clinic with hour-long appointments, easy-read invitations and a "
                "phone call to each carer beforehand.",
                ("ld_health_checks_pct",),
                effects=(Effect("ld_health_checks_pct", 14.0, ramp_days=180),),
                cost=Cost(
                    "ld_health_checks",
                    "Easy-read invitations and longer learning-disability appointments",
                    3_200,
                ),
            ),
        ),
        posts=(
            DemoPost(
                "clinical_pharmacist",
                "increased_hours",
                0.2,
                date(2022, 7, 4),
                contract_type="locum",
                spend_category="clinical_staff",
                spend_description="Locum clinical pharmacist, medication reviews (0.2 WTE)",
            ),
            DemoPost(
                "receptionist",
                "new_post",
                1.6,
                date(2023, 3, 20),
                spend_category="non_clinical_staff",
                spend_description="Two part-time receptionists for the 8am phone peak (1.6 WTE)",
                languages="Somali, Urdu, Gujarati",
            ),
            DemoPost(
                "practice_nurse",
                "increased_hours",
                0.3,
                date(2023, 10, 2),
                spend_category="clinical_staff",
                spend_description="Nurse hours, evening and Saturday screening clinics (0.3 WTE)",
            ),
            DemoPost(
                "practice_nurse",
                "upskilling",
                0,
                date(2024, 8, 5),
                note="Two nurses and a healthcare assistant trained in learning-disability "
                "annual health checks.",
                training=Cost(
                    "training", "Learning-disability annual health check training", 1_850
                ),
            ),
        ),
        fillers=(
            "interpreting",
            "womens_health",
            "locum",
            "reception_hours",
            "sms",
            "premises",
            "ecg",
        ),
    ),
    "Z00004": Plan(  # Aylestone: small city practice
        hep_2022=17_600,
        allocation_changes={2026: (0.88, "Down 12%: list size fell after a boundary change")},
        interventions=(
            DemoIntervention(
                date(2023, 6, 5),
                "Online consultation triage pilot",
                "Patients could request an appointment through an online form, triaged by a "
                "care navigator. Phone waits and the face-to-face share did not change "
                "noticeably; most patients still phoned.",
                ("call_answer_time", "calls_abandoned_pct", "face_to_face_pct"),
                cost=Cost(
                    "online_access",
                    "Online consultation tool: set-up and first-year licence",
                    4_800,
                    0.75,
                    ("pcn",),
                    recurrent_total=3_600,
                    recurrent_description="Online consultation tool licence",
                ),
            ),
        ),
        posts=(
            DemoPost(
                "care_navigator",
                "increased_hours",
                0.3,
                date(2023, 5, 2),
                spend_category="extra_hours",
                spend_description="Extra care navigator hours to triage online requests (0.3 WTE)",
            ),
        ),
        fillers=("locum", "nurse_hours", "bp_monitors", "training", "sms"),
    ),
    "Z00005": Plan(  # Wigston Lane: middle deprivation, suburb
        hep_2022=24_800,
        allocation_changes={
            2024: (1.19, "Up 19%: a new housing estate's patients counted in the formula"),
        },
        interventions=(
            DemoIntervention(
                date(2023, 2, 1),
                "Clinical pharmacist sessions for long-term-condition reviews",
                "Two sessions a week of a clinical pharmacist doing structured medication "
                "reviews for people with diabetes, hypertension and asthma.",
                ("qof_achievement", "appointments_attended"),
                effects=(
                    Effect("qof_achievement", 2.5, ramp_days=365),
                    Effect("appointments_attended", 1.03, relative=True, ramp_days=60),
                ),
            ),
            DemoIntervention(
                date(2025, 1, 13),
                "New phone menu with option to book online",
                "A shorter phone menu offering a text link to book online. Waits and "
                "abandoned calls stayed much as they were.",
                ("call_answer_time", "calls_abandoned_pct"),
                cost=Cost("telephony", "Phone menu redesign and recording", 1_200),
            ),
        ),
        posts=(
            DemoPost(
                "clinical_pharmacist",
                "increased_hours",
                0.2,
                date(2023, 2, 1),
                contract_type="locum",
                spend_category="clinical_staff",
                spend_description="Locum clinical pharmacist sessions for LTC reviews (0.2 WTE)",
            ),
            DemoPost(
                "administrator",
                "new_post",
                0.4,
                date(2024, 6, 3),
                hep_share_pct=50,
                spend_category="non_clinical_staff",
                spend_description="Recall administrator for long-term-condition reviews (0.4 WTE)",
                other_sources=("gms",),
            ),
        ),
        fillers=("ltc", "nurse_hours", "bp_monitors", "training"),
    ),
    "Z00006": Plan(),  # Birstall: not in the HEP; monitors anyway
    "Z00007": Plan(  # Loughborough Road: deprived town-centre practice
        hep_2022=57_300,
        overspend_year=2024,
        interventions=(
            DemoIntervention(
                date(2022, 11, 1),
                "Text-message FFT after every appointment",
                "Every patient gets a Friends and Family Test text after an appointment, "
                "instead of the paper box at reception.",
                ("fft_responses", "fft_positive_pct"),
                effects=(Effect("fft_responses", 4.0, relative=True, ramp_days=45),),
                cost=Cost(
                    "it_digital",
                    "Text-message FFT: set-up and first year's credits",
                    2_100,
                    recurrent_total=1_900,
                    recurrent_description="Text-message credits for FFT and reminders",
                ),
            ),
            DemoIntervention(
                date(2023, 10, 2),
                "Social prescriber for isolated older patients",
                "A social prescriber links lonely and isolated older patients with community "
                "groups. No visible change in the survey or home visits yet.",
                ("gpps_overall_experience", "home_visits"),
            ),
            DemoIntervention(
                date(2024, 3, 4),
                "Care navigator team with call-back queue",
                "A team of care navigators answers the phones from 8am and calls patients "
                "back in queue order, instead of the receptionists juggling the desk.",
                ("call_answer_time", "calls_abandoned_pct", "gpps_overall_experience"),
                effects=(
                    Effect("call_answer_time", 0.62, relative=True, ramp_days=45),
                    Effect("gpps_overall_experience", 3.0, ramp_days=365),
                ),
            ),
        ),
        posts=(
            DemoPost(
                "administrator",
                "upskilling",
                0,
                date(2022, 10, 17),
                note="Trained to run the text-message FFT and its monthly report.",
                training=Cost("training", "Text messaging and FFT reporting training", 650),
            ),
            DemoPost(
                "social_prescriber",
                "new_post",
                1.0,
                date(2023, 10, 2),
                contract_type="fixed_term",
                hep_share_pct=40,
                spend_category="non_clinical_staff",
                spend_description="Social prescriber (1.0 WTE, fixed term), part ARRS-funded",
                ends_on=date(2025, 9, 30),
                other_sources=("arrs",),
            ),
            DemoPost(
                "care_navigator",
                "new_post",
                1.5,
                date(2024, 3, 4),
                spend_category="non_clinical_staff",
                spend_description="Care navigator team (1.5 WTE)",
                languages="Polish, Urdu",
            ),
        ),
        fillers=("locum", "interpreting", "reception_hours", "training", "housebound"),
    ),
    "Z00008": Plan(  # Oakham: affluent market town, not in the HEP; monitors anyway
        interventions=(
            DemoIntervention(
                date(2024, 3, 11),
                "Switched to cloud telephony",
                "Moved to the national cloud telephony framework (core-funded), with call-back.",
                ("call_answer_time", "calls_abandoned_pct"),
                effects=(Effect("call_answer_time", 0.85, relative=True),),
            ),
        ),
    ),
    "Z00009": Plan(  # Melton Vale: county town, just inside the under-funded half
        hep_2022=6_150,
        allocation_changes={2023: (0.86, "Down 14% in the formula's first annual refresh")},
        interventions=(
            DemoIntervention(
                date(2024, 9, 16),
                "Proactive housebound reviews by HCA",
                "A healthcare assistant visits housebound patients for annual checks, "
                "bloods and vaccinations.",
                ("home_visits",),
                effects=(Effect("home_visits", 1.6, relative=True, ramp_days=90),),
            ),
        ),
        posts=(
            DemoPost(
                "hca",
                "increased_hours",
                0.15,
                date(2024, 9, 16),
                spend_category="housebound_care",
                spend_description="Healthcare assistant hours for housebound reviews (0.15 WTE)",
            ),
        ),
        fillers=("housebound", "locum", "bp_monitors", "training"),
    ),
    "Z00010": Plan(),  # Wolds Village: affluent rural, not in the HEP; monitors anyway
}


# Loading -------------------------------------------------------------------------------


@cache
def _template() -> ChecklistTemplate:
    template = load_template(TEMPLATE_PATH)
    _check_plans(template)
    return template


def load_demo_records(session: Session, *, today: date) -> dict[str, int]:
    """Add demo records to each demo practice that has none yet; return counts by kind.

    A practice that already has figures, allocations, spending, staffing changes or
    interventions of any kind is left entirely alone. Commits once, at the end; each
    practice's records have one audit event ("Demo data: 651 figures, ... loaded").
    Records for a period that ended before `today` come out the same whatever `today`
    is, so a demo reloaded later only gains the newer periods.
    """
    template = _template()
    added = dict.fromkeys(KINDS, 0)
    for ods in PRACTICE_CODES:
        practice = organisations.find_practice(session, ods)
        if practice is None or _has_records(session, practice.id):
            continue
        counts = _load_practice(session, practice, PLANS.get(ods, Plan()), template, today)
        for kind, count in counts.items():
            added[kind] += count
    session.commit()
    return added


KINDS = ("metric_value", "hep_allocation", "intervention", "staffing_change", "spend_item")
RECORD_MODELS = (MetricValue, HepAllocation, Intervention, StaffingChange, SpendItem)


def _has_records(session: Session, practice_id: int) -> bool:
    return any(
        session.exec(select(model.id).where(model.practice_id == practice_id).limit(1)).first()
        is not None
        for model in RECORD_MODELS
    )


def _rng(practice: Practice, *stream: int) -> np.random.Generator:
    """A generator for one practice and one purpose, so each stream is stable on its own."""
    return np.random.default_rng([SEED, int(practice.ods_code[1:]), *stream])


def _load_practice(
    session: Session, practice: Practice, plan: Plan, template: ChecklistTemplate, today: date
) -> dict[str, int]:
    interventions = [i for i in plan.interventions if i.occurred_on <= today]
    intervention_rows = [
        Intervention(
            practice_id=practice.id,
            occurred_on=i.occurred_on,
            title=i.title,
            description=i.description,
            affected_items=_in_template_order(i.affected_items, template),
        )
        for i in interventions
    ]
    staffing = list(_staffing(practice.id, plan, today))
    allocations = [] if plan.hep_2022 is None else _allocations(practice, plan, today)
    with records.adding(
        session,
        user=None,
        summary="Demo data: {added} loaded",
        object_type="demo_data",
        object_id=practice.id,
        commit=False,
    ) as additions:
        additions.add(list(_figures(practice, plan, interventions, template, today)))
        additions.add([*intervention_rows, *(row for _, row in staffing), *allocations])
        if allocations:
            # Added after the rows above, which now have the ids these link to.
            spending = _spending(
                practice,
                plan,
                allocations,
                list(zip(interventions, intervention_rows, strict=True)),
                staffing,
                today,
            )
            additions.add(spending)
    return {kind: additions.counts.get(kind, 0) for kind in KINDS}


def _in_template_order(item_ids: tuple[str, ...], template: ChecklistTemplate) -> list[str]:
    return [item.id for item in template.items if item.id in item_ids]


# Figures -------------------------------------------------------------------------------


def _periods(frequency: Frequency, today: date) -> list[Period]:
    """Every period from the start of the baseline year to well beyond `today`.

    Figures are drawn for all of them and only the complete ones kept, so the random
    draws for a given period never depend on `today`.
    """
    last_fy = max(HORIZON_FY, financial_year_of(today))
    period = Period(frequency, FIRST_YEAR, 1)
    periods = []
    while period.fy <= last_fy:
        periods.append(period)
        period = period.next()
    return periods


class _Lift:
    """How far the practice's interventions have moved each item in a given period."""

    def __init__(self, interventions: list[DemoIntervention]) -> None:
        self.effects: dict[str, list[tuple[date, Effect]]] = {}
        for intervention in interventions:
            for effect in intervention.effects:
                self.effects.setdefault(effect.item_id, []).append(
                    (intervention.occurred_on, effect)
                )

    def __call__(self, item_id: str, period: Period, value: float) -> float:
        for occurred_on, effect in self.effects.get(item_id, []):
            progress = min(max((period.end - occurred_on).days / effect.ramp_days, 0.0), 1.0)
            if effect.relative:
                value *= 1 + (effect.change - 1) * progress
            else:
                value += effect.change * progress
        return value


@dataclass(frozen=True)
class _Levels:
    """A practice's baseline levels, from its deprivation, list size and rurality."""

    wait: float
    abandon_offset: float
    calls_per_head: float
    appointments_per_head: float
    face_to_face: float
    home_visits: float
    fft_positive: float
    fft_per_thousand: float
    cervical: float
    bowel: float
    breast: float
    mmr: float
    ld: float
    leavers: float
    gpps: float
    qof: float


def _levels(practice: Practice, plan: Plan) -> _Levels:
    rng = _rng(practice, 0)
    affluence = (practice.imd_decile - 1) / 9  # 0 = most deprived, 1 = least
    need = 1 - affluence
    rural = practice.rurality == "rural"
    size = practice.list_size
    jitter = rng.normal  # small differences between otherwise similar practices
    levels = {
        "wait": (85 + 195 * need**1.3) * math.exp(jitter(0, 0.08)),
        "abandon_offset": jitter(0, 0.4),
        "calls_per_head": 0.37 + 0.21 * need + jitter(0, 0.015),
        "appointments_per_head": 0.43 + 0.06 * affluence + 0.03 * rural + jitter(0, 0.012),
        "face_to_face": 54 + 5 * rural + 3 * affluence + jitter(0, 1.5),
        "home_visits": size / 1000 * (0.9 + 0.5 * rural + rng.uniform(0, 0.3)),
        "fft_positive": 79 + 13 * affluence + jitter(0, 1.2),
        "fft_per_thousand": rng.uniform(4.0, 8.5),
        "cervical": 60 + 17 * affluence + jitter(0, 1.0),
        "bowel": 52 + 21 * affluence + jitter(0, 1.0),
        "breast": 58 + 17 * affluence + jitter(0, 1.0),
        "mmr": 84 + 10 * affluence + jitter(0, 1.0),
        "ld": 60 + 16 * affluence + jitter(0, 3.0),
        "leavers": 0.5 + size / 12_000,
        "gpps": 61 + 26 * affluence + jitter(0, 2.0),
        "qof": 90 + 7 * affluence + jitter(0, 0.8),
    }
    levels.update(plan.levels)
    return _Levels(**levels)


def _figures(
    practice: Practice,
    plan: Plan,
    interventions: list[DemoIntervention],
    template: ChecklistTemplate,
    today: date,
) -> Iterator[MetricValue]:
    levels = _levels(practice, plan)
    lift = _Lift(interventions)
    values: dict[Frequency, Iterator[tuple[str, Period, float]]] = {
        Frequency.MONTHLY: _monthly(practice, levels, lift, today),
        Frequency.QUARTERLY: _quarterly(practice, levels, lift, today),
        Frequency.ANNUAL: _annual(practice, levels, lift, today),
    }
    for frequency, series in values.items():
        last = Period.latest_complete(today, frequency)
        for item_id, period, value in series:
            if period.start <= last.start:
                yield _figure(practice, template, item_id, period, value)


def _figure(
    practice: Practice, template: ChecklistTemplate, item_id: str, period: Period, value: float
) -> MetricValue:
    """A figure rounded as the item's type reads, within its valid range."""
    item = template.items_by_id[item_id]
    if item.min is not None:
        value = max(value, item.min)
    if item.max is not None:
        value = min(value, item.max)
    number = round(value, 1) if item.type is ItemType.PERCENT else round(value)
    return MetricValue(
        practice_id=practice.id,
        item_id=item_id,
        frequency=period.frequency.value,
        period_code=period.code,
        period_start=period.start,
        value_number=float(number),
        template_id=template.id,
        template_version=template.version,
        source=SOURCE,
    )


def _monthly(practice: Practice, levels: _Levels, lift: _Lift, today: date):
    rng = _rng(practice, 1)
    size = practice.list_size
    for index, period in enumerate(_periods(Frequency.MONTHLY, today)):
        month = period.start.month - 1
        years = index / 12
        backlog = 1 + 0.06 * max(0.0, 1 - years)  # 2021/22 was still catching up on COVID
        noise = rng.normal(0, 1, size=6)  # one per figure drawn below, and a spare
        missed_month = rng.random() < 0.03  # never got round to recording it
        fft_missing = rng.random() < 0.05  # FFT not submitted that month

        wait = levels.wait * WAIT_SEASON[month] * backlog * math.exp(0.08 * noise[0])
        wait = max(lift("call_answer_time", period, wait), 8)
        # Callers give up more the longer they wait.
        abandoned = (1.0 + 0.045 * wait + levels.abandon_offset) * math.exp(0.07 * noise[1])
        calls = size * levels.calls_per_head * CALL_SEASON[month] * (1 + 0.012 * years)
        calls *= math.exp(0.035 * noise[2])
        appointments = size * levels.appointments_per_head * APPOINTMENT_SEASON[month]
        appointments *= (1 + 0.02 * years) * math.exp(0.03 * noise[3])
        face_to_face = levels.face_to_face + 12 * (1 - math.exp(-index / 10)) + 1.2 * noise[4]
        visits = lift("home_visits", period, levels.home_visits * HOME_VISIT_SEASON[month])
        visits = rng.poisson(max(visits, 0.0))
        expected = lift("fft_responses", period, levels.fft_per_thousand * size / 1000)
        responses = int(rng.poisson(expected))
        chance = min(max(lift("fft_positive_pct", period, levels.fft_positive) / 100, 0.0), 1.0)
        positive = rng.binomial(responses, chance)
        if missed_month:
            continue
        yield "call_answer_time", period, wait
        yield "calls_abandoned_pct", period, lift("calls_abandoned_pct", period, abandoned)
        yield "inbound_calls", period, lift("inbound_calls", period, calls)
        yield "appointments_attended", period, lift("appointments_attended", period, appointments)
        yield "face_to_face_pct", period, lift("face_to_face_pct", period, face_to_face)
        yield "home_visits", period, visits
        if responses and not fft_missing:
            yield "fft_responses", period, responses
            yield "fft_positive_pct", period, positive / responses * 100


def _quarterly(practice: Practice, levels: _Levels, lift: _Lift, today: date):
    rng = _rng(practice, 2)
    # Coverage counts several years of screening, so it moves slowly and its noise
    # carries over from one quarter to the next.
    drift = np.zeros(3)
    year_end_ld = 0.0
    for index, period in enumerate(_periods(Frequency.QUARTERLY, today)):
        drift = 0.6 * drift + rng.normal(0, 0.45, size=3)
        if period.number == 1:
            year_end_ld = levels.ld + rng.normal(0, 4)
        # Learning-disability health checks count up through each financial year.
        ld = min(lift("ld_health_checks_pct", period, year_end_ld), 96)
        ld *= LD_CUMULATIVE[period.number] * math.exp(rng.normal(0, 0.05))
        values = {
            "cervical_screening_pct": levels.cervical - 0.12 * index + drift[0],
            "bowel_screening_pct": levels.bowel + 0.2 * index + drift[1],
            # Breast screening was still recovering from the pause in the pandemic.
            "breast_screening_pct": levels.breast - 3 * max(0.0, 1 - index / 8) + drift[2],
            "childhood_immunisation_pct": min(levels.mmr + rng.normal(0, 1.6), 97.5),
            "ld_health_checks_pct": ld,
        }
        missing = rng.random(size=len(values)) < 0.03  # not recorded that quarter
        leavers = rng.poisson(levels.leavers)
        for (item_id, value), skip in zip(values.items(), missing, strict=True):
            if not skip:
                is_ld = item_id == "ld_health_checks_pct"
                yield item_id, period, value if is_ld else lift(item_id, period, value)
        yield "staff_leavers", period, leavers


def _annual(practice: Practice, levels: _Levels, lift: _Lift, today: date):
    rng = _rng(practice, 3)
    for period in _periods(Frequency.ANNUAL, today):
        gpps = levels.gpps + GPPS_YEAR_SHIFT.get(period.fy, -1.5) + rng.normal(0, 1.5)
        qof = min(levels.qof + rng.normal(0, 1.0), 99.0)
        yield "gpps_overall_experience", period, lift("gpps_overall_experience", period, gpps)
        yield "qof_achievement", period, min(lift("qof_achievement", period, qof), 99.6)


# Allocations, staffing and spending ----------------------------------------------------


def _money(amount: float) -> Decimal:
    return Decimal(f"{amount:.2f}").quantize(PENNY, rounding=ROUND_HALF_UP)


def _day_in(rng: np.random.Generator, first: date, last: date) -> date:
    if last <= first:
        return first
    return first + timedelta(days=int(rng.integers(0, (last - first).days + 1)))


def _allocations(practice: Practice, plan: Plan, today: date) -> list[HepAllocation]:
    rng = _rng(practice, 4)
    rows = []
    amount = float(plan.hep_2022)
    for fy in range(HEP_FIRST_YEAR, financial_year_of(today) + 1):
        usual_change = float(np.clip(rng.normal(1.03, 0.03), 0.95, 1.09))
        received_on = _day_in(rng, date(fy, 4, 20), date(fy, 6, 28))
        note = ""
        if fy in plan.allocation_changes:
            factor, note = plan.allocation_changes[fy]
            amount *= factor
        elif fy > HEP_FIRST_YEAR:
            amount *= usual_change
        amount = min(max(amount, ALLOCATION_RANGE[0]), ALLOCATION_RANGE[1])
        rows.append(
            HepAllocation(
                practice_id=practice.id,
                financial_year=fy,
                amount=_money(amount),
                # Paid in the first quarter: this year's may be known but not yet paid.
                received_on=received_on if received_on < today else None,
                note=note,
            )
        )
    return rows


def _staffing(
    practice_id: int, plan: Plan, today: date
) -> Iterator[tuple[DemoPost, StaffingChange]]:
    for post in plan.posts:
        if post.starts_on > today:
            continue
        yield (
            post,
            StaffingChange(
                practice_id=practice_id,
                role=post.role,
                change_type=post.change_type,
                wte_change=_money(post.wte),
                starts_on=post.starts_on,
                ends_on=post.ends_on,
                contract_type=post.contract_type,
                hep_share_pct=_money(post.hep_share_pct),
                languages=post.languages,
                note=post.note,
            ),
        )
        if post.left_on is not None and post.left_on <= today:
            yield (
                post,
                StaffingChange(
                    practice_id=practice_id,
                    role=post.role,
                    change_type="post_ended",
                    wte_change=_money(-post.wte),
                    starts_on=post.left_on,
                    contract_type=post.contract_type,
                    hep_share_pct=_money(post.hep_share_pct),
                    note=post.ended_note,
                ),
            )


def _spending(
    practice: Practice,
    plan: Plan,
    allocations: list[HepAllocation],
    interventions: list[tuple[DemoIntervention, Intervention]],
    staffing: list[tuple[DemoPost, StaffingChange]],
    today: date,
) -> list[SpendItem]:
    """Each year's spending, its HEP share adding up to roughly the year's allocation."""
    rows = []
    for allocation in allocations:
        fy = allocation.financial_year
        rng = _rng(practice, 5, fy)
        year_start = date(fy, 4, 1)
        latest = min(date(fy + 1, 3, 31), today)
        items = [
            *_staffing_spend(staffing, fy, today),
            *_intervention_spend(interventions, fy),
        ]
        ratio = 1.045 if fy == plan.overspend_year else rng.uniform(0.84, 0.98)
        target = float(allocation.amount) * ratio
        committed = sum(item.hep for item in items)
        if committed > target * 0.92:
            # More than this year's HEP covers: core funding picks up the rest.
            scale = target * 0.92 / committed
            for item in items:
                item.hep *= scale
                item.other_sources = (*item.other_sources, "gms")
            committed = target * 0.92
        items.extend(_fillers(plan, target - committed, year_start, latest, rng))
        for item in items:
            item.spent_on = min(max(item.spent_on, year_start), latest)
            rows.append(_spend_row(practice.id, item))
    return rows


@dataclass
class _Spend:
    spent_on: date
    category: str
    description: str
    total: float
    hep: float
    other_sources: tuple[str, ...]
    recurrence: str
    staffing_change_id: int | None = None
    intervention_id: int | None = None


def _staffing_spend(
    staffing: list[tuple[DemoPost, StaffingChange]], fy: int, today: date
) -> Iterator[_Spend]:
    for post, change in staffing:
        if change.change_type == "post_ended":
            continue
        training = post.training
        if training is not None and financial_year_of(post.starts_on) == fy:
            yield _Spend(
                post.starts_on,
                training.category,
                training.description,
                training.total,
                training.total * training.hep_share,
                training.other_sources,
                "one_off",
                staffing_change_id=change.id,
            )
        if pay := _pay_in_year(post, fy, today):
            yield _Spend(
                post.starts_on,
                post.spend_category,
                post.spend_description,
                pay,
                pay * post.hep_share_pct / 100,
                post.other_sources,
                "recurrent",
                staffing_change_id=change.id,
            )


def _pay_in_year(post: DemoPost, fy: int, today: date) -> float:
    """What the post cost in the financial year, for the part of it the post was filled."""
    if post.wte <= 0:
        return 0.0
    last_day = post.ends_on
    if post.left_on is not None and post.left_on <= today:
        last_day = post.left_on
    first = max(post.starts_on, date(fy, 4, 1))
    last = min(last_day or date(fy + 1, 3, 31), date(fy + 1, 3, 31))
    if last < first:
        return 0.0
    share_of_year = ((last - first).days + 1) / 365
    return post.wte * PAY_2022[post.role] * (1 + PAY_RISE) ** (fy - 2022) * share_of_year


def _intervention_spend(
    interventions: list[tuple[DemoIntervention, Intervention]], fy: int
) -> Iterator[_Spend]:
    for intervention, row in interventions:
        cost = intervention.cost
        if cost is None:
            continue
        started = financial_year_of(intervention.occurred_on)
        if started == fy:
            total = cost.total
            description = cost.description
            recurrence = "one_off"
        elif started < fy and cost.recurrent_total:
            total = cost.recurrent_total * (1 + PAY_RISE) ** (fy - started - 1)
            description = cost.recurrent_description
            recurrence = "recurrent"
        else:
            continue
        yield _Spend(
            intervention.occurred_on,
            cost.category,
            description,
            total,
            total * cost.hep_share,
            cost.other_sources,
            recurrence,
            intervention_id=row.id,
        )


def _fillers(
    plan: Plan, remainder: float, first: date, last: date, rng: np.random.Generator
) -> Iterator[_Spend]:
    """A few items whose HEP shares add up to `remainder`."""
    if remainder <= 0 or not plan.fillers:
        return
    order = [FILLERS[name] for name in rng.permutation(plan.fillers)]
    left = remainder
    amounts: list[tuple[Filler, float]] = []
    for filler in [f for f in order if f.unit_cost is None][: int(rng.integers(1, 3))]:
        hep = min(rng.uniform(filler.low, filler.high) * filler.hep_share, left * 0.5)
        amounts.append((filler, hep))
        left -= hep
    for filler in [f for f in order if f.unit_cost is not None]:
        if left < 1:
            break
        hep = min(rng.uniform(0.5, 1.0) * filler.high * filler.hep_share, left)
        amounts.append((filler, hep))
        left -= hep
    if not amounts:
        return
    # Anything still left tops up every item in proportion.
    spread = 1 + left / sum(hep for _, hep in amounts)
    for filler, hep in amounts:
        total = hep * spread / filler.hep_share
        yield _Spend(
            _day_in(rng, first, last),
            filler.category,
            filler.describe(total),
            total,
            hep * spread,
            filler.other_sources,
            filler.recurrence,
        )


def _spend_row(practice_id: int, item: _Spend) -> SpendItem:
    total, hep = _money(item.total), _money(item.hep)
    hep = min(hep, total)
    sources = [s for s in FUNDING_ORDER if s in item.other_sources] if hep < total else []
    if hep < total and not sources:
        sources = ["gms"]
    return SpendItem(
        practice_id=practice_id,
        spent_on=item.spent_on,
        category=item.category,
        description=item.description[:200],
        total_cost=total,
        hep_amount=hep,
        other_sources=sources,
        recurrence=item.recurrence,
        staffing_change_id=item.staffing_change_id,
        intervention_id=item.intervention_id,
    )


# Consistency with the template --------------------------------------------------------


def _check_plans(template: ChecklistTemplate) -> None:
    """Fail loudly if a plan names something the template does not have."""
    items = set(template.items_by_id)
    categories = {c.id for c in template.spending_categories}
    sources = {s.id for s in template.funding_sources} - {"hep"}
    roles = {r.id for r in template.staffing_roles}
    change_types = {c.id for c in template.staffing_change_types}
    problems = []
    if set(FUNDING_ORDER) != sources:
        problems.append(f"funding sources {sorted(sources)} differ from {FUNDING_ORDER}")
    for filler in FILLERS.values():
        if filler.category not in categories or not set(filler.other_sources) <= sources:
            problems.append(f"filler {filler.description!r}")
    for ods, plan in PLANS.items():
        for intervention in plan.interventions:
            named = set(intervention.affected_items) | {e.item_id for e in intervention.effects}
            if not named <= items:
                problems.append(f"{ods} {intervention.title!r}: {sorted(named - items)}")
            cost = intervention.cost
            if cost and (cost.category not in categories or not set(cost.other_sources) <= sources):
                problems.append(f"{ods} {intervention.title!r}: cost")
        for post in plan.posts:
            if post.role not in roles or post.change_type not in change_types:
                problems.append(f"{ods} {post.role} {post.change_type}")
            if post.wte > 0 and (
                post.spend_category not in categories or post.role not in PAY_2022
            ):
                problems.append(f"{ods} {post.role}: spending category or pay")
            if post.training is not None and post.training.category not in categories:
                problems.append(f"{ods} {post.role}: training category")
            if not set(post.other_sources) <= sources:
                problems.append(f"{ods} {post.role}: funding sources")
        for name in plan.fillers:
            if name not in FILLERS:
                problems.append(f"{ods}: unknown filler {name!r}")
    if problems:
        raise ValueError("Demo record plans do not match the template: " + "; ".join(problems))
