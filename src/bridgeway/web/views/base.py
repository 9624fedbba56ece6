"""Helpers shared by the views: domain errors to HTTP, htmx detection, safe redirects."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.http import url_has_allowed_host_and_scheme

from bridgeway.core.errors import NotAllowed, NotFound

View = Callable[..., HttpResponse]


def domain_errors(view: View) -> View:
    """``NotFound`` -> 404 and ``NotAllowed`` -> 403, wherever in the view they are raised."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404("Not found.") from exc
        except NotAllowed as exc:
            raise PermissionDenied(exc.message) from exc

    return wrapper


def is_htmx_partial(request: HttpRequest) -> bool:
    """An htmx swap wants the fragment; a history restore wants the whole page."""
    return (request.headers.get("HX-Request") == "true"
            and request.headers.get("HX-History-Restore-Request") != "true")


def safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return fallback


def int_or_none(raw: Any) -> int | None:
    raw = str(raw or "").strip()
    return int(raw) if raw.isdecimal() and len(raw) < 18 else None
