"""One Jinja setup: the app's templates first, then the NHS.UK frontend macros."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from flask import Flask
from jinja2 import (
    BytecodeCache,
    ChainableUndefined,
    ChoiceLoader,
    FileSystemLoader,
    PackageLoader,
    select_autoescape,
)
from jinja2.bccache import Bucket
from markupsafe import Markup, escape

from monitor.config import PROJECT_ROOT
from monitor.core import formatting


class _ProcessBytecodeCache(BytecodeCache):
    """Compiled templates shared by every app in the process (keyed by source checksum),
    so the NHS macros are compiled once rather than once per app instance."""

    def __init__(self) -> None:
        self._store: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if (code := self._store.get(bucket.key)) is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._store[bucket.key] = bucket.bytecode_to_string()


_BYTECODE_CACHE = _ProcessBytecodeCache()


CSRF_PLACEHOLDER = "__hep_csrf_token__"
"""Written where a cached fragment has the request's CSRF token; `cached_fragment` puts
this request's token there, so a fragment shared between requests never carries an
old one."""

FRAGMENT_CACHE_SIZE = 4096
"""Rendered fragments kept per process (a header is about 5 kB: 20 MB at most)."""


class FragmentCache:
    """Rendered HTML of a part of a page, by a key of everything that part reads.

    `{% call cached_fragment("header", a, b) %}…{% endcall %}` renders the body once
    per distinct key (the name and the values after it) and then returns the stored
    HTML without running the body: the caller names every input of the body in the
    key, so a fragment is never stale. Per process and bounded (least recently used
    go first)."""

    def __init__(self, size: int = FRAGMENT_CACHE_SIZE) -> None:
        self._size = size
        self._store: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def clear(self) -> None:
        with self._lock:
            self._store.clear()
            self.hits = self.misses = 0

    def get_or_render(self, key: str, render: Callable[[], str]) -> str:
        with self._lock:
            found = self._store.get(key)
            if found is not None:
                self._store.move_to_end(key)
                self.hits += 1
                return found
        html = str(render())
        with self._lock:
            self.misses += 1
            self._store[key] = html
            while len(self._store) > self._size:
                self._store.popitem(last=False)
        return html


FRAGMENTS = FragmentCache()


def cached_fragment(name: str, *key, caller) -> Markup:
    """The Jinja global behind `{% call cached_fragment(name, *key) %}` (see
    `FragmentCache`); `CSRF_PLACEHOLDER` in the body becomes this request's token."""
    html = FRAGMENTS.get_or_render(repr((name, key)), caller)
    if CSRF_PLACEHOLDER in html:
        from flask_wtf.csrf import generate_csrf

        html = html.replace(CSRF_PLACEHOLDER, str(escape(generate_csrf())))
    return Markup(html)


def init_app(app: Flask) -> None:
    # Options must be set before the environment is first created.
    app.jinja_options = {
        **app.jinja_options,
        # Flask escapes only .html by default; our templates are .jinja.
        "autoescape": select_autoescape(
            enabled_extensions=("html", "jinja", "xml"), default_for_string=True
        ),
        # The NHS macros read optional nested params (params.hint.text) freely.
        "undefined": ChainableUndefined,
        "trim_blocks": True,
        "lstrip_blocks": True,
        "bytecode_cache": _BYTECODE_CACHE,
    }
    # Assign the loader (not jinja_options["loader"]) so blueprint templates still work.
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(PROJECT_ROOT / "templates")),
            PackageLoader("nhsuk_frontend_jinja", package_path="templates"),
        ]
    )
    app.jinja_env.globals.update(cached_fragment=cached_fragment, csrf_placeholder=CSRF_PLACEHOLDER)
    app.jinja_env.filters.update(
        money=formatting.money,
        percent=formatting.percent,
        duration=formatting.duration,
        number=formatting.number,
        item_value=formatting.item_value,
        long_date=formatting.long_date,
        list_size=formatting.list_size,
        imd_decile=formatting.imd_decile,
        rurality=formatting.rurality,
        pcn_name=formatting.pcn_name,
        date_time=formatting.date_time,
    )
