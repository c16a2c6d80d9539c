"""Every table, imported here so Alembic and `create_all` see the whole schema."""

from monitor.models.audit import AuditEvent
from monitor.models.england import EnglandPractice, EnglandValue, NationalAggregate
from monitor.models.imports import ImportChange, ImportStatus, NationalImport
from monitor.models.organisations import (
    Icb,
    Pcn,
    Practice,
    PracticeLike,
    PracticePcnSpell,
    PracticeRow,
    PracticeStatus,
)
from monitor.models.records import (
    HepAllocation,
    Intervention,
    MetricValue,
    SpendItem,
    StaffingChange,
)
from monitor.models.returns import (
    CaseExample,
    CaseExampleChart,
    Collection,
    PracticeReturn,
    ReturnFigure,
    ReturnSpend,
    ReturnStatus,
    ReturnValue,
    Visibility,
)
from monitor.models.users import PRACTICE_ROLES, ROLE_LABELS, Role, SignInFailure, User

__all__ = [
    "PRACTICE_ROLES",
    "ROLE_LABELS",
    "AuditEvent",
    "EnglandPractice",
    "EnglandValue",
    "NationalAggregate",
    "ImportChange",
    "ImportStatus",
    "NationalImport",
    "CaseExample",
    "CaseExampleChart",
    "Collection",
    "PracticeReturn",
    "ReturnFigure",
    "ReturnSpend",
    "ReturnStatus",
    "ReturnValue",
    "Visibility",
    "HepAllocation",
    "Intervention",
    "MetricValue",
    "SpendItem",
    "StaffingChange",
    "Icb",
    "Pcn",
    "Practice",
    "PracticePcnSpell",
    "PracticeLike",
    "PracticeRow",
    "PracticeStatus",
    "Role",
    "SignInFailure",
    "User",
]
