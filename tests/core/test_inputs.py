"""Reading typed values: every format a person or spreadsheet might give us."""

from datetime import date

import pytest

from monitor.config import PROJECT_ROOT
from monitor.core.checklist import load_template
from monitor.core.inputs import (
    InvalidValue,
    date_from_parts,
    format_for_input,
    parse_date_text,
    parse_item_value,
)

TEMPLATE = load_template(PROJECT_ROOT / "checklist_templates" / "hep-light-touch-v1.yaml")
ITEMS = TEMPLATE.items_by_id


@pytest.mark.parametrize(
    ("item_id", "raw", "expected"),
    [
        ("call_answer_time", "2:30", 150),
        ("call_answer_time", " 0:45 ", 45),
        ("call_answer_time", "0:59:03", 3543),
        ("calls_abandoned_pct", "12.5", 12.5),
        ("calls_abandoned_pct", "12%", 12),
        ("inbound_calls", "1,200", 1200),
        ("inbound_calls", "1200", 1200),
        ("hep_allocation", "£48,000", 48000),
        ("hep_allocation", "48000.50", 48000.5),
        ("fft_positive_pct", "100", 100),
        ("fft_positive_pct", "0", 0),
    ],
)
def test_values_in_the_formats_people_type(item_id, raw, expected):
    assert parse_item_value(ITEMS[item_id], raw).number == expected


@pytest.mark.parametrize("raw", ["", "  ", "-", "N/A", "null", "NULL", None])
def test_blank_means_not_recorded_never_zero(raw):
    parsed = parse_item_value(ITEMS["inbound_calls"], raw)
    assert parsed.blank and parsed.number is None


@pytest.mark.parametrize(
    ("item_id", "raw", "message"),
    [
        (
            "call_answer_time",
            "150",
            "Enter the average time to answer calls in minutes and seconds, like 2:30",
        ),
        ("call_answer_time", "2:75", "in minutes and seconds"),
        ("calls_abandoned_pct", "140", "Calls abandoned: 140% is more than 100%"),
        ("calls_abandoned_pct", "nan", "as a percentage"),
        ("calls_abandoned_pct", "-3", "Calls abandoned cannot be negative"),
        ("inbound_calls", "inf", "as a whole number"),
        ("inbound_calls", "1e309", "as a whole number"),
        ("inbound_calls", "-Infinity", "as a whole number"),
        ("inbound_calls", "12.5", "Inbound calls must be a whole number"),
        ("inbound_calls", "lots", "as a whole number"),
        ("inbound_calls", "1,20", "as a whole number"),
        ("hep_allocation", "-£5", "HEP allocation received cannot be negative"),
        ("hep_allocation", "£12k", "as an amount in pounds"),
        ("hep_allocation", "600000", "is more than £500,000"),
    ],
)
def test_bad_values_are_refused_with_a_specific_message(item_id, raw, message):
    with pytest.raises(InvalidValue) as error:
        parse_item_value(ITEMS[item_id], raw)
    assert message in error.value.message


def test_stored_values_read_back_into_the_input_box():
    assert format_for_input(ITEMS["call_answer_time"], 150.0) == "2:30"
    assert format_for_input(ITEMS["hep_allocation"], 48000.0) == "48,000"
    assert format_for_input(ITEMS["calls_abandoned_pct"], 12.5) == "12.5"
    assert format_for_input(ITEMS["inbound_calls"], 1200.0) == "1,200"
    for item_id, number in [("call_answer_time", 150.0), ("inbound_calls", 1200.0)]:
        item = ITEMS[item_id]
        assert parse_item_value(item, format_for_input(item, number)).number == number


def test_date_inputs():
    assert date_from_parts("3", "9", "2025", label="the date") == date(2025, 9, 3)
    with pytest.raises(InvalidValue, match="Enter the date"):
        date_from_parts("", "", "", label="the date")
    with pytest.raises(InvalidValue, match="must include a month"):
        date_from_parts("3", "", "2025", label="the date")
    with pytest.raises(InvalidValue, match="must be a real date"):
        date_from_parts("31", "2", "2025", label="the date")
    with pytest.raises(InvalidValue, match="must be a real date"):
        date_from_parts("3", "9", "25", label="the date")


def test_uk_and_iso_dates_are_read_and_us_dates_refused():
    assert parse_date_text("13/02/2024", label="date") == date(2024, 2, 13)
    assert parse_date_text("2024-02-13", label="date") == date(2024, 2, 13)
    with pytest.raises(InvalidValue, match="looks like a US date"):
        parse_date_text("02/13/2024", label="date")
    with pytest.raises(InvalidValue, match="not a real date"):
        parse_date_text("30/02/2024", label="date")
