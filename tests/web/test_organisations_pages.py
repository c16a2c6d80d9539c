"""The administrator's Organisations pages: the ICB's PCNs and practices, an update from
NHS files (upload, preview, confirm or cancel; refused files change nothing), and the
practice facts no file gives."""

from __future__ import annotations

import io
import json
import time
from datetime import date

import pytest
from bs4 import BeautifulSoup
from sqlmodel import select

from monitor.models import AuditEvent, Icb, Pcn, Practice, PracticeStatus, Role
from monitor.web.organisations import STAGE_FOLDER
from tests.client import error_summary, field_error, heading
from tests.factories import make_icb, make_pcn, make_practice, make_user
from tests.published_files import OPENDATA, csv_bytes

ORGANISATIONS = "/admin/organisations"
UPDATE = "/admin/organisations/update"
CBT = "cbt_publication_summary_feb2026_LLR_excerpt.xlsx"
REGISTERED = "gp_registered_patients_feb2026_LLR.csv"
QOF = "qof_prevalence_template_NHSDigital.csv"  # a layout no dataset reads
MB = 1024 * 1024


@pytest.fixture
def stages(app, tmp_path):
    """Where this test's uploads are staged: the app's instance folder, made the test's."""
    app.instance_path = str(tmp_path)
    return tmp_path / STAGE_FOLDER


@pytest.fixture
def llr(session):
    """The ICB QK1 (Leicester, Leicestershire and Rutland), empty, and its administrator."""
    icb = make_icb(session, code="QK1", name="LLR ICB")
    return icb, make_user(session, role=Role.ADMIN, organisation=icb)


def real_file(name: str):
    return as_upload(name, (OPENDATA / name).read_bytes())


def as_upload(name: str, data: bytes):
    return (io.BytesIO(data), name)


def upload(client, *files):
    """Post files as the update page's form would, and the parsed answer."""
    response = client.submit(UPDATE, {"files": list(files)})
    return response, BeautifulSoup(response.get_data(as_text=True), "html.parser")


def staged(stages) -> list:
    return sorted(stages.iterdir()) if stages.exists() else []


def token_of(soup) -> str:
    form = soup.select_one("form[action$='/confirm']")
    assert form is not None, "no confirm button"
    return form["action"].split("/")[-2]


def table(soup, table_id: str) -> list[list[str]]:
    """Each row's cells as they read on a wide screen: without the heading a narrow screen
    shows in each cell, or the words only a screen reader reads ("(edit)")."""
    rows = []
    for tr in soup.select(f"#{table_id} tbody tr"):
        cells = []
        for td in tr.select("td"):
            for label in td.select(".nhsuk-table__heading, .nhsuk-u-visually-hidden"):
                label.extract()
            cells.append(td.get_text(" ", strip=True))
        rows.append(cells)
    return rows


def changes_recorded(session) -> list[AuditEvent]:
    """Audit events other than signing in."""
    return session.exec(select(AuditEvent).where(AuditEvent.action != "sign_in")).all()


def flashes(soup) -> list[str]:
    return [b.get_text(" ", strip=True) for b in soup.select(".nhsuk-notification-banner")]


# The Organisations page ---------------------------------------------------------------


def test_organisations_lists_the_icbs_pcns_and_practices_with_where_each_came_from(
    client, world, session
):
    world.pcn.source, world.pcn.confirmed_on = "epcn", date(2026, 3, 1)
    closed = world.other_practice
    closed.status, closed.closed_on = PracticeStatus.CLOSED, date(2025, 12, 31)
    unplaced = make_practice(
        session,
        pcn=world.pcn,
        name="Zeta Surgery",
        pcn_id=None,
        list_size=None,
        imd_decile=None,
        rurality=None,
        source="cbt",
        confirmed_on=date(2026, 2, 1),
    )
    empty_pcn = make_pcn(session, icb=world.icb, name="Empty PCN")
    session.add_all([world.pcn, closed])
    session.commit()

    client.sign_in(world.admin.email)
    soup = client.page(ORGANISATIONS)

    assert heading(soup) == "Organisations"
    pcns = {row[1]: row for row in table(soup, "pcn-table")}
    assert pcns["North PCN"] == [
        world.pcn.code,
        "North PCN",
        "2",
        "ODS PCN membership (ePCN “PCN Core Partner Details”)",
        "1 March 2026",
    ]
    assert pcns["South PCN"][2] == "0 (and 1 closed)"
    assert pcns["Empty PCN"][2:] == ["0", "Entered by hand", "Never"]
    assert empty_pcn.code in pcns["Empty PCN"]

    practices = {row[1]: row for row in table(soup, "practice-table")}
    assert set(practices) == {"Alpha Surgery", "Beta Surgery", "Gamma Surgery", "Zeta Surgery"}
    alpha = world.practice
    assert practices["Alpha Surgery"] == [
        alpha.ods_code,
        "Alpha Surgery",
        "North PCN",
        f"{alpha.list_size:,}",
        "1",
        "Urban",
        "Open",
        "Entered by hand",
        "Never",
    ]
    assert practices["Zeta Surgery"][2:6] == [
        "Not in a PCN",
        "Not known yet",
        "Not known yet",
        "Not known yet",
    ]
    assert practices["Zeta Surgery"][7:] == [
        "Cloud Based Telephony publication workbook",
        "1 February 2026",
    ]
    assert practices["Gamma Surgery"][6] == "Closed 31 December 2025"
    gamma_row = soup.find("a", string=lambda s: s and "Gamma Surgery" in s).find_parent("tr")
    assert gamma_row.select_one(".nhsuk-tag").get_text(strip=True) == "Closed"
    link = soup.find("a", string=lambda s: s and "Zeta Surgery" in s)
    assert link["href"] == f"/admin/practices/{unplaced.id}/edit"
    assert "Delta Surgery" not in soup.get_text()  # another ICB's


def test_the_admin_home_page_and_navigation_link_to_organisations(client, world):
    client.sign_in(world.admin.email)
    home = client.page("/")
    assert home.select_one("main a[href='/admin/organisations']") is not None
    nav = client.page("/admin/users").select_one(".nhsuk-header__navigation")
    link = nav.find("a", href="/admin/organisations")
    assert link.get_text(strip=True) == "Organisations"


# Updating from NHS files ---------------------------------------------------------------


def test_the_update_page_names_every_file_it_reads(client, world):
    client.sign_in(world.admin.email)
    soup = client.page(UPDATE)
    titles = [li.get_text(strip=True) for li in soup.select("#datasets li")]
    assert "Cloud Based Telephony publication workbook" in titles
    assert "ODS practice register (epraccur.csv)" in titles
    file_input = soup.select_one("input[type=file]#files")
    assert file_input.has_attr("multiple")
    assert file_input["accept"] == ".csv,.xlsx,.xlsm"


def test_uploading_the_real_excerpts_previews_then_confirming_onboards_as_the_admin(
    client, session, llr, stages
):
    icb, admin = llr
    client.sign_in(admin.email)
    response, soup = upload(client, real_file(CBT), real_file(REGISTERED))

    assert response.status_code == 200
    assert heading(soup) == "Check the changes before updating"
    summary = [li.get_text(" ", strip=True) for li in soup.select("#plan-summary > li")]
    assert "PCNs created: 3" in summary
    assert "Practices created: 6" in summary
    assert any(line.startswith("Cloud Based Telephony") and CBT in line for line in summary)
    changes = table(soup, "changes")
    new = ["Practice", "C82016", "Long Clawson Medical Practice", "Add", "New to the service"]
    assert new in changes
    assert len(changes) == 10  # the ICB renamed, 3 PCNs, 6 practices
    assert session.exec(select(Practice).where(Practice.icb_id == icb.id)).all() == []

    token = token_of(soup)
    [folder] = staged(stages)
    assert folder.name == token
    meta = json.loads((folder / "stage.json").read_text())
    assert meta["user_id"] == admin.id
    assert time.time() - meta["created"] < 60
    assert [f["name"] for f in meta["files"]] == [CBT, REGISTERED]

    response = client.submit(f"{UPDATE}/{token}/confirm", token_from=UPDATE)
    assert response.status_code == 302
    assert response.headers["Location"] == ORGANISATIONS
    assert staged(stages) == []
    practices = session.exec(select(Practice).where(Practice.icb_id == icb.id)).all()
    assert len(practices) == 6
    assert {p.source for p in practices} == {"cbt"}
    assert session.exec(select(Pcn).where(Pcn.icb_id == icb.id)).all() != []
    events = session.exec(select(AuditEvent).where(AuditEvent.object_type == "practice")).all()
    assert len(events) == 6
    assert {e.actor_id for e in events} == {admin.id}
    run = session.exec(select(AuditEvent).where(AuditEvent.object_type == "onboarding")).one()
    assert run.actor_id == admin.id

    soup = client.page(ORGANISATIONS)
    assert "Practices created: 6" in " ".join(flashes(soup))
    names = {row[1] for row in table(soup, "practice-table")}
    assert "Long Clawson Medical Practice" in names

    # The same files again: nothing to change, so nothing to confirm and nothing kept.
    response, soup = upload(client, real_file(CBT), real_file(REGISTERED))
    assert response.status_code == 200
    assert heading(soup) == "No changes from these files"
    assert soup.select_one("form[action$='/confirm']") is None
    assert "No changes: 6 practices are as the files say." in soup.get_text(" ", strip=True)
    assert staged(stages) == []


BAD_MAPPING = csv_bytes(  # synthetic: a GPAD Mapping.csv with a broken practice code
    [
        ["GP_CODE", "GP_NAME", "SUPPLIER", "PCN_CODE", "PCN_NAME", "SUB_ICB_LOCATION_CODE"]
        + ["SUB_ICB_LOCATION_NAME", "ICB_CODE", "ICB_NAME", "REGION_CODE", "REGION_NAME"],
        ["C82016", "LONG CLAWSON", "EMIS", "U25294", "MELTON PCN", "04V", "LLR - 04V"]
        + ["QK1", "NHS LLR ICB", "Y60", "Midlands"],
        ["C8201X", "BROKEN", "EMIS", "U25294", "MELTON PCN", "04V", "LLR - 04V"]
        + ["QK1", "NHS LLR ICB", "Y60", "Midlands"],
    ]
)


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        (
            (QOF, (OPENDATA / QOF).read_bytes()),
            f"{QOF}: This looks like a CSV whose first row is “PRACTICE_CODE, GROUP_CODE, "
            "REGISTER, PATIENT_LIST_TYPE, PRACTICE_LIST_SIZE”, which is not a file the service "
            "reads.",
        ),
        (
            ("Mapping.csv", BAD_MAPPING),
            "Mapping.csv: Row 3, column “GP_CODE”: “C8201X” is not a practice code",
        ),
    ],
    ids=["unrecognised", "malformed-row"],
)
def test_a_refused_file_shows_its_problems_and_nothing_is_staged_or_changed(
    client, session, llr, stages, bad, problem
):
    icb, admin = llr
    client.sign_in(admin.email)
    response, soup = upload(client, real_file(REGISTERED), as_upload(*bad))

    assert response.status_code == 400
    assert soup.title.get_text().startswith("Error: ")
    name = bad[0]
    summary = error_summary(soup)
    assert summary[0] == (f"Nothing was changed. Correct or replace the file with problems: {name}")
    assert any(item.startswith(problem) for item in summary[1:]), summary
    assert field_error(soup, "files").endswith(name)
    assert {a["href"] for a in soup.select(".nhsuk-error-summary a")} == {"#files"}
    assert staged(stages) == []
    assert session.exec(select(Practice).where(Practice.icb_id == icb.id)).all() == []
    assert changes_recorded(session) == []


def test_choosing_no_file_asks_for_one(client, llr, stages):
    client.sign_in(llr[1].email)
    response = client.submit(UPDATE, {})
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert response.status_code == 400
    assert error_summary(soup) == ["Select the files you downloaded from NHS England"]
    assert staged(stages) == []


def test_another_admins_token_is_refused_and_left_for_its_owner(client, app, session, llr, stages):
    icb, admin = llr
    colleague = make_user(session, role=Role.ADMIN, organisation=icb)
    client.sign_in(admin.email)
    token = token_of(upload(client, real_file(CBT))[1])

    other = app.test_client()
    other.sign_in(colleague.email)
    for action in ("confirm", "cancel"):
        response = other.submit(f"{UPDATE}/{token}/{action}", token_from=UPDATE)
        assert response.status_code == 302
    assert session.exec(select(Practice).where(Practice.icb_id == icb.id)).all() == []
    assert [f.name for f in staged(stages)] == [token]
    response = other.submit(f"{UPDATE}/{token}/confirm", token_from=UPDATE)
    assert response.headers["Location"] == UPDATE
    refused = other.page(UPDATE)
    assert "no longer waiting to be applied" in " ".join(flashes(refused))

    response = client.submit(f"{UPDATE}/{token}/confirm", token_from=UPDATE)
    assert response.headers["Location"] == ORGANISATIONS
    assert len(session.exec(select(Practice).where(Practice.icb_id == icb.id)).all()) == 6


def test_staged_files_older_than_an_hour_are_refused_and_deleted(client, session, llr, stages):
    icb, admin = llr
    client.sign_in(admin.email)
    token = token_of(upload(client, real_file(CBT))[1])
    meta_path = stages / token / "stage.json"
    meta = json.loads(meta_path.read_text())
    meta["created"] = time.time() - 3601
    meta_path.write_text(json.dumps(meta))

    response = client.submit(f"{UPDATE}/{token}/confirm", token_from=UPDATE)
    assert response.headers["Location"] == UPDATE
    assert staged(stages) == []
    assert session.exec(select(Practice).where(Practice.icb_id == icb.id)).all() == []


def test_a_new_upload_clears_away_stages_nobody_confirmed(client, llr, stages):
    client.sign_in(llr[1].email)
    old = token_of(upload(client, real_file(CBT))[1])
    meta_path = stages / old / "stage.json"
    meta = json.loads(meta_path.read_text())
    meta["created"] = time.time() - 3601
    meta_path.write_text(json.dumps(meta))

    new = token_of(upload(client, real_file(CBT))[1])
    assert [f.name for f in staged(stages)] == [new]


def test_cancelling_deletes_the_staged_files_and_changes_nothing(client, session, llr, stages):
    icb, admin = llr
    client.sign_in(admin.email)
    token = token_of(upload(client, real_file(CBT))[1])
    response = client.submit(f"{UPDATE}/{token}/cancel", token_from=UPDATE)
    assert response.headers["Location"] == ORGANISATIONS
    assert staged(stages) == []
    assert session.exec(select(Practice).where(Practice.icb_id == icb.id)).all() == []
    # Its confirm button no longer works either.
    response = client.submit(f"{UPDATE}/{token}/confirm", token_from=UPDATE)
    assert response.headers["Location"] == UPDATE


def test_a_token_that_is_not_one_of_ours_is_refused(client, llr, stages):
    client.sign_in(llr[1].email)
    for token in ("not-a-token", "." * 43, "A" * 43):
        response = client.submit(f"{UPDATE}/{token}/confirm", token_from=UPDATE)
        assert response.status_code == 302
        assert response.headers["Location"] == UPDATE


# Upload size ----------------------------------------------------------------------------


def test_the_update_accepts_more_than_the_usual_limit_but_not_more_than_60mb(client, llr):
    client.sign_in(llr[1].email)
    token = client.csrf_token(UPDATE)
    response = client.post(
        UPDATE,
        data=b"",
        content_type="multipart/form-data; boundary=x",
        environ_overrides={"CONTENT_LENGTH": str(61 * MB)},
    )
    assert response.status_code == 413
    assert "60 MB or smaller" in response.get_data(as_text=True)

    # 6 MB: over the 5 MB every other form has, under this one's limit. The body is built
    # here, in memory: werkzeug's own builder spools a body this size to a temporary file
    # that the test client never closes.
    boundary = "hep-boundary"
    body = (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="csrf_token"\r\n\r\n'
            f"{token}\r\n"
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="files"; filename="big.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + b"GP_CODE,GP_NAME\r\n" * (6 * MB // 17 + 1)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    assert len(body) > 6 * MB
    response = client.post(
        UPDATE, data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 400  # read, and refused for what it is, not its size
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert any(item.startswith("big.csv: This looks like") for item in error_summary(soup))


def test_every_per_route_upload_limit_names_a_route(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert set(app.config["UPLOAD_LIMITS"]) <= endpoints


# Editing a practice ---------------------------------------------------------------------


def edit_url(practice) -> str:
    return f"/admin/practices/{practice.id}/edit"


def test_the_admin_sets_a_practices_setting_and_town_and_corrects_its_name(client, world, session):
    practice = world.practice
    client.sign_in(world.admin.email)
    soup = client.page(edit_url(practice))
    assert soup.select_one("#name")["value"] == "Alpha Surgery"
    assert soup.select_one("input[name=rurality][value=urban]").has_attr("checked")

    response = client.submit(
        edit_url(practice), {"name": "Alpha Health Centre", "town": "Melton", "rurality": "rural"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == ORGANISATIONS
    session.refresh(practice)
    assert (practice.name, practice.town, practice.rurality) == (
        "Alpha Health Centre",
        "Melton",
        "rural",
    )
    assert practice.source == "manual"
    event = session.exec(
        select(AuditEvent).where(
            AuditEvent.object_type == "practice", AuditEvent.object_id == str(practice.id)
        )
    ).one()
    assert event.actor_id == world.admin.id
    assert (event.before["rurality"], event.after["rurality"]) == ("urban", "rural")
    assert (
        f"Alpha Health Centre ({practice.ods_code}) saved."
        in flashes(client.page(ORGANISATIONS))[0]
    )

    client.submit(
        edit_url(practice), {"name": "Alpha Health Centre", "town": "", "rurality": "unknown"}
    )
    session.refresh(practice)
    assert (practice.town, practice.rurality) == ("", None)


def test_saving_a_practice_unchanged_writes_no_audit_event(client, world, session):
    practice = world.practice
    client.sign_in(world.admin.email)
    before = len(changes_recorded(session))
    response = client.submit(
        edit_url(practice), {"name": practice.name, "town": practice.town, "rurality": "urban"}
    )
    assert response.status_code == 302
    assert len(changes_recorded(session)) == before
    session.refresh(practice)
    assert practice.source == "manual"  # as the factory made it: untouched


def test_bad_practice_details_are_refused_with_messages_and_nothing_saved(client, world, session):
    practice = world.practice
    client.sign_in(world.admin.email)
    response = client.submit(
        edit_url(practice), {"name": " ", "town": "Ward 943 476 5919", "rurality": "suburban"}
    )
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert response.status_code == 400
    assert error_summary(soup) == [
        "Enter the practice's name",
        "This looks like an NHS number. Remove patient details before saving.",
        "Select whether the practice is urban or rural, or not known",
    ]
    assert field_error(soup, "rurality") == (
        "Select whether the practice is urban or rural, or not known"
    )
    assert soup.select_one("#town")["value"] == "Ward 943 476 5919"
    session.refresh(practice)
    assert (practice.name, practice.rurality) == ("Alpha Surgery", "urban")
    events = session.exec(select(AuditEvent).where(AuditEvent.object_type == "practice")).all()
    assert events == []


def test_another_icbs_practice_cannot_be_edited(client, world, session):
    client.sign_in(world.admin.email)
    foreign = world.foreign_practice
    assert client.get(edit_url(foreign)).status_code == 404
    response = client.submit(
        edit_url(foreign), {"name": "Taken", "town": "", "rurality": "rural"}, token_from="/"
    )
    assert response.status_code == 404
    session.refresh(foreign)
    assert foreign.name == "Delta Surgery"
    assert session.get(Icb, world.other_icb.id) is not None
