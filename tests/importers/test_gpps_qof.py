"""The annual readers: GP Patient Survey practice results and QOF achievement.

QOF is tested on NHS Digital's real achievement template and indicator mapping excerpt
(tests/fixtures/opendata/) and both on synthetic variants built from the published
headers (tests/published_gpps_qof.py; file names start "synthetic-"). Every file is read
both ways, as `monitor import` reads it (streamed from disk) and as an upload (cells),
and both must say the same: figures, rows passed over, notes, or the same problems.
"""

from __future__ import annotations

import csv
import io
import random
from collections import defaultdict
from datetime import date

import pytest

from monitor.importers import datasets
from monitor.importers.datasets import gpps, qof
from monitor.importers.datasets.gpps import COMPARABILITY
from monitor.importers.datasets.qof import POINTS_AVAILABLE, financial_year_in
from monitor.importers.published import Refused, read_published
from tests.published_files import GPAD_REAL, OPENDATA, real
from tests.published_gpps_qof import (
    GPPS_IDENTIFIERS,
    GPPS_QUESTIONS,
    QOF_HEADINGS,
    gpps_2024,
    gpps_before_2024,
    gpps_row,
    qof_achievement,
    qof_indicator,
)

QOF_TEMPLATE = "qof_achievement_template_NHSDigital.csv"
QOF_MAPPING = "qof_indicator_mapping_excerpt_NHSDigital.csv"
QOF_PREVALENCE = "qof_prevalence_template_NHSDigital.csv"
GPPS_NAME = "synthetic-GPPS_2025_Practice_data_(weighted)_(csv)_PUBLIC.csv"
QOF_NAME = "synthetic-ACHIEVEMENT_2324.csv"


def figures_of(extract, code: str) -> dict[str, float | None]:
    return {f.measure: f.value for f in extract.figures if f.ods_code == code}


def problems(refused: pytest.ExceptionInfo[Refused]) -> list[str]:
    return [str(p) for p in refused.value.problems]


def both_ways(tmp_path, data: bytes, name: str, kind=None):
    """The file read from disk (streamed) and as an upload's cells: both must agree."""
    path = tmp_path / name
    path.write_bytes(data)
    from_disk = datasets.read_path(path, kind=kind)
    uploaded = datasets.read(read_published(name, data), kind=kind)
    assert from_disk.figures == uploaded.figures
    assert (from_disk.rows_read, from_disk.skipped) == (uploaded.rows_read, uploaded.skipped)
    assert (from_disk.period, from_disk.as_of, from_disk.notes, from_disk.measures) == (
        uploaded.period,
        uploaded.as_of,
        uploaded.notes,
        uploaded.measures,
    )
    return from_disk


def refused_both_ways(tmp_path, data: bytes, name: str, kind=None) -> list[str]:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(Refused) as from_disk:
        datasets.read_path(path, kind=kind)
    with pytest.raises(Refused) as uploaded:
        datasets.read(read_published(name, data), kind=kind)
    assert problems(from_disk) == problems(uploaded)
    return problems(from_disk)


# GP Patient Survey, 2024 onwards ------------------------------------------------------------


def gpps_rows():
    return [
        gpps_row("C82001"),
        gpps_row("C82002", received="45", overall="0.7", phone="0.35"),
    ]


def test_gpps_2024_onwards_gives_overall_experience_phone_ease_and_responses(tmp_path):
    extract = both_ways(tmp_path, gpps_2024(gpps_rows()), GPPS_NAME)
    assert (extract.source, extract.period, extract.as_of) == ("gpps", "2024-25", date(2024, 4, 1))
    assert extract.description == "GP Patient Survey 2025, practice results"
    assert set(extract.measures) == {
        "responses", "overall_experience_good_pct", "contact_phone_easy_pct"
    }  # fmt: skip
    assert figures_of(extract, "C82001") == {
        "responses": 120,
        "overall_experience_good_pct": 85.0,  # the published fraction 0.85 as a percentage
        "contact_phone_easy_pct": 60.0,
    }
    assert figures_of(extract, "C82002") == {
        "responses": 45,
        "overall_experience_good_pct": 70.0,
        "contact_phone_easy_pct": 35.0,
    }
    assert extract.rows_read == 2 and not extract.skipped
    assert extract.notes == [
        "The file has no year column: the survey year (2025, describing 2024/25) was taken "
        f"from its name, “{GPPS_NAME}”."
    ]


@pytest.mark.parametrize(
    ("year", "period"), [(2024, "2023-24"), (2025, "2024-25"), (2026, "2025-26")]
)
def test_the_survey_of_a_year_describes_the_financial_year_its_fieldwork_ends(
    tmp_path, year, period
):
    name = f"synthetic-GPPS_{year}_Practice_data_(weighted)_(csv)_PUBLIC.csv"
    extract = both_ways(tmp_path, gpps_2024(gpps_rows()), name)
    assert extract.period == period
    assert extract.as_of == date(year - 1, 4, 1)


def test_a_gpps_year_column_says_the_year_whatever_the_file_is_named(tmp_path):
    extract = both_ways(tmp_path, gpps_2024(gpps_rows(), year=2024), GPPS_NAME)
    assert extract.period == "2023-24"
    assert extract.notes == []


def test_a_gpps_file_of_two_survey_years_is_refused(tmp_path):
    rows = [gpps_row("C82001"), {**gpps_row("C82002"), "year": "2025"}]
    assert refused_both_ways(tmp_path, gpps_2024(rows, year=2024), GPPS_NAME) == [
        "holds more than one survey year (2024, 2025); read one year at a time"
    ]


def test_a_gpps_file_with_no_year_in_a_column_or_its_name_is_refused(tmp_path):
    data = gpps_2024(gpps_rows())
    assert refused_both_ways(tmp_path, data, "synthetic-gpps-practice-data.csv") == [
        "does not say which year's survey it is: it has no year column and its name names "
        "no one year (as in “GPPS_2025_Practice_data_(weighted)_(csv)_PUBLIC.csv”)"
    ]


def test_suppressed_gpps_results_are_not_published_never_zero(tmp_path):
    rows = [
        gpps_row("C82001", overall="-99", phone="-97"),  # fewer than 10 answered
        gpps_row("C82002", phone=""),
        gpps_row("C82003", received="-99", overall="-98", phone="-99"),
        gpps_row("C82004", overall="0", phone="0.0"),  # published: none said good
    ]
    extract = both_ways(tmp_path, gpps_2024(rows), GPPS_NAME)
    assert figures_of(extract, "C82001") == {
        "responses": 120,
        "overall_experience_good_pct": None,
        "contact_phone_easy_pct": None,
    }
    assert figures_of(extract, "C82002")["contact_phone_easy_pct"] is None
    assert figures_of(extract, "C82002")["overall_experience_good_pct"] == 85.0
    assert set(figures_of(extract, "C82003").values()) == {None}
    assert figures_of(extract, "C82004") == {
        "responses": 120,
        "overall_experience_good_pct": 0.0,
        "contact_phone_easy_pct": 0.0,
    }


def test_the_national_width_of_the_gpps_file_is_streamed_to_the_same_figures(tmp_path):
    """The national file has ~1,100 columns: only those read are taken from each row."""
    narrow = both_ways(tmp_path, gpps_2024(gpps_rows()), GPPS_NAME)
    wide = both_ways(tmp_path, gpps_2024(gpps_rows(), wider=1100), "synthetic-GPPS_2025_w.csv")
    assert wide.figures == narrow.figures


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8-sig"])
def test_a_gpps_file_in_windows_1252_or_with_a_bom_reads_the_same(tmp_path, encoding):
    rows = [gpps_row("C82001", name="Café Surgery"), gpps_row("C82002")]
    plain = both_ways(tmp_path, gpps_2024(rows), "synthetic-GPPS_2025_utf8.csv")
    other = both_ways(
        tmp_path, gpps_2024(rows, encoding=encoding), f"synthetic-GPPS_2025_{encoding}.csv"
    )
    assert other.figures == plain.figures


def test_a_gpps_file_without_the_phone_question_gives_no_phone_ease_and_says_so(tmp_path):
    data = gpps_2024(gpps_rows(), drop=("localgpservicesphone.pcteval",))
    extract = both_ways(tmp_path, data, GPPS_NAME)
    assert set(extract.measures) == {"responses", "overall_experience_good_pct"}
    assert extract.notes[-1] == (
        "The file has no column “localgpservicesphone.pcteval”, so it gives no "
        "contact_phone_easy_pct."
    )


def test_a_gpps_file_without_the_overall_experience_question_is_refused(tmp_path):
    data = gpps_2024(gpps_rows(), drop=("overallexp.pcteval",))
    assert refused_both_ways(tmp_path, data, GPPS_NAME) == [
        "Row 1: has no column “overallexp.pcteval”"
    ]


def _short_row():
    row = gpps_row("C82002")
    return [row[h] for h in GPPS_IDENTIFIERS + GPPS_QUESTIONS][:-1]


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (gpps_row("C82002", overall="12a"),
         "Row 3, column “overallexp.pcteval”: “12a” is not a number"),
        (gpps_row("C82002", phone="85"),
         "Row 3, column “localgpservicesphone.pcteval”: 85 is not a fraction 0–1 (0.85 is "
         "85%)"),
        (gpps_row("C82002", received="12.5"),
         "Row 3, column “received”: “12.5” is not a whole number of questionnaires"),
        (gpps_row("C8200"), "Row 3, column “ad_practicecode”: “C8200” is not a practice code"),
        (gpps_row("C82001"),
         "Row 3, column “ad_practicecode”: C82001 is listed again (first on row 2)"),
        (_short_row(), "Row 3: has 21 fields; the header has 22"),
    ],
)  # fmt: skip
def test_a_malformed_gpps_row_refuses_the_whole_file_naming_row_and_column(tmp_path, row, expected):
    data = gpps_2024([gpps_row("C82001"), row, gpps_row("C82003")])
    assert refused_both_ways(tmp_path, data, "synthetic-GPPS_2025_malformed.csv") == [expected]


def test_every_problem_in_a_gpps_file_is_named_at_once(tmp_path):
    rows = [gpps_row("C82001", overall="lots"), gpps_row("C82002"), gpps_row("C82002"),
            gpps_row("C82003", received="n/k")]  # fmt: skip
    assert refused_both_ways(tmp_path, gpps_2024(rows), GPPS_NAME) == [
        "Row 2, column “overallexp.pcteval”: “lots” is not a number",
        "Row 4, column “ad_practicecode”: C82002 is listed again (first on row 3)",
        "Row 5, column “received”: “n/k” is not a number",
    ]


def test_gpps_rows_of_no_practice_are_passed_over_and_counted_and_unknown_codes_kept(tmp_path):
    width = len(GPPS_IDENTIFIERS + GPPS_QUESTIONS)
    rows = [
        gpps_row("ENGLAND", name="ENGLAND"),
        gpps_row("E92000001", name="ENGLAND"),  # as an ONS code
        gpps_row("QK1", name="NHS LEICESTER, LEICESTERSHIRE AND RUTLAND ICB"),  # an ICB's
        gpps_row("Y60", name="MIDLANDS"),  # a region's
        gpps_row("C82001"),
        [""] * width,
        [],
        gpps_row("", name="TOTAL OF THE ROWS ABOVE"),
        gpps_row("Z99999", name="A SURGERY NO ICB HAS"),
    ]
    extract = both_ways(tmp_path, gpps_2024(rows), GPPS_NAME)
    assert extract.skipped == {
        "not one practice (“ENGLAND”)": 1,
        "England, ICB or region total (“E92000001”)": 1,
        "England, ICB or region total (“QK1”)": 1,
        "England, ICB or region total (“Y60”)": 1,
        "blank row": 2,
        "no practice code (a total row)": 1,
    }
    assert extract.rows_read == 2
    assert {f.ods_code for f in extract.figures} == {"C82001", "Z99999"}


def test_a_revised_gpps_file_gives_the_revised_values(tmp_path):
    first = both_ways(tmp_path, gpps_2024(gpps_rows()), "synthetic-GPPS_2025_1.csv")
    rows = gpps_rows()
    rows[0]["overallexp.pcteval"] = "0.9"
    revised = both_ways(tmp_path, gpps_2024(rows), "synthetic-GPPS_2025_2.csv")
    assert revised.period == first.period
    assert figures_of(revised, "C82001")["overall_experience_good_pct"] == 90.0
    assert figures_of(revised, "C82002") == figures_of(first, "C82002")


# GP Patient Survey, up to 2023 ---------------------------------------------------------------


def test_gpps_up_to_2023_is_read_as_its_own_measure_with_a_note_that_it_is_not_comparable(
    tmp_path,
):
    data = gpps_before_2024([("C82001", "150", "0.91"), ("C82002", "40", "-99")])
    name = "synthetic-GPPS_2023_Practice_data_(weighted)_(csv)_PUBLIC.csv"
    extract = both_ways(tmp_path, data, name)
    assert (extract.period, extract.as_of) == ("2022-23", date(2022, 4, 1))
    assert set(extract.measures) == {"responses", "overall_experience_good_pct_before_2024"}
    assert "overall_experience_good_pct" not in {f.measure for f in extract.figures}
    assert figures_of(extract, "C82001") == {
        "responses": 150,
        "overall_experience_good_pct_before_2024": 91.0,
    }
    assert figures_of(extract, "C82002")["overall_experience_good_pct_before_2024"] is None
    assert extract.notes[0] == COMPARABILITY
    assert "not comparable with 2024 onwards" in COMPARABILITY
    assert "taken from its name" in extract.notes[1]


def test_a_malformed_gpps_row_up_to_2023_names_its_row_and_column(tmp_path):
    data = gpps_before_2024([("C82001", "150", "0.91"), ("C82002", "40", "12a")])
    assert refused_both_ways(tmp_path, data, "synthetic-GPPS_2022_malformed.csv") == [
        "Row 3, column “Q28_12pct”: “12a” is not a number"
    ]


# What the GPPS reader is given ----------------------------------------------------------------


def test_the_gpps_reader_given_a_gpad_crosstab_says_what_it_looks_like(tmp_path):
    data = (OPENDATA / GPAD_REAL).read_bytes()
    assert refused_both_ways(tmp_path, data, GPAD_REAL, kind="gpps") == [
        "The file does not have the layout of the GP Patient Survey practice results. This "
        "looks like the GP appointments (GPAD) practice-level crosstab"
    ]


def test_the_qof_reader_given_a_gpps_file_says_it_looks_like_the_survey(tmp_path):
    assert refused_both_ways(tmp_path, gpps_2024(gpps_rows()), GPPS_NAME, kind="qof") == [
        "The file does not have the layout of the Quality and Outcomes Framework achievement. "
        "This looks like the GP Patient Survey practice results"
    ]


# QOF achievement ---------------------------------------------------------------------------------


def qof_rows():
    return [
        *qof_indicator("C82001", "AF001", "5"),
        *qof_indicator("C82001", "AF006", "11.73"),
        *qof_indicator("C82001", "CS005", "7"),
        ["C82002", "AF001", "REGISTER", "30"],  # on a register, no points row
        *qof_indicator("C82003", "AF001", ""),  # points not published
        *qof_indicator("C82003", "AF006", "12"),
        *qof_indicator("C82004", "AF001", "0"),  # published: no points
        *qof_indicator("C82004", "AF006", "0.0"),
    ]


def test_qof_gives_each_practices_points_and_their_share_of_the_years_points(tmp_path):
    extract = both_ways(tmp_path, qof_achievement(qof_rows()), QOF_NAME)
    assert (extract.source, extract.period, extract.as_of) == ("qof", "2023-24", date(2023, 4, 1))
    assert extract.description == "Quality and Outcomes Framework achievement, 2023/24"
    assert set(extract.measures) == {"achieved_points", "achievement_pct"}
    assert figures_of(extract, "C82001") == {
        "achieved_points": 23.73,
        "achievement_pct": pytest.approx(23.73 / 635 * 100),
    }
    assert figures_of(extract, "C82004") == {"achieved_points": 0, "achievement_pct": 0}
    assert extract.rows_read == len(qof_rows())
    assert extract.notes == [
        "The file has no year column: the financial year (2023/24) was taken from its name, "
        f"“{QOF_NAME}”."
    ]
    rows = {f.ods_code: f.row for f in extract.figures}
    assert rows == {"C82001": 2, "C82002": 17, "C82003": 18, "C82004": 28}  # first rows


def test_a_qof_practice_with_a_register_only_or_unpublished_points_has_none_not_zero(tmp_path):
    extract = both_ways(tmp_path, qof_achievement(qof_rows()), QOF_NAME)
    assert figures_of(extract, "C82002") == {"achieved_points": None, "achievement_pct": None}
    assert figures_of(extract, "C82003") == {"achieved_points": None, "achievement_pct": None}


def test_the_real_qof_template_has_every_value_blank_so_nothing_is_published(tmp_path):
    """NHS Digital's template of the raw file (dummy practice A10001), given the name the
    national file has in the year's zip."""
    data = (OPENDATA / QOF_TEMPLATE).read_bytes()
    extract = both_ways(tmp_path, data, "ACHIEVEMENT_2223.csv")
    assert extract.period == "2022-23"
    assert extract.rows_read == 10
    assert figures_of(extract, "A10001") == {"achieved_points": None, "achievement_pct": None}


def test_the_real_qof_template_under_its_own_name_says_no_year_and_is_refused():
    with pytest.raises(Refused) as refused:
        datasets.read(real(QOF_TEMPLATE))
    assert problems(refused) == [
        "does not say which financial year it describes: it has no year column and its "
        "name names no year as NHS Digital names them (as in “ACHIEVEMENT_2324.csv” for "
        "2023-24)"
    ]


def test_a_practice_achieving_every_point_of_the_real_mapping_excerpt_has_them_all(tmp_path):
    mapping = list(csv.DictReader(io.StringIO((OPENDATA / QOF_MAPPING).read_text())))
    rows = [
        row
        for m in mapping
        for row in qof_indicator("C82001", m["INDICATOR_CODE"], m["INDICATOR_POINT_VALUE"])
    ]
    extract = both_ways(tmp_path, qof_achievement(rows), "synthetic-ACHIEVEMENT_2223.csv")
    total = sum(float(m["INDICATOR_POINT_VALUE"]) for m in mapping)
    assert total == 48
    assert figures_of(extract, "C82001") == {
        "achieved_points": 48,
        "achievement_pct": pytest.approx(48 / 635 * 100),
    }


@pytest.mark.parametrize(
    ("name", "label"),
    [("synthetic-ACHIEVEMENT_2425.csv", "2024/25"), ("synthetic-ACHIEVEMENT_1920.csv", "2019/20")],
)
def test_a_qof_year_whose_points_available_are_not_known_gives_points_but_no_share(
    tmp_path, name, label
):
    extract = both_ways(tmp_path, qof_achievement(qof_rows()), name)
    assert figures_of(extract, "C82001") == {"achieved_points": 23.73, "achievement_pct": None}
    assert extract.notes[-1] == (
        f"The points available in {label} are not known here (NHS Digital's indicator "
        "mappings give them for 2021/22, 2022/23, 2023/24), so no practice has an "
        "achievement_pct: its achieved_points are read."
    )


def test_the_points_available_are_nhs_digitals_for_the_years_of_its_mappings():
    assert POINTS_AVAILABLE == {"2021-22": 635, "2022-23": 635, "2023-24": 635}


@pytest.mark.parametrize(
    ("text", "fy"),
    [("ACHIEVEMENT_2324", 2023), ("ACHIEVEMENT_1920", 2019), ("QOF2021_v2", 2020),
     ("2023-24", 2023), ("2022/23", 2022), ("202122", 2021), ("QOF2324", 2023),
     ("qof_achievement_template_NHSDigital", None), ("ACHIEVEMENT_2024", None),
     ("qof_20240829", None)],
)  # fmt: skip
def test_the_financial_year_a_qof_name_or_cell_gives(text, fy):
    assert financial_year_in(text) == fy


def test_a_qof_year_column_says_the_year_whatever_the_file_is_named(tmp_path):
    rows = [[*row, "2022-23"] for row in qof_rows()]
    data = qof_achievement(rows, headings=[*QOF_HEADINGS, "FINANCIAL_YEAR"])
    extract = both_ways(tmp_path, data, QOF_NAME)
    assert extract.period == "2022-23" and extract.notes == []


def test_a_qof_file_of_two_years_or_of_none_is_refused(tmp_path):
    rows = [[*row, "2022-23"] for row in qof_rows()]
    rows[-1][-1] = "2023-24"
    data = qof_achievement(rows, headings=[*QOF_HEADINGS, "FINANCIAL_YEAR"])
    assert refused_both_ways(tmp_path, data, QOF_NAME) == [
        "Column “FINANCIAL_YEAR”: holds more than one financial year; read one year at a time"
    ]
    assert refused_both_ways(tmp_path, qof_achievement(qof_rows()), "synthetic-qof.csv") == [
        "does not say which financial year it describes: it has no year column and its name "
        "names no year as NHS Digital names them (as in “ACHIEVEMENT_2324.csv” for 2023-24)"
    ]


def test_qof_rows_of_other_measures_are_not_read_and_are_no_problem(tmp_path):
    rows = [*qof_rows(), ["C82001", "AF001", "PCA_RATE", "n/k"], ["C82001", "AF001", "X", ""]]
    extract = both_ways(tmp_path, qof_achievement(rows), QOF_NAME)
    assert figures_of(extract, "C82001")["achieved_points"] == 23.73


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda rows: rows[4].__setitem__(3, "12a"),
         "Row 6, column “VALUE”: “12a” is not a number"),
        (lambda rows: rows[1].__setitem__(3, "n/k"),  # a NUMERATOR
         "Row 3, column “VALUE”: “n/k” is not a number"),
        (lambda rows: rows[4].__setitem__(3, "-3"),
         "Row 6, column “VALUE”: is negative; points cannot be"),
        (lambda rows: rows[16].__setitem__(0, "C8200"),
         "Row 18, column “PRACTICE_CODE”: “C8200” is not a practice code"),
        (lambda rows: rows.append(["C82001", "AF001", "ACHIEVED_POINTS", "5"]),
         "Row 38, column “INDICATOR_CODE”: C82001 has ACHIEVED_POINTS for AF001 again (first "
         "on row 6)"),
        (lambda rows: rows[4].__setitem__(3, "700"),
         "Row 2, column “PRACTICE_CODE”: C82001 has 718.73 points, more than the 635 of "
         "2023/24"),
        (lambda rows: rows[4].pop(), "Row 6: has 3 fields; the header has 4"),
    ],
)  # fmt: skip
def test_a_malformed_qof_row_refuses_the_whole_file_naming_the_row(tmp_path, edit, expected):
    rows = qof_rows()
    edit(rows)
    data = qof_achievement(rows)
    assert refused_both_ways(tmp_path, data, "synthetic-ACHIEVEMENT_2324_bad.csv") == [expected]


def test_qof_rows_of_no_practice_are_passed_over_and_counted(tmp_path):
    rows = [
        *qof_rows(),
        ["", "", "", ""],
        ["ENGLAND", "AF001", "ACHIEVED_POINTS", "3000000"],
        ["", "AF001", "REGISTER", "1"],
        *qof_indicator("Z99999", "AF001", "4"),
    ]
    extract = both_ways(tmp_path, qof_achievement(rows), QOF_NAME)
    assert extract.skipped == {
        "blank row": 1,
        "not one practice (“ENGLAND”)": 1,
        "no practice code (a total row)": 1,
    }
    assert figures_of(extract, "Z99999")["achieved_points"] == 4
    assert extract.rows_read == len(qof_rows()) + 5


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8-sig"])
def test_a_qof_file_in_windows_1252_or_with_a_bom_reads_the_same(tmp_path, encoding):
    plain = both_ways(tmp_path, qof_achievement(qof_rows()), "synthetic-ACHIEVEMENT_2324_a.csv")
    other = both_ways(
        tmp_path,
        qof_achievement(qof_rows(), encoding=encoding),
        "synthetic-ACHIEVEMENT_2324_b.csv",
    )
    assert other.figures == plain.figures


@pytest.mark.parametrize("seed", range(6))
def test_qof_totals_are_every_practices_points_read_from_disk_or_as_an_upload(tmp_path, seed):
    """A property over random files (seeded, so a failure can be repeated): streamed in
    blocks or read as cells, each practice's total is its points added up the plain way."""
    chance = random.Random(seed)
    rows, expected = [], defaultdict(float)
    for p in range(chance.randint(1, 40)):
        code = f"C8{p:04d}"
        for i in range(chance.randint(1, 12)):
            points = round(chance.uniform(0, 30), 2)
            expected[code] += points
            rows += qof_indicator(code, f"IND{i:03d}", f"{points:.2f}")
    chance.shuffle(rows)
    extract = both_ways(tmp_path, qof_achievement(rows), f"synthetic-ACHIEVEMENT_2324_{seed}.csv")
    got = {f.ods_code: f.value for f in extract.figures if f.measure == "achieved_points"}
    assert got == pytest.approx(dict(expected))


def test_the_qof_prevalence_file_is_not_taken_for_achievement(tmp_path):
    data = (OPENDATA / QOF_PREVALENCE).read_bytes()
    assert not qof.recognise(real(QOF_PREVALENCE))
    assert refused_both_ways(tmp_path, data, "PREVALENCE_2324.csv", kind="qof") == [
        "The file does not have the layout of the Quality and Outcomes Framework achievement. "
        "This looks like a CSV whose first row is “PRACTICE_CODE, GROUP_CODE, REGISTER, "
        "PATIENT_LIST_TYPE, PRACTICE_LIST_SIZE”, which is not a file the service reads"
    ]


# Found and recognised by content ---------------------------------------------------------------


def test_both_datasets_are_found_among_the_datasets():
    keys = {d.key: d for d in datasets.datasets()}
    assert keys["gpps"] is gpps.DATASET and keys["qof"] is qof.DATASET
    assert gpps.DATASET.title == "GP Patient Survey practice results"
    assert qof.DATASET.title == "Quality and Outcomes Framework achievement"


@pytest.mark.parametrize(
    ("data", "dataset"),
    [
        (gpps_2024(gpps_rows()), gpps.DATASET),
        (gpps_2024(gpps_rows(), wider=1100), gpps.DATASET),
        (gpps_before_2024([("C82001", "150", "0.91")]), gpps.DATASET),
        (qof_achievement(qof_rows()), qof.DATASET),
        ((OPENDATA / QOF_TEMPLATE).read_bytes(), qof.DATASET),
    ],
)
def test_each_file_is_recognised_by_its_content_by_its_dataset_alone(data, dataset):
    file = read_published("synthetic-download.csv", data)  # a name that says nothing
    assert datasets.recognise(file) is dataset  # raises when another also claims it
    line = data.decode("utf-8-sig").splitlines()[0]
    assert [d for d in datasets.datasets() if d.recognise_header and d.recognise_header(line)] == [
        dataset
    ]


OTHER_FILES = sorted(
    p.name for p in OPENDATA.iterdir() if p.suffix in (".csv", ".xlsx") and p.name != QOF_TEMPLATE
)


@pytest.mark.parametrize("name", OTHER_FILES)
def test_neither_dataset_claims_another_datasets_file(name):
    file = real(name)
    assert not gpps.recognise(file) and not qof.recognise(file)
    if file.is_csv:
        line = (OPENDATA / name).read_bytes().decode("utf-8-sig", errors="replace").splitlines()[0]
        assert not gpps.recognise_header(line) and not qof.recognise_header(line)
