"""A shared case example's charts are a snapshot: as they stood when the practice last
saved it, marked with only the interventions the case links, the same for every reader
(the practice included), whatever the practice records afterwards."""

from __future__ import annotations

from datetime import date

import pytest
from bs4 import BeautifulSoup
from sqlmodel import func, select

from monitor import charts
from monitor.core.checklist import load_template
from monitor.core.clock import today
from monitor.demo.records import TEMPLATE_PATH
from monitor.models import CaseExample, CaseExampleChart, Intervention, MetricValue, Practice
from monitor.services import case_examples, metric_view
from tests.client import error_summary, field_error
from tests.factories import make_case, make_intervention, make_value, months

LINKED = "Proactive visits by our ANP start"
UNRELATED = "SENTINEL-UNRELATED-INTERVENTION-4c8e"
# Sixteen months: enough for an SPC chart with limits (13 or more).
FIGURES = months(*[30, 32, 31, 29, 33, 30, 31, 45, 47, 46, 48, 50, 47, 49, 48, 51], first="2024-07")


@pytest.fixture
def figures(session, world):
    for code, number in FIGURES:
        make_value(
            session, practice=world.practice, item_id="home_visits", period_code=code, number=number
        )
    linked = make_intervention(
        session,
        practice=world.practice,
        occurred_on=date(2025, 2, 3),
        title=LINKED,
        affected_items=["home_visits"],
    )
    unrelated = make_intervention(
        session,
        practice=world.practice,
        occurred_on=date(2024, 11, 4),
        title=UNRELATED,
        affected_items=["home_visits"],
    )
    return {"linked": linked, "unrelated": unrelated}


def form(**overrides) -> dict:
    return {
        "title": "Proactive housebound visits",
        "problem": "Housebound patients were seen only when something went wrong",
        "actions": "An advanced nurse practitioner visits every three months",
        "visibility": "pcn",
        "metric_item_ids": ["home_visits"],
        **overrides,
    }


def write_case(client, world, **overrides) -> int:
    """The editor writes a case example through the form (in a browser of their own);
    its id."""
    editor = client.application.test_client()
    editor.sign_in(world.editor.email)
    response = editor.submit("/case-examples/new", form(**overrides))
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def reader(client, world):
    lead = client.application.test_client()
    lead.sign_in(world.pcn_lead.email)
    return lead


def table(page, item_id="home_visits") -> list[list[str]]:
    return [
        [cell.get_text(strip=True) for cell in row.select("th, td")]
        for row in page.select(f"#data-{item_id} tbody tr")
    ]


def chart_rows(session, case_id) -> int:
    return session.exec(
        select(func.count())
        .select_from(CaseExampleChart)
        .where(CaseExampleChart.case_example_id == case_id)
    ).one()


def forget_drawn_charts(app) -> None:
    """Empty the chart cache, so the next request draws from the stored data again."""
    app.extensions["monitor.chart_cache"]._items.clear()


def change_a_figure(session, world, code="2025-10", number=90.0) -> None:
    value = session.exec(
        select(MetricValue).where(
            MetricValue.practice_id == world.practice.id,
            MetricValue.item_id == "home_visits",
            MetricValue.period_code == code,
        )
    ).one()
    value.value_number = number
    session.add(value)
    session.commit()


def test_a_readers_chart_and_table_stay_as_they_were_when_the_practice_edits_a_figure(
    client, session, world, figures
):
    case_id = write_case(client, world, intervention_ids=[str(figures["linked"].id)])
    lead = reader(client, world)
    chart_url = f"/case-examples/{case_id}/metrics/home_visits/chart.svg"
    before_page = lead.page(f"/case-examples/{case_id}")
    before_svg = lead.get(chart_url).get_data()
    before_alt = before_page.select_one("#metric-home_visits img")["alt"]

    change_a_figure(session, world)
    make_value(
        session, practice=world.practice, item_id="home_visits", period_code="2025-11", number=99
    )
    forget_drawn_charts(client.application)

    after_page = lead.page(f"/case-examples/{case_id}")
    assert lead.get(chart_url).get_data() == before_svg
    assert table(after_page) == table(before_page)
    assert len(table(after_page)) == len(FIGURES)
    assert after_page.select_one("#metric-home_visits img")["alt"] == before_alt
    # The PNG is drawn from the same stored data.
    png = lead.get(f"/case-examples/{case_id}/metrics/home_visits/chart.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    # So is the chart laid out for a phone, which the page offers below the breakpoint.
    phone = after_page.select_one("#metric-home_visits picture source")["srcset"]
    assert phone == f"{chart_url}?width=phone"
    assert b'width="252pt"' in lead.get(phone).get_data()


def test_an_unrelated_intervention_is_named_nowhere_in_the_shared_page_or_its_chart(
    client, session, world, figures
):
    case_id = write_case(client, world, intervention_ids=[str(figures["linked"].id)])
    lead = reader(client, world)
    page = lead.page(f"/case-examples/{case_id}")
    svg = lead.get(f"/case-examples/{case_id}/metrics/home_visits/chart.svg").get_data(as_text=True)
    html = lead.get(f"/case-examples/{case_id}").get_data(as_text=True)
    assert UNRELATED not in html and UNRELATED not in svg
    # The linked one is listed, and is on the chart.
    listed = [li.get_text(" ", strip=True) for li in page.select("#interventions li")]
    assert listed == [f"{LINKED} (3 February 2025)"]
    assert LINKED in svg
    payload = session.exec(select(CaseExampleChart.payload)).one()
    assert UNRELATED not in str(payload)


def test_the_owner_sees_what_readers_see_and_how_to_update_it(client, session, world, figures):
    case_id = write_case(client, world, intervention_ids=[str(figures["linked"].id)])
    client.sign_in(world.editor.email)
    own = client.page(f"/case-examples/{case_id}")
    taken = session.exec(select(CaseExampleChart.taken_at)).one()
    when = f"{taken:%-d %B %Y}"
    note = own.select_one("#charts-note").get_text(" ", strip=True)
    assert note.startswith(f"Readers see these charts as they stood on {when}")
    assert "Save the case example again to update them." in note
    change_a_figure(session, world)
    assert table(client.page(f"/case-examples/{case_id}")) == table(own)

    lead = reader(client, world)
    theirs = lead.page(f"/case-examples/{case_id}")
    assert theirs.select_one("#charts-note").get_text(" ", strip=True) == (
        f"Charts as they stood on {when}."
    )


def test_saving_again_publishes_the_charts_afresh(client, session, world, figures):
    case_id = write_case(client, world, intervention_ids=[str(figures["linked"].id)])
    lead = reader(client, world)
    chart_url = f"/case-examples/{case_id}/metrics/home_visits/chart.svg"
    before_svg = lead.get(chart_url).get_data()
    change_a_figure(session, world, number=90)

    client.sign_in(world.editor.email)
    case = session.get(CaseExample, case_id)
    session.refresh(case)
    response = client.submit(
        f"/case-examples/{case_id}/edit",
        form(version=str(case.version), intervention_ids=[str(figures["linked"].id)]),
    )
    assert response.status_code == 302

    page = lead.page(f"/case-examples/{case_id}")
    october = next(row for row in table(page) if row[0] == "October 2025")
    assert october[1] == "90"
    assert lead.get(chart_url).get_data() != before_svg
    assert chart_rows(session, case_id) == 1


def test_unlinking_every_intervention_takes_them_off_the_chart(client, session, world, figures):
    case_id = write_case(client, world, intervention_ids=[str(figures["linked"].id)])
    client.sign_in(world.editor.email)
    case = session.get(CaseExample, case_id)
    response = client.submit(f"/case-examples/{case_id}/edit", form(version=str(case.version)))
    assert response.status_code == 302
    svg = client.get(f"/case-examples/{case_id}/metrics/home_visits/chart.svg").get_data(
        as_text=True
    )
    assert LINKED not in svg and UNRELATED not in svg
    assert not client.page(f"/case-examples/{case_id}").select("#interventions")


def test_another_practices_intervention_is_refused_and_nothing_changes(
    client, session, world, figures
):
    theirs = world.sibling_records["interventions"]
    client.sign_in(world.editor.email)
    response = client.submit("/case-examples/new", form(intervention_ids=[str(theirs.id)]))
    assert response.status_code == 400
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    message = "Select interventions from your practice's list"
    assert field_error(page, "intervention_ids") == message
    assert message in error_summary(page)
    assert session.exec(select(func.count()).select_from(CaseExample)).one() == 0
    assert session.exec(select(func.count()).select_from(CaseExampleChart)).one() == 0

    case_id = write_case(client, world, intervention_ids=[str(figures["linked"].id)])
    case = session.get(CaseExample, case_id)
    taken = session.exec(select(CaseExampleChart.taken_at)).one()
    response = client.submit(
        f"/case-examples/{case_id}/edit",
        form(version=str(case.version), title="Changed", intervention_ids=[str(theirs.id)]),
    )
    assert response.status_code == 400
    session.refresh(case)
    assert case.title == "Proactive housebound visits"
    assert case.intervention_ids == [figures["linked"].id]
    assert session.exec(select(CaseExampleChart.taken_at)).one() == taken


def test_the_form_offers_only_the_practices_own_interventions_and_says_what_readers_see(
    client, world, figures
):
    client.sign_in(world.editor.email)
    page = client.page("/case-examples/new")
    offered = {box["value"] for box in page.select("input[name=intervention_ids]")}
    own = {str(figures["linked"].id), str(figures["unrelated"].id)}
    own.add(str(world.records["interventions"].id))
    assert offered == own
    said = page.select_one("#what-readers-see").get_text(" ", strip=True)
    assert said.startswith("People you share with will see the text above")
    assert "They will not see your other figures, later changes or other interventions." in said


def test_deleting_a_case_example_removes_its_published_charts(client, session, world, figures):
    case_id = write_case(client, world)
    assert chart_rows(session, case_id) == 1
    client.sign_in(world.editor.email)
    case = session.get(CaseExample, case_id)
    response = client.submit(f"/case-examples/{case_id}/delete", {"version": str(case.version)})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(CaseExample, case_id) is None
    assert chart_rows(session, case_id) == 0


@pytest.mark.parametrize(
    ("who", "status"),
    [("editor", 200), ("viewer", 200), ("other_editor", 404), ("pcn_lead", 404),
     ("analyst", 404), ("foreign_editor", 404)],
)  # fmt: skip
def test_a_private_case_examples_chart_is_not_found_for_whoever_may_not_read_it(
    client, world, figures, who, status
):
    case_id = write_case(client, world, visibility="private")
    client.sign_in(getattr(world, who).email)
    for fmt in ("svg", "png"):
        url = f"/case-examples/{case_id}/metrics/home_visits/chart.{fmt}"
        assert client.get(url).status_code == status
    assert client.get(f"/case-examples/{case_id}").status_code == status


def test_a_case_example_saved_before_charts_were_kept_publishes_none(client, session, world):
    make_value(
        session, practice=world.practice, item_id="home_visits", period_code="2025-09", number=40
    )
    case = make_case(
        session, practice=world.practice, visibility="pcn", metric_item_ids=["home_visits"]
    )
    client.sign_in(world.editor.email)
    own = client.page(f"/case-examples/{case.id}")
    assert "Save this case example again to publish its charts." in own.select_one(
        "#charts-note"
    ).get_text(" ", strip=True)
    assert not own.select("#metric-home_visits img")

    lead = reader(client, world)
    theirs = lead.page(f"/case-examples/{case.id}")
    assert theirs.select_one("#charts-note").get_text(" ", strip=True) == (
        "No chart was published with this case example."
    )
    assert lead.get(f"/case-examples/{case.id}/metrics/home_visits/chart.svg").status_code == 404


@pytest.mark.parametrize("count", [len(FIGURES), 6], ids=["spc", "run"])
def test_the_published_chart_is_drawn_exactly_as_the_live_one_was(session, world, figures, count):
    """The stored data rebuilds the very chart (SVG bytes, alt text) worked out at saving."""
    if count < len(FIGURES):
        for value in session.exec(select(MetricValue)).all()[count:]:
            session.delete(value)
        session.commit()
    template = load_template(TEMPLATE_PATH)
    case = make_case(
        session,
        practice=world.practice,
        metric_item_ids=["home_visits"],
        intervention_ids=[figures["linked"].id],
    )
    data = case_examples.CaseExampleInput(
        **{
            name: getattr(case, name)
            for name in case_examples.CaseExampleInput.__dataclass_fields__
        }
    )
    case = case_examples.update(
        session, user=None, case=case, data=data, expected_version=1, template=template
    )
    live = metric_view.build(
        session,
        practice=world.practice,
        template=template,
        item=template.items_by_id["home_visits"],
        today=today(),
        interventions=[session.get(Intervention, figures["linked"].id)],
    )
    (published,) = case_examples.published_charts(session, case)
    assert published.run_chart == live.run_chart == (count < 13)
    assert charts.alt_text(published.spec()) == live.alt == published.alt
    draw = charts.run_chart if live.run_chart else charts.spc_chart
    assert charts.render_svg(published.figure()) == charts.render_svg(draw(live.spec))
    assert published.verdict == live.evidence.verdict


def test_the_demo_case_examples_publish_charts_with_their_own_interventions(session):
    from monitor.demo import load_demo
    from monitor.demo.cases import CASES, load_demo_case_examples
    from monitor.demo.records import load_demo_records
    from monitor.services.passwords import Passwords

    template = load_template(TEMPLATE_PATH)
    load_demo(session, Passwords(time_cost=1, memory_cost=8))
    load_demo_records(session, today=today())
    assert load_demo_case_examples(session) == {"case_example": len(CASES)}
    assert load_demo_case_examples(session) == {"case_example": 0}
    for case in session.exec(select(CaseExample)).all():
        linked = case_examples.linked_interventions(session, case)
        assert linked and len(linked) == len(case.intervention_ids), case.title
        published = case_examples.published_charts(session, case)
        assert [c.item_id for c in published] == case.metric_item_ids, case.title
        assert any(c.has_figures for c in published), case.title
        for chart in published:
            if chart.has_figures:  # drawn again from what was stored: the very same chart
                live = metric_view.build(
                    session,
                    practice=session.get(Practice, case.practice_id),
                    template=template,
                    item=template.items_by_id[chart.item_id],
                    today=today(),
                    interventions=linked,
                )
                draw = charts.run_chart if live.run_chart else charts.spc_chart
                assert charts.render_svg(chart.figure()) == charts.render_svg(draw(live.spec))
    assert chart_rows_total(session) == sum(len(c.metrics) for c in CASES)


def chart_rows_total(session) -> int:
    return session.exec(select(func.count()).select_from(CaseExampleChart)).one()


def test_the_edit_form_ticks_the_linked_interventions(client, world, figures):
    case_id = write_case(client, world, intervention_ids=[str(figures["linked"].id)])
    client.sign_in(world.editor.email)
    page = client.page(f"/case-examples/{case_id}/edit")
    ticked = {box["value"] for box in page.select("input[name=intervention_ids][checked]")}
    assert ticked == {str(figures["linked"].id)}
