"""Time the ICB analyst's views of one collection against the bare read of their rows.

A synthetic ICB (136 practices in 25 PCNs by default) with 60 months of every template
item for every practice (as bench/dashboard.py seeds one practice), a few spending items
each, and an annual collection (2025/26) that 73% of the practices (99 of 136) submitted
through `collections.submit`, the path a practice's submission takes. Then, signed in as
the ICB analyst through the test client:

- the analyst's home page (practices grouped by PCN);
- completeness of the collection;
- the distribution of one item, with its chart;
- the equity lens, with every chart image it embeds (as a browser fetches them);
- the ICB workbook: time, and peak memory (tracemalloc) of the whole request (its body
  read a block at a time, as a server sends it, not kept by the client) and of the
  writer alone (given the loaded collection).

"First" is the first request in a new app (empty chart cache, templates not compiled);
"warm" the median of --repeat more: the server's time for the page and its images (the
page is parsed for its images outside the timing). With the distribution or the equity
lens chosen, they are timed again after a change (one more practice submits), first
and warm, with the ICB charts' job run after the change and without, interleaved.
Each is set against a floor measured in the same run: the bare SQL read of the rows the
page summarises (median of --repeat), and for the workbook an openpyxl write-only dump
of the same cells (values and number formats, read back from the workbook made) to a
temporary file.

    .venv/bin/python bench/icb.py [--practices 136] [--repeat 5] [--postgres URL] [--quick]
                                  [--only home,completeness,distribution,equity,workbook]

`--postgres URL` runs the same on PostgreSQL too (an empty database: the script creates
and drops its tables). `--quick` is a tiny ICB and one repeat, to prove the script works.
`--only` chooses the requests timed (comma-separated short names; all by default); the
workbook's memory and its dump floor are measured only with the workbook chosen.
"""

from __future__ import annotations

import argparse
import functools
import gc
import logging
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bs4 import BeautifulSoup  # noqa: E402
from openpyxl import Workbook, load_workbook  # noqa: E402
from openpyxl.cell.cell import WriteOnlyCell  # noqa: E402
from sqlalchemy import create_engine, insert, text  # noqa: E402
from sqlmodel import Session, SQLModel, select  # noqa: E402

from monitor import create_app  # noqa: E402
from monitor.core.checklist import ItemType  # noqa: E402
from monitor.core.clock import today, utcnow  # noqa: E402
from monitor.core.periods import Period  # noqa: E402
from monitor.models import (  # noqa: E402
    Collection,
    HepAllocation,
    Icb,
    MetricValue,
    Pcn,
    Practice,
    PracticeReturn,
    Role,
    SpendItem,
    User,
)
from monitor.services import collections  # noqa: E402
from tests.client import PageClient  # noqa: E402
from tests.factories import make_user  # noqa: E402

COLLECTION_PERIOD = "2025-26"
SHARE_SUBMITTED = 0.73  # 99 of 136
CATEGORIES = ("clinical_staff", "non_clinical_staff", "extra_hours", "telephony")


@dataclass
class Scene:
    url: str
    collection_id: int
    analyst_email: str
    item_id: str  # the distribution's item
    practices: int
    submitted: int
    figures: int


# --------------------------------------------------------------------------- seeding


def seed(url: str, practices: int, pcns: int) -> Scene:
    engine = create_engine(url)
    SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)
    app = create_app("test", DATABASE_URL=url)
    rng = random.Random(17)
    end = today()
    with app.app_context():
        from monitor.web.context import default_template

        template = default_template()
    with Session(engine) as session:
        icb = Icb(code="QB1", name="Bench ICB")
        session.add(icb)
        session.flush()
        groups = [Pcn(code=f"U{n:05d}", name=f"Bench PCN {n:02d}", icb_id=icb.id)
                  for n in range(1, pcns + 1)]  # fmt: skip
        session.add_all(groups)
        session.flush()
        members = []
        for n in range(practices):
            decile = n % 10 + 1
            members.append(
                Practice(
                    ods_code=f"Z{n:05d}",
                    name=f"Bench Practice {n:04d}",
                    icb_id=icb.id,
                    pcn_id=groups[n % pcns].id,
                    list_size=rng.randint(3000, 20000),
                    imd_decile=decile,
                    imd_score=45 - 4 * decile + rng.uniform(0, 3),
                    rurality="urban",
                )
            )
        session.add_all(members)
        session.flush()
        ids = [p.id for p in members]
        now = utcnow()
        rows = []
        for practice_id in ids:
            for fy in range(end.year - 5, end.year + 1):
                session.add(HepAllocation(practice_id=practice_id, financial_year=fy,
                                          amount=30000 + rng.randint(0, 40000)))  # fmt: skip
            for k, category in enumerate(CATEGORIES):
                cost = Decimal(rng.randint(2000, 20000))
                session.add(
                    SpendItem(practice_id=practice_id, spent_on=date(2025, 5 + 2 * k, 10),
                              category=category, description=f"Bench {category}",
                              total_cost=cost, hep_amount=(cost * Decimal("0.6")).quantize(
                                  Decimal("0.01")), recurrence="recurrent")
                )  # fmt: skip
            for item in template.items:
                if item.type is ItemType.TEXT or item.id == "hep_allocation":
                    continue
                period = Period.containing(date(end.year - 5, end.month, 1), item.frequency)
                last = Period.latest_complete(end, item.frequency)
                low, high = item.min or 0, item.max or 100
                level = low + (high - low) * rng.uniform(0.2, 0.4)
                while not last < period:
                    value = max(low, min(high, level + rng.gauss(0, 0.05 * level)))
                    if item.type in (ItemType.COUNT, ItemType.DURATION):
                        value = round(value)
                    rows.append(
                        {"practice_id": practice_id, "item_id": item.id,
                         "frequency": item.frequency.value, "period_code": period.code,
                         "period_start": period.start, "value_number": value,
                         "template_id": template.id, "template_version": template.version,
                         "version": 1, "created_at": now, "updated_at": now}
                    )  # fmt: skip
                    period = period.next()
        for start in range(0, len(rows), 20000):
            session.execute(insert(MetricValue), rows[start : start + 20000])
        period = Period.parse(COLLECTION_PERIOD)
        collection = Collection(
            icb_id=icb.id, name="2025/26 annual light-touch return",
            template_id=template.id, template_version=template.version,
            period_code=period.code, opens_on=period.end + timedelta(days=1),
            due_on=date(2099, 12, 31),
        )  # fmt: skip
        session.add(collection)
        session.commit()
        analyst = make_user(session, role=Role.ICB_ANALYST, organisation=icb)
        chosen = ids[: round(practices * SHARE_SUBMITTED)]
        for practice_id in chosen:
            collections.submit(session, user=None, collection=collection,
                               practice_id=practice_id, template=template, today=end)  # fmt: skip
        item_id = next(i.id for i in template.items if i.type is ItemType.PERCENT)
        scene = Scene(url, collection.id, analyst.email, item_id, practices, len(chosen),
                      len(rows))  # fmt: skip
    engine.dispose()
    app.extensions["monitor.engine"].dispose()
    return scene


# --------------------------------------------------------------------------- requests


def signed_in(scene: Scene):
    app = create_app("test", DATABASE_URL=scene.url)
    app.test_client_class = PageClient
    client = app.test_client()
    client.sign_in(scene.analyst_email)
    return app, client


def get_ok(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data()


def images_of(body: bytes) -> list[str]:
    """The chart images a page embeds, as a browser would fetch them."""
    soup = BeautifulSoup(body.decode(), "html.parser")
    return [image["src"] for image in soup.select("main img[src]")]


def fetch(client, url: str, *, with_images: bool = False) -> bytes:
    body = get_ok(client, url)
    if with_images:
        for src in images_of(body):
            get_ok(client, src)
    return body


def timed_fetch(client, url: str, *, with_images: bool = False) -> float:
    """Milliseconds of the page's request and its images' (the page is parsed for them
    outside the timing: that is the browser's work, not the server's)."""
    started = time.perf_counter()
    body = get_ok(client, url)
    spent = time.perf_counter() - started
    if with_images:
        sources = images_of(body)
        started = time.perf_counter()
        for src in sources:
            get_ok(client, src)
        spent += time.perf_counter() - started
    return spent * 1000


def ms(action) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


# --only's short names → the labels printed
SHORT_NAMES = {
    "home": "analyst home",
    "completeness": "completeness",
    "distribution": "distribution of one item + chart",
    "equity": "equity lens + every chart",
    "workbook": "ICB workbook",
}


def requests(scene: Scene) -> dict[str, str | tuple[str, bool]]:
    c = f"/collections/{scene.collection_id}"
    return {
        "analyst home": "/",
        "completeness": f"{c}/completeness",
        "distribution of one item + chart": (f"{c}/metrics/{scene.item_id}", True),
        "equity lens + every chart": (f"{c}/equity", True),
        "ICB workbook": f"{c}/workbook.xlsx",
    }


def chosen_labels(only: str | None) -> list[str]:
    """The labels --only names (every request without it); an unknown name is an error."""
    if not only:
        return list(SHORT_NAMES.values())
    names = [name.strip() for name in only.split(",") if name.strip()]
    unknown = [name for name in names if name not in SHORT_NAMES]
    if unknown or not names:
        raise SystemExit(
            f"--only: unknown request {', '.join(unknown) or '(none)'}; "
            f"choose from {', '.join(SHORT_NAMES)}"
        )
    return [label for short, label in SHORT_NAMES.items() if short in names]


def time_requests(scene: Scene, repeat: int, labels: list[str]) -> dict[str, tuple[float, float]]:
    """Label → (first, warm median) in ms; each page in an app of its own."""
    out = {}
    for label, target in requests(scene).items():
        if label not in labels:
            continue
        url, with_images = target if isinstance(target, tuple) else (target, False)
        app, client = signed_in(scene)

        def get(client=client, url=url, with_images=with_images):
            return timed_fetch(client, url, with_images=with_images)

        first = get()
        warm = [get() for _ in range(repeat)]
        out[label] = (first, statistics.median(warm))
        app.extensions["monitor.engine"].dispose()
    return out


def peak_mb(action) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def workbook_memory(scene: Scene) -> tuple[float, float, bytes]:
    """Peak MB of the whole workbook request, of the writer alone, and the workbook."""
    app, client = signed_in(scene)
    url = requests(scene)["ICB workbook"]
    found = [fetch(client, url)]  # warm: templates, the session, imports

    def streamed() -> None:  # as a server sends it: a block at a time, none of it kept
        response = client.get(url, buffered=False)
        assert response.status_code == 200, response.status_code
        for _block in response.response:
            pass
        response.close()

    request_peak = peak_mb(streamed)
    from monitor.exporters import icb_workbook as writer
    from monitor.services import icb_views
    from monitor.web.context import templates

    with app.app_context(), Session(app.extensions["monitor.engine"]) as session:
        user = session.exec(select(User).where(User.email == scene.analyst_email)).one()
        collection = session.get(Collection, scene.collection_id)
        template = templates()[(collection.template_id, collection.template_version)]
        try:  # as the route asks since issue 17: the tidy rows streamed from their query
            from monitor.services import icb_tidy
        except ImportError:  # main before it
            icb_tidy = None
        data = icb_views.load(
            session, user=user, collection=collection, template=template,
            **({"snapshot": False} if icb_tidy else {}),
        )  # fmt: skip
        states = icb_views.practice_states(session, collection, data.practices, template)
        with tempfile.TemporaryFile() as out:
            if icb_tidy is not None:
                tidy = icb_tidy.Tidy(session, data)
                writer_peak = peak_mb(
                    lambda: writer.write_icb_workbook(data, states, out, tidy=tidy)
                )
            elif hasattr(writer, "write_icb_workbook"):
                writer_peak = peak_mb(lambda: writer.write_icb_workbook(data, states, out))
            else:
                writer_peak = peak_mb(lambda: out.write(writer.icb_workbook(data, states)))
    app.extensions["monitor.engine"].dispose()
    return request_peak, writer_peak, found[0]


def _draw_icb_charts(app, session, collection_id: int) -> None:
    """What the worker runs after a return is submitted (monitor.services.icb_prerender)."""
    from monitor.services import icb_prerender

    cache = app.extensions["monitor.chart_cache"]
    icb_prerender.draw_collection(
        session, collection_id, templates=app.extensions["monitor.templates"],
        svg=lambda key, draw: cache.get_or_render(key, "svg", draw),
    )  # fmt: skip


def after_a_change(scene: Scene, repeat: int, labels: list[str]) -> dict[str, list[float]]:
    """The first view after a data change (one more practice submits), with the ICB
    charts' job run first (monitor.services.icb_prerender.draw_collection, what the worker
    runs when a return is submitted) and without it, interleaved, each in a new app with
    an empty chart cache; and the warm view after it. Label → milliseconds per round."""
    from monitor.web.context import templates

    shown = {label: target for label, target in requests(scene).items()
             if label in labels and isinstance(target, tuple)}  # fmt: skip
    times: dict[str, list[float]] = {"job": []}
    if not shown:
        return times  # nothing to time: change nothing (the workbook is timed after this)
    with tempfile.TemporaryDirectory() as folder:
        for n in range(repeat):
            for with_job in (False, True):
                app = create_app("test", DATABASE_URL=scene.url,
                                 CHART_CACHE_DIR=str(Path(folder) / f"{n}-{with_job}"))  # fmt: skip
                app.test_client_class = PageClient
                client = app.test_client()
                client.sign_in(scene.analyst_email)
                with app.app_context(), Session(app.extensions["monitor.engine"]) as session:
                    collection = session.get(Collection, scene.collection_id)
                    template = templates()[(collection.template_id, collection.template_version)]
                    answered = select(PracticeReturn.practice_id).where(
                        PracticeReturn.collection_id == collection.id
                    )
                    practice_id = session.exec(
                        select(Practice.id)
                        .where(Practice.id.not_in(answered))
                        .order_by(Practice.id)
                    ).first()
                    if practice_id is None:  # every practice has answered: no change left
                        rounds = len(times["job"])  # keep whole rounds (without, then with)
                        return {key: values[:rounds] for key, values in times.items()}
                    collections.submit(session, user=None, collection=collection,
                                       practice_id=practice_id, template=template,
                                       today=today())  # fmt: skip
                    if with_job:
                        times["job"].append(ms(functools.partial(_draw_icb_charts, app, session,
                                                                 collection.id)))  # fmt: skip
                for label, (url, with_images) in shown.items():
                    first = timed_fetch(client, url, with_images=with_images)
                    warm = statistics.median(
                        timed_fetch(client, url, with_images=with_images) for _ in range(3)
                    )
                    side = "with the job" if with_job else "without"
                    times.setdefault(f"{label}: first, {side}", []).append(first)
                    times.setdefault(f"{label}: warm, {side}", []).append(warm)
                app.extensions["monitor.engine"].dispose()
    return times


# --------------------------------------------------------------------------- floors


def floor_reads(scene: Scene, repeat: int, labels: list[str]) -> dict[str, float]:
    """Label → median ms of the bare SQL read of the rows each page summarises."""
    engine = create_engine(scene.url)
    c = scene.collection_id
    practices = "SELECT id, ods_code, name, pcn_id, list_size, imd_decile, imd_score FROM practice"
    pcns = "SELECT id, code, name FROM pcn"
    returns = ("SELECT id, practice_id, pcn_id, status, submitted_at, withdrawn_at "
               f"FROM practice_return WHERE collection_id = {c}")  # fmt: skip
    submitted = f"SELECT id FROM practice_return WHERE collection_id = {c} AND status = 'submitted'"
    period = Period.parse(COLLECTION_PERIOD)
    live = (
        "SELECT practice_id, item_id, period_code, value_number, updated_at FROM metric_value "
        f"WHERE period_start >= '{period.start}' AND period_start <= '{period.end}' AND "
        "practice_id NOT IN (SELECT practice_id FROM practice_return WHERE "
        f"collection_id = {c} AND status = 'submitted')"
    )
    values = ("SELECT return_id, item_id, period_code, value_number FROM return_value "
              f"WHERE return_id IN ({submitted})")  # fmt: skip
    one_item = values + f" AND item_id = '{scene.item_id}'"
    spend = (f"SELECT return_id, category, hep_amount, total_cost FROM return_spend "
             f"WHERE return_id IN ({submitted})")  # fmt: skip
    reads = {
        "analyst home": [practices, pcns],
        "completeness": [practices, pcns, returns, live],
        "distribution of one item + chart": [practices, pcns, returns, one_item],
        "equity lens + every chart": [practices, pcns, returns, values],
        "ICB workbook": [practices, pcns, returns, values, spend],
    }
    out = {}
    for label, queries in reads.items():
        if label not in labels:
            continue

        def read(queries=queries):
            with engine.connect() as connection:
                for query in queries:
                    connection.execute(text(query)).fetchall()

        read()
        out[label] = statistics.median(ms(read) for _ in range(repeat))
    engine.dispose()
    return out


def cells_of(body: bytes) -> list[tuple[str, list[tuple[tuple[object, str], ...]]]]:
    """Every sheet's cells of a workbook, as (value, number format).

    Read-only mode, a row at a time from the zip: it gives the same values and formats as
    normal mode (its rows stop at their last cell, where normal mode pads them with empty
    cells the dump would not write), without a `Cell` object per cell for the whole book:
    normal mode had not read the 6.4 million cells of 6,300 practices after 80 minutes.
    """
    import io

    book = load_workbook(io.BytesIO(body), read_only=True)
    try:
        return [
            (ws.title, [tuple((cell.value, cell.number_format) for cell in row)
                        for row in ws.iter_rows()])
            for ws in book
        ]  # fmt: skip
    finally:
        book.close()


def floor_dump(sheets) -> None:
    """The floor: the same cells through openpyxl's write-only mode, to a temporary file."""
    book = Workbook(write_only=True)
    for title, rows in sheets:
        ws = book.create_sheet(title)
        for row in rows:
            out = []
            for value, number_format in row:
                if number_format == "General" or value is None:
                    out.append(value)
                else:
                    cell = WriteOnlyCell(ws, value)
                    cell.number_format = number_format
                    out.append(cell)
            ws.append(out)
    with tempfile.TemporaryFile() as file:
        book.save(file)


# --------------------------------------------------------------------------- report


def run(url: str, args) -> None:
    scene = seed(url, args.practices, args.pcns)
    print(f"\n### {create_engine(url).dialect.name}: {scene.practices} practices in "
          f"{args.pcns} PCNs, {scene.figures:,} live figures, {scene.submitted} submitted "
          f"returns of an annual collection ({COLLECTION_PERIOD}); warm = median of "
          f"{args.repeat}\n")  # fmt: skip
    labels = chosen_labels(args.only)
    timed = time_requests(scene, args.repeat, labels)
    floors = floor_reads(scene, args.repeat, labels)
    with_workbook = "ICB workbook" in labels
    if with_workbook:
        request_peak, writer_peak, body = workbook_memory(scene)
        sheets = cells_of(body)
        cells = sum(len(row) for _, rows in sheets for row in rows)
        floor_dump(sheets)  # warm
        dump_ms = statistics.median(ms(lambda: floor_dump(sheets)) for _ in range(args.repeat))
        dump_peak = peak_mb(lambda: floor_dump(sheets))
        floors["ICB workbook"] = dump_ms  # its floor is the dump, not the read
    print("| request | first ms | warm ms | floor ms | warm ÷ floor | first ÷ warm |")
    print("|---|---|---|---|---|---|")
    for label, (first, warm) in timed.items():
        print(f"| {label} | {first:,.0f} | {warm:,.0f} | {floors[label]:,.1f} | "
              f"{warm / floors[label]:,.0f}× | {first / warm:.1f} |")  # fmt: skip
    changed = after_a_change(scene, min(args.repeat, 3), labels)
    if changed["job"]:
        print(f"\nFirst view after a change (one more practice submits; median of "
              f"{len(changed['job'])} interleaved rounds, each in a new app; load "
              f"{os.getloadavg()[0]:.2f}):\n")  # fmt: skip
        print("| request | first, without the job | warm | first ÷ warm | "
              "first, with the job | warm | first ÷ warm |")  # fmt: skip
        print("|---|---|---|---|---|---|---|")
        med = {key: statistics.median(values) for key, values in changed.items()}
        for label in dict.fromkeys(key.split(": ")[0] for key in changed if ": " in key):
            row = []
            for side in ("without", "with the job"):
                first, warm = med[f"{label}: first, {side}"], med[f"{label}: warm, {side}"]
                row += [f"{first:,.0f} ms", f"{warm:,.0f} ms", f"{first / warm:.1f}"]
            print(f"| {label} | " + " | ".join(row) + " |")
        print(f"\nThe job (every ICB chart of the collection, drawn after the change): "
              f"{med['job']:,.0f} ms.")  # fmt: skip
    if not with_workbook:
        SQLModel.metadata.drop_all(create_engine(url))
        return
    warm = timed["ICB workbook"][1]
    print(f"\nICB workbook ({cells:,} cells): warm {warm:,.0f} ms against an openpyxl "
          f"write-only dump of the same cells, {dump_ms:,.0f} ms: {warm / dump_ms:.2f}×. "
          f"Peak memory: the request {request_peak:.1f} MB ({request_peak / dump_peak:.1f}× "
          f"the dump's {dump_peak:.1f} MB), the writer alone {writer_peak:.1f} MB "
          f"({writer_peak / dump_peak:.1f}×).")  # fmt: skip
    SQLModel.metadata.drop_all(create_engine(url))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--practices", type=int, default=136)
    parser.add_argument("--pcns", type=int, default=25)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgres", metavar="URL", help="also run on this PostgreSQL database")
    parser.add_argument("--quick", action="store_true", help="a tiny ICB, one repeat")
    parser.add_argument(
        "--no-sqlite", action="store_true", help="with --postgres, run on PostgreSQL only"
    )
    parser.add_argument(
        "--only",
        metavar="NAMES",
        help=f"time only these requests, comma-separated: {','.join(SHORT_NAMES)} (default all)",
    )
    args = parser.parse_args()
    chosen_labels(args.only)  # an unknown name stops before the seeding
    logging.getLogger("monitor.security").setLevel(logging.WARNING)  # no sign-in or download events
    if args.quick:
        args.practices, args.pcns, args.repeat = 12, 3, 1
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {os.cpu_count()} cores")
    if not (args.no_sqlite and args.postgres):
        with tempfile.TemporaryDirectory() as folder:
            run(f"sqlite:///{Path(folder) / 'icb.sqlite3'}", args)
    if args.postgres:
        run(args.postgres, args)


if __name__ == "__main__":
    main()
