"""bench/scale.py (linear cost from one ICB to England) still works: its quick mode runs
bench/icb.py at two tiny sizes on a throwaway PostgreSQL (a database made and dropped per
size) and prints the table of each request and its slope; its slope and parsing are
right on known input. No time is asserted: performance is measured by bench/, not tests."""

from __future__ import annotations

import importlib.util
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

SCALE = Path(__file__).resolve().parents[1] / "bench" / "scale.py"


def load_scale():
    spec = importlib.util.spec_from_file_location("bench_scale", SCALE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def icb_output(practices: int, warm: float, floor: float) -> str:
    """A section as bench/icb.py prints it."""
    rows = "\n".join(
        f"| {label} | {warm * 2:,.0f} | {warm:,.0f} | {floor:,.1f} | {warm / floor:,.0f}× | 2.0 |"
        for label in ("analyst home", "completeness", "ICB workbook")
    )
    return (
        "load average 1.50 1.00 0.50; 2 cores\n\n"
        f"### postgresql: {practices} practices in 2 PCNs, 100 live figures, 3 submitted\n\n"
        "| request | first ms | warm ms | floor ms | warm ÷ floor | first ÷ warm |\n"
        f"|---|---|---|---|---|---|\n{rows}\n\n"
        "ICB workbook (100 cells): warm 1 ms. Peak memory: the request 5.0 MB (6.0× the "
        "dump's 0.8 MB), the writer alone 4.5 MB (5.7×).\n"
    )


def test_the_slope_is_the_power_of_the_growth_and_the_tables_come_from_the_output():
    scale = load_scale()
    assert scale.slope([(10, 5.0), (100, 50.0), (1000, 500.0)]) == pytest.approx(1.0)
    assert scale.slope([(10, 1.0), (100, 100.0)]) == pytest.approx(2.0)
    assert scale.slope([(10, 1.0)]) is None
    # time doubling per size on top of linear: a slope above 1
    assert scale.slope([(10, 1.0), (100, 20.0)]) == pytest.approx(1 + math.log10(2))

    # 1,234 ms at 10 practices, 24,680 at 100: warm grows as practices ^ 1.30
    output = icb_output(10, 1234, 10) + icb_output(100, 24680, 100)
    runs = scale.parse(output)
    assert [(r.dialect, r.practices) for r in runs] == [("postgresql", 10), ("postgresql", 100)]
    assert runs[1].times["completeness"] == (49360.0, 24680.0, 100.0)
    assert runs[0].memory == (5.0, 0.8, 4.5)
    assert runs[0].load == (1.5, 1.0, 0.5)
    table = scale.report(runs)
    assert "| 100 | 24,680 | 100 | 246.8× |" in table
    assert "| completeness | postgresql | 10, 100 | 1.30 | no |" in table
    assert "| slope, all sizes | 1.30 | 1.00 |  |" in table


def test_quick_mode_runs_icb_bench_at_two_sizes_on_postgresql_and_prints_the_slopes():
    result = subprocess.run(
        [sys.executable, str(SCALE), "--quick", "--postgres-only"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert "bench/icb.py, postgresql, 5 practices" in out
    assert "bench/icb.py, postgresql, 20 practices" in out
    assert "exit 0" in out and "exit 1" not in out
    for request in ("analyst home", "completeness", "equity lens + every chart", "ICB workbook"):
        assert f"### {request}\n" in out, request
        # each request's slope, fitted over both sizes: a number, not a dash
        assert re.search(rf"\| {re.escape(request)} \| postgresql \| 5, 20 \| -?\d+\.\d\d \|", out)
    assert re.search(r"\| 20 \| [\d,.]+ \| [\d,.]+ \| [\d,.]+× \|", out)
