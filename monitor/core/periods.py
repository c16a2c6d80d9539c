"""NHS financial-year periods: 1 April to 31 March, Q1 = April to June.

A period is a month, quarter or financial year. Its code is stable and URL-safe:
"2025-10" (October 2025), "2025-26-q3" (October to December 2025), "2025-26" (the year).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import total_ordering

from monitor.core.checklist import Frequency

MONTH_NAMES = (
    "January February March April May June July August September October November December"
).split()

_MONTH_CODE = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER_CODE = re.compile(r"^(\d{4})-(\d{2})-q([1-4])$")
_YEAR_CODE = re.compile(r"^(\d{4})-(\d{2})$")


def financial_year_of(day: date) -> int:
    """The starting calendar year of the financial year containing `day` (2025 for 2025/26)."""
    return day.year if day.month >= 4 else day.year - 1


def financial_year_label(fy: int) -> str:
    return f"{fy}/{(fy + 1) % 100:02d}"


@total_ordering
@dataclass(frozen=True)
class Period:
    frequency: Frequency
    fy: int
    number: int  # month of the year (1 = April), quarter (1 = Apr–Jun), or 1 for the year

    def __post_init__(self) -> None:
        limit = {Frequency.MONTHLY: 12, Frequency.QUARTERLY: 4, Frequency.ANNUAL: 1}
        if not 1 <= self.number <= limit[self.frequency]:
            raise ValueError(f"{self.frequency} period number {self.number} is out of range")
        if not 1990 <= self.fy <= 2200:
            raise ValueError(f"financial year {self.fy} is out of range")

    # Construction
    @classmethod
    def containing(cls, day: date, frequency: Frequency) -> Period:
        fy = financial_year_of(day)
        month_index = (day.month - 4) % 12  # 0 = April
        if frequency is Frequency.MONTHLY:
            return cls(frequency, fy, month_index + 1)
        if frequency is Frequency.QUARTERLY:
            return cls(frequency, fy, month_index // 3 + 1)
        return cls(frequency, fy, 1)

    @classmethod
    def latest_complete(cls, today: date, frequency: Frequency) -> Period:
        """The most recent period that has fully ended before `today`."""
        return cls.containing(today, frequency).previous()

    @classmethod
    def parse(cls, code: str) -> Period:
        """Read a period code; raises ValueError with a readable message."""
        if match := _QUARTER_CODE.match(code):
            fy = int(match[1])
            cls._check_year_pair(fy, match[2], code)
            return cls(Frequency.QUARTERLY, fy, int(match[3]))
        if match := _MONTH_CODE.match(code):
            year, month = int(match[1]), int(match[2])
            if 1 <= month <= 12:
                return cls.containing(date(year, month, 1), Frequency.MONTHLY)
        if match := _YEAR_CODE.match(code):
            fy = int(match[1])
            cls._check_year_pair(fy, match[2], code)
            return cls(Frequency.ANNUAL, fy, 1)
        raise ValueError(f"{code!r} is not a period, like 2025-10, 2025-26-q3 or 2025-26")

    @staticmethod
    def _check_year_pair(fy: int, second: str, code: str) -> None:
        if (fy + 1) % 100 != int(second):
            raise ValueError(f"{code!r} is not a financial year: the years must be consecutive")

    # Dates
    @property
    def start(self) -> date:
        if self.frequency is Frequency.MONTHLY:
            month0 = 3 + self.number - 1  # 0-based calendar month, April = 3
            return date(self.fy + month0 // 12, month0 % 12 + 1, 1)
        if self.frequency is Frequency.QUARTERLY:
            month0 = 3 + (self.number - 1) * 3
            return date(self.fy + month0 // 12, month0 % 12 + 1, 1)
        return date(self.fy, 4, 1)

    @property
    def end(self) -> date:
        """The last day of the period."""
        return self.next().start - timedelta(days=1)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def next(self) -> Period:
        count = self._count
        if self.number < count:
            return Period(self.frequency, self.fy, self.number + 1)
        return Period(self.frequency, self.fy + 1, 1)

    def previous(self) -> Period:
        if self.number > 1:
            return Period(self.frequency, self.fy, self.number - 1)
        return Period(self.frequency, self.fy - 1, self._count)

    @property
    def _count(self) -> int:
        return {Frequency.MONTHLY: 12, Frequency.QUARTERLY: 4, Frequency.ANNUAL: 1}[self.frequency]

    # Names
    @property
    def code(self) -> str:
        if self.frequency is Frequency.MONTHLY:
            return f"{self.start.year}-{self.start.month:02d}"
        if self.frequency is Frequency.QUARTERLY:
            return f"{self.fy}-{(self.fy + 1) % 100:02d}-q{self.number}"
        return f"{self.fy}-{(self.fy + 1) % 100:02d}"

    @property
    def label(self) -> str:
        """How people say it: "October 2025", "2025/26 Q3", "2025/26"."""
        if self.frequency is Frequency.MONTHLY:
            return f"{MONTH_NAMES[self.start.month - 1]} {self.start.year}"
        if self.frequency is Frequency.QUARTERLY:
            return f"{financial_year_label(self.fy)} Q{self.number}"
        return financial_year_label(self.fy)

    @property
    def long_label(self) -> str:
        if self.frequency is Frequency.QUARTERLY:
            first, last = self.start, self.end
            return (
                f"{self.label} ({MONTH_NAMES[first.month - 1]} to "
                f"{MONTH_NAMES[last.month - 1]} {last.year})"
            )
        if self.frequency is Frequency.ANNUAL:
            return f"{self.label} (1 April {self.fy} to 31 March {self.fy + 1})"
        return self.label

    def __lt__(self, other: Period) -> bool:
        return (self.start, self._count) < (other.start, other._count)

    def __str__(self) -> str:
        return self.label


def periods_in_year(fy: int, frequency: Frequency) -> list[Period]:
    first = Period(frequency, fy, 1)
    periods = [first]
    while len(periods) < first._count:
        periods.append(periods[-1].next())
    return periods
