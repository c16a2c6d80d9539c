"""Turn a practice's recorded figures into evidence: series with gaps, Making Data
Count SPC, a baseline before the HEP, a plain-English verdict, and peer medians.

Statistics live in monitor.analysis.spc; this module fetches the figures (scoped to one
practice, or to practices that chose to share) and words the result for a manager.

A series says where each of its values came from (`Origin`: NHS England's data or the
practice, and the template item and version it was stored under). An item that
`continues:` an earlier version's item carries that item's values on its series,
read as they are (never rewritten); where the definition changed, the series knows
the first period of the new definition, the chart says so and its limits are
recalculated from there.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from enum import IntEnum

from sqlmodel import Session, func, select

from monitor.analysis import spc
from monitor.core.checklist import (
    ChecklistTemplate,
    Direction,
    Frequency,
    Item,
    ItemType,
    Templates,
)
from monitor.core.formatting import item_value
from monitor.core.periods import Period, financial_year_label
from monitor.core.small_numbers import enough
from monitor.models import HepAllocation, Intervention, MetricValue, NationalImport, Practice
from monitor.services.figures import Provenance

IMPROVEMENT = {
    Direction.HIGHER_BETTER: "increase",
    Direction.LOWER_BETTER: "decrease",
    Direction.NEUTRAL: "neutral",
}
UNIT_NOUNS = {
    Frequency.MONTHLY: "months",
    Frequency.QUARTERLY: "quarters",
    Frequency.ANNUAL: "years",
}
# Peer medians need MIN_PRACTICES other practices, so no single practice can be inferred.


@dataclass(frozen=True)
class Origin:
    """Where one value of a series came from."""

    provenance: Provenance
    item_id: str
    """The item it is stored under: the series' own, or the one it continues."""
    template_version: int | None
    earlier_definition: bool = False
    """Recorded under a definition the item has since changed (see its `continues`)."""

    @property
    def imported(self) -> bool:
        return self.provenance.imported

    @property
    def text(self) -> str:
        """The Source column: "NHS England: Cloud Based Telephony, February 2026
        publication", "Entered by the practice", or "… (overrides the published value)"."""
        return self.provenance.text


@dataclass(frozen=True)
class Series:
    item: Item
    periods: list[Period]
    values: list[float | None]
    origins: tuple[Origin | None, ...] = ()
    """Aligned with `periods`; None where there is no value (or nothing is known)."""
    definition_changed_at: Period | None = None
    """The first period of the item's new definition, when the series also holds values
    of the earlier one."""

    @property
    def observed(self) -> list[tuple[Period, float]]:
        return [(p, v) for p, v in zip(self.periods, self.values, strict=True) if v is not None]

    @property
    def missing(self) -> int:
        return sum(v is None for v in self.values)

    def origin(self, n: int) -> Origin | None:
        return self.origins[n] if n < len(self.origins) else None

    @property
    def imported(self) -> list[bool]:
        """Per period: is the value NHS England's published figure?"""
        return [bool(self.origin(n) and self.origin(n).imported) for n in range(len(self.periods))]

    @property
    def definition_note(self) -> str | None:
        """ "From April 2026 the definition changed: …", or None."""
        if self.definition_changed_at is None or self.item.continues is None:
            return None
        note = " ".join(self.item.continues.note.split())
        return f"From {self.definition_changed_at.label} the definition changed: {note}"

    def source_runs(self) -> list[tuple[Period, Period, str, int]]:
        """Runs of consecutive periods whose values came from the same publication
        series: (first, last, what NHS England publication, how many publications)."""
        runs: list[list] = []
        for n, period in enumerate(self.periods):
            origin = self.origin(n)
            if origin is None or not origin.imported:
                continue
            title = _publication_title(origin.provenance.publication)
            publication = origin.provenance.publication or title
            last = runs[-1] if runs else None
            if last and last[2] == title and last[1].next() == period:
                last[1] = period
                last[3].add(publication)
            else:
                runs.append([period, period, title, {publication}])
        return [
            (first, last, title if len(names) > 1 else next(iter(names)), len(names))
            for first, last, title, names in runs
        ]

    @property
    def source_note(self) -> str | None:
        """Under the chart: which periods are NHS England's published figures, and from
        which publications; None when the practice entered every value."""
        runs = self.source_runs()
        if not runs:
            return None
        parts = []
        for first, last, what, count in runs:
            span = first.label if first == last else f"{first.label} to {last.label}"
            parts.append(f"{span}: {what}" + (f" ({count} publications)" if count > 1 else ""))
        imported = sum(self.imported)
        observed = len(self.observed)
        return (
            f"Squares are NHS England's published figures ({imported} of {observed}): "
            + "; ".join(parts)
            + ". Circles were entered by the practice."
        )


def _publication_title(description: str | None) -> str:
    """ "Cloud Based Telephony" from "Cloud Based Telephony, February 2026 publication"."""
    return (description or "NHS England data").split(",")[0].strip() or "NHS England data"


def series_for(
    session: Session,
    *,
    practice_id: int,
    item: Item,
    until: Period,
    template_version: int | None = None,
) -> Series | None:
    """Every period from the first to the last recorded value (no later than `until`),
    None where a period in between was not recorded.

    An item that continues another (`item.continues`) carries that item's values where
    it has none of its own for the period. When the definition changed, values stored
    under the other item, or under the same item before `template_version` (the version
    `item` belongs to), are the earlier definition."""
    continues = item.continues
    ids = [item.id]
    if continues is not None and continues.item != item.id:
        ids.append(continues.item)
    rows = session.exec(
        select(MetricValue, NationalImport)
        .join(NationalImport, MetricValue.import_id == NationalImport.id, isouter=True)
        .where(
            MetricValue.practice_id == practice_id,
            MetricValue.item_id.in_(ids),
            MetricValue.value_number.is_not(None),
        )
    ).all()
    changed = continues is not None and continues.definition_changed
    by_code: dict[str, float] = {}
    origins: dict[str, Origin] = {}
    # The item's own values first, so the continued item's fill only what is missing.
    for row, found in sorted(rows, key=lambda pair: pair[0].item_id != item.id):
        if row.period_code in by_code:
            continue
        earlier = changed and (
            row.item_id != item.id
            or (template_version is not None and row.template_version < template_version)
        )
        by_code[row.period_code] = row.value_number
        origins[row.period_code] = Origin(
            Provenance.of(row, found), row.item_id, row.template_version, earlier
        )
    if item.id == "hep_allocation":
        for fy, amount in session.exec(
            select(HepAllocation.financial_year, HepAllocation.amount).where(
                HepAllocation.practice_id == practice_id
            )
        ):
            by_code[Period(Frequency.ANNUAL, fy, 1).code] = float(amount)
    if not by_code:
        return None
    recorded = [Period.parse(code) for code in by_code]
    first = min(recorded)
    last = min(max(recorded), until)
    periods = []
    period = first
    while not last < period:
        periods.append(period)
        period = period.next()
    if not periods:
        return None
    point_origins = tuple(origins.get(p.code) for p in periods)
    changed_at = None
    seen_earlier = False
    for p, origin in zip(periods, point_origins, strict=True):
        if origin is None:
            continue
        if origin.earlier_definition:
            seen_earlier = True
        elif seen_earlier:
            changed_at = p
            break
    return Series(
        item,
        periods,
        [by_code.get(p.code) for p in periods],
        point_origins,
        changed_at,
    )


def chart_sources(series: Series) -> dict:
    """A trend chart's arguments for where its values came from: squares for NHS
    England's published figures, the footnotes naming the publications and any change
    of definition, and where it changed."""
    notes = [note for note in (series.source_note, series.definition_note) if note]
    changed = series.definition_changed_at
    return {
        "imported": series.imported if any(series.imported) else (),
        "notes": notes,
        "definition_change": series.periods.index(changed) if changed is not None else None,
    }


def retired_items(templates: Templates, template: ChecklistTemplate) -> list[Item]:
    """Items of the template's earlier versions that `template` neither has nor carries
    on (`continues`): no longer asked for, their values stay in the practice's
    history under their own label. Each as the latest version that had it defines it."""
    current = set(template.items_by_id)
    current |= {i.continues.item for i in template.items if i.continues is not None}
    found: dict[str, Item] = {}
    earlier = sorted(
        (t for (tid, v), t in templates.items() if tid == template.id and v < template.version),
        key=lambda t: t.version,
        reverse=True,
    )
    for version in earlier:
        for item in version.items:
            if item.id not in current and item.id not in found:
                found[item.id] = item
    return list(found.values())


def first_hep_year(session: Session, practice_id: int) -> int | None:
    return session.exec(
        select(func.min(HepAllocation.financial_year)).where(
            HepAllocation.practice_id == practice_id
        )
    ).one()


def default_baseline_year(session: Session, practice_id: int) -> int | None:
    """The financial year before the practice's first HEP allocation."""
    first = first_hep_year(session, practice_id)
    return None if first is None else first - 1


class Strength(IntEnum):
    """Sort order of dashboard cards: signals first."""

    CONCERN = 0
    IMPROVEMENT = 1
    CHANGE = 2
    NO_CHANGE = 3
    TOO_FEW = 4


@dataclass(frozen=True)
class Evidence:
    item: Item
    series: Series
    chart: spc.SpcResult
    baseline_year: int | None
    baseline_mean: float | None
    comparison: spc.BeforeAfter | None
    latest_period: Period
    latest_value: float
    strength: Strength
    verdict: str

    @property
    def change_since_baseline(self) -> float | None:
        if self.baseline_mean is None:
            return None
        return self.latest_value - self.baseline_mean

    def fmt(self, value: float | None) -> str:
        return "" if value is None else item_value(value, self.item.type, self.item.unit)


def evidence_for(
    series: Series,
    *,
    baseline_year: int | None,
    settings: spc.SpcSettings = spc.DEFAULT_SETTINGS,
    rebase_at: tuple[Period, ...] = (),
    target: float | None = None,
) -> Evidence | None:
    observed = series.observed
    if not observed or series.item.type is ItemType.TEXT:
        return None
    improvement = IMPROVEMENT[series.item.direction]
    if series.definition_changed_at is not None:
        # A new definition is a new process: its limits are its own (Making Data Count).
        rebase_at = tuple(sorted({*rebase_at, series.definition_changed_at}))
    chart = spc.xmr(
        series.values,
        periods=series.periods,
        improvement=improvement,
        target=target,
        settings=settings,
        rebase_at=rebase_at,
    )
    latest_period, latest_value = observed[-1]
    comparison = None
    baseline_mean = None
    split = None
    if baseline_year is not None:
        split = Period.containing(date(baseline_year + 1, 4, 1), series.item.frequency)
        before = [v for p, v in observed if p < split and p.fy == baseline_year]
        if before:
            baseline_mean = statistics.fmean(before)
        after_values = [v for p, v in observed if not p < split]
        # Limits fixed on the baseline year, as Making Data Count recommends for a
        # before/after judgement (earlier years are left out of the baseline).
        if len(before) >= 2 and after_values:
            kept = [
                None if (p < split and p.fy != baseline_year) else v
                for p, v in zip(series.periods, series.values, strict=True)
            ]
            comparison = spc.before_after(
                kept, split_at=split, periods=series.periods, improvement=improvement
            )
    strength, verdict = _verdict(series, comparison, baseline_year, split)
    return Evidence(
        item=series.item,
        series=series,
        chart=chart,
        baseline_year=baseline_year,
        baseline_mean=baseline_mean,
        comparison=comparison,
        latest_period=latest_period,
        latest_value=latest_value,
        strength=strength,
        verdict=verdict,
    )


def _verdict(series, comparison, baseline_year, split) -> tuple[Strength, str]:
    item = series.item
    name = item.label
    if baseline_year is None:
        return Strength.TOO_FEW, (
            "No baseline yet: record the HEP allocation, or choose a baseline year, to "
            "compare before and after."
        )
    if comparison is None:
        return Strength.TOO_FEW, (
            f"Not enough figures yet to judge: record at least two figures in the "
            f"{financial_year_label(baseline_year)} baseline year and one since."
        )
    if not comparison.shift_detected:
        return Strength.NO_CHANGE, (
            f"No significant change yet: {name.lower()} since {split.label} is within the "
            f"range expected from the {financial_year_label(baseline_year)} baseline."
        )
    after = [v for p, v in series.observed if not p < split][-12:]
    # Count the points on the side the verdict is about: for an improvement in a
    # lower-is-better figure, the points below the baseline average, and so on.
    if comparison.outcome in ("improvement", "concern") and item.direction is not Direction.NEUTRAL:
        better_high = item.direction is Direction.HIGHER_BETTER
        above = better_high == (comparison.outcome == "improvement")
    else:
        above = comparison.difference > 0
    side_count = sum(
        (v > comparison.baseline_mean) if above else (v < comparison.baseline_mean) for v in after
    )
    unit = UNIT_NOUNS[item.frequency] if len(after) != 1 else UNIT_NOUNS[item.frequency][:-1]
    where = "above" if above else "below"
    detail = f"{side_count} of the last {len(after)} {unit} {where} the pre-HEP average"
    if comparison.outcome == "improvement":
        return Strength.IMPROVEMENT, f"{name} has improved: {detail}."
    if comparison.outcome == "concern":
        return Strength.CONCERN, f"{name} has got worse: {detail}."
    return Strength.CHANGE, f"{name} has changed: {detail}."


def practice_interventions(session: Session, practice_id: int) -> list[Intervention]:
    return list(
        session.exec(
            select(Intervention)
            .where(Intervention.practice_id == practice_id)
            .order_by(Intervention.occurred_on)
        )
    )


def peer_medians(
    session: Session,
    *,
    practice: Practice,
    item: Item,
    periods: list[Period],
    scope: str,
) -> list[float | None]:
    """Median of the same item across other practices that chose to share their
    figures (with the PCN, or across the ICB), per period; None where fewer than
    MIN_PRACTICES practices contributed. Never returns which practices contributed."""
    if not periods:
        return []
    peers = select(Practice.id).where(Practice.id != practice.id)
    if scope == "pcn":
        if practice.pcn_id is None:  # in no PCN: no PCN peers to compare with
            return [None] * len(periods)
        peers = peers.where(Practice.pcn_id == practice.pcn_id, Practice.shares_with_pcn.is_(True))
    else:
        peers = peers.where(Practice.icb_id == practice.icb_id, Practice.shares_with_icb.is_(True))
    rows = session.exec(
        select(MetricValue.period_code, MetricValue.value_number).where(
            MetricValue.item_id == item.id,
            MetricValue.practice_id.in_(peers),
            MetricValue.period_code.in_([p.code for p in periods]),
            MetricValue.value_number.is_not(None),
        )
    ).all()
    grouped: dict[str, list[float]] = defaultdict(list)
    for code, number in rows:
        grouped[code].append(number)
    return [
        statistics.median(grouped[p.code]) if enough(len(grouped[p.code])) else None
        for p in periods
    ]
