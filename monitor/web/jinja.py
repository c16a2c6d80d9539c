"""One Jinja setup: the app's templates first, then the NHS.UK frontend macros."""

from __future__ import annotations

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
