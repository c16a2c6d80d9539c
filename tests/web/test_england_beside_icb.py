"""Issue 13 end to end, as an ICB analyst reads it: published figures cover every practice
of the ICB and what a practice typed stays private until it submits (a sentinel), England
beside the ICB from national files (each item's slope index of inequality, England's and
the gap between them, period by period, and England's median and quartiles), the boxes a
practice still types once every national item is imported, and an undone import taking
England's figures off the pages.

Every national file here is synthetic (tests/published_national.py: fictional practices
Z00001…, files named "synthetic-…"), read by the datasets' own readers from disk and
imported as the background worker does (monitor.national_import.run); the expected
figures are worked out from the synthetic values with monitor.analysis.equity and numpy.
"""

from __future__ import annotations

import hashlib
import io
import math
from dataclasses import dataclass
from datetime import date
from xml.etree import ElementTree

import numpy as np
import pytest
from openpyxl import load_workbook
from sqlmodel import select

from monitor import national_import
from monitor.analysis import equity
from monitor.core.checklist import ItemType
from monitor.core.periods import Period
from monitor.importers import datasets
from monitor.models import EnglandPractice, MetricValue, NationalImport, Pcn, Practice, Role
from monitor.services import icb_views, national_data, onboarding
from monitor.web.presenters import icb as present
from tests import published_national as synthetic
from tests.factories import (
    make_collection,
    make_icb,
    make_pcn,
    make_practice,
    make_user,
    onboard_llr,
    shipped_templates,
)
from tests.importers.test_fingertips_workforce import CERVICAL, FT_HEADINGS, WF_HEADINGS, ft_row
from tests.published_files import OPENDATA, csv_bytes, gpad_crosstab, gpad_row
from tests.published_gpps_qof import gpps_2024, gpps_row, qof_achievement, qof_indicator

TODAY = date(2026, 4, 20)
V2 = shipped_templates()[("hep-light-touch", 2)]
SENTINEL = 12.345
SENTINEL_TEXTS = ("12.345", "12.34", "12.35", "12.3%")


# --------------------------------------------------------------------------- helpers


@dataclass
class SyntheticIcb:
    icb: object
    practices: dict[int, Practice]  # by the practice's index among England's
    analyst: object
    collection: object | None = None


def synthetic_icb(session, indexes=synthetic.ICB_INDEXES, *, known=False) -> SyntheticIcb:
    """An ICB on template v2 of the practices at `indexes` among the synthetic England's,
    in three PCNs. Their deprivation and list size are left for onboarding to set,
    unless `known`."""
    icb = make_icb(session, template_version=2)
    pcns = [make_pcn(session, icb=icb, name=f"Synthetic PCN {n}") for n in (1, 2, 3)]
    practices = {}
    for n, i in enumerate(indexes):
        facts = (
            {"imd_decile": synthetic.decile(i), "list_size": synthetic.list_size(i)}
            if known
            else {"imd_decile": None, "list_size": None}
        )
        practices[i] = make_practice(
            session,
            pcn=pcns[n % 3],
            ods_code=synthetic.CODES[i],
            name=f"Synthetic Practice {i:04d}",
            **facts,
        )
    analyst = make_user(session, role=Role.ICB_ANALYST, organisation=icb)
    return SyntheticIcb(icb, practices, analyst)


def onboard_england(session, scene: SyntheticIcb, folder) -> None:
    """England's deprivation (the Fingertips IMD export) and list sizes (patients
    registered), through onboarding, as an ICB is set up from national files."""
    files = [synthetic.imd_export(folder), synthetic.registered(folder)]
    onboarding.onboard(
        session, user=None, icb_code=scene.icb.code,
        extracts=[datasets.read_path(f) for f in files], today=TODAY,
    )  # fmt: skip
    for practice in scene.practices.values():
        session.refresh(practice)


def run_import(session, app, icb, user, national: synthetic.NationalFile) -> NationalImport:
    """One file imported as the worker imports it: planned and applied from the stored
    file (read from disk by its dataset), or from its extract."""
    if national.path is not None:
        digest = national_data.file_hash(national.path)
        found = NationalImport(
            icb_id=icb.id, filename=national.path.name, sha256=digest,
            size=national.path.stat().st_size, stored_path=str(national.path),
            created_by_id=user.id,
        )  # fmt: skip
    else:
        digest = hashlib.sha256(national.extract.filename.encode()).hexdigest()
        found = NationalImport(
            icb_id=icb.id, filename=national.extract.filename, sha256=digest,
            created_by_id=user.id,
        )  # fmt: skip
    session.add(found)
    session.commit()
    done = national_import.run(
        session, found, phase="apply", templates=app.extensions["monitor.templates"],
        today=TODAY, user=user, keep_file=True, extract=national.extract,
    )  # fmt: skip
    assert done.status == "done", done.error
    assert done.dataset == national.dataset
    return done


def collection_of(session, icb, period_code: str, **overrides):
    return make_collection(
        session, icb=icb, template_version=2, period_code=period_code,
        name=f"{Period.parse(period_code).label} light-touch return",
        opens_on=date(2024, 4, 8), due_on=date(2099, 12, 31), **overrides,
    )  # fmt: skip


def table_rows(soup, selector: str, key: str) -> dict[str, list[str]]:
    """The rows of a table's body by their data-`key`, as the cells read."""
    return {
        row[f"data-{key}"]: [c.get_text(" ", strip=True) for c in row.select("th, td")]
        for row in soup.select(f"{selector} tbody tr")
    }


def body_rows(soup, selector: str) -> list[list[str]]:
    return [
        [cell.get_text(" ", strip=True) for cell in row.select("th, td")]
        for row in soup.select(f"{selector} tbody tr")
    ]


def visible_text(element) -> str:
    """What an element says on screen (without the NHS components' hidden prefixes)."""
    for hidden in element.select(".nhsuk-u-visually-hidden"):
        hidden.extract()
    return element.get_text(" ", strip=True)


def summary_list(soup, list_id: str) -> dict[str, str]:
    return {
        row.select_one("dt").get_text(" ", strip=True): row.select_one("dd").get_text(
            " ", strip=True
        )
        for row in soup.select(f"#{list_id} .nhsuk-summary-list__row")
    }


def text_of(response) -> str:
    """What a page, CSV or workbook download says, as text."""
    if response.mimetype.endswith("spreadsheetml.sheet"):
        book = load_workbook(io.BytesIO(response.data))
        return " ".join(str(c.value) for s in book for row in s.iter_rows() for c in row)
    return response.get_data(as_text=True)


def svg_text(response) -> str:
    """The words drawn on a chart (its coordinates are digits too, so only its text)."""
    root = ElementTree.fromstring(response.data)
    return " ".join("".join(e.itertext()) for e in root.iter() if e.tag.endswith("}text"))


def assert_no_sentinel(text: str) -> None:
    for shown in SENTINEL_TEXTS:
        assert shown not in text, shown


def icb_urls(collection_id: int, items=("fft_positive_pct",)) -> list[str]:
    base = f"/collections/{collection_id}"
    urls = [f"{base}/metrics", f"{base}/equity", f"{base}/workbook.xlsx", f"{base}/returns.csv"]
    for item in items:
        urls += [f"{base}/metrics/{item}", f"{base}/metrics/{item}/chart.svg"]
    return urls


def imd_score(i: int) -> float:
    """Practice i's synthetic IMD 2019 score, as synthetic.imd_export writes it."""
    return float(f"{60 - i / 100:.2f}")


def expected_sii(values, indexes, *, item_id=None, periods=1, confidence=0.95):
    """The equity lens's SII of the synthetic figures: practices ranked by IMD score and
    weighted by list size; a count (of `item_id`) as a rate per 1,000 registered patients
    over `periods` periods, with PHE's simulated interval."""
    item = V2.items_by_id[item_id] if item_id else None
    return equity.practices_slope_index(
        list(values),
        list_sizes=[synthetic.list_size(i) for i in indexes],
        imd_scores=[imd_score(i) for i in indexes],
        counts=item is not None and item.type is ItemType.COUNT,
        periods=[periods] * len(indexes),
        confidence=confidence,
    )


def sii_cell(item, result) -> str:
    """England's SII with its interval, as the summary table reads (the item as the
    equity lens compares it: a count per 1,000 registered patients)."""
    item = icb_views.compared_measure(item)
    lower = present.sii_text(item, result.ci_lower, with_unit=False)
    upper = present.sii_text(item, result.ci_upper, with_unit=False)
    return f"{present.sii_text(item, result.sii)} ({lower} to {upper})"


def close(actual, expected) -> bool:
    return math.isclose(actual, expected, rel_tol=0, abs_tol=1e-9)


# --------------------------------------------------------------------------- 1. sentinel


def test_a_typed_figure_stays_private_until_submitted_and_published_ones_cover_every_practice(
    client, session, app, tmp_path
):
    """A figure a practice typed for a national item (the sentinel 12.345) is in no ICB
    page, chart or download until the practice submits; NHS England's figures for the
    same item cover all six practices, the typist's by the published figure kept beside
    its own, before and after it submits; a typed-only item comes from the return alone."""
    indexes = synthetic.ICB_INDEXES[:6]
    scene = synthetic_icb(session, indexes, known=True)
    typist = scene.practices[indexes[0]]
    editor = make_user(session, role=Role.PRACTICE_EDITOR, organisation=typist)
    collection = collection_of(session, scene.icb, "2023-24-q3")

    # The practice types a Friends and Family Test figure (the sentinel) and its own
    # call-answer time for November 2023, and does not submit.
    client.sign_in(editor.email)
    form = client.page(f"/figures/{synthetic.MONTH}")
    response = client.submit(
        f"/figures/{synthetic.MONTH}",
        {"token": form.select_one("input[name=token]")["value"],
         "fft_positive_pct": str(SENTINEL), "call_answer_time": "2:30"},
    )  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    client.post("/sign-out", data={"csrf_token": client.csrf_token("/")})

    client.sign_in(scene.analyst.email)
    for url in icb_urls(collection.id, ("fft_positive_pct", "call_answer_time")):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_no_sentinel(svg_text(response) if url.endswith(".svg") else text_of(response))
    assert client.page(f"/collections/{collection.id}/metrics").select_one("#metrics") is None
    assert client.page(f"/collections/{collection.id}/equity").select_one("#no-metrics")

    # NHS England's FFT for every practice of the ICB: the typed figure is kept, the
    # published one remembered beside it.
    done = run_import(
        session, app, scene.icb, scene.analyst,
        synthetic.NationalFile("fft", synthetic.fft(tmp_path, indexes)),
    )  # fmt: skip
    assert (done.values_added, done.values_kept) == (2 * len(indexes) - 1, 1)
    session.expire_all()
    kept = session.exec(
        select(MetricValue).where(
            MetricValue.practice_id == typist.id, MetricValue.item_id == "fft_positive_pct"
        )
    ).one()
    published = synthetic.fft_positive_pct(indexes[0])
    assert (kept.value_number, kept.import_id, kept.published_number) == (
        SENTINEL, None, published,
    )  # fmt: skip

    item = V2.items_by_id["fft_positive_pct"]
    fmt = present.formatter(item)
    expected = {
        f"{scene.practices[i].name} ({scene.practices[i].ods_code})": fmt(
            synthetic.fft_positive_pct(i)
        )
        for i in indexes
    }

    def check_published_everywhere(submitted: int) -> None:
        page = client.page(f"/collections/{collection.id}/metrics/fft_positive_pct")
        coverage = visible_text(page.select_one("#coverage"))
        assert coverage.startswith(
            "From NHS England's publication (Friends and Family Test (GP), November 2023), "
            f"all {len(indexes)} practices, whether or not they submitted a return"
        )
        ranked = {row[1]: row[3] for row in body_rows(page, "#ranked-practices")}
        assert ranked == expected
        assert summary_list(page, "distribution-summary")[
            "Practices with a published figure"
        ] == str(len(indexes))
        metrics = table_rows(client.page(f"/collections/{collection.id}/metrics"), "#metrics",
                             "item")  # fmt: skip
        assert metrics["fft_positive_pct"][1] == str(len(indexes))
        assert metrics["fft_responses"][1] == str(len(indexes))
        equity_page = client.page(f"/collections/{collection.id}/equity")
        summary = table_rows(equity_page, "#sii-summary", "item")
        assert summary["fft_positive_pct"][1] == str(len(indexes))
        covered = equity_page.select_one("#equity-fft_positive_pct .app-coverage")
        assert f"all {len(indexes)} practices" in covered.get_text(" ", strip=True)
        for url in icb_urls(collection.id):
            response = client.get(url)
            if submitted and url.endswith((".csv", ".xlsx")):
                continue  # the submitted return's own rows: the practice chose to send them
            assert_no_sentinel(svg_text(response) if url.endswith(".svg") else text_of(response))

    check_published_everywhere(submitted=0)
    metrics = table_rows(client.page(f"/collections/{collection.id}/metrics"), "#metrics", "item")
    assert "call_answer_time" not in metrics  # typed only, and not submitted
    client.post("/sign-out", data={"csrf_token": client.csrf_token("/")})

    # The practice submits its return, with its typed figures.
    client.sign_in(editor.email)
    review = f"/returns/{collection.id}/review"
    response = client.submit(review)
    assert response.status_code == 302
    client.post("/sign-out", data={"csrf_token": client.csrf_token("/")})

    client.sign_in(scene.analyst.email)
    check_published_everywhere(submitted=1)  # the national item: still the published figure
    metrics = table_rows(client.page(f"/collections/{collection.id}/metrics"), "#metrics", "item")
    assert metrics["call_answer_time"][1:] == [
        "1", "Submitted returns", "Too few practices (1) for a median"
    ]  # fmt: skip
    ranked = body_rows(
        client.page(f"/collections/{collection.id}/metrics/call_answer_time"), "#ranked-practices"
    )
    assert [row[1:4] for row in ranked] == [
        [f"{typist.name} ({typist.ods_code})", session.get(Pcn, typist.pcn_id).name, "2:30"]
    ]
    book = load_workbook(io.BytesIO(client.get(f"/collections/{collection.id}/workbook.xlsx").data))
    pivot = list(book["Practices x metrics"].iter_rows(values_only=True))
    column = next(n for n, title in enumerate(pivot[0]) if title.startswith(item.label))
    # Every practice with a published figure has a row (published figures are public);
    # the typist's row holds the published figure, not the one typed.
    codes = [row[0] for row in pivot[1:]]
    assert typist.ods_code in codes and len(codes) == len(indexes)
    assert pivot[1 + codes.index(typist.ods_code)][column] == published
    rows = list(book["Published figures"].iter_rows(values_only=True))
    assert rows[0][:3] == ("ODS code", "Practice", "PCN")
    assert SENTINEL not in [cell for row in rows for cell in row]


# --------------------------------------------------------------------------- 2. England


def england_scene(session, app, tmp_path) -> SyntheticIcb:
    """The synthetic ICB onboarded from England's IMD export and registered patients,
    with every national file of its equity page imported (England's, 5,200 practices),
    and an annual collection for 2023/24."""
    scene = synthetic_icb(session)
    onboard_england(session, scene, tmp_path)
    for national in synthetic.national_files(tmp_path):
        done = run_import(session, app, scene.icb, scene.analyst, national)
        assert done.practices_matched == len(synthetic.ICB_INDEXES)
    scene.collection = collection_of(session, scene.icb, synthetic.YEAR)
    return scene


def test_the_icbs_pages_put_england_beside_the_icb_for_every_national_item(
    client, session, app, tmp_path
):
    """With England's files imported (5,200 practices), the equity page gives each
    national item's SII for the ICB and for England, with the gap in a word, overall and
    period by period; each distribution gives England's median and quartiles."""
    scene = england_scene(session, app, tmp_path)
    check_equity_page(client, session, scene)
    check_distributions(client, scene)


def check_equity_page(client, session, scene: SyntheticIcb) -> None:
    # Onboarding gave the ICB's practices, and England's, their deciles and list sizes.
    for i, practice in scene.practices.items():
        assert (practice.imd_decile, practice.list_size) == (
            synthetic.decile(i), synthetic.list_size(i),
        )  # fmt: skip
    england = {e.ods_code: e for e in session.exec(select(EnglandPractice))}
    assert len(england) == synthetic.PRACTICES
    assert all(
        (england[code].imd_decile, england[code].list_size)
        == (synthetic.decile(i), synthetic.list_size(i))
        for i, code in enumerate(synthetic.CODES)
    )

    client.sign_in(scene.analyst.email)
    page = client.page(f"/collections/{scene.collection.id}/equity")
    summary = table_rows(page, "#sii-summary", "item")
    assert set(summary) == set(synthetic.FIGURES)
    data = icb_views.load(session, user=scene.analyst, collection=scene.collection, template=V2)
    icb_indexes = list(synthetic.ICB_INDEXES)
    everyone = range(synthetic.PRACTICES)
    gaps = {}
    for item_id in synthetic.FIGURES:
        item = V2.items_by_id[item_id]
        months = len(synthetic.PERIODS[item_id])
        ours = expected_sii(
            [synthetic.figure_over_periods(item_id, i) for i in icb_indexes], icb_indexes,
            item_id=item_id, periods=months,
        )  # fmt: skip
        england_values = [synthetic.figure_over_periods(item_id, i) for i in everyone]
        englands = expected_sii(england_values, everyone, item_id=item_id, periods=months)
        assert ours.ranked_by == englands.ranked_by == "imd_score"
        assert (
            ours.ci_method
            == englands.ci_method
            == ("simulation" if item.type is ItemType.COUNT else "regression")
        )
        assert ours.ok and englands.ok, item_id
        gap = equity.compare_gaps(
            (ours.sii, ours.ci_lower, ours.ci_upper),
            (englands.sii, englands.ci_lower, englands.ci_upper),
        )
        gaps[item_id] = gap

        # The service, to 1e-9: the ICB's twelve practices and England's 5,200.
        view = icb_views.equity_view(data, item, session=session, user=scene.analyst)
        assert view.n == len(icb_indexes)
        e = view.england.summary
        assert e.n == synthetic.PRACTICES
        quartiles = np.percentile(england_values, [25, 50, 75])
        for got, want in zip((e.q1, e.median, e.q3), quartiles, strict=True):
            assert close(got, want), (item_id, "quartiles")
        for got, want in ((view.sii, ours), (view.england.sii, englands)):
            for name in ("sii", "ci_lower", "ci_upper"):
                assert close(getattr(got, name), getattr(want, name)), (item_id, name)
        assert view.gap == gap

        # The page: the ICB's SII and interval (and how it was worked out), England's, and
        # the gap in a word.
        measure = icb_views.compared_measure(item)
        lower = present.sii_text(measure, ours.ci_lower, with_unit=False)
        assert summary[item_id] == [
            measure.label,
            str(len(icb_indexes)),
            present.sii_text(measure, ours.sii),
            f"{lower} to {present.sii_text(measure, ours.ci_upper)} ({ours.ci_label})",
            sii_cell(item, englands),
            gap.capitalize(),
        ], item_id
        sentence = page.select_one(f"#equity-{item_id} .app-england-gap").get_text(" ", strip=True)
        assert f"is {present.GAP_WORDS[gap]}" in sentence

        # Period by period: each period of the item, the ICB's SII beside England's.
        over_time = table_rows(page, f"#over-time-{item_id}", "period")
        assert list(over_time) == list(synthetic.PERIODS[item_id]), item_id
        for code in synthetic.PERIODS[item_id]:
            ours_then = expected_sii(
                [synthetic.figure_in(item_id, i, code) for i in icb_indexes], icb_indexes,
                item_id=item_id,
            )  # fmt: skip
            englands_then = expected_sii(
                [synthetic.figure_in(item_id, i, code) for i in everyone], everyone,
                item_id=item_id,
            )  # fmt: skip
            then = equity.compare_gaps(
                (ours_then.sii, ours_then.ci_lower, ours_then.ci_upper),
                (englands_then.sii, englands_then.ci_lower, englands_then.ci_upper),
            )
            assert over_time[code] == [
                Period.parse(code).label,
                str(len(icb_indexes)),
                sii_cell(item, ours_then),
                sii_cell(item, englands_then),
                then.capitalize(),
            ], (item_id, code)
    # The synthetic ICB was drawn to differ from England for two items, and like it for one.
    assert (gaps[synthetic.NARROWER], gaps[synthetic.WIDER], gaps[synthetic.SIMILAR]) == (
        "narrower", "wider", "similar",
    )  # fmt: skip


def check_distributions(client, scene: SyntheticIcb) -> None:
    for item_id in synthetic.FIGURES:
        item = V2.items_by_id[item_id]
        fmt = present.formatter(item)
        page = client.page(f"/collections/{scene.collection.id}/metrics/{item_id}")
        england = np.array(
            [synthetic.figure_over_periods(item_id, i) for i in range(synthetic.PRACTICES)]
        )
        q1, median, q3 = np.percentile(england, [25, 50, 75])
        shown = summary_list(page, "england-summary")
        assert {k: v for k, v in shown.items() if k != "Source"} == {
            "England's practices": f"{synthetic.PRACTICES:,}",
            "England median": fmt(median),
            "England lower quartile": fmt(q1),
            "England upper quartile": fmt(q3),
        }, item_id
        ours = np.array([synthetic.figure_over_periods(item_id, i) for i in synthetic.ICB_INDEXES])
        assert summary_list(page, "distribution-summary")["Median"] == fmt(np.median(ours))
        assert f"all {len(synthetic.ICB_INDEXES)} practices" in visible_text(
            page.select_one("#coverage")
        )
        alt = page.select_one("#ranked-chart")["alt"]
        assert f"England's median, drawn across, is {fmt(median)}" in alt
    page = client.page(f"/collections/{scene.collection.id}/metrics/calls_answered_pct")
    assert summary_list(page, "england-summary")["Source"] == (
        "Cloud Based Telephony, November 2023 publication; "
        "Cloud Based Telephony, December 2023 publication"
    )


# --------------------------------------------------------------------------- 3. typed boxes


LLR_MONTH, LLR_QUARTER, LLR_YEAR = "2026-02", "2025-26-q4", "2023-24"


def llr_files(folder, codes) -> list[synthetic.NationalFile]:
    """Every national item of template v2 for LLR's practices: the real February 2026
    Cloud Based Telephony and online consultation excerpts, and synthetic files of the
    others for February 2026 (GPAD, FFT, workforce) and 2023/24 (GP Patient Survey, QOF,
    Fingertips screening, the ICB's HEP payment schedule)."""

    def write(name, data):
        path = folder / name
        path.write_bytes(data)
        return path

    gpad = [
        gpad_row(code, count, mode=mode, month="01FEB2026")
        for code in codes
        for mode, count in (("Face-to-Face", 600), ("Telephone", 380), ("Home Visit", 20))
    ]
    fft = [["gp_code", "fft_responses", "fft_pct_positive", "period"]]
    fft += [[code, "140", "91.5", "202602"] for code in codes]
    staff = [
        [code, "SYNTHETIC SURGERY", group, "Total", "FTE", fte, "202602"]
        for code in codes
        for group, fte in (("GP", "4.2"), ("Nurses", "2.5"), ("Direct Patient Care", "1.5"))
    ]
    screening = [
        ft_row(indicator, code, "70.5")
        for indicator in (CERVICAL, *(synthetic.SCREENING[k][0] for k in
                                      ("bowel_screening_coverage", "breast_screening_coverage")))
        for code in codes
    ]  # fmt: skip
    schedule = [["ods_code", "financial_year", "amount", "payment_date"]]
    schedule += [[code, "2023/24", "48,000.00", "30/06/2023"] for code in codes]
    return [
        synthetic.NationalFile(
            "cbt", OPENDATA / "cbt_publication_summary_feb2026_LLR_excerpt.xlsx"
        ),
        synthetic.NationalFile(
            "online_consultations", OPENDATA / "oc_submissions_feb2026_LLR_excerpt.xlsx"
        ),
        synthetic.NationalFile(
            "gpad_appointments", write("synthetic-gpad-feb26.csv", gpad_crosstab(gpad))
        ),
        synthetic.NationalFile("fft", write("synthetic-fft-gp-feb26.csv", csv_bytes(fft))),
        synthetic.NationalFile(
            "workforce",
            write("synthetic-gpw-feb-2026.csv", csv_bytes([[*WF_HEADINGS, "PERIOD"], *staff])),
        ),
        synthetic.NationalFile(
            "gpps",
            write("synthetic-gpps-2024.csv", gpps_2024([gpps_row(c) for c in codes], year=2024)),
        ),
        synthetic.NationalFile(
            "qof",
            write(
                "synthetic-ACHIEVEMENT_2324.csv",
                qof_achievement([r for c in codes for r in qof_indicator(c, "SYN001", "520.7")]),
            ),
        ),
        synthetic.NationalFile(
            "fingertips",
            write("synthetic-fingertips-screening.csv", csv_bytes([FT_HEADINGS, *screening])),
        ),
        synthetic.NationalFile(
            "hep_schedule", write("synthetic-hep-payment-schedule.csv", csv_bytes(schedule))
        ),
    ]


def boxes_to_type(page) -> list[str]:
    """The boxes a practice's figures form still asks it to type: inputs neither read
    only nor prefilled."""
    return [
        box["name"]
        for box in page.select("form input.nhsuk-input")
        if not box.has_attr("readonly") and not box.has_attr("disabled")
    ]


def test_with_every_national_item_imported_a_practice_types_1_box_a_month_3_a_quarter_0_a_year(
    client, session, app, tmp_path
):
    icb = onboard_llr(session, today=TODAY)
    analyst = make_user(session, role=Role.ICB_ANALYST, organisation=icb)
    practices = session.exec(select(Practice).where(Practice.icb_id == icb.id)).all()
    practice = next(p for p in practices if p.ods_code == "C82016")
    for national in llr_files(tmp_path, sorted(p.ods_code for p in practices)):
        run_import(session, app, icb, analyst, national)
    editor = make_user(session, role=Role.PRACTICE_EDITOR, organisation=practice)
    client.sign_in(editor.email)

    national = {
        period: sorted(i.id for i in V2.items_for(Period.parse(period).frequency) if i.national)
        for period in (LLR_MONTH, LLR_QUARTER, LLR_YEAR)
    }
    typed = {}
    for period in (LLR_MONTH, LLR_QUARTER, LLR_YEAR):
        page = client.page(f"/figures/{period}")
        typed[period] = boxes_to_type(page)
        prefilled = page.select("#prefilled .nhsuk-summary-list__row")
        assert len(prefilled) == len(national[period]), period
    assert typed == {
        LLR_MONTH: ["call_answer_time"],
        LLR_QUARTER: ["childhood_immunisation_pct", "ld_health_checks_pct", "staff_leavers"],
        LLR_YEAR: [],
    }
    assert [len(typed[p]) for p in (LLR_MONTH, LLR_QUARTER, LLR_YEAR)] == [1, 3, 0]
    assert len(national[LLR_MONTH]) == 14 and len(national[LLR_YEAR]) == 6
    assert client.page(f"/figures/{LLR_YEAR}").select_one("#nothing-to-add") is not None


# --------------------------------------------------------------------------- 4. undo


def test_undoing_the_gpps_import_takes_englands_gpps_figures_off_the_icb_pages(
    client, session, app, tmp_path
):
    scene = synthetic_icb(session)
    onboard_england(session, scene, tmp_path)
    gpps = run_import(session, app, scene.icb, scene.analyst,
                      synthetic.NationalFile("gpps", synthetic.gpps(tmp_path)))  # fmt: skip
    run_import(session, app, scene.icb, scene.analyst,
               synthetic.NationalFile("qof", synthetic.qof(tmp_path)))  # fmt: skip
    collection = collection_of(session, scene.icb, synthetic.YEAR)
    client.sign_in(scene.analyst.email)
    equity_url = f"/collections/{collection.id}/equity"
    gpps_url = f"/collections/{collection.id}/metrics/gpps_overall_experience"
    before = table_rows(client.page(equity_url), "#sii-summary", "item")
    qof = V2.items_by_id["qof_achievement"]
    everyone = range(synthetic.PRACTICES)
    englands_qof = expected_sii(
        [synthetic.qof_pct(i) for i in everyone], everyone, item_id="qof_achievement"
    )
    assert before["qof_achievement"][4] == sii_cell(qof, englands_qof)
    assert before["gpps_overall_experience"][4] != "Not known yet"
    assert client.page(gpps_url).select_one("#england-summary") is not None

    undo = f"/national-data/imports/{gpps.id}/undo"
    assert client.submit(undo).status_code == 302
    session.expire_all()
    assert session.get(NationalImport, gpps.id).status == "undone"

    after = table_rows(client.page(equity_url), "#sii-summary", "item")
    assert "gpps_overall_experience" not in after  # no practice has a GPPS figure now
    assert after["qof_achievement"] == before["qof_achievement"]
    page = client.page(gpps_url)
    assert page.select_one("#england") is None
    assert page.select_one("#england-summary") is None
    assert page.select_one("#coverage") is None
    assert client.page(f"/collections/{collection.id}/metrics/qof_achievement").select_one(
        "#england-summary"
    )


@pytest.mark.parametrize("when", ["typed before the import", "overridden after it"])
def test_undoing_an_import_forgets_the_published_figure_it_kept_beside_a_practices_own(
    client, session, app, tmp_path, when
):
    """An import keeps a practice's own figure (typed before it, or an override of the
    import's figure after it) with the published one remembered beside it, and the ICB's
    views take that remembered figure as the practice's published one. Undoing the
    import must forget it too: afterwards no publication stands behind it, so the ICB's
    views of the item have no published figure at all."""
    indexes = synthetic.ICB_INDEXES[:6]
    scene = synthetic_icb(session, indexes, known=True)
    typist = scene.practices[indexes[0]]
    editor = make_user(session, role=Role.PRACTICE_EDITOR, organisation=typist)
    collection = collection_of(session, scene.icb, synthetic.YEAR)
    gpps_file = synthetic.NationalFile("gpps", synthetic.gpps(tmp_path, indexes))
    figures_url = f"/figures/{synthetic.YEAR}"
    own = {"gpps_overall_experience": str(SENTINEL)}
    if when == "overridden after it":
        gpps = run_import(session, app, scene.icb, scene.analyst, gpps_file)
        figures_url += "?override=gpps_overall_experience"
        own |= {"override": "gpps_overall_experience",
                "gpps_overall_experience-reason": "Our own survey of 400 patients"}  # fmt: skip
    client.sign_in(editor.email)
    form = client.page(figures_url)
    own["token"] = form.select_one("input[name=token]")["value"]
    assert client.submit(figures_url, own).status_code == 302
    client.post("/sign-out", data={"csrf_token": client.csrf_token("/")})
    if when == "typed before the import":
        gpps = run_import(session, app, scene.icb, scene.analyst, gpps_file)
        assert gpps.values_kept == 1
    session.expire_all()
    row = session.exec(
        select(MetricValue).where(
            MetricValue.practice_id == typist.id, MetricValue.item_id == "gpps_overall_experience"
        )
    ).one()
    assert (row.value_number, row.published_number) == (SENTINEL, synthetic.gpps_pct(indexes[0]))

    client.sign_in(scene.analyst.email)
    assert client.submit(f"/national-data/imports/{gpps.id}/undo").status_code == 302
    session.expire_all()
    row = session.get(MetricValue, row.id)
    assert row.value_number == SENTINEL  # the practice's own figure stands
    page = client.page(f"/collections/{collection.id}/metrics/gpps_overall_experience")
    coverage = page.select_one("#coverage")
    assert coverage is None, visible_text(coverage)
    assert "gpps_overall_experience" not in table_rows(
        client.page(f"/collections/{collection.id}/equity"), "#sii-summary", "item"
    )
    assert row.published_number is None


# --------------------------------------------------------------------------- the index


def test_the_metrics_index_says_national_items_cover_every_practice_not_submitting_ones(
    client, session, app, tmp_path
):
    """No practice has submitted; NHS England's FFT covers all six. The index of metrics
    must not call those six "practices submitting" (nor say its figures are "from the 0
    submitted returns"): like the distribution and equity pages, it says they are from
    NHS England's publication, all six practices."""
    indexes = synthetic.ICB_INDEXES[:6]
    scene = synthetic_icb(session, indexes, known=True)
    collection = collection_of(session, scene.icb, "2023-24-q3")
    run_import(session, app, scene.icb, scene.analyst,
               synthetic.NationalFile("fft", synthetic.fft(tmp_path, indexes)))  # fmt: skip
    client.sign_in(scene.analyst.email)
    page = client.page(f"/collections/{collection.id}/metrics")
    rows = table_rows(page, "#metrics", "item")
    assert rows["fft_positive_pct"][1] == "6"
    headers = [th.get_text(" ", strip=True) for th in page.select("#metrics thead th")]
    text = visible_text(page.select_one("main") or page)
    assert "Practices submitting" not in headers, headers
    assert "From the 0 submitted returns" not in text
    assert "all 6 practices" in text
