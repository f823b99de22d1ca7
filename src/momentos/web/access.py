"""Role enforcement for every page: one dependency per permission (see ``users.roles`` for the table).

Use in a page module::

    from momentos.web.access import Reader, Configurer

    @router.get("/things")
    def things(viewer: Reader, ...): ...          # owner, manager, analyst
    @router.post("/things")
    def change(viewer: Configurer, ...): ...      # owner, manager

A missing session redirects to sign-in; a role without the permission gets the 403 page. Templates hide the
buttons and links a role may not use with ``viewer.can("configure")`` (or ``"operate"``, ``"read"``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends

from momentos.errors import Forbidden
from momentos.users.roles import Permission
from momentos.web.rendering import Viewer
from momentos.web.session import SignedIn


def require(permission: Permission) -> Callable[[Viewer], Viewer]:
    def check(viewer: SignedIn) -> Viewer:
        if not viewer.can(permission):
            raise Forbidden("Your role does not allow this.", code="role_forbidden",
                            detail={"role": viewer.role, "needs": permission})
        return viewer

    return check


AnyRole = Annotated[Viewer, Depends(require("customers"))]
"""Customers and processes: every role, agents included."""
Recorder = Annotated[Viewer, Depends(require("record"))]
"""Recording what a customer said (a consent granted or withdrawn): owner, manager, agent; analysts change nothing."""
Reader = Annotated[Viewer, Depends(require("read"))]
"""Overview, journey maps, configuration and operations to read: owner, manager, analyst."""
Configurer = Annotated[Viewer, Depends(require("configure"))]
"""Changing services, touchpoints and contact rules: owner, manager."""
Operator = Annotated[Viewer, Depends(require("operate"))]
"""Operating the outbox (replay): owner, manager."""
Owner = Annotated[Viewer, Depends(require("administer"))]
"""Administering access (API keys, people): owner only."""
