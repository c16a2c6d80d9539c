"""Synthetic GP Patient Survey and QOF achievement files for tests, built from the
published headers (../shared/opendata/README.md; the QOF layout is also the real
template in tests/fixtures/opendata/). Every file these make is synthetic: fictional
practices with real-looking codes, never real figures; name them "synthetic-…"."""

from __future__ import annotations

from tests.published_files import csv_bytes

GPPS_IDENTIFIERS = [
    "ad_practicecode", "ad_practicename", "ad_icscode", "ad_icsname", "ad_icscodeons",
    "ad_commissioningregioncode", "ad_commissioningregionname", "ad_pcncode", "ad_pcnname",
    "distributed", "received", "resprate", "popsize",
]  # fmt: skip
GPPS_QUESTIONS = [
    "localgpservicesphone_1.pct", "localgpservicesphone_2.pct",
    "localgpservicesphone.pcteval", "localgpservicesphone.lowileval",
    "localgpservicesphone.hiwileval", "overallexp_1.pct", "overallexp_2.pct",
    "overallexp.pcteval", "overallexp.baseevalw",
]  # fmt: skip
LLR = ["QK1", "NHS LEICESTER, LEICESTERSHIRE AND RUTLAND INTEGRATED CARE BOARD", "E54000015",
       "Y60", "MIDLANDS"]  # fmt: skip


def gpps_row(code, *, received="120", overall="0.85", phone="0.6", name="SYNTHETIC SURGERY",
             area=LLR, pcn=("U30213", "CROSS COUNTIES PCN")):  # fmt: skip
    """A 2024-onwards practice row: the fractions as text, as the CSV has them."""
    return {
        "ad_practicecode": code, "ad_practicename": name, "ad_icscode": area[0],
        "ad_icsname": area[1], "ad_icscodeons": area[2],
        "ad_commissioningregioncode": area[3], "ad_commissioningregionname": area[4],
        "ad_pcncode": pcn[0], "ad_pcnname": pcn[1], "distributed": "300",
        "received": received, "resprate": "0.4", "popsize": "9000",
        "localgpservicesphone_1.pct": "0.2", "localgpservicesphone_2.pct": "0.4",
        "localgpservicesphone.pcteval": phone, "localgpservicesphone.lowileval": "0.5",
        "localgpservicesphone.hiwileval": "0.7", "overallexp_1.pct": "0.5",
        "overallexp_2.pct": "0.35", "overallexp.pcteval": overall,
        "overallexp.baseevalw": received,
    }  # fmt: skip


def gpps_2024(rows, *, wider=0, drop=(), year=None, encoding="utf-8") -> bytes:
    """A 2024-onwards practice CSV of `gpps_row` dicts (a list instead of a dict is
    written as it is): `wider` more question columns ("-99" in every row) between the
    identifiers and the questions read, as the national file has some 1,100; the
    headings in `drop` left out; a `year` column when given (a row's own "year" wins)."""
    fillers = [f"q{i:04d}_{j}.pct" for i in range(wider // 3 + 1) for j in (1, 2, 3)][:wider]
    headings = [h for h in GPPS_IDENTIFIERS + fillers + GPPS_QUESTIONS if h not in drop]
    if year is not None:
        headings.append("year")
    body = []
    for row in rows:
        if isinstance(row, list):
            body.append(row)
            continue
        cells = {**dict.fromkeys(fillers, "-99"), "year": str(year), **row}
        body.append([cells[h] for h in headings])
    return csv_bytes([headings, *body], encoding=encoding)


GPPS_BEFORE_2024 = ["Practice_Code", "Practice_Name", "CCG_Code", "CCG_Name", "ICS_Code",
                    "ICS_Name", "distributed", "received", "resprate", "Q28_base",
                    "Q28_1pct", "Q28_2pct", "Q28_12pct"]  # fmt: skip


def gpps_before_2024(rows) -> bytes:
    """An up-to-2023 practice CSV: (code, received, Q28_12pct) rows."""
    body = [
        [code, "SYNTHETIC SURGERY", "03W", "NHS LLR CCG", "QK1", "NHS LLR ICS", "300",
         received, "0.4", received, "0.5", "0.3", good]
        for code, received, good in rows
    ]  # fmt: skip
    return csv_bytes([GPPS_BEFORE_2024, *body])


QOF_HEADINGS = ["PRACTICE_CODE", "INDICATOR_CODE", "MEASURE", "VALUE"]


def qof_indicator(code, indicator, points, *, register="120", numerator="80",
                  denominator="100", pcas="3"):  # fmt: skip
    """The rows NHS Digital publishes for one practice and one indicator."""
    return [
        [code, indicator, "REGISTER", register],
        [code, indicator, "NUMERATOR", numerator],
        [code, indicator, "DENOMINATOR", denominator],
        [code, indicator, "PCAS", pcas],
        [code, indicator, "ACHIEVED_POINTS", points],
    ]


def qof_achievement(rows, *, headings=QOF_HEADINGS, encoding="utf-8") -> bytes:
    return csv_bytes([headings, *rows], encoding=encoding)
