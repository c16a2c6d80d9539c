"""Rows that carry the practice → PCN → sub-ICB → ICB columns NHS England puts in its
GP publications (the GPAD Mapping.csv, Cloud Based Telephony Tables 3–5, the online
consultation Table 2), read the same way whichever publication they come from.

A row is one practice when its practice column holds a practice code. Everything else
in the table is passed over and counted: the national "Total" row, "Unassigned" and
"Unmapped" rows, blank separator rows and the footnotes under the table.
"""

from __future__ import annotations

from dataclasses import dataclass

from monitor.core.names import (
    NOT_A_PRACTICE,
    UNALLOCATED_PCN,
    is_practice_code,
    ods_code,
    tidy_name,
)
from monitor.importers.datasets import Extract, PracticeFacts
from monitor.importers.published import Grid, Problem, heading_key


@dataclass(frozen=True)
class Columns:
    """The headings (as `heading_key` makes them) of the hierarchy columns."""

    practice: str
    name: str
    pcn_code: str
    pcn_name: str
    icb_code: str
    icb_name: str


def read_rows(
    grid: Grid, header_row: int, found: dict[str, int], columns: Columns, extract: Extract
) -> list[Problem]:
    """Add a PracticeFacts to `extract` for every practice row below `header_row`."""
    at = {
        field: found[heading_key(getattr(columns, field))] for field in columns.__dataclass_fields__
    }
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for n in range(header_row + 1, len(grid.rows) + 1):
        raw = grid.text(n, at["practice"])
        code = ods_code(raw)
        if not code:
            continue
        if len(raw.split()) > 2 or len(code) > 10:
            extract.skipped["notes under the table"] += 1
            continue
        if not is_practice_code(code):
            reason = "national total" if code == "TOTAL" else "not one practice"
            if code in NOT_A_PRACTICE or not any(ch.isdigit() for ch in code):
                extract.skipped[f"{reason} (“{grid.text(n, at['practice'])}”)"] += 1
            else:
                problems.append(
                    Problem(
                        f"“{grid.text(n, at['practice'])}” is not a practice code",
                        sheet=grid.name,
                        row=n,
                        column=columns.practice,
                    )
                )
            continue
        extract.rows_read += 1
        if code in seen:
            continue  # a practice listed again (several suppliers): its first row counts
        seen[code] = n
        pcn_code = ods_code(grid.text(n, at["pcn_code"]))
        pcn_name = grid.text(n, at["pcn_name"])
        unallocated = pcn_code in UNALLOCATED_PCN or ods_code(pcn_name) in UNALLOCATED_PCN
        extract.practices.append(
            PracticeFacts(
                ods_code=code,
                sheet=grid.name,
                row=n,
                name=tidy_name(grid.text(n, at["name"])) or None,
                icb_code=ods_code(grid.text(n, at["icb_code"])) or None,
                icb_name=tidy_name(grid.text(n, at["icb_name"])) or None,
                pcn_code="" if unallocated or not pcn_code else pcn_code,
                pcn_name=None if unallocated else tidy_name(pcn_name) or None,
            )
        )
    return problems
