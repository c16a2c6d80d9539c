"""Charts drawn before anyone asks: when a practice's data change, a job draws the charts
its next views will show into the shared chart cache, so the view only reads them.

Two halves, both here so every write path is covered in one place:

- **Noticing a change.** A listener on every database session collects, at each flush,
  the practices whose figures, interventions or HEP allocations (everything the
  practice's charts are drawn from) were added, changed or deleted (as objects of the
  session, or as the audit event every edit and delete writes), and the ICBs a
  national import finished for (England's figures beside the practice's charts). When
  the session commits, the collected ids are handed to the callback registered for the
  session's engine (`watch`): the job queue's (monitor.jobs), which queues one job per
  practice, coalesced. A rolled-back session hands over nothing. No service has to
  remember to ask: a new write path is covered as long as it writes these models.
- **Drawing.** `draw_practice` asks for the charts of the views a practice's users open
  next, through the same code and cache keys the pages use: the impact summary's charts
  (the PNGs of the workbook and PDF) for the last complete financial year and the year
  to date, and every metric page's SPC or run chart at both widths (SVG); the
  dashboard's sparklines are drawn in its page. A chart already in the cache costs a
  read; the job draws only what changed.

The drawing functions are handed in (`Renderer`), so this module knows nothing of the
web layer nor of where the cache lives.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date

from matplotlib.figure import Figure
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, select

from monitor import charts
from monitor.core.checklist import ItemType, Templates
from monitor.core.periods import financial_year_of
from monitor.models import (
    PRACTICE_ROLES,
    AuditEvent,
    HepAllocation,
    Icb,
    ImportStatus,
    Intervention,
    MetricValue,
    NationalImport,
    Pcn,
    Practice,
    PracticeReturn,
    ReturnFigure,
    ReturnSpend,
    ReturnValue,
    User,
)
from monitor.services import evidence, metric_view, summary

WATCHED = (MetricValue, Intervention, HepAllocation)
"""Rows a practice's charts are drawn from. Spending and staffing appear in the summary's
tables only, which the download writes in milliseconds."""
WATCHED_TYPES = frozenset({"metric_value", "intervention", "hep_allocation"})
"""The same rows as an audit event names them (monitor.services.records.OBJECT_TYPES)."""

PHONE_SUFFIX = ".phone"
"""The phone layout's cache key suffix (monitor.web.chart_width.for_requested_width)."""

_INFO_KEY = "monitor.prerender"
_ENGLAND_CHANGED = (ImportStatus.DONE, ImportStatus.UNDONE)
"""An import reaching these changes England's figures beside the ICB's practices' charts."""


@dataclass
class Changed:
    """What one transaction changed: practice ids, and ICBs a national import finished for;
    the returns submitted, withdrawn or resubmitted, and the practice and PCN records added
    or changed (a name, list size, deprivation, PCN or status: what the collection's ICB
    charts group and weigh by, monitor.services.icb_prerender)."""

    practices: set[int]
    icbs: set[int]
    returns: set[int] = field(default_factory=set)
    practice_records: set[int] = field(default_factory=set)
    pcn_records: set[int] = field(default_factory=set)


Callback = Callable[[Changed], None]
_CALLBACKS: weakref.WeakKeyDictionary[Engine, Callback] = weakref.WeakKeyDictionary()


def watch(engine: Engine, callback: Callback) -> None:
    """Call `callback` after each commit, on this engine, that changed a practice's charts."""
    _CALLBACKS[engine] = callback


def unwatch(engine: Engine) -> None:
    _CALLBACKS.pop(engine, None)


def _engine_of(session: OrmSession) -> Engine | None:
    bind = session.bind
    if bind is None:
        return None
    return getattr(bind, "engine", bind)


@event.listens_for(OrmSession, "after_flush")
def _collect(session: OrmSession, _context) -> None:
    engine = _engine_of(session)
    if engine is None or engine not in _CALLBACKS:
        return
    changed: Changed | None = session.info.get(_INFO_KEY)
    for obj in (*session.new, *session.dirty, *session.deleted):
        practice_id = None
        if isinstance(obj, WATCHED):
            practice_id = getattr(obj, "practice_id", None)
        elif isinstance(obj, AuditEvent) and obj.object_type in WATCHED_TYPES:
            # An edit or delete is one UPDATE or DELETE statement checked against the
            # record's version (monitor.services.records), which the session never
            # holds as an object; its audit event, which every change has, names it.
            practice_id = obj.practice_id
        if practice_id is not None:
            if changed is None:
                changed = session.info[_INFO_KEY] = Changed(set(), set())
            changed.practices.add(practice_id)
        elif isinstance(obj, NationalImport) and obj.status in _ENGLAND_CHANGED:
            if changed is None:
                changed = session.info[_INFO_KEY] = Changed(set(), set())
            changed.icbs.add(obj.icb_id)
        if (return_id := _return_of(obj)) is not None:
            if changed is None:
                changed = session.info[_INFO_KEY] = Changed(set(), set())
            changed.returns.add(return_id)
        if (organisation := _organisation_of(obj)) is not None:
            if changed is None:
                changed = session.info[_INFO_KEY] = Changed(set(), set())
            kind, record_id = organisation
            (changed.pcn_records if kind == "pcn" else changed.practice_records).add(record_id)


RETURN_ROWS = (ReturnValue, ReturnFigure, ReturnSpend)
"""A return's snapshot rows: a submission or resubmission writes them."""


def _return_of(obj) -> int | None:
    """The return a changed object is, or is part of: a return added or changed as an
    object, its snapshot's rows, or (a withdrawal is one UPDATE statement checked by
    version) the audit event naming it."""
    if isinstance(obj, PracticeReturn):
        return obj.id
    if isinstance(obj, RETURN_ROWS):
        return obj.return_id
    if isinstance(obj, AuditEvent) and obj.object_type == "practice_return" and obj.object_id:
        return int(obj.object_id) if obj.object_id.isdigit() else None
    return None


ORGANISATION_TYPES = frozenset({"practice", "pcn"})
"""A practice's or PCN's own record as an audit event names it (its sharing choices are
audited apart, as "practice_sharing", and change no ICB chart)."""


def _organisation_of(obj) -> tuple[str, int] | None:
    """("practice" or "pcn", its id) for a practice or PCN added, changed or deleted as an
    object, or (an edit is one UPDATE statement, monitor.services.records) the audit event
    naming it."""
    if isinstance(obj, Practice | Pcn) and obj.id is not None:
        return ("pcn" if isinstance(obj, Pcn) else "practice", obj.id)
    if isinstance(obj, AuditEvent) and obj.object_type in ORGANISATION_TYPES:
        if obj.object_id and str(obj.object_id).isdigit():
            return obj.object_type, int(obj.object_id)
    return None


@event.listens_for(OrmSession, "after_commit")
def _hand_over(session: OrmSession) -> None:
    changed: Changed | None = session.info.pop(_INFO_KEY, None)
    if changed is None:
        return
    callback = _CALLBACKS.get(_engine_of(session))
    if callback is not None:
        callback(changed)


@event.listens_for(OrmSession, "after_rollback")
def _forget(session: OrmSession) -> None:
    session.info.pop(_INFO_KEY, None)


# Drawing ------------------------------------------------------------------------------

Renderer = Callable[[str, Callable[[], Figure]], bytes]
"""(cache key, a function drawing the chart) → its bytes, from the cache or drawn now."""


def practices_of_icb(session: Session, icb_id: int) -> list[int]:
    """The ICB's practices anyone signs in to (only their views are worth drawing)."""
    readers = select(User.practice_id).where(*_READER)
    return list(
        session.exec(
            select(Practice.id)
            .where(Practice.icb_id == icb_id, Practice.id.in_(readers))
            .order_by(Practice.id)
        )
    )


_READER = (User.is_active, User.role.in_([role.value for role in PRACTICE_ROLES]))
"""A user who reads a practice's own pages (monitor.services.visibility.own_practice_id)."""


def draw_practice(
    session: Session,
    practice_id: int,
    *,
    templates: Templates,
    today: date,
    png: Renderer,
    svg: Renderer,
) -> int:
    """Ask the cache for every chart the practice's next views show (drawing the missing
    ones); returns how many charts were asked for. A practice nobody signs in to, or one
    that no longer exists, is left alone."""
    practice = session.get(Practice, practice_id)
    reader = session.exec(
        select(User).where(User.practice_id == practice_id, *_READER).order_by(User.id)
    ).first()
    if practice is None or reader is None:
        return 0
    icb = session.get(Icb, practice.icb_id)
    template = templates[(icb.template_id, icb.template_version)]
    asked = 0
    years = summary.summary_years(session, practice.id, today)
    for year in _summary_years(today):
        if year not in years:
            continue
        choice, _ = summary.choose_period({"year": str(year)}, years=years, today=today)
        built = summary.build_summary(
            session,
            practice=practice,
            template=template,
            start=choice.start,
            end=choice.end,
            period_label=choice.label,
            today=today,
            with_charts=True,
            render_png=png,
            templates=templates,
        )
        asked += len(built.charts)
    items = [
        item
        for item in (*template.items, *evidence.retired_items(templates, template))
        if item.type is not ItemType.TEXT
    ]
    asked += _metric_pages(session, practice, template, items, today, reader, svg)
    return asked


def _summary_years(today: date) -> Iterable[int]:
    """The summary's default (the last complete financial year) and this year to date."""
    return (summary.default_year(today), financial_year_of(today))


def _metric_pages(session, practice, template, items, today, reader, svg: Renderer) -> int:
    """Each metric page's chart with the page's default options, at both widths."""
    interventions = evidence.practice_interventions(session, practice.id)
    asked = 0
    for item in items:
        options = metric_view.parse_options(_NO_ARGS, item=item, interventions=interventions)
        view = metric_view.build(
            session,
            practice=practice,
            template=template,
            item=item,
            today=today,
            options=options,
            viewer=reader,
            interventions=interventions,
        )
        if view is None:
            continue
        draw = charts.run_chart if view.run_chart else charts.spc_chart
        phone = replace(view.spec, width_in=charts.NARROW_WIDTH_IN)
        svg(view.key, _Draw(draw, view.spec))
        svg(f"{view.key}{PHONE_SUFFIX}", _Draw(draw, phone))
        asked += 2
    return asked


class _NoArguments:
    """A page's query string with nothing in it: the page's default chart options."""

    def get(self, name: str, default=None):
        return default

    def getlist(self, name: str) -> list[str]:
        return []


_NO_ARGS = _NoArguments()


@dataclass(frozen=True)
class _Draw:
    draw: Callable[..., Figure]
    spec: object

    def __call__(self) -> Figure:
        return self.draw(self.spec)
