"""The analyst's home page: the practices they reach in figures, and a listing of them by
PCN a page of PCNs at a time, which a search by practice, ODS code or PCN narrows.

An ICB has 100 to 400 practices in 10 to 70 PCNs; a national deployment has 6,300 in
about 1,250. The figures are SQL aggregates and a page reads only its own PCNs'
practices, so the page costs the same at any size (bench/README.md, "The analyst home
page, paged"). Every query is scoped by `visibility.practice_filter`.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from math import ceil
from typing import NamedTuple

from sqlalchemy import ColumnElement, func, or_, true
from sqlmodel import Session, select

from monitor.core.inputs import without_control_characters
from monitor.models import Pcn, Practice, PracticeStatus, User
from monitor.services import visibility
from monitor.services.icb_views import no_pcn_group

PCNS_PER_PAGE = 30
QUERY_MAX_LENGTH = 100


@dataclass(frozen=True)
class Overview:
    """The practices a user reaches, counted."""

    practices: int
    pcns: int  # PCNs with at least one of them
    patients: int  # their registered patients, where known
    unknown_list_sizes: int
    quintiles: Counter  # deprivation quintile (None: not known) → practices


class ListedPractice(NamedTuple):
    """A practice as the listing shows it (a row, not an ORM object: a page lists up to
    a few hundred)."""

    id: int
    name: str
    ods_code: str
    list_size: int | None
    imd_decile: int | None
    rurality: str | None
    status: str

    @property
    def is_open(self) -> bool:
        return self.status == PracticeStatus.OPEN


@dataclass(frozen=True)
class ListingPage:
    """One page of the listing: each PCN on it with its (matching) practices by name."""

    groups: list[tuple[Pcn, list[ListedPractice]]]
    page: int
    pages: int
    query: str
    matches: int  # practices the query matches (every practice reached without one)

    @property
    def key(self) -> str:
        """A digest of everything the page's listing shows, keying its cached HTML."""
        shown = (
            self.page,
            self.pages,
            self.query,
            self.matches,
            tuple((pcn.id, pcn.name, tuple(members)) for pcn, members in self.groups),
        )
        return hashlib.blake2b(repr(shown).encode(), digest_size=16).hexdigest()


def overview(session: Session, user: User) -> Overview:
    reached = visibility.practice_filter(user)
    practices, pcns, patients, known_sizes = session.exec(
        select(
            func.count(),
            func.count(Practice.pcn_id.distinct()),
            func.coalesce(func.sum(Practice.list_size), 0),
            func.count(Practice.list_size),
        ).where(reached)
    ).one()
    quintiles: Counter = Counter()
    for decile, count in session.exec(
        select(Practice.imd_decile, func.count()).where(reached).group_by(Practice.imd_decile)
    ):
        quintiles[None if decile is None else (decile + 1) // 2] += count
    return Overview(practices, pcns, int(patients), practices - known_sizes, quintiles)


def clean_query(raw: str | None) -> str:
    """The search as typed, trimmed, without control characters (PostgreSQL refuses a NUL
    in a query) and capped at a sane length."""
    return " ".join(without_control_characters(raw or "").split())[:QUERY_MAX_LENGTH]


def _matches(query: str) -> ColumnElement[bool]:
    """Practices whose name, ODS code, PCN name or PCN code contains `query`, in any case."""
    if not query:
        return true()
    needle = query.lower()
    return or_(
        *(
            func.lower(column).contains(needle, autoescape=True)
            for column in (Practice.name, Practice.ods_code, Pcn.name, Pcn.code)
        )
    )


def listing(
    session: Session, user: User, *, icb_id: int, page: int, query: str = ""
) -> ListingPage | None:
    """Page `page` (from 1) of the practices `user` reaches that match `query`, by PCN
    (PCNs by name, then the practices in no PCN); None for a page past the last."""
    where = (visibility.practice_filter(user), _matches(query))
    matching = select(Practice.id).outerjoin(Pcn, Pcn.id == Practice.pcn_id).where(*where)
    matches = session.exec(select(func.count()).select_from(matching.subquery())).one()
    pcn_ids: list[int | None] = list(
        session.exec(
            select(Pcn.id)
            .where(Pcn.id.in_(select(Practice.pcn_id).where(Practice.id.in_(matching))))
            .order_by(Pcn.name, Pcn.id)
        )
    )
    if session.exec(
        select(func.count()).where(Practice.id.in_(matching), Practice.pcn_id.is_(None))
    ).one():
        pcn_ids.append(None)
    pages = max(1, ceil(len(pcn_ids) / PCNS_PER_PAGE))
    if not 1 <= page <= pages:
        return None
    on_page = pcn_ids[(page - 1) * PCNS_PER_PAGE : page * PCNS_PER_PAGE]
    stored = [pcn_id for pcn_id in on_page if pcn_id is not None]
    pcns: dict[int | None, Pcn] = {
        pcn.id: pcn for pcn in session.exec(select(Pcn).where(Pcn.id.in_(stored)))
    }
    in_groups = Practice.pcn_id.in_(stored)
    if None in on_page:
        pcns[None] = no_pcn_group(icb_id)
        in_groups = or_(in_groups, Practice.pcn_id.is_(None))
    by_pcn: dict[int | None, list[ListedPractice]] = {pcn_id: [] for pcn_id in on_page}
    for pcn_id, *row in session.exec(
        select(Practice.pcn_id, *(getattr(Practice, name) for name in ListedPractice._fields))
        .where(Practice.id.in_(matching), in_groups)
        .order_by(Practice.name, Practice.id)
    ):
        by_pcn[pcn_id].append(ListedPractice._make(row))
    return ListingPage(
        groups=[(pcns[pcn_id], by_pcn[pcn_id]) for pcn_id in on_page],
        page=page,
        pages=pages,
        query=query,
        matches=matches,
    )


def page_numbers(page: int, pages: int) -> list[int | None]:
    """The page numbers a numbered pagination shows: the first, the last, and the current
    page with its neighbours; None where numbers are left out (an ellipsis)."""
    shown = sorted({1, pages, page - 1, page, page + 1} & set(range(1, pages + 1)))
    out: list[int | None] = []
    for number in shown:
        if out and number - out[-1] > 1:
            out.append(None)
        out.append(number)
    return out
