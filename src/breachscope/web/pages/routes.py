"""Every console route, one router per page module (the app factory includes :data:`router`)."""

from __future__ import annotations

from fastapi import APIRouter

from breachscope.web.pages import data, duties, overview, scope, tasks, timeline

router = APIRouter(include_in_schema=False)
for module in (overview, data, scope, duties, tasks, timeline):
    router.include_router(module.router)
