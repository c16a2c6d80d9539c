"""The impact summary as an A4 PDF: what a person printing it or reading it in an email
sees, read back with pypdf."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4

from monitor.exporters.summary_pdf import summary_pdf
from monitor.models import SpendItem
from tests.exporters.test_summary_xlsx import FOUR_YEARS, add_history, summary_for
from tests.factories import make_pcn, make_practice


def pages_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def flat(text: str) -> str:
    """Text with every run of white space as one space: table cells wrap their lines."""
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture
def history(session, world):
    add_history(session, world.practice)
    return world


def test_a_four_year_summary_is_a_few_a4_pages_naming_the_practice_and_period_on_each(
    session, history
):
    summary = summary_for(
        session, history.practice, start=FOUR_YEARS[0], end=FOUR_YEARS[1], with_charts=True
    )
    reader = PdfReader(io.BytesIO(summary_pdf(summary)))
    # Two pages of headlines, a page per two charts, the detailed tables and four years
    # of monthly figures: enough to be complete, few enough to print.
    assert 8 <= len(reader.pages) <= 20
    width, height = A4
    texts = [page.extract_text() for page in reader.pages]
    for number, (page, text) in enumerate(zip(reader.pages, texts, strict=True), start=1):
        assert float(page.mediabox.width) == pytest.approx(width, abs=0.5)
        assert float(page.mediabox.height) == pytest.approx(height, abs=0.5)
        assert page.get("/Rotate", 0) == 0  # portrait
        assert history.practice.name in text, number
        assert history.practice.ods_code in text, number
        assert "1 April 2021 to 31 March 2025" in text, number
        assert re.search(rf"\bpage {number} of {len(texts)}\b", text, re.IGNORECASE), number
    # A custom range is named by its dates once, not "dates: dates".
    assert "Period 1 April 2021 to 31 March 2025 Compared with" in flat(texts[0])
    assert reader.metadata.title == (
        f"HEP impact summary: {history.practice.name} ({history.practice.ods_code}), "
        "1 April 2021 to 31 March 2025"
    )

    # Every chart is an image with a numbered caption on the same page.
    assert sum(len(page.images) for page in reader.pages) == len(summary.charts) == 7
    everything = flat(" ".join(texts))
    for n, chart in enumerate(summary.charts, start=1):
        assert f"Chart {n}. {flat(chart.caption)}" in everything
    for page, text in zip(reader.pages, texts, strict=True):
        assert len(re.findall(r"Chart \d+\.", text)) == len(page.images)


def test_a_financial_year_summary_shows_its_label_and_headline_money(session, history):
    summary = summary_for(session, history.practice)
    texts = pages_text(summary_pdf(summary))
    for text in texts:
        assert "2024/25" in text
    first = flat(texts[0])
    assert "Period 2024/25: 1 April 2024 to 31 March 2025" in first
    assert "Compared with the 2020/21 average, before the HEP" in first
    # The money cards: allocation, HEP-attributed spend (£35,550.65), total cost
    # (£64,400.40) and what is left.
    assert "£48,000 HEP allocation" in first
    assert "£35,551 Spending attributed to the HEP" in first
    assert "£64,400 Total cost of those items, from all funding" in first
    assert "£12,449 Allocation not yet attributed to spending" in first
    assert "74% of the £48,000 allocation" in first
    # Spending by category, largest HEP share first, with a total row.
    assert (
        "Additional clinical staff £26,000 £52,000 73.1% "
        "Premises and accessibility £5,000 £7,400 14.1%"
    ) in first
    assert "Total £35,551 £64,400 100%" in first
    everything = flat(" ".join(texts))
    for metric in summary.metrics:
        assert metric.label in everything
        assert flat(metric.verdict) in everything
    assert "Average time to answer calls Monthly 5:00 2:07 March 2025 -2:54 Improvement" in (
        everything
    )


def test_a_table_longer_than_a_page_repeats_its_header_on_every_page(session, history):
    summary = summary_for(session, history.practice, start=FOUR_YEARS[0], end=FOUR_YEARS[1])
    texts = [flat(t) for t in pages_text(summary_pdf(summary))]
    title = "Figures recorded, one row per figure and period"
    first = next(n for n, text in enumerate(texts) if title in text)
    figures_pages = texts[first:]  # the Figures table is last, on pages of its own
    assert len(figures_pages) >= 3
    for text in figures_pages:
        assert "Figure Period Value Source" in text
        assert text.count("Figure Period Value Source") == 1
    rows = summary.table("Figures").rows
    # Every recorded figure is printed: the first and last of four years of calls.
    entered = "Entered by the practice"
    assert f"Average time to answer calls April 2021 2:05 {entered}" in figures_pages[0]
    assert any(
        f"Average time to answer calls March 2025 2:07 {entered}" in t for t in figures_pages
    )
    shown = sum(t.count(f" {entered}") for t in figures_pages)
    assert shown == len(rows)


def test_no_table_row_is_split_across_pages(session, world):
    """Sixty spending items with long descriptions make a table of several pages; each
    row must print whole on one page (ReportLab's splitInRow=0), header repeated."""
    descriptions = []
    for n in range(60):
        description = (
            f"Item {n:02d}: extra care navigator hours on Monday and Friday mornings so "
            "that patients who do not speak English can be called back by someone who "
            "speaks their language, with interpreting booked"
        )[:200]
        descriptions.append(description)
        session.add(
            SpendItem(
                practice_id=world.practice.id,
                spent_on=date(2024, 4, 1) + timedelta(days=n * 5),
                category="interpreting",
                description=description,
                total_cost=Decimal(1000 + n),
                hep_amount=Decimal(1000 + n),
                recurrence="one_off",
            )
        )
    session.commit()
    summary = summary_for(session, world.practice)
    texts = [flat(t) for t in pages_text(summary_pdf(summary))]
    header = (
        "Date Category Description Total cost Paid by HEP Paid from other sources "
        "Other sources Recurrent or one-off"
    )
    spending_pages = [t for t in texts if "Item " in t and "care navigator hours" in t]
    assert len(spending_pages) >= 3
    for text in spending_pages:
        assert header in text
    for description in descriptions:
        whole = [n for n, text in enumerate(texts) if description in text]
        assert len(whole) == 1, f"{description[:8]} is split or missing"
        # And its date, category and amounts with it.
        page = texts[whole[0]]
        tag = description[:7]
        assert re.search(
            rf"\d+ \w+ 202[45] Interpreting and language support {re.escape(tag)}", page
        )


def test_practice_text_prints_exactly_as_typed(session, world):
    pcn = make_pcn(session, icb=world.icb, name="Smith & Jones <PCN>")
    practice = make_practice(session, pcn=pcn, name='St. Mary\'s <b>"Surgery"</b> & Co')
    session.add(
        SpendItem(
            practice_id=practice.id,
            spent_on=date(2024, 5, 1),
            category="other",
            description="Cost <100% & rising\nsecond line",
            total_cost=Decimal(10),
            hep_amount=Decimal(10),
            recurrence="one_off",
        )
    )
    session.commit()
    summary = summary_for(session, practice)
    texts = pages_text(summary_pdf(summary))
    for text in texts:
        assert 'St. Mary\'s <b>"Surgery"</b> & Co' in text
    everything = flat(" ".join(texts))
    assert "Smith & Jones <PCN>" in everything
    assert "Cost <100% & rising second line" in everything


def test_the_same_summary_gives_the_same_bytes(session, history):
    summary = summary_for(session, history.practice)
    assert summary_pdf(summary) == summary_pdf(summary)


def test_an_empty_period_still_prints_and_says_so(session, world):
    summary = summary_for(session, world.practice, start=date(2019, 4, 1), end=date(2020, 3, 31))
    texts = pages_text(summary_pdf(summary))
    assert 1 <= len(texts) <= 3
    everything = flat(" ".join(texts))
    assert "No spending recorded in this period." in everything
    assert "No staffing changes recorded in this period." in everything
    assert "No figures recorded in this period." in everything
    assert "No HEP allocation recorded for this period" in everything


def test_each_chart_is_embedded_pixel_for_pixel_without_being_decoded(session, history):
    """An opaque chart is an RGB PNG (monitor.charts.render_png), whose compressed data the
    PDF carries as it is (FlateDecode with PNG predictors); a PNG with an alpha channel
    still goes through ReportLab's reader. Either way the page shows the chart's pixels."""
    import numpy as np
    import PIL.Image
    import PIL.ImageDraw

    from monitor.exporters.summary_pdf import chart_image
    from monitor.services.summary import ChartImage

    summary = summary_for(
        session, history.practice, start=FOUR_YEARS[0], end=FOUR_YEARS[1], with_charts=True
    )
    picture = PIL.Image.new("RGBA", (160, 40), (0, 0, 0, 0))
    PIL.ImageDraw.Draw(picture).line([(4, 30), (80, 8), (156, 20)], fill=(66, 84, 98, 255), width=2)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    transparent = buffer.getvalue()
    assert PIL.Image.open(io.BytesIO(transparent)).mode == "RGBA"
    assert {PIL.Image.open(io.BytesIO(c.png)).mode for c in summary.charts} == {"RGB"}
    assert type(chart_image(summary.charts[0].png, 100, 45)).__name__ == "_PngImage"
    assert type(chart_image(transparent, 100, 25)).__name__ == "Image"
    extra = ChartImage("A transparent chart", "alt", transparent, 160, 40)  # (ReportLab's reader)
    pdf = summary_pdf(replace(summary, charts=(*summary.charts, extra)))

    images = [image for page in PdfReader(io.BytesIO(pdf)).pages for image in page.images]
    assert len(images) == len(summary.charts) + 1
    shown = {np.asarray(image.image.convert("RGB")).tobytes() for image in images}
    for chart in summary.charts:  # (a page's images are listed in no particular order)
        assert np.asarray(PIL.Image.open(io.BytesIO(chart.png))).tobytes() in shown
    streams = [
        page["/Resources"]["/XObject"][name].get_object()
        for page in PdfReader(io.BytesIO(pdf)).pages
        if "/Resources" in page and "/XObject" in page["/Resources"]
        for name in page["/Resources"]["/XObject"]
    ]
    predicted = [s for s in streams if s.get("/DecodeParms", {}).get("/Predictor") == 15]
    assert len(predicted) == len(summary.charts)


def test_reportlab_runs_its_c_accelerators():
    """rl-accel (a dependency) gives ReportLab its C text widths and number formatting;
    without it ReportLab falls back to Python and the PDF takes twice as long."""
    from reportlab.lib import rl_accel

    for name in ("fp_str", "unicode2T1", "instanceStringWidthT1"):
        assert type(getattr(rl_accel, name)).__name__ == "builtin_function_or_method", name
