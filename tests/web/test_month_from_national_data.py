"""The issue's "done when", end to end: an ICB onboarded from published files (the real
LLR excerpts) moves to template version 2 and imports a month of Cloud Based Telephony
and online consultations (the real February 2026 excerpts) and GP appointments, FFT and
General Practice Workforce (synthetic files in the published layouts for the same
practices and month, since the real excerpts are of other ICBs or there are none); a
practice manager's February then needs no typed figure."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from monitor.models import Practice, Role
from tests.factories import make_user
from tests.importers.test_fingertips_workforce import WF_HEADINGS
from tests.published_files import csv_bytes, fft_row, fft_workbook, gpad_crosstab, gpad_row
from tests.test_cli import LLR_FILES, files_in

CBT_PRACTICES = ("C82016", "C82022", "C82038", "C82042", "C82056", "C82078")


def synthetic_month_files(folder):
    gpad = folder / "gpad_crosstab_feb2026_LLR_SYNTHETIC.csv"
    rows = []
    for n, code in enumerate(CBT_PRACTICES):
        rows += [
            gpad_row(code, 900 + n, month="01FEB2026"),
            gpad_row(code, 400, mode="Telephone", month="01FEB2026"),
            gpad_row(code, 12, mode="Home Visit", month="01FEB2026"),
            gpad_row(code, 30, status="DNA", month="01FEB2026"),
        ]
    gpad.write_bytes(gpad_crosstab(rows))
    fft = folder / "fft_gp_feb2026_LLR_SYNTHETIC.xlsx"
    fft.write_bytes(fft_workbook([fft_row(code, 120, 40, 5, 3) for code in CBT_PRACTICES]))
    workforce = (
        folder / "synthetic-3 General Practice – February 2026 Practice Level - High level.csv"
    )
    staff = []
    for code in CBT_PRACTICES:
        staff += [
            [code, f"PRACTICE {code}", "GP", "Total", "FTE", "4.5"],
            [code, f"PRACTICE {code}", "Nurses", "Total", "FTE", "2"],
            [code, f"PRACTICE {code}", "Direct Patient Care", "Total", "FTE", "1.5"],
            [code, f"PRACTICE {code}", "Admin/Non-Clinical", "Total", "FTE", "6"],
        ]
    workforce.write_bytes(csv_bytes([WF_HEADINGS, *staff], encoding="utf-8-sig"))
    return [str(gpad), str(fft), str(workforce)]


def test_an_onboarded_icb_imports_a_month_and_a_practice_types_nothing(
    app, runner, client, session, tmp_path, monkeypatch
):
    onboard = runner.invoke(args=["onboard", "--icb", "QK1", *files_in(tmp_path, *LLR_FILES)])
    assert onboard.exit_code == 0, onboard.output
    assert runner.invoke(args=["template", "--icb", "QK1", "--version", "2"]).exit_code == 0
    national = files_in(
        tmp_path,
        "cbt_publication_summary_feb2026_LLR_excerpt.xlsx",
        "oc_submissions_feb2026_LLR_excerpt.xlsx",
    )

    imported = runner.invoke(args=["import", *national, *synthetic_month_files(tmp_path)])

    assert imported.exit_code == 0, imported.output
    for description in (
        "Cloud Based Telephony, February 2026 publication: 6 practice rows, 6 of your 8",
        "Online consultation submissions, February 2026 publication: 8 practice rows, 8 of",
        "GP appointments (GPAD), February 2026: 24 rows for 6 practices, 6 of your 8 practices",
        "Friends and Family Test (GP), February 2026: 6 practice rows, 6 of your 8",
    ):
        assert description in imported.output
    billesdon = session.exec(select(Practice).where(Practice.ods_code == "C82022")).one()
    manager = make_user(session, role=Role.PRACTICE_EDITOR, organisation=billesdon)
    monkeypatch.setattr("monitor.web.home.today", lambda: date(2026, 3, 20))
    client.sign_in(manager.email)

    home = client.page("/")
    card = next(
        c for c in home.select(".nhsuk-card") if "February 2026" in c.select_one("h3").get_text()
    )
    share = card.select_one(".app-imported-share").get_text(" ", strip=True)
    assert share.startswith("14 of 14 figures for February 2026 came from NHS data.")
    month = client.page("/figures/2026-02")
    typed = month.select("main input[type=text], main input[type=number]")
    # Only the practice's own answer time (optional, no national source) is left to type.
    assert [i.get("name") for i in typed] == ["call_answer_time"]
    assert month.select_one("#call_answer_time").get("aria-required") != "true"
    text = month.get_text(" ", strip=True)
    assert "From Cloud Based Telephony, February 2026 publication" in text
    assert "From GP appointments (GPAD), February 2026" in text
