from pathlib import Path

import pytest

from monitor.config import PROJECT_ROOT
from monitor.core.checklist import (
    Cumulative,
    Direction,
    Frequency,
    ItemType,
    TemplateError,
    load_template,
    load_templates,
)

SHIPPED = sorted((PROJECT_ROOT / "checklist_templates").glob("*.yaml"))

MINIMAL = """
id: t
version: 1
name: Test template
sections:
  - {id: access, title: Access}
items:
  - id: wait
    label: Wait
    hint: Why we ask
    section: access
    type: duration
    frequency: monthly
    direction: lower_better
    min: 0
    max: 600
spending_categories: [{id: staff, label: Staff}]
funding_sources: [{id: hep, label: HEP}]
staffing_roles: [{id: gp, label: GP, group: clinical}]
staffing_change_types: [{id: new_post, label: New post}]
"""


def write(tmp_path: Path, text: str, name: str = "bad.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_every_shipped_template_loads(path):
    template = load_template(path)
    assert template.items
    assert all(item.hint for item in template.items)


def test_default_template_has_the_agreed_content():
    template = load_template(PROJECT_ROOT / "checklist_templates" / "hep-light-touch-v1.yaml")
    by_id = template.items_by_id
    annual = {i.id for i in template.items_for(Frequency.ANNUAL)}
    monthly = {i.id for i in template.items_for(Frequency.MONTHLY)}
    quarterly = {i.id for i in template.items_for(Frequency.QUARTERLY)}
    assert annual == {"hep_allocation", "gpps_overall_experience", "qof_achievement"}
    assert monthly == {
        "call_answer_time",
        "calls_abandoned_pct",
        "inbound_calls",
        "fft_positive_pct",
        "fft_responses",
        "appointments_attended",
        "face_to_face_pct",
        "home_visits",
    }
    assert quarterly == {
        "cervical_screening_pct",
        "bowel_screening_pct",
        "breast_screening_pct",
        "childhood_immunisation_pct",
        "ld_health_checks_pct",
        "staff_leavers",
    }
    assert [i.id for i in template.items if i.required] == ["hep_allocation"]
    assert by_id["hep_allocation"].type is ItemType.MONEY
    assert by_id["call_answer_time"].type is ItemType.DURATION
    assert by_id["call_answer_time"].direction is Direction.LOWER_BETTER
    assert by_id["gpps_overall_experience"].aligned.key == "gpps:overallexp"
    assert by_id["fft_positive_pct"].aligned.key.startswith("fft")
    assert len(template.spending_categories) == 17
    assert [s.id for s in template.funding_sources] == [
        "hep",
        "gms",
        "arrs",
        "pcn",
        "other_icb",
        "other",
    ]
    assert len(template.staffing_roles) == 17
    assert [c.label for c in template.staffing_change_types] == [
        "New post",
        "Increased hours",
        "Upskilling",
        "Post ended",
    ]


def test_minimal_template_loads(tmp_path):
    template = load_template(write(tmp_path, MINIMAL))
    assert template.key == ("t", 1)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("    max: 600", "    max: 600\n    colour: red"), "item 'wait': unknown key 'colour'"),
        (("frequency: monthly", "frequency: fortnightly"), "item 'wait' (frequency)"),
        (("    min: 0", "    min: 900"), "item 'wait': min (900) is more than max (600)"),
        (("section: access\n    type", "section: nowhere\n    type"), "unknown section"),
        (("type: duration", "type: colour"), "item 'wait' (type)"),
        (("direction: lower_better", "direction: down"), "item 'wait' (direction)"),
        (("    max: 600", "    max: 600\n    cumulative: yes"), "item 'wait' (cumulative)"),
    ],
)
def test_template_errors_name_the_file_and_item(tmp_path, change, expected):
    old, new = change
    assert old in MINIMAL
    with pytest.raises(TemplateError) as error:
        load_template(write(tmp_path, MINIMAL.replace(old, new, 1)))
    assert str(error.value).startswith("bad.yaml: ")
    assert expected in str(error.value)


def test_duplicate_item_ids_are_an_error(tmp_path):
    items_start = MINIMAL.index("  - id: wait")
    items_end = MINIMAL.index("spending_categories")
    duplicated = MINIMAL[:items_end] + MINIMAL[items_start:items_end] + MINIMAL[items_end:]
    with pytest.raises(TemplateError, match="bad.yaml: duplicate item id 'wait'"):
        load_template(write(tmp_path, duplicated))


def test_unknown_top_level_key_is_an_error(tmp_path):
    with pytest.raises(TemplateError, match="bad.yaml: .*unknown key 'owner'"):
        load_template(write(tmp_path, MINIMAL + "owner: someone\n"))


def test_percent_range_beyond_100_is_an_error(tmp_path):
    text = MINIMAL.replace("type: duration", "type: percent").replace("max: 600", "max: 120")
    with pytest.raises(TemplateError, match="within 0 to 100"):
        load_template(write(tmp_path, text))


def test_invalid_yaml_is_an_error(tmp_path):
    with pytest.raises(TemplateError, match="bad.yaml: not valid YAML"):
        load_template(write(tmp_path, "id: [unclosed"))


def test_same_id_and_version_in_two_files_is_an_error(tmp_path):
    write(tmp_path, MINIMAL, "a.yaml")
    write(tmp_path, MINIMAL, "b.yaml")
    with pytest.raises(TemplateError, match="defined in more than one file"):
        load_templates(tmp_path)


def year_to_date(type_: str = "count", frequency: str = "monthly") -> str:
    """MINIMAL with its item declared a year-to-date total of that type and frequency."""
    return (
        MINIMAL.replace("type: duration", f"type: {type_}")
        .replace("frequency: monthly", f"frequency: {frequency}")
        .replace("    max: 600", "    max: 600\n    cumulative: year_to_date")
    )


@pytest.mark.parametrize("type_", ["percent", "count", "number"])
@pytest.mark.parametrize("frequency", ["monthly", "quarterly"])
def test_a_monthly_or_quarterly_figure_can_be_a_year_to_date_total(tmp_path, type_, frequency):
    text = year_to_date(type_, frequency).replace("max: 600", "max: 100")
    item = load_template(write(tmp_path, text)).items_by_id["wait"]
    assert item.cumulative is Cumulative.YEAR_TO_DATE


def test_an_item_is_not_cumulative_unless_declared(tmp_path):
    assert load_template(write(tmp_path, MINIMAL)).items_by_id["wait"].cumulative is None


@pytest.mark.parametrize(
    ("type_", "frequency", "expected"),
    [
        (
            "count",
            "annual",
            "item 'wait': cumulative: year_to_date is only for monthly or quarterly items, "
            "not annual",
        ),
        (
            "duration",
            "monthly",
            "item 'wait': cumulative: year_to_date is only for percent, count or number "
            "items, not duration",
        ),
        (
            "money",
            "quarterly",
            "item 'wait': cumulative: year_to_date is only for percent, count or number "
            "items, not money",
        ),
    ],
)
def test_a_year_to_date_total_of_another_kind_is_an_error(tmp_path, type_, frequency, expected):
    with pytest.raises(TemplateError) as error:
        load_template(write(tmp_path, year_to_date(type_, frequency)))
    assert str(error.value) == f"bad.yaml: {expected}"


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_learning_disability_health_checks_are_the_shipped_year_to_date_total(path):
    template = load_template(path)
    cumulative = {item.id: item.cumulative for item in template.items if item.cumulative}
    assert cumulative == {"ld_health_checks_pct": Cumulative.YEAR_TO_DATE}
