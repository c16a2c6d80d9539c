"""Every route declares who may use it; one `before_request` hook enforces it.

    @bp.get("/")
    @allow(Role.PRACTICE_EDITOR, Role.PRACTICE_VIEWER)
    def view(): ...

`@public` marks pages anyone may open (sign-in, "What we ask and why"); `@signed_in`
allows every role. A route with no declaration is refused (fail closed), and a test
walks the URL map so none ships without one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user

from monitor.models import Role
from monitor.web import security_events

F = TypeVar("F", bound=Callable)

ACCESS_ATTRIBUTE = "access_rule"
EDIT_ROLES = frozenset({Role.PRACTICE_EDITOR})


@dataclass(frozen=True)
class AccessRule:
    public: bool
    roles: frozenset[Role]

    def permits(self, role: Role) -> bool:
        return self.public or role in self.roles


def _declare(rule: AccessRule) -> Callable[[F], F]:
    def decorator(view: F) -> F:
        setattr(view, ACCESS_ATTRIBUTE, rule)
        return view

    return decorator


def allow(*roles: Role) -> Callable[[F], F]:
    if not roles:
        raise ValueError("allow() needs at least one role; use @public for open pages")
    return _declare(AccessRule(public=False, roles=frozenset(roles)))


public = _declare(AccessRule(public=True, roles=frozenset(Role)))
signed_in = _declare(AccessRule(public=False, roles=frozenset(Role)))


def rule_for_endpoint(endpoint: str) -> AccessRule | None:
    if endpoint == "static" or endpoint.endswith(".static"):
        return AccessRule(public=True, roles=frozenset(Role))
    view = current_app.view_functions.get(endpoint)
    return getattr(view, ACCESS_ATTRIBUTE, None)


# Pages a person with a temporary password may still reach.
PASSWORD_CHANGE_ENDPOINTS = frozenset({"auth.change_password", "auth.sign_out", "static"})


def enforce_access():
    """before_request: anonymous → sign-in page; wrong role → 403; no rule → 403."""
    endpoint = request.endpoint
    if endpoint is None:  # no route matched: let the 404/405 handler answer
        return None
    rule = rule_for_endpoint(endpoint)
    if rule is None:
        current_app.logger.error("Route %s declares no access rule; refusing", endpoint)
        security_events.note_denial("the route declares no access rule")
        abort(403)
    if rule.public:
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
    if current_user.must_change_password and endpoint not in PASSWORD_CHANGE_ENDPOINTS:
        return redirect(url_for("auth.change_password"))
    if not rule.permits(current_user.role_enum):
        security_events.note_denial(f"role {current_user.role} may not use this route")
        abort(403)
    return None
