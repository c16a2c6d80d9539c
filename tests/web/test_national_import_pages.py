"""The "Import NHS data" pages: an ICB analyst or administrator uploads a published file,
the real background worker reads and plans it, the page shows what it is and what it
would change, and a confirm applies it (or a cancel deletes it); the provenance page
lists every import and undoes one. Refused files, the same file twice, a file over the
limit and a form with no file change nothing; no one outside the ICB's staff reaches
any of it."""

from __future__ import annotations

import io
import time
from datetime import date
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sqlmodel import select

from monitor.importers import datasets
from monitor.models import AuditEvent, Icb, MetricValue, NationalImport, Practice, Role
from monitor.services import onboarding
from monitor.web.national_imports import STORE_FOLDER
from tests.client import error_summary, field_error, heading
from tests.factories import make_icb, make_user
from tests.published_files import OPENDATA, real

CBT = "cbt_publication_summary_feb2026_LLR_excerpt.xlsx"
REGISTERED = "gp_registered_patients_feb2026_LLR.csv"
EPRACCUR = "epraccur_excerpt_headerless.csv"
TODAY = date(2026, 4, 20)
NEW = "/national-data/imports/new"
INDEX = "/national-data/imports"
ELSEWHERE_CODE = "C82078"  # in the CBT excerpt; placed in another ICB below
MB = 1024 * 1024


# The scene ----------------------------------------------------------------------------


@pytest.fixture
def stores(app, tmp_path):
    """Where this test's uploads are kept: the app's instance folder, made the test's."""
    app.instance_path = str(tmp_path)
    return tmp_path / STORE_FOLDER


@pytest.fixture
def worker(app, stores):
    """The app's own in-process worker (as `make run` runs it), started by the first
    upload and stopped with the app (tests/conftest.py closes the app's jobs)."""
    app.config.update(JOBS_IN_PROCESS=True, JOBS_TODAY=TODAY, JOBS_POLL_SECONDS=0.1)
    return app


class Llr:
    def __init__(self, session):
        files = [real(CBT), real(REGISTERED)]
        onboarding.onboard(
            session, user=None, icb_code="QK1", extracts=[datasets.read(f) for f in files],
            today=TODAY,
        )  # fmt: skip
        self.icb = session.exec(select(Icb).where(Icb.code == "QK1")).one()
        self.icb.template_version = 2
        session.add(self.icb)
        self.other_icb = make_icb(session, code="QZ8", name="Another ICB")
        moved = session.exec(select(Practice).where(Practice.ods_code == ELSEWHERE_CODE)).one()
        moved.icb_id, moved.pcn_id = self.other_icb.id, None
        session.add(moved)
        session.commit()
        self.practices = session.exec(select(Practice).where(Practice.icb_id == self.icb.id)).all()
        self.practice = self.practices[0]
        self.analyst = make_user(session, role=Role.ICB_ANALYST, organisation=self.icb)
        self.admin = make_user(session, role=Role.ADMIN, organisation=self.icb)
        self.manager = make_user(session, role=Role.PRACTICE_EDITOR, organisation=self.practice)
        pcn = self.practice.pcn_id
        self.pcn_lead = make_user(
            session, role=Role.PCN_LEAD, organisation=_pcn(session, pcn) if pcn else None
        )
        self.other_analyst = make_user(session, role=Role.ICB_ANALYST, organisation=self.other_icb)
        self.other_admin = make_user(session, role=Role.ADMIN, organisation=self.other_icb)


def _pcn(session, pcn_id):
    from monitor.models import Pcn

    return session.get(Pcn, pcn_id)


@pytest.fixture
def llr(session) -> Llr:
    """LLR (QK1) onboarded from the real CBT and registered-patients excerpts, on template
    version 2; one of the excerpt's six practices is another ICB's."""
    return Llr(session)


def upload(client, name: str, data: bytes | None = None):
    data = (OPENDATA / name).read_bytes() if data is None else data
    return client.submit(NEW, {"file": (io.BytesIO(data), name)})


def wait_for(session, import_id: int, *statuses: str, timeout: float = 60) -> NationalImport:
    deadline = time.monotonic() + timeout
    while True:
        session.expire_all()
        found = session.get(NationalImport, import_id)
        if found.status in statuses:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"import {import_id} is {found.status}, not {statuses}")
        time.sleep(0.05)


def uploaded(client, session, name: str = CBT, *statuses: str) -> NationalImport:
    response = upload(client, name)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    import_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    return wait_for(session, import_id, *(statuses or ("planned", "failed")))


def page_of(client, found: NationalImport) -> BeautifulSoup:
    return client.page(f"/national-data/imports/{found.id}")


def reason_on(soup) -> str:
    """The failure's reason as the page shows it (without the inset's hidden prefix)."""
    inset = soup.select_one("#import-error")
    for hidden in inset.select(".nhsuk-u-visually-hidden"):
        hidden.extract()
    return inset.get_text(" ", strip=True)


def imported(session) -> list[MetricValue]:
    session.expire_all()
    return session.exec(select(MetricValue).where(MetricValue.import_id.is_not(None))).all()


def table(soup, table_id: str) -> list[list[str]]:
    rows = []
    for tr in soup.select(f"#{table_id} tbody tr"):
        cells = []
        for td in tr.select("td"):
            for label in td.select(".nhsuk-table__heading, .nhsuk-u-visually-hidden"):
                label.extract()
            cells.append(td.get_text(" ", strip=True))
        rows.append(cells)
    return rows


def summary(soup, list_id: str) -> dict[str, str]:
    return {
        row.select_one(".nhsuk-summary-list__key").get_text(" ", strip=True): row.select_one(
            ".nhsuk-summary-list__value"
        ).get_text(" ", strip=True)
        for row in soup.select(f"#{list_id} .nhsuk-summary-list__row")
    }


# Upload, plan, preview, confirm ---------------------------------------------------------


def test_the_upload_page_names_the_datasets_and_its_limit(client, llr):
    client.sign_in(llr.analyst.email)
    soup = client.page(NEW)
    assert heading(soup) == "Import NHS data"
    label = soup.select_one("label[for=file]")
    assert label.get_text(strip=True) == "NHS data file (.csv, .xlsx or .xlsm)"
    hint = soup.select_one("#file-hint").get_text(" ", strip=True)
    assert "up to 1 GB" in hint
    titles = [li.get_text(strip=True) for li in soup.select("#datasets li")]
    assert titles == [
        "Cloud Based Telephony publication workbook",
        "GP appointments (GPAD) practice-level crosstab",
        "Online consultation submissions publication workbook",
        "Friends and Family Test GP practice data",
        "Fingertips indicator export (GP practices)",
        "GP Patient Survey practice results",
        "Quality and Outcomes Framework achievement",
        "General Practice Workforce, practice level",
        "HEP payment schedule",
    ]
    assert "aria-describedby" in soup.select_one("input#file").attrs
    assert soup.select_one("form input[name=csrf_token]") is not None
    assert soup.select_one(".nhsuk-card--warning") is None  # the ICB is on version 2


def test_an_analyst_uploads_the_cbt_excerpt_checks_the_preview_and_confirms(
    client, session, llr, worker, stores
):
    client.sign_in(llr.analyst.email)
    planned = uploaded(client, session)
    assert planned.status == "planned", planned.error
    assert planned.created_by_id == llr.analyst.id
    assert imported(session) == []  # nothing written before the confirm
    stored = Path(planned.stored_path)
    assert stored.parent == stores and stored.suffix == ".xlsx" and stored.exists()

    soup = page_of(client, planned)
    assert heading(soup) == "Check the import"
    recognised = [li.get_text(" ", strip=True) for li in soup.select("#recognised li")]
    assert recognised[0] == (
        "Cloud Based Telephony, February 2026 publication: 6 practice rows, 5 of your 5 practices"
    )
    assert recognised[1].startswith("Practices in other ICBs: 1; practice codes the service")
    counts = summary(soup, "import-counts")
    assert counts["Values that will be added"] == str(planned.values_added)
    assert planned.values_added == 25  # five practices, five telephony items each
    assert counts["Values that will be changed (a revised publication)"] == "0"
    changes = table(soup, "import-changes")
    assert len(changes) == 25
    names = {p.name for p in llr.practices}
    assert all(row[0].rsplit(" (", 1)[0] in names for row in changes)
    assert {row[2] for row in changes} == {"Not recorded"}
    caption = soup.select_one("#import-changes caption").get_text(strip=True)
    assert caption == "25 values to add or change"
    assert soup.select_one("#import-progress") is None

    url = f"/national-data/imports/{planned.id}"
    response = client.submit(f"{url}/confirm", token_from=url)
    assert response.status_code == 302
    done = wait_for(session, planned.id, "done", "failed")
    assert done.status == "done", done.error
    values = imported(session)
    assert len(values) == 25
    assert {(v.source, v.import_id) for v in values} == {("cbt", planned.id)}
    assert {v.period_code for v in values} == {"2026-02"}
    assert not stored.exists()
    assert not Path(f"{stored}.preview.json").exists()

    soup = page_of(client, done)
    assert heading(soup) == "Import complete"
    assert summary(soup, "import-counts")["Values that were added"] == "25"
    assert soup.select_one(f"a[href='{INDEX}']") is not None
    actions = session.exec(
        select(AuditEvent.action).where(AuditEvent.object_type == "national_import")
    ).all()
    assert {"upload", "confirm", "import"} <= set(actions)


def test_progress_json_says_where_the_import_is(client, session, llr, worker):
    client.sign_in(llr.admin.email)
    planned = uploaded(client, session)
    response = client.get(f"/national-data/imports/{planned.id}/progress.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    state = response.get_json()
    assert set(state) == {
        "id", "status", "status_text", "waiting", "share", "percent", "note", "time_left",
        "text", "url",
    }  # fmt: skip
    assert state["status"] == "planned" and state["waiting"] is False
    assert state["url"] == f"/national-data/imports/{planned.id}"
    assert state["status_text"] == "Ready to check"


def test_a_waiting_import_shows_an_accessible_progress_bar_and_a_refresh_link(
    client, session, llr, stores
):
    """No worker runs: the import waits, and the page says so without any script."""
    client.sign_in(llr.analyst.email)
    response = upload(client, CBT)
    assert response.status_code == 302
    found = session.exec(select(NationalImport)).one()
    assert found.status == "queued"
    soup = page_of(client, found)
    assert heading(soup) == "Importing NHS data"
    bar = soup.select_one("progress#import-progress-bar")
    assert soup.select_one("label[for=import-progress-bar]").get_text(strip=True)
    assert not bar.has_attr("value")  # not started: an indeterminate bar
    status = soup.select_one("#import-progress-text")
    assert status["role"] == "status"
    assert status.get_text(strip=True) == "Waiting to start."
    assert soup.select_one("#import-refresh a")["href"] == f"/national-data/imports/{found.id}"
    assert soup.select_one("meta[http-equiv=refresh]") is None
    script = soup.select_one("script[src$='js/import-progress.js']")
    assert script is not None and script["type"] == "module"
    state = client.get(f"/national-data/imports/{found.id}/progress.json").get_json()
    assert (state["status"], state["waiting"], state["percent"]) == ("queued", True, None)

    # Half way through applying (as the worker reports it): percent, note and time left.
    found.status, found.started_at = "applying", found.created_at
    session.add(found)
    session.commit()
    from monitor.jobs import jobs_of

    jobs_of(client.application).report(found.id, 0.5, "12 of 25 values")
    state = client.get(f"/national-data/imports/{found.id}/progress.json").get_json()
    assert (state["percent"], state["note"]) == (50, "12 of 25 values")
    soup = page_of(client, found)
    assert soup.select_one("progress#import-progress-bar")["value"] == "50"
    assert (
        soup.select_one("#import-progress-text")
        .get_text(strip=True)
        .startswith("50% done. 12 of 25 values.")
    )


def test_cancel_deletes_the_stored_file_and_changes_nothing(client, session, llr, worker):
    client.sign_in(llr.analyst.email)
    planned = uploaded(client, session)
    stored = Path(planned.stored_path)
    assert stored.exists() and Path(f"{stored}.preview.json").exists()
    url = f"/national-data/imports/{planned.id}"
    response = client.submit(f"{url}/cancel", token_from=url)
    assert response.status_code == 302
    session.expire_all()
    assert session.get(NationalImport, planned.id).status == "cancelled"
    assert not stored.exists() and not Path(f"{stored}.preview.json").exists()
    assert imported(session) == []
    soup = client.page(url)
    assert heading(soup) == "Import cancelled"
    assert "was cancelled" in soup.select_one(".nhsuk-notification-banner").get_text()
    # A cancelled import cannot be confirmed after all.
    response = client.submit(f"{url}/confirm", token_from=url)
    assert response.status_code == 302
    assert session.get(NationalImport, planned.id).status == "cancelled"
    assert imported(session) == []


def test_the_icbs_administrator_reads_each_step_in_the_audit_log(client, session, llr, worker):
    client.sign_in(llr.analyst.email)
    planned = uploaded(client, session)
    url = f"/national-data/imports/{planned.id}"
    client.submit(f"{url}/cancel", token_from=url)
    client.post("/sign-out", data={"csrf_token": client.csrf_token("/")})

    client.sign_in(llr.admin.email)
    log = client.page("/admin/audit").get_text(" ", strip=True)
    assert f"Uploaded {CBT}" in log
    assert "Cancelled the import of Cloud Based Telephony, February 2026 publication" in log
    client.post("/sign-out", data={"csrf_token": client.csrf_token("/")})

    client.sign_in(llr.other_admin.email)
    log = client.page("/admin/audit").get_text(" ", strip=True)
    assert CBT not in log and "Cancelled the import" not in log


def test_a_file_of_the_wrong_kind_fails_says_why_and_writes_nothing(client, session, llr, worker):
    client.sign_in(llr.analyst.email)
    failed = uploaded(client, session, EPRACCUR)
    assert failed.status == "failed"
    soup = page_of(client, failed)
    assert heading(soup) == "The file could not be imported"
    reason = reason_on(soup)
    assert "holds no figures for practices to import" in reason
    assert imported(session) == []
    assert not Path(failed.stored_path).exists()


def test_a_malformed_file_fails_naming_the_problem(client, session, llr, worker):
    # SYNTHETIC: a CSV whose header is no published layout.
    client.sign_in(llr.analyst.email)
    response = upload(client, "broken.csv", b"GP_CODE,NOT_A_HEADER\r\nC82016,1\r\n")
    assert response.status_code == 302
    import_id = int(response.headers["Location"].split("/")[-1])
    failed = wait_for(session, import_id, "failed", "planned")
    assert failed.status == "failed"
    reason = reason_on(page_of(client, failed))
    assert reason == failed.error
    assert reason.startswith("This looks like a CSV whose first row is “GP_CODE, NOT_A_HEADER”")
    assert imported(session) == []


def test_the_same_file_twice_is_refused_with_a_message(client, session, llr, worker):
    client.sign_in(llr.analyst.email)
    planned = uploaded(client, session)
    # While the first waits to be confirmed, the same file again is refused at once.
    response = upload(client, CBT)
    assert response.status_code == 400
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert error_summary(soup)[0].startswith("This file is being imported already")
    url = f"/national-data/imports/{planned.id}"
    client.submit(f"{url}/confirm", token_from=url)
    assert wait_for(session, planned.id, "done", "failed").status == "done"

    response = upload(client, CBT)
    assert response.status_code == 400
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    message = field_error(soup, "file")
    assert message.startswith(
        "This file was imported already (“Cloud Based Telephony, February 2026 publication”"
    )
    assert error_summary(soup) == [message]
    assert soup.select_one(".nhsuk-error-summary a")["href"] == "#file"
    assert len(session.exec(select(NationalImport)).all()) == 1
    assert len(imported(session)) == 25


def test_a_form_with_no_file_or_a_file_of_another_type_is_a_400_with_an_error_summary(
    client, session, llr, stores
):
    client.sign_in(llr.analyst.email)
    response = client.submit(NEW, {})
    assert response.status_code == 400
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert soup.title.get_text().startswith("Error: ")
    assert error_summary(soup) == ["Select the NHS file to import"]
    assert field_error(soup, "file") == "Select the NHS file to import"

    for name, data, message in [
        ("figures.pdf", b"%PDF-1.4", "must be a .csv, .xlsx or .xlsm file"),
        ("empty.csv", b"", "The selected file is empty"),
    ]:
        response = upload(client, name, data)
        assert response.status_code == 400
        soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
        assert message in error_summary(soup)[0]
    assert session.exec(select(NationalImport)).all() == []
    assert not stores.exists() or list(stores.iterdir()) == []


def test_a_file_over_the_limit_is_a_413_saying_the_routes_own_limit(client, app, llr, stores):
    app.config["UPLOAD_LIMITS"] = {**app.config["UPLOAD_LIMITS"], "national_imports.upload": MB}
    client.sign_in(llr.analyst.email)
    client.csrf_token(NEW)
    response = client.post(
        NEW,
        data=b"",
        content_type="multipart/form-data; boundary=x",
        environ_overrides={"CONTENT_LENGTH": str(2 * MB)},
    )
    assert response.status_code == 413
    assert "1 MB or smaller" in response.get_data(as_text=True)
    # The usual 5 MB limit of other forms does not apply here: the default is 1 GB.
    assert client.application.config["UPLOAD_LIMITS"]["national_imports.upload"] == MB
    from monitor.config import Config

    assert Config.UPLOAD_LIMITS["national_imports.upload"] == 1024 * MB


def test_a_template_without_national_items_is_warned_of_on_the_upload_page(client, session, llr):
    llr.icb.template_version = 1
    session.add(llr.icb)
    session.commit()
    client.sign_in(llr.admin.email)
    callout = client.page(NEW).select_one(".nhsuk-card--warning")
    assert callout is not None
    assert "version 2 of the template" in callout.get_text(" ", strip=True)


# Provenance and undo ------------------------------------------------------------------


def test_the_provenance_page_lists_every_import_and_undo_restores(client, session, llr, worker):
    client.sign_in(llr.analyst.email)
    failed = uploaded(client, session, EPRACCUR)
    planned = uploaded(client, session)
    url = f"/national-data/imports/{planned.id}"
    client.submit(f"{url}/confirm", token_from=url)
    done = wait_for(session, planned.id, "done", "failed")
    assert done.status == "done", done.error

    soup = client.page(INDEX)
    assert heading(soup) == "National data imports"
    rows = table(soup, "imports")
    assert len(rows) == 2
    newest, oldest = rows
    assert newest[0].startswith("Cloud Based Telephony, February 2026 publication")
    assert CBT in newest[0] and f"SHA-256 {done.sha256[:12]}" in newest[0]
    assert newest[1] == "Imported"
    assert newest[2] == llr.analyst.display_name
    assert newest[4] == "6"
    assert newest[5] == (
        "5 of yours, 1 in other ICBs, 0 unknown codes; 6 rows passed over (not a practice's)"
    )
    assert newest[6] == "25 added, 0 changed, 0 unchanged, 0 kept"
    assert newest[7] == "Undo"
    assert oldest[1] == "Failed" and oldest[7] == ""
    full = soup.select_one("#imports code")
    assert full["title"] == done.sha256

    undo = f"{url}/undo"
    page = client.page(undo)
    assert heading(page) == "Undo this import?"
    assert page.select_one(".nhsuk-card--warning") is not None
    assert page.select_one("button.nhsuk-button--warning").get_text(strip=True) == "Undo import"
    response = client.submit(undo)
    assert response.status_code == 302 and response.headers["Location"] == INDEX
    assert imported(session) == []
    session.expire_all()
    assert session.get(NationalImport, done.id).status == "undone"
    banner = client.page(INDEX).select_one(".nhsuk-notification-banner")
    assert "25 values put back" in banner.get_text(" ", strip=True)
    # Undone once: a second undo changes nothing.
    response = client.submit(undo, token_from=INDEX)
    assert response.status_code == 302
    assert "Only an import that finished" in client.page(url).get_text()
    assert failed.id != done.id


def test_the_icb_pages_link_to_the_imports(client, llr):
    client.sign_in(llr.analyst.email)
    home = client.page("/")
    assert home.select_one(f"a[href='{NEW}']") is not None
    nav = [a.get_text(strip=True) for a in home.select("header nav a")]
    assert "NHS data" in nav
    client.post("/sign-out", data={"csrf_token": client.csrf_token("/")})
    client.sign_in(llr.admin.email)
    assert client.page("/").select_one(f"a[href='{NEW}']") is not None


# Who may reach the pages ------------------------------------------------------------


def _an_import(session, icb) -> NationalImport:
    found = NationalImport(
        icb_id=icb.id,
        filename="cbt.xlsx",
        sha256="0" * 64,
        description="Cloud Based Telephony, February 2026 publication",
        status="done",
    )
    session.add(found)
    session.commit()
    return found


def routes(found: NationalImport) -> list[tuple[str, str]]:
    url = f"/national-data/imports/{found.id}"
    return [
        ("GET", INDEX),
        ("GET", NEW),
        ("POST", NEW),
        ("GET", url),
        ("GET", f"{url}/progress.json"),
        ("POST", f"{url}/confirm"),
        ("POST", f"{url}/cancel"),
        ("GET", f"{url}/undo"),
        ("POST", f"{url}/undo"),
    ]


@pytest.mark.parametrize("who", ["manager", "pcn_lead"])
def test_practice_users_and_pcn_leads_reach_none_of_the_routes(client, session, llr, who):
    found = _an_import(session, llr.icb)
    client.sign_in(getattr(llr, who).email)
    for method, url in routes(found):
        if method == "GET":
            response = client.get(url)
        else:
            response = client.submit(url, token_from="/")
        assert response.status_code == 403, (method, url)
    session.expire_all()
    assert session.get(NationalImport, found.id).status == "done"


def test_another_icbs_analyst_gets_404_for_this_icbs_imports(client, session, llr):
    found = _an_import(session, llr.icb)
    client.sign_in(llr.other_analyst.email)
    for method, url in routes(found):
        if url in (INDEX, NEW):
            continue
        response = client.get(url) if method == "GET" else client.submit(url, token_from="/")
        assert response.status_code == 404, (method, url)
    listed = client.page(INDEX)
    assert listed.select_one("#imports") is None
    assert listed.select_one("#no-imports") is not None
    session.expire_all()
    assert session.get(NationalImport, found.id).status == "done"


@pytest.mark.parametrize("import_id", [2**31, 2**63 - 1, 2**63, 10**30])
def test_an_import_id_too_large_for_the_database_is_a_404(client, llr, import_id):
    client.sign_in(llr.analyst.email)
    for suffix in ("", "/progress.json", "/undo"):
        assert client.get(f"/national-data/imports/{import_id}{suffix}").status_code == 404


def test_progress_json_of_another_icbs_import_is_a_404_not_its_data(client, session, llr):
    found = _an_import(session, llr.other_icb)
    client.sign_in(llr.analyst.email)
    response = client.get(f"/national-data/imports/{found.id}/progress.json")
    assert response.status_code == 404
    assert "Cloud Based" not in response.get_data(as_text=True)


def test_a_plan_job_queued_again_leaves_a_planned_import_as_it_is(client, session, llr, worker):
    """A worker starting up queues again what it finds waiting, the job just queued among
    them: the second plan must not read the file again (nor reset the status under a
    person confirming)."""
    from monitor.jobs import run_import

    client.sign_in(llr.analyst.email)
    planned = uploaded(client, session)
    preview = Path(f"{planned.stored_path}.preview.json")
    written = preview.stat().st_mtime_ns
    run_import(client.application, planned.id, "plan", None)
    session.expire_all()
    again = session.get(NationalImport, planned.id)
    assert (again.status, again.version) == ("planned", planned.version)
    assert preview.stat().st_mtime_ns == written


def test_the_shipped_limit_is_refused_above_1_gb_saying_so(client, app, llr):
    client.sign_in(llr.analyst.email)
    client.csrf_token(NEW)
    response = client.post(
        NEW,
        data=b"",
        content_type="multipart/form-data; boundary=x",
        environ_overrides={"CONTENT_LENGTH": str(1024 * MB + 1)},
    )
    assert response.status_code == 413
    assert "1 GB or smaller" in response.get_data(as_text=True)
