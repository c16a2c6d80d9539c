"""Every download the service answers with: the bytes, their type and a file name the
browser saves them under."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from flask import Response

from monitor.exporters.csv_file import csv_text
from monitor.exporters.formats import CSV


def content_type(media_type: str) -> str:
    """The Content-Type header for `media_type`, naming a text type's charset once.

    Werkzeug's `mimetype=` appends "; charset=utf-8" to every text/* type even when the
    type already names one ("text/csv; charset=utf-8; charset=utf-8"), so the header is
    built here and passed whole as `content_type=`.
    """
    if media_type.startswith("text/") and "charset=" not in media_type.lower():
        return f"{media_type}; charset=utf-8"
    return media_type


def download(data: bytes | str, media_type: str, filename: str) -> Response:
    response = Response(data, content_type=content_type(media_type))
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_download(
    header: Sequence[str], rows: Iterable[Sequence[object]], *, filename: str
) -> Response:
    """A table as a CSV file that opens cleanly in Excel (see exporters.csv_file)."""
    return download(csv_text(header, rows), CSV, filename)
