"""The chart cache: shared by processes through a directory, bounded, never stale."""

import os
from functools import partial

from matplotlib.figure import Figure

from monitor import create_app
from monitor.core.periods import Period
from monitor.web.chart_cache import ChartCache
from tests.client import PageClient
from tests.factories import make_value


def _figure(label: str) -> Figure:
    figure = Figure(figsize=(2, 1))
    figure.add_subplot().set_title(label)
    return figure


class Drawer:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, label: str = "chart") -> Figure:
        self.calls += 1
        return _figure(label)


def test_a_second_cache_on_the_same_directory_serves_the_first_ones_chart(tmp_path):
    draw = Drawer()
    first = ChartCache(tmp_path).get_or_render("k1", "svg", draw)
    other = ChartCache(tmp_path)
    again = other.get_or_render("k1", "svg", draw)
    assert again == first and draw.calls == 1
    assert other.renders == 0 and other.file_hits == 1


def test_files_are_named_by_a_hash_and_no_temporary_file_is_left(tmp_path):
    cache = ChartCache(tmp_path)
    cache.get_or_render("../../etc/passwd", "png", Drawer(), dpi=100)
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) == 1
    assert files[0].parent.parent == tmp_path and len(files[0].stem) == 64
    assert not files[0].name.startswith(".tmp-")


def test_a_different_format_or_resolution_is_a_different_chart(tmp_path):
    draw = Drawer()
    cache = ChartCache(tmp_path)
    svg = cache.get_or_render("k", "svg", draw)
    png = cache.get_or_render("k", "png", draw)
    large = cache.get_or_render("k", "png", draw, dpi=200)
    assert draw.calls == 3 and len({svg, png, large}) == 3


def test_pruning_deletes_the_least_recently_used_charts_beyond_the_bound(tmp_path):
    cache = ChartCache(tmp_path, max_bytes=10**9)
    for n in range(5):
        cache.get_or_render(f"k{n}", "svg", partial(_figure, f"chart {n}"))
    paths = sorted(tmp_path.rglob("*.svg"))
    for n, path in enumerate(paths):  # the last the most recently used
        os.utime(path, (1_000_000 + n * 1000, 1_000_000 + n * 1000))
    cache.max_bytes = sum(p.stat().st_size for p in paths) - 1
    assert cache.prune() >= 1
    left = set(tmp_path.rglob("*.svg"))
    assert paths[-1] in left
    assert paths[0] not in left
    assert sum(p.stat().st_size for p in left) <= cache.max_bytes * 0.8


def test_an_unusable_directory_still_serves_charts(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    cache = ChartCache(blocked)
    assert cache.get_or_render("k", "svg", Drawer()).startswith(b"<?xml")


def test_two_app_instances_share_one_cache_directory(database_url, tmp_path, session, world):
    for n, number in enumerate([300, 290, 310, 305, 295, 285, 300, 290, 310, 300, 295, 305, 280]):
        make_value(
            session,
            practice=world.practice,
            item_id="call_answer_time",
            period_code=_nth("2024-04", n),
            number=number,
        )
    folder = tmp_path / "shared-charts"
    apps = [create_app("test", DATABASE_URL=database_url, CHART_CACHE_DIR=str(folder))
            for _ in range(2)]  # fmt: skip
    try:
        bodies = []
        for app in apps:
            app.test_client_class = PageClient
            client = app.test_client()
            client.sign_in(world.editor.email)
            response = client.get("/metrics/call_answer_time/chart.svg")
            assert response.status_code == 200
            bodies.append(response.data)
        first, second = (app.extensions["monitor.chart_cache"] for app in apps)
        assert first.renders == 1
        assert second.renders == 0 and second.file_hits == 1  # drawn once, by the first
        assert bodies[0] == bodies[1]
    finally:
        for app in apps:
            app.extensions["monitor.jobs"].close()
            app.extensions["monitor.engine"].dispose()


def _nth(code: str, n: int) -> str:
    period = Period.parse(code)
    for _ in range(n):
        period = period.next()
    return period.code


def test_a_test_app_without_a_directory_gets_its_own_temporary_one(app):
    directory = app.extensions["monitor.chart_cache"].directory
    assert directory is not None and directory.is_dir()
    assert "chart-cache" in directory.name
