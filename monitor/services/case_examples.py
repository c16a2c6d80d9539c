"""Case examples: a practice's own account of what it did with the money, kept private
or shared with its PCN or across the ICB.

Who sees what is decided in monitor.services.visibility (`case_example_filter`), read
from the database on every call, so unsharing takes effect on the next request. Edits go
through monitor.services.records like the practice's other records: optimistic locking
on `version`, and every change an audit event.

Every save publishes the case's charts: for each figure it links, the chart as it stands
at that moment, worked out with only the interventions the case links (so no other
intervention splits the evidence, is marked or is named), kept as a `CaseExampleChart`
(rows, verdict, alt text and the chart's data). Readers, the practice included, see
those and never the practice's live figures; saving again publishes them afresh.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlmodel import Session, select

from monitor import charts
from monitor.analysis import spc
from monitor.config import Config
from monitor.core.checklist import ChecklistTemplate, ItemType, load_templates, template_used_by
from monitor.core.clock import today as uk_today
from monitor.core.clock import utcnow
from monitor.core.formatting import item_value
from monitor.core.inputs import Collector
from monitor.core.periods import Period
from monitor.models import (
    CaseExample,
    CaseExampleChart,
    Icb,
    Intervention,
    Practice,
    SpendItem,
    User,
    Visibility,
)
from monitor.services import metric_view, records, visibility

VISIBILITY_LABELS = {
    Visibility.PRIVATE: "Private to our practice",
    Visibility.PCN: "Shared with our PCN",
    Visibility.ICB: "Shared across the ICB",
}
# The same choices as a reader sees them (the labels above are the practice's own voice).
SHARING_LABELS = {
    Visibility.PRIVATE: "Private to the practice",
    Visibility.PCN: "Shared with the PCN",
    Visibility.ICB: "Shared across the ICB",
}

# (field, label used in messages, maximum length, message when empty or None if optional)
TEXT_FIELDS: tuple[tuple[str, str, int, str | None], ...] = (
    ("title", "Title", 120, "Enter a title, like “Cloud telephony with call-back”"),
    ("problem", "The problem", 2000, "Enter the problem and who it affected"),
    ("actions", "What you did", 3000, "Enter what you did"),
    ("cost", "Cost and funding", 1000, None),
    ("outcome", "What changed", 2000, None),
    ("lessons", "What you would do differently", 2000, None),
)


# Reading --------------------------------------------------------------------------------


def list_visible(
    session: Session, user: User, *, tag: str | None = None, practice_id: int | None = None
) -> list[CaseExample]:
    """Case examples `user` may read, most recently changed first, optionally filtered."""
    statement = select(CaseExample).where(visibility.case_example_filter(user))
    if practice_id is not None:
        statement = statement.where(CaseExample.practice_id == practice_id)
    statement = statement.order_by(CaseExample.updated_at.desc(), CaseExample.id.desc())
    found = list(session.exec(statement))
    if tag:
        # Tags are a JSON list; a few dozen rows at most, so filter here rather than
        # write JSON containment twice (SQLite and PostgreSQL).
        found = [case for case in found if tag in (case.tags or [])]
    return found


def list_own(session: Session, user: User) -> list[CaseExample]:
    """The user's own practice's case examples, for its list page."""
    return visibility.own_records(
        session, user, CaseExample, CaseExample.updated_at.desc(), CaseExample.id.desc()
    )


def linked_spend_items(session: Session, case: CaseExample) -> list[SpendItem]:
    """The case's spending items that still exist, always of the case's own practice."""
    ids = [i for i in case.spend_item_ids or [] if isinstance(i, int)]
    if not ids:
        return []
    return list(
        session.exec(
            select(SpendItem)
            .where(SpendItem.id.in_(ids), SpendItem.practice_id == case.practice_id)
            .order_by(SpendItem.spent_on, SpendItem.id)
        )
    )


def linked_interventions(session: Session, case: CaseExample) -> list[Intervention]:
    """The case's interventions that still exist, always of the case's own practice,
    in date order."""
    return _interventions(session, case.practice_id, case.intervention_ids or [])


def _interventions(session: Session, practice_id: int, ids: Sequence[Any]) -> list[Intervention]:
    ids = [i for i in ids if isinstance(i, int)]
    if not ids:
        return []
    return list(
        session.exec(
            select(Intervention)
            .where(Intervention.id.in_(ids), Intervention.practice_id == practice_id)
            .order_by(Intervention.occurred_on, Intervention.id)
        )
    )


# Input ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseExampleInput:
    title: str
    problem: str
    actions: str
    cost: str
    outcome: str
    lessons: str
    visibility: str
    tags: list[str]
    spend_item_ids: list[int]
    metric_item_ids: list[str]
    intervention_ids: list[int] = field(default_factory=list)


def metric_choices(template: ChecklistTemplate) -> list[tuple[str, str]]:
    """Figures a case example may link to: every item that can be charted."""
    return [(item.id, item.label) for item in template.items if item.type is not ItemType.TEXT]


def clean(
    raw: Mapping[str, Any],
    *,
    template: ChecklistTemplate,
    own_spend_ids: set[int],
    own_intervention_ids: set[int] = frozenset(),
) -> CaseExampleInput:
    """Check a submitted form; raise FormErrors with one message per field."""
    check = Collector(raw)
    texts = {
        name: check.free_text(name, label=label, limit=limit, required=required)
        for name, label, limit, required in TEXT_FIELDS
    }
    spend_ids = check.record_ids(
        "spend_item_ids", own_spend_ids, "Select spending items from your practice's list"
    )
    intervention_ids = check.record_ids(
        "intervention_ids",
        set(own_intervention_ids),
        "Select interventions from your practice's list",
    )
    chartable = [item_id for item_id, _ in metric_choices(template)]
    metric_ids = check.choices("metric_item_ids", chartable, "Select figures from the list")
    categories = [c.id for c in template.spending_categories]
    # Stored in list order, so the page reads the same whatever order was ticked.
    tags = check.choices("tags", categories, "Select tags from the list")
    visibility = check.text("visibility") or Visibility.PRIVATE
    if visibility not in Visibility.CHOICES:
        check.add("visibility", "Select who can see this case example")
    check.raise_if_any(order=[name for name, *_ in TEXT_FIELDS])
    return CaseExampleInput(
        **texts,
        visibility=visibility,
        tags=tags,
        spend_item_ids=spend_ids,
        metric_item_ids=metric_ids,
        intervention_ids=intervention_ids,
    )


# Changes ----------------------------------------------------------------------------


def _shared_at(old_visibility: str | None, new_visibility: str, old_shared_at):
    if new_visibility == Visibility.PRIVATE:
        return None
    if old_visibility != new_visibility or old_shared_at is None:
        return utcnow()
    return old_shared_at


def create(
    session: Session,
    *,
    user: User | None,
    practice_id: int,
    data: CaseExampleInput,
    template: ChecklistTemplate | None = None,
    today: date | None = None,
) -> CaseExample:
    """Add the case example and publish its charts (see the module's docstring).

    `template` is the practice's ICB's (default: read from the shipped templates);
    `today` decides the latest complete period charted (default: today in the UK)."""
    case = CaseExample(
        practice_id=practice_id,
        shared_at=_shared_at(None, data.visibility, None),
        **asdict(data),
    )
    published = _publish(session, case, template=template, today=today)
    case = records.create(
        session,
        user=user,
        record=case,
        summary=f"Added case example “{case.title}” ({VISIBILITY_LABELS[case.visibility]})",
        commit=False,
    )
    _replace_charts(session, case, published)
    session.commit()
    return case


def update(
    session: Session,
    *,
    user: User,
    case: CaseExample,
    data: CaseExampleInput,
    expected_version: int,
    template: ChecklistTemplate | None = None,
    today: date | None = None,
) -> CaseExample:
    """Save `data` if the case is still at `expected_version`; else EditConflict. The
    charts are published afresh, with the figures as they stand now."""
    summary = f"Changed case example “{data.title}”"
    if case.visibility != data.visibility:
        summary += f": now {VISIBILITY_LABELS[data.visibility].lower()}"
    draft = CaseExample(practice_id=case.practice_id, **asdict(data))
    published = _publish(session, draft, template=template, today=today)
    before = [row.payload for row in _chart_rows(session, case.id)]
    republished = before != [payload for _, payload in published]
    if republished:
        summary += "; charts published afresh"
    case = records.update_fields(
        session,
        user=user,
        record=case,
        changes={
            **asdict(data),
            "shared_at": _shared_at(case.visibility, data.visibility, case.shared_at),
        },
        expected_version=expected_version,
        summary=summary,
        quiet=(*records.QUIET_FIELDS, "shared_at"),
        always_record=republished,
        commit=False,
    )
    _replace_charts(session, case, published)
    session.commit()
    return case


def delete(session: Session, *, user: User, case: CaseExample, expected_version: int) -> None:
    """Delete the case example and its published charts (ON DELETE CASCADE too)."""
    if case.version == expected_version:
        # First, so the rows go even where the database does not cascade; a conflict
        # below rolls this back.
        for row in _chart_rows(session, case.id):
            session.delete(row)
        session.flush()
    records.delete(
        session,
        user=user,
        record=case,
        expected_version=expected_version,
        summary=f"Deleted case example “{case.title}”",
    )


def tag_labels(template: ChecklistTemplate) -> dict[str, str]:
    return {c.id: c.label for c in template.spending_categories}


def practices_of(session: Session, cases: Sequence[CaseExample]) -> dict[int, Practice]:
    ids = {case.practice_id for case in cases}
    if not ids:
        return {}
    return {p.id: p for p in session.exec(select(Practice).where(Practice.id.in_(ids)))}


# Published charts -----------------------------------------------------------------------

PAYLOAD_VERSION = 1


@dataclass(frozen=True)
class PublishedRow:
    period: str
    """The period's label ("September 2025")."""
    value: float | None
    mean: float | None
    lower: float | None
    upper: float | None
    signal: str
    pcn_median: float | None
    icb_median: float | None


@dataclass(frozen=True)
class PublishedChart:
    """One figure's chart as it stood when the case example was saved."""

    item_id: str
    label: str
    taken_at: datetime
    payload: Mapping[str, Any]

    @property
    def has_figures(self) -> bool:
        return self.payload.get("chart") is not None

    @property
    def verdict(self) -> str:
        return self.payload.get("verdict", "")

    @property
    def alt(self) -> str:
        return self.payload.get("alt", "")

    @property
    def run_chart(self) -> bool:
        return bool(self.payload.get("run_chart"))

    @property
    def has_peers(self) -> bool:
        return bool(self.payload.get("has_peers"))

    @property
    def rows(self) -> list[PublishedRow]:
        return [PublishedRow(**_decode(row)) for row in self.payload.get("rows", [])]

    def fmt(self, value: float | None) -> str:
        item = self.payload["item"]
        return "" if value is None else item_value(value, item["type"], item["unit"])

    @property
    def key(self) -> str:
        """The chart's cache key: from the stored data alone."""
        return charts.chart_key("case_example_chart", PAYLOAD_VERSION, self.payload["chart"])

    def spec(self) -> charts.SpcChartSpec | charts.RunChartSpec:
        """The chart's spec rebuilt from the stored data, to draw it again."""
        item = self.payload["item"]
        return _spec_in(self.payload["chart"], item_type=item["type"], unit=item["unit"])

    def figure(self):
        spec = self.spec()
        return charts.run_chart(spec) if self.run_chart else charts.spc_chart(spec)


def published_charts(session: Session, case: CaseExample) -> list[PublishedChart]:
    """The case's charts as published at its last save, in the order of its figures;
    empty when it has never been saved since charts were kept (or links none)."""
    return [
        PublishedChart(
            item_id=row.item_id,
            label=row.payload.get("item", {}).get("label", row.item_id),
            taken_at=row.taken_at,
            payload=row.payload,
        )
        for row in _chart_rows(session, case.id)
    ]


def published_chart(session: Session, case: CaseExample, item_id: str) -> PublishedChart | None:
    return next((c for c in published_charts(session, case) if c.item_id == item_id), None)


def _chart_rows(session: Session, case_id: int | None) -> list[CaseExampleChart]:
    if case_id is None:
        return []
    return list(
        session.exec(
            select(CaseExampleChart)
            .where(CaseExampleChart.case_example_id == case_id)
            .order_by(CaseExampleChart.position, CaseExampleChart.id)
        )
    )


def _replace_charts(
    session: Session, case: CaseExample, published: list[tuple[str, dict[str, Any]]]
) -> None:
    for row in _chart_rows(session, case.id):
        session.delete(row)
    session.flush()
    taken_at = utcnow()
    for position, (item_id, payload) in enumerate(published):
        session.add(
            CaseExampleChart(
                case_example_id=case.id,
                item_id=item_id,
                position=position,
                taken_at=taken_at,
                payload=payload,
            )
        )
    session.flush()


@functools.cache
def _shipped_templates():
    return load_templates(Path(Config.CHECKLIST_TEMPLATE_DIR))


def _template_of(session: Session, practice: Practice) -> ChecklistTemplate:
    """The practice's ICB's template from the shipped folder: for callers that have no
    loaded templates to hand (the demo loader, tests); the pages pass theirs."""
    template = template_used_by(_shipped_templates(), session.get(Icb, practice.icb_id))
    if template is None:
        raise LookupError(f"no template loaded for practice {practice.id}'s ICB")
    return template


def _publish(
    session: Session,
    case: CaseExample,
    *,
    template: ChecklistTemplate | None,
    today: date | None,
) -> list[tuple[str, dict[str, Any]]]:
    """(item id, payload) for each figure `case` links, as its chart stands now, drawn
    with only the interventions `case` links."""
    practice = session.get(Practice, case.practice_id)
    template = template or _template_of(session, practice)
    interventions = _interventions(session, practice.id, case.intervention_ids or [])
    by_id = template.items_by_id
    published = []
    for item_id in case.metric_item_ids or []:
        item = by_id.get(item_id)
        if item is None or item.type is ItemType.TEXT:
            continue
        view = metric_view.build(
            session,
            practice=practice,
            template=template,
            item=item,
            today=today or uk_today(),
            interventions=interventions,
        )
        payload: dict[str, Any] = {
            "version": PAYLOAD_VERSION,
            "item": {
                "id": item.id,
                "label": item.label,
                "type": item.type.value,
                "unit": item.unit,
            },
            "chart": None,
        }
        if view is not None:
            payload.update(
                verdict=view.evidence.verdict,
                alt=view.alt,
                run_chart=view.run_chart,
                has_peers=view.has_peers,
                rows=[
                    _encode(
                        {
                            "period": row.period.label,
                            "value": row.value,
                            "mean": row.mean,
                            "lower": row.lower,
                            "upper": row.upper,
                            "signal": row.signal,
                            "pcn_median": row.pcn_median,
                            "icb_median": row.icb_median,
                        }
                    )
                    for row in view.rows
                ],
                chart=_spec_out(view.spec),
            )
        published.append((item.id, payload))
    return published


# The chart's data as JSON and back. Values keep their kind: a period, a date, a tuple,
# and a float that is not finite (which JSON cannot hold) are tagged objects.


def _encode(value: Any) -> Any:  # noqa: C901 - one branch per kind of value
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, np.generic):
        return _encode(value.item())
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"float": repr(value)}
    if isinstance(value, Period):
        return {"period": value.code}
    if isinstance(value, datetime):
        raise TypeError("a chart holds dates, not times")
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, tuple):
        return {"tuple": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _encode(v) for k, v in value.items()}
    raise TypeError(f"cannot keep {type(value).__name__} in a published chart")


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict):
        if set(value) == {"float"}:
            return float(value["float"])
        if set(value) == {"period"}:
            return Period.parse(value["period"])
        if set(value) == {"date"}:
            return date.fromisoformat(value["date"])
        if set(value) == {"tuple"}:
            return tuple(_decode(v) for v in value["tuple"])
        return {k: _decode(v) for k, v in value.items()}
    return value


def _frame_out(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {
            "name": str(name),
            "dtype": str(frame[name].dtype),
            "values": [_encode(v) for v in frame[name].tolist()],
        }
        for name in frame.columns
    ]


def _frame_in(columns: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            c["name"]: pd.Series(
                _decode(c["values"]), dtype=object if c["dtype"] == "object" else c["dtype"]
            )
            for c in columns
        }
    )


def _result_out(result: spc.SpcResult) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(result):
        value = getattr(result, f.name)
        if isinstance(value, pd.DataFrame):
            out[f.name] = {"frame": _frame_out(value)}
        elif isinstance(value, spc.SpcSettings):
            # Not asdict, which would turn the periods in `rebase_at` into dicts too.
            out[f.name] = _encode({s.name: getattr(value, s.name) for s in fields(value)})
        else:
            out[f.name] = _encode(value)
    return out


def _result_in(data: Mapping[str, Any]) -> spc.SpcResult:
    values: dict[str, Any] = {}
    for name, value in data.items():
        if name == "settings":
            values[name] = spc.SpcSettings(**_decode(value))
        elif isinstance(value, dict) and set(value) == {"frame"}:
            values[name] = _frame_in(value["frame"])
        else:
            values[name] = _decode(value)
    return spc.SpcResult(**values)


_SPEC_FIELDS = (
    "title", "y_label", "period_labels", "period_starts", "markers_heading", "baseline",
    "target", "value_floor", "value_ceiling", "y_tick_steps", "imported", "notes",
    "definition_change",
)  # fmt: skip


def _spec_out(spec: charts.SpcChartSpec | charts.RunChartSpec) -> dict[str, Any]:
    out = {name: _encode(getattr(spec, name)) for name in _SPEC_FIELDS}
    out["markers"] = [_encode({"label": m.label, "at": m.at}) for m in spec.markers]
    out["comparisons"] = [
        _encode({"name": c.name, "values": list(c.values)}) for c in spec.comparisons
    ]
    band = spec.band
    out["band"] = None if band is None else _encode(
        {"name": band.name, "median": list(band.median), "lower": list(band.lower),
         "upper": list(band.upper)}
    )  # fmt: skip
    if isinstance(spec, charts.RunChartSpec):
        out["kind"] = "run"
        out["values"] = _encode(list(spec.values))
        out["min_spc_points"] = spec.min_spc_points
    else:
        out["kind"] = "spc"
        out["result"] = _result_out(spec.result)
        out["show_inner_lines"] = spec.show_inner_lines
    return out


def _spec_in(
    data: Mapping[str, Any], *, item_type: str, unit: str
) -> charts.SpcChartSpec | charts.RunChartSpec:
    common: dict[str, Any] = {name: _decode(data[name]) for name in _SPEC_FIELDS}
    common["format_value"] = functools.partial(item_value, item_type=item_type, unit=unit)
    common["markers"] = [charts.Marker(**_decode(m)) for m in data["markers"]]
    common["comparisons"] = [charts.ComparisonSeries(**_decode(c)) for c in data["comparisons"]]
    common["band"] = None if data["band"] is None else charts.ReferenceBand(**_decode(data["band"]))
    if data["kind"] == "run":
        return charts.RunChartSpec(
            **common, values=_decode(data["values"]), min_spc_points=data["min_spc_points"]
        )
    return charts.SpcChartSpec(
        **common, result=_result_in(data["result"]), show_inner_lines=data["show_inner_lines"]
    )
