"""Translate domain errors into API responses: 400 with field-level messages, 404 for
anything not visible, 409 for edit conflicts.

Every 400 has one body shape, whether the shape check (DRF serializer) or the domain
validation refused the input: ``{"errors": {"<field path>": ["message", ...]}}`` with paths
like ``child.names[0].value`` and ``__all__`` for the request as a whole.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_handler

from bridgeway.core.errors import Conflict, DomainError, NotAllowed, NotFound, ValidationFailed

NOT_FOUND_BODY = {"detail": "Not found."}


def flatten_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error structure -> ``{"a.b[0].c": [messages]}``."""
    out: dict[str, list[str]] = {}

    def put(path: str, messages: list[Any]) -> None:
        out.setdefault(path or "__all__", []).extend(str(m) for m in messages)

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == api_settings.NON_FIELD_ERRORS_KEY:
                    walk(value, path)
                elif isinstance(key, int):  # ListField / DictField child errors
                    walk(value, f"{path}[{key}]")
                else:
                    walk(value, f"{path}.{key}" if path else str(key))
        elif isinstance(node, list):
            if all(not isinstance(item, dict | list) for item in node):
                put(path, node)
            else:  # a list serializer: one entry per item, empty for valid items
                for i, item in enumerate(node):
                    if item:
                        walk(item, f"{path}[{i}]")
        else:
            put(path, [node])

    walk(detail, prefix)
    return out


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ValidationFailed):
        return Response({"errors": exc.errors}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, NotFound):
        return Response(dict(NOT_FOUND_BODY), status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, Conflict):
        return Response({"detail": exc.message, "current_version": exc.current_version},
                        status=status.HTTP_409_CONFLICT)
    if isinstance(exc, NotAllowed):
        return Response({"detail": exc.message}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, DomainError):
        return Response({"errors": {"__all__": [exc.message]}},
                        status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, exceptions.ValidationError):
        return Response({"errors": flatten_errors(exc.detail)},
                        status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, RequestDataTooBig):
        return Response({"detail": "The request body is too large."},
                        status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, exceptions.ParseError):
        return Response({"errors": {"__all__": [str(exc.detail)]}},
                        status=status.HTTP_400_BAD_REQUEST)
    response = drf_handler(exc, context)
    if response is not None and response.status_code == status.HTTP_404_NOT_FOUND:
        response.data = dict(NOT_FOUND_BODY)
    return response
