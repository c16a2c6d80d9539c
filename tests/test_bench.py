"""CI's short mode of the benches, which proves each still works and asserts no time
(performance is measured by bench/, not by timed tests): the load bench and the ICB bench
run their quick modes, the dashboard and summary benches run once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


def test_the_load_bench_runs_its_quick_mode_with_no_error_and_no_lost_write():
    """gunicorn and PostgreSQL as the README runs them, 3 users for 5 s: the bench's
    driver, its locustfile and the write check all work (no time is asserted)."""
    result = subprocess.run(
        [sys.executable, str(BENCH / "load.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert "Arrival: every user signing in as it starts" in result.stdout
    assert "Steady: all signed in, using the service at once" in result.stdout
    assert "| GET dashboard |" in result.stdout or "| POST figures save |" in result.stdout
    assert "lost writes: none" in result.stdout


def test_the_icb_bench_runs_on_a_tiny_icb_and_prints_its_table():
    result = subprocess.run(
        [sys.executable, str(BENCH / "icb.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    for request in ("analyst home", "completeness", "equity lens + every chart", "ICB workbook"):
        assert f"| {request} |" in result.stdout, request
    assert "write-only dump of the same cells" in result.stdout


@pytest.mark.parametrize(
    ("command", "printed"),
    [
        (["dashboard.py", "--repeat", "1"], "floor: bare SQL read of the dashboard's rows"),
        (["summary.py", "--quick"], "First download after a data change"),
    ],
)
def test_the_practice_benches_run_once_and_print_their_ratios(command, printed):
    script, *options = command
    result = subprocess.run(
        [sys.executable, str(BENCH / script), *options],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert printed in result.stdout
    assert "×" in result.stdout  # a ratio to the floor
