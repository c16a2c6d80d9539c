"""The load bench's pieces parse and its driver answers --help (it is never run here:
performance is measured by bench/, not by timed tests); the ICB bench runs its quick mode
(a tiny ICB, one repeat) and the dashboard and summary benches run once: CI's short mode
of `make bench`, which proves each still works and asserts no time."""

from __future__ import annotations

import py_compile
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


def test_the_load_bench_parses_and_answers_help(tmp_path):
    py_compile.compile(str(BENCH / "locustfile.py"), cfile=str(tmp_path / "l.pyc"), doraise=True)
    result = subprocess.run(
        [sys.executable, str(BENCH / "load.py"), "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "--users" in result.stdout and "--workers" in result.stdout


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
    ("script", "printed"),
    [
        ("dashboard.py", "floor: bare SQL read of the dashboard's rows"),
        ("summary.py", "floor: bare SQL read of the summary's rows"),
    ],
)
def test_the_practice_benches_run_once_and_print_their_ratios(script, printed):
    result = subprocess.run(
        [sys.executable, str(BENCH / script), "--repeat", "1"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert printed in result.stdout
    assert "×" in result.stdout  # a ratio to the floor
