"""Time helpers. Timestamps are timezone-aware UTC (SQLModel's UTCDateTime stores them
the same way on SQLite and PostgreSQL); people see dates and times in UK time."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")


def utcnow() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    """Today's date in the UK, which decides the current financial period."""
    return datetime.now(UK).date()


def to_uk(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UK)
