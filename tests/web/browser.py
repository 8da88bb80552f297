"""Playwright driving Debian's chromium (``/usr/bin/chromium``; never a downloaded browser build).

:class:`Watched` wraps a page and records every console error, uncaught page error and CSP
violation, so a test fails on any of them; :func:`axe_violations` injects the vendored axe-core
(``tests/web/vendor/axe.min.js``, MPL-2.0, from the npm package) and returns the serious and
critical violations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, ConsoleMessage, Error, Page

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = Path(__file__).parent / "vendor" / "axe.min.js"


@dataclass
class Watched:
    page: Page
    base: str
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("console", self._console)
        self.page.on("pageerror", self._page_error)

    def _console(self, msg: ConsoleMessage) -> None:
        if msg.type in ("error", "warning") and not _ignorable(msg.text):
            self.errors.append(f"console {msg.type}: {msg.text}")

    def _page_error(self, exc: Error) -> None:
        self.errors.append(f"page error: {exc}")

    def goto(self, path: str, *, status: int = 200) -> None:
        response = self.page.goto(self.base + path)
        assert response is not None
        assert response.status == status, f"{path}: HTTP {response.status}"

    def assert_clean(self) -> None:
        assert self.errors == [], self.errors


def _ignorable(text: str) -> bool:
    # A 4xx page we asked for on purpose logs "Failed to load resource"; tests check statuses.
    return "Failed to load resource: the server responded with a status of 4" in text


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the current page (axe is loaded into every
    page of the context by :func:`with_axe`, as a Playwright init script: CSP does not apply to it)."""
    result: dict[str, Any] = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def with_axe(context: BrowserContext) -> BrowserContext:
    context.add_init_script(path=str(AXE))
    return context
