"""Every console route, one router per page module (the app factory includes :data:`router`)."""

from __future__ import annotations

from fastapi import APIRouter

from breachscope.web.pages import overview

router = APIRouter(include_in_schema=False)
for module in (overview,):
    router.include_router(module.router)
