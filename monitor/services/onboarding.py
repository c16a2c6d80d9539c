"""Set up an ICB, and keep it current, from the files NHS England and NHS Digital publish.

`plan` reads what the files say about the ICB's practices against what the database holds
and lists every change: the ICB, PCNs and practices to create, practices whose name, PCN,
list size, deprivation or status changed, practices that closed or reopened, PCNs
renamed. `onboard` applies a plan in one transaction (all or nothing) and writes every
change through the audited write path, then one event for the run. Nothing changes when
the files say nothing new, so running again with the same files writes nothing at all.

When files disagree, the one describing the latest date wins; among files of the same
date (or undated ones, such as the GPAD mapping), the ODS registers (epraccur, ePCN)
win over the statistical publications. A file that says nothing of a fact (the
registered-patients file says nothing of PCNs) changes nothing of it.

Which practices are the ICB's: those a file places in the ICB (by its ODS code), and
those already in the ICB when no file places them elsewhere. Facts about other practices
are counted, never stored: an ICB onboards only itself.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session, select

from monitor.core.formatting import NO_PCN, long_date, number
from monitor.core.names import tidy_name
from monitor.core.published import Extract, PracticeFacts
from monitor.models import Icb, Pcn, Practice, PracticePcnSpell, PracticeStatus, User
from monitor.services import audit, england, organisations, records

QUIET = (*records.QUIET_FIELDS, "source", "confirmed_on")
"""A file confirming a practice as it was is not a change worth an audit event."""

FIELD_LABELS = {
    "name": "name",
    "pcn_id": "PCN",
    "list_size": "registered patients",
    "imd_score": "IMD 2019 score",
    "imd_decile": "deprivation decile",
    "status": "status",
    "closed_on": "closed on",
    "icb_id": "ICB",
}


@dataclass(frozen=True)
class FileSummary:
    filename: str
    description: str
    rows_read: int
    in_icb: int  # practices of this ICB the file speaks of
    other_icbs: int  # practices the file places in another ICB
    skipped: tuple[tuple[str, int], ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class Change:
    kind: str  # "ICB", "PCN", "practice"
    code: str
    name: str
    action: str  # "create", "update", "close", "reopen", "move"
    details: tuple[tuple[str, str, str], ...] = ()  # (what, before, after), as people read

    def describe(self) -> str:
        text = f"{self.kind} {self.name} ({self.code})"
        if self.details:
            text += ": " + "; ".join(
                f"{what} {before} → {after}" for what, before, after in self.details
            )
        return text


@dataclass
class OnboardingPlan:
    icb_code: str
    icb_name: str
    files: list[FileSummary]
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0  # practices the files confirm as they are
    other_icb_practices: int = 0  # in the files, but another ICB's
    left_elsewhere: int = 0  # in this ICB here, placed in another ICB by the files
    england_practices: int = 0  # England's practices whose deprivation or list size was kept
    _work: list[Any] = field(default_factory=list, repr=False)

    @property
    def nothing(self) -> bool:
        return not self.changes

    def count(self, kind: str, action: str) -> int:
        return sum(1 for c in self.changes if c.kind == kind and c.action == action)

    def counts(self) -> list[tuple[str, int]]:
        """("PCNs created", 3) ... for every kind and action that happens, in reading order."""
        out = []
        for kind, plural in (("ICB", "ICB"), ("PCN", "PCNs"), ("practice", "Practices")):
            for action, verb in (
                ("create", "created"),
                ("update", "updated"),
                ("move", "moved to another PCN"),
                ("close", "closed"),
                ("reopen", "reopened"),
            ):
                if n := self.count(kind, action):
                    out.append((f"{plural if kind != 'ICB' else 'ICB'} {verb}", n))
        return out

    def summary_lines(self) -> list[str]:
        """What the command line prints and the preview page shows, in words."""
        lines = [f"ICB {self.icb_name} ({self.icb_code})"]
        for f in self.files:
            lines.append(
                f"{f.description} ({f.filename}): {number(f.rows_read)} rows read, "
                f"{number(f.in_icb)} of your practices"
                + (f", {number(f.other_icbs)} in other ICBs (not listed)" if f.other_icbs else "")
            )
            lines += [f"  passed over: {number(n)} {why}" for why, n in f.skipped]
            lines += [f"  note: {note}" for note in f.notes]
        if self.nothing:
            lines.append(f"No changes: {number(self.unchanged)} practices are as the files say.")
        else:
            lines += [f"{label}: {number(n)}" for label, n in self.counts()]
            lines.append(f"Unchanged: {number(self.unchanged)} practices")
        if self.left_elsewhere:
            lines.append(
                f"{number(self.left_elsewhere)} practices of this ICB are in another ICB in "
                "these files: left as they are"
            )
        if self.england_practices:
            lines.append(
                f"England: deprivation or list size kept for {number(self.england_practices)} "
                "practices, for England's figures beside the ICB's"
            )
        return lines


# --------------------------------------------------------------------------- merging


def _best(facts: Sequence[tuple[PracticeFacts, Extract]], attribute: str):
    """The value of `attribute` from the file that should be believed (module docstring),
    with that fact and extract; None when no file gives it."""
    given = [(f, e) for f, e in facts if getattr(f, attribute) is not None]
    if not given:
        return None, None, None
    fact, extract = max(
        given,
        key=lambda fe: (fe[1].as_of is not None, fe[1].as_of or date.min, -fe[1].rank),
    )
    return getattr(fact, attribute), fact, extract


@dataclass
class _Merged:
    ods_code: str
    facts: list[tuple[PracticeFacts, Extract]]

    def best(self, attribute: str):
        return _best(self.facts, attribute)

    def value(self, attribute: str):
        return self.best(attribute)[0]

    @property
    def confirmed_on(self) -> date | None:
        return max((e.as_of for _, e in self.facts if e.as_of), default=None)

    @property
    def source(self) -> str:
        """The dataset that placed the practice (gave its ICB), else the best-ranked one."""
        for attribute in ("icb_code", "name"):
            if (extract := self.best(attribute)[2]) is not None:
                return extract.source
        return min(self.facts, key=lambda fe: fe[1].rank)[1].source


def _merge(extracts: Iterable[Extract]) -> dict[str, _Merged]:
    merged: dict[str, _Merged] = {}
    for extract in extracts:
        for fact in extract.practices:
            merged.setdefault(fact.ods_code, _Merged(fact.ods_code, [])).facts.append(
                (fact, extract)
            )
    return merged


# --------------------------------------------------------------------------- planning


def plan(
    session: Session, *, icb_code: str, extracts: Sequence[Extract], today: date
) -> OnboardingPlan:
    """Every change the files would make to the ICB `icb_code`; nothing is written."""
    icb_code = icb_code.strip().upper()
    merged = _merge(extracts)
    icb = organisations.find_icb(session, icb_code)
    existing = (
        {
            p.ods_code: p
            for p in session.exec(select(Practice).where(Practice.icb_id == icb.id)).all()
        }
        if icb
        else {}
    )
    ours = {
        code: m
        for code, m in merged.items()
        if m.value("icb_code") == icb_code or (code in existing and m.value("icb_code") is None)
    }
    elsewhere = {code for code, m in merged.items() if m.value("icb_code") not in (None, icb_code)}
    # The ICB's name from a row that names it: a publication row placing a practice in
    # the ICB, or the ePCN row of one of its practices (whose sub-ICB names the ICB).
    names = [
        (f, e)
        for m in ours.values()
        for f, e in m.facts
        if f.icb_name and f.icb_code in (icb_code, None)
    ]
    icb_name = _best(names, "icb_name")[0] if names else None
    result = OnboardingPlan(
        icb_code=icb_code,
        icb_name=icb.name if icb else tidy_name(icb_name) or f"ICB {icb_code}",
        files=[_file_summary(e, icb_code, ours) for e in extracts],
        other_icb_practices=len(elsewhere),
        left_elsewhere=sum(1 for code in existing if code in elsewhere),
    )
    if icb is None:
        result.changes.append(Change("ICB", icb_code, result.icb_name, "create"))
        result._work.append(("icb", None, {"code": icb_code, "name": result.icb_name}))
    elif icb_name and tidy_name(icb_name) != icb.name:
        result.changes.append(
            Change("ICB", icb_code, icb.name, "update", (("name", icb.name, tidy_name(icb_name)),))
        )
        result._work.append(("icb", icb, {"name": tidy_name(icb_name)}))
    pcns = _plan_pcns(session, ours, icb, result)
    # A practice the files place here that the database holds in another ICB has moved
    # ICB (a boundary change): it comes, with its history, to this one.
    others = {
        p.ods_code: p
        for p in session.exec(
            select(Practice).where(Practice.ods_code.in_([c for c in ours if c not in existing]))
        ).all()
    }
    context = _Context(
        icb_id=icb.id if icb else None,
        icb_name=result.icb_name,
        pcn_names={p.id: p.name for p in session.exec(select(Pcn)).all()},
        icb_names={i.id: i.name for i in session.exec(select(Icb)).all()},
    )
    for code in sorted(ours):
        practice = existing.get(code) or others.get(code)
        _plan_practice(ours[code], practice, pcns, result, today, context)
    return result


THIS_ICB = "this ICB"
"""In a plan, the ICB being onboarded (it may not have an id until the plan is applied)."""


@dataclass(frozen=True)
class _Context:
    icb_id: int | None
    icb_name: str
    pcn_names: dict[int, str]
    icb_names: dict[int, str]


def _file_summary(extract: Extract, icb_code: str, ours: dict[str, _Merged]) -> FileSummary:
    in_icb = sum(1 for f in extract.practices if f.ods_code in ours)
    other = sum(1 for f in extract.practices if f.icb_code not in (None, icb_code))
    return FileSummary(
        filename=extract.filename,
        description=extract.description,
        rows_read=extract.rows_read,
        in_icb=in_icb,
        other_icbs=other,
        skipped=tuple(sorted(extract.skipped.items())),
        notes=tuple(extract.notes) + _figures_only(extract),
    )


def _figures_only(extract: Extract) -> tuple[str, ...]:
    """A note for a file of figures that says nothing of who the practices are."""
    if extract.practices or not extract.figures:
        return ()
    return (
        "This file holds figures for practices, not who they are or where they belong: it "
        "sets nothing up. Import it as national data (`monitor import`, or NHS data → "
        "Import NHS data) to fill the practices' figures.",
    )


def _plan_pcns(
    session: Session, ours: dict[str, _Merged], icb: Icb | None, result: OnboardingPlan
) -> dict[str, Pcn | str]:
    """PCN code → the stored PCN, or the code itself for one the plan will create."""
    wanted: dict[str, tuple[str, Extract]] = {}
    for m in ours.values():
        code, fact, extract = m.best("pcn_code")
        if code:
            name = tidy_name(fact.pcn_name) if fact.pcn_name else code
            held = wanted.get(code)
            if held is None or (extract.as_of or date.min) > (held[1].as_of or date.min):
                wanted[code] = (name, extract)
    out: dict[str, Pcn | str] = {}
    for code, (name, extract) in sorted(wanted.items()):
        pcn = organisations.find_pcn(session, code)
        if pcn is None:
            result.changes.append(Change("PCN", code, name, "create"))
            result._work.append(("pcn", None, {"code": code, "name": name, "extract": extract}))
            out[code] = code
            continue
        out[code] = pcn
        details, changes = [], {}
        if name != pcn.name and name != code:
            details.append(("name", pcn.name, name))
            changes["name"] = name
        if icb is not None and pcn.icb_id != icb.id:
            details.append(("ICB", "another ICB", result.icb_name))
            changes["icb_id"] = icb.id
        if changes:
            result.changes.append(Change("PCN", code, pcn.name, "update", tuple(details)))
            result._work.append(("pcn", pcn, {**changes, "extract": extract}))
    return out


def _plan_practice(
    m: _Merged,
    practice: Practice | None,
    pcns: dict[str, Pcn | str],
    result: OnboardingPlan,
    today: date,
    context: _Context,
) -> None:
    name = m.value("name")
    pcn_code, _, pcn_extract = m.best("pcn_code")
    moved_on = (pcn_extract.as_of if pcn_extract else None) or today
    is_open = m.value("open")
    values: dict[str, Any] = {}
    if name:
        values["name"] = name
    if pcn_code is not None:
        values["pcn"] = pcns.get(pcn_code) if pcn_code else None
    if (list_size := m.best("list_size"))[0] is not None:
        values["list_size"] = list_size[0]
        values["list_size_on"] = list_size[2].as_of
    if (score := m.value("imd_score")) is not None:
        values["imd_score"] = score
        values["imd_decile"] = m.value("imd_decile")
    if is_open is not None:
        values["status"] = PracticeStatus.OPEN if is_open else PracticeStatus.CLOSED
        values["closed_on"] = None if is_open else m.value("closed_on")
    stamp = {"source": m.source, "confirmed_on": m.confirmed_on}
    if practice is None:
        if not name:  # only files without names speak of it: not ours to create
            return
        pcn = values.pop("pcn", None)
        result.changes.append(Change("practice", m.ods_code, name, "create"))
        work = {**values, **stamp, "ods_code": m.ods_code, "pcn": pcn, "moved_on": moved_on}
        result._work.append(("practice", None, work))
        return
    details: list[tuple[str, str, str]] = []
    changes: dict[str, Any] = {}
    action = "update"
    if practice.icb_id != context.icb_id:
        was = context.icb_names.get(practice.icb_id, "another ICB")
        details.append(("ICB", was, context.icb_name))
        changes["icb_id"] = THIS_ICB
    for key, value in values.items():
        if key == "pcn":
            current = practice.pcn_id
            target = value.id if isinstance(value, Pcn) else None
            if current != target or isinstance(value, str):
                was = context.pcn_names.get(current, NO_PCN) if current else NO_PCN
                details.append(("PCN", was, _pcn_label(value)))
                changes["pcn"] = value
                action = "move"
            continue
        if getattr(practice, key) != value:
            changes[key] = value
            if key in FIELD_LABELS:
                details.append(
                    (FIELD_LABELS[key], _shown(key, getattr(practice, key)), _shown(key, value))
                )
    if "status" in changes:
        action = "close" if changes["status"] == PracticeStatus.CLOSED else "reopen"
    stamp_changes = {k: v for k, v in stamp.items() if getattr(practice, k) != v}
    if not changes:
        result.unchanged += 1
        if stamp_changes:
            result._work.append(("practice", practice, stamp_changes))
        return
    result.changes.append(Change("practice", m.ods_code, practice.name, action, tuple(details)))
    result._work.append(("practice", practice, {**changes, **stamp_changes, "moved_on": moved_on}))


def _pcn_label(pcn: Pcn | str | None) -> str:
    """A PCN in the plan: a stored one, one to create (its code), or none."""
    if pcn is None:
        return NO_PCN
    return pcn if isinstance(pcn, str) else pcn.name


def _shown(key: str, value: object) -> str:
    if value is None:
        return "not known"
    if isinstance(value, date):
        return long_date(value)
    if key == "imd_score":
        return f"{value:.1f}"
    if isinstance(value, int):
        return number(value)
    return str(value)


# --------------------------------------------------------------------------- applying


def onboard(
    session: Session,
    *,
    user: User | None,
    icb_code: str,
    extracts: Sequence[Extract],
    today: date,
    dry_run: bool = False,
) -> OnboardingPlan:
    """Plan the changes and, unless `dry_run`, make them all (or, on any error, none)."""
    result = plan(session, icb_code=icb_code, extracts=extracts, today=today)
    if dry_run:
        return result
    try:
        if result._work:
            _apply(session, user, result)
        # England's practices, for England's figures beside the ICB's (a national file's)
        result.england_practices = england.record_facts(session, extracts)
    except Exception:
        session.rollback()
        raise
    session.commit()
    return result


def _apply(session: Session, user: User | None, result: OnboardingPlan) -> None:
    icb = organisations.find_icb(session, result.icb_code)
    created_pcns: dict[str, Pcn] = {}
    for kind, record, values in result._work:
        if kind == "icb":
            if record is None:
                icb, _ = organisations.ensure_icb(
                    session, user=user, code=values["code"], name=values["name"], commit=False
                )
            else:
                records.update_fields(
                    session,
                    user=user,
                    record=record,
                    changes=values,
                    expected_version=None,
                    summary=f"Renamed the ICB {record.code}",
                    commit=False,
                )
        elif kind == "pcn":
            extract = values.pop("extract")
            stamp = {"source": extract.source, "confirmed_on": extract.as_of}
            if record is None:
                pcn, _ = organisations.ensure_pcn(
                    session,
                    user=user,
                    code=values["code"],
                    name=values["name"],
                    icb_id=icb.id,
                    commit=False,
                    **stamp,
                )
                created_pcns[pcn.code] = pcn
            else:
                records.update_fields(
                    session,
                    user=user,
                    record=record,
                    changes={**values, **stamp},
                    expected_version=None,
                    summary=f"Updated the PCN {record.name} ({record.code}) from NHS files",
                    quiet=QUIET,
                    commit=False,
                )
        else:
            _apply_practice(session, user, icb, record, dict(values), created_pcns)
    if result.changes:
        audit.record(
            session,
            actor=user,
            action="onboard",
            object_type="onboarding",
            object_id=icb.id,
            summary=(
                "Updated from NHS files ("
                + ", ".join(f.description for f in result.files)
                + "): "
                + ", ".join(f"{label} {n}" for label, n in result.counts())
            ),
        )


def _apply_practice(session, user, icb, practice, values, created_pcns) -> None:
    moved_on = values.pop("moved_on", None)
    if values.get("icb_id") == THIS_ICB:
        values["icb_id"] = icb.id
    if "pcn" in values:
        pcn = values.pop("pcn")
        values["pcn_id"] = (created_pcns[pcn] if isinstance(pcn, str) else pcn).id if pcn else None
    if practice is None:
        organisations.ensure_practice(session, user=user, icb_id=icb.id, commit=False, **values)
        return
    moving = "pcn_id" in values and values["pcn_id"] != practice.pcn_id
    if moving:
        _move(session, practice, values["pcn_id"], moved_on, values.get("source", "manual"))
    records.update_fields(
        session,
        user=user,
        record=practice,
        changes=values,
        expected_version=None,
        summary=f"Updated the practice {practice.name} ({practice.ods_code}) from NHS files",
        quiet=QUIET,
        commit=False,
    )


def _move(session: Session, practice: Practice, pcn_id: int | None, on: date | None, source: str):
    """End the practice's current PCN spell and start one in its new PCN (or in none)."""
    current = session.exec(
        select(PracticePcnSpell).where(
            PracticePcnSpell.practice_id == practice.id, PracticePcnSpell.ended_on.is_(None)
        )
    ).all()
    for spell in current:
        spell.ended_on = on
        session.add(spell)
    session.add(
        PracticePcnSpell(practice_id=practice.id, pcn_id=pcn_id, started_on=on, source=source)
    )


def practices_by_status(session: Session, icb_id: int) -> Counter[str]:
    return Counter(session.exec(select(Practice.status).where(Practice.icb_id == icb_id)).all())


def spells(session: Session, practice_id: int) -> list[PracticePcnSpell]:
    """A practice's PCN history, oldest first."""
    return list(
        session.exec(
            select(PracticePcnSpell)
            .where(PracticePcnSpell.practice_id == practice_id)
            .order_by(PracticePcnSpell.id)
        )
    )
