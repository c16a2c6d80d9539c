"""The ICB's view across practices: completeness, distributions, PCN aggregates, the equity
lens, spending mix and the ICB workbook; the PCN lead's trends.

Every page reads submitted returns only (monitor.services.icb_views). A collection of
another ICB answers 404. Charts label practices by rank, never by name; the data table
beside each chart is where an ICB analyst reads practice names.
"""

from __future__ import annotations

import functools
import tempfile
import uuid

from flask import Blueprint, abort, current_app, g, render_template, request, url_for
from flask_login import current_user
from werkzeug.routing import BuildError

from monitor import charts
from monitor.core.checklist import ChecklistTemplate, Item
from monitor.core.clock import to_uk, today
from monitor.core.small_numbers import MIN_PRACTICES
from monitor.exporters.formats import XLSX
from monitor.exporters.icb_workbook import workbook_filename, write_icb_workbook
from monitor.models import Collection, Role
from monitor.services import icb_charts, icb_tidy, icb_views, visibility
from monitor.services.collections import STATE_COLOURS, collection_period
from monitor.web.access import allow
from monitor.web.chart_cache import chart_response
from monitor.web.chart_width import for_requested_width
from monitor.web.context import db, templates
from monitor.web.downloads import csv_download, download
from monitor.web.jinja import FRAGMENTS
from monitor.web.presenters import icb as present

bp = Blueprint("icb", __name__)

ANALYST = (Role.ICB_ANALYST,)


def _collection(collection_id: int) -> Collection:
    collection = visibility.analyst_collection(db(), current_user, collection_id)
    if collection is None:
        abort(404)
    return collection


def _collection_template(collection_id: int) -> tuple[Collection, ChecklistTemplate]:
    """The collection as the user may see it and its template (404 where there are none)."""
    collection = _collection(collection_id)
    template = templates().get((collection.template_id, collection.template_version))
    if template is None:
        abort(404)
    return collection, template


def _data(collection_id: int, **shown) -> icb_views.CollectionData:
    """The collection as the user may see it, loaded with as much of its figures as the
    page shows (`shown`: icb_views.load's figures, items and snapshot)."""
    collection, template = _collection_template(collection_id)
    return icb_views.load(
        db(), user=current_user, collection=collection, template=template, **shown
    )


def _loader(collection: Collection, template: ChecklistTemplate, **shown):
    """`icb_views.load` of the collection, done when first called and only once: a page
    whose content is cached never calls it."""
    return functools.cache(
        lambda: icb_views.load(
            db(), user=current_user, collection=collection, template=template, **shown
        )
    )


def _stamp(collection: Collection, template: ChecklistTemplate) -> str:
    """The collection's stamp for the signed-in user's reach (icb_views.collection_stamp),
    worked out once per request: the page's cached content and its charts are keyed by it."""
    found = g.get("icb_stamp")
    if found is None or found[0] != collection.id:
        found = g.icb_stamp = (
            collection.id,
            icb_views.collection_stamp(db(), current_user, collection, template),
        )
    return found[1]


def _content_key(stamp: str, *rest) -> tuple:
    """A cached fragment's key: the stamp, what else the fragment shows, and where the
    app is mounted (its links). The fragment cache is per process, shared by the apps in
    it (tests make many, each with its own database): the app is in the key too."""
    scope = current_app.extensions.setdefault("monitor.icb_scope", uuid.uuid4().hex)
    return (scope, stamp, *rest, request.script_root)


def _items_with_figures(stamp: str, template: ChecklistTemplate, loaded) -> list[Item]:
    """The items the collection has figures for (`CollectionData.items`), remembered by
    the stamp (as a cached fragment is) so a page whose content is cached loads nothing."""
    ids = FRAGMENTS.get_or_render(
        repr(("icb-items", _content_key(stamp))),
        lambda: " ".join(item.id for item in loaded().items()),
    )
    return [template.items_by_id[item_id] for item_id in ids.split()]


def _collection_url(collection: Collection) -> str | None:
    """The collection's own page (the returns blueprint), if it is there to link to."""
    try:
        return url_for("returns.collection", collection_id=collection.id)
    except BuildError:
        return None


def _render(name: str, collection: Collection, **context):
    return render_template(
        f"icb/{name}.jinja",
        collection=collection,
        collection_url=_collection_url(collection),
        period=collection_period(collection),
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


@bp.get("/collections/<int:collection_id>/completeness")
@allow(*ANALYST)
def completeness(collection_id: int):
    collection, template = _collection_template(collection_id)
    shown, error = icb_views.status_filter(request.args.getlist("status"))
    stamp = _stamp(collection, template)
    live = icb_views.live_stamp(db(), current_user, collection, template)

    @functools.cache
    def found() -> icb_views.Completeness:
        """Every practice's state, worked out only when the page's cached content is not
        for this key (the collection's stamp and the live records it reads)."""
        data = icb_views.load(
            db(), user=current_user, collection=collection, template=template,
            figures=False, snapshot=False,
        )  # fmt: skip
        states = icb_views.practice_states(db(), collection, data.practices, template)
        changed = icb_views.last_changed(db(), collection, data.practices, template)
        return icb_views.completeness(data, states, shown=shown, changed=changed)

    page = _render(
        "completeness",
        collection,
        content_key=_content_key(stamp, live, today(), sorted(shown), error),
        load=found,
        state_labels=icb_views.STATE_LABELS,
        state_colours=STATE_COLOURS,
        errors={"status": error} if error else {},
        status_options=[(state, icb_views.STATE_LABELS[state]) for state in icb_views.STATES],
        export_url=url_for(
            "icb.completeness_csv", collection_id=collection.id, status=sorted(shown)
        ),
    )
    return page, 400 if error else 200


@bp.get("/collections/<int:collection_id>/completeness.csv")
@allow(*ANALYST)
def completeness_csv(collection_id: int):
    if icb_views.status_filter(request.args.getlist("status"))[1]:
        return completeness(collection_id)  # the page, with the filter's error
    data, found, _ = _completeness(collection_id)
    return csv_download(
        icb_views.COMPLETENESS_HEADER,
        present.completeness_rows(found),
        filename=workbook_filename(data.collection, "csv").replace("-returns-", "-completeness-"),
    )


# Distributions ------------------------------------------------------------------------


@bp.get("/collections/<int:collection_id>/metrics")
@allow(*ANALYST)
def metrics(collection_id: int):
    collection, template = _collection_template(collection_id)
    loaded = _loader(collection, template, snapshot=False)

    def shown() -> dict:
        """The index's content, worked out only when its cached copy is not for this key."""
        data = loaded()
        return {
            "metrics": icb_views.metric_index(data),
            "submitted": len(data.submissions),
            "published": set(data.published),
            "practices": len(data.practices),
        }

    return _render(
        "metrics",
        collection,
        content_key=_content_key(_stamp(collection, template)),
        load=shown,
        fmt=present.figure_text,
    )


def _numeric_item(collection_id: int, item_id: str):
    """The collection, its template and the item of a page or chart (404 where there are
    none), without loading the collection: cached content is found by the stamp alone."""
    collection, template = _collection_template(collection_id)
    item = icb_views.numeric_item(template, item_id)
    if item is None:
        abort(404)
    return collection, template, item


@bp.get("/collections/<int:collection_id>/metrics/<item_id>")
@allow(*ANALYST)
def distribution(collection_id: int, item_id: str):
    collection, template, item = _numeric_item(collection_id, item_id)
    loaded = _loader(collection, template, items=[item.id], snapshot=False)

    def shown() -> dict:
        """The page's content, worked out only when its cached copy is not for this key."""
        data = loaded()
        view = icb_views.distribution(data, item, session=db())
        return {
            "view": view,
            "alt": present.ranked_alt(view),
            "coverage": present.coverage(view.published, len(data.practices)),
            "england": present.england_lines(view.england, item),
        }

    return _render(
        "distribution",
        collection,
        item=item,
        content_key=_content_key(_stamp(collection, template), icb_charts.definition(item)),
        load=shown,
        fmt=present.formatter(item),
    )


@bp.get("/collections/<int:collection_id>/metrics/<item_id>/chart.<fmt>")
@allow(*ANALYST)
def distribution_chart(collection_id: int, item_id: str, fmt: str):
    collection, template, item = _numeric_item(collection_id, item_id)
    key = icb_charts.ranked_key(_stamp(collection, template), item)

    def build():
        data = _loader(collection, template, items=[item.id], snapshot=False)()
        return icb_charts.ranked_figure(icb_views.distribution(data, item, session=db()))

    return chart_response(key, fmt, build, filename=f"{item.id}-ranked")


# Equity -------------------------------------------------------------------------------


@bp.get("/collections/<int:collection_id>/equity")
@allow(*ANALYST)
def equity(collection_id: int):
    collection, template = _collection_template(collection_id)
    stamp = _stamp(collection, template)
    loaded = _loader(collection, template, snapshot=False)
    items = _items_with_figures(stamp, template, loaded)
    # The interval's method, chosen on the page (invalid choices: reported, and ignored).
    options = icb_views.equity_options(request.args, items=items)

    @functools.cache
    def shown() -> dict:
        """The page's content, worked out only when its cached copies are not for this
        key (the method statement and the views are two fragments: the form is between)."""
        data = loaded()
        views = [
            icb_views.equity_view(data, item, session=db(), user=current_user, options=options)
            for item in data.items()
        ]
        practices = len(data.practices)
        return {
            "views": views,
            "method_statement": present.method_statement(views, options),
            "coverage": lambda view: present.coverage(view.published, practices),
        }

    return _render(
        "equity",
        collection,
        content_key=_content_key(stamp, options),
        load=shown,
        options=options,
        chart_args=options.args(),
        ci_items=present.ci_items(options),
        ci_hint=present.CI_HINT,
        transform=present.transform_offer(items, options),
        transform_value=icb_views.TRANSFORM,
        interval_label=present.interval_label,
        not_transformed=present.not_transformed,
        over_time_note=present.over_time_note,
        over_time_gap=present.over_time_gap,
        stored_method=icb_views.stored_method_label,
        formatter=present.formatter,
        alt=present.equity_alt,
        sii_text=present.sii_text,
        gap_text=present.gap_text,
        england_periods=present.england_periods,
        england_quintiles=present.england_quintiles,
    ), (400 if options.errors else 200)


@bp.get("/collections/<int:collection_id>/equity/<item_id>/chart.<fmt>")
@allow(*ANALYST)
def equity_chart(collection_id: int, item_id: str, fmt: str):
    collection, template, item = _numeric_item(collection_id, item_id)
    # The page's options, so the chart is of the view the words beside it describe (an
    # image cannot show an error: invalid ones are ignored, as on the page).
    options = icb_views.equity_options(request.args, items=[item])
    key = icb_charts.equity_key(_stamp(collection, template), item, options)

    def build():
        data = _loader(collection, template, items=[item.id], snapshot=False)()
        view = icb_views.equity_view(data, item, session=db(), user=current_user, options=options)
        return icb_charts.equity_figure(view)

    return chart_response(key, fmt, build, filename=f"{item.id}-by-deprivation")


# Spending mix -------------------------------------------------------------------------


@bp.get("/collections/<int:collection_id>/spending")
@allow(*ANALYST)
def spending_mix(collection_id: int):
    data = _data(collection_id, figures=False, snapshot=False)
    mix = icb_views.spending_mix(data)
    return _render("spending", data.collection, mix=mix, alt=present.spending_alt(mix))


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
    # The tidy sheet's period-by-period rows are read from their query as they are
    # written (icb_tidy), not loaded with the collection.
    data = _data(collection_id, snapshot=False)
    states = icb_views.practice_states(db(), data.collection, data.practices, data.template)
    # Written to a temporary file and sent from it, never held whole in memory.
    file = tempfile.TemporaryFile()
    write_icb_workbook(data, states, file, tidy=icb_tidy.Tidy(db(), data))
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
