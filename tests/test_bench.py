"""The load bench's pieces parse and its driver answers --help (it is never run here:
performance is measured by bench/, not by timed tests)."""

from __future__ import annotations

import py_compile
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"


def test_the_load_bench_parses_and_answers_help(tmp_path):
    py_compile.compile(str(BENCH / "locustfile.py"), cfile=str(tmp_path / "l.pyc"), doraise=True)
    result = subprocess.run(
        [sys.executable, str(BENCH / "load.py"), "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "--users" in result.stdout and "--workers" in result.stdout
