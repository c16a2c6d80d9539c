"""The NHS colours the app draws and prints with, by their NHS names, as "#RRGGBB" strings.

The one place a colour is defined: charts, the PDF and the workbooks take theirs from
here and convert at the point of use (matplotlib takes these strings as they are,
ReportLab wraps them in ``HexColor``, openpyxl wants them without the "#").

Two NHS lists, both with their own names, because each is right for different things:

* the NHS identity colours (england.nhs.uk/nhsidentity/identity-guidelines/colours),
  which the charts are drawn in;
* the NHS.UK design system palette (service-manual.nhs.uk/design-system/styles/colour;
  nhsuk-frontend's ``$nhsuk-colours``), which the web pages are built from, so that text
  in the PDF and the workbooks has the pages' colours.

Where both lists hold a colour (blue, dark blue, aqua green, dark pink, white) it has
one name here. "Black" differs: the identity black is #231F20, the design system's text
colour is #212B32.
"""

from __future__ import annotations

# NHS identity colours --------------------------------------------------------------------
NHS_BLUE = "#005EB8"
NHS_DARK_BLUE = "#003087"
NHS_AQUA_GREEN = "#00A499"
NHS_DARK_PINK = "#7C2855"
NHS_WHITE = "#FFFFFF"
NHS_BLACK = "#231F20"
NHS_DARK_GREY = "#425563"
NHS_MID_GREY = "#768692"
NHS_PALE_GREY = "#E8EDEE"

# NHS.UK design system palette ------------------------------------------------------------
NHSUK_BLACK = "#212B32"
"""The design system's text colour."""
NHSUK_GREY_1 = "#4C6272"
"""The design system's secondary text colour: hints, notes, captions."""
NHSUK_GREY_3 = "#AEB7BD"
NHSUK_GREEN = "#007F3B"
NHSUK_RED = "#D5281B"
NHSUK_PALE_YELLOW = "#FFF9C4"
