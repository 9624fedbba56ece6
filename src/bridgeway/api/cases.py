"""Case endpoints: thin adapters over ``cases``/``registry`` selectors and services.

Each view checks the JSON shape, calls exactly one selector or service with the acting
user, and presents the result. The access policy (who sees which case; 404 for anything
else) and the audit entries come from those domain functions — there is no other path to
child data here.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from bridgeway.access import policy
from bridgeway.api import inputs, outputs
from bridgeway.api.base import ApiView, shaped
from bridgeway.cases.models import Status
from bridgeway.cases.selectors import (
    CaseFilters,
    case_detail,
    case_list,
    registration_duplicates,
)
from bridgeway.cases.services import (
    case_add_note,
    case_assign,
    case_decide_closure,
    case_reopen,
    case_request_closure,
    case_set_status,
    case_update,
)
from bridgeway.core.errors import ValidationFailed
from bridgeway.registry.services import child_register, child_update

TAG = ["cases"]
CASE_ID = OpenApiParameter("case_id", int, OpenApiParameter.PATH,
                           description="Case id. A case you may not see answers 404, exactly "
                                       "like a case that does not exist.")
READ_ERRORS = outputs.READ_ERRORS
WRITE_ERRORS = outputs.WRITE_ERRORS
VERSIONED_WRITE_ERRORS = outputs.VERSIONED_WRITE_ERRORS


def _without_version(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != "version"}


def _case_out(request: Request, case: Any) -> Response:
    categories = policy.categories_for(request.user, case)
    return Response(outputs.CaseOut(case, context={"categories": categories}).data)


def _register_paths(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """Registration errors from the domain name child fields bare (``names[0].value``) and
    case fields with ``case.``; give both the path of the request body."""
    child_keys, case_keys = set(inputs.ChildIn().fields), set(inputs.CaseOpenIn().fields)
    out: dict[str, list[str]] = {}
    for key, messages in errors.items():
        root = key.split(".")[0].split("[")[0]
        if root in case_keys:
            key = f"case.{key}"
        elif root in child_keys:
            key = f"child.{key}"
        out.setdefault(key, []).extend(messages)
    return out


class CaseCollectionView(ApiView):
    @extend_schema(
        tags=TAG, operation_id="cases_list", parameters=[inputs.CaseListQuery],
        summary="List or search the cases you may see",
        description="Newest first, 25 a page (follow ``next_cursor``). With ``q``: by any "
                    "name or alias in any script, case number or identifier, ranked. "
                    "Users who may see no individual records get an empty list.",
        responses={200: outputs.CasePageOut, 400: outputs.ErrorsOut, 401: outputs.DetailOut})
    def get(self, request: Request) -> Response:
        shape = inputs.CaseListQuery(data=request.query_params)
        shape.is_valid(raise_exception=True)
        # ``overdue`` as the shape read it (true/false/1/0/yes/no …), in the domain's words.
        params = {**request.query_params.dict(),
                  "overdue": "true" if shape.validated_data.get("overdue") else ""}
        filters = CaseFilters.from_params(params)
        page = case_list(actor=request.user, filters=filters)
        return Response(outputs.CasePageOut(
            {"items": page.cases, "next_cursor": page.next_cursor}).data)

    @extend_schema(
        tags=TAG, operation_id="cases_register", request=inputs.RegisterIn,
        summary="Register a child and open a case in your agency",
        description="Refused (400) when the child's lowest plausible age is 18 or more. "
                    "Check for possible duplicates first (POST /cases/duplicates/).",
        responses={201: outputs.CaseOut, 400: outputs.ErrorsOut, 401: outputs.DetailOut,
                   403: outputs.DetailOut})
    def post(self, request: Request) -> Response:
        data = shaped(inputs.RegisterIn, request.data)
        try:
            case = child_register(actor=request.user, child=data["child"],
                                  case=data.get("case"))
        except ValidationFailed as exc:
            raise ValidationFailed(_register_paths(exc.errors)) from exc
        response = _case_out(request, case)
        response.status_code = status.HTTP_201_CREATED
        return response


class DuplicatesView(ApiView):
    @extend_schema(
        tags=TAG, operation_id="cases_duplicates", request=inputs.ChildIn,
        summary="Children you may see who could be this child",
        description="Send the child as you would register it (names, aliases, identifiers). "
                    "Only records you may see are searched; nothing is stored.",
        responses={200: outputs.DuplicatesOut, 400: outputs.ErrorsOut,
                   401: outputs.DetailOut})
    def post(self, request: Request) -> Response:
        data = shaped(inputs.ChildIn, request.data)
        items = registration_duplicates(actor=request.user, child=data)
        return Response(outputs.DuplicatesOut({"items": items}).data)


class CaseView(ApiView):
    @extend_schema(tags=TAG, operation_id="cases_retrieve", parameters=[CASE_ID],
                   summary="One case with the child's identity, notes, tasks and timeline",
                   responses={200: outputs.CaseDetailOut, **READ_ERRORS})
    def get(self, request: Request, case_id: int) -> Response:
        detail = case_detail(actor=request.user, case_id=case_id)
        return Response(outputs.CaseDetailOut(
            detail, context={"categories": detail.categories}).data)

    @extend_schema(tags=TAG, operation_id="cases_update", parameters=[CASE_ID],
                   request=inputs.CaseUpdateIn, summary="Edit case details",
                   description="Only the keys sent change. 409 with ``current_version`` when "
                               "someone saved since you read ``version``.",
                   responses={200: outputs.CaseOut, **VERSIONED_WRITE_ERRORS})
    def patch(self, request: Request, case_id: int) -> Response:
        data = shaped(inputs.CaseUpdateIn, request.data)
        case = case_update(actor=request.user, case_id=case_id,
                           expected_version=data["version"], data=_without_version(data))
        return _case_out(request, case)


class ChildView(ApiView):
    @extend_schema(tags=TAG, operation_id="cases_child_replace", parameters=[CASE_ID],
                   request=inputs.ChildReplaceIn, summary="Replace the child's identity",
                   description="``version`` is the child's version (``child.version`` in the "
                               "case detail). Age assessments sent are added to the history.",
                   responses={200: outputs.ChildOut, **VERSIONED_WRITE_ERRORS})
    def put(self, request: Request, case_id: int) -> Response:
        data = shaped(inputs.ChildReplaceIn, request.data)
        child = child_update(actor=request.user, case_id=case_id,
                             expected_version=data["version"], child=_without_version(data))
        case = policy.case_for(request.user, pk=case_id)
        categories = policy.categories_for(request.user, case)
        return Response(outputs.ChildOut(child, context={"categories": categories}).data)


class NotesView(ApiView):
    @extend_schema(tags=TAG, operation_id="cases_notes_create", parameters=[CASE_ID],
                   request=inputs.NoteIn, summary="Add a case note",
                   responses={201: outputs.NoteOut, **WRITE_ERRORS})
    def post(self, request: Request, case_id: int) -> Response:
        data = shaped(inputs.NoteIn, request.data)
        note = case_add_note(actor=request.user, case_id=case_id, body=data["body"])
        return Response(outputs.NoteOut(note).data, status=status.HTTP_201_CREATED)


class StatusView(ApiView):
    @extend_schema(tags=TAG, operation_id="cases_status", parameters=[CASE_ID],
                   request=inputs.StatusIn, summary="Move the case to another working step",
                   responses={200: outputs.CaseOut, **VERSIONED_WRITE_ERRORS})
    def post(self, request: Request, case_id: int) -> Response:
        data = shaped(inputs.StatusIn, request.data)
        case = case_set_status(actor=request.user, case_id=case_id,
                               expected_version=data["version"], status=data["status"])
        return _case_out(request, case)


class ClosureView(ApiView):
    @extend_schema(tags=TAG, operation_id="cases_closure_request", parameters=[CASE_ID],
                   request=inputs.ClosureRequestIn,
                   summary="Request closure (a supervisor approves or returns it)",
                   responses={200: outputs.CaseOut, **WRITE_ERRORS})
    def post(self, request: Request, case_id: int) -> Response:
        data = shaped(inputs.ClosureRequestIn, request.data)
        case = case_request_closure(actor=request.user, case_id=case_id,
                                    reason=data["reason"], note=data.get("note") or "")
        return _case_out(request, case)


class ClosureDecisionView(ApiView):
    @extend_schema(tags=TAG, operation_id="cases_closure_decide", parameters=[CASE_ID],
                   request=inputs.ClosureDecisionIn,
                   summary="Approve or return a closure request (supervisors)",
                   responses={200: outputs.CaseOut, **WRITE_ERRORS})
    def post(self, request: Request, case_id: int) -> Response:
        data = shaped(inputs.ClosureDecisionIn, request.data)
        case = case_decide_closure(actor=request.user, case_id=case_id,
                                   approve=data["decision"] == "approve",
                                   comment=data.get("comment") or "")
        return _case_out(request, case)


class ReopenView(ApiView):
    @extend_schema(tags=TAG, operation_id="cases_reopen", parameters=[CASE_ID],
                   request=inputs.ReopenIn, summary="Reopen a closed case (supervisors)",
                   responses={200: outputs.CaseOut, **WRITE_ERRORS})
    def post(self, request: Request, case_id: int) -> Response:
        data = shaped(inputs.ReopenIn, request.data)
        case = case_reopen(actor=request.user, case_id=case_id, reason=data["reason"],
                           status=data.get("status") or Status.FOLLOW_UP)
        return _case_out(request, case)


class AssignView(ApiView):
    @extend_schema(tags=TAG, operation_id="cases_assign", parameters=[CASE_ID],
                   request=inputs.AssignIn, summary="Assign the case (supervisors)",
                   responses={200: outputs.CaseOut, **WRITE_ERRORS})
    def post(self, request: Request, case_id: int) -> Response:
        data = shaped(inputs.AssignIn, request.data)
        case = case_assign(actor=request.user, case_id=case_id, user_id=data["assigned_to"])
        return _case_out(request, case)
