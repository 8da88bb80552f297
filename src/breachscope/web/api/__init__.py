"""The versioned JSON API (``/api/v1``): one module per noun, each a thin shell over the library.

Every route has an authorization rule in :mod:`breachscope.web.auth.rules`; routes under
``/incidents/{incident_id}`` reach only objects of that incident (another incident's ids answer
404, as a missing one does).
"""

from __future__ import annotations

from fastapi import APIRouter

from breachscope.web.api import (
    approvals,
    assess,
    case,
    datasets,
    incidents,
    jobs,
    notices,
    scope,
    tasks,
    users,
)


def routers() -> list[APIRouter]:
    return [
        incidents.router,
        users.router,
        case.router,
        jobs.router,
        datasets.router,
        scope.router,
        assess.router,
        notices.router,
        tasks.router,
        approvals.router,
        approvals.policy_router,
    ]
