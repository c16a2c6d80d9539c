"""Linear cost from one ICB to England: bench/icb.py at several sizes, and the slope.

Runs bench/icb.py as a subprocess at each size (default 10, 136, 1,000 and 6,300
practices; PCNs about practices / 5.4, as 136 practices are in 25), on SQLite for sizes
up to 1,000 and on PostgreSQL for every size (a throwaway server from
tests/postgres.py, an empty database per size, dropped after). It prints each run's own
output as it comes, then, per request, a table of the warm time and its floor against
practices with the log-log slope (least squares of log time on log practices over all
sizes, and between consecutive sizes). A slope of 1 is linear cost; the issue's target
is <= 1.1. No figure is judged here: the tables are for bench/README.md.

    .venv/bin/python bench/scale.py [--sizes 10,136,1000,6300] [--repeat 3]
                                    [--postgres-only | --sqlite-only] [--quick]
    .venv/bin/python bench/scale.py --parse saved-output.txt [...]

`--quick` is sizes 5 and 20, one repeat, to prove the script works (tests/test_bench_scale.py).
`--parse` builds the tables from saved outputs of this script or of bench/icb.py instead
of running anything (to join runs made at different times).
"""

from __future__ import annotations

import argparse
import math
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SQLITE_UP_TO = 1000
REQUESTS = (
    "analyst home",
    "completeness",
    "distribution of one item + chart",
    "equity lens + every chart",
    "ICB workbook",
)
HEADER = re.compile(r"^### (\w+): (\d+) practices in (\d+) PCNs")
ROW = re.compile(r"^\| (.+?) \| ([\d,.]+) \| ([\d,.]+) \| ([\d,.]+) \|")
MEMORY = re.compile(r"Peak memory: the request ([\d.]+) MB .*?the dump's ([\d.]+) MB\), "
                    r"the writer alone ([\d.]+) MB")  # fmt: skip
LOAD = re.compile(r"^load average ([\d.]+) ([\d.]+) ([\d.]+)")


@dataclass
class Run:
    dialect: str
    practices: int
    pcns: int
    load: tuple[float, float, float] | None = None
    # request label -> (first ms, warm ms, floor ms)
    times: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    memory: tuple[float, float, float] | None = None  # request, dump, writer MB


def number(text: str) -> float:
    return float(text.replace(",", ""))


def parse(output: str) -> list[Run]:
    """Every `### dialect: N practices` section of bench/icb.py's output."""
    runs: list[Run] = []
    load = None
    for line in output.splitlines():
        if m := LOAD.match(line):
            load = tuple(float(x) for x in m.groups())
        elif m := HEADER.match(line):
            runs.append(Run(m[1], int(m[2]), int(m[3]), load))
        elif runs and (m := ROW.match(line)) and m[1] in REQUESTS:
            runs[-1].times[m[1]] = (number(m[2]), number(m[3]), number(m[4]))
        elif runs and (m := MEMORY.search(line)):
            runs[-1].memory = (float(m[1]), float(m[2]), float(m[3]))
    return [run for run in runs if run.times]


def slope(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of log y on log x (None with fewer than two sizes)."""
    points = [(x, y) for x, y in points if x > 0 and y > 0]
    if len({x for x, _ in points}) < 2:
        return None
    xs = [math.log(x) for x, _ in points]
    ys = [math.log(y) for _, y in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx


def fmt_ms(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f}" if value >= 10 else f"{value:,.1f}"


def fmt_slope(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def report(runs: list[Run]) -> str:
    """Per request: warm and floor against practices for each database, and the slopes."""
    dialects = sorted({run.dialect for run in runs}, key=lambda d: (d != "sqlite", d))
    sizes = sorted({run.practices for run in runs})
    found = {(run.dialect, run.practices): run for run in runs}  # the last run of a size wins
    lines = [
        "",
        "## Warm ms against practices (floor beside it; slope of log time on log practices)",
    ]
    loads = [f"{run.dialect} {run.practices}: {run.load[0]:.2f}" for run in runs if run.load]
    if loads:
        lines.append("load average (1 min) at the start of each run: " + ", ".join(loads))
    summary = []
    for label in REQUESTS:
        lines += ["", f"### {label}", ""]
        head = ["practices"]
        for dialect in dialects:
            head += [f"{dialect} warm", f"{dialect} floor", f"{dialect} warm ÷ floor"]
        lines.append("| " + " | ".join(head) + " |")
        lines.append("|" + "---|" * len(head))
        for size in sizes:
            cells = [f"{size:,}"]
            for dialect in dialects:
                run = found.get((dialect, size))
                t = run.times.get(label) if run else None
                if t:
                    cells += [fmt_ms(t[1]), fmt_ms(t[2]), f"{t[1] / t[2]:,.1f}×" if t[2] else "–"]
                else:
                    cells += ["–", "–", "–"]
            lines.append("| " + " | ".join(cells) + " |")
        fits: list[tuple[str, dict[str, list[tuple[float, float]]]]] = []
        for dialect in dialects:
            warm, floor = [], []
            for size in sizes:
                run = found.get((dialect, size))
                if run and label in run.times:
                    warm.append((size, run.times[label][1]))
                    floor.append((size, run.times[label][2]))
            fits.append((dialect, {"warm": warm, "floor": floor}))
        cells = ["slope, all sizes"]
        for dialect, series in fits:
            s = slope(series["warm"])
            cells += [fmt_slope(s), fmt_slope(slope(series["floor"])), ""]
            summary.append((label, dialect, s, series["warm"]))
        lines.append("| " + " | ".join(cells) + " |")
        for a, b in zip(sizes, sizes[1:], strict=False):
            cells = [f"slope {a:,} → {b:,}"]
            for _dialect, series in fits:
                for key in ("warm", "floor"):
                    pair = [p for p in series[key] if p[0] in (a, b)]
                    cells.append(fmt_slope(slope(pair)))
                cells.append("")
            lines.append("| " + " | ".join(cells) + " |")
    memory = [run for run in runs if run.memory]
    if memory:
        lines += ["", "### ICB workbook peak memory (MB, tracemalloc)", ""]
        lines.append("| database | practices | request | writer alone | dump (floor) |")
        lines.append("|---|---|---|---|---|")
        for run in sorted(memory, key=lambda r: (r.dialect != "sqlite", r.dialect, r.practices)):
            request, dump, writer = run.memory
            lines.append(f"| {run.dialect} | {run.practices:,} | {request:.1f} | {writer:.1f} "
                         f"| {dump:.1f} |")  # fmt: skip
        for dialect in dialects:
            points = [(r.practices, r.memory[0]) for r in memory if r.dialect == dialect]
            lines.append(f"\n{dialect}: slope of the request's peak memory "
                         f"{fmt_slope(slope(points))}")  # fmt: skip
    lines += ["", "### Slopes (warm, all sizes; target <= 1.1)", ""]
    lines.append("| request | database | sizes | slope | within 1.1 |")
    lines.append("|---|---|---|---|---|")
    for label, dialect, s, points in summary:
        sized = ", ".join(f"{int(x):,}" for x, _ in points)
        verdict = "–" if s is None else ("yes" if s <= 1.1 else "no")
        lines.append(f"| {label} | {dialect} | {sized} | {fmt_slope(s)} | {verdict} |")
    lines += ["", "### Warm ms by practices, in one table", ""]
    head = ["request", "database", *(f"{size:,}" for size in sizes), "slope, all"]
    head += [f"slope {a:,} → {b:,}" for a, b in zip(sizes, sizes[1:], strict=False)]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "---|" * len(head))
    for label, dialect, s, points in summary:
        warm = dict(points)
        cells = [label, dialect, *(fmt_ms(warm.get(size)) for size in sizes), fmt_slope(s)]
        for a, b in zip(sizes, sizes[1:], strict=False):
            pair = [(x, y) for x, y in points if x in (a, b)]
            cells.append(fmt_slope(slope(pair)))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- running


def pcns_for(practices: int) -> int:
    return max(1, round(practices * 25 / 136))


def run_icb(practices: int, repeat: int, postgres: str | None) -> str:
    command = [sys.executable, str(ROOT / "bench" / "icb.py"), "--practices", str(practices),
               "--pcns", str(pcns_for(practices)), "--repeat", str(repeat)]  # fmt: skip
    if postgres:
        command += ["--postgres", postgres, "--no-sqlite"]
    where = "postgresql" if postgres else "sqlite"
    print(f"\n---- bench/icb.py, {where}, {practices:,} practices "
          f"({pcns_for(practices)} PCNs), repeat {repeat}", flush=True)  # fmt: skip
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    elapsed = time.perf_counter() - started
    print(result.stdout, end="", flush=True)
    load = os.getloadavg()
    print(f"---- took {elapsed:,.0f} s; load average at the end {load[0]:.2f} {load[1]:.2f} "
          f"{load[2]:.2f}; exit {result.returncode}", flush=True)  # fmt: skip
    if result.returncode:
        print(result.stderr[-3000:], file=sys.stderr, flush=True)
    return result.stdout


def with_database(server_url: str, name: str, action):
    """Run action(url) against a new empty database on the server, dropped after."""
    from sqlalchemy import create_engine, text

    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        return action(server_url.rsplit("/", 1)[0] + f"/{name}")
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,136,1000,6300",
                        help="practice counts, comma-separated")  # fmt: skip
    parser.add_argument("--repeat", type=int, default=3, help="warm repeats per request")
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--postgres-only", action="store_true", help="no SQLite runs")
    only.add_argument("--sqlite-only", action="store_true", help="no PostgreSQL runs")
    parser.add_argument("--postgres", metavar="URL",
                        help="a PostgreSQL server to use (its maintenance database's URL) "
                             "instead of starting a throwaway one")  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="sizes 5 and 20, one repeat")
    parser.add_argument("--parse", nargs="+", metavar="FILE",
                        help="only build the tables from saved outputs")  # fmt: skip
    args = parser.parse_args()
    if args.parse:
        runs = [run for name in args.parse for run in parse(Path(name).read_text())]
        print(report(runs))
        return
    if args.quick:
        args.sizes, args.repeat = "5,20", 1
    sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
    if not sizes or min(sizes) < 1:
        parser.error("--sizes: positive practice counts, comma-separated")
    load = os.getloadavg()
    print(f"bench/scale.py: sizes {sizes}, repeat {args.repeat}; load average {load[0]:.2f} "
          f"{load[1]:.2f} {load[2]:.2f}; {os.cpu_count()} cores", flush=True)  # fmt: skip
    outputs: list[str] = []
    if not args.postgres_only:
        for size in sizes:
            if size <= SQLITE_UP_TO:
                outputs.append(run_icb(size, args.repeat, None))
    if not args.sqlite_only:
        server = None
        url = args.postgres
        if url is None:
            from tests.postgres import TemporaryPostgres

            server = TemporaryPostgres()
            url = server.start()
        try:
            for size in sizes:
                outputs.append(
                    with_database(
                        url,
                        f"bench_scale_{size}",
                        lambda db, size=size: run_icb(size, args.repeat, db),
                    )  # fmt: skip
                )
        finally:
            if server is not None:
                server.stop()
    print(report([run for output in outputs for run in parse(output)]))


if __name__ == "__main__":
    main()
