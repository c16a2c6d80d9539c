"""The national monthly readers: Cloud Based Telephony (Tables 3–5), online consultation
submissions (Table 2), the GPAD practice-level crosstab and the Friends and Family Test.

Each is tested on the real excerpt in tests/fixtures/opendata/ and on synthetic variants
made here (their file names start "synthetic-"; the workbook variants are the real
excerpt's every sheet with the cells a test changes): another month; for the datasets
with a CSV form, Windows-1252 and UTF-8 with a byte-order mark; a malformed row, which
refuses the whole file naming its sheet, row and column; "Unassigned" and other rows that
are not a practice (passed over and counted) and codes no ICB knows (kept, so that the
import counts them); suppressed cells (not published: None, never 0); a revised
publication (the same month with other values: the reader gives the new ones; what the
import then changes is tested in tests/services/test_national_data.py); and a file of
another dataset given as this one, which says what it looks like. Last, every template
v2 item with a `national:` source is a measure its dataset's reader gives.
"""

from __future__ import annotations

import csv
import gc
import io
from collections import defaultdict
from datetime import date

import pytest

from monitor.config import PROJECT_ROOT
from monitor.core.checklist import load_template
from monitor.importers import datasets
from monitor.importers.datasets import hep_schedule
from monitor.importers.published import Refused, collecting_cycles_after, read_published
from tests.importers.test_fingertips_workforce import (
    WF_HEADINGS,
    WF_NAME,
    fingertips_export,
    screening_rows,
    wf_rows,
)
from tests.published_files import (
    CBT_REAL,
    FFT_HEADINGS,
    FFT_REAL,
    GPAD_COMMA_REAL,
    GPAD_REAL,
    OC_REAL,
    OPENDATA,
    csv_bytes,
    fft_row,
    fft_workbook,
    find_row,
    gpad_crosstab,
    gpad_row,
    read_workbook,
    real,
    real_sheets,
    with_month,
)
from tests.published_gpps_qof import gpps_2024, gpps_row, qof_achievement, qof_indicator


def figures_of(extract, code: str) -> dict[str, float | None]:
    return {f.measure: f.value for f in extract.figures if f.ods_code == code}


def practice_of(extract, code: str):
    return next(p for p in extract.practices if p.ods_code == code)


def problems(refused: pytest.ExceptionInfo[Refused]) -> list[str]:
    return [str(p) for p in refused.value.problems]


# Cloud Based Telephony ------------------------------------------------------------------------

CBT_MEASURES = {
    "inbound_calls", "answered", "answered_pct", "ended_in_ivr", "callback_requested",
    "missed", "missed_pct", "callback_made", "answered_under_1_min", "answered_1_to_2_min",
    "answered_2_to_5_min", "answered_over_5_min", "missed_under_1_min", "missed_1_to_2_min",
    "missed_2_to_5_min", "missed_over_5_min", "answered_within_2_min_pct",
}  # fmt: skip
# Columns (0-based) of the real excerpt's tables, for the edits below.
T3_INBOUND, T3_ANSWERED, T3_IVR, T3_MISSED = 11, 13, 15, 20
T4_UNDER_1, T4_1_TO_2 = 15, 17
T5_2_TO_5 = 19


def test_real_cbt_excerpt_gives_each_practices_calls_for_february_2026():
    extract = datasets.read(real(CBT_REAL))
    assert (extract.period, extract.as_of) == ("2026-02", date(2026, 2, 1))
    assert set(extract.measures) == CBT_MEASURES
    assert extract.rows_read == 6
    assert len(extract.figures) == 6 * len(CBT_MEASURES)
    billesdon = figures_of(extract, "C82022")
    assert billesdon == {
        "inbound_calls": 5122,
        "answered": 1560,
        "answered_pct": 30.5,  # the published fraction 0.305 as a percentage
        "ended_in_ivr": 1699,
        "callback_requested": 1146,
        "missed": 717,
        "missed_pct": 14.0,
        "callback_made": 1146,
        "answered_under_1_min": 726,
        "answered_1_to_2_min": 220,
        "answered_2_to_5_min": 261,
        "answered_over_5_min": 353,
        "missed_under_1_min": 460,
        "missed_1_to_2_min": 83,
        "missed_2_to_5_min": 68,
        "missed_over_5_min": 106,
        "answered_within_2_min_pct": pytest.approx((726 + 220) / 1560 * 100),
    }
    # Long Clawson published 0 call backs requested: a published 0 is 0, not "not published".
    assert figures_of(extract, "C82016")["callback_requested"] == 0
    sheets = {f.measure: f.sheet for f in extract.figures if f.ods_code == "C82022"}
    assert (sheets["missed"], sheets["answered_1_to_2_min"], sheets["missed_over_5_min"]) == (
        "Table 3",
        "Table 4",
        "Table 5",
    )


def test_synthetic_cbt_workbook_for_another_month_reads_that_month():
    extract = read_workbook(with_month(real_sheets(CBT_REAL), date(2025, 11, 1)))
    assert extract.period == "2025-11"
    assert extract.description == "Cloud Based Telephony, November 2025 publication"
    assert figures_of(extract, "C82022")["inbound_calls"] == 5122


@pytest.mark.parametrize(
    ("table", "code", "column", "value", "expected"),
    [
        ("Table 4", "C82022", T4_UNDER_1, "12a",
         "Sheet “Table 4”, row 14, column “Answered Calls - Wait time: Less than 1 minute "
         "(Count)”: “12a” is not a number"),
        ("Table 3", "C82056", T3_ANSWERED, -5.0,
         "Sheet “Table 3”, row 16, column “Answered (Total)”: is negative; a count cannot be"),
        ("Table 5", "C82038", 1, "C8203",
         "Sheet “Table 5”, row 16, column “GP Practice (ODS_CODE)”: “C8203” is not a "
         "practice code"),
        ("Table 3", "C82038", 1, "C82022",
         "Sheet “Table 3”, row 17, column “GP Practice (ODS_CODE)”: C82022 is listed again "
         "(first on row 15)"),
    ],
)  # fmt: skip
def test_a_malformed_cbt_row_refuses_the_whole_workbook_naming_sheet_row_and_column(
    table, code, column, value, expected
):
    sheets = real_sheets(CBT_REAL)
    find_row(sheets[table], code)[column] = value
    with pytest.raises(Refused) as refused:
        read_workbook(sheets, name="synthetic-cbt-malformed.xlsx")
    assert problems(refused) == [expected]


def test_every_problem_in_a_cbt_workbook_is_named_at_once():
    sheets = real_sheets(CBT_REAL)
    find_row(sheets["Table 3"], "C82022")[T3_MISSED] = "lots"
    find_row(sheets["Table 5"], "C82078")[T5_2_TO_5] = "n/k"
    with pytest.raises(Refused) as refused:
        read_workbook(sheets)
    assert [(p.sheet, p.row) for p in refused.value.problems] == [("Table 3", 15), ("Table 5", 19)]


def test_cbt_unassigned_and_unmapped_rows_are_counted_and_unknown_codes_kept():
    """National tables list calls that cannot be split by practice as "Unassigned" (or
    "Unmapped") rows; an unknown code is a practice no ICB has, which the import counts."""
    sheets = real_sheets(CBT_REAL)
    for table in ("Table 3", "Table 4", "Table 5"):
        rows = sheets[table]
        billesdon = find_row(rows, "C82022")
        at = rows.index(find_row(rows, "C82078")) + 1
        unassigned = [billesdon[0], "Unassigned", "Unassigned", *billesdon[3:]]
        unmapped = [billesdon[0], "Unmapped", "Unmapped", *billesdon[3:]]
        unknown = [billesdon[0], "Z99999", "A SURGERY NO ICB HAS", *billesdon[3:]]
        rows[at:at] = [unassigned, unassigned, unmapped, unknown]
    extract = read_workbook(sheets, name="synthetic-cbt-unassigned.xlsx")
    assert extract.skipped["not one practice (“Unassigned”)"] == 2  # once each, not per table
    assert extract.skipped["not one practice (“Unmapped”)"] == 1
    assert extract.rows_read == 7
    assert {f.ods_code for f in extract.figures} == {
        "C82022", "C82056", "C82038", "C82016", "C82042", "C82078", "Z99999"
    }  # fmt: skip
    assert figures_of(extract, "Z99999")["inbound_calls"] == 5122


def test_suppressed_cbt_cells_are_not_published_never_zero():
    sheets = real_sheets(CBT_REAL)
    t3 = find_row(sheets["Table 3"], "C82022")
    t3[T3_ANSWERED], t3[T3_IVR], t3[T3_MISSED] = "-", "*", None
    find_row(sheets["Table 4"], "C82056")[T4_1_TO_2] = "No data"
    extract = read_workbook(sheets, name="synthetic-cbt-suppressed.xlsx")
    billesdon = figures_of(extract, "C82022")
    assert (billesdon["answered"], billesdon["ended_in_ivr"], billesdon["missed"]) == (
        None,
        None,
        None,
    )
    assert billesdon["answered_pct"] == 30.5  # what is published stays
    assert billesdon["answered_within_2_min_pct"] is None  # its calls answered are not known
    glenfield = figures_of(extract, "C82056")
    assert glenfield["answered_1_to_2_min"] is None
    assert glenfield["answered_within_2_min_pct"] is None
    assert glenfield["answered_under_1_min"] == 89


def test_cbt_answered_within_2_minutes_is_not_worked_out_over_no_calls_answered():
    sheets = real_sheets(CBT_REAL)
    find_row(sheets["Table 3"], "C82022")[T3_ANSWERED] = 0.0
    extract = read_workbook(sheets)
    assert figures_of(extract, "C82022")["answered"] == 0
    assert figures_of(extract, "C82022")["answered_within_2_min_pct"] is None


def test_a_revised_cbt_publication_gives_the_revised_values():
    first = datasets.read(real(CBT_REAL))
    sheets = real_sheets(CBT_REAL)
    find_row(sheets["Table 3"], "C82022")[T3_INBOUND] = 5200.0
    find_row(sheets["Table 4"], "C82022")[T4_UNDER_1] = 800.0
    revised = read_workbook(sheets, name="synthetic-cbt-revised.xlsx")
    assert (revised.period, revised.description) == (first.period, first.description)
    before, after = figures_of(first, "C82022"), figures_of(revised, "C82022")
    assert (after["inbound_calls"], after["answered_under_1_min"]) == (5200, 800)
    assert after["answered_within_2_min_pct"] == pytest.approx((800 + 220) / 1560 * 100)
    changed = {m for m in before if before[m] != after[m]}
    assert changed == {"inbound_calls", "answered_under_1_min", "answered_within_2_min_pct"}
    assert figures_of(revised, "C82056") == figures_of(first, "C82056")


def test_the_cbt_reader_given_the_online_consultation_workbook_says_what_it_looks_like():
    with pytest.raises(Refused) as refused:
        datasets.read(real(OC_REAL), kind="cbt")
    assert problems(refused) == [
        "The file does not have the layout of the Cloud Based Telephony publication workbook. "
        "This looks like the Online consultation submissions publication workbook"
    ]


def test_the_cbt_reader_given_the_online_consultation_workbook_from_disk_says_so_too():
    """As `monitor import --kind cbt FILE` reads it."""
    with pytest.raises(Refused) as refused:
        datasets.read_path(OPENDATA / OC_REAL, kind="cbt")
    assert problems(refused)[0].endswith(
        "This looks like the Online consultation submissions publication workbook"
    )


def test_the_cbt_reader_given_a_gpad_crosstab_from_disk_says_what_it_looks_like():
    with pytest.raises(Refused) as refused:
        datasets.read_path(OPENDATA / GPAD_REAL, kind="cbt")
    assert problems(refused) == [
        "The file does not have the layout of the Cloud Based Telephony publication workbook. "
        "This looks like the GP appointments (GPAD) practice-level crosstab"
    ]


# Online consultation submissions ----------------------------------------------------------------

OC_MEASURES = {"submissions", "clinical_submissions", "administrative_submissions",
               "other_submissions"}  # fmt: skip
OC_SUPPLIER, OC_SUBMISSIONS, OC_CLINICAL, OC_PARTICIPATION = 11, 12, 13, 18


def test_real_online_consultation_excerpt_gives_each_practices_submissions():
    extract = datasets.read(real(OC_REAL))
    assert (extract.period, extract.description) == (
        "2026-02",
        "Online consultation submissions, February 2026 publication",
    )
    assert set(extract.measures) == OC_MEASURES
    assert extract.rows_read == 8 and len(extract.figures) == 8 * 4
    assert figures_of(extract, "C82001") == {
        "submissions": 4484,
        "clinical_submissions": 3002,
        "administrative_submissions": 1482,
        "other_submissions": 0,
    }
    assert figures_of(extract, "C82042")["submissions"] == 13


def test_synthetic_online_consultation_workbook_for_another_month_reads_that_month():
    extract = read_workbook(with_month(real_sheets(OC_REAL), date(2026, 1, 1)))
    assert extract.period == "2026-01"
    assert extract.description == "Online consultation submissions, January 2026 publication"


@pytest.mark.parametrize(
    ("code", "column", "value", "expected"),
    [
        ("C82002", OC_CLINICAL, "12a",
         "Sheet “Table 2”, row 14, column “Clinical Submissions”: “12a” is not a number"),
        ("C82016", OC_SUBMISSIONS, -1.0,
         "Sheet “Table 2”, row 15, column “Submissions”: is negative; a count cannot be"),
        ("C82022", 1, "C82001",
         "Sheet “Table 2”, row 16, column “GP Code”: C82001 is listed again (first on row 13)"),
    ],
)  # fmt: skip
def test_a_malformed_online_consultation_row_refuses_the_workbook_naming_the_cell(
    code, column, value, expected
):
    sheets = real_sheets(OC_REAL)
    find_row(sheets["Table 2"], code)[column] = value
    with pytest.raises(Refused) as refused:
        read_workbook(sheets, name="synthetic-oc-malformed.xlsx")
    assert problems(refused) == [expected]


def test_online_consultation_unassigned_rows_are_counted_and_unknown_codes_kept():
    sheets = real_sheets(OC_REAL)
    rows = sheets["Table 2"]
    first = find_row(rows, "C82001")
    at = rows.index(find_row(rows, "C82078")) + 1
    rows[at:at] = [
        [first[0], "Unassigned", "Unassigned", *first[3:]],
        [first[0], "Z99999", "A SURGERY NO ICB HAS", *first[3:]],
    ]
    extract = read_workbook(sheets, name="synthetic-oc-unassigned.xlsx")
    assert extract.skipped["not one practice (“Unassigned”)"] == 1
    assert extract.rows_read == 9
    assert figures_of(extract, "Z99999")["submissions"] == 4484
    assert "UNASSIGNED" not in {f.ods_code for f in extract.figures}


def test_online_consultations_not_collected_or_suppressed_are_not_published_never_zero():
    """A practice whose Supplier is "No data" or whose Participation is 0 is listed with 0
    submissions that are not counts; a blank or "*" cell is not published."""
    sheets = real_sheets(OC_REAL)
    rows = sheets["Table 2"]
    no_data = find_row(rows, "C82002")
    no_data[OC_SUPPLIER] = "No data"
    no_data[OC_SUBMISSIONS:OC_SUBMISSIONS + 4] = [0.0, 0.0, 0.0, 0.0]  # fmt: skip
    find_row(rows, "C82016")[OC_PARTICIPATION] = 0.0
    find_row(rows, "C82022")[OC_CLINICAL] = None
    find_row(rows, "C82038")[OC_CLINICAL] = "*"
    extract = read_workbook(sheets, name="synthetic-oc-suppressed.xlsx")
    assert set(figures_of(extract, "C82002").values()) == {None}
    assert set(figures_of(extract, "C82016").values()) == {None}
    assert figures_of(extract, "C82022")["clinical_submissions"] is None
    assert figures_of(extract, "C82022")["submissions"] == 651
    assert figures_of(extract, "C82038")["clinical_submissions"] is None
    assert figures_of(extract, "C82001")["other_submissions"] == 0  # published, collected


def test_a_revised_online_consultation_publication_gives_the_revised_values():
    sheets = real_sheets(OC_REAL)
    find_row(sheets["Table 2"], "C82001")[OC_CLINICAL] = 3100.0
    revised = read_workbook(sheets, name="synthetic-oc-revised.xlsx")
    assert revised.period == "2026-02"
    assert figures_of(revised, "C82001")["clinical_submissions"] == 3100
    assert figures_of(revised, "C82002") == figures_of(datasets.read(real(OC_REAL)), "C82002")


def test_the_online_consultation_reader_given_the_cbt_workbook_says_what_it_looks_like():
    with pytest.raises(Refused) as refused:
        datasets.read(real(CBT_REAL), kind="online_consultations")
    assert problems(refused) == [
        "The file does not have the layout of the Online consultation submissions publication "
        "workbook. This looks like the Cloud Based Telephony publication workbook"
    ]


# GP appointments (GPAD) practice-level crosstab --------------------------------------------------


def gpad_totals(data: bytes) -> dict[str, dict[str, float | None]]:
    """The crosstab's figures worked out the plain way, row by row, to check the reader."""
    sums: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in csv.DictReader(io.StringIO(data.decode("utf-8-sig"))):
        mine, count = sums[row["GP_CODE"]], int(row["COUNT_OF_APPOINTMENTS"])
        attended = row["APPT_STATUS"] == "Attended"
        mine["appointments"] += count
        mine["appointments_attended"] += count if attended else 0
        mine["face_to_face"] += count if attended and row["APPT_MODE"] == "Face-to-Face" else 0
        mine["telephone"] += count if attended and row["APPT_MODE"] == "Telephone" else 0
        mine["home_visits"] += count if attended and row["APPT_MODE"] == "Home Visit" else 0
        mine["dna"] += count if row["APPT_STATUS"] == "DNA" else 0
    figures = {}
    for code, s in sums.items():
        attended = s["appointments_attended"]
        figures[code] = {
            "appointments": s["appointments"],
            "appointments_attended": attended,
            "face_to_face_pct": s["face_to_face"] / attended * 100 if attended else None,
            "telephone_pct": s["telephone"] / attended * 100 if attended else None,
            "home_visits": s["home_visits"],
            "dna": s["dna"],
        }
    return figures


def gpad_both_ways(tmp_path, data: bytes, name="synthetic-gpad.csv", kind=None):
    """The crosstab read from disk (streamed, as an import reads it) and as an upload's
    cells: both must say the same."""
    path = tmp_path / name
    path.write_bytes(data)
    from_disk = datasets.read_path(path, kind=kind)
    uploaded = datasets.read(read_published(name, data), kind=kind)
    assert from_disk.figures == uploaded.figures
    assert from_disk.practices == uploaded.practices
    assert (from_disk.rows_read, from_disk.skipped) == (uploaded.rows_read, uploaded.skipped)
    return from_disk


def test_real_gpad_excerpt_totals_every_row_of_the_practice(tmp_path):
    data = (OPENDATA / GPAD_REAL).read_bytes()
    extract = gpad_both_ways(tmp_path, data, GPAD_REAL)
    assert (extract.period, extract.description) == (
        "2025-10",
        "GP appointments (GPAD), October 2025",
    )
    assert extract.rows_read == 186
    peartree = figures_of(extract, "F81134")
    assert peartree == pytest.approx(gpad_totals(data)["F81134"])
    assert (peartree["appointments"], peartree["appointments_attended"], peartree["dna"]) == (
        9336,
        8682,
        327,
    )
    assert peartree["home_visits"] == 0  # no Home Visit row: none, which is 0
    facts = practice_of(extract, "F81134")
    assert (facts.name, facts.pcn_code, facts.pcn_name) == (
        "Peartree Surgery & West Horndon Surgery",
        "U68127",
        "Grays PCN",
    )


def test_real_gpad_excerpt_with_a_comma_in_a_practice_name(tmp_path):
    data = (OPENDATA / GPAD_COMMA_REAL).read_bytes()
    extract = gpad_both_ways(tmp_path, data, GPAD_COMMA_REAL)
    assert practice_of(extract, "F85628").name == "Welbourne GP Surgery, Welbourne H C"
    assert figures_of(extract, "F85628") == pytest.approx(gpad_totals(data)["F85628"])


def synthetic_gpad_rows(month="01NOV2025"):
    return [
        gpad_row("C82001", 120, month=month),
        gpad_row("C82001", 30, mode="Telephone", month=month),
        gpad_row("C82001", 4, mode="Home Visit", month=month, category="Home Visit"),
        gpad_row("C82001", 9, status="DNA", month=month),
        gpad_row("C82001", 5, mode="", status="", hcp="", month=month),  # Unknown
        gpad_row(
            "C82002", 50, mode="Video Conference/Online", month=month, name="Café Surgery"
        ),  # fmt: skip
    ]


def test_synthetic_gpad_crosstab_for_another_month_reads_that_month(tmp_path):
    extract = gpad_both_ways(tmp_path, gpad_crosstab(synthetic_gpad_rows("01NOV2025")))
    assert (extract.period, extract.as_of) == ("2025-11", date(2025, 11, 1))
    assert extract.description == "GP appointments (GPAD), November 2025"
    assert figures_of(extract, "C82001") == {
        "appointments": 168,
        "appointments_attended": 154,
        "face_to_face_pct": pytest.approx(120 / 154 * 100),
        "telephone_pct": pytest.approx(30 / 154 * 100),
        "home_visits": 4,
        "dna": 9,
    }


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8-sig"])
def test_synthetic_gpad_crosstab_in_windows_1252_or_with_a_bom_reads_the_same(tmp_path, encoding):
    plain = gpad_both_ways(tmp_path, gpad_crosstab(synthetic_gpad_rows()), "synthetic-utf8.csv")
    other = gpad_both_ways(
        tmp_path,
        gpad_crosstab(synthetic_gpad_rows(), encoding=encoding),
        f"synthetic-{encoding}.csv",
    )
    assert other.figures == plain.figures
    assert practice_of(other, "C82002").name == "Café Surgery"


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda rows: rows[2].pop(), "Row 4: has 13 fields; the header has 14"),
        (lambda rows: rows[1].__setitem__(12, "12a"),
         "Row 3, column “COUNT_OF_APPOINTMENTS”: “12a” is not a number of appointments"),
        (lambda rows: rows[1].__setitem__(12, ""),
         "Row 3, column “COUNT_OF_APPOINTMENTS”: “” is not a number of appointments"),
        (lambda rows: rows[1].__setitem__(12, "-3"),
         "Row 3, column “COUNT_OF_APPOINTMENTS”: “-3” is not a number of appointments"),
        (lambda rows: rows[3].__setitem__(0, "01DEC2025"),
         "Row 5, column “APPOINTMENT_MONTH_START_DATE”: is for 01DEC2025 but the rows above "
         "are for 01NOV2025: a file holds one month"),
        (lambda rows: rows[1].__setitem__(1, "C8200"),
         "Row 3, column “GP_CODE”: “C8200” is not a practice code"),
    ],
)  # fmt: skip
def test_a_malformed_gpad_row_refuses_the_whole_file_naming_the_row(tmp_path, edit, expected):
    rows = synthetic_gpad_rows()
    edit(rows)
    data = gpad_crosstab(rows)
    path = tmp_path / "synthetic-gpad-malformed.csv"
    path.write_bytes(data)
    with pytest.raises(Refused) as from_disk:
        datasets.read_path(path)
    with pytest.raises(Refused) as uploaded:
        datasets.read(read_published(path.name, data))
    assert problems(from_disk) == problems(uploaded) == [expected]


def test_gpad_rows_of_no_practice_are_counted_and_unknown_codes_kept(tmp_path):
    rows = [
        *synthetic_gpad_rows(),
        gpad_row("UNALLOCATED", 7, name="UNALLOCATED"),
        gpad_row("UNALLOCATED", 3, status="DNA", name="UNALLOCATED"),
        gpad_row("Z99999", 11, name="A SURGERY NO ICB HAS"),
        gpad_row("C82003", 2, pcn=("U", "Unallocated"), name="A SURGERY IN NO PCN"),
    ]
    extract = gpad_both_ways(tmp_path, gpad_crosstab(rows))
    assert extract.skipped["not one practice (“UNALLOCATED”)"] == 2  # rows, not groups
    assert figures_of(extract, "Z99999")["appointments"] == 11
    assert "UNALLOCATED" not in {f.ods_code for f in extract.figures}
    assert practice_of(extract, "C82003").pcn_code == ""  # in no PCN


def test_gpad_publishes_no_suppressed_cells_so_a_missing_kind_is_none_of_it(tmp_path):
    """The crosstab has no row for a combination with no appointments: a practice's
    missing kind is 0, and a share of no attended appointments is not a number."""
    rows = [
        gpad_row("C82001", 12, status="DNA"),
        gpad_row("C82001", 3, status="Unknown"),
        gpad_row("C82001", 2, status=""),
    ]
    extract = gpad_both_ways(tmp_path, gpad_crosstab(rows))
    assert figures_of(extract, "C82001") == {
        "appointments": 17,
        "appointments_attended": 0,
        "face_to_face_pct": None,
        "telephone_pct": None,
        "home_visits": 0,
        "dna": 12,
    }


def test_a_revised_gpad_crosstab_gives_the_revised_values(tmp_path):
    first = gpad_both_ways(tmp_path, gpad_crosstab(synthetic_gpad_rows()), "synthetic-1.csv")
    rows = synthetic_gpad_rows()
    rows[0][12] = "140"
    revised = gpad_both_ways(tmp_path, gpad_crosstab(rows), "synthetic-2.csv")
    assert revised.period == first.period
    assert figures_of(revised, "C82001")["appointments"] == 188
    assert figures_of(revised, "C82001")["face_to_face_pct"] == pytest.approx(140 / 174 * 100)
    assert figures_of(revised, "C82002") == figures_of(first, "C82002")


def test_the_gpad_reader_given_the_mapping_csv_says_what_it_looks_like(tmp_path):
    name = "gpad_mapping_Aug25_excerpt.csv"
    path = tmp_path / name
    path.write_bytes((OPENDATA / name).read_bytes())
    expected = [
        "The file does not have the layout of the GP appointments (GPAD) practice-level "
        "crosstab. This looks like the GP appointments (GPAD) Mapping.csv"
    ]
    with pytest.raises(Refused) as uploaded:
        datasets.read(real(name), kind="gpad_appointments")
    with pytest.raises(Refused) as from_disk:
        datasets.read_path(path, kind="gpad_appointments")
    assert problems(uploaded) == problems(from_disk) == expected


# Friends and Family Test --------------------------------------------------------------------------


def fft_rows():
    return [
        fft_row("C82001", 300, 60, 20, 10, 5, 5),  # 400 responses, 90% positive
        fft_row("C82002", 40, 8, 2),
        fft_row("C82003", "*", "*", "*", "*", "*", "*", total="*", positive="*"),
        fft_row("C82004", None, None, None, None, None, None, total=None, positive=None),
    ]


def read_fft(data: bytes, name="synthetic-fft.xlsm", kind=None):
    return datasets.read(read_published(name, data), kind=kind)


def test_real_fft_derived_excerpt_gives_responses_and_positive_share():
    extract = datasets.read(real(FFT_REAL))
    assert (extract.source, extract.period) == ("fft", "2026-02")
    assert "taken from its name" in extract.notes[0]  # the file has no period column
    assert extract.rows_read == 6
    assert figures_of(extract, "H85003") == {
        "responses": 251,
        "positive_pct": pytest.approx(92.82868525896414),
    }
    assert figures_of(extract, "G83006") == {"responses": None, "positive_pct": None}


def test_synthetic_fft_workbook_reads_the_practice_sheet_under_its_title_rows():
    extract = read_fft(fft_workbook(fft_rows()))
    assert extract.description == "Friends and Family Test (GP), February 2026"
    assert figures_of(extract, "C82001") == {"responses": 400, "positive_pct": 90.0}
    assert figures_of(extract, "C82002") == {"responses": 50, "positive_pct": 96.0}


def test_synthetic_fft_workbook_with_percentages_0_to_100_reads_them_as_they_are():
    rows = [[*row[:-1], row[-1] * 100 if isinstance(row[-1], float) else row[-1]]
            for row in fft_rows()]  # fmt: skip
    headings = [*FFT_HEADINGS[:-1], "% Recommend"]
    extract = read_fft(fft_workbook(rows, headings=headings))
    assert figures_of(extract, "C82001") == {"responses": 400, "positive_pct": 90.0}


@pytest.mark.parametrize(
    ("period", "title", "month"),
    [
        ("NOV-25", "February 2026", "2025-11"),  # the period column says the month
        ("202511", "February 2026", "2025-11"),
        (None, "November 2025", "2025-11"),  # no period column: the title rows say it
    ],
)
def test_synthetic_fft_workbook_for_another_month_reads_that_month(period, title, month):
    headings, rows = FFT_HEADINGS, fft_rows()
    if period is None:
        headings, rows = headings[1:], [row[1:] for row in rows]
    else:
        rows = [[period, *row[1:]] for row in rows]
    extract = read_fft(fft_workbook(rows, title_month=title, headings=headings))
    assert extract.period == month


def test_synthetic_fft_csv_for_another_month_reads_it_from_its_period_or_its_name():
    body = [["C82001", "400", "90.0"]]
    with_period = csv_bytes([["gp_code", "fft_responses", "fft_pct_positive", "period"],
                             [*body[0], "202511"]])  # fmt: skip
    assert datasets.read(read_published("synthetic-fft.csv", with_period)).period == "2025-11"
    named = csv_bytes([["gp_code", "fft_responses", "fft_pct_positive"], *body])
    extract = datasets.read(read_published("synthetic_fft_gp_nov25.csv", named))
    assert extract.period == "2025-11" and extract.notes


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8-sig"])
def test_synthetic_fft_csv_in_windows_1252_or_with_a_bom_reads_the_same(encoding):
    rows = [
        ["gp_code", "fft_responses", "fft_pct_positive", "gp_name"],
        ["C82001", "400", "90.0", "Café Surgery"],
        ["C82002", "", "", "SECOND SURGERY"],
    ]
    plain = datasets.read(read_published("synthetic_fft_feb26.csv", csv_bytes(rows)))
    other = datasets.read(
        read_published("synthetic_fft_feb26.csv", csv_bytes(rows, encoding=encoding))
    )
    assert other.figures == plain.figures
    assert figures_of(other, "C82001") == {"responses": 400, "positive_pct": 90.0}


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (fft_row("C82005", 3, 3, total="12a", positive=0.5),
         "Sheet “FFT GP Practice Data”, row 10, column “Total Responses”: “12a” is not a "
         "number"),
        (fft_row("C82005", 3, 3, total=-6, positive=1.0),
         "Sheet “FFT GP Practice Data”, row 10, column “Total Responses”: is negative; a "
         "count cannot be"),
        (fft_row("C82005", 3, 3, positive=140),  # 0–100 in a column of fractions
         "Sheet “FFT GP Practice Data”, row 10, column “Percentage Positive”: 140% is not a "
         "percentage"),
        (fft_row("C82001", 3, 3),
         "Sheet “FFT GP Practice Data”, row 10, column “Practice Code”: C82001 is listed "
         "again (first on row 6)"),
    ],
)  # fmt: skip
def test_a_malformed_fft_workbook_row_refuses_the_whole_file_naming_the_cell(row, expected):
    with pytest.raises(Refused) as refused:
        read_fft(fft_workbook([*fft_rows(), row]))
    assert problems(refused) == [expected]


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (["C82005", "12a", "50"], "Row 4, column “fft_responses”: “12a” is not a number"),
        (["C82005", "10", "140"], "Row 4, column “fft_pct_positive”: 140 is not a percentage"),
        (["C82001", "10", "50"],
         "Row 4, column “gp_code”: C82001 is listed again (first on row 2)"),
    ],
)  # fmt: skip
def test_a_malformed_fft_csv_row_refuses_the_whole_file_naming_the_row(row, expected):
    rows = [["gp_code", "fft_responses", "fft_pct_positive"], ["C82001", "400", "90"],
            ["C82002", "50", "96"], row]  # fmt: skip
    with pytest.raises(Refused) as refused:
        datasets.read(read_published("synthetic_fft_feb26.csv", csv_bytes(rows)))
    assert problems(refused) == [expected]


def test_fft_rows_of_no_practice_are_counted_and_unknown_codes_kept():
    rows = [
        fft_row("ENGLAND", 9000, 900, name="ENGLAND"),
        *fft_rows(),
        fft_row("UNKNOWN", 5, 5, name="UNKNOWN"),
        fft_row("Z99999", 8, 2, name="A SURGERY NO ICB HAS"),
    ]
    extract = read_fft(fft_workbook(rows))
    assert extract.skipped["not one practice (“ENGLAND”)"] == 1
    assert extract.skipped["not one practice (“UNKNOWN”)"] == 1
    assert figures_of(extract, "Z99999") == {"responses": 10, "positive_pct": 100.0}


def test_suppressed_fft_cells_are_not_published_never_zero():
    rows = [
        *fft_rows(),  # C82003 all "*", C82004 all blank
        fft_row("C82005", 3, 3, total="No data", positive="No data"),
        fft_row("C82006", 3, 3, total=6, positive="-"),  # counts published, share suppressed
    ]
    extract = read_fft(fft_workbook(rows))
    for code in ("C82003", "C82004", "C82005"):
        assert figures_of(extract, code) == {"responses": None, "positive_pct": None}
    assert figures_of(extract, "C82006") == {"responses": 6, "positive_pct": None}


def test_fft_share_is_worked_out_only_from_a_file_without_a_percentage_column():
    headings = FFT_HEADINGS[:-1]
    rows = [row[:-1] for row in fft_rows()]
    extract = read_fft(fft_workbook(rows, headings=headings))
    assert figures_of(extract, "C82001") == {"responses": 400, "positive_pct": 90.0}
    assert figures_of(extract, "C82003") == {"responses": None, "positive_pct": None}


def test_a_revised_fft_publication_gives_the_revised_values():
    first = read_fft(fft_workbook(fft_rows()))
    rows = fft_rows()
    rows[0] = fft_row("C82001", 300, 80, 20)
    revised = read_fft(fft_workbook(rows), name="synthetic-fft-revised.xlsm")
    assert revised.period == first.period
    assert figures_of(revised, "C82001") == {"responses": 400, "positive_pct": 95.0}
    assert figures_of(revised, "C82002") == figures_of(first, "C82002")


@pytest.mark.parametrize(
    ("name", "looks_like"),
    [
        (CBT_REAL, "the Cloud Based Telephony publication workbook"),
        (GPAD_REAL, "the GP appointments (GPAD) practice-level crosstab"),
    ],
)
def test_the_fft_reader_given_another_dataset_says_what_it_looks_like(name, looks_like):
    with pytest.raises(Refused) as refused:
        datasets.read(real(name), kind="fft")
    assert problems(refused) == [
        "The file does not have the layout of the Friends and Family Test GP practice data. "
        f"This looks like {looks_like}"
    ]


def test_a_kind_the_service_does_not_know_is_refused_listing_the_kinds():
    with pytest.raises(Refused) as refused:
        datasets.read(real(FFT_REAL), kind="no_such_kind")
    assert problems(refused)[0].startswith(
        "“no_such_kind” is not a kind of file the service reads: "
    )
    assert "cbt" in problems(refused)[0]


# The template's national items --------------------------------------------------------------------

V2 = load_template(PROJECT_ROOT / "checklist_templates" / "hep-light-touch-v2.yaml")
NATIONAL_ITEMS = sorted(
    (item.id, dataset, measure) for (dataset, measure), item in V2.national_items().items()
)


def read_for(dataset: str):
    """The dataset's real excerpt, read, where there is one with figures; FFT also as its
    monthly workbook; the others as synthetic files in their published layouts."""
    files = {
        "cbt": lambda: [datasets.read(real(CBT_REAL))],
        "online_consultations": lambda: [datasets.read(real(OC_REAL))],
        "gpad_appointments": lambda: [datasets.read_path(OPENDATA / GPAD_REAL)],
        "fft": lambda: [datasets.read(real(FFT_REAL)), read_fft(fft_workbook(fft_rows()))],
        "gpps": lambda: [
            datasets.read(
                read_published(
                    "synthetic-GPPS_2025_Practice_data.csv", gpps_2024([gpps_row("C82001")])
                )
            )
        ],
        "qof": lambda: [
            datasets.read(
                read_published(
                    "synthetic-ACHIEVEMENT_2324.csv",
                    qof_achievement(qof_indicator("C82001", "AF001", "5")),
                )
            )
        ],
        "fingertips": lambda: [fingertips_export(screening_rows())],
        "workforce": lambda: [
            datasets.read(read_published(WF_NAME, csv_bytes([WF_HEADINGS, *wf_rows()])))
        ],
        "hep_schedule": lambda: [
            datasets.read(read_published("synthetic-schedule.csv", hep_schedule.layout_csv()))
        ],
    }
    return files[dataset]()


def test_template_v2_names_every_national_dataset():
    assert {dataset for _, dataset, _ in NATIONAL_ITEMS} == {
        "cbt", "online_consultations", "gpad_appointments", "fft", "gpps", "qof", "fingertips",
        "workforce", "hep_schedule",
    }  # fmt: skip


@pytest.mark.parametrize(("item", "dataset", "measure"), NATIONAL_ITEMS)
def test_each_v2_national_item_is_a_measure_its_datasets_reader_gives(item, dataset, measure):
    for extract in read_for(dataset):
        assert extract.source == dataset
        assert measure in extract.measures, f"{item}: {dataset} has no measure {measure}"
        published = [f for f in extract.figures if f.measure == measure and f.value is not None]
        assert published, f"{item}: {extract.filename} gives no practice a {measure}"


# Reading fast ----------------------------------------------------------------------------------


def test_a_read_holds_the_cycle_collector_back_and_leaves_it_as_it_found_it():
    assert gc.isenabled()
    with collecting_cycles_after():
        assert not gc.isenabled()
        with collecting_cycles_after():  # a read within a read
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    sheets = real_sheets(CBT_REAL)
    find_row(sheets["Table 3"], "C82022")[T3_MISSED] = "lots"
    with pytest.raises(Refused):
        read_workbook(sheets)
    assert gc.isenabled()  # a refused file too
    gc.disable()
    try:
        datasets.read(real(CBT_REAL))
        assert not gc.isenabled()  # someone else's choice stands
    finally:
        gc.enable()
