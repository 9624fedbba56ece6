"""Idle session timeout and mandatory two-factor authentication for web sessions."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

# Paths a logged-in user may reach before completing two-factor verification.
MFA_OPEN_PREFIXES = ("/mfa/", "/logout/", "/static/", "/healthz", "/api/", "/odk/")


class IdleTimeoutMiddleware:
    """Log the user out after ``BRIDGEWAY_IDLE_TIMEOUT`` seconds without a request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and hasattr(request, "session"):
            now = int(time.time())
            last = request.session.get("bw_last_seen")
            if last is not None and now - int(last) > settings.BRIDGEWAY_IDLE_TIMEOUT:
                logout(request)
                return redirect(f"{reverse('web:login')}?timeout=1")
            request.session["bw_last_seen"] = now
        return self.get_response(request)


def mfa_required_for(user: object) -> bool:
    """Production settings require a verified TOTP device for every user; the demo turns
    ``BRIDGEWAY_REQUIRE_MFA`` off (the README says so)."""
    return bool(settings.BRIDGEWAY_REQUIRE_MFA)


class RequireMFAMiddleware:
    """With ``BRIDGEWAY_REQUIRE_MFA`` (on in production), every web session must be verified
    with a TOTP device; users without one are sent to enrol."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (user.is_authenticated and mfa_required_for(user)
                and not user.is_verified()  # type: ignore[union-attr]
                and not request.path.startswith(MFA_OPEN_PREFIXES)):
            return redirect("web:mfa")
        return self.get_response(request)
