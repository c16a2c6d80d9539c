"""The command line as the person installing the service uses it: `monitor onboard`,
`monitor import`, `monitor recompute-england`, and the README's "Running it for an ICB"
recipe from an empty database to a signed-in administrator, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
from sqlmodel import Session, select

from monitor import create_app
from monitor.models import AuditEvent, Icb, NationalAggregate, Practice, Role
from monitor.services import england
from tests.client import PageClient
from tests.factories import make_icb, make_pcn, make_practice, make_user
from tests.published_files import OPENDATA, csv_bytes, epraccur_row
from tests.services.test_england import england_codes, facts_extract, national_extract, run

README = Path(__file__).resolve().parents[1] / "README.md"
LLR_FILES = (
    "cbt_publication_summary_feb2026_LLR_excerpt.xlsx",
    "oc_submissions_feb2026_LLR_excerpt.xlsx",
    "gp_registered_patients_feb2026_LLR.csv",
)


def files_in(folder: Path, *names: str) -> list[str]:
    paths = []
    for name in names:
        shutil.copy(OPENDATA / name, folder / name)
        paths.append(str(folder / name))
    return paths


def test_onboard_prints_what_it_did_and_again_changes_nothing(app, runner, tmp_path):
    files = files_in(tmp_path, *LLR_FILES)

    first = runner.invoke(args=["onboard", "--icb", "QK1", *files])
    again = runner.invoke(args=["onboard", "--icb", "qk1", *files])

    assert first.exit_code == 0, first.output
    assert "ICB created: 1" in first.output and "Practices created: 8" in first.output
    assert "Cloud Based Telephony, February 2026 publication" in first.output
    assert again.exit_code == 0 and "No changes: 8 practices are as the files say." in again.output
    with Session(app.extensions["monitor.engine"]) as session:
        assert len(session.exec(select(Practice)).all()) == 8


def test_onboard_dry_run_lists_the_changes_and_writes_nothing(app, runner, tmp_path):
    files = files_in(tmp_path, *LLR_FILES)

    result = runner.invoke(args=["onboard", "--icb", "QK1", "--dry-run", *files])

    assert result.exit_code == 0
    assert "would create: practice The Billesdon Surgery (C82022)" in result.output
    assert result.output.rstrip().endswith("Dry run: nothing was changed.")
    with Session(app.extensions["monitor.engine"]) as session:
        assert (
            session.exec(select(Icb)).all() == [] and session.exec(select(AuditEvent)).all() == []
        )


def test_onboard_refuses_a_malformed_file_naming_its_row_and_changes_nothing(app, runner, tmp_path):
    good = files_in(tmp_path, "cbt_publication_summary_feb2026_LLR_excerpt.xlsx")
    rows = [epraccur_row(f"C8200{n}", "A SURGERY", "QK1") for n in range(5)]
    rows[2] = rows[2][:20]
    broken = tmp_path / "synthetic-epraccur.csv"
    broken.write_bytes(csv_bytes(rows, quote_all=True))

    result = runner.invoke(args=["onboard", "--icb", "QK1", *good, str(broken)])

    assert result.exit_code != 0
    assert "synthetic-epraccur.csv: Row 3: has 20 columns; epraccur rows have 27" in result.output
    assert "Nothing was changed" in result.output
    with Session(app.extensions["monitor.engine"]) as session:
        assert session.exec(select(Icb)).all() == []


def test_onboard_refuses_a_file_it_does_not_read(runner, tmp_path):
    other = files_in(tmp_path, "qof_prevalence_template_NHSDigital.csv")

    result = runner.invoke(args=["onboard", "--icb", "QK1", *other])

    assert result.exit_code != 0 and "This looks like a CSV whose first row is" in result.output


def recipe_commands() -> list[list[str]]:
    """The `.venv/bin/monitor …` lines of the README's recipe, as arguments."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Running it for an ICB", 1)[1].split("\n## ", 1)[0]
    block = section.split("```", 2)[1].replace("\\\n", " ")
    return [
        shlex.split(line)[1:]
        for line in block.splitlines()
        if line.strip().startswith(".venv/bin/monitor ")
    ]


@pytest.mark.parametrize("empty_database_url", ["sqlite", "postgresql"], indirect=True)
def test_the_readme_recipe_turns_an_empty_database_into_a_working_icb(empty_database_url, tmp_path):
    commands = recipe_commands()
    assert [c[0] for c in commands] == ["db", "onboard", "create-user"]
    # The recipe names the national files; the real excerpts stand in for them.
    published = files_in(tmp_path, *LLR_FILES)
    app = create_app("test", DATABASE_URL=empty_database_url)
    runner = app.test_cli_runner()
    try:
        for command in commands:
            if command[0] == "onboard":
                command = [a for a in command if not re.search(r"\.(csv|xlsx)$", a)] + published
            if command[0] == "create-user":
                command = command + ["--password", "a temporary password 2026"]
            result = runner.invoke(args=command)
            assert result.exit_code == 0, (command, result.output)

        app.test_client_class = PageClient
        client = app.test_client()
        email = commands[2][commands[2].index("--email") + 1]
        client.sign_in(email, "a temporary password 2026")
        changed = client.submit(
            "/change-password",
            {
                "current_password": "a temporary password 2026",
                "new_password": "my own long passphrase",
                "confirm_password": "my own long passphrase",
            },
        )
        assert changed.status_code == 302
        home = client.page("/")
        assert "NHS Leicester, Leicestershire and Rutland" in home.get_text()
    finally:
        app.extensions["monitor.engine"].dispose()


# monitor import ------------------------------------------------------------------------

NATIONAL = (
    "cbt_publication_summary_feb2026_LLR_excerpt.xlsx",
    "oc_submissions_feb2026_LLR_excerpt.xlsx",
)


def onboarded_on_version_2(runner, tmp_path):
    assert runner.invoke(args=["onboard", "--icb", "QK1", *files_in(tmp_path, *LLR_FILES)])
    moved = runner.invoke(args=["template", "--icb", "QK1", "--version", "2"])
    assert moved.exit_code == 0, moved.output


def figures_stored(app) -> list[tuple]:
    from monitor.models import MetricValue

    with Session(app.extensions["monitor.engine"]) as session:
        return sorted(
            (v.practice_id, v.item_id, v.period_code, v.value_number, v.source)
            for v in session.exec(select(MetricValue)).all()
        )


def test_import_prints_what_it_did_and_the_same_files_again_change_nothing(app, runner, tmp_path):
    onboarded_on_version_2(runner, tmp_path)
    files = files_in(tmp_path, *NATIONAL)

    first = runner.invoke(args=["import", *files])

    assert first.exit_code == 0, first.output
    lines = first.output.splitlines()
    assert (
        "Cloud Based Telephony, February 2026 publication: 6 practice rows, 6 of your 8 practices"
    ) in lines
    assert "Values added: 30, changed: 0, unchanged: 0" in first.output
    assert "Online consultation submissions, February 2026 publication" in first.output
    assert "Unknown practice codes: 0; other ICBs' practices: 0" in first.output
    stored = figures_stored(app)
    assert len(stored) == 30 + 16
    assert {s[4] for s in stored} == {"cbt", "online_consultations"}

    again = runner.invoke(args=["import", *files])

    assert again.exit_code != 0
    assert "This file was imported already" in again.output
    assert "Nothing was changed" in again.output
    assert figures_stored(app) == stored


def test_import_dry_run_shows_the_plan_and_writes_nothing(app, runner, tmp_path):
    onboarded_on_version_2(runner, tmp_path)

    result = runner.invoke(args=["import", "--dry-run", *files_in(tmp_path, NATIONAL[0])])

    assert result.exit_code == 0, result.output
    assert "Values added: 30" in result.output
    assert "dry run, nothing was changed." in result.output
    assert figures_stored(app) == []


def test_import_refuses_every_file_when_one_is_malformed_naming_its_row(app, runner, tmp_path):
    onboarded_on_version_2(runner, tmp_path)
    good = files_in(tmp_path, NATIONAL[0])
    broken = tmp_path / "gpad_synthetic_broken.csv"
    rows = [
        ["APPOINTMENT_MONTH_START_DATE", "GP_CODE", "GP_NAME", "SUPPLIER", "PCN_CODE",
         "PCN_NAME", "SUB_ICB_LOCATION_CODE", "SUB_ICB_LOCATION_NAME", "HCP_TYPE",
         "APPT_MODE", "NATIONAL_CATEGORY", "TIME_BETWEEN_BOOK_AND_APPT", "COUNT_OF_APPOINTMENTS",
         "APPT_STATUS"],
        ["01OCT2025", "C82022", "THE BILLESDON SURGERY", "EMIS", "U87499", "A PCN", "04C",
         "LEICESTER", "GP", "Face-to-Face", "General Consultation Routine", "Same Day", "12",
         "Attended"],
        ["01OCT2025", "C82022", "THE BILLESDON SURGERY", "EMIS", "U87499", "A PCN", "04C",
         "LEICESTER", "GP", "Face-to-Face", "General Consultation Routine", "Same Day", "lots",
         "Attended"],
    ]  # fmt: skip
    broken.write_bytes(csv_bytes(rows))

    result = runner.invoke(args=["import", *good, str(broken)])

    assert result.exit_code != 0
    assert "gpad_synthetic_broken.csv:" in result.output
    assert "Row 3, column “COUNT_OF_APPOINTMENTS”: “lots” is not a number" in result.output
    assert "Nothing was changed" in result.output
    assert figures_stored(app) == []  # the good file was not imported either


def test_import_on_a_version_1_icb_says_to_move_the_template(app, runner, tmp_path):
    assert runner.invoke(args=["onboard", "--icb", "QK1", *files_in(tmp_path, *LLR_FILES)])

    result = runner.invoke(args=["import", *files_in(tmp_path, NATIONAL[0])])

    assert result.exit_code != 0
    assert "has no items from Cloud Based Telephony" in result.output
    assert "version 2 or later" in result.output


# monitor recompute-england -------------------------------------------------------------


def test_recompute_england_puts_a_wrong_stored_sii_right_and_again_changes_nothing(runner, session):
    # A synthetic national file (5,200 fictional practices, E00001…) imported by an ICB
    # on template version 2, whose stored SII is then made wrong, as an earlier method
    # might have stored it.
    icb = make_icb(session, template_version=2)
    pcn = make_pcn(session, icb=icb)
    for code in england_codes(6):
        make_practice(session, pcn=pcn, ods_code=code, list_size=8000)
    analyst = make_user(session, role=Role.ICB_ANALYST, organisation=icb)
    england.record_facts(session, [facts_extract(england_codes())])
    session.commit()
    run(session, icb, national_extract(england_codes()), analyst)
    aggregate = session.exec(select(NationalAggregate)).one()
    right = (aggregate.sii, aggregate.sii_lower, aggregate.sii_upper, aggregate.sii_practices)
    aggregate.sii, aggregate.sii_lower, aggregate.sii_upper = -1.0, -2.0, 0.0
    session.add(aggregate)
    session.commit()

    first = runner.invoke(args=["recompute-england"])

    assert first.exit_code == 0, first.output
    assert first.output.splitlines() == ["England's stored aggregates: 1, changed: 1"]
    session.refresh(aggregate)
    corrected = (aggregate.sii, aggregate.sii_lower, aggregate.sii_upper)
    assert corrected == pytest.approx(right[:3], rel=1e-12)
    assert aggregate.sii_practices == right[3]
    recorded = session.exec(select(AuditEvent).where(AuditEvent.action == "recompute")).all()
    assert [event.summary for event in recorded] == [
        "Worked England's slope index of inequality out again: 1 of 1 stored aggregates changed"
    ]

    again = runner.invoke(args=["recompute-england"])

    assert again.exit_code == 0, again.output
    assert again.output.splitlines() == ["England's stored aggregates: 1, changed: 0"]
    assert len(session.exec(select(AuditEvent).where(AuditEvent.action == "recompute")).all()) == 1


@pytest.mark.parametrize(("options", "lowered_by"), [([], 10), (["--nice", "0"], None)])
def test_the_worker_runs_below_the_web_servers_cpu_priority(
    runner, monkeypatch, options, lowered_by
):
    """Its jobs take seconds to minutes; a page someone waits for comes first."""
    import monitor.jobs

    niced, started = [], []
    monkeypatch.setattr("os.nice", niced.append)
    monkeypatch.setattr(monitor.jobs, "start_worker", lambda app, workers: started.append(workers))
    result = runner.invoke(args=["worker", "--workers", "2", *options])
    assert result.exit_code == 0, result.output
    assert niced == ([lowered_by] if lowered_by else [])
    assert started == [2]


def test_the_worker_refuses_a_niceness_out_of_range(runner):
    result = runner.invoke(args=["worker", "--nice", "25"])
    assert result.exit_code == 2
    assert "25 is not in the range 0<=x<=19" in result.output
