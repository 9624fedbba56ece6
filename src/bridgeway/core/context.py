"""Per-request context (client address, channel) for the audit log.

Set by ``RequestContextMiddleware`` for web requests, by the API authentication for API
calls, and by management commands for command-line work. Services read it when they
write audit entries, so no context object is dragged through every call.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RequestContext:
    ip: str = ""
    channel: str = "system"  # web | api | odk | cli | system
    user_agent: str = ""


_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar(
    "bridgeway_request_context", default=RequestContext()  # noqa: B039 - frozen
)


def current() -> RequestContext:
    return _current.get()


def set_current(ctx: RequestContext) -> contextvars.Token[RequestContext]:
    return _current.set(ctx)


def reset(token: contextvars.Token[RequestContext]) -> None:
    _current.reset(token)
