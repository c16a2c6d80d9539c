"""Trends and evidence for a practice: the dashboard, metric pages with Making Data
Count charts, chart images and data downloads, and the money views."""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections import OrderedDict, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user

from monitor import charts
from monitor.analysis import spc
from monitor.core.checklist import ItemType
from monitor.core.clock import today
from monitor.core.periods import Period, financial_year_label, financial_year_of
from monitor.models import HepAllocation, Role, SpendItem, StaffingChange
from monitor.services import evidence, logs, metric_view, visibility
from monitor.web.access import allow
from monitor.web.chart_cache import chart_response
from monitor.web.chart_width import for_requested_width
from monitor.web.context import db, own_practice, template_for_user, templates
from monitor.web.downloads import csv_download
from monitor.web.presenters import evidence as text
from monitor.web.presenters import practice as practice_text

bp = Blueprint("evidence", __name__)

READERS = (Role.PRACTICE_EDITOR, Role.PRACTICE_VIEWER)


def _baseline_arg() -> int | None:
    value = request.args.get("baseline", type=int)
    current = financial_year_of(today())
    return value if value and 2015 <= value < current else None


def _item_or_404(item_id: str, template=None):
    """An item of the ICB's template, or one its earlier versions asked for and it no
    longer does (whose values stay in the practice's history)."""
    template = template or template_for_user(current_user)
    item = template.items_by_id.get(item_id)
    if item is None:
        item = next((i for i in _retired(template) if i.id == item_id), None)
    if item is None or item.type is ItemType.TEXT:
        abort(404)
    return item


def _retired(template):
    return evidence.retired_items(templates(), template)


def _baseline_items() -> list[dict]:
    return text.baseline_items(metric_view.baseline_choices(today()), _baseline_arg())


# Dashboard ----------------------------------------------------------------------------


def _until(item) -> Period:
    return Period.latest_complete(today(), item.frequency)


@dataclass
class _Card:
    """A dashboard card: its item, its place among the cards (by strength, then the
    template's order) and the fragment key of everything it reads. Its evidence is
    read only when its cached HTML is not for this key (`evidence`)."""

    item: object
    key: tuple
    strength: object
    order: int
    load: Callable[[], evidence.Evidence | None]
    found: evidence.Evidence | None = None

    def evidence(self) -> evidence.Evidence:
        if self.found is None:
            self.found = self.load()
        return self.found


_STRENGTHS: OrderedDict[tuple, object] = OrderedDict()
"""A card's key → its strength (or `_NO_CARD`): the cards' order without their
evidence. Per process and bounded."""
_STRENGTHS_SIZE = 8192
_STRENGTHS_LOCK = threading.Lock()
_NO_CARD = object()


_DEFINITIONS: dict[int, tuple[object, str]] = {}
"""id() of a template or item → (it, a hash of its definition): computed once per
object (held here, so its id is never reused while the entry stands)."""


def _definition(thing) -> str:
    found = _DEFINITIONS.get(id(thing))
    if found is None or found[0] is not thing:
        if len(_DEFINITIONS) > 4096:
            _DEFINITIONS.clear()
        digest = hashlib.sha256(thing.model_dump_json().encode()).hexdigest()
        found = _DEFINITIONS[id(thing)] = (thing, digest)
    return found[1]


def _card_key(scope: tuple, stamps, template, item, interventions, baseline_year) -> tuple:
    """Everything a dashboard card reads: its item's data stamp (its figures and their
    imports, and the allocations for the HEP allocation), the interventions that name
    it, its definition and the template's version (earlier definitions' figures), and
    the page's scope (`_dashboard_scope`)."""
    return (
        *scope,
        item.id,
        stamps.of(item),
        tuple(
            (e.id, e.version, e.title, e.occurred_on, tuple(e.affected_items))
            for e in interventions
            if item.id in (e.affected_items or ())
        ),
        template.version,
        _definition(item),
        baseline_year,
    )


def _dashboard_scope(practice) -> tuple:
    """What every card of the page shares: the app (the cache is per process, the app's
    database is in the key all the same), the practice, today (each item's last
    period) and the request's baseline argument and root (in the cards' links)."""
    return (
        current_app.extensions.setdefault("monitor.cards_scope", uuid.uuid4().hex),
        practice.id,
        today(),
        request.args.get("baseline"),
        request.script_root,
    )


def _dashboard_cards(practice, template, groups, *, interventions, baseline_year):
    """The cards of each group of items (the template's, the retired ones) in their
    order. Each card is keyed by its own item's data stamp (two aggregate queries for
    the practice), so a view after a change reads the figures of the changed items
    only (one query), and a warm view none."""
    session = db()
    stamps = evidence.figures_stamps(session, practice.id)
    scope = _dashboard_scope(practice)
    charted = [[item for item in items if item.type is not ItemType.TEXT] for items in groups]

    def load(items):
        found = evidence.series_for_items(
            session,
            practice_id=practice.id,
            items=items,
            until=_until,
            template_version=template.version,
        )
        return {
            item.id: evidence.cached_evidence_for(
                found[item.id], baseline_year=baseline_year, interventions=interventions
            )
            if found[item.id] is not None
            else None
            for item in items
        }

    keys = {
        item.id: _card_key(scope, stamps, template, item, interventions, baseline_year)
        for items in charted
        for item in items
    }
    with _STRENGTHS_LOCK:
        known = {i: _STRENGTHS[k] for i, k in keys.items() if k in _STRENGTHS}
    unknown = [item for items in charted for item in items if item.id not in known]
    computed = load(unknown) if unknown else {}
    with _STRENGTHS_LOCK:
        for item_id, result in computed.items():
            strength = _NO_CARD if result is None else result.strength
            known[item_id] = _STRENGTHS[keys[item_id]] = strength
        for key in keys.values():
            if key in _STRENGTHS:
                _STRENGTHS.move_to_end(key)
        while len(_STRENGTHS) > _STRENGTHS_SIZE:
            _STRENGTHS.popitem(last=False)

    grouped = []
    for items in charted:
        cards = [
            _Card(
                item,
                keys[item.id],
                known[item.id],
                n,
                # A card whose HTML left the cache before its strength: read it alone.
                lambda item=item: load([item])[item.id],
                computed.get(item.id),
            )
            for n, item in enumerate(items)
            if known[item.id] is not _NO_CARD
        ]
        cards.sort(key=lambda card: (card.strength, card.order))
        grouped.append(cards)
    return grouped


@bp.get("/dashboard")
@allow(*READERS)
def dashboard():
    practice = own_practice()
    default_year = evidence.default_baseline_year(db(), practice.id)
    baseline_year = _baseline_arg() or default_year
    template = template_for_user(current_user)
    cards, retired = _dashboard_cards(
        practice,
        template,
        (template.items, _retired(template)),
        interventions=evidence.practice_interventions(db(), practice.id),
        baseline_year=baseline_year,
    )
    return render_template(
        "evidence/dashboard.jinja",
        practice=practice,
        cards=cards,
        retired=retired,
        template_version=template.version,
        baseline_year=baseline_year,
        default_year=default_year,
        baseline_items=_baseline_items(),
        financial_year_label=financial_year_label,
        Strength=evidence.Strength,
        sparkline=text.sparkline,
    )


# Metric pages -------------------------------------------------------------------------


def _view(item):
    session = db()
    practice = own_practice()
    interventions = evidence.practice_interventions(session, practice.id)
    options = metric_view.parse_options(request.args, item=item, interventions=interventions)
    view = metric_view.build(
        session,
        practice=practice,
        template=template_for_user(current_user),
        item=item,
        today=today(),
        options=options,
        viewer=current_user,
    )
    return view, options, interventions


def _chart_args() -> dict:
    """The chart options of this request, to pass on to the image and data links."""
    keep = (
        "baseline",
        "compare_from",
        "rebase",
        "auto_rebase",
        "fix_after",
        "two_in_three",
        "target",
    )
    return {k: request.args.getlist(k) for k in keep if request.args.get(k)}


@bp.get("/metrics/<item_id>")
@allow(*READERS)
def metric(item_id: str):
    item = _item_or_404(item_id)
    view, options, interventions = _view(item)
    return render_template(
        "evidence/metric.jinja",
        practice=own_practice(),
        item=item,
        view=view,
        options=options,
        interventions=interventions,
        chart_args=_chart_args(),
        baseline_items=_baseline_items(),
        two_in_three=metric_view.TWO_IN_THREE,
        placement=practice_text.placement_text(item, view.placement)
        if view is not None and view.placement is not None
        else None,
        target_text=request.args.get("target", ""),
        interventions_items=text.intervention_items,
        rebase_items=text.rebase_items,
        two_in_three_items=text.two_in_three_items,
        auto_rebase_items=text.choice_items(
            metric_view.AUTO_REBASE, "yes" if options.auto_rebase else "no"
        ),
        financial_year_label=financial_year_label,
        min_fix=spc.MIN_FIX_AFTER_N_POINTS,
    ), (400 if options.errors else 200)


@bp.get("/metrics/<item_id>/chart.<fmt>")
@allow(*READERS)
def metric_chart(item_id: str, fmt: str):
    item = _item_or_404(item_id)
    view, _, _ = _view(item)
    if view is None:
        abort(404)
    key, spec = for_requested_width(view.key, view.spec)
    build = (lambda: charts.run_chart(spec)) if view.run_chart else (lambda: charts.spc_chart(spec))
    return chart_response(key, fmt, build, filename=f"{item.id}-chart")


@bp.get("/metrics/<item_id>/data.csv")
@allow(*READERS)
def metric_data(item_id: str):
    item = _item_or_404(item_id)
    view, _, _ = _view(item)
    if view is None:
        abort(404)
    header, body = text.metric_table(item, view)
    return csv_download(header, body, filename=f"{item.id}-data.csv")


# Money --------------------------------------------------------------------------------


def _money_data():
    session = db()
    template = template_for_user(current_user)
    allocations = visibility.own_records(session, current_user, HepAllocation)
    items = visibility.own_records(session, current_user, SpendItem)
    changes = visibility.own_records(session, current_user, StaffingChange)
    current = financial_year_of(today())
    years = sorted(
        {a.financial_year for a in allocations}
        | {financial_year_of(i.spent_on) for i in items}
        | {current}
    )
    hep_by_year: dict[int, Decimal] = defaultdict(Decimal)
    for item in items:
        hep_by_year[financial_year_of(item.spent_on)] += item.hep_amount
    allocation_rows = {
        row.allocation.financial_year: row for row in logs.allocation_history(allocations)
    }
    year_rows = [
        {
            "fy": fy,
            "label": financial_year_label(fy),
            "allocation": allocation_rows[fy].allocation.amount if fy in allocation_rows else None,
            "change": allocation_rows[fy].change if fy in allocation_rows else None,
            "change_pct": allocation_rows[fy].change_pct if fy in allocation_rows else None,
            "hep_spend": hep_by_year.get(fy, Decimal(0)),
        }
        for fy in years
    ]
    fy = request.args.get("year", type=int) or current
    if fy not in years:
        fy = current
    summary = logs.spend_summary(items, allocations, template=template, financial_year=fy)
    staffing = {
        y: logs.staffing_summary(changes, template=template, financial_year=y) for y in years
    }
    return year_rows, fy, summary, staffing


@bp.get("/money")
@allow(*READERS)
def money_view():
    year_rows, fy, summary, staffing = _money_data()
    return render_template(
        "evidence/money.jinja",
        practice=own_practice(),
        year_rows=year_rows,
        fy=fy,
        fy_label=financial_year_label(fy),
        summary=summary,
        staffing=staffing,
        financial_year_label=financial_year_label,
        allocation_alt=text.allocation_alt(year_rows),
        category_alt=text.category_alt(summary, fy),
    )


@bp.get("/money/allocation.svg")
@allow(*READERS)
def allocation_chart():
    year_rows, *_ = _money_data()
    labels = [r["label"] for r in year_rows]
    allocations = [
        float(r["allocation"]) if r["allocation"] is not None else None for r in year_rows
    ]
    spend = [float(r["hep_spend"]) for r in year_rows]
    key = charts.chart_key(charts.CHART_VERSION, "allocation", labels, allocations, spend)
    return chart_response(
        key,
        "svg",
        lambda: charts.allocation_chart(labels, allocations, spend),
        filename="hep-allocation",
    )


@bp.get("/money/categories.svg")
@allow(*READERS)
def category_chart():
    _, fy, summary, _ = _money_data()
    labels = [c.label for c in summary.by_category]
    values = [float(c.hep) for c in summary.by_category]
    key = charts.chart_key(charts.CHART_VERSION, "categories", fy, labels, values)
    return chart_response(
        key,
        "svg",
        lambda: charts.bar_chart(labels, values, title=text.category_chart_title(fy)),
        filename="hep-spend-by-category",
    )
