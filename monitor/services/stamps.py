"""The aggregates a data stamp is made of (the stamps that key cached pages and charts:
icb_views.collection_stamp and live_stamp, evidence.figures_stamps)."""

from __future__ import annotations

from sqlalchemy import Numeric, cast, func


def exact_sum(column):
    """SUM(column) as an exact NUMERIC, the same however the rows are added up.

    A stamp must be the same for the same rows. A float sum is not: its last digits
    depend on the order of the additions, and PostgreSQL sums a large table in parallel
    workers whose share of the rows differs from one query to the next (three runs over
    the same 548,390 figures of the 1,000-practice bench gave three sums). Summed as
    floats, the collection's stamps changed on every request and no cached ICB page was
    ever read again. NUMERIC addition is exact, so any order gives the same total."""
    return func.sum(cast(column, Numeric))
