"""Published names made fit to show (core/names.py)."""

from __future__ import annotations

import pytest

from monitor.core.names import tidy_name


@pytest.mark.parametrize(
    ("published", "shown"),
    [
        ("THE BILLESDON SURGERY", "The Billesdon Surgery"),
        ("CAFÉ SURGERY", "Café Surgery"),  # letters beyond ASCII are letters too
        ("ST MARY'S PCN", "St Mary's PCN"),
        ("Already Mixed Case", "Already Mixed Case"),
    ],
)
def test_names_in_capitals_are_tidied_for_display(published, shown):
    assert tidy_name(published) == shown
