"""Every download the service answers with: the bytes, their type and a file name the
browser saves them under."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from flask import Response

from monitor.exporters.csv_file import csv_text
from monitor.exporters.formats import CSV


def download(data: bytes | str, mimetype: str, filename: str) -> Response:
    response = Response(data, content_type=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_download(
    header: Sequence[str], rows: Iterable[Sequence[object]], *, filename: str
) -> Response:
    """A table as a CSV file that opens cleanly in Excel (see exporters.csv_file)."""
    return download(csv_text(header, rows), CSV, filename)
