"""A synthetic England for tests of England beside the ICB: national files of every
dataset behind the ICB's equity page, built in the published layouts from one set of
fictional practices, with every figure worked out here so a test can check the pages
against numbers it computed itself.

England is `PRACTICES` practices, codes Z00001… (fictional), ranked by a synthetic IMD
2019 score so that practice i (0-based) is the (i + 1)th most deprived: its decile is
ceil(10 (i + 1) / PRACTICES), as the Fingertips IMD reader ranks a national export. The
ICB's own practices are a dozen of them (`ICB_INDEXES`), across every decile. List sizes
divide 10,000 into a terminating decimal, so a figure per 10,000 patients is exact.

Each item's published figure falls or rises with deprivation, with a little synthetic
scatter. For two items the ICB's practices are drawn differently from England's, so
that the ICB's gap is clearly narrower (calls answered: flat in the ICB) or clearly wider
(QOF achievement: steep in the ICB) than England's; for every other item they are drawn
like England's, so the gaps are similar. Every file these make is synthetic: name it
"synthetic-…"."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from monitor.core.published import Extract, PublishedFigure
from tests.importers.test_fingertips_workforce import (
    BOWEL,
    BREAST,
    CERVICAL,
    FT_HEADINGS,
    WF_HEADINGS,
    ft_row,
)
from tests.published_files import csv_bytes, gpad_crosstab, gpad_row, registered_patients
from tests.published_gpps_qof import gpps_2024, gpps_row, qof_achievement, qof_indicator

PRACTICES = 5200
"""England's practices in the synthetic files: more than england.NATIONAL_PRACTICES."""
CODES = tuple(f"Z{i + 1:05d}" for i in range(PRACTICES))
ICB_INDEXES = (*(100 + 520 * k for k in range(10)), 300, 4900)
"""The ICB's practices among England's: deciles 1 to 10, and one more in deciles 1 and 10."""
SIZES = (4000, 5000, 8000, 10000, 12500, 16000, 20000)
IMD_2019 = ("93553", "Deprivation score (IMD 2019)", "Persons", "All ages")

MONTH = "2023-11"
SECOND_MONTH = "2023-12"  # telephony only: the ICB's SII period by period
YEAR = "2023-24"  # the GP Patient Survey 2024, QOF 2023-24, Fingertips 2023/24

NARROWER = "calls_answered_pct"
WIDER = "qof_achievement"
SIMILAR = "fft_positive_pct"


def decile(i: int) -> int:
    return math.ceil(10 * (i + 1) / PRACTICES)


def list_size(i: int) -> int:
    return SIZES[i % len(SIZES)]


def scatter(i: int, k: int) -> float:
    """A synthetic scatter in [-1, 1], different for each item `k`."""
    return ((i * (7 + 2 * k) + 3 * k) % 21 - 10) / 10


def in_icb(i: int) -> bool:
    return i in ICB_INDEXES


# --------------------------------------------------------------------------- figures
# Each practice's figure as the item holds it (percentages 0–100, counts, FTE per
# 10,000), worked out from the same numbers the files are written from.


def answered_pct(i: int, month: str = MONTH) -> float:
    lift = 1.5 if month == SECOND_MONTH else 0.0
    if in_icb(i):  # flat across deprivation: the ICB's gap is narrower than England's
        return round(70 + 0.5 * scatter(i, 1) + lift, 1)
    return round(40 + 4 * decile(i) + 2 * scatter(i, 1) + lift, 1)


def missed_pct(i: int, month: str = MONTH) -> float:
    lift = -1.0 if month == SECOND_MONTH else 0.0
    return round(30 - 1.5 * decile(i) + 1.5 * scatter(i, 2) + lift, 1)


def inbound_calls(i: int, month: str = MONTH) -> float:
    lift = 150 if month == SECOND_MONTH else 0
    return float(3000 + 200 * decile(i) + round(300 * scatter(i, 3)) + lift)


def appointments(i: int) -> tuple[int, int, int, int]:
    """(attended, face to face, telephone, home visits)."""
    attended = (800, 1000, 1250, 1600, 2000)[i % 5]
    face = round(attended * (0.40 + 0.02 * decile(i) + 0.03 * scatter(i, 4)))
    home = 5 + decile(i) + i % 4
    return attended, face, attended - face - home, home


def face_to_face_pct(i: int) -> float:
    attended, face, _, _ = appointments(i)
    return face / attended * 100


def fft_positive_pct(i: int) -> float:
    return round(75 + 1.5 * decile(i) + 2 * scatter(i, 5), 1)


def fft_responses(i: int) -> float:
    return float(100 + (i % 50) * 3)


def gpps_pct(i: int) -> float:
    return round(70 + decile(i) + 1.5 * scatter(i, 6), 2)


def qof_pct(i: int) -> float:
    if in_icb(i):  # steep across deprivation: the ICB's gap is wider than England's
        return round(55 + 4 * decile(i) + 0.2 * scatter(i, 7), 2)
    return round(80 + 0.5 * decile(i) + 0.5 * scatter(i, 7), 2)


def cervical_pct(i: int) -> float:
    return round(66 + 1.2 * decile(i) + 1.5 * scatter(i, 8), 1)


def bowel_pct(i: int) -> float:
    return round(58 + 1.5 * decile(i) + 1.5 * scatter(i, 9), 1)


def breast_pct(i: int) -> float:
    return round(62 + decile(i) + 2 * scatter(i, 10), 1)


SCREENING = {  # item: (Fingertips indicator, figure)
    "cervical_screening_coverage": (CERVICAL, cervical_pct),
    "bowel_screening_coverage": (BOWEL, bowel_pct),
    "breast_screening_coverage": (BREAST, breast_pct),
}


def staff(i: int) -> tuple[float, float, float]:
    """(GP, nurse, direct patient care) FTE, to one decimal place."""
    gp = round(2 + 0.1 * decile(i) + 0.5 * scatter(i, 11), 1)
    return gp, round(1.5 + 0.5 * scatter(i, 12), 1), round(1 + 0.3 * scatter(i, 13), 1)


def gp_fte_per_10000(i: int) -> float:
    return staff(i)[0] / list_size(i) * 10000


def clinical_fte_per_10000(i: int) -> float:
    return sum(staff(i)) / list_size(i) * 10000


FIGURES: dict[str, Callable[[int], float]] = {
    "calls_answered_pct": answered_pct,
    "calls_missed_pct": missed_pct,
    "inbound_calls": inbound_calls,
    "appointments_attended": lambda i: float(appointments(i)[0]),
    "face_to_face_pct": face_to_face_pct,
    "home_visits": lambda i: float(appointments(i)[3]),
    "fft_positive_pct": fft_positive_pct,
    "fft_responses": fft_responses,
    "gpps_overall_experience": gpps_pct,
    "qof_achievement": qof_pct,
    **{item: figure for item, (_, figure) in SCREENING.items()},
    "gp_fte_per_10000": gp_fte_per_10000,
    "clinical_fte_per_10000": clinical_fte_per_10000,
}
"""Every national item the synthetic files fill, with each practice's figure (for the
telephony items, November's)."""
TELEPHONY = {"calls_answered_pct": answered_pct, "calls_missed_pct": missed_pct,
             "inbound_calls": inbound_calls}  # fmt: skip
PERIODS = {item: ((MONTH, SECOND_MONTH) if item in TELEPHONY else (MONTH,)) for item in FIGURES}
for _annual in ("gpps_overall_experience", "qof_achievement", *SCREENING):
    PERIODS[_annual] = (YEAR,)


def figure_in(item: str, i: int, period: str) -> float:
    """A practice's figure for one of the item's periods."""
    if item in TELEPHONY:
        return TELEPHONY[item](i, period)
    return FIGURES[item](i)


def figure_over_periods(item: str, i: int) -> float:
    """A practice's figure over the item's periods: the mean of the months, as the ICB's
    views take it."""
    figures = [figure_in(item, i, period) for period in PERIODS[item]]
    return math.fsum(figures) / len(figures)


# --------------------------------------------------------------------------- files


@dataclass(frozen=True)
class NationalFile:
    """One synthetic national file written to disk (or, for Cloud Based Telephony, its
    extract made directly: a national workbook of Tables 3 to 5 is slow to write)."""

    dataset: str
    path: Path | None = None
    extract: Extract | None = None


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def imd_export(folder: Path) -> Path:
    """The Fingertips IMD 2019 export (indicator 93553) for England's practices, with the
    England row the export repeats; scores fall with i, so i's rank is i + 1."""
    rows = [ft_row(IMD_2019, "E92000001", "21.7", area_type="England", name="England",
                   period="2019")]  # fmt: skip
    rows += [
        ft_row(IMD_2019, code, f"{60 - i / 100:.2f}", period="2019", name="SYNTHETIC SURGERY")
        for i, code in enumerate(CODES)
    ]
    return _write(folder, "synthetic-fingertips-93553-england.csv", csv_bytes([FT_HEADINGS, *rows]))


def registered(folder: Path) -> Path:
    sizes = {code: list_size(i) for i, code in enumerate(CODES)}
    data = registered_patients(sizes, extract_date="2023-11-01")
    return _write(folder, "synthetic-gp-reg-pat-prac-all-nov2023.csv", data)


def cbt_extract(month: str, indexes: Sequence[int] = range(PRACTICES)) -> Extract:
    """Cloud Based Telephony's figures for the month, as its reader would give them."""
    year, number = int(month[:4]), int(month[5:])
    name = date(year, number, 1).strftime("%B %Y")
    figures = [
        PublishedFigure(CODES[i], measure, month, value, "Table 3", row)
        for row, i in enumerate(indexes, start=14)
        for measure, value in (
            ("inbound_calls", inbound_calls(i, month)),
            ("answered_pct", answered_pct(i, month)),
            ("missed_pct", missed_pct(i, month)),
        )
    ]
    return Extract(
        source="cbt",
        rank=5,
        filename=f"synthetic-cbt-{month}.xlsx",
        description=f"Cloud Based Telephony, {name} publication",
        as_of=date(year, number, 1),
        rows_read=len(indexes),
        figures=figures,
        measures={
            "inbound_calls": "Inbound calls",
            "answered_pct": "Answered, %",
            "missed_pct": "Missed, %",
        },  # fmt: skip
        period=month,
    )


def gpad(folder: Path, indexes: Sequence[int] = range(PRACTICES)) -> Path:
    rows = []
    for i in indexes:
        _, face, phone, home = appointments(i)
        for mode, count in (("Face-to-Face", face), ("Telephone", phone), ("Home Visit", home)):
            rows.append(gpad_row(CODES[i], count, mode=mode, month="01NOV2023"))
        rows.append(gpad_row(CODES[i], 40, status="DNA", month="01NOV2023"))
    return _write(folder, "synthetic-gpad-practice-crosstab-nov23.csv", gpad_crosstab(rows))


def fft(folder: Path, indexes: Sequence[int] = range(PRACTICES)) -> Path:
    rows = [["gp_code", "fft_responses", "fft_pct_positive", "period"]]
    rows += [
        [CODES[i], f"{fft_responses(i):.0f}", f"{fft_positive_pct(i):.1f}", "202311"]
        for i in indexes
    ]
    return _write(folder, "synthetic-fft-gp-nov23-derived.csv", csv_bytes(rows))


def gpps(folder: Path, indexes: Sequence[int] = range(PRACTICES)) -> Path:
    rows = [gpps_row(CODES[i], overall=f"{gpps_pct(i) / 100:.4f}") for i in indexes]
    return _write(folder, "synthetic-gpps-2024-practice-data.csv", gpps_2024(rows, year=2024))


def qof(folder: Path, indexes: Sequence[int] = range(PRACTICES)) -> Path:
    """QOF 2023-24 achievement: one indicator's points per practice, the year's 635
    points available times the practice's share."""
    rows = [
        row
        for i in indexes
        for row in qof_indicator(CODES[i], "SYN001", f"{qof_pct(i) * 6.35:.4f}")
    ]
    return _write(folder, "synthetic-ACHIEVEMENT_2324.csv", qof_achievement(rows))


def screening(folder: Path, indexes: Sequence[int] = range(PRACTICES)) -> Path:
    rows = []
    for indicator, figure in SCREENING.values():
        rows.append(ft_row(indicator, "E92000001", "68.0", area_type="England", name="England"))
        rows += [ft_row(indicator, CODES[i], f"{figure(i):.1f}") for i in indexes]
    return _write(folder, "synthetic-fingertips-screening-2023-24.csv",
                  csv_bytes([FT_HEADINGS, *rows]))  # fmt: skip


def workforce(folder: Path, indexes: Sequence[int] = range(PRACTICES)) -> Path:
    rows = []
    for i in indexes:
        gp, nurse, dpc = staff(i)
        for group, fte in (("GP", gp), ("Nurses", nurse), ("Direct Patient Care", dpc)):
            rows.append([CODES[i], "SYNTHETIC SURGERY", group, "Total", "FTE", f"{fte:.1f}",
                         "202311"])  # fmt: skip
    data = csv_bytes([[*WF_HEADINGS, "PERIOD"], *rows], encoding="utf-8-sig")
    return _write(folder, "synthetic-gp-workforce-practice-level-nov-2023.csv", data)


def national_files(folder: Path, indexes: Sequence[int] = range(PRACTICES)) -> list[NationalFile]:
    """Every synthetic file of the equity page's national items, for the practices at
    `indexes` (England's, unless told)."""
    return [
        NationalFile("cbt", extract=cbt_extract(MONTH, indexes)),
        NationalFile("cbt", extract=cbt_extract(SECOND_MONTH, indexes)),
        NationalFile("gpad_appointments", gpad(folder, indexes)),
        NationalFile("fft", fft(folder, indexes)),
        NationalFile("gpps", gpps(folder, indexes)),
        NationalFile("qof", qof(folder, indexes)),
        NationalFile("fingertips", screening(folder, indexes)),
        NationalFile("workforce", workforce(folder, indexes)),
    ]
