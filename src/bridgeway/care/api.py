"""Care endpoints (``/api/v1/care/…``): assessments and other filled forms, the plan, its
goals and actions, services delivered, plan reviews and supervisor decisions.

Thin adapters, as ``bridgeway.api.cases``: each view checks the JSON *shape* (strict
serializers: unknown keys and wrong JSON types are 400), calls one ``care`` selector or
service with the acting user, and presents the result with an explicit output serializer.
The access policy (404 for a case or record the user may not see — the same answer as for
one that does not exist), the data-category filter on answers and the audit entries come
from those domain functions, exactly as for the pages.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from bridgeway.api.base import ApiView, path_id, shaped
from bridgeway.api.fields import (
    DateString,
    EnumString,
    StrictBoolean,
    StrictInteger,
    StrictSerializer,
    StrictString,
    optional,
)
from bridgeway.api.outputs import (
    READ_ERRORS,
    WRITE_ERRORS,
    ConflictOut,
    ErrorsOut,
    UserRefOut,
)
from bridgeway.care import selectors, services
from bridgeway.care.models import ActionStatus, GoalStatus, ServiceType
from bridgeway.core.errors import ValidationFailed
from bridgeway.forms.models import Purpose
from bridgeway.forms.selectors import form_record_visible_data

TAG = ["care"]
MAX_ID = 2**62



CASE_ID = path_id("case_id", "Case")
RECORD_ID = path_id("record_id", "Filled form (record)")
GOAL_ID = path_id("goal_id", "Plan goal")
ACTION_ID = path_id("action_id", "Plan action")


# ---------------------------------------------------------------- input shapes


class RecordIn(StrictSerializer):
    form_id = StrictString(help_text="The XForm id of the form, e.g. bw_psychosocial_assessment.")
    version = optional(StrictString, help_text="The form version label; default: current.")
    values = serializers.DictField(
        help_text="Answers by field name, as ODK stores them: text, numbers, dates "
                  "YYYY-MM-DD, select_multiple answers separated by spaces, repeats as lists "
                  "of objects. The case number is filled in by the server.")
    draft = optional(StrictBoolean, help_text="Save without the required checks.")
    instance_id = optional(StrictString, help_text="uuid:… — sending the same id again "
                                                   "returns the stored record.")


class RecordListQuery(StrictSerializer):
    purpose = serializers.ChoiceField(choices=Purpose.choices, required=False)


class DecisionIn(StrictSerializer):
    # A plain string, not an enum: the schema's ``DecisionEnum`` is the case closure's
    # (other labels); the view checks the value.
    decision = StrictString(help_text="'approve' or 'return'.")
    comment = optional(StrictString, help_text="Required to return the record.")
    version = optional(StrictInteger, min_value=1, max_value=2**31,
                       help_text="The record version you read (409 if it changed since).")


class GoalStatusIn(StrictSerializer):
    goal_status = EnumString(choices=GoalStatus.choices,
                             help_text="Named as in the plan form.")


class ActionStatusIn(StrictSerializer):
    action_status = EnumString(choices=ActionStatus.choices,
                               help_text="Named as in the plan form.")


class ApprovalRequestIn(StrictSerializer):
    note = optional(StrictString, help_text="What the supervisor should know, e.g. what "
                                            "changed since the record was returned.")


class ServiceIn(StrictSerializer):
    service_type = EnumString(choices=ServiceType.choices)
    description = optional(StrictString, help_text="Required for the type 'other'.")
    provider_agency = optional(StrictInteger, min_value=1, max_value=MAX_ID,
                               help_text="A registered agency's id …")
    provider_name = optional(StrictString, help_text="… or the provider's name.")
    start_date = DateString(help_text="Not after today.")
    end_date = optional(DateString, help_text="Not after today, not before the start; "
                                              "empty while the service goes on.")
    outcome = optional(StrictString)
    action = optional(StrictInteger, min_value=1, max_value=MAX_ID,
                      help_text="The plan action this service delivers.")


class ReviewIn(StrictSerializer):
    reviewed_on = DateString(help_text="Not after today nor before the plan's approval.")
    summary = StrictString()
    child_views = StrictString(help_text="What the child said.")
    child_views_weight = StrictString(help_text="How the child's views were taken into "
                                                "account.")
    plan_change_needed = optional(StrictBoolean)
    next_review_on = optional(DateString, help_text="Sooner than the regular interval, "
                                                    "if wanted.")


# ---------------------------------------------------------------- outputs


class AgencyRefOut(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class ApprovalOut(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    record_id = serializers.IntegerField(source="care_record.record_id")
    purpose = serializers.CharField(source="care_record.purpose")
    decision = serializers.CharField(help_text="pending, approved or returned.")
    record_version = serializers.IntegerField(
        help_text="The record version sent (or, once decided, decided on).")
    requested_by = UserRefOut()
    requested_at = serializers.DateTimeField()
    request_note = serializers.CharField()
    decided_by = UserRefOut(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    comment = serializers.CharField()


class RecordOut(serializers.Serializer):  # type: ignore[type-arg]
    """A filled form. ``data`` holds only the answers in data categories you may see."""

    id = serializers.IntegerField(source="record.pk")
    case_id = serializers.IntegerField(source="record.case_id")
    form_id = serializers.CharField(source="record.form_version.form.form_id")
    form_version = serializers.CharField(source="record.form_version.version")
    title = serializers.CharField(source="record.form_version.title")
    purpose = serializers.ChoiceField(choices=Purpose.choices)
    status = serializers.CharField(source="record.status")
    channel = serializers.CharField(source="record.channel")
    instance_id = serializers.CharField(source="record.instance_id")
    version = serializers.IntegerField(source="record.version")
    submitted_by = UserRefOut(source="record.submitted_by")
    submitted_at = serializers.DateTimeField(source="record.submitted_at", allow_null=True)
    created_at = serializers.DateTimeField(source="record.created_at")
    updated_at = serializers.DateTimeField(source="record.updated_at")
    data = serializers.DictField()
    approval = ApprovalOut(allow_null=True, help_text="The latest approval round, if any.")


class RecordListOut(serializers.Serializer):  # type: ignore[type-arg]
    items = RecordOut(many=True)


class ActionOut(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    lineage_id = serializers.IntegerField(help_text="The same for this action in every "
                                                    "version of the plan.")
    position = serializers.IntegerField()
    text = serializers.CharField()
    responsible_agency_text = serializers.CharField()
    responsible_agency = AgencyRefOut(allow_null=True)
    due_date = serializers.DateField(allow_null=True)
    status = serializers.CharField()
    form_status = serializers.CharField(help_text="The status the plan form gave.")
    superseded = serializers.SerializerMethodField()

    def get_superseded(self, action: Any) -> bool:
        return action.superseded_at is not None


class GoalOut(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    record_id = serializers.IntegerField()
    record_version = serializers.IntegerField()
    position = serializers.IntegerField()
    domain = serializers.CharField()
    text = serializers.CharField()
    status = serializers.CharField()
    form_status = serializers.CharField()
    actions = ActionOut(many=True, source="actions.all")


class ReviewOut(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    plan_record_id = serializers.IntegerField()
    reviewed_on = serializers.DateField()
    summary = serializers.CharField()
    child_views = serializers.CharField()
    child_views_weight = serializers.CharField()
    plan_change_needed = serializers.BooleanField()
    next_review_on = serializers.DateField(allow_null=True)
    recorded_by = UserRefOut()
    recorded_at = serializers.DateTimeField()


class ReviewListOut(serializers.Serializer):  # type: ignore[type-arg]
    items = ReviewOut(many=True)


class PlanRecordOut(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    status = serializers.CharField()
    version = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class PlanInForceOut(serializers.Serializer):  # type: ignore[type-arg]
    record_id = serializers.IntegerField(source="record.pk")
    approved_on = serializers.DateField()
    approved_by = UserRefOut(source="approval.decided_by")


class PlanOut(serializers.Serializer):  # type: ignore[type-arg]
    """The newest plan (approved or not) with its goals and actions; the plan in force
    (the latest approved one) and when it must next be reviewed."""

    record = PlanRecordOut(allow_null=True)
    approval = ApprovalOut(allow_null=True)
    in_force = PlanInForceOut(allow_null=True)
    next_review_due = serializers.DateField(allow_null=True)
    review_overdue = serializers.BooleanField()
    goals = GoalOut(many=True)
    reviews = ReviewOut(many=True)


class ServiceOut(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    service_type = serializers.ChoiceField(choices=ServiceType.choices)
    description = serializers.CharField()
    provider_agency = AgencyRefOut(allow_null=True)
    provider_name = serializers.CharField()
    start_date = serializers.DateField()
    end_date = serializers.DateField(allow_null=True)
    outcome = serializers.CharField()
    action_id = serializers.IntegerField(allow_null=True)
    recorded_by = UserRefOut()
    recorded_at = serializers.DateTimeField()


class ServiceListOut(serializers.Serializer):  # type: ignore[type-arg]
    items = ServiceOut(many=True)


# ---------------------------------------------------------------- views


class AssessmentsView(ApiView):
    @extend_schema(
        tags=TAG, operation_id="care_assessments_list",
        parameters=[CASE_ID, OpenApiParameter("purpose", str, enum=Purpose.values,
                                              description="Only forms for this purpose.")],
        summary="The case's filled forms: assessments, plans and decisions",
        description="Newest first, with their answers in the data categories you may see "
                    "and their latest approval round.",
        responses={200: RecordListOut, 400: ErrorsOut, **READ_ERRORS})
    def get(self, request: Request, case_id: int) -> Response:
        shape = RecordListQuery(data=request.query_params.dict())
        shape.is_valid(raise_exception=True)
        items = selectors.care_records_for_case(actor=request.user, case_id=case_id,
                                                purpose=shape.validated_data.get("purpose"))
        return Response(RecordListOut({"items": items}).data)

    @extend_schema(
        tags=TAG, operation_id="care_assessments_submit", parameters=[CASE_ID],
        request=RecordIn, summary="Fill a form on the case",
        description="The answers are checked by the form's own rules (the same as on the "
                    "web and from ODK clients); every problem comes back by field path "
                    "(``goal[1].action[2].due_date``). A reintegration plan is refused "
                    "before the child's psychosocial assessment exists. A plan, "
                    "best-interests determination or closure goes to a supervisor.",
        responses={201: RecordOut, **WRITE_ERRORS, 409: ConflictOut})
    def post(self, request: Request, case_id: int) -> Response:
        data = shaped(RecordIn, request.data)
        record = services.care_record_submit(
            actor=request.user, case_id=case_id, form_id=data["form_id"],
            version=data.get("version"), values=data["values"],
            draft=bool(data.get("draft")), instance_id=data.get("instance_id"))
        item = selectors.RecordItem(
            record, form_record_visible_data(actor=request.user, record=record),
            selectors.latest_approvals([record.pk]).get(record.pk))
        return Response(RecordOut(item).data, status=status.HTTP_201_CREATED)


class AssessmentView(ApiView):
    @extend_schema(tags=TAG, operation_id="care_assessments_retrieve",
                   parameters=[RECORD_ID], summary="One filled form",
                   responses={200: RecordOut, **READ_ERRORS})
    def get(self, request: Request, record_id: int) -> Response:
        return Response(RecordOut(selectors.care_record_get(
            actor=request.user, record_id=record_id)).data)


class DecisionView(ApiView):
    @extend_schema(
        tags=TAG, operation_id="care_assessments_decide", parameters=[RECORD_ID],
        request=DecisionIn, summary="Approve or return a decision record (supervisors)",
        description="Plans, best-interests determinations and closures. Not on a record you "
                    "wrote or sent (403). Approval is refused (400) while the child's views "
                    "— what the child said, how it was taken into account — are missing.",
        responses={200: ApprovalOut, **WRITE_ERRORS, 409: ConflictOut})
    def post(self, request: Request, record_id: int) -> Response:
        data = shaped(DecisionIn, request.data)
        if data["decision"] not in ("approve", "return"):
            raise ValidationFailed.single("decision", "Must be 'approve' or 'return'.")
        approval = services.approval_decide(
            actor=request.user, record_id=record_id, approve=data["decision"] == "approve",
            comment=data.get("comment") or "", expected_version=data.get("version"))
        return Response(ApprovalOut(approval).data)


class ApprovalRequestView(ApiView):
    @extend_schema(
        tags=TAG, operation_id="care_assessments_request_approval", parameters=[RECORD_ID],
        request=ApprovalRequestIn, summary="Send a decision record (again) to a supervisor",
        description="After it was returned for changes, or a plan written before the "
                    "psychosocial assessment existed (refused, 400, until it does).",
        responses={201: ApprovalOut, **WRITE_ERRORS})
    def post(self, request: Request, record_id: int) -> Response:
        data = shaped(ApprovalRequestIn, request.data if request.data else {})
        approval = services.approval_request(actor=request.user, record_id=record_id,
                                             note=data.get("note") or "")
        return Response(ApprovalOut(approval).data, status=status.HTTP_201_CREATED)


class PlanView(ApiView):
    @extend_schema(tags=TAG, operation_id="care_plan_retrieve", parameters=[CASE_ID],
                   summary="The reintegration plan: goals, actions, reviews, next review",
                   responses={200: PlanOut, **READ_ERRORS})
    def get(self, request: Request, case_id: int) -> Response:
        view = selectors.plan_for_case(actor=request.user, case_id=case_id)
        return Response(PlanOut(view).data)


class GoalView(ApiView):
    @extend_schema(tags=TAG, operation_id="care_plan_goals_update", parameters=[GOAL_ID],
                   request=GoalStatusIn, summary="Change a goal's status",
                   responses={200: GoalOut, **WRITE_ERRORS})
    def patch(self, request: Request, goal_id: int) -> Response:
        data = shaped(GoalStatusIn, request.data)
        goal = services.plan_goal_set_status(actor=request.user, goal_id=goal_id,
                                             status=data["goal_status"])
        return Response(GoalOut(goal).data)


class ActionView(ApiView):
    @extend_schema(tags=TAG, operation_id="care_plan_actions_update", parameters=[ACTION_ID],
                   request=ActionStatusIn, summary="Change an action's status",
                   description="Only the status changes: the plan form is not validated "
                               "again (its due dates may be past by now).",
                   responses={200: ActionOut, **WRITE_ERRORS})
    def patch(self, request: Request, action_id: int) -> Response:
        data = shaped(ActionStatusIn, request.data)
        action = services.plan_action_set_status(actor=request.user, action_id=action_id,
                                                 status=data["action_status"])
        return Response(ActionOut(action).data)


class ServicesView(ApiView):
    @extend_schema(tags=TAG, operation_id="care_services_list", parameters=[CASE_ID],
                   summary="Services delivered to the child",
                   responses={200: ServiceListOut, **READ_ERRORS})
    def get(self, request: Request, case_id: int) -> Response:
        items = selectors.services_for_case(actor=request.user, case_id=case_id)
        return Response(ServiceListOut({"items": items}).data)

    @extend_schema(tags=TAG, operation_id="care_services_create", parameters=[CASE_ID],
                   request=ServiceIn, summary="Record a service delivered",
                   responses={201: ServiceOut, **WRITE_ERRORS})
    def post(self, request: Request, case_id: int) -> Response:
        data = shaped(ServiceIn, request.data)
        service = services.service_record(actor=request.user, case_id=case_id, data=data)
        return Response(ServiceOut(service).data, status=status.HTTP_201_CREATED)


class ReviewsView(ApiView):
    @extend_schema(tags=TAG, operation_id="care_reviews_list", parameters=[CASE_ID],
                   summary="Reviews of the case's plans",
                   responses={200: ReviewListOut, **READ_ERRORS})
    def get(self, request: Request, case_id: int) -> Response:
        items = selectors.reviews_for_case(actor=request.user, case_id=case_id)
        return Response(ReviewListOut({"items": items}).data)

    @extend_schema(tags=TAG, operation_id="care_reviews_create", parameters=[CASE_ID],
                   request=ReviewIn, summary="Record a review of the plan in force",
                   description="With the child's views. Moves the next review date "
                               "(every BRIDGEWAY_PLAN_REVIEW_MONTHS months at least).",
                   responses={201: ReviewOut, **WRITE_ERRORS})
    def post(self, request: Request, case_id: int) -> Response:
        data = shaped(ReviewIn, request.data)
        review = services.plan_review_record(actor=request.user, case_id=case_id, data=data)
        return Response(ReviewOut(review).data, status=status.HTTP_201_CREATED)
