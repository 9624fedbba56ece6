from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from bridgeway.core import context


def client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is trivially forged unless a trusted proxy sets it,
    # and a reverse proxy in production should overwrite REMOTE_ADDR itself.
    return request.META.get("REMOTE_ADDR", "")[:64]


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        channel = "api" if request.path.startswith("/api/") else (
            "odk" if request.path.startswith("/odk/") else "web")
        token = context.set_current(context.RequestContext(
            ip=client_ip(request), channel=channel,
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:200]))
        try:
            return self.get_response(request)
        finally:
            context.reset(token)
