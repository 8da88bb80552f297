"""Every console route, one router per page module (``install_console`` includes :data:`router`).

Each route has its authorization rule in ``web/auth/rules.py`` (the console pages block); the app
factory refuses to start when one is missing.
"""

from __future__ import annotations

from fastapi import APIRouter

from breachscope.web.pages import (
    account,
    approvals,
    data,
    duties,
    notices,
    overview,
    public,
    report,
    scope,
    send,
    tasks,
    team,
    timeline,
    watch,
)

router = APIRouter(include_in_schema=False)
PAGES = (
    account, overview, data, scope, duties, tasks, notices, send, approvals, timeline, report, public, watch,
    team,
)  # fmt: skip
for module in PAGES:
    router.include_router(module.router)
