"""Moving an ICB to another version of its template (version 1 → 2, when it starts
importing national data).

Nothing stored is rewritten: every value keeps the template version it was recorded
under, and so its meaning. The move changes which items the ICB's practices are asked
for from now on. A version's item that `continues:` an earlier one carries its history
on the same chart (with a note where the definition changed); an earlier item nobody
continues is no longer asked for, and its values stay in the practice's history under
its own label. Collections keep the version they were opened against.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, func, select

from monitor.core.checklist import ChecklistTemplate, Item, Templates, template_used_by
from monitor.models import Icb, MetricValue, Practice, User
from monitor.services import records


class TemplateMoveRefused(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class TemplateMove:
    """What moving `icb` from `current` to `target` means, in items."""

    icb: Icb
    current: ChecklistTemplate
    target: ChecklistTemplate
    new_items: list[Item] = field(default_factory=list)
    carried: list[tuple[Item, Item]] = field(default_factory=list)  # (new, old), same meaning
    redefined: list[tuple[Item, Item]] = field(default_factory=list)  # (new, old): see its note
    no_longer_asked: list[Item] = field(default_factory=list)
    stored_values: int = 0  # values recorded under the current version: kept as they are


def versions_of(templates: Templates, icb: Icb) -> list[ChecklistTemplate]:
    """The loaded versions of the ICB's template, oldest first."""
    return sorted(
        (t for (tid, _), t in templates.items() if tid == icb.template_id),
        key=lambda t: t.version,
    )


def describe(session: Session, templates: Templates, icb: Icb, version: int) -> TemplateMove:
    current = template_used_by(templates, icb)
    target = templates.get((icb.template_id, version))
    if target is None:
        raise TemplateMoveRefused(f"Version {version} of the template is not loaded")
    if current is not None and target.version == current.version:
        raise TemplateMoveRefused(f"The ICB already uses version {version}")
    if current is None:
        raise TemplateMoveRefused(
            f"The ICB uses version {icb.template_version}, which is not loaded"
        )
    move = TemplateMove(icb=icb, current=current, target=target)
    old = {item.id: item for item in current.items}
    continued = set()
    for item in target.items:
        earlier = item.continues.item if item.continues else item.id
        if earlier not in old:
            move.new_items.append(item)
            continue
        continued.add(earlier)
        if item.continues and item.continues.definition_changed:
            move.redefined.append((item, old[earlier]))
        else:
            move.carried.append((item, old[earlier]))
    move.no_longer_asked = [item for item in current.items if item.id not in continued]
    move.stored_values = session.exec(
        select(func.count())
        .select_from(MetricValue)
        .join(Practice, Practice.id == MetricValue.practice_id)
        .where(
            Practice.icb_id == icb.id,
            MetricValue.template_id == current.id,
            MetricValue.template_version == current.version,
        )
    ).one()
    return move


def move(session: Session, *, user: User | None, move: TemplateMove) -> Icb:
    """Make the move (audited); no stored value changes."""
    return records.update_fields(
        session,
        user=user,
        record=move.icb,
        changes={"template_version": move.target.version},
        expected_version=getattr(move.icb, "version", None),
        summary=(
            f"Moved {move.icb.name} from template version {move.current.version} to version "
            f"{move.target.version} ({move.target.name}); {move.stored_values:,} values "
            f"recorded under version {move.current.version} kept as they were"
        ),
        always_record=True,
    )


def summary_lines(move: TemplateMove) -> list[str]:
    """The move in words, for the command line and the administrator's page."""
    old, new = move.current.version, move.target.version
    lines = [f"{move.icb.name}: template version {old} to version {new} ({move.target.name})"]
    if move.new_items:
        lines.append("New items: " + ", ".join(i.label for i in move.new_items))
    if move.carried:
        lines.append(
            "Carried on with their history: " + ", ".join(n.label for n, _ in move.carried)
        )
    for new_item, old_item in move.redefined:
        lines.append(
            f"{new_item.label} continues {old_item.label} with a changed definition: "
            f"{new_item.continues.note}"
        )
    if move.no_longer_asked:
        lines.append(
            "No longer asked for (their values stay in each practice's history): "
            + ", ".join(i.label for i in move.no_longer_asked)
        )
    lines.append(f"Values recorded under version {old}: {move.stored_values:,}, kept as they are")
    return lines
