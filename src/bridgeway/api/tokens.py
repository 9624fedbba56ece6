"""API tokens: issued from a signed-in web session, listed and revoked by their owner.

Why session-only issuance: a token is a long-lived credential. Minting one requires the
strongest proof the system has — a web login that passed two-factor verification where it
is required — and never just another token, so a leaked token cannot mint successors.
The raw token is returned once; only its hash is stored (``accounts.services``).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from bridgeway.accounts.services import api_token_issue, api_token_revoke
from bridgeway.api import inputs, outputs
from bridgeway.api.base import ApiView, by_session, shaped

TAG = ["auth"]


class TokenCollectionView(ApiView):
    @extend_schema(tags=TAG, operation_id="tokens_list", summary="Your API tokens",
                   responses={200: outputs.TokenListOut, 401: outputs.DetailOut})
    def get(self, request: Request) -> Response:
        tokens = request.user.api_tokens.all()
        return Response(outputs.TokenListOut({"items": tokens}).data)

    @extend_schema(tags=TAG, operation_id="tokens_issue", request=inputs.TokenIssueIn,
                   summary="Issue an API token (from a signed-in web session only)",
                   description="The response carries the token once; store it safely. "
                               "Valid for ``days_valid`` days (default 90, at most 365).",
                   responses={201: outputs.TokenIssuedOut, 400: outputs.ErrorsOut,
                              401: outputs.DetailOut, 403: outputs.DetailOut})
    def post(self, request: Request) -> Response:
        if not by_session(request):
            raise PermissionDenied("API tokens are issued from a signed-in web session, "
                                   "not with another token.")
        data = shaped(inputs.TokenIssueIn, request.data)
        token, raw = api_token_issue(user=request.user, name=data["name"],
                                     days_valid=data.get("days_valid", 90))
        token.raw = raw  # type: ignore[attr-defined]
        return Response(outputs.TokenIssuedOut(token).data, status=status.HTTP_201_CREATED)


class TokenView(ApiView):
    @extend_schema(tags=TAG, operation_id="tokens_revoke", summary="Revoke one of your tokens",
                   parameters=[OpenApiParameter("token_id", int, OpenApiParameter.PATH)],
                   request=None,
                   responses={204: None, 401: outputs.DetailOut, 404: outputs.DetailOut})
    def delete(self, request: Request, token_id: int) -> Response:
        api_token_revoke(user=request.user, token_id=token_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
