"""The recorder: every request that changes something (POST, PUT, PATCH, DELETE under /api) is
written to the audit log after it is answered, keyed on its route, so no route records itself.

`before` is what the same URL answers to GET just before a PUT, PATCH or DELETE (a user, a
project, a branch, a goal...), when such a route exists; `request` is the JSON body sent; `after` the JSON
answer. Each is redacted and kept only when small (AuditService.clean).
"""

from __future__ import annotations

import json
import logging

from quart import Blueprint, Response, current_app, g, request
from quart.wrappers.response import DataBody
from quart_schema.validation import QUART_SCHEMA_REQUEST_ATTRIBUTE

from kernel.errors import Refused
from kernel.security import current_principal
from kernel.tenancy import resolve_project

log = logging.getLogger("m3m.audit")
recorder = Blueprint("audit_recorder", __name__)
CHANGES = {"POST", "PUT", "PATCH", "DELETE"}
BEFORE = {"PUT", "PATCH", "DELETE"}  # the changes whose URL's GET is the thing changed
SMALL_BODY = 64 * 1024


def _watched() -> bool:
    rule = request.url_rule.rule if request.url_rule else None
    if not request.path.startswith("/api/") or rule is None:
        return False
    settings = current_app.m3m.settings.audit
    if request.method not in CHANGES:
        return request.method == "GET" and rule in settings.record_reads
    return rule not in settings.skip


async def _project_data_traffic() -> bool:
    """A change the project's own API key makes on a route of audit.skip_api_key."""
    if request.url_rule.rule not in current_app.m3m.settings.audit.skip_api_key:
        return False
    try:
        principal = await current_principal()  # the route asks again: kept for the request
    except Refused:  # a key that is not valid: refused by the route, and refusals are not recorded
        return False
    return principal is not None and principal.kind == "api_key"


@recorder.before_app_request
async def _before() -> None:
    if not _watched() or await _project_data_traffic():
        return
    g.m3m_audit = {"before": None, "project": None}
    pid = (request.view_args or {}).get("pid")
    try:
        if pid:
            project = await resolve_project(pid)  # now: after a delete it is gone
            if project:
                g.m3m_audit["project"] = {"id": project["id"], "slug": project.get("slug")}
        # A POST creates or acts: the GET of its URL, where there is one, is the list it adds to
        # (users, projects, a model's records...), not the state of what it changes, and reading
        # a whole page (with its count) before every record insert would cost more than the insert.
        if request.method in BEFORE:
            g.m3m_audit["before"] = await _current_state()
    except Exception:  # never in the way of the change itself
        log.debug("audit: no state before %s %s", request.method, request.path, exc_info=True)


async def _current_state():
    """What GET on the same URL answers the same caller now, if there is such a route."""
    adapter = current_app.create_url_adapter(request)
    try:
        endpoint, args = adapter.match(request.path, method="GET")
    except Exception:  # no GET here (405/404)
        return None
    view = current_app.view_functions.get(endpoint)
    if view is None:
        return None
    try:
        result = await current_app.ensure_async(view)(**args)
    except Exception:  # refused (404, 403...): nothing to show
        return None
    if isinstance(result, tuple):
        result = result[0]
    return result if isinstance(result, (dict, list)) else None


@recorder.after_app_request
async def _after(response: Response) -> Response:
    state = g.get("m3m_audit")
    if state is None:
        return response
    settings = current_app.m3m.settings.audit
    rule = request.url_rule.rule
    if response.status_code >= 400 and rule not in settings.record_failures:
        return response
    try:
        await _record(state, response, rule, settings)
    except Exception:
        log.warning("audit: %s %s was not recorded", request.method, request.path, exc_info=True)
    return response


async def _record(state: dict, response: Response, rule: str, settings) -> None:
    from .routes import audit

    service = audit()
    hide = any(part in rule for part in settings.hide_values)
    sent = await _json_body()
    answer = await _json_answer(response)
    actor = _actor(sent, answer)
    target = answer.get("id") if isinstance(answer, dict) and isinstance(answer.get("id"), str) else None
    if rule.endswith("/login"):
        answer = None  # the token, and the user again: the actor says who
        sent = {"email": sent.get("email")} if isinstance(sent, dict) else None
    await service.record({
        "actor": actor,
        "ip": request.remote_addr,
        "action": request.endpoint,
        "method": request.method,
        "path": request.path,
        "route": rule,
        "status": response.status_code,
        "project": state["project"],
        "target": target or _target(),
        "query": service.clean(dict(request.args), hide),
        "request": service.clean(sent, hide) if sent is not None else None,
        "before": service.clean(state["before"], hide) if state["before"] is not None else None,
        "after": service.clean(answer, hide) if answer is not None else None,
    })


def _actor(sent, answer) -> dict | None:
    principal = g.get("m3m_principal")
    if principal is not None:
        if principal.kind == "api_key":
            return {"kind": "api_key", "id": principal.project_id}
        return {"kind": principal.kind, "id": principal.id, "email": (principal.user or {}).get("email")}
    # Sign-in: whoever it turned out to be, or the email tried.
    user = answer.get("user") if isinstance(answer, dict) else None
    if isinstance(user, dict) and user.get("id"):
        return {"kind": "user", "id": user["id"], "email": user.get("email")}
    if isinstance(sent, dict) and isinstance(sent.get("email"), str):
        return {"kind": "anonymous", "id": None, "email": sent["email"][:254].strip().lower()}
    return None


def _target() -> str | None:
    """The last path parameter other than the project (a user id, a goal, a branch...)."""
    args = {key: value for key, value in (request.view_args or {}).items() if key != "pid"}
    return str(list(args.values())[-1]) if args else None


async def _json_body():
    """The JSON body of a route that documents one (its request model): never a file's bytes."""
    view = current_app.view_functions.get(request.endpoint)
    if view is None or getattr(view, QUART_SCHEMA_REQUEST_ATTRIBUTE, None) is None:
        return None
    if not request.body._complete.is_set():
        return None
    if (request.content_length or 0) > SMALL_BODY:
        return {"size": request.content_length}
    raw = await request.get_data()
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return {"size": len(raw)}


async def _json_answer(response: Response):
    if response.mimetype != "application/json" or not isinstance(response.response, DataBody):
        return None
    if (response.content_length or 0) > SMALL_BODY:
        return {"size": response.content_length}
    try:
        return json.loads(await response.get_data())
    except (ValueError, RecursionError):
        return None
