"""Every console page in chromium: renders, no console error or CSP report, axe-core clean."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.web.browser import axe_violations
from tests.web.conftest import Console, open_as

PAGES = (
    "/",
    "/incidents/{demo}/overview",
    "/incidents/{demo}/data",
    "/incidents/{demo}/data/fields",
    "/incidents/{demo}/scope",
    "/incidents/{demo}/scope/unmatched",
    "/incidents/{demo}/scope/review",
    "/incidents/{demo}/duties",
    "/incidents/{demo}/tasks",
    "/incidents/{demo}/timeline",
    "/incidents/{demo}/audit",
    "/incidents/{demo}/notices",
    "/incidents/{demo}/notices/preview?kind=admin&lang=id",
    "/incidents/{demo}/notices/drafts/1",
    "/incidents/{demo}/approvals",
    "/incidents/{hostile}/overview",
    "/incidents/{hostile}/timeline",
)


@pytest.mark.parametrize("path", PAGES)
def test_page_renders_clean_and_accessible(browser: Browser, console: Console, path: str) -> None:
    w = open_as(browser, console, "legal")
    try:
        w.goto(path.format(demo=console.case.demo, hostile=console.case.hostile))
        assert w.page.locator("main h1").count() == 1
        assert axe_violations(w.page) == []
        w.assert_clean()
    finally:
        w.page.close()
