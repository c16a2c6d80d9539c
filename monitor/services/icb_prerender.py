"""The ICB analyst's charts drawn before anyone asks: when a return is submitted, withdrawn
or resubmitted, a national import finishes for the ICB, or one of its practices or PCNs
is added or changed (by hand or from NHS files), a job draws every chart the
collection's distribution pages and equity lens show with their default options, for
the analyst's reach (every practice of the ICB), into the shared chart cache, under the
keys the pages ask for (monitor.services.icb_charts). The first view after the change
then reads them instead of drawing them.

monitor.services.prerender notices the change (the returns, practices and PCNs a
transaction wrote, and the ICBs an import finished for); monitor.jobs queues one job
per collection, coalesced.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from matplotlib.figure import Figure
from sqlmodel import Session, select

from monitor.core.checklist import Templates
from monitor.models import Collection, Pcn, Practice, PracticeReturn, Role, User
from monitor.services import icb_charts

Renderer = Callable[[str, Callable[[], Figure]], bytes]
"""(cache key, a function drawing the chart) → its bytes, from the cache or drawn now."""

ANALYST_ROLES = (Role.ICB_ANALYST.value,)
"""The roles that open an ICB's views of its collections (monitor.web.icb)."""

RECENT_COLLECTIONS = 3
"""A national import redraws this many of the ICB's collections, the newest first (an
import changes the national items' figures of every collection covering its periods;
older collections are drawn when first looked at)."""


def collections_of_returns(session: Session, return_ids: Iterable[int]) -> list[int]:
    """The collections the returns answer (a deleted return answers none)."""
    ids = sorted(set(return_ids))
    if not ids:
        return []
    return sorted(
        set(
            session.exec(
                select(PracticeReturn.collection_id).where(PracticeReturn.id.in_(ids))
            ).all()
        )
    )


def collections_of_icb(session: Session, icb_id: int) -> list[int]:
    """The ICB's newest collections (see RECENT_COLLECTIONS)."""
    return list(
        session.exec(
            select(Collection.id)
            .where(Collection.icb_id == icb_id)
            .order_by(Collection.opens_on.desc(), Collection.id.desc())
            .limit(RECENT_COLLECTIONS)
        )
    )


def collections_of_organisations(
    session: Session, practice_ids: Iterable[int], pcn_ids: Iterable[int]
) -> list[int]:
    """The newest collections (see RECENT_COLLECTIONS) of the ICBs these practices and
    PCNs are in: a practice's list size, deprivation, PCN or name, or a PCN's name, is in
    every ICB view of the collections that reach it."""
    icbs: set[int] = set()
    for model, ids in ((Practice, sorted(set(practice_ids))), (Pcn, sorted(set(pcn_ids)))):
        if ids:
            icbs.update(session.exec(select(model.icb_id).where(model.id.in_(ids))).all())
    return [found for icb_id in sorted(icbs) for found in collections_of_icb(session, icb_id)]


def _has_analyst(session: Session, icb_id: int) -> bool:
    """Whether anyone signs in to the ICB's views (only their charts are worth drawing)."""
    found = session.exec(
        select(User.id).where(
            User.icb_id == icb_id,
            User.is_active,
            User.role.in_(ANALYST_ROLES),
        )
    ).first()
    return found is not None


def draw_collection(
    session: Session, collection_id: int, *, templates: Templates, svg: Renderer
) -> int:
    """Ask the cache for every chart of the collection's distribution pages and equity
    lens (drawing the missing ones); returns how many were asked for. A collection that
    no longer exists, or of an ICB nobody signs in to, is left alone."""
    collection = session.get(Collection, collection_id)
    if collection is None or not _has_analyst(session, collection.icb_id):
        return 0
    template = templates.get((collection.template_id, collection.template_version))
    if template is None:
        return 0
    reader = icb_charts.icb_reader(collection.icb_id)
    asked = 0
    for chart in icb_charts.collection_charts(session, reader, collection, template):
        svg(chart.key, chart.draw)
        asked += 1
    return asked
