"""Load and validate light-touch templates (checklist_templates/*.yaml) into typed objects.

A template is versioned: every stored value records the template id and version it was
entered against, so an ICB can ship a new version without rewriting history.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

IDENTIFIER = r"^[a-z][a-z0-9_]*$"
ALLOCATION_ITEM = "hep_allocation"
"""The item a practice's HEP allocation is: stored as a HepAllocation, not a MetricValue."""
ALIGNED_KEY = re.compile(r"^[a-z]+(:[a-z0-9_]+)?$")


class ItemType(StrEnum):
    MONEY = "money"
    COUNT = "count"
    PERCENT = "percent"
    DURATION = "duration"
    NUMBER = "number"
    TEXT = "text"


class Frequency(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    ANNUAL = "annual"

    @property
    def label(self) -> str:
        return {"monthly": "Monthly", "quarterly": "Quarterly", "annual": "Annual"}[self]


class Direction(StrEnum):
    HIGHER_BETTER = "higher_better"
    LOWER_BETTER = "lower_better"
    NEUTRAL = "neutral"

    @property
    def label(self) -> str:
        return {
            "higher_better": "Higher is better",
            "lower_better": "Lower is better",
            "neutral": "No better direction",
        }[self]


class Cumulative(StrEnum):
    """How an item's figure accumulates over its financial year."""

    YEAR_TO_DATE = "year_to_date"
    """A running total since 1 April (restarting each financial year), such as health
    checks completed so far this year: charted as each period's increase
    (monitor.analysis.cumulative) or on a run chart, never as an XmR chart of the total,
    whose climb every year is no signal."""

    @property
    def label(self) -> str:
        return {"year_to_date": "Year to date (a running total from 1 April)"}[self]


CUMULATIVE_TYPES = frozenset({ItemType.PERCENT, ItemType.COUNT, ItemType.NUMBER})
"""The item types a year-to-date total can have."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Identifier = Annotated[str, Field(pattern=IDENTIFIER, max_length=60)]


class Section(_Strict):
    id: Identifier
    title: str = Field(min_length=1)
    why: str = ""


class Alignment(_Strict):
    collection: str = Field(min_length=1)
    key: str | None = None

    @model_validator(mode="after")
    def _key_shape(self) -> Alignment:
        if self.key is not None and not ALIGNED_KEY.match(self.key):
            raise ValueError(
                f"aligned key {self.key!r} must look like 'source' or 'source:code', "
                "for example 'fft' or 'fingertips:93553'"
            )
        return self


class NationalSource(_Strict):
    """The published figure an item is, exactly as the publication defines it: the
    dataset's key (monitor.importers.datasets) and the measure it names."""

    dataset: Identifier
    measure: Identifier
    per_patients: Literal[1000, 10000] | None = None
    """Divided by the practice's registered patients and multiplied by this (per 1,000
    or per 10,000 registered patients)."""


class Continuation(_Strict):
    """The item of an earlier template version whose history this item carries on."""

    item: Identifier
    definition_changed: bool = False
    note: str = ""
    """What changed, shown on the chart where the earlier definition ends."""

    @model_validator(mode="after")
    def _note_when_changed(self) -> Continuation:
        if self.definition_changed and not self.note:
            raise ValueError("a changed definition needs a note saying what changed")
        return self


class Item(_Strict):
    id: Identifier
    label: str = Field(min_length=1, max_length=120)
    hint: str = Field(min_length=1)
    section: Identifier
    type: ItemType
    unit: str = ""
    frequency: Frequency
    direction: Direction = Direction.NEUTRAL
    min: float | None = None
    max: float | None = None
    required: bool = False
    aligned: Alignment | None = None
    national: NationalSource | None = None
    continues: Continuation | None = None
    cumulative: Cumulative | None = None
    """``year_to_date`` for a running total since 1 April; None (the default) for a
    figure that stands on its own each period."""

    @model_validator(mode="after")
    def _cumulative(self) -> Item:
        if self.cumulative is None:
            return self
        if self.frequency not in (Frequency.MONTHLY, Frequency.QUARTERLY):
            raise ValueError(
                "cumulative: year_to_date is only for monthly or quarterly items, "
                f"not {self.frequency.value}"
            )
        if self.type not in CUMULATIVE_TYPES:
            raise ValueError(
                "cumulative: year_to_date is only for percent, count or number items, "
                f"not {self.type.value}"
            )
        return self

    @model_validator(mode="after")
    def _range(self) -> Item:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min:g}) is more than max ({self.max:g})")
        if self.type is ItemType.PERCENT and (
            (self.min is not None and self.min < 0) or (self.max is not None and self.max > 100)
        ):
            raise ValueError("a percentage item's range must lie within 0 to 100")
        if self.type is ItemType.TEXT and (self.min is not None or self.max is not None):
            raise ValueError("a text item cannot have min or max")
        return self


class Choice(_Strict):
    id: Identifier
    label: str = Field(min_length=1)


class RoleGroup(StrEnum):
    CLINICAL = "clinical"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return {"clinical": "Clinical", "admin": "Admin and non-clinical"}[self]


class StaffingRole(Choice):
    group: RoleGroup


class ChecklistTemplate(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$")]
    version: int = Field(ge=1)
    name: str = Field(min_length=1)
    publisher: str = ""
    purpose: str = ""
    sections: list[Section] = Field(min_length=1)
    items: list[Item] = Field(min_length=1)
    spending_categories: list[Choice] = Field(min_length=1)
    funding_sources: list[Choice] = Field(min_length=1)
    staffing_roles: list[StaffingRole] = Field(min_length=1)
    staffing_change_types: list[Choice] = Field(min_length=1)

    @property
    def key(self) -> tuple[str, int]:
        return (self.id, self.version)

    @cached_property
    def items_by_id(self) -> dict[str, Item]:
        return {item.id: item for item in self.items}

    @cached_property
    def sections_by_id(self) -> dict[str, Section]:
        return {section.id: section for section in self.sections}

    def national_items(self) -> dict[tuple[str, str], Item]:
        """(dataset, measure) → the item a published figure fills."""
        return {
            (item.national.dataset, item.national.measure): item
            for item in self.items
            if item.national is not None
        }

    def items_for(self, frequency: Frequency) -> list[Item]:
        return [item for item in self.items if item.frequency is frequency]

    def items_by_section(self, items: list[Item] | None = None) -> list[tuple[Section, list[Item]]]:
        """Items grouped under their sections, in template order, empty sections dropped."""
        items = self.items if items is None else items
        grouped = []
        for section in self.sections:
            in_section = [item for item in items if item.section == section.id]
            if in_section:
                grouped.append((section, in_section))
        return grouped


class TemplateError(ValueError):
    """A template file that cannot be used; the message names the file and the item."""


SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader where PyYAML was built with it (the wheels are): the same
documents as yaml.SafeLoader, about ten times as fast, which every app start pays."""


def load_template(path: Path) -> ChecklistTemplate:
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        raise TemplateError(f"{path.name}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise TemplateError(f"{path.name}: expected a mapping at the top level")
    try:
        template = ChecklistTemplate.model_validate(raw)
    except ValidationError as exc:
        raise TemplateError(_describe(path.name, raw, exc)) from None
    _check_references(path.name, template)
    return template


def load_templates(directory: Path) -> dict[tuple[str, int], ChecklistTemplate]:
    """Every template in a folder, keyed by (id, version). Any bad file is an error."""
    templates: dict[tuple[str, int], ChecklistTemplate] = {}
    for path in sorted(directory.glob("*.yaml")):
        template = load_template(path)
        if template.key in templates:
            raise TemplateError(
                f"{path.name}: template {template.id} version {template.version} "
                "is defined in more than one file"
            )
        templates[template.key] = template
    if not templates:
        raise TemplateError(f"{directory}: no templates (*.yaml) found")
    _check_continuations(templates)
    return templates


def _check_continuations(templates: dict[tuple[str, int], ChecklistTemplate]) -> None:
    """An item that carries on an earlier version's item must name one that exists."""
    for (template_id, version), template in templates.items():
        earlier = {
            item.id
            for (other_id, other_version), other in templates.items()
            if other_id == template_id and other_version < version
            for item in other.items
        }
        for item in template.items:
            if item.continues is not None and item.continues.item not in earlier:
                raise TemplateError(
                    f"{template_id} version {version}, item {item.id}: continues "
                    f"{item.continues.item!r}, which no earlier version has"
                )


Templates = dict[tuple[str, int], ChecklistTemplate]
"""The loaded template versions, by (id, version): what the app holds and passes in."""


def template_used_by(templates: Templates, owner: Any) -> ChecklistTemplate | None:
    """The version an ICB uses or a collection was opened against (anything with
    `template_id` and `template_version`), or None if that version is not loaded."""
    return templates.get((owner.template_id, owner.template_version))


def _describe(filename: str, raw: dict[str, Any], exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        location = list(error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = f"unknown key {location[-1]!r}"
            location = location[:-1]
        where = _where(raw, location)
        problems.append(f"{where}: {message}")
    return f"{filename}: " + "; ".join(problems)


def _where(raw: dict[str, Any], location: list[Any]) -> str:
    """Name the item (by its id) rather than its position where we can."""
    if len(location) >= 2 and isinstance(location[1], int):
        collection = raw.get(location[0])
        if isinstance(collection, list) and location[1] < len(collection):
            entry = collection[location[1]]
            if isinstance(entry, dict) and "id" in entry:
                rest = ".".join(str(part) for part in location[2:])
                noun = "item" if location[0] == "items" else location[0]
                return f"{noun} {entry['id']!r}" + (f" ({rest})" if rest else "")
    return ".".join(str(part) for part in location) or "template"


def _check_references(filename: str, template: ChecklistTemplate) -> None:
    problems = []
    for collection in (
        "sections",
        "items",
        "spending_categories",
        "funding_sources",
        "staffing_roles",
        "staffing_change_types",
    ):
        seen: set[str] = set()
        for entry in getattr(template, collection):
            if entry.id in seen:
                noun = "item" if collection == "items" else f"{collection} entry"
                problems.append(f"duplicate {noun} id {entry.id!r}")
            seen.add(entry.id)
    section_ids = {section.id for section in template.sections}
    for item in template.items:
        if item.section not in section_ids:
            problems.append(f"item {item.id!r}: unknown section {item.section!r}")
    if problems:
        raise TemplateError(f"{filename}: " + "; ".join(problems))
