"""CSV files that open cleanly in Excel and cannot run as formulas.

UTF-8 with a byte-order mark so Excel reads the £ sign; every text cell that begins with
=, +, -, @, a tab, CR or LF is prefixed with ' so a spreadsheet treats it as text
(`monitor.exporters.safe.safe_text`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from monitor.exporters.safe import safe_text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_text(h) for h in header])
    for row in rows:
        writer.writerow([safe_text(cell) for cell in row])
    return "\ufeff" + buffer.getvalue()
