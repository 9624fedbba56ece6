"""What every API view shares: JSON only, authentication required, verified sessions.

Authentication (settings ``REST_FRAMEWORK``) is a bearer token (``accounts.api_auth``) or
the web session. A web session counts only once two-factor verification is done where it
is required: the web middleware lets ``/api/`` through unverified (API clients carry
tokens, not sessions), so the check is repeated here.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.serializers import Serializer
from rest_framework.views import APIView

from bridgeway.accounts.middleware import mfa_required_for
from bridgeway.api.parsers import BoundedJSONParser


def by_session(request: Request) -> bool:
    return isinstance(request.successful_authenticator, SessionAuthentication)


class SessionIsVerified(BasePermission):
    message = "Complete two-factor verification in the web application first."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not by_session(request) or not mfa_required_for(user):
            return True
        is_verified = getattr(user, "is_verified", None)
        return bool(is_verified and is_verified())


class ApiView(APIView):
    parser_classes = [BoundedJSONParser]
    permission_classes = [IsAuthenticated, SessionIsVerified]


def shaped(serializer_class: type[Serializer], data: Any) -> Any:  # type: ignore[type-arg]
    """Check ``data`` against a shape (raising 400 with field paths) and return the client's
    data unchanged, for the domain to validate."""
    serializer_class(data=data).is_valid(raise_exception=True)
    return data


def path_id(name: str, what: str) -> OpenApiParameter:
    """The schema of an id in the path; a hidden record answers 404 like a missing one."""
    return OpenApiParameter(name, int, OpenApiParameter.PATH,
                            description=f"{what} id. One you may not see answers 404, exactly "
                                        "like one that does not exist.")
