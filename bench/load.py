"""Load on the documented deployment: gunicorn + PostgreSQL, 50 signed-in practice users
and an ICB analyst for 60 seconds on loopback (locust, headless; bench/locustfile.py).

    .venv/bin/python bench/load.py [--users 50] [--seconds 60] [--workers 4] [--quick]

It starts a throwaway PostgreSQL server (initdb/pg_ctl, as the tests do), runs the
README's commands against it (`monitor db upgrade`, `monitor demo`), creates the
practice users through the accounts service (five at each demo practice, each given a
month of its practice's figures to save), starts gunicorn as the README runs it
(`gunicorn --workers N --bind 127.0.0.1:PORT 'monitor:create_app()'`, production
settings) and one `monitor worker`, measures the floor (the sign-in page, idle, 50 in a
row), runs the load, stops everything and prints per request type the count, failures,
p50 and p95 and their ratio to the same request alone, for each of the load's two phases
(bench/locustfile.py): arrival, every user signing in as it starts, and steady, the
--seconds after the last has signed in, all of them using the service at once.

Writes are checked, not assumed: every save that answered success must be in the
database (each changes one figure: its audit events and its final value are compared
with what the users saved), and no figure row may appear or vanish. It exits non-zero
on any failed request or lost write.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PASSWORD = "Load-bench-" + secrets.token_urlsafe(12)
USERS_PER_PRACTICE = 5


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50, help="practice users (default 50)")
    parser.add_argument("--seconds", type=int, default=60, help="length of the steady phase (60)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (4)")
    parser.add_argument("--spawn-rate", type=float, default=5, help="users started a second")
    parser.add_argument("--timeout", type=int, default=120, help="gunicorn's --timeout (120)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="3 users for 5 s on 2 workers, no summary timed alone, no wait for the "
        "worker's queued charts: proves the bench works",
    )
    args = parser.parse_args()
    if args.quick:
        args.users, args.seconds, args.workers = 3, 5, 2

    sys.path.insert(0, str(ROOT))
    from tests.postgres import TemporaryPostgres

    work = Path(tempfile.mkdtemp(prefix="monitor-load-"))
    server = TemporaryPostgres()
    processes: list[subprocess.Popen] = []
    try:
        url = server.start()
        database_url = _create_database(url, "monitor_load")
        env = {
            **os.environ,
            "MONITOR_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "DATABASE_URL": database_url,
            "FLASK_DEBUG": "0",
        }
        os.environ.update(env)
        _run([BIN / "monitor", "db", "upgrade"], env)
        _run([BIN / "monitor", "demo"], env)
        config = _arrange(database_url, args.users)
        config_path = work / "config.json"
        config_path.write_text(json.dumps(config), encoding="utf-8")
        before = _counts(database_url)

        port = _free_port()
        host = f"http://127.0.0.1:{port}"
        log = open(work / "gunicorn.log", "w")
        processes.append(
            subprocess.Popen(
                [BIN / "gunicorn", "--workers", str(args.workers), "--timeout", str(args.timeout),
                 "--bind", f"127.0.0.1:{port}", "monitor:create_app()"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )
        )  # fmt: skip
        processes.append(
            subprocess.Popen(
                [BIN / "monitor", "worker", "--workers", "1"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )
        )  # fmt: skip
        _wait_for(host)
        drained = None if args.quick else _drain_queue(database_url)
        floor = _floor(host)
        floor["load average"] = os.getloadavg()[0]
        floor["drained"] = drained
        alone = _alone(host, config, summaries=not args.quick)

        prefix = work / "stats"
        saves_path = work / "saves.json"
        arrival_path = work / "arrival.json"
        started = time.monotonic()
        locust = subprocess.run(
            [BIN / "locust", "-f", ROOT / "bench" / "locustfile.py", "--headless",
             "--users", str(args.users + 2), "--spawn-rate", str(args.spawn_rate),
             # The locustfile ends the run args.seconds after the last user signed in;
             # --run-time only bounds a run whose users never all sign in.
             "--run-time", f"{args.seconds + 600}s", "--stop-timeout", "60", "--host", host,
             "--csv", prefix, "--only-summary", "--loglevel", "WARNING"],
            cwd=ROOT, capture_output=True, text=True,
            env={**env, "BENCH_CONFIG": str(config_path), "BENCH_SAVES": str(saves_path),
                 "BENCH_ARRIVAL": str(arrival_path), "BENCH_STEADY_SECONDS": str(args.seconds)},
        )  # fmt: skip
        elapsed = time.monotonic() - started
        for process in reversed(processes):
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=60)
        processes.clear()
        if not saves_path.exists() or not arrival_path.exists():
            print(locust.stdout, locust.stderr, sep="\n")
            raise RuntimeError("locust did not finish, or not every user signed in")
        arrival = json.loads(arrival_path.read_text(encoding="utf-8"))
        steady_seconds = time.time() - arrival["ended"]
        saves = json.loads(saves_path.read_text(encoding="utf-8"))
        after = _counts(database_url)
        lost = _lost_writes(database_url, config, saves, before, after)
        rows = _stats(prefix.with_name("stats_stats.csv"))
        failures = _failures(prefix.with_name("stats_failures.csv"))
        _report(args, floor, alone, arrival["rows"], rows, saves, before, after, lost,
                failures, elapsed, steady_seconds)  # fmt: skip
        errors = sum(
            row["failures"] for row in [*arrival["rows"], *rows] if row["name"] != "Aggregated"
        )
        shutil.rmtree(work, ignore_errors=True)
        return 1 if errors or lost or locust.returncode not in (0, 1) else 0
    except BaseException:
        print(f"gunicorn's log is kept in {work}", file=sys.stderr)
        raise
    finally:
        for process in processes:
            process.kill()
        server.stop()


# -- arranging ---------------------------------------------------------------------------


def _create_database(server_url: str, name: str) -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def _arrange(database_url: str, users: int) -> dict:
    """Create the practice users (through the accounts service, as `monitor create-user`
    does, with a password that is not temporary) and give each a month of its practice's
    figures and one count figure in it to save; find the analyst and a collection."""
    from sqlmodel import Session, func, select

    from monitor import create_app
    from monitor.core.checklist import Frequency
    from monitor.demo import DEMO_PASSWORD
    from monitor.models import (
        Collection,
        MetricValue,
        Practice,
        PracticeReturn,
        Role,
        User,
    )
    from monitor.services.accounts import create_user
    from monitor.web.context import default_template

    app = create_app("production", DATABASE_URL=database_url)
    with app.app_context():
        template = default_template()
    counts = {
        item.id for item in template.items_for(Frequency.MONTHLY) if item.type.value == "count"
    }
    practice_users = []
    with Session(app.extensions["monitor.engine"]) as session:
        practices = session.exec(select(Practice).order_by(Practice.ods_code)).all()
        for n in range(users):
            practice = practices[n % len(practices)]
            turn = n // len(practices)
            months = session.exec(
                select(MetricValue)
                .where(
                    MetricValue.practice_id == practice.id,
                    MetricValue.frequency == "monthly",
                    MetricValue.import_id.is_(None),
                    MetricValue.item_id.in_(counts),
                    MetricValue.value_number.is_not(None),
                )
                .order_by(MetricValue.period_start.desc(), MetricValue.item_id)
            ).all()
            by_period: dict[str, MetricValue] = {}
            for value in months:
                by_period.setdefault(value.period_code, value)
            slot = list(by_period.values())[turn]
            email = f"load{n + 1:02d}@{practice.ods_code.lower()}.example"
            create_user(
                session,
                actor=None,
                passwords=app.extensions["monitor.passwords"],
                email=email,
                display_name=f"Load user {n + 1}",
                role=Role.PRACTICE_EDITOR,
                organisation_id=practice.id,
                password=PASSWORD,
                temporary=False,
            )
            practice_users.append(
                {
                    "email": email,
                    "practice_id": practice.id,
                    "period": slot.period_code,
                    "item": slot.item_id,
                    "value": slot.value_number,
                }
            )
        alone_email = f"alone@{practices[0].ods_code.lower()}.example"
        create_user(
            session,
            actor=None,
            passwords=app.extensions["monitor.passwords"],
            email=alone_email,
            display_name="Load user alone",
            role=Role.PRACTICE_EDITOR,
            organisation_id=practices[0].id,
            password=PASSWORD,
            temporary=False,
        )
        analyst = session.exec(select(User).where(User.role == Role.ICB_ANALYST)).first()
        collection_id, _ = session.exec(
            select(Collection.id, func.count(PracticeReturn.id))
            .join(PracticeReturn, PracticeReturn.collection_id == Collection.id)
            .where(PracticeReturn.status == "submitted")
            .group_by(Collection.id)
            .order_by(func.count(PracticeReturn.id).desc())
        ).first()
        analyst_config = {
            "email": analyst.email,
            "password": DEMO_PASSWORD,
            # The demo's fixed authenticator secret, where MFA is in place.
            "totp_secret": getattr(analyst, "totp_secret", None),
        }
    app.extensions["monitor.jobs"].close()
    app.extensions["monitor.engine"].dispose()
    return {
        "alone": alone_email,
        "password": PASSWORD,
        "practice_users": practice_users,
        "analyst": analyst_config,
        "collection_id": collection_id,
        "year": 2025,
    }


def _counts(database_url: str) -> dict[str, int]:
    from sqlalchemy import create_engine, func, select

    from monitor.models import AuditEvent, MetricValue

    engine = create_engine(database_url)
    with engine.connect() as connection:
        found = {
            "metric_value rows": connection.execute(
                select(func.count()).select_from(MetricValue)
            ).scalar(),
            "metric_value audit events": connection.execute(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.object_type == "metric_value")
            ).scalar(),
        }
    engine.dispose()
    return found


def _lost_writes(database_url, config, saves, before, after) -> list[str]:
    """Every save that answered success is in the database, and nothing else changed."""
    from sqlalchemy import create_engine, select

    from monitor.models import MetricValue

    lost = []
    if after["metric_value rows"] != before["metric_value rows"]:
        lost.append(f"figure rows {before['metric_value rows']} -> {after['metric_value rows']}")
    audited = after["metric_value audit events"] - before["metric_value audit events"]
    if audited != saves["ok"]:
        lost.append(f"{saves['ok']} saves answered success, {audited} audited changes")
    engine = create_engine(database_url)
    with engine.connect() as connection:
        for index, user in enumerate(config["practice_users"]):
            expected = saves["saved"].get(str(index), user["value"])
            stored = connection.execute(
                select(MetricValue.value_number).where(
                    MetricValue.practice_id == user["practice_id"],
                    MetricValue.item_id == user["item"],
                    MetricValue.period_code == user["period"],
                )
            ).scalar_one()
            if stored != expected:
                lost.append(f"{user['email']} {user['period']} {user['item']}: "
                            f"saved {expected}, stored {stored}")  # fmt: skip
    engine.dispose()
    return lost


# -- running -----------------------------------------------------------------------------


def _run(command: list, env: dict) -> None:
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{command} failed:\n{result.stdout}\n{result.stderr}")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(host: str) -> None:
    import requests

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{host}/sign-in", timeout=30).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer at {host}")


def _drain_queue(database_url: str, timeout: float = 900) -> float:
    """Wait until the worker has run every queued job (the demo's writes queue each
    practice's charts to be drawn): a deployment's steady state, in which the worker
    is idle until someone changes something. Seconds waited."""
    from monitor import create_app
    from monitor.jobs import jobs_of

    app = create_app("production", DATABASE_URL=database_url)
    queue = jobs_of(app).ready()
    started = time.monotonic()
    idle = 0
    while idle < 3 and time.monotonic() - started < timeout:
        waiting = queue.pending_count() + queue.scheduled_count()
        idle = idle + 1 if waiting == 0 else 0
        time.sleep(1)
    waited = time.monotonic() - started
    time.sleep(30)  # the last job taken may still be drawing (a practice: ~20 s idle)
    jobs_of(app).close()
    app.extensions["monitor.engine"].dispose()
    return waited


def _floor(host: str, repeat: int = 50) -> dict[str, float]:
    """The sign-in page on the idle server, one request after another: milliseconds."""
    import requests

    times = []
    with requests.Session() as session:
        for _ in range(repeat + 5):
            started = time.perf_counter()
            assert session.get(f"{host}/sign-in", timeout=10).status_code == 200
            times.append((time.perf_counter() - started) * 1000)
    times = sorted(times[5:])  # the first few warm each worker
    return {"p50": statistics.median(times), "p95": times[int(0.95 * len(times)) - 1]}


def _alone(host: str, config: dict, *, summaries: bool = True) -> dict[str, float]:
    """Each practice request type on the idle server for one signed-in user, one after
    another (median of 5 after one to warm up; the summary's first, cold, is its own
    line): what a request costs with no one else about. Milliseconds, by locust's name."""
    import re

    import requests
    from requests.cookies import RequestsCookieJar

    class ProxyJar(RequestsCookieJar):  # as bench/locustfile.py: Secure cookies over http
        def set_cookie(self, cookie, *args, **kwargs):
            cookie.secure = False
            return super().set_cookie(cookie, *args, **kwargs)

    csrf = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
    user = config["practice_users"][0]
    found = {}
    with requests.Session() as session:
        session.cookies = ProxyJar()
        token = csrf.search(session.get(f"{host}/sign-in").text).group(1)
        answer = session.post(
            f"{host}/sign-in",
            data={"email": config["alone"], "password": config["password"], "csrf_token": token},
            allow_redirects=False,
        )
        assert answer.status_code == 302, answer.status_code
        year = config["year"]
        requests_alone = [
            ("dashboard", "/dashboard", 6),
            ("figures form", f"/figures/{user['period']}", 6),
        ]
        if summaries:
            requests_alone += [
                ("summary .xlsx, first", f"/summary/impact-summary.xlsx?year={year}", 1),
                ("summary .xlsx", f"/summary/impact-summary.xlsx?year={year}", 3),
                ("summary .pdf", f"/summary/impact-summary.pdf?year={year}", 3),
            ]
        for name, path, repeat in requests_alone:
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                assert session.get(f"{host}{path}", timeout=300).status_code == 200, path
                times.append((time.perf_counter() - started) * 1000)
            found[name] = statistics.median(times[1:] if repeat > 1 else times)
    return found


# -- reporting ---------------------------------------------------------------------------


def _stats(path: Path) -> list[dict]:
    """The steady phase's rows of locust's CSV (a request type only the arrival phase
    made, such as signing in, has none)."""
    with open(path, encoding="utf-8") as file:
        return [
            {
                "name": row["Name"],
                "method": row["Type"],
                "count": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "p50": float(row["50%"]),
                "p95": float(row["95%"]),
            }
            for row in csv.DictReader(file)
            if int(row["Request Count"])
        ]


def _failures(path: Path) -> list[str]:
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as file:
        return [
            f"{row['Method']} {row['Name']}: {row['Error']} ({row['Occurrences']}x)"
            for row in csv.DictReader(file)
        ]


def _report(
    args, floor, alone, arrival, rows, saves, before, after, lost, failures, elapsed, steady
) -> None:
    print(
        f"\n{args.users} practice users + 1 ICB analyst + 1 anonymous visitor; steady phase "
        f"{args.seconds} s (ran {steady:.0f} s of {elapsed:.0f} s), "
        f"gunicorn --workers {args.workers} --timeout {args.timeout}, "
        f"load average before {floor['load average']:.1f}, "
        f"PostgreSQL on loopback"
    )
    if floor["drained"] is None:
        print("the worker's queued charts were not waited for (--quick)")
    else:
        print(f"the worker drew the demo's queued charts first: {floor['drained']:.0f} s")
    print(f"floor: the sign-in page on the idle server, p50 {floor['p50']:.0f} ms, "
          f"p95 {floor['p95']:.0f} ms\n")  # fmt: skip
    print("alone (one signed-in user, idle server): " + ", ".join(
        f"{name} {ms:.0f} ms" for name, ms in alone.items()))  # fmt: skip
    for title, phase in [
        ("Arrival: every user signing in as it starts", arrival),
        ("Steady: all signed in, using the service at once", rows),
    ]:
        print(f"\n{title}")
        _table(phase, floor, alone)
    print(f"\nsaves answered success: {saves['ok']}, failed: {saves['failed']}")
    for name in before:
        print(f"{name}: {before[name]:,} before, {after[name]:,} after")
    print("lost writes: " + ("; ".join(lost) if lost else "none"))
    for failure in failures:
        print("failure: " + failure)


def _table(rows, floor, alone) -> None:
    print(
        "\n| request | count | failures | p50 ms | p95 ms | alone ms | p50 × alone | p95 × alone |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for row in sorted(rows, key=lambda r: (r["name"] == "Aggregated", r["name"])):
        label = "all requests" if row["name"] == "Aggregated" else f"{row['method']} {row['name']}"
        base = alone.get(row["name"], floor["p50"] if row["name"].startswith("floor") else None)
        ratios = (
            f"{base:.0f} | {row['p50'] / base:.1f} | {row['p95'] / base:.1f}"
            if base
            else "– | – | –"
        )
        print(
            f"| {label} | {row['count']:,} | {row['failures']} | {row['p50']:.0f} | "
            f"{row['p95']:.0f} | {ratios} |"
        )


if __name__ == "__main__":
    sys.exit(main())
