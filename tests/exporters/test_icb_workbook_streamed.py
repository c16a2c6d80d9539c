"""The ICB workbook's tidy sheet read from its query (`icb_tidy.Tidy`) holds exactly what
it holds from a snapshot loaded whole, row for row as returns.csv's tidy rows have it, on
both databases; its columns are sized before any row from one aggregate query.

Uses the `scene` fixture (tests/factories.py) with returns added that test the edges: a
practice whose name reads as a formula, one whose name reads as an error code (a cell
openpyxl would otherwise reuse), text answers, a metric the template no longer has and
periods stored out of order.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from monitor.exporters import icb_workbook
from monitor.exporters.safe import excel_value
from monitor.models import ReturnValue
from monitor.services import icb_tidy, icb_views
from tests.factories import make_practice, make_return, months

INJECTION = '=HYPERLINK("http://evil.example","Click me")'
MADE_AT = datetime(2025, 12, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def edges(session, scene):
    """Returns beside the scene's that every part of a tidy row can trip on."""
    formula = make_practice(session, pcn=scene.world.pcn, name=INJECTION)
    error = make_practice(session, pcn=scene.world.other_pcn, name="#N/A")
    for practice in (formula, error):
        answer = make_return(
            session,
            collection=scene.collection,
            practice=practice,
            # Stored out of the template's order, and September before July.
            values={
                "fft_positive_pct": months(55.5, 60.25),
                "home_visits": months(7, 8, 9, first="2025-07")[::-1],
            },
            units={"fft_positive_pct": "percent"},
            submitted_at=datetime(2025, 10, 20, 13, 5, tzinfo=UTC),
        )
        for code, text in (("2025-07", "=1+1"), ("2025-08", "#REF!"), ("2025-09", "plain")):
            session.add(
                ReturnValue(
                    return_id=answer.id, item_id="retired_item", period_code=code,
                    period_start=datetime.strptime(code, "%Y-%m").date(), value_text=text,
                    unit="text", template_version=1,
                )
            )  # fmt: skip
    session.commit()
    return scene


def collection_data(session, app, scene, *, snapshot: bool) -> icb_views.CollectionData:
    template = app.extensions["monitor.templates"][("hep-light-touch", 1)]
    return icb_views.load(
        session,
        user=scene.world.analyst,
        collection=scene.collection,
        template=template,
        snapshot=snapshot,
    )


def made(data, session, *, tidy) -> bytes:
    states = icb_views.practice_states(session, data.collection, data.practices, data.template)
    out = io.BytesIO()
    icb_workbook.write_icb_workbook(data, states, out, made_at=MADE_AT, tidy=tidy)
    return out.getvalue()


def cells(body: bytes) -> dict[str, tuple]:
    """Each sheet's cells as they read back (value, number format, type, quote prefix,
    bold), its column widths, frozen panes and autofilter."""
    book = load_workbook(io.BytesIO(body))
    return {
        ws.title: (
            [
                [(c.value, c.number_format, c.data_type, c.quotePrefix, c.font.b) for c in row]
                for row in ws.iter_rows()
            ],
            {letter: d.width for letter, d in ws.column_dimensions.items()},
            ws.freeze_panes,
            ws.auto_filter.ref,
        )
        for ws in book
    }


def test_streamed_workbook_holds_the_same_cells_as_one_written_from_the_loaded_snapshot(
    session, app, edges
):
    loaded = collection_data(session, app, edges, snapshot=True)
    unloaded = collection_data(session, app, edges, snapshot=False)
    assert all(not s.values for s in unloaded.submissions)  # nothing held: all from the query

    whole = cells(made(loaded, session, tidy=None))
    streamed = cells(made(unloaded, session, tidy=icb_tidy.Tidy(session, unloaded)))

    assert list(streamed) == list(whole)
    for title in whole:
        assert streamed[title] == whole[title], title
    assert len(whole["Tidy"][0]) == 1 + 13 + 2 * (5 + 3)


def test_tidy_sheet_rows_are_returns_csvs_tidy_rows_in_order(session, app, edges):
    data = collection_data(session, app, edges, snapshot=False)
    sheet = load_workbook(io.BytesIO(made(data, session, tidy=icb_tidy.Tidy(session, data))))[
        "Tidy"
    ]
    written = [list(row) for row in sheet.iter_rows(min_row=2, values_only=True)]
    loaded = collection_data(session, app, edges, snapshot=True)
    expected = [
        [
            row.submission.practice.ods_code,
            row.submission.practice.name,
            row.submission.pcn.name,
            row.period_label,
            row.value.period_code,
            row.value.item_id,
            row.metric_label,
            icb_workbook._figure(row.figure, row.item),
            row.unit,
            row.value.template_version,
            excel_value(row.submission.submitted_at)[0],
        ]
        for row in icb_views.tidy_rows(loaded)
    ]
    assert len(written) == len(expected) == 13 + 2 * (5 + 3)
    for got, want in zip(written, expected, strict=True):
        assert got[:10] == want[:10]
        assert abs((got[10] - want[10]).total_seconds()) < 0.001  # Excel keeps milliseconds
    mine = [row for row in written if row[1] == INJECTION]
    assert [(row[5], row[4]) for row in mine] == [
        ("home_visits", "2025-07"), ("home_visits", "2025-08"), ("home_visits", "2025-09"),
        ("fft_positive_pct", "2025-07"), ("fft_positive_pct", "2025-08"),
        ("retired_item", "2025-07"), ("retired_item", "2025-08"), ("retired_item", "2025-09"),
    ]  # fmt: skip


def test_repeated_text_that_reads_as_a_formula_or_an_error_stays_text_in_every_row(
    session, app, edges
):
    data = collection_data(session, app, edges, snapshot=False)
    sheet = load_workbook(io.BytesIO(made(data, session, tidy=icb_tidy.Tidy(session, data))))[
        "Tidy"
    ]
    by_name: dict[str, list] = {}
    for row in sheet.iter_rows(min_row=2):
        by_name.setdefault(row[1].value, []).append(row)
    for name, pcn in ((INJECTION, "North PCN"), ("#N/A", "South PCN")):
        rows = by_name[name]
        assert len(rows) == 8, name
        for row in rows:
            assert row[1].data_type == "s", name
            assert row[2].value == pcn, name  # the cell after it is its own
            assert row[10].is_date
        assert all(row[1].quotePrefix for row in rows) is (name == INJECTION)
    answers = {row[4].value: row[7] for row in by_name["#N/A"] if row[5].value == "retired_item"}
    assert answers["2025-07"].value == "=1+1"
    assert answers["2025-07"].quotePrefix
    assert answers["2025-08"].value == "#REF!"
    assert {cell.data_type for cell in answers.values()} == {"s"}
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_tidy_groups_from_the_query_are_those_of_the_loaded_snapshot(session, app, edges):
    data = collection_data(session, app, edges, snapshot=True)
    streamed = icb_tidy.Tidy(session, data).groups
    assert sorted(streamed) == sorted(icb_tidy.LoadedTidy(data).groups)
    by_key = {(g.item_id, g.period_code): g for g in streamed}
    assert by_key[("home_visits", "2025-07")][4:] == (7, 100, None)  # least, greatest, text
    assert by_key[("retired_item", "2025-07")][4:] == (None, None, len("=1+1"))


def test_tidy_columns_are_sized_before_any_row_to_fit_every_row(session, app, edges):
    data = collection_data(session, app, edges, snapshot=False)
    sheet = load_workbook(io.BytesIO(made(data, session, tidy=icb_tidy.Tidy(session, data))))[
        "Tidy"
    ]
    widths = sheet.column_dimensions
    for column in "ABCDEFGIJ":
        longest = max(len(str(c.value)) for c in sheet[column] if c.value is not None)
        assert widths[column].width >= min(longest, icb_workbook.MAX_WIDTH), column
    values = [c.value for c in sheet["H"][1:] if isinstance(c.value, int | float)]
    assert widths["H"].width >= max(len(f"{v:.10g}") for v in values)
    assert widths["E"].width < widths["G"].width  # 2025-07 against a metric's label
