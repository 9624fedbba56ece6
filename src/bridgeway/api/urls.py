"""``/api/v1/``: the versioned REST API. Anything else under it answers a JSON 404."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from bridgeway.api import cases, tokens
from bridgeway.api.errors import NOT_FOUND_BODY


def not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    return JsonResponse(NOT_FOUND_BODY, status=404)


app_name = "api"
urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("auth/tokens/", tokens.TokenCollectionView.as_view(), name="tokens"),
    path("auth/tokens/<bwid:token_id>/", tokens.TokenView.as_view(), name="token"),
    path("cases/", cases.CaseCollectionView.as_view(), name="cases"),
    path("cases/duplicates/", cases.DuplicatesView.as_view(), name="case_duplicates"),
    path("cases/<bwid:case_id>/", cases.CaseView.as_view(), name="case"),
    path("cases/<bwid:case_id>/child/", cases.ChildView.as_view(), name="case_child"),
    path("cases/<bwid:case_id>/notes/", cases.NotesView.as_view(), name="case_notes"),
    path("cases/<bwid:case_id>/status/", cases.StatusView.as_view(), name="case_status"),
    path("cases/<bwid:case_id>/closure/", cases.ClosureView.as_view(), name="case_closure"),
    path("cases/<bwid:case_id>/closure/decision/", cases.ClosureDecisionView.as_view(),
         name="case_closure_decision"),
    path("cases/<bwid:case_id>/reopen/", cases.ReopenView.as_view(), name="case_reopen"),
    path("cases/<bwid:case_id>/assign/", cases.AssignView.as_view(), name="case_assign"),
    # Capabilities mount their API routes here, before the catch-all, e.g.
    # path("justice/", include("bridgeway.justice.api_urls")).
    path("care/", include("bridgeway.care.api_urls")),
    path("justice/", include("bridgeway.justice.api_urls")),
    path("sharing/", include("bridgeway.referrals.api_urls")),
    re_path(r"^(?P<rest>.*)$", not_found),
]
