"""CSV downloads keep numbers as numbers (issue 14): a negative number is not escaped
into text like a formula ("-1.5", never "'-1.5"), and a chart's data download holds
raw figures at the item's precision with the unit in the heading."""

import csv
import io
import math
from decimal import Decimal

import numpy as np
import pytest

from monitor.core.periods import Period
from monitor.exporters.csv_file import csv_text
from monitor.exporters.safe import safe_text
from tests.charts.test_limits_clipped import HOME_VISITS
from tests.factories import make_value


def cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))


def test_numbers_stay_numbers_and_formulas_become_text():
    text = csv_text(
        ["Figure", "Change"],
        [
            ["fall", -1.5],
            ["pence", Decimal("-0.50")],
            ["count", np.int64(-3)],
            ["numpy", np.float64(-2.25)],
            ["already text", "-1.5"],
            ["formula", "-2+3"],
            ["equals", "=1+1"],
            ["minus zero", -0.0],
            ["decimal minus zero", Decimal("-0.00")],
            ["not a number", math.nan],
            ["none", None],
        ],
    )
    rows = {row[0]: row[1] for row in cells(text)[1:]}
    assert rows["fall"] == "-1.5"
    assert rows["pence"] == "-0.50"
    assert rows["count"] == "-3"
    assert rows["numpy"] == "-2.25"
    assert rows["already text"] == "-1.5"  # a negative number as text is still a number
    assert rows["formula"] == "'-2+3"
    assert rows["equals"] == "'=1+1"
    assert rows["minus zero"] == "0.0"
    assert rows["decimal minus zero"] == "0"
    assert rows["not a number"] == ""
    assert rows["none"] == ""


@pytest.mark.parametrize("value", [-1.5, -3, Decimal("-0.5"), 12])
def test_safe_text_never_touches_a_number(value):
    assert safe_text(value) is value


@pytest.mark.parametrize("text", ["-1+2", "-A1", "- 1", "-1.5e3", "-1,234", "+1", "-"])
def test_only_a_plain_negative_number_escapes_the_quote(text):
    assert safe_text(text) == "'" + text


# --------------------------------------------------------------------------- the chart's data


def record(session, practice, item_id: str, values) -> None:
    period = Period.parse("2021-04")
    for value in values:
        if value is not None:
            make_value(
                session, practice=practice, item_id=item_id, period_code=period.code, number=value
            )
        period = period.next()


def download(client, item_id: str) -> tuple[list[str], dict[str, list[str]]]:
    response = client.get(f"/metrics/{item_id}/data.csv")
    assert response.status_code == 200
    rows = cells(response.get_data(as_text=True))
    return rows[0], {row[0]: row for row in rows[1:] if row}


def test_a_limit_below_zero_is_a_negative_number_in_the_download(client, session, world):
    record(session, world.practice, "home_visits", HOME_VISITS)
    client.sign_in(world.editor.email)

    header, rows = download(client, "home_visits")

    assert header[:5] == [
        "Period",
        "Home visits (visits)",
        "Mean (visits)",
        "Lower process limit (visits)",
        "Upper process limit (visits)",
    ]
    first = rows["April 2021"]
    assert first[1] == "0"  # a count: a whole number
    lower = first[3]
    assert not lower.startswith("'")
    assert float(lower) < 0  # the computed limit, not the 0 the chart draws it at
    assert lower == f"{float(lower):.2f}".rstrip("0").rstrip(".")  # two places at most
    # The mean of counts keeps its fraction: a whole number here would move points.
    assert float(first[2]) == pytest.approx(sum(HOME_VISITS) / len(HOME_VISITS), abs=0.005)


def test_percentages_and_durations_download_at_their_own_precision(client, session, world):
    record(session, world.practice, "calls_abandoned_pct", [12.34, 11.5, 13.0, 12.25] * 4)
    record(session, world.practice, "call_answer_time", [290, 305, 280, 300] * 4)
    client.sign_in(world.editor.email)

    header, rows = download(client, "calls_abandoned_pct")
    assert header[1] == "Calls abandoned (%)"
    assert rows["April 2021"][1] == "12.34"  # not 12.3, as the page shows it
    assert rows["July 2021"][1] == "12.25"

    header, rows = download(client, "call_answer_time")
    assert header[1] == "Average time to answer calls (seconds)"
    assert rows["April 2021"][1] == "290"
