"""Every download format of the practice impact summary, in one registry.

A new format is a writer (ImpactSummary -> bytes) and one entry in `SUMMARY_FORMATS`:
its route, its access rule, its link on the summary page and its file name all follow
from the entry (monitor/web/summary.py registers one route per entry).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from monitor.exporters.summary_pdf import summary_pdf
from monitor.exporters.summary_xlsx import summary_tables_zip, summary_workbook
from monitor.services.summary import ImpactSummary

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
ZIP = "application/zip"
CSV = "text/csv; charset=utf-8"


@dataclass(frozen=True)
class SummaryFormat:
    endpoint: str  # the route's endpoint in the summary blueprint, as in url_for
    path: str  # under /summary/, like "impact-summary.xlsx"
    extension: str  # of the saved file's name
    media_type: str
    write: Callable[[ImpactSummary], bytes]
    with_charts: bool  # charts take seconds to draw: only the formats that show them ask
    link: str  # the link's text on the summary page
    description: str  # what follows the link


SUMMARY_FORMATS: tuple[SummaryFormat, ...] = (
    SummaryFormat(
        endpoint="workbook",
        path="impact-summary.xlsx",
        extension="xlsx",
        media_type=XLSX,
        write=summary_workbook,
        with_charts=True,
        link="Excel workbook (.xlsx)",
        description="a summary sheet, one sheet per table and the charts",
    ),
    SummaryFormat(
        endpoint="pdf",
        path="impact-summary.pdf",
        extension="pdf",
        media_type=PDF,
        write=summary_pdf,
        with_charts=True,
        link="PDF for printing or email",
        description="A4, with charts and their captions",
    ),
    SummaryFormat(
        endpoint="tables_zip",
        path="tables.zip",
        extension="zip",
        media_type=ZIP,
        write=summary_tables_zip,
        with_charts=False,
        link="Every table as CSV (.zip)",
        description="",
    ),
)
