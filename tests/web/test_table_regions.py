"""A table wide enough to scroll sideways sits in a region a keyboard can reach and a
screen reader can name (axe rule scrollable-region-focusable, issue 16)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
WRAPPERS = [
    (path.relative_to(TEMPLATES).as_posix(), match.group(0))
    for path in sorted(TEMPLATES.rglob("*.jinja"))
    for match in re.finditer(r'<div class="app-table-scroll"[^>]*>', path.read_text())
]


def test_there_are_scrolling_tables_to_check():
    assert len(WRAPPERS) >= 15


@pytest.mark.parametrize(("template", "tag"), WRAPPERS)
def test_every_scrolling_table_is_a_focusable_labelled_region(template, tag):
    assert 'role="region"' in tag
    assert 'tabindex="0"' in tag
    label = re.search(r'aria-label="([^"]*)"', tag)
    assert label and label.group(1).strip(), template


def test_the_metric_pages_table_region_is_named_after_its_table(client, world, session):
    from tests.factories import make_value

    make_value(
        session, practice=world.practice, item_id="call_answer_time", period_code="2025-10",
        number=150,
    )  # fmt: skip
    client.sign_in(world.editor.email)
    region = client.page("/metrics/call_answer_time").select_one("div.app-table-scroll")
    assert region["tabindex"] == "0" and region["role"] == "region"
    assert region["aria-label"] == "Every value on the chart of Average time to answer calls"
