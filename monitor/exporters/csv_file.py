"""CSV files that open cleanly in Excel and cannot run as formulas.

UTF-8 with a byte-order mark so Excel reads the £ sign; every text cell that begins with
=, +, -, @, a tab, CR or LF is prefixed with ' so a spreadsheet treats it as text
(`monitor.exporters.safe.safe_text`). Numbers are written as numbers: pass an int, a
float or a Decimal, never a number formatted as text, and a negative one stays a number
that a spreadsheet can add up (-1.5, not '-1.5). None, NaN and infinity are blank, and
-0 is 0.
"""

from __future__ import annotations

import csv
import io
import math
import numbers
from collections.abc import Iterable, Sequence
from decimal import Decimal

from monitor.exporters.safe import safe_text


def csv_cell(value: object) -> object:
    """One cell as the csv module should write it (see the module docstring)."""
    if value is None or isinstance(value, bool | str):
        return "" if value is None else safe_text(value)
    if isinstance(value, Decimal):
        return "" if not value.is_finite() else (value if value else Decimal(0))
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        if not math.isfinite(number):
            return ""
        return number if number else 0.0
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_cell(h) for h in header])
    for row in rows:
        writer.writerow([csv_cell(cell) for cell in row])
    return "\ufeff" + buffer.getvalue()
