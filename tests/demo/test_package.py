"""The demo package's layering: it builds on services, models and core and never on the
web layer; services never reach into the demo; the loaders share only the constants,
so nothing imports in a circle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import monitor

PACKAGE = Path(monitor.__file__).parent
LOADERS = ("organisations", "records", "returns", "cases")


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def modules_in(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).glob("*.py"))


@pytest.mark.parametrize("path", modules_in("services"), ids=lambda p: p.stem)
def test_services_never_import_the_demo(path):
    assert not {m for m in imported_modules(path) if m.startswith("monitor.demo")}


@pytest.mark.parametrize(
    "path", modules_in("services") + modules_in("demo"), ids=lambda p: p.parent.name + "." + p.stem
)
def test_no_flask_or_web_layer_in_services_or_the_demo(path):
    imported = imported_modules(path)
    assert not {m for m in imported if m.split(".")[0] in ("flask", "flask_login", "werkzeug")}
    assert not {m for m in imported if m.startswith("monitor.web")}


@pytest.mark.parametrize("name", LOADERS)
def test_a_demo_loader_imports_only_the_constants_from_the_demo(name):
    demo = {m for m in imported_modules(PACKAGE / "demo" / f"{name}.py") if "demo" in m}
    assert demo <= {"monitor.demo.constants"}
