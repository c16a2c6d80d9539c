"""Text that cannot be stored is refused where it is read, with a message for the field:
a NUL (PostgreSQL refuses it in text, and it would come back out in exports) or another
invisible control character. Digits `int` cannot read are not ids."""

from __future__ import annotations

import pytest

from monitor.core.checklist import Item, ItemType
from monitor.core.inputs import (
    Collector,
    InvalidValue,
    control_character_error,
    parse_item_value,
    whole_number,
)
from tests.factories import shipped_templates


def test_nul_in_free_text_is_refused_next_to_the_field():
    check = Collector({"note": "Extra\x00 sessions"})
    check.free_text("note", label="note", limit=500)
    assert check.errors == {
        "note": "Note contains a NUL character, which cannot be saved. Type it again rather "
        "than pasting it"
    }


@pytest.mark.parametrize("character", ["\x01", "\x07", "\x1b", "\x7f"])
def test_other_control_characters_are_refused(character):
    check = Collector({"note": f"a{character}b"})
    check.free_text("note", label="note", limit=500)
    assert "invisible control character" in check.errors["note"]


@pytest.mark.parametrize("text", ["line one\nline two", "tab\tseparated", "crlf\r\nend", "é ü ₤"])
def test_tabs_line_breaks_and_unicode_are_kept(text):
    check = Collector({"note": text})
    assert check.free_text("note", label="note", limit=500) == text.strip()
    assert check.errors == {}


def test_nul_in_a_required_value_such_as_an_email_address_is_refused():
    check = Collector({"email": "a\x00@example.org"})
    check.required("email", "Enter your email address")
    assert "NUL character" in check.errors["email"]


def _items_by_type() -> dict[ItemType, Item]:
    return {item.type: item for template in shipped_templates().values() for item in template.items}


@pytest.mark.parametrize("item_type", sorted(_items_by_type(), key=str))
def test_nul_in_a_figure_is_refused_for_every_item_type(item_type):
    item = _items_by_type()[item_type]
    with pytest.raises(InvalidValue, match="NUL character"):
        parse_item_value(item, "12\x00")
    check = Collector({item.id: "\x0012"})
    assert check.figure(item.id, item) is None
    assert "NUL character" in check.errors[item.id]


def test_whole_number_reads_only_ascii_digits_of_a_sane_length():
    assert whole_number("42") == 42
    assert whole_number(" 7 ") == 7
    assert whole_number("²") is None  # str.isdigit() is True, int() refuses it
    assert whole_number("٣") is None
    assert whole_number("9" * 5000) is None  # int() refuses more than 4,300 digits
    assert whole_number("-1") is None
    assert whole_number(str(2**31 - 1)) == 2**31 - 1
    assert whole_number(str(2**31)) is None  # beyond an id column: no record's
    assert whole_number("") is None
    assert whole_number(None) is None


def test_no_message_for_ordinary_text():
    assert control_character_error("Extra ANP sessions") is None
    assert control_character_error(None) is None
    assert control_character_error(12) is None
