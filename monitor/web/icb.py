"""The ICB's view across practices: completeness, distributions, PCN aggregates, the equity
lens, spending mix and the ICB workbook; the PCN lead's trends.

Every page reads submitted returns only (monitor.services.icb_views). A collection of
another ICB answers 404. Charts label practices by rank, never by name; the data table
beside each chart is where an ICB analyst reads practice names.
"""

from __future__ import annotations

import tempfile

from flask import Blueprint, abort, render_template, request, url_for
from flask_login import current_user
from werkzeug.routing import BuildError

from monitor import charts
from monitor.core.checklist import Item
from monitor.core.clock import to_uk
from monitor.core.small_numbers import MIN_PRACTICES
from monitor.exporters.formats import XLSX
from monitor.exporters.icb_workbook import workbook_filename, write_icb_workbook
from monitor.models import Collection, Role
from monitor.services import icb_views, visibility
from monitor.services.collections import STATE_COLOURS
from monitor.web.access import allow
from monitor.web.chart_cache import chart_response
from monitor.web.chart_width import for_requested_width
from monitor.web.context import db, templates
from monitor.web.downloads import csv_download, download
from monitor.web.presenters import icb as present

bp = Blueprint("icb", __name__)

ANALYST = (Role.ICB_ANALYST,)


def _collection(collection_id: int) -> Collection:
    collection = visibility.analyst_collection(db(), current_user, collection_id)
    if collection is None:
        abort(404)
    return collection


def _data(collection_id: int, **shown) -> icb_views.CollectionData:
    """The collection as the user may see it, loaded with as much of its figures as the
    page shows (`shown`: icb_views.load's figures, items and snapshot)."""
    collection = _collection(collection_id)
    template = templates().get((collection.template_id, collection.template_version))
    if template is None:
        abort(404)
    return icb_views.load(
        db(), user=current_user, collection=collection, template=template, **shown
    )


def _item(data: icb_views.CollectionData, item_id: str) -> Item:
    item = data.item(item_id)
    if item is None:
        abort(404)
    return item


def _collection_url(collection: Collection) -> str | None:
    """The collection's own page (the returns blueprint), if it is there to link to."""
    try:
        return url_for("returns.collection", collection_id=collection.id)
    except BuildError:
        return None


def _render(name: str, data: icb_views.CollectionData, **context):
    return render_template(
        f"icb/{name}.jinja",
        collection=data.collection,
        collection_url=_collection_url(data.collection),
        period=data.period,
        min_practices=MIN_PRACTICES,
        value_rule=icb_views.VALUE_RULE,
        **context,
    )


# Completeness -------------------------------------------------------------------------


def _completeness(collection_id: int):
    """The collection's data, its completeness narrowed by the `status` filter, and the
    filter's error message (None when the filter is valid)."""
    data = _data(collection_id, figures=False, snapshot=False)
    shown, error = icb_views.status_filter(request.args.getlist("status"))
    states = icb_views.practice_states(db(), data.collection, data.practices, data.template)
    changed = icb_views.last_changed(db(), data.collection, data.practices, data.template)
    found = icb_views.completeness(data, states, shown=shown, changed=changed)
    return data, found, error


def _completeness_page(data, found, error):
    page = _render(
        "completeness",
        data,
        completeness=found,
        state_labels=icb_views.STATE_LABELS,
        state_colours=STATE_COLOURS,
        errors={"status": error} if error else {},
        status_options=[(state, icb_views.STATE_LABELS[state]) for state in found.states],
        export_url=url_for(
            "icb.completeness_csv",
            collection_id=data.collection.id,
            status=sorted(found.shown),
        ),
    )
    return page, 400 if error else 200


@bp.get("/collections/<int:collection_id>/completeness")
@allow(*ANALYST)
def completeness(collection_id: int):
    return _completeness_page(*_completeness(collection_id))


@bp.get("/collections/<int:collection_id>/completeness.csv")
@allow(*ANALYST)
def completeness_csv(collection_id: int):
    data, found, error = _completeness(collection_id)
    if error:
        return _completeness_page(data, found, error)
    return csv_download(
        icb_views.COMPLETENESS_HEADER,
        present.completeness_rows(found),
        filename=workbook_filename(data.collection, "csv").replace("-returns-", "-completeness-"),
    )


# Distributions ------------------------------------------------------------------------


@bp.get("/collections/<int:collection_id>/metrics")
@allow(*ANALYST)
def metrics(collection_id: int):
    data = _data(collection_id, snapshot=False)
    return _render(
        "metrics",
        data,
        metrics=icb_views.metric_index(data),
        submitted=len(data.submissions),
        published=set(data.published),
        practices=len(data.practices),
        fmt=present.figure_text,
    )


@bp.get("/collections/<int:collection_id>/metrics/<item_id>")
@allow(*ANALYST)
def distribution(collection_id: int, item_id: str):
    data = _data(collection_id, items=[item_id], snapshot=False)
    item = _item(data, item_id)
    view = icb_views.distribution(data, item, session=db())
    return _render(
        "distribution",
        data,
        item=item,
        view=view,
        fmt=present.formatter(item),
        alt=present.ranked_alt(view),
        coverage=present.coverage(view.published, len(data.practices)),
        england=present.england_lines(view.england, item),
    )


def _chart_item(collection_id: int, item_id: str):
    """A chart's collection, template and item (404 where there are none), without loading
    the collection: a cached chart is found by `icb_views.chart_stamp` alone."""
    collection = _collection(collection_id)
    template = templates().get((collection.template_id, collection.template_version))
    item = icb_views.numeric_item(template, item_id) if template is not None else None
    if item is None:
        abort(404)
    return collection, template, item


@bp.get("/collections/<int:collection_id>/metrics/<item_id>/chart.<fmt>")
@allow(*ANALYST)
def distribution_chart(collection_id: int, item_id: str, fmt: str):
    collection, template, item = _chart_item(collection_id, item_id)
    stamp = icb_views.chart_stamp(db(), current_user, collection, item)
    key = charts.chart_key("icb-ranked", stamp, item.id, item.type, item.label)

    def build():
        data = icb_views.load(
            db(), user=current_user, collection=collection, template=template,
            items=[item.id], snapshot=False,
        )  # fmt: skip
        view = icb_views.distribution(data, item, session=db())
        return charts.ranked_chart(
            [r.figure.value for r in view.ranked],
            view.summary,
            title=item.label,
            format_value=present.formatter(item),
            england=view.england.summary if view.england is not None else None,
        )

    return chart_response(key, fmt, build, filename=f"{item.id}-ranked")


# Equity -------------------------------------------------------------------------------


@bp.get("/collections/<int:collection_id>/equity")
@allow(*ANALYST)
def equity(collection_id: int):
    data = _data(collection_id, snapshot=False)
    items = data.items()
    # The interval's method, chosen on the page (invalid choices: reported, and ignored).
    options = icb_views.equity_options(request.args, items=items)
    views = [
        icb_views.equity_view(data, item, session=db(), user=current_user, options=options)
        for item in items
    ]
    return _render(
        "equity",
        data,
        views=views,
        options=options,
        chart_args=options.args(),
        ci_items=present.ci_items(options),
        ci_hint=present.CI_HINT,
        transform=present.transform_offer(items, options),
        transform_value=icb_views.TRANSFORM,
        method_statement=present.method_statement(views, options),
        interval_label=present.interval_label,
        not_transformed=present.not_transformed,
        over_time_note=present.over_time_note,
        over_time_gap=present.over_time_gap,
        stored_method=icb_views.stored_method_label,
        formatter=present.formatter,
        alt=present.equity_alt,
        sii_text=present.sii_text,
        coverage=lambda view: present.coverage(view.published, len(data.practices)),
        gap_text=present.gap_text,
        england_periods=present.england_periods,
        england_quintiles=present.england_quintiles,
    ), (400 if options.errors else 200)


@bp.get("/collections/<int:collection_id>/equity/<item_id>/chart.<fmt>")
@allow(*ANALYST)
def equity_chart(collection_id: int, item_id: str, fmt: str):
    collection, template, item = _chart_item(collection_id, item_id)
    # The page's options, so the chart is of the view the words beside it describe (an
    # image cannot show an error: invalid ones are ignored, as on the page).
    options = icb_views.equity_options(request.args, items=[item])
    stamp = icb_views.chart_stamp(db(), current_user, collection, item)
    key = charts.chart_key(
        "icb-equity", stamp, item.id, item.type, item.label, options.method(item)
    )

    def build():
        data = icb_views.load(
            db(), user=current_user, collection=collection, template=template,
            items=[item.id], snapshot=False,
        )  # fmt: skip
        view = icb_views.equity_view(data, item, session=db(), user=current_user, options=options)
        shown = present.quintile_bars(view)
        marks = present.england_marks(view)
        return charts.bar_chart(
            [label for label, _ in shown],
            [value for _, value in shown],
            title=present.equity_title(item),
            format_value=present.equity_formatter(view),
            reference=marks if any(m is not None for m in marks) else None,
            reference_label="England median",
        )

    return chart_response(key, fmt, build, filename=f"{item.id}-by-deprivation")


# Spending mix -------------------------------------------------------------------------


@bp.get("/collections/<int:collection_id>/spending")
@allow(*ANALYST)
def spending_mix(collection_id: int):
    data = _data(collection_id, figures=False, snapshot=False)
    mix = icb_views.spending_mix(data)
    return _render("spending", data, mix=mix, alt=present.spending_alt(mix))


@bp.get("/collections/<int:collection_id>/spending/chart.<fmt>")
@allow(*ANALYST)
def spending_chart(collection_id: int, fmt: str):
    data = _data(collection_id, figures=False, snapshot=False)
    mix = icb_views.spending_mix(data)
    labels = [c.label for c in mix.categories]
    amounts = [float(c.hep) for c in mix.categories]
    key = charts.chart_key("icb-spending", data.collection.id, labels, amounts)
    return chart_response(
        key,
        fmt,
        lambda: charts.bar_chart(labels, amounts, title="HEP-attributed spend by category"),
        filename="hep-spend-by-category",
    )


# Exports ------------------------------------------------------------------------------


@bp.get("/collections/<int:collection_id>/workbook.xlsx")
@allow(*ANALYST)
def workbook(collection_id: int):
    data = _data(collection_id)
    states = icb_views.practice_states(db(), data.collection, data.practices, data.template)
    # Written to a temporary file and sent from it, never held whole in memory.
    file = tempfile.TemporaryFile()
    write_icb_workbook(data, states, file)
    size = file.tell()
    file.seek(0)
    response = download(_chunks(file), XLSX, workbook_filename(data.collection))
    response.content_length = size
    response.call_on_close(file.close)  # a download the browser gave up on
    return response


def _chunks(file, size: int = 64 * 1024):
    """A file's bytes, a block at a time, closing it when they are all sent."""
    try:
        while block := file.read(size):
            yield block
    finally:
        file.close()


@bp.get("/collections/<int:collection_id>/returns.csv")
@allow(*ANALYST)
def tidy_csv(collection_id: int):
    data = _data(collection_id, figures=False)  # every period's value: the snapshot only
    rows = [
        [
            row.submission.practice.ods_code,
            row.submission.practice.name,
            row.submission.pcn.name,
            row.period_label,
            row.value.period_code,
            row.value.item_id,
            row.metric_label,
            "" if row.figure is None else row.figure,
            row.unit,
            row.value.template_version,
            to_uk(row.submission.submitted_at).isoformat(timespec="seconds"),
        ]
        for row in icb_views.tidy_rows(data)
    ]
    return csv_download(
        icb_views.TIDY_HEADER,
        rows,
        filename=workbook_filename(data.collection, "csv"),
    )


# Trends: the PCN lead's (their PCN's median) and the ICB analyst's (across collections) --


def _trends_page(page: str, found, views: list[present.TrendView]):
    return render_template(
        f"icb/{page}.jinja",
        trends=found,
        views=views,
        min_practices=MIN_PRACTICES,
        value_rule=icb_views.VALUE_RULE,
    )


def _trend_chart(view: present.TrendView | None, fmt: str, *, scope: str, owner, filename: str):
    """A trend's chart, or 404 where it has none (one or two medians: the table alone)."""
    if view is None or view.spec is None:
        abort(404)
    key, spec = for_requested_width(present.trend_chart_key(scope, owner, view), view.spec)
    return chart_response(key, fmt, lambda: present.draw_trend(spec), filename=filename)


def _pcn_trends() -> icb_views.PcnTrends:
    return icb_views.pcn_trends(db(), user=current_user, templates=templates())


@bp.get("/pcn/trends")
@allow(Role.PCN_LEAD)
def pcn_trends():
    found = _pcn_trends()
    return _trends_page("pcn_trends", found, [present.pcn_trend_view(t) for t in found.trends])


@bp.get("/pcn/trends/<item_id>/chart.<fmt>")
@allow(Role.PCN_LEAD)
def pcn_trend_chart(item_id: str, fmt: str):
    found = _pcn_trends()
    trend = next((t for t in found.trends if t.item.id == item_id), None)
    view = present.pcn_trend_view(trend) if trend is not None else None
    return _trend_chart(view, fmt, scope="pcn-trend", owner=found.pcn.id, filename=f"{item_id}-pcn")


# ICB trends across collections --------------------------------------------------------


def _icb_trends(item_id: str | None = None) -> icb_views.IcbTrends:
    return icb_views.icb_trends(db(), user=current_user, templates=templates(), item_id=item_id)


@bp.get("/trends")
@allow(*ANALYST)
def trends():
    found = _icb_trends()
    return _trends_page("trends", found, [present.icb_trend_view(t) for t in found.trends])


@bp.get("/trends/<item_id>/chart.<fmt>")
@allow(*ANALYST)
def trend_chart(item_id: str, fmt: str):
    found = _icb_trends(item_id)
    view = present.icb_trend_view(found.trends[0]) if found.trends else None
    return _trend_chart(
        view, fmt, scope="icb-trend", owner=current_user.icb_id, filename=f"{item_id}-icb"
    )
