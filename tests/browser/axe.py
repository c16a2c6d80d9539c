"""axe-core (npm, pinned in package.json) run inside the page by Playwright.

`violations(page)` checks the page as it stands against WCAG 2.0, 2.1 and 2.2 A and AA
and returns what axe found, one line per rule and element, for an assertion to print.
The script is evaluated through the DevTools protocol, so the app's Content Security
Policy (no inline scripts) stays on while it runs.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from playwright.sync_api import Page

AXE_SCRIPT = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


@cache
def _source() -> str:
    if not AXE_SCRIPT.exists():
        raise RuntimeError(f"{AXE_SCRIPT} is missing: run `make setup` (npm ci installs axe-core).")
    return AXE_SCRIPT.read_text(encoding="utf-8")


def violations(page: Page) -> list[str]:
    """Every WCAG A/AA violation axe finds on the page now, as readable lines."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_source())
    found = page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {
                runOnly: {type: "tag", values: tags},
                resultTypes: ["violations"],  // details of passes are not needed
            });
            return result.violations.map(v => ({
                id: v.id,
                nodes: v.nodes.map(n => n.target.join(" ") + " :: " + n.html.slice(0, 160)),
            }));
        }""",
        WCAG_AA,
    )
    return [f"{v['id']}: {node}" for v in found for node in v["nodes"]]
