"""The ICB's HEP payment schedule (monitor.importers.datasets.hep_schedule), read from
synthetic files: their names start "synthetic-" and their practices are fictional
(Z9999x codes, which no practice has). Every accepted way of writing a year, an amount
and a date; instalments added up and dated by the latest; several years in one file;
each refusal naming its row and column; a missing column; a file of another dataset;
and the layout the page offers to download, read back."""

from __future__ import annotations

from datetime import date

import pytest

from monitor.importers import datasets
from monitor.importers.datasets import hep_schedule
from monitor.importers.published import Refused, read_published
from tests.published_files import FFT_REAL, csv_bytes, real, workbook_bytes

HEADINGS = ["ods_code", "financial_year", "amount", "payment_date"]


def schedule(rows, *, headings=HEADINGS, name="synthetic-hep-schedule.csv"):
    return read_published(name, csv_bytes([headings, *rows]))


def read(rows, **kwargs):
    return datasets.read(schedule(rows, **kwargs))


def figures(extract) -> dict[tuple[str, str], tuple[float, date | None]]:
    return {(f.ods_code, f.period): (f.value, f.on) for f in extract.figures}


def problems(rows, **kwargs) -> list[str]:
    with pytest.raises(Refused) as refused:
        read(rows, **kwargs)
    return [str(p) for p in refused.value.problems]


# What it gives --------------------------------------------------------------------------


def test_one_year_gives_each_practices_allocation_in_pounds_with_its_payment_date():
    extract = read(
        [
            ["Z99991", "2025/26", "48000", "2025-06-30"],
            ["Z99992", "2025/26", "12,500.00", "30/06/2025"],
            ["Z99993", "2025/26", "£390", ""],
        ]
    )
    assert extract.source == "hep_schedule"
    assert figures(extract) == {
        ("Z99991", "2025-26"): (48000.0, date(2025, 6, 30)),
        ("Z99992", "2025-26"): (12500.0, date(2025, 6, 30)),
        ("Z99993", "2025-26"): (390.0, None),
    }
    assert {f.measure for f in extract.figures} == {"allocation"}
    assert extract.measures == {"allocation": "HEP allocation"}
    assert (extract.period, extract.as_of) == ("2025-26", date(2025, 4, 1))
    assert extract.description == "HEP payment schedule, 2025/26"
    assert extract.rows_read == 3
    assert [(f.sheet, f.row) for f in extract.figures] == [("CSV", 2), ("CSV", 3), ("CSV", 4)]
    assert extract.notes == []


@pytest.mark.parametrize("year", ["2025/26", "2025-26", "2025/2026", " 2025 / 26 "])
def test_each_way_of_writing_the_financial_year_is_read(year):
    extract = read([["Z99991", year, "48000", ""]])
    assert figures(extract) == {("Z99991", "2025-26"): (48000.0, None)}


@pytest.mark.parametrize(
    ("amount", "pounds"),
    [
        ("48000", 48000.0),
        ("48,000.00", 48000.0),
        ("£48,000", 48000.0),
        ("£ 48,000.50", 48000.5),
        ("0", 0.0),
        ("1234.567", 1234.57),  # to the penny, as the app's money fields round
    ],
)
def test_each_way_of_writing_an_amount_is_read_in_pounds(amount, pounds):
    extract = read([["Z99991", "2025/26", amount, ""]])
    assert extract.figures[0].value == pounds


@pytest.mark.parametrize("written", ["2025-06-30", "30/06/2025", "30/6/2025"])
def test_each_way_of_writing_the_payment_date_is_read(written):
    extract = read([["Z99991", "2025/26", "48000", written]])
    assert extract.figures[0].on == date(2025, 6, 30)


def test_the_payment_date_column_may_be_left_out():
    extract = read([["Z99991", "2025/26", "48000"]], headings=HEADINGS[:3])
    assert figures(extract) == {("Z99991", "2025-26"): (48000.0, None)}


def test_headings_are_read_whatever_their_case_spaces_underscores_and_order():
    headings = ["Practice name", "Amount", "ODS Code", "PaymentDate", "FINANCIAL_YEAR"]
    extract = read([["Synthetic Surgery", "£48,000", "z99991", "30/06/2025", "2025/26"]],
                   headings=headings)  # fmt: skip
    assert figures(extract) == {("Z99991", "2025-26"): (48000.0, date(2025, 6, 30))}


def test_instalments_for_a_practice_and_year_are_added_up_and_dated_by_the_latest():
    extract = read(
        [
            ["Z99991", "2025/26", "12,000.00", "31/12/2025"],
            ["Z99992", "2025/26", "5,000.00", ""],
            ["Z99991", "2025/26", "12,000.00", "30/06/2025"],
            ["Z99991", "2025-26", "24,000.50", ""],  # no date: the latest dated one counts
            ["Z99992", "2025/26", "5,000.00", ""],
        ]
    )
    assert figures(extract) == {
        ("Z99991", "2025-26"): (48000.5, date(2025, 12, 31)),
        ("Z99992", "2025-26"): (10000.0, None),
    }
    assert [f.row for f in extract.figures] == [2, 3]  # where each first appears
    assert extract.rows_read == 5
    assert extract.notes == [
        "2 practice-years had more than one row: the rows were added up as instalments, "
        "dated by the latest."
    ]


def test_several_years_in_one_file_give_a_figure_for_each_and_the_latest_is_the_period():
    extract = read(
        [
            ["Z99991", "2025/26", "48000", "30/06/2025"],
            ["Z99991", "2023/24", "40000", "30/06/2023"],
            ["Z99991", "2024/25", "45000", "30/06/2024"],
            ["Z99992", "2024/25", "9000", ""],
        ]
    )
    assert figures(extract) == {
        ("Z99991", "2025-26"): (48000.0, date(2025, 6, 30)),
        ("Z99991", "2023-24"): (40000.0, date(2023, 6, 30)),
        ("Z99991", "2024-25"): (45000.0, date(2024, 6, 30)),
        ("Z99992", "2024-25"): (9000.0, None),
    }
    assert (extract.period, extract.as_of) == ("2025-26", date(2025, 4, 1))
    assert extract.description == "HEP payment schedule, 2023/24 to 2025/26"


def test_blank_rows_between_payments_are_passed_over():
    extract = read([["Z99991", "2025/26", "48000", ""], ["", "", "", ""], [],
                    ["Z99992", "2025/26", "9000", ""]])  # fmt: skip
    assert len(extract.figures) == 2 and extract.rows_read == 2


def test_the_first_sheet_of_a_workbook_is_read_as_the_csv_is():
    data = workbook_bytes(
        {
            "Schedule": [
                HEADINGS,
                ["Z99991", "2025/26", 24000, date(2025, 6, 30)],
                ["Z99991", "2025/26", "£24,000.00", "31/12/2025"],
                ["Z99992", "2024-25", 9000.5, None],
            ],
            "Notes": [["Synthetic schedule"], ["ods_code", "amount"]],
        }
    )
    extract = datasets.read(read_published("synthetic-hep-schedule.xlsx", data))
    assert figures(extract) == {
        ("Z99991", "2025-26"): (48000.0, date(2025, 12, 31)),
        ("Z99992", "2024-25"): (9000.5, None),
    }
    assert {f.sheet for f in extract.figures} == {"Schedule"}


# Refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("forty thousand", "“forty thousand” is not an amount of money"),
        ("48k", "“48k” is not an amount of money"),
        ("-500", "“-500” is negative"),
        ("£-48,000", "“£-48,000” is negative"),
        ("", "is blank: enter the amount paid in pounds"),
    ],
)
def test_an_amount_that_is_not_money_negative_or_blank_refuses_the_file(amount, message):
    found = problems([["Z99991", "2025/26", "48000", ""], ["Z99992", "2025/26", amount, ""]])
    assert len(found) == 1
    assert found[0].startswith(f"Row 3, column “amount”: {message}")


@pytest.mark.parametrize("year", ["2025/27", "2025", "25/26", "April 2025", "2025-26-q1", ""])
def test_a_year_that_is_not_a_financial_year_refuses_the_file(year):
    found = problems([["Z99991", year, "48000", ""]])
    assert len(found) == 1
    assert found[0].startswith("Row 2, column “financial_year”: ")
    if year:
        assert f"“{year}” is not a financial year: enter it like 2025/26" in found[0]


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("30 June 2025", "“30 June 2025” is not a date"),
        ("31/02/2025", "31/02/2025 is not a real date"),
        ("06/30/2025", "06/30/2025 looks like a US date"),
    ],
)
def test_a_payment_date_that_is_not_a_date_refuses_the_file(written, message):
    found = problems([["Z99991", "2025/26", "48000", written]])
    assert len(found) == 1
    assert found[0].startswith("Row 2, column “payment_date”: ")
    assert message in found[0]


@pytest.mark.parametrize("code", ["Z9999", "U12345A", "QK1", "12345"])
def test_a_code_that_is_not_a_practice_code_refuses_the_file(code):
    found = problems([["Z99991", "2025/26", "48000", ""], [code, "2025/26", "48000", ""]])
    assert found == [
        f"Row 3, column “ods_code”: “{code}” is not a practice code: a letter and five "
        "digits, like C82001"
    ]


def test_every_problem_in_the_file_is_named_and_nothing_is_given():
    found = problems(
        [
            ["Z99991", "2025/26", "48000", ""],
            ["", "2025/26", "lots", "yesterday"],
            ["Z99993", "2026/28", "100", ""],
        ],
        headings=["ODS Code", "Financial Year", "Amount", "Payment Date"],
    )
    assert found == [
        "Row 3, column “ODS Code”: is blank: enter the practice's ODS code",
        "Row 3, column “Amount”: “lots” is not an amount of money: enter it in pounds, like "
        "48,000.00",
        "Row 3, column “Payment Date”: “yesterday” is not a date: enter it like 30/06/2025 "
        "or 2025-06-30",
        "Row 4, column “Financial Year”: “2026/28” is not a financial year: enter it like 2025/26",
    ]


@pytest.mark.parametrize("missing", ["ods_code", "financial_year", "amount"])
def test_a_missing_required_column_refuses_the_file_naming_it(missing):
    headings = [h for h in HEADINGS if h != missing]
    found = problems([["Z99991", "2025/26", "48000"][: len(headings)]], headings=headings)
    assert found == [
        f"Row 1: has no column headed “{missing}”. The first row must head the columns "
        "ods_code, financial_year and amount (and may head payment_date)"
    ]


def test_a_column_headed_twice_refuses_the_file():
    found = problems([["Z99991", "2025/26", "48000", "100"]],
                     headings=["ods_code", "financial_year", "amount", "Amount"])  # fmt: skip
    assert found == ["Row 1: has 2 columns headed “amount”: keep one"]


def test_a_schedule_with_headings_and_no_payments_is_refused():
    assert problems([]) == ["Row 1: has no payments below its headings"]


# Which file it is ------------------------------------------------------------------------


def test_the_schedule_is_recognised_as_this_dataset_and_no_other():
    found = datasets.recognise(schedule([["Z99991", "2025/26", "48000", ""]]))
    assert found is hep_schedule.DATASET
    assert (found.key, found.title) == ("hep_schedule", "HEP payment schedule")
    claims = [d.key for d in datasets.datasets() if d.recognise(real(FFT_REAL))]
    assert claims == ["fft"]  # and it claims no national file


def test_another_datasets_file_given_as_the_schedule_says_what_it_looks_like():
    with pytest.raises(Refused) as refused:
        datasets.read(real(FFT_REAL), kind="hep_schedule")
    assert str(refused.value) == (
        "The file does not have the layout of the HEP payment schedule. This looks like the "
        "Friends and Family Test GP practice data"
    )


def test_a_schedule_with_headings_of_its_own_is_not_recognised_and_says_what_it_looks_like():
    file = schedule([["Z99991", "2025/26", "48000"]], headings=["practice", "year", "paid"])
    with pytest.raises(Refused) as refused:
        datasets.read(file)
    message = str(refused.value)
    assert message.startswith("This looks like a CSV whose first row is “practice, year, paid”")
    assert "HEP payment schedule" in message  # among the files the service reads


# The layout ------------------------------------------------------------------------------


def test_the_downloadable_layout_is_read_back_by_the_reader():
    data = hep_schedule.layout_csv()
    file = read_published("synthetic-hep-payment-schedule-layout.csv", data)
    assert file.grids["CSV"].rows[0] == [c.heading for c in hep_schedule.COLUMNS]
    assert datasets.recognise(file) is hep_schedule.DATASET
    extract = datasets.read(file)
    assert figures(extract) == {
        ("Z99991", "2025-26"): (48000.0, date(2025, 6, 30)),
        ("Z99992", "2025-26"): (12500.0, None),
    }


def test_the_layout_documents_every_column_the_reader_reads():
    columns = {c.heading: c.required for c in hep_schedule.LAYOUT.columns}
    assert columns == {
        "ods_code": True,
        "financial_year": True,
        "amount": True,
        "payment_date": False,
    }
    for column in hep_schedule.COLUMNS:
        assert column.holds and column.example
    rules = " ".join(hep_schedule.LAYOUT.rules)
    assert "instalments" in rules and "latest instalment's date" in rules
    # Each column's example is what the reader accepts in that column.
    example = [c.example for c in hep_schedule.COLUMNS]
    assert figures(read([example])) == {("Z99991", "2025-26"): (48000.0, date(2025, 6, 30))}
