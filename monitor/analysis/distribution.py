"""A figure across practices: how many, and (when enough contribute) the median,
quartiles and range.

Medians and quartiles use linear interpolation between order statistics (numpy's
default; Excel QUARTILE.INC), as `monitor.analysis.equity.by_quintile` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from monitor.core.small_numbers import enough


@dataclass(frozen=True)
class Summary:
    """n, and (when at least MIN_PRACTICES contribute) median, quartiles and range."""

    n: int
    median: float | None = None
    q1: float | None = None
    q3: float | None = None
    minimum: float | None = None
    maximum: float | None = None

    @property
    def enough(self) -> bool:
        return enough(self.n)


def summarise(values: Sequence[float]) -> Summary:
    n = len(values)
    if not enough(n):
        return Summary(n)
    array = np.asarray(values, dtype=float)
    q1, median, q3 = (float(q) for q in np.percentile(array, [25, 50, 75]))
    return Summary(n, median, q1, q3, float(array.min()), float(array.max()))
