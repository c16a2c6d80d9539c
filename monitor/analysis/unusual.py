"""The soft check that catches typing slips (51000 for 5100): a new figure far from the
practice's own recent figures, measured robustly, asks the person to confirm it."""

from __future__ import annotations

import statistics

HISTORY_FOR_CHECK = 12
"""How many of the practice's most recent figures the check compares with."""
MIN_HISTORY_FOR_CHECK = 6
"""With fewer recent figures than this there is nothing to compare with."""
SOFT_CHECK_SPREAD = 5.0
"""A value further than this many robust standard deviations (1.4826 × MAD) from the
median of the practice's own recent values asks for confirmation."""


def is_unusual(value: float, history: list[float]) -> bool:
    """Far from the practice's own recent values, measured robustly (median and MAD)."""
    median = statistics.median(history)
    mad = statistics.median(abs(v - median) for v in history)
    spread = 1.4826 * mad
    if spread == 0:
        # A perfectly steady history: treat a change of more than half as unusual.
        return abs(value - median) > max(abs(median) * 0.5, 1.0)
    return abs(value - median) > SOFT_CHECK_SPREAD * spread


def worth_checking(history: list[float]) -> bool:
    return len(history) >= MIN_HISTORY_FOR_CHECK
