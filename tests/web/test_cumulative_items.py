"""A year-to-date item (learning disability health checks completed) is charted and
judged by its rise in each quarter, never as an XmR chart of the running total (issue
14); its page says so and shows both the total as recorded and the rise."""

from __future__ import annotations

import csv
import io

from monitor.analysis.cumulative import increments
from monitor.core.periods import Period
from tests.factories import make_value

ITEM = "ld_health_checks_pct"
# Three financial years of year-to-date totals, climbing through each and restarting in
# April; 2023/24 Q3 was not recorded.
TOTALS = [12.0, 30.5, 55.0, 81.0, 14.0, 33.0, 58.5, 84.0, 15.5, 35.0, None, 86.5]


def record(session, practice):
    period = Period.parse("2021-22-q1")
    periods = []
    for total in TOTALS:
        periods.append(period)
        if total is not None:
            make_value(
                session, practice=practice, item_id=ITEM, period_code=period.code, number=total
            )
        period = period.next()
    return periods


def test_the_page_charts_each_quarters_rise_and_shows_the_recorded_total(client, world, session):
    periods = record(session, world.practice)
    rises = increments(periods, TOTALS)
    assert rises[:4] == [12.0, 18.5, 24.5, 26.0] and rises[10:] == [None, None]
    client.sign_in(world.editor.email)
    page = client.page(f"/metrics/{ITEM}")
    note = page.select_one("#cumulative-note").get_text(" ", strip=True)
    assert note.startswith(
        "Learning disability health checks completed is a year-to-date total that starts "
        "again each April, so the chart shows how much it rose in each quarter"
    )
    headers = [th.get_text(strip=True) for th in page.select("#chart-data thead th")]
    assert headers[1:3] == ["Year to date (as recorded)", "Rise in the period"]
    rows = {
        row.select_one("th").get_text(strip=True): [
            td.get_text(strip=True) for td in row.select("td")
        ]
        for row in page.select("#chart-data tbody tr")
    }
    assert rows["2021/22 Q2"][:2] == ["30.5%", "18.5%"]
    assert rows["2022/23 Q1"][:2] == ["14%", "14%"]  # April restarts the total
    assert rows["2023/24 Q3"][:2] == ["Not recorded", "Not known"]
    assert rows["2023/24 Q4"][:2] == ["86.5%", "Not known"]  # the quarter before is missing
    # Twelve quarters: too few for limits, so a run chart and no verdict yet.
    assert page.select_one("#verdict").get_text(strip=True).startswith("Not enough points yet")

    download = client.get(f"/metrics/{ITEM}/data.csv")
    table = list(csv.reader(io.StringIO(download.get_data(as_text=True).lstrip("\ufeff"))))
    assert table[0][:3] == [
        "Period",
        "Learning disability health checks completed, year to date (%)",
        "Learning disability health checks completed, rise in the period (%)",
    ]
    assert table[2][:3] == ["2021/22 Q2", "30.5", "18.5"]


def test_the_verdict_judges_the_rises_not_the_running_total(session, world, app):
    from monitor.services import evidence

    with app.app_context():
        from monitor.web.context import default_template

        item = default_template().items_by_id[ITEM]
    periods = record(session, world.practice)
    series = evidence.series_for(
        session, practice_id=world.practice.id, item=item, until=periods[-1]
    )
    assert series.year_to_date == tuple(TOTALS)
    assert series.values == increments(periods, TOTALS)
    result = evidence.evidence_for(series, baseline_year=None)
    # The running total climbs every quarter of a year: as an XmR chart that would be
    # special cause after special cause; the rises vary around their mean.
    assert set(result.chart.points["rule"].dropna()) <= {"outside_limits", "two_in_three"}
    assert series.charted_label == (
        "Learning disability health checks completed (rise in the quarter)"
    )
