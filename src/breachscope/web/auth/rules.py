"""Who may do what: roles -> permissions, and one authorization rule for every route.

Kept as data: :data:`PERMISSIONS` says which roles hold a permission, :data:`ROUTE_RULES` says
what each route (method + path template) needs. The gatekeeper (:mod:`.gate`) looks the route's
rule up on every request; a route without a rule is refused (500) and
:func:`breachscope.web.app.create_app` refuses to start, so a new endpoint cannot ship without
one (tests/web/test_authz_matrix.py walks the app's route table against this table).

Rule kinds:

- ``public``: anyone (sign-in, the OpenAPI document, health);
- ``signed_in``: any signed-in user (their own profile, their incident list, sign-out);
- ``global``: a signed-in user whose role holds the permission (create incidents, manage users);
- ``incident``: a member of the incident in the path whose role holds the permission. A
  non-member gets the same 404 as a missing incident (no existence leak); a member without the
  permission gets 403.

A user whom an admin requires to add a second factor reaches only :data:`ENROLMENT_ROUTES`
until they have.
"""

from __future__ import annotations

from dataclasses import dataclass

from breachscope.case.accounts import ROLES

ALL = frozenset(ROLES)

#: permission -> the roles that hold it
PERMISSIONS: dict[str, frozenset[str]] = {
    "read": ALL,
    "incident.create": frozenset({"responder", "admin"}),
    "facts": frozenset({"responder", "legal", "admin"}),
    "log": frozenset({"responder", "legal", "communications", "admin"}),
    "datasets": frozenset({"responder", "admin"}),
    "scope": frozenset({"responder", "admin"}),
    "assess": frozenset({"responder", "legal", "admin"}),
    "decide": frozenset({"legal", "admin"}),
    "notify.preview": frozenset({"legal", "communications", "admin"}),
    "notify.approve": frozenset({"communications", "admin"}),
    "notify.send": frozenset({"communications", "admin"}),
    "tasks": frozenset({"responder", "legal", "communications", "admin"}),
    "unmask": frozenset({"responder", "legal", "communications", "admin"}),
    "jobs": frozenset({"responder", "legal", "communications", "admin"}),
    "members": frozenset({"admin"}),
    "users": frozenset({"admin"}),
    "purge": frozenset({"admin"}),
    "approvals.policy": frozenset({"admin"}),
    "audit": frozenset({"legal", "admin"}),
}


def within(role: str, owner: str) -> bool:
    """Whether ``role`` holds no permission that the ``owner`` role lacks (an API token's role
    against its owner's). Roles are not a ladder: a responder uploads datasets and a
    communications user does not, legal decides and communications does not."""
    return all(owner in roles for roles in PERMISSIONS.values() if role in roles)


@dataclass(frozen=True)
class Rule:
    kind: str  # public | signed_in | global | incident
    permission: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("public", "signed_in", "global", "incident"):
            raise ValueError(f"unknown rule kind {self.kind!r}")
        if (self.kind in ("global", "incident")) != (self.permission is not None):
            raise ValueError(
                f"a {self.kind} rule {'needs' if self.permission is None else 'has no'} permission"
            )
        if self.permission is not None and self.permission not in PERMISSIONS:
            raise ValueError(f"unknown permission {self.permission!r}")


PUBLIC = Rule("public")
SIGNED_IN = Rule("signed_in")


def glob(permission: str) -> Rule:
    return Rule("global", permission)


def inc(permission: str) -> Rule:
    return Rule("incident", permission)


V1 = "/api/v1"
I = V1 + "/incidents/{incident_id}"  # noqa: E741

#: Routes the gate does not see (not FastAPI endpoints): each is public and serves no case data.
PUBLIC_UNGATED: frozenset[str] = frozenset({V1 + "/openapi.json", "/static"})

#: (method, path template) -> rule. Every route of the app is here (the console's pages too).
ROUTE_RULES: dict[tuple[str, str], Rule] = {
    # sign-in and the signed-in user
    ("GET", V1 + "/health"): PUBLIC,
    ("POST", V1 + "/auth/login"): PUBLIC,
    ("POST", V1 + "/auth/logout"): SIGNED_IN,
    ("GET", V1 + "/auth/me"): SIGNED_IN,
    ("GET", V1 + "/tokens"): SIGNED_IN,
    ("POST", V1 + "/tokens"): SIGNED_IN,
    ("DELETE", V1 + "/tokens/{token_id}"): SIGNED_IN,
    ("POST", V1 + "/auth/password"): SIGNED_IN,
    ("GET", V1 + "/auth/recovery-codes"): SIGNED_IN,
    ("POST", V1 + "/auth/recovery-codes"): SIGNED_IN,
    ("POST", V1 + "/auth/totp"): SIGNED_IN,
    ("POST", V1 + "/auth/totp/confirm"): SIGNED_IN,
    # users (admin)
    ("GET", V1 + "/users"): glob("users"),
    ("POST", V1 + "/users"): glob("users"),
    ("PATCH", V1 + "/users/{user_id}"): glob("users"),
    ("POST", V1 + "/users/{user_id}/password"): glob("users"),
    ("POST", V1 + "/users/{user_id}/totp"): glob("users"),
    ("PUT", V1 + "/users/{user_id}/incidents/{incident_id}"): glob("users"),
    # incidents
    ("GET", V1 + "/incidents"): SIGNED_IN,
    ("POST", V1 + "/incidents"): glob("incident.create"),
    ("GET", I): inc("read"),
    ("GET", I + "/members"): inc("read"),
    ("PUT", I + "/members/{user_id}"): inc("members"),
    ("DELETE", I + "/members/{user_id}"): inc("members"),
    # the case: summary, dates, facts, timeline, purge
    ("GET", I + "/summary"): inc("read"),
    ("PATCH", I + "/dates"): inc("facts"),
    ("GET", I + "/facts"): inc("read"),
    ("PUT", I + "/facts"): inc("facts"),
    ("GET", I + "/timeline"): inc("read"),
    ("POST", I + "/timeline"): inc("log"),
    ("POST", I + "/purge"): inc("purge"),
    ("GET", I + "/jobs"): inc("read"),
    ("GET", I + "/jobs/{job_id}"): inc("read"),
    # datasets
    ("GET", I + "/datasets"): inc("read"),
    ("POST", I + "/datasets"): inc("datasets"),
    ("POST", I + "/datasets/{dataset_id}/accept-incomplete"): inc("datasets"),
    # scope
    ("POST", I + "/scope"): inc("scope"),
    ("POST", I + "/scope/directory"): inc("scope"),
    ("GET", I + "/scope"): inc("read"),
    ("GET", I + "/scope/orgs"): inc("read"),
    ("GET", I + "/scope/users"): inc("read"),
    ("GET", I + "/scope/orgs/{org_id}/admins"): inc("read"),
    ("GET", I + "/scope/unmatched"): inc("read"),
    ("GET", I + "/scope/review"): inc("read"),
    ("POST", I + "/scope/search"): inc("read"),
    # assess and decisions
    ("POST", I + "/assessment"): inc("assess"),
    ("GET", I + "/assessment"): inc("read"),
    ("GET", I + "/decisions"): inc("read"),
    ("POST", I + "/decisions"): inc("decide"),
    # notices
    ("POST", I + "/notices/preview"): inc("notify.preview"),
    ("POST", I + "/notices/send"): inc("notify.send"),
    ("GET", I + "/notices/status"): inc("read"),
    # four eyes (case/approvals.py)
    ("GET", I + "/approvals"): inc("read"),
    # deciding a request; case/approvals.py's APPROVER_ROLES then narrows the role per action
    ("POST", I + "/approvals/{approval_id}/approve"): inc("notify.approve"),
    ("POST", I + "/approvals/{approval_id}/reject"): inc("notify.approve"),
    # the four-eyes policy and its (incident-less) loosening requests
    ("GET", V1 + "/approvals/policy"): SIGNED_IN,
    ("PUT", V1 + "/approvals/policy"): glob("approvals.policy"),
    ("GET", V1 + "/approvals"): glob("approvals.policy"),
    ("POST", V1 + "/approvals/{approval_id}/approve"): glob("approvals.policy"),
    ("POST", V1 + "/approvals/{approval_id}/reject"): glob("approvals.policy"),
    # tasks
    ("GET", I + "/tasks"): inc("read"),
    ("POST", I + "/tasks"): inc("tasks"),
    ("PATCH", I + "/tasks/{task_id}"): inc("tasks"),
    # console pages (web/pages/): the pages check the same again
    ("GET", "/sign-in"): PUBLIC,
    ("POST", "/sign-in"): PUBLIC,
    ("POST", "/sign-out"): SIGNED_IN,
    # the signed-in user's own password, recovery codes and authenticator (web/pages/account.py)
    ("GET", "/account"): SIGNED_IN,
    ("POST", "/account/password"): SIGNED_IN,
    ("POST", "/account/recovery-codes"): SIGNED_IN,
    ("POST", "/account/totp"): SIGNED_IN,
    ("POST", "/account/totp/confirm"): SIGNED_IN,
    # the team's accounts, for admins: the API's users routes as a page (web/pages/team.py)
    ("GET", "/team"): glob("users"),
    ("POST", "/team/users"): glob("users"),
    ("GET", "/team/users/{user_id}"): glob("users"),
    ("POST", "/team/users/{user_id}/change"): glob("users"),
    ("POST", "/team/users/{user_id}/password"): glob("users"),
    ("POST", "/team/users/{user_id}/totp"): glob("users"),
    ("POST", "/team/users/{user_id}/incidents"): glob("users"),
    # any incident, as PUT /users/{user_id}/incidents/{incident_id} grants any incident
    ("POST", "/team/users/{user_id}/incidents/{incident_id}/revoke"): glob("users"),
    ("GET", "/"): SIGNED_IN,
    ("GET", "/incidents/{incident_id}"): inc("read"),
    ("GET", "/incidents/{incident_id}/overview"): inc("read"),
    ("GET", "/incidents/{incident_id}/data"): inc("read"),
    ("GET", "/incidents/{incident_id}/data/fields"): inc("read"),
    ("GET", "/incidents/{incident_id}/scope"): inc("read"),
    ("GET", "/incidents/{incident_id}/scope/org"): inc("read"),
    ("POST", "/incidents/{incident_id}/scope/search"): inc("read"),
    ("GET", "/incidents/{incident_id}/scope/unmatched"): inc("read"),
    ("GET", "/incidents/{incident_id}/scope/review"): inc("read"),
    # a people page unmasked once, with a stated reason, audited (web/pages/unmask.py)
    ("POST", "/incidents/{incident_id}/scope/org/unmask"): inc("unmask"),
    ("POST", "/incidents/{incident_id}/scope/unmatched/unmask"): inc("unmask"),
    ("POST", "/incidents/{incident_id}/scope/review/unmask"): inc("unmask"),
    ("GET", "/incidents/{incident_id}/duties"): inc("read"),
    ("POST", "/incidents/{incident_id}/duties/{duty_id}/decision"): inc("decide"),
    ("GET", "/incidents/{incident_id}/tasks"): inc("read"),
    ("GET", "/incidents/{incident_id}/watch"): inc("read"),
    ("POST", "/incidents/{incident_id}/tasks/{task_id}/status"): inc("tasks"),
    ("GET", "/incidents/{incident_id}/timeline"): inc("read"),
    ("GET", "/incidents/{incident_id}/timeline.csv"): inc("read"),
    ("GET", "/incidents/{incident_id}/audit"): inc("audit"),
    ("GET", "/incidents/{incident_id}/audit.csv"): inc("audit"),
    ("GET", "/incidents/{incident_id}/notices"): inc("read"),
    ("GET", "/incidents/{incident_id}/notices/preview"): inc("notify.preview"),
    ("POST", "/incidents/{incident_id}/notices/preview/unmask"): inc("unmask"),  # + notify.preview
    ("GET", "/incidents/{incident_id}/notices/drafts/{outbox_id}"): inc("read"),
    ("POST", "/incidents/{incident_id}/notices/drafts/{outbox_id}"): inc("decide"),
    ("GET", "/incidents/{incident_id}/notices/drafts/{outbox_id}/export"): inc("read"),
    ("GET", "/incidents/{incident_id}/report"): inc("read"),
    ("POST", "/incidents/{incident_id}/notices/preview"): inc("notify.preview"),
    ("POST", "/incidents/{incident_id}/notices/send"): inc("notify.send"),
    ("GET", "/incidents/{incident_id}/jobs/{job_id}"): inc("read"),
    ("GET", "/incidents/{incident_id}/approvals"): inc("read"),
    ("POST", "/incidents/{incident_id}/approvals/{approval_id}/{decision}"): inc("notify.approve"),
    # the public notice check: anyone, rate-limited by the page itself
    ("GET", "/check"): PUBLIC,
    ("POST", "/check"): PUBLIC,
}

#: All a user may reach while an admin requires a second factor they have not added yet
#: (:func:`breachscope.case.accounts.must_enrol`): adding one, who am I, signing out. Every other
#: route answers 403 (a page: a redirect to the Account page).
ENROLMENT_ROUTES: frozenset[tuple[str, str]] = frozenset(
    {
        ("GET", V1 + "/auth/me"),
        ("POST", V1 + "/auth/logout"),
        ("GET", V1 + "/auth/recovery-codes"),
        ("POST", V1 + "/auth/totp"),
        ("POST", V1 + "/auth/totp/confirm"),
        ("POST", "/sign-out"),
        ("GET", "/account"),
        ("POST", "/account/totp"),
        ("POST", "/account/totp/confirm"),
    }
)
