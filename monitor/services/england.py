"""England beside the ICB: what NHS England's national files say of every practice.

Published data is public. When an ICB imports a national file (one that lists England's
practices, not an excerpt), each practice's figure for each template item and period is
kept (`EnglandValue`), and England's median, quartiles and slope index of inequality
for the item and period are worked out once (`NationalAggregate`). The ICB's views then
show England beside the ICB, and a practice sees where it sits among England's practices.

England's slope index of inequality is the ICB's method exactly
(`monitor.analysis.equity.practices_slope_index`: practices ranked by IMD score, weighted
by registered list size, a count as a rate per 1,000 registered patients with PHE's
simulated interval, any other figure with the regression residuals' interval), over
England's practices. Their scores, deciles and list sizes are `EnglandPractice`, recorded
from the national files an ICB is set up from (the Fingertips IMD export, Patients
Registered at a GP Practice). The SII is stored with each import (`NationalAggregate`)
and can be worked out again from the values kept beside it (`recompute_aggregates`),
as a database whose aggregates an earlier method stored needs once.

An undone import's England figures are deleted with it; a revised publication (a later
import of the same item and period) replaces the earlier one's in every view.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import delete, func, insert
from sqlmodel import Session, select

from monitor.analysis import equity
from monitor.analysis.distribution import Summary, summarise
from monitor.core.checklist import Item, ItemType
from monitor.core.clock import utcnow
from monitor.core.periods import Period
from monitor.core.published import Extract
from monitor.models import (
    EnglandPractice,
    EnglandValue,
    ImportStatus,
    NationalAggregate,
    NationalImport,
    Practice,
)

NATIONAL_PRACTICES = 5000
"""A file listing at least this many practices is England's (about 6,300), not an excerpt."""

SII_CONFIDENCE = 0.95


# --------------------------------------------------------------------------- facts


def record_facts(session: Session, extracts: Iterable[Extract]) -> int:
    """Keep what national files say of every practice in England (deprivation, list size),
    from the files an ICB is set up from; returns how many practices it added or
    changed. Only a file of England's practices counts, so deciles are always England's.
    A count of patients older than the one kept does not replace it."""
    known: dict[str, EnglandPractice] | None = None
    added: dict[str, dict[str, object]] = {}
    changed = 0
    for extract in extracts:
        facts = [
            f
            for f in extract.practices
            if f.list_size is not None or f.imd_decile is not None or f.imd_score is not None
        ]
        if len(facts) < NATIONAL_PRACTICES:
            continue
        if known is None:
            known = {e.ods_code: e for e in session.exec(select(EnglandPractice))}
        for fact in facts:
            row = known.get(fact.ods_code)
            if row is not None:
                on = row.list_size_on
            else:
                on = added.get(fact.ods_code, {}).get("list_size_on")
            update: dict[str, object] = {}
            if fact.list_size is not None and (
                on is None or extract.as_of is None or extract.as_of >= on
            ):
                update |= {"list_size": fact.list_size, "list_size_on": extract.as_of}
            if fact.imd_decile is not None:
                update |= {"imd_decile": fact.imd_decile, "imd_score": fact.imd_score}
            if row is None:
                added.setdefault(fact.ods_code, {"ods_code": fact.ods_code}).update(update)
            elif any(getattr(row, k) != v for k, v in update.items()):
                for k, v in update.items():
                    setattr(row, k, v)
                row.updated_at = utcnow()
                session.add(row)
                changed += 1
    if added:
        now = utcnow()
        rows = [
            {"list_size": None, "list_size_on": None, "imd_decile": None, "imd_score": None,
             **values, "updated_at": now}
            for values in added.values()
        ]  # fmt: skip
        for start in range(0, len(rows), 5000):
            session.execute(insert(EnglandPractice), rows[start : start + 5000])
    return changed + len(added)


# --------------------------------------------------------------------------- at import


def item_figure(item: Item, published: float | None, list_size: int | None) -> float | None:
    """A published figure in the item's terms: per patients when the item is, rounded to a
    whole number for a count, to pence for money and to the published precision
    otherwise. None when not published, or when the item is per patients and the list
    size is not known."""
    if published is None or not math.isfinite(published):
        return None
    value = float(published)
    if item.national.per_patients:
        if not list_size:
            return None
        value = value / list_size * item.national.per_patients
    if item.type is ItemType.COUNT:
        return float(round(value))
    if item.type is ItemType.MONEY:
        return round(value, 2)
    return round(value, 4)  # the published precision, without float noise


@dataclass
class EnglandPlan:
    """England's figures from one national file, ready to store with its import."""

    practices: int
    values: dict[tuple[str, str], dict[str, float]] = field(default_factory=dict)
    """(item id, period code) → practice code → value."""
    aggregates: list[NationalAggregate] = field(default_factory=list)

    def summary_line(self) -> str:
        with_sii = sum(1 for a in self.aggregates if a.sii is not None)
        line = (
            f"England: {self.practices:,} practices in the file; England's median and "
            f"quartiles kept for {len(self.aggregates):,} items and periods"
        )
        if with_sii < len(self.aggregates):
            line += (
                f" (slope index of inequality for {with_sii:,}: England's practices' "
                "deprivation and list sizes come from the national files the ICB is set up "
                "from)"
            )
        return line


def plan(
    session: Session, extract: Extract, items: Mapping[str, Item], periods: Mapping[str, Period]
) -> EnglandPlan | None:
    """England's values, medians and SIIs from `extract`, or None when the file is not a
    national one (fewer than NATIONAL_PRACTICES practices)."""
    codes = {f.ods_code for f in extract.figures}
    if len(codes) < NATIONAL_PRACTICES:
        return None
    facts = {e.ods_code: e for e in session.exec(select(EnglandPractice))}
    sizes = {code: e.list_size for code, e in facts.items() if e.list_size}
    for code, size in session.exec(select(Practice.ods_code, Practice.list_size)):
        if size and code not in sizes:
            sizes[code] = size
    result = EnglandPlan(practices=len(codes))
    for figure in extract.figures:
        item = items.get(figure.measure)
        if item is None or figure.period not in periods:
            continue
        value = item_figure(item, figure.value, sizes.get(figure.ods_code))
        if value is None:
            continue
        key = (item.id, periods[figure.period].code)
        result.values.setdefault(key, {})[figure.ods_code] = value
    by_id = {item.id: item for item in items.values()}
    for (item_id, period_code), by_code in result.values.items():
        found = aggregate_of(by_code, facts, by_id[item_id])
        if found is not None:
            summary, sii = found
            result.aggregates.append(
                NationalAggregate(
                    import_id=0,
                    item_id=item_id,
                    period_code=period_code,
                    practices=summary.n,
                    median=summary.median,
                    q1=summary.q1,
                    q3=summary.q3,
                    sii=sii.sii,
                    sii_lower=sii.ci_lower,
                    sii_upper=sii.ci_upper,
                    sii_practices=sii.n_units if sii.ok else 0,
                )
            )
    return result


def aggregate_of(
    by_code: Mapping[str, float], facts: Mapping[str, EnglandPractice], item: Item
) -> tuple[Summary, equity.SiiResult] | None:
    """England's summary (of the figures as published) and slope index of inequality
    (of the figures as the equity lens compares them) of practices' values of `item`."""
    summary = summarise(list(by_code.values()))
    if summary.median is None:
        return None
    return summary, slope_index(by_code, facts, item)


def slope_index(
    by_code: Mapping[str, float],
    facts: Mapping[str, EnglandPractice],
    item: Item,
    *,
    periods: Mapping[str, int] | None = None,
) -> equity.SiiResult:
    """England's slope index of inequality of practices' figures of `item`, the ICB's way
    (`monitor.analysis.equity.practices_slope_index`); `periods` says how many periods
    each practice's figure is the mean of (one each when not given)."""
    codes = list(by_code)
    known = [facts.get(c) for c in codes]
    return equity.practices_slope_index(
        [by_code[c] for c in codes],
        list_sizes=[e.list_size if e else None for e in known],
        imd_scores=[e.imd_score if e else None for e in known],
        imd_deciles=[e.imd_decile if e else None for e in known],
        counts=item.type is ItemType.COUNT,
        periods=None if periods is None else [periods.get(c, 1) for c in codes],
        confidence=SII_CONFIDENCE,
    )


def quintiles_of(
    by_code: Mapping[str, float], facts: Mapping[str, EnglandPractice], item: Item
) -> tuple[equity.QuintileSummary, ...]:
    """England's practices by IMD quintile (by England's deciles), as the equity lens
    compares them: a count per 1,000 registered patients."""
    codes = list(by_code)
    known = [facts.get(c) for c in codes]
    return tuple(
        q
        for q in equity.practices_by_quintile(
            [by_code[c] for c in codes],
            list_sizes=[e.list_size if e else None for e in known],
            imd_deciles=[e.imd_decile if e else None for e in known],
            counts=item.type is ItemType.COUNT,
        )
        if q.quintile is not None
    )


def recompute_aggregates(session: Session, items: Mapping[str, Item]) -> int:
    """Work England's slope index of inequality out again for every stored import, item
    (of `items`, by id) and period, from the practices' values kept with it and England's
    practices as now known, in the caller's transaction; returns how many changed. For a
    database whose aggregates were stored by an earlier method."""
    facts = {e.ods_code: e for e in session.exec(select(EnglandPractice))}
    changed = 0
    for aggregate in session.exec(select(NationalAggregate)).all():
        item = items.get(aggregate.item_id)
        if item is None:
            continue
        by_code = dict(
            session.exec(
                select(EnglandValue.ods_code, EnglandValue.value).where(
                    EnglandValue.import_id == aggregate.import_id,
                    EnglandValue.item_id == aggregate.item_id,
                    EnglandValue.period_code == aggregate.period_code,
                )
            ).all()
        )
        found = aggregate_of(by_code, facts, item) if by_code else None
        if found is None:
            continue
        _, sii = found
        stored = (sii.sii, sii.ci_lower, sii.ci_upper, sii.n_units if sii.ok else 0)
        if stored != (
            aggregate.sii,
            aggregate.sii_lower,
            aggregate.sii_upper,
            aggregate.sii_practices,
        ):
            aggregate.sii, aggregate.sii_lower, aggregate.sii_upper = stored[:3]
            aggregate.sii_practices = stored[3]
            session.add(aggregate)
            changed += 1
    return changed


def write(session: Session, england: EnglandPlan, import_id: int) -> None:
    """Store England's figures with their import (in the caller's transaction)."""
    rows = [
        {"import_id": import_id, "item_id": item_id, "period_code": period_code,
         "ods_code": code, "value": value}
        for (item_id, period_code), by_code in england.values.items()
        for code, value in by_code.items()
    ]  # fmt: skip
    for start in range(0, len(rows), 5000):
        session.execute(insert(EnglandValue), rows[start : start + 5000])
    for aggregate in england.aggregates:
        aggregate.import_id = import_id
        session.add(aggregate)


def forget(session: Session, import_id: int) -> None:
    """Delete an undone import's England figures (in the caller's transaction)."""
    session.execute(delete(EnglandValue).where(EnglandValue.import_id == import_id))
    session.execute(delete(NationalAggregate).where(NationalAggregate.import_id == import_id))


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class EnglandFigures:
    """England's figures for an item over one or more periods: each practice's figure is
    the mean of its periods, as the ICB's views take it."""

    item_id: str
    periods: tuple[str, ...]
    summary: Summary
    sii: equity.SiiResult | None
    values: np.ndarray  # every England practice's figure, sorted
    publications: tuple[str, ...]  # the imports' descriptions
    quintiles: tuple[equity.QuintileSummary, ...] = ()
    """England's practices by IMD quintile (by England's deciles), when known: a count per
    1,000 registered patients, as the equity lens compares it."""

    def percentile(self, value: float) -> int:
        """The share of England's practices whose figure is below `value` (strictly: "your
        figure was higher than N% of England's practices" is then true), as a whole
        percentile 0–100."""
        below = np.searchsorted(self.values, value, side="left")
        return round(100 * below / len(self.values))


def _latest_imports(
    session: Session, icb_id: int, item_ids: Sequence[str], period_codes: Sequence[str]
) -> dict[tuple[str, str], int]:
    """(item id, period code) → the ICB's latest finished import with England's figures."""
    if not item_ids or not period_codes:
        return {}
    rows = session.exec(
        select(
            NationalAggregate.item_id,
            NationalAggregate.period_code,
            func.max(NationalAggregate.import_id),
        )
        .join(NationalImport, NationalImport.id == NationalAggregate.import_id)
        .where(
            NationalImport.icb_id == icb_id,
            NationalImport.status == ImportStatus.DONE,
            NationalAggregate.item_id.in_(list(item_ids)),
            NationalAggregate.period_code.in_(list(period_codes)),
        )
        .group_by(NationalAggregate.item_id, NationalAggregate.period_code)
    )
    return {(item_id, code): import_id for item_id, code, import_id in rows}


def aggregates(
    session: Session, icb_id: int, item_ids: Sequence[str], period_codes: Sequence[str]
) -> dict[tuple[str, str], NationalAggregate]:
    """England's stored figures for each (item id, period code) there are."""
    latest = _latest_imports(session, icb_id, item_ids, period_codes)
    if not latest:
        return {}
    rows = session.exec(
        select(NationalAggregate).where(
            NationalAggregate.import_id.in_(sorted(set(latest.values()))),
            NationalAggregate.item_id.in_(list(item_ids)),
            NationalAggregate.period_code.in_(list(period_codes)),
        )
    )
    return {
        (a.item_id, a.period_code): a
        for a in rows
        if latest.get((a.item_id, a.period_code)) == a.import_id
    }


def aggregates_of_item(session: Session, icb_id: int, item_id: str) -> dict[str, NationalAggregate]:
    """England's stored figures for the item in every period there are: period code →
    the latest finished import's."""
    latest = dict(
        session.exec(
            select(NationalAggregate.period_code, func.max(NationalAggregate.import_id))
            .join(NationalImport, NationalImport.id == NationalAggregate.import_id)
            .where(
                NationalImport.icb_id == icb_id,
                NationalImport.status == ImportStatus.DONE,
                NationalAggregate.item_id == item_id,
            )
            .group_by(NationalAggregate.period_code)
        ).all()
    )
    if not latest:
        return {}
    rows = session.exec(
        select(NationalAggregate).where(
            NationalAggregate.item_id == item_id,
            NationalAggregate.import_id.in_(sorted(set(latest.values()))),
        )
    )
    return {a.period_code: a for a in rows if latest.get(a.period_code) == a.import_id}


def figures(
    session: Session, icb_id: int, item: Item, period_codes: Sequence[str]
) -> EnglandFigures | None:
    """England's figures for `item` over the periods (each practice's mean of the periods
    it has), or None when no national file gave any."""
    latest = _latest_imports(session, icb_id, [item.id], period_codes)
    if not latest:
        return None
    sums: dict[str, list[float]] = defaultdict(list)
    for (_, code), import_id in sorted(latest.items()):
        rows = session.exec(
            select(EnglandValue.ods_code, EnglandValue.value).where(
                EnglandValue.import_id == import_id,
                EnglandValue.item_id == item.id,
                EnglandValue.period_code == code,
            )
        )
        for ods_code, value in rows:
            sums[ods_code].append(value)
    if not sums:
        return None
    by_code = {code: math.fsum(v) / len(v) for code, v in sums.items()}
    facts = {e.ods_code: e for e in session.exec(select(EnglandPractice))}
    descriptions = session.exec(
        select(NationalImport.description)
        .where(NationalImport.id.in_(sorted(set(latest.values()))))
        .order_by(NationalImport.id)
    ).all()
    periods = {code: len(v) for code, v in sums.items()}
    return EnglandFigures(
        item_id=item.id,
        periods=tuple(sorted(code for _, code in latest)),
        summary=summarise(list(by_code.values())),
        sii=slope_index(by_code, facts, item, periods=periods) if facts else None,
        values=np.sort(np.fromiter(by_code.values(), dtype=float)),
        publications=tuple(dict.fromkeys(descriptions)),
        quintiles=quintiles_of(by_code, facts, item) if facts else (),
    )
