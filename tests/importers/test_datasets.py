"""Each published dataset is recognised by its layout and read as it is published: the
real excerpts in ../shared/opendata/ (see its README) plus synthetic variants made here
and marked as such (other ICBs, closed practices, PCN "U", footnotes, malformed rows,
Windows-1252 and UTF-8-with-BOM CSVs, headings with line breaks and double spaces)."""

from __future__ import annotations

from datetime import date

import pytest

from monitor.importers import datasets
from monitor.importers.published import Refused, read_published
from tests.published_files import (
    EPCN_HEADINGS,
    csv_bytes,
    epcn_rows,
    epraccur_row,
    real,
    workbook_bytes,
)


def by_code(extract):
    return {p.ods_code: p for p in extract.practices}


# epraccur ---------------------------------------------------------------------------------


def test_real_epraccur_excerpt_reads_status_icb_and_tidies_names():
    extract = datasets.read(real("epraccur_excerpt_headerless.csv"))
    assert extract.source == "epraccur"
    practices = by_code(extract)
    assert set(practices) == {"A81001", "A81002", "A81003", "A81027", "A81043"}
    densham = practices["A81001"]
    assert (densham.name, densham.icb_code, densham.open) == ("The Densham Surgery", "QHM", True)
    victoria = practices["A81003"]  # status C, closed 31 October 2017
    assert (victoria.open, victoria.closed_on, victoria.icb_code) == (
        False,
        date(2017, 10, 31),
        "Q74",
    )
    assert practices["A81043"].open is False  # dormant: no patients, treated as closed


def test_synthetic_epraccur_passes_over_prescribing_centres_and_proposed_practices():
    data = csv_bytes(
        [
            epraccur_row("C82001", "SOUTH LEICESTERSHIRE MEDICAL GROUP", "QK1"),
            epraccur_row("Y02157", "OUT OF HOURS CENTRE", "QK1", setting="0"),
            epraccur_row("C82097", "NEW SURGERY", "QK1", status="P"),
            epraccur_row(" c82002 ", "COUNTESTHORPE HEALTH CENTRE", "qk1"),
        ],
        quote_all=True,
    )
    extract = datasets.read(read_published("synthetic-epraccur.csv", data))
    assert set(by_code(extract)) == {"C82001", "C82002"}  # code and ICB normalised
    assert by_code(extract)["C82002"].icb_code == "QK1"
    assert sum(extract.skipped.values()) == 2


def test_an_epraccur_row_with_too_few_columns_is_refused_naming_the_row():
    rows = [epraccur_row(f"C8200{n}", "A SURGERY", "QK1") for n in range(5)]
    rows[3] = rows[3][:26]
    file = read_published("synthetic-epraccur.csv", csv_bytes(rows, quote_all=True))
    with pytest.raises(Refused) as refused:
        datasets.read(file)
    assert str(refused.value.problems[0]) == "Row 4: has 26 columns; epraccur rows have 27"


# ePCN -------------------------------------------------------------------------------------


def test_synthetic_epcn_workbook_gives_each_practices_current_pcn():
    data = workbook_bytes(
        {
            "PCNDetails": [["PCN Code", "PCN Name"]],
            "PCN Core Partner Details": [EPCN_HEADINGS, *epcn_rows()],
        }
    )
    extract = datasets.read(read_published("synthetic-ePCN.xlsx", data))
    assert extract.source == "epcn"
    practices = by_code(extract)
    assert (practices["C82001"].pcn_code, practices["C82001"].pcn_name) == (
        "U71931",
        "South Blaby & Lutterworth PCN",
    )
    assert practices["C82002"].pcn_code == ""  # every spell ended: in no PCN now
    assert practices["C82003"].pcn_code == ""  # PCN "U": unallocated
    assert extract.as_of == date(2024, 4, 1)


def test_synthetic_epcn_csv_with_dates_as_text_reads_the_same():
    rows = [
        [*r[:8], r[8].strftime("%d/%m/%Y"), r[9].strftime("%d/%m/%Y") if r[9] else ""]
        for r in epcn_rows()
    ]
    extract = datasets.read(
        read_published(
            "synthetic-epcn.csv", csv_bytes([EPCN_HEADINGS, *rows], encoding="utf-8-sig")
        )
    )
    assert by_code(extract)["C82001"].pcn_code == "U71931"


# NHS England publications with the practice -> PCN -> ICB columns ------------------------------


def test_real_gpad_mapping_excerpt_gives_pcn_and_icb():
    extract = datasets.read(real("gpad_mapping_Aug25_excerpt.csv"))
    ulverston = by_code(extract)["A82003"]
    assert (ulverston.pcn_code, ulverston.pcn_name, ulverston.icb_code) == (
        "U25520",
        "Mid Furness PCN",
        "QE1",
    )
    assert ulverston.icb_name == "NHS Lancashire and South Cumbria Integrated Care Board"


def test_synthetic_gpad_mapping_with_bom_and_unallocated_practices():
    rows = [
        ["GP_CODE", "GP_NAME", "SUPPLIER", "PCN_CODE", "PCN_NAME", "SUB_ICB_LOCATION_CODE",
         "SUB_ICB_LOCATION_NAME", "ICB_CODE", "ICB_NAME", "REGION_CODE", "REGION_NAME"],
        ["C82001", "SOUTH LEICESTERSHIRE MEDICAL GROUP", "EMIS", "U30213", "CROSS COUNTIES PCN",
         "03W", "X", "QK1", "NHS LLR ICB", "Y60", "MIDLANDS"],
        ["C82004", "NEW PRACTICE", "TPP", "U", "Unallocated", "03W", "X", "QK1", "NHS LLR ICB",
         "Y60", "MIDLANDS"],
    ]  # fmt: skip
    extract = datasets.read(read_published("synthetic.csv", csv_bytes(rows, encoding="utf-8-sig")))
    assert extract.source == "gpad_mapping"
    assert by_code(extract)["C82004"].pcn_code == ""


def test_real_cbt_workbook_reads_table_3_practices_and_passes_over_totals_and_footnotes():
    extract = datasets.read(real("cbt_publication_summary_feb2026_LLR_excerpt.xlsx"))
    assert extract.source == "cbt"
    assert extract.description == "Cloud Based Telephony, February 2026 publication"
    assert extract.as_of == date(2026, 2, 1)
    practices = by_code(extract)
    assert len(practices) == 6
    billesdon = practices["C82022"]
    assert (billesdon.name, billesdon.pcn_code, billesdon.pcn_name, billesdon.icb_code) == (
        "The Billesdon Surgery",
        "U30213",
        "Cross Counties PCN",
        "QK1",
    )
    assert extract.skipped["notes under the table"] > 0


def test_real_online_consultation_workbook_reads_table_2():
    extract = datasets.read(real("oc_submissions_feb2026_LLR_excerpt.xlsx"))
    assert extract.source == "online_consultations"
    assert len(extract.practices) == 8
    assert by_code(extract)["C82001"].icb_code == "QK1"


def test_a_publication_row_with_a_broken_practice_code_is_refused_naming_sheet_row_column():
    heading = ["Month", "GP Code", "GP Name", "PCN Code", "PCN Name", "Sub ICB Code",
               "Sub ICB Name", "ICB Code", "ICB Name", "Region Code", "Region Name",
               "Supplier", "Submissions"]  # fmt: skip
    good = [
        date(2026, 2, 1),
        "C82001",
        "A",
        "U30213",
        "B",
        "03W",
        "C",
        "QK1",
        "D",
        "Y60",
        "E",
        "S",
        5,
    ]
    bad = [
        date(2026, 2, 1),
        "C8200",
        "A",
        "U30213",
        "B",
        "03W",
        "C",
        "QK1",
        "D",
        "Y60",
        "E",
        "S",
        5,
    ]
    data = workbook_bytes(
        {
            "Table 2": [
                ["Table 2: Submissions via Online Consultation Systems (synthetic)"],
                heading,
                good,
                bad,
            ]
        }
    )
    with pytest.raises(Refused) as refused:
        datasets.read(read_published("synthetic-oc.xlsx", data))
    assert str(refused.value.problems[0]) == (
        "Sheet “Table 2”, row 4, column “GP Code”: “C8200” is not a practice code"
    )


# Registered patients and deprivation ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "code", "size", "on"),
    [
        ("gp_reg_pat_prac_all_Jan2021_excerpt.csv", "A84003", 14738, date(2021, 1, 1)),
        ("gp_registered_patients_feb2026_LLR.csv", "C82001", 25760, date(2026, 3, 1)),
    ],
)
def test_real_registered_patients_files_old_and_new_layouts(name, code, size, on):
    extract = datasets.read(real(name))
    assert extract.source == "registered_patients"
    assert by_code(extract)[code].list_size == size
    assert extract.as_of == on


def test_real_fingertips_excerpt_ranks_scores_and_passes_over_england():
    extract = datasets.read(real("fingertips_93553_imd2019_gp_excerpt.csv"))
    practices = by_code(extract)
    assert extract.skipped["not a GP practice (England and other areas)"] == 2
    assert practices["A81001"].imd_score == pytest.approx(32.3609392614188)
    most = max(practices.values(), key=lambda p: p.imd_score)
    least = min(practices.values(), key=lambda p: p.imd_score)
    assert (most.imd_decile, least.imd_decile) == (2, 10)  # 6 practices: ranks 1..6 of 6
    assert "not every practice in England" in extract.notes[0]


def test_synthetic_fingertips_in_windows_1252_with_tied_scores():
    heading = ["Indicator ID", "Indicator Name", "Parent Code", "Parent Name", "Area Code",
               "Area Name", "Area Type", "Sex", "Age", "Category Type", "Category",
               "Time period", "Value"]  # fmt: skip

    def row(code, name, value, area_type="GP"):
        return ["93553", "Deprivation score (IMD 2019)", "E92000001", "England", code, name,
                area_type, "Persons", "All ages", "", "", "2019", value]  # fmt: skip

    rows = [heading, row("E92000001", "England", "21.7", "England")]
    rows += [row(f"C8{n:04d}", f"Café {n} Surgery", str(50 - n)) for n in range(10)]
    rows.append(row("C89998", "Tied Surgery", "50"))  # ties the highest score
    data = csv_bytes(rows, encoding="cp1252")
    extract = datasets.read(read_published("synthetic-fingertips.csv", data))
    practices = by_code(extract)
    assert practices["C80000"].name == "Café 0 Surgery"
    assert practices["C80000"].imd_decile == practices["C89998"].imd_decile == 1
    assert practices["C80009"].imd_decile == 10


# Wrong files ------------------------------------------------------------------------------------


def test_a_file_the_service_does_not_read_is_refused_saying_what_it_looks_like():
    with pytest.raises(Refused) as refused:
        datasets.read(real("qof_prevalence_template_NHSDigital.csv"))
    message = str(refused.value)
    assert message.startswith(
        "This looks like a CSV whose first row is “PRACTICE_CODE, GROUP_CODE, REGISTER, "
        "PATIENT_LIST_TYPE, PRACTICE_LIST_SIZE”"
    )
    assert "ODS practice register (epraccur.csv)" in message


def test_every_dataset_module_declares_a_dataset_with_a_distinct_key():
    keys = [d.key for d in datasets.datasets()]
    assert len(keys) == len(set(keys)) and "epraccur" in keys and "fingertips_imd" in keys
