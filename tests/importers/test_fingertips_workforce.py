"""The Fingertips indicator export (GP practices) and the General Practice Workforce
practice-level "high level" CSV.

Fingertips is tested on the real IMD 2019 excerpt in tests/fixtures/opendata/ (a file of
indicator 93553 stays with the Fingertips IMD reader) and on synthetic exports built here
with the real excerpt's 27-column header. No real practice-level workforce file is in the
repository, so the workforce files are synthetic, built from the published header. Every
synthetic file's name starts "synthetic-"; its practices and figures are fictional.
"""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from monitor.importers import datasets
from monitor.importers.datasets import fingertips_indicators, workforce
from monitor.importers.published import Refused, read_published
from tests.published_files import GPAD_REAL, OPENDATA, csv_bytes, real

FINGERTIPS_REAL = "fingertips_93553_imd2019_gp_excerpt.csv"


def figures_of(extract, code: str) -> dict[str, float | None]:
    return {f.measure: f.value for f in extract.figures if f.ods_code == code}


def figure(extract, code: str, measure: str, period: str | None = None):
    return next(
        f
        for f in extract.figures
        if f.ods_code == code and f.measure == measure and period in (None, f.period)
    )


def problems(refused: pytest.ExceptionInfo[Refused]) -> list[str]:
    return [str(p) for p in refused.value.problems]


# Fingertips indicator export -----------------------------------------------------------------

FT_HEADINGS = next(csv.reader(io.StringIO((OPENDATA / FINGERTIPS_REAL).read_text("utf-8"))))
CERVICAL = ("93725", "Females, 25-49, attending cervical screening within target period "
            "(3.5 year coverage, %)", "Female", "25-49 yrs")  # fmt: skip
BOWEL = ("92600", "Persons, 60-74, screened for bowel cancer in last 30 months "
         "(2.5 year coverage, %)", "Persons", "60-74 yrs")  # fmt: skip
BREAST = ("94063", "Breast screening coverage aged 53 to 70 years", "Female", "53-70 yrs")


def ft_row(indicator, code, value, *, period="2023/24", area_type="GPs", name="SYNTHETIC SURGERY",
           lower="", upper="", count="", denominator="", time_range="1y", category_type="",
           sex=None, age=None):  # fmt: skip
    """A row of the Fingertips export, in the real header's 27 columns."""
    number, indicator_name, indicator_sex, indicator_age = indicator
    cells = dict.fromkeys(FT_HEADINGS, "")
    cells.update({
        "Indicator ID": number, "Indicator Name": indicator_name, "Parent Code": "E38000051",
        "Parent Name": "NHS Leicester, Leicestershire and Rutland ICB - 03W",
        "Area Code": code, "Area Name": name, "Area Type": area_type,
        "Sex": sex or indicator_sex, "Age": age or indicator_age,
        "Category Type": category_type, "Time period": period, "Value": value,
        "Lower CI 95.0 limit": lower, "Upper CI 95.0 limit": upper, "Count": count,
        "Denominator": denominator, "Time period range": time_range,
    })  # fmt: skip
    return [cells[h] for h in FT_HEADINGS]


def england(indicator, value, **kw):
    return ft_row(indicator, "E92000001", value, area_type="England", name="England", **kw)


def fingertips_export(rows, *, name="synthetic-fingertips-screening.csv", kind=None):
    return datasets.read(read_published(name, csv_bytes([FT_HEADINGS, *rows])), kind=kind)


def screening_rows():
    return [
        england(CERVICAL, "68.7"),
        england(CERVICAL, "68.7"),  # the export repeats England
        ft_row(CERVICAL, "E54000015", "70.1", area_type="ICBs", name="LLR ICB"),
        ft_row(CERVICAL, "U30213", "71.4", area_type="PCNs", name="CROSS COUNTIES PCN"),
        ft_row(
            CERVICAL, "C82001", "72.5", lower="70.1", upper="74.8", count="1450", denominator="2000"
        ),  # fmt: skip
        ft_row(CERVICAL, "C82002", "", count="", denominator="40"),  # suppressed
        england(BOWEL, "71.8"),
        ft_row(
            BOWEL, "C82001", "64.25", lower="62.0", upper="66.4", count="1285", denominator="2000"
        ),  # fmt: skip
        ft_row(
            BOWEL, "C82002", "58.0", lower="50.2", upper="65.4", count="58", denominator="100"
        ),  # fmt: skip
        ft_row(BREAST, "C82001", "70.0", area_type="GP", count="700", denominator="1000"),
    ]


def test_real_imd_excerpt_stays_with_the_imd_reader_and_is_not_claimed_here():
    file = real(FINGERTIPS_REAL)
    assert not fingertips_indicators.recognise(file)
    assert datasets.recognise(file).key == "fingertips_imd"
    with pytest.raises(Refused) as refused:
        datasets.read(file, kind="fingertips")
    assert problems(refused) == [
        "The file does not have the layout of the Fingertips indicator export (GP practices). "
        "This looks like the Fingertips export of indicator 93553 (IMD 2019 score)"
    ]


def test_synthetic_export_with_93553_and_other_indicators_is_the_imd_readers_alone():
    rows = [next(csv.reader(io.StringIO(line))) for line in
            (OPENDATA / FINGERTIPS_REAL).read_text("utf-8").splitlines()[1:]]  # fmt: skip
    data = csv_bytes([FT_HEADINGS, *rows, *screening_rows()])
    file = read_published("synthetic-fingertips-mixed.csv", data)
    assert [d.key for d in datasets.datasets() if d.recognise(file)] == ["fingertips_imd"]
    assert datasets.read(file).skipped["another indicator"] == len(screening_rows())


def test_synthetic_screening_export_gives_each_practice_its_coverage_with_limits_and_counts():
    extract = fingertips_export(screening_rows())
    assert (extract.source, extract.period, extract.as_of) == (
        "fingertips",
        "2023-24",
        date(2023, 4, 1),
    )
    assert extract.description == "Fingertips indicator export (GP practices), 2023/24"
    assert extract.measures == {
        "indicator_93725": CERVICAL[1],
        "indicator_92600": BOWEL[1],
        "indicator_94063": BREAST[1],
    }
    assert figures_of(extract, "C82001") == {
        "indicator_93725": 72.5,
        "indicator_92600": 64.25,
        "indicator_94063": 70.0,
    }
    cervical = figure(extract, "C82001", "indicator_93725")
    assert (cervical.period, cervical.lower, cervical.upper) == ("2023-24", 70.1, 74.8)
    assert (cervical.count, cervical.denominator, cervical.row) == (1450, 2000, 6)
    bowel = figure(extract, "C82002", "indicator_92600")
    assert (bowel.value, bowel.lower, bowel.upper, bowel.count) == (58.0, 50.2, 65.4, 58)


def test_a_blank_fingertips_value_is_not_published_never_zero():
    extract = fingertips_export(screening_rows())
    suppressed = figure(extract, "C82002", "indicator_93725")
    assert (suppressed.value, suppressed.count, suppressed.denominator) == (None, None, 40)


def test_england_and_other_areas_and_breakdowns_are_passed_over_and_counted():
    rows = [
        *screening_rows(),
        ft_row(CERVICAL, "C82001", "60.0", category_type="GP deprivation deciles (IMD2019)"),
        ft_row(CERVICAL, "E38000051", "69.0", area_type="Sub-ICBs", name="LLR SUB ICB"),
    ]
    extract = fingertips_export(rows)
    assert dict(extract.skipped) == {
        "not a GP practice (England)": 3,
        "not a GP practice (ICBs)": 1,
        "not a GP practice (PCNs)": 1,
        "not a GP practice (Sub-ICBs)": 1,
        "a breakdown of a practice's figure (Category Type set)": 1,
    }
    assert extract.rows_read == 5
    assert {f.ods_code for f in extract.figures} == {"C82001", "C82002"}


@pytest.mark.parametrize(
    ("period", "time_range", "code", "starts"),
    [
        ("2023/24", "1y", "2023-24", date(2023, 4, 1)),
        ("2023/24 Q1", "3m", "2023-24-q1", date(2023, 4, 1)),
        ("2023/24 Q3", "3m", "2023-24-q3", date(2023, 10, 1)),
        ("2023/24 Q4", "3m", "2023-24-q4", date(2024, 1, 1)),  # January to March 2024
        ("2024 Q1", "3m", "2023-24-q4", date(2024, 1, 1)),  # a calendar quarter: the same
        ("2024 Q2", "3m", "2024-25-q1", date(2024, 4, 1)),
        ("Mar 2024", "1m", "2024-03", date(2024, 3, 1)),
        ("March 2024", "1m", "2024-03", date(2024, 3, 1)),
        ("2023/24", "", "2023-24", date(2023, 4, 1)),  # no range: the period says it
    ],
)
def test_fingertips_time_periods_are_the_nhs_periods_they_cover(period, time_range, code, starts):
    extract = fingertips_export([ft_row(CERVICAL, "C82001", "72.5", period=period,
                                        time_range=time_range)])  # fmt: skip
    assert figure(extract, "C82001", "indicator_93725").period == code
    assert (extract.period, extract.as_of) == (code, starts)
    assert not extract.notes


def test_a_calendar_year_is_placed_in_the_financial_year_starting_that_april_with_a_note():
    extract = fingertips_export([ft_row(CERVICAL, "C82001", "72.5", period="2019")])
    assert figure(extract, "C82001", "indicator_93725").period == "2019-20"
    assert extract.notes == [
        "Calendar years (2019) are not NHS periods: each was placed in the financial year "
        "that starts in its April (2019 in 2019/20)."
    ]


def test_one_export_of_several_indicators_and_periods_gives_each_and_dates_the_latest():
    rows = [
        ft_row(CERVICAL, "C82001", "70.0", period="2022/23"),
        ft_row(CERVICAL, "C82001", "72.5", period="2023/24"),
        ft_row(BOWEL, "C82001", "63.0", period="2023/24 Q3", time_range="3m"),
        ft_row(BOWEL, "C82001", "64.0", period="2023/24 Q4", time_range="3m"),
    ]
    extract = fingertips_export(rows)
    periods = {(f.measure, f.period): f.value for f in extract.figures}
    assert periods == {
        ("indicator_93725", "2022-23"): 70.0,
        ("indicator_93725", "2023-24"): 72.5,
        ("indicator_92600", "2023-24-q3"): 63.0,
        ("indicator_92600", "2023-24-q4"): 64.0,
    }
    assert (extract.period, extract.as_of) == ("2023-24-q4", date(2024, 1, 1))
    assert extract.description == (
        "Fingertips indicator export (GP practices), 2022/23 to 2023/24 Q4"
    )  # named by the periods it covers


def test_an_indicator_given_for_several_sexes_or_ages_gives_a_measure_for_each():
    population = ("337", "GP registered population by sex and quinary age band", "Male",
                  "0-4 yrs")  # fmt: skip
    rows = [
        ft_row(population, "C82001", "3.1", sex="Male", age="0-4 yrs"),
        ft_row(population, "C82001", "2.9", sex="Female", age="0-4 yrs"),
        ft_row(CERVICAL, "C82001", "72.5"),
    ]
    extract = fingertips_export(rows)
    assert figures_of(extract, "C82001") == {
        "indicator_337_male_0_4_yrs": 3.1,
        "indicator_337_female_0_4_yrs": 2.9,
        "indicator_93725": 72.5,
    }
    assert extract.measures["indicator_337_female_0_4_yrs"] == (
        "GP registered population by sex and quinary age band (Female, 0-4 yrs)"
    )


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (ft_row(CERVICAL, "C82003", "12a"), "Row 12, column “Value”: “12a” is not a number"),
        (ft_row(CERVICAL, "C82003", "72.5", count="-4"),
         "Row 12, column “Count”: is negative; a count cannot be"),
        (ft_row(CERVICAL, "C8200", "72.5"), "Row 12, column “Area Code”: “C8200” is not a "
         "practice code"),
        (ft_row(CERVICAL, "C82003", "72.5", period="2019/20 - 21/22", time_range="3y"),
         "Row 12, column “Time period”: “2019/20 - 21/22” is not a time period the service "
         "can place in an NHS month, quarter or financial year"),
        (ft_row(CERVICAL, "C82003", "72.5", period="2023/25"),
         "Row 12, column “Time period”: “2023/25” is not a time period the service can place "
         "in an NHS month, quarter or financial year"),
        (ft_row(CERVICAL, "C82003", "72.5", time_range="3m"),
         "Row 12, column “Time period range”: “3m” is not the range of the time period "
         "“2023/24” (a year is 1y)"),
        (ft_row(CERVICAL, "C82001", "71.0"),
         "Row 12, column “Area Code”: C82001 is listed again for indicator 93725, 2023/24, "
         "Female, 25-49 yrs (first on row 6)"),
    ],
)  # fmt: skip
def test_a_malformed_fingertips_row_refuses_the_whole_file_naming_row_and_column(row, expected):
    with pytest.raises(Refused) as refused:
        fingertips_export([*screening_rows(), row], name="synthetic-fingertips-malformed.csv")
    assert problems(refused) == [expected]


def test_a_fingertips_export_with_no_practice_rows_says_so():
    with pytest.raises(Refused) as refused:
        fingertips_export([england(CERVICAL, "68.7"), ft_row(CERVICAL, "E54000015", "70.1",
                                                             area_type="ICBs")])  # fmt: skip
    assert problems(refused) == [
        "has no rows for GP practices (Area Type “GP”): export the indicators for GP practices"
    ]


def test_the_fingertips_reader_given_another_dataset_says_what_it_looks_like():
    with pytest.raises(Refused) as refused:
        datasets.read(real(GPAD_REAL), kind="fingertips")
    assert problems(refused) == [
        "The file does not have the layout of the Fingertips indicator export (GP practices). "
        "This looks like the GP appointments (GPAD) practice-level crosstab"
    ]


# General Practice Workforce, practice level ---------------------------------------------------

WF_HEADINGS = ["PRAC_CODE", "PRAC_NAME", "STAFF_GROUP", "DETAILED_STAFF_ROLE", "MEASURE", "VALUE"]
WF_NAME = "synthetic-3 General Practice – October 2025 Practice Level - High level.csv"


def wf_rows():
    """Two practices' rows as NHS England publishes them: each job role, then each staff
    group's Total, FTE and headcount."""
    one = ("C82001", "SYNTHETIC SURGERY, TOWN")  # a comma in the name: a quoted field
    two = ("C82002", "SECOND SYNTHETIC SURGERY")
    return [
        [*one, "GP", "Partner/Provider", "FTE", "2.5"],
        [*one, "GP", "Partner/Provider", "Headcount", "3"],
        [*one, "GP", "Salaried By Practice", "FTE", "0.75"],
        [*one, "GP", "Salaried By Practice", "Headcount", "1"],
        [*one, "GP", "GP in Training Grade ST3", "FTE", "1"],
        [*one, "GP", "GP in Training Grade ST3", "Headcount", "1"],
        [*one, "GP", "Total", "FTE", "4.25"],
        [*one, "GP", "Total", "Headcount", "4"],  # one partner is also a trainer: 4, not 5
        [*one, "Nurses", "Practice Nurse", "FTE", "1.6"],
        [*one, "Nurses", "Advanced Nurse Practitioner", "FTE", "0.8"],
        [*one, "Nurses", "Total", "FTE", "2.4"],
        [*one, "Direct Patient Care", "Clinical Pharmacist", "FTE", "0.5"],
        [*one, "Direct Patient Care", "Healthcare Assistant", "FTE", "1.5"],
        [*one, "Direct Patient Care", "Total", "FTE", "2"],
        [*one, "Admin/Non-Clinical", "Receptionist", "FTE", "5.2"],
        [*one, "Admin/Non-Clinical", "Practice Manager", "FTE", "1"],
        [*one, "Admin/Non-Clinical", "Total", "FTE", "6.2"],
        [*two, "GP", "Partner/Provider", "FTE", "1"],  # no Total rows: the roles are added
        [*two, "GP", "Salaried By Practice", "FTE", "0.5"],
        [*two, "GP", "Partner/Provider", "Headcount", "1"],
        [*two, "Nurses", "Practice Nurse", "FTE", "NA"],  # no valid data for the group
        [*two, "Nurses", "Total", "FTE", "NA"],
        [*two, "Direct Patient Care", "Total", "FTE", "0"],  # none employed: 0 is 0
        [*two, "Admin/Non-Clinical", "Receptionist", "FTE", "ND"],
        [*two, "Admin/Non-Clinical", "Practice Manager", "FTE", "1"],
    ]


def workforce_both_ways(tmp_path, rows, *, name=WF_NAME, encoding="utf-8-sig", kind=None):
    """The CSV read from disk (streamed, as an import reads it) and as an upload's cells:
    both must say the same."""
    data = csv_bytes([WF_HEADINGS, *rows], encoding=encoding)
    path = tmp_path / name
    path.write_bytes(data)
    from_disk = datasets.read_path(path, kind=kind)
    uploaded = datasets.read(read_published(name, data), kind=kind)
    assert from_disk.figures == uploaded.figures
    assert (from_disk.rows_read, from_disk.skipped, from_disk.notes) == (
        uploaded.rows_read,
        uploaded.skipped,
        uploaded.notes,
    )
    return from_disk


def workforce_refused(tmp_path, rows, *, name=WF_NAME, headings=WF_HEADINGS) -> list[str]:
    """What both ways of reading a broken file say (the same, or the test fails)."""
    data = csv_bytes([headings, *rows], encoding="utf-8-sig")
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(Refused) as from_disk:
        datasets.read_path(path)
    with pytest.raises(Refused) as uploaded:
        datasets.read(read_published(name, data))
    assert problems(from_disk) == problems(uploaded)
    return problems(from_disk)


def test_synthetic_workforce_file_with_a_bom_gives_each_practices_staff_for_the_month(tmp_path):
    extract = workforce_both_ways(tmp_path, wf_rows())
    assert (extract.source, extract.period, extract.as_of) == (
        "workforce",
        "2025-10",
        date(2025, 10, 1),
    )
    assert extract.description == "General Practice Workforce (practice level), October 2025"
    assert set(extract.measures) == {"gp_fte", "nurse_fte", "dpc_fte", "admin_fte",
                                     "clinical_fte", "gp_headcount"}  # fmt: skip
    assert figures_of(extract, "C82001") == {
        "gp_fte": 4.25,  # the Total row, not the Total and its roles (8.5)
        "nurse_fte": 2.4,
        "dpc_fte": 2.0,
        "admin_fte": 6.2,
        "clinical_fte": pytest.approx(4.25 + 2.4 + 2.0),
        "gp_headcount": 4,  # the Total: the roles' headcounts (5) count a person twice
    }
    assert extract.rows_read == len(wf_rows())
    assert extract.notes == [
        "The file does not say its month (it has no period column): the month (October 2025) "
        f"was taken from its name, “{WF_NAME}”."
    ]


def test_workforce_staff_group_without_a_total_row_adds_its_roles(tmp_path):
    extract = workforce_both_ways(tmp_path, wf_rows())
    second = figures_of(extract, "C82002")
    assert second["gp_fte"] == 1.5  # Partner/Provider + Salaried: no GP Total row
    assert second["gp_headcount"] is None  # roles' headcounts are not people
    assert second["dpc_fte"] == 0  # a published 0 is 0


def test_workforce_na_nd_and_est_are_not_published_never_zero(tmp_path):
    rows = [*wf_rows(), ["C82003", "THIRD SURGERY", "GP", "Total", "FTE", "EST"],
            ["C82003", "THIRD SURGERY", "GP", "Total", "Headcount", "est"]]  # fmt: skip
    extract = workforce_both_ways(tmp_path, rows)
    second = figures_of(extract, "C82002")
    assert second["nurse_fte"] is None  # NA
    assert second["admin_fte"] is None  # a role ND: the group's total is not known
    assert second["clinical_fte"] is None  # nurses not known
    third = figures_of(extract, "C82003")
    assert (third["gp_fte"], third["gp_headcount"], third["nurse_fte"]) == (None, None, None)
    assert (
        "2 figures were marked EST (estimated) rather than published for the practice: "
        "recorded as not published."
    ) in extract.notes


def test_workforce_read_from_disk_and_as_an_upload_in_windows_1252_say_the_same(tmp_path):
    rows = [[*row[:1], "CAFÉ SURGERY", *row[2:]] for row in wf_rows()]
    plain = workforce_both_ways(tmp_path, rows, name="synthetic-gpw-utf8-october-2025.csv")
    windows = workforce_both_ways(
        tmp_path, rows, name="synthetic-gpw-cp1252-october-2025.csv", encoding="cp1252"
    )
    assert windows.figures == plain.figures


@pytest.mark.parametrize("heading", ["PERIOD", "SNAPSHOT_DATE"])
def test_a_workforce_file_with_a_period_column_reads_its_month_from_it(tmp_path, heading):
    month = {"PERIOD": "202511", "SNAPSHOT_DATE": "30/11/2025"}[heading]
    data = csv_bytes([[*WF_HEADINGS, heading], *[[*row, month] for row in wf_rows()]])
    path = tmp_path / "synthetic-gpw-with-a-period.csv"
    path.write_bytes(data)
    for extract in (datasets.read_path(path), datasets.read(read_published(path.name, data))):
        assert (extract.period, extract.notes) == ("2025-11", [])


def test_a_workforce_file_saying_no_month_is_refused(tmp_path):
    assert workforce_refused(tmp_path, wf_rows(), name="synthetic-gpw.csv") == [
        "does not say which month it describes: it has no period column and its name names "
        "no month (as NHS England names it, “3 General Practice – October 2025 Practice Level "
        "- High level.csv”)"
    ]


def test_a_workforce_file_of_two_months_is_refused_naming_the_row(tmp_path):
    rows = [[*row, "202510"] for row in wf_rows()]
    rows[4][-1] = "202511"
    assert workforce_refused(tmp_path, rows, headings=[*WF_HEADINGS, "PERIOD"]) == [
        "Row 6, column “PERIOD”: is for November 2025 but the rows above are for October "
        "2025: a file holds one month"
    ]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda rows: rows[2].__setitem__(5, "12a"),
         "Row 4, column “VALUE”: “12a” is not a number"),
        (lambda rows: rows[2].__setitem__(5, "-1"),
         "Row 4, column “VALUE”: is negative; staff cannot be"),
        (lambda rows: rows[3].pop(), "Row 5: has 5 fields; the header has 6"),
        (lambda rows: rows[1].__setitem__(0, "C8200"),
         "Row 3, column “PRAC_CODE”: “C8200” is not a practice code"),
        (lambda rows: rows.append(["C82001", "SYNTHETIC SURGERY", "GP", "Total", "FTE", "4"]),
         "Row 27, column “DETAILED_STAFF_ROLE”: C82001 is listed again with a FTE Total for "
         "staff group “gp” (first on row 8)"),
    ],
)  # fmt: skip
def test_a_malformed_workforce_row_refuses_the_whole_file_naming_the_row(tmp_path, edit, expected):
    rows = wf_rows()
    edit(rows)
    assert workforce_refused(tmp_path, rows) == [expected]


def test_workforce_rows_of_no_practice_and_unread_groups_are_counted(tmp_path):
    rows = [
        *wf_rows(),
        ["UNALLOCATED", "UNALLOCATED", "GP", "Total", "FTE", "12"],
        ["TOTAL", "ENGLAND", "GP", "Total", "FTE", "37000"],
        ["C82001", "SYNTHETIC SURGERY, TOWN", "Other", "Total", "FTE", "1"],
        ["C82001", "SYNTHETIC SURGERY, TOWN", "GP", "Total", "Hours", "150"],
        ["Z99999", "A SURGERY NO ICB HAS", "GP", "Total", "FTE", "2"],
    ]
    extract = workforce_both_ways(tmp_path, rows)
    assert dict(extract.skipped) == {
        "not one practice (“UNALLOCATED”)": 1,
        "national total (“TOTAL”)": 1,
        "staff group “other” (not one the service reads)": 1,
        "measure “hours” (not one the service reads)": 1,
    }
    assert figures_of(extract, "Z99999")["gp_fte"] == 2  # kept: the import counts it
    assert figures_of(extract, "C82001")["gp_fte"] == 4.25


def test_a_workforce_total_of_zero_contradicted_by_its_roles_is_kept_and_noted(tmp_path):
    rows = wf_rows()
    rows[6][5] = "0"  # C82001's GP Total FTE
    extract = workforce_both_ways(tmp_path, rows)
    assert figures_of(extract, "C82001")["gp_fte"] == 0
    assert extract.notes[-1] == (
        "For 1 practice a staff group's FTE Total is 0 while its roles add up to more: the "
        "published Total is used."
    )


def test_the_workforce_reader_given_another_dataset_says_what_it_looks_like(tmp_path):
    with pytest.raises(Refused) as uploaded:
        datasets.read(real(GPAD_REAL), kind="workforce")
    with pytest.raises(Refused) as from_disk:
        datasets.read_path(OPENDATA / GPAD_REAL, kind="workforce")
    assert (
        problems(uploaded)
        == problems(from_disk)
        == [
            "The file does not have the layout of the General Practice Workforce, practice level. "
            "This looks like the GP appointments (GPAD) practice-level crosstab"
        ]
    )
    path = tmp_path / WF_NAME
    path.write_bytes(csv_bytes([WF_HEADINGS, *wf_rows()], encoding="utf-8-sig"))
    with pytest.raises(Refused) as refused:
        datasets.read_path(path, kind="fingertips")
    assert problems(refused) == [
        "The file does not have the layout of the Fingertips indicator export (GP practices). "
        "This looks like the General Practice Workforce, practice level"
    ]


# Exactly one dataset for each file ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "key"),
    [
        (WF_NAME, csv_bytes([WF_HEADINGS, *wf_rows()], encoding="utf-8-sig"), "workforce"),
        ("synthetic-fingertips-screening.csv", csv_bytes([FT_HEADINGS, *screening_rows()]),
         "fingertips"),
        (FINGERTIPS_REAL, (OPENDATA / FINGERTIPS_REAL).read_bytes(), "fingertips_imd"),
        ("synthetic-fingertips-header-only.csv", csv_bytes([FT_HEADINGS]), None),
    ],
)  # fmt: skip
def test_exactly_one_dataset_recognises_each_file(tmp_path, name, data, key):
    file = read_published(name, data)
    claimed = [d.key for d in datasets.datasets() if d.recognise(file)]
    assert claimed == ([key] if key else [])
    if key:
        assert datasets.recognise(file).key == key
    path = tmp_path / name
    path.write_bytes(data)
    line = datasets.first_line(path)
    streamed = [
        d.key for d in datasets.datasets() if d.recognise_header and d.recognise_header(line)
    ]
    assert streamed == (["workforce"] if key == "workforce" else [])
    assert workforce.recognise_header(line) is (key == "workforce")
