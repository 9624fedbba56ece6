"""Sharing endpoints (``/api/v1/sharing/…``): consent, referrals, the shared record,
transfers, break-glass, notifications and the data-subject requests (export, corrections).

Thin adapters, as ``bridgeway.api.cases``: each view checks the JSON *shape* (strict
serializers: unknown keys and wrong JSON types are 400), calls one ``referrals`` selector
or service with the acting user, and presents the result with an explicit output
serializer. The access policy (404 for a case or referral the user may not see — the same
answer as for one that does not exist), the data-category filter and the audit entries
come from those domain functions, exactly as for the pages under ``/sharing/``.

Value sets (data categories, statuses) are documented as strings rather than schema enums:
the domain checks them, with the same message as on the pages, and the names would
collide with the enums of other endpoints.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from bridgeway.access.policy import Category
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
from bridgeway.api.outputs import READ_ERRORS, WRITE_ERRORS, DetailOut, ErrorsOut
from bridgeway.core.errors import ValidationFailed
from bridgeway.referrals import selectors, services, subject_requests
from bridgeway.referrals.models import ConsentGiver, CorrectionRequester, ReferralStatus

TAG = ["sharing"]
MAX_ID = 2**62
CATEGORIES_HELP = ("Data categories: " + ", ".join(c.value for c in Category) + ".")
LIST_ERRORS: dict[int, Any] = {400: ErrorsOut, 401: DetailOut}



CASE_ID = path_id("case_id", "Case")
CONSENT_ID = path_id("consent_id", "Consent")
REFERRAL_ID = path_id("referral_id", "Referral")
TRANSFER_ID = path_id("transfer_id", "Transfer")
BREAK_GLASS_ID = path_id("break_glass_id", "Break-glass use")
CORRECTION_ID = path_id("correction_id", "Correction request")


def _categories_field(**kwargs: Any) -> serializers.ListField:
    return serializers.ListField(child=StrictString(), max_length=20,
                                 help_text=CATEGORIES_HELP, **kwargs)


# ---------------------------------------------------------------- input shapes

class NotificationsReadIn(StrictSerializer):
    """Either ``ids`` (your notifications to mark read) or ``all: true``."""

    ids = optional(serializers.ListField, child=StrictInteger(min_value=1, max_value=MAX_ID),
                   max_length=200)
    all = optional(StrictBoolean)


class ConsentIn(StrictSerializer):
    """A consent to share the case (a referral) or to move it (a transfer). Who consents
    depends on the child's lowest plausible age: under 13 the legal guardian
    (``family_member_id``) with the child's assent and views; from 13 the child, with the
    caregiver's involvement noted; at any age a supervisor's best-interests decision with
    a written reason."""

    kind = optional(StrictString, help_text="'referral' (default) or 'transfer'.")
    given_by = EnumString(choices=ConsentGiver.choices)
    categories = optional(serializers.ListField, child=StrictString(), max_length=20,
                          help_text=CATEGORIES_HELP + " Empty for a transfer: everything.")
    purpose = StrictString()
    valid_until = DateString(help_text="Inclusive; at most the configured maximum.")
    receiving_agency_id = optional(StrictInteger, min_value=1, max_value=MAX_ID)
    receiving_service = optional(StrictString, help_text="A service outside Bridgeway.")
    consented_on = optional(DateString, help_text="Default: today.")
    family_member_id = optional(StrictInteger, min_value=1, max_value=MAX_ID,
                                help_text="The legal guardian who consents.")
    child_assent = optional(StrictBoolean)
    child_views = optional(StrictString)
    caregiver_involvement = optional(StrictString)
    override_reason = optional(StrictString)


class WithdrawalIn(StrictSerializer):
    reason = StrictString(help_text="What the child or guardian said.")
    withdrawn_on = optional(DateString, help_text="Default: today.")


class ReviewNoteIn(StrictSerializer):
    note = StrictString()


class ReferralIn(StrictSerializer):
    """A referral under a valid consent whose scope covers the receiver and every
    category shared."""

    consent_id = StrictInteger(min_value=1, max_value=MAX_ID)
    categories = _categories_field()
    purpose = StrictString()
    receiving_agency_id = optional(StrictInteger, min_value=1, max_value=MAX_ID)
    service_name = optional(StrictString, help_text="A service outside Bridgeway.")
    plan_action_id = optional(StrictString, help_text="The plan's service line.")
    respond_by = optional(StrictString, help_text="ISO 8601 date and time; default: the "
                                                  "configured response time.")
    access_until = optional(DateString, help_text="Default: the end of the consent.")


class SharingAcceptIn(StrictSerializer):
    assign_to = optional(StrictInteger, min_value=1, max_value=MAX_ID,
                         help_text="Supervisors: a caseworker of your agency.")


class SharingReasonIn(StrictSerializer):
    reason = StrictString()


class ReferralAssignIn(StrictSerializer):
    user_id = StrictInteger(min_value=1, max_value=MAX_ID)


class ServiceReportIn(StrictSerializer):
    service_type = StrictString()
    delivered_on = DateString()
    outcome = StrictString()


class ReferralCloseIn(StrictSerializer):
    note = optional(StrictString, help_text="Required when no service was reported.")


class TransferIn(StrictSerializer):
    consent_id = StrictInteger(min_value=1, max_value=MAX_ID)
    to_agency_id = StrictInteger(min_value=1, max_value=MAX_ID)
    reason = StrictString()
    retain_access = optional(StrictBoolean, help_text="Keep read access after acceptance.")
    retained_categories = optional(serializers.ListField, child=StrictString(),
                                   max_length=20, help_text=CATEGORIES_HELP)
    retained_until = optional(DateString)


class BreakGlassIn(StrictSerializer):
    case_number = optional(StrictString, help_text="The case number …")
    case_id = optional(StrictInteger, min_value=1, max_value=MAX_ID, help_text="… or id.")
    reason = StrictString(help_text="Why this is an emergency (minimum length configured).")


class CorrectionIn(StrictSerializer):
    requested_by = EnumString(choices=CorrectionRequester.choices)
    family_member_id = optional(StrictInteger, min_value=1, max_value=MAX_ID,
                                help_text="The legal guardian who asks.")
    category = StrictString(help_text="The data category of what is said to be wrong. "
                                      + CATEGORIES_HELP)
    item = StrictString(help_text="Which part of the record, in their words.")
    statement = StrictString(help_text="What they say is wrong.")
    requested_change = StrictString()
    received_on = optional(DateString, help_text="Default: today.")


class CorrectionDecisionIn(StrictSerializer):
    decision = StrictString(help_text="'accept' or 'reject'.")
    reason = optional(StrictString, help_text="Required to reject.")


class ReferralStatusQuery(StrictSerializer):
    status = serializers.CharField(required=False, allow_blank=True, max_length=20,
                                   help_text="One of: " + ", ".join(ReferralStatus.values))


class BreakGlassReviewQuery(StrictSerializer):
    unreviewed = serializers.BooleanField(required=False, default=False)
    active = serializers.BooleanField(required=False, default=False)


# ---------------------------------------------------------------- output shapes

class ConsentOut(serializers.Serializer):  # type: ignore[type-arg]
    """A consent record (for the owning agency only)."""

    id = serializers.IntegerField()
    kind = serializers.CharField()
    given_by = serializers.CharField()
    representative_name = serializers.CharField()
    representative_relationship = serializers.CharField()
    child_age = serializers.IntegerField(allow_null=True)
    child_assent = serializers.BooleanField(allow_null=True)
    child_views = serializers.CharField()
    caregiver_involvement = serializers.CharField()
    override_reason = serializers.CharField()
    categories = serializers.ListField(child=serializers.CharField())
    purpose = serializers.CharField()
    receiving_agency = serializers.CharField(source="receiving_agency.code", allow_null=True)
    receiving_service = serializers.CharField()
    consented_on = serializers.DateField()
    valid_until = serializers.DateField()
    valid_now = serializers.SerializerMethodField()
    withdrawn_at = serializers.DateTimeField(allow_null=True)
    withdrawn_on = serializers.DateField(allow_null=True)
    withdrawal_reviewed_at = serializers.DateTimeField(allow_null=True)

    def get_valid_now(self, consent: Any) -> bool:
        return bool(consent.is_valid_now())


class ConsentListOut(serializers.Serializer):  # type: ignore[type-arg]
    items = ConsentOut(many=True)


class ReferralSummaryOut(serializers.Serializer):  # type: ignore[type-arg]
    """What either side may know of a referral; ``case_number`` only for users who can
    see the case."""

    id = serializers.IntegerField()
    status = serializers.CharField()
    from_agency = serializers.CharField()
    receiver = serializers.CharField()
    receiving_agency_id = serializers.IntegerField(allow_null=True)
    service_name = serializers.CharField()
    plan_action_id = serializers.CharField()
    categories = serializers.ListField(child=serializers.CharField())
    purpose = serializers.CharField()
    created_at = serializers.DateTimeField()
    respond_by = serializers.DateTimeField()
    overdue = serializers.BooleanField()
    access_until = serializers.DateField()
    assigned_to = serializers.CharField(allow_null=True)
    consent_valid = serializers.BooleanField()
    case_number = serializers.CharField(allow_null=True)


class ReferralListOut(serializers.Serializer):  # type: ignore[type-arg]
    items = ReferralSummaryOut(many=True)


class ReferralStateOut(serializers.Serializer):  # type: ignore[type-arg]
    """A referral's state after an operation."""

    id = serializers.IntegerField()
    status = serializers.CharField()
    receiver = serializers.CharField(source="receiver_label")
    categories = serializers.ListField(child=serializers.CharField())
    respond_by = serializers.DateTimeField()
    access_until = serializers.DateField()
    assigned_to = serializers.CharField(source="assigned_to.username", allow_null=True)
    responded_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField()


class ServiceReportOut(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    service_type = serializers.CharField()
    delivered_on = serializers.DateField()
    outcome = serializers.CharField()
    reported_by = serializers.CharField(source="reported_by.username")
    reported_at = serializers.DateTimeField()


class ConsentSummaryOut(serializers.Serializer):  # type: ignore[type-arg]
    given_by = serializers.CharField()
    consented_on = serializers.DateField()
    valid_until = serializers.DateField()
    withdrawn = serializers.BooleanField()
    categories = serializers.ListField(child=serializers.CharField())
    purpose = serializers.CharField()


class ReferralDetailOut(serializers.Serializer):  # type: ignore[type-arg]
    """One referral with its consent's scope, the services reported and what the user may
    do with it."""

    referral = ReferralSummaryOut()
    consent = ConsentSummaryOut()
    service_reports = ServiceReportOut(many=True)
    decline_reason = serializers.CharField()
    end_note = serializers.CharField()
    may_accept = serializers.BooleanField()
    may_decline = serializers.BooleanField()
    may_assign = serializers.BooleanField()
    may_report_service = serializers.BooleanField()
    may_close = serializers.BooleanField()
    may_withdraw = serializers.BooleanField()


@extend_schema_field({"type": "object", "additionalProperties": {"type": "object"},
                      "description": "Data category -> the fields of that category."})
class SectionsField(serializers.Field):  # type: ignore[type-arg]
    def to_representation(self, value: Any) -> Any:
        return {str(k): v for k, v in value.items()}


class SharedRecordOut(serializers.Serializer):  # type: ignore[type-arg]
    """The case as the user may see it: only the granted categories are present."""

    case_id = serializers.IntegerField()
    case_number = serializers.CharField()
    categories = serializers.SerializerMethodField()
    via = serializers.ListField(child=serializers.CharField(),
                                help_text="The grants, e.g. 'referral:12'.")
    sections = SectionsField()

    def get_categories(self, record: Any) -> list[str]:
        return sorted(str(c) for c in record.categories)


class TransferEventOut(serializers.Serializer):  # type: ignore[type-arg]
    kind = serializers.CharField()
    at = serializers.DateTimeField()
    actor = serializers.CharField(source="actor.username", allow_null=True)
    params = serializers.DictField()


class TransferOut(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    status = serializers.CharField()
    from_agency = serializers.CharField(source="from_agency.code")
    to_agency = serializers.CharField(source="to_agency.code")
    reason = serializers.CharField()
    proposed_at = serializers.DateTimeField()
    proposed_by = serializers.CharField(source="proposed_by.username")
    decided_at = serializers.DateTimeField(allow_null=True)
    decided_by = serializers.CharField(source="decided_by.username", allow_null=True)
    decision_note = serializers.CharField()
    retain_access = serializers.BooleanField()
    retained_categories = serializers.ListField(child=serializers.CharField())
    retained_until = serializers.DateField(allow_null=True)
    events = TransferEventOut(many=True, source="events.all")


class TransferListOut(serializers.Serializer):  # type: ignore[type-arg]
    items = TransferOut(many=True)


class IncomingTransferOut(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    from_agency = serializers.CharField()
    reason = serializers.CharField()
    proposed_at = serializers.DateTimeField()
    proposed_by = serializers.CharField()
    retain_access = serializers.BooleanField()
    retained_categories = serializers.ListField(child=serializers.CharField())
    retained_until = serializers.DateField(allow_null=True)


class IncomingTransferListOut(serializers.Serializer):  # type: ignore[type-arg]
    items = IncomingTransferOut(many=True)


class BreakGlassOut(serializers.Serializer):  # type: ignore[type-arg]
    """One emergency access, as its user sees it."""

    id = serializers.IntegerField()
    case_id = serializers.IntegerField()
    case_number = serializers.CharField(source="case.case_number")
    categories = serializers.ListField(child=serializers.CharField())
    started_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)
    active = serializers.SerializerMethodField()

    def get_active(self, use: Any) -> bool:
        return bool(use.is_active())


class BreakGlassListOut(serializers.Serializer):  # type: ignore[type-arg]
    items = BreakGlassOut(many=True)


class BreakGlassReviewOut(BreakGlassOut):
    """One emergency access, for review (auditors; supervisors of the owning agency)."""

    user = serializers.CharField(source="user.username")
    agency = serializers.CharField(source="agency.code")
    owning_agency = serializers.CharField(source="owning_agency.code")
    reason = serializers.CharField()
    reviewed_at = serializers.DateTimeField(allow_null=True)
    reviewed_by = serializers.CharField(source="reviewed_by.username", allow_null=True)
    review_note = serializers.CharField()


class BreakGlassReviewListOut(serializers.Serializer):  # type: ignore[type-arg]
    items = BreakGlassReviewOut(many=True)


class NotificationOut(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    kind = serializers.CharField()
    message = serializers.CharField(help_text="Never child data: a case number at most.")
    object_type = serializers.CharField()
    object_id = serializers.CharField()
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)


class NotificationListOut(serializers.Serializer):  # type: ignore[type-arg]
    items = NotificationOut(many=True)
    unread = serializers.IntegerField()


class NotificationsMarkedOut(serializers.Serializer):  # type: ignore[type-arg]
    marked = serializers.IntegerField()


class CorrectionOut(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    case_number = serializers.CharField(source="case.case_number")
    requested_by = serializers.CharField()
    representative_name = serializers.CharField()
    category = serializers.CharField()
    item = serializers.CharField()
    statement = serializers.CharField()
    requested_change = serializers.CharField()
    received_on = serializers.DateField()
    status = serializers.CharField()
    recorded_by = serializers.CharField(source="recorded_by.username")
    recorded_at = serializers.DateTimeField()
    decided_by = serializers.CharField(source="decided_by.username", allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_reason = serializers.CharField()


class CorrectionListOut(serializers.Serializer):  # type: ignore[type-arg]
    items = CorrectionOut(many=True)


class ExportSectionOut(serializers.Serializer):  # type: ignore[type-arg]
    key = serializers.CharField()
    title = serializers.CharField()
    category = serializers.CharField(help_text="Empty for the record's history.")
    items = serializers.ListField(child=serializers.DictField(),
                                  help_text="Each with a title and its fields by name.")


class ExportCaseOut(serializers.Serializer):  # type: ignore[type-arg]
    case_number = serializers.CharField()
    agency = serializers.CharField()
    categories = serializers.ListField(child=serializers.CharField())
    sections = ExportSectionOut(many=True)


class SubjectExportOut(serializers.Serializer):  # type: ignore[type-arg]
    """Everything the preparing agency holds and may see about the child."""

    generated_at = serializers.CharField()
    generated_by = serializers.CharField()
    agency = serializers.CharField()
    child = serializers.CharField(help_text="The child's public id.")
    categories = serializers.ListField(child=serializers.CharField())
    sections = ExportSectionOut(many=True)
    cases = ExportCaseOut(many=True)
    corrections = ExportSectionOut()


# ---------------------------------------------------------------- helpers

def _created(data: Any) -> Response:
    return Response(data, status=status.HTTP_201_CREATED)


def _referral_state(referral: Any) -> Response:
    return Response(ReferralStateOut(referral).data)


def _transfer(transfer_id: int) -> Any:
    from bridgeway.referrals.models import Transfer

    return (Transfer.objects.select_related("from_agency", "to_agency", "proposed_by",
                                            "decided_by")
            .prefetch_related("events__actor").get(pk=transfer_id))


# ---------------------------------------------------------------- consent

class ConsentsView(ApiView):
    @extend_schema(tags=TAG, operation_id="sharing_consents_list", parameters=[CASE_ID],
                   summary="The case's consent records (owning agency)",
                   responses={200: ConsentListOut, **READ_ERRORS, 403: DetailOut})
    def get(self, request: Request, case_id: int) -> Response:
        items = selectors.consents_for_case(actor=request.user, case_id=case_id)
        return Response(ConsentListOut({"items": items}).data)

    @extend_schema(tags=TAG, operation_id="sharing_consents_record", parameters=[CASE_ID],
                   request=ConsentIn, summary="Record a consent",
                   responses={201: ConsentOut, **WRITE_ERRORS})
    def post(self, request: Request, case_id: int) -> Response:
        data = shaped(ConsentIn, request.data)
        consent = services.consent_record(actor=request.user, case_id=case_id,
                                          data=services.ConsentInput(**data))
        return _created(ConsentOut(consent).data)


class ConsentWithdrawalView(ApiView):
    @extend_schema(tags=TAG, operation_id="sharing_consent_withdraw", parameters=[CONSENT_ID],
                   request=WithdrawalIn, summary="Record the withdrawal of a consent",
                   description="Every referral and retained access resting on it ends at "
                               "once.", responses={200: ConsentOut, **WRITE_ERRORS})
    def post(self, request: Request, consent_id: int) -> Response:
        data = shaped(WithdrawalIn, request.data)
        consent = services.consent_withdraw(actor=request.user, consent_id=consent_id,
                                            reason=data["reason"],
                                            withdrawn_on=data.get("withdrawn_on"))
        return Response(ConsentOut(consent).data)


class ConsentWithdrawalReviewView(ApiView):
    @extend_schema(tags=TAG, operation_id="sharing_consent_review", parameters=[CONSENT_ID],
                   request=ReviewNoteIn, summary="Record the best-interests review of a withdrawal",
                   responses={200: ConsentOut, **WRITE_ERRORS})
    def post(self, request: Request, consent_id: int) -> Response:
        data = shaped(ReviewNoteIn, request.data)
        consent = services.consent_review_withdrawal(actor=request.user,
                                                     consent_id=consent_id, note=data["note"])
        return Response(ConsentOut(consent).data)


# ---------------------------------------------------------------- referrals

class CaseReferralsView(ApiView):
    @extend_schema(tags=TAG, operation_id="sharing_case_referrals", parameters=[CASE_ID],
                   summary="The case's referrals (another agency: those addressed to it)",
                   responses={200: ReferralListOut, **READ_ERRORS})
    def get(self, request: Request, case_id: int) -> Response:
        items = selectors.referrals_for_case(actor=request.user, case_id=case_id)
        return Response(ReferralListOut({"items": items}).data)

    @extend_schema(tags=TAG, operation_id="sharing_referrals_create", parameters=[CASE_ID],
                   request=ReferralIn, summary="Refer the child under a consent",
                   responses={201: ReferralStateOut, **WRITE_ERRORS})
    def post(self, request: Request, case_id: int) -> Response:
        data = shaped(ReferralIn, request.data)
        referral = services.referral_create(actor=request.user, case_id=case_id,
                                            data=services.ReferralInput(**data))
        return _created(ReferralStateOut(referral).data)


class IncomingReferralsView(ApiView):
    @extend_schema(tags=TAG, operation_id="sharing_referrals_incoming",
                   parameters=[ReferralStatusQuery],
                   summary="Referrals to your agency (no child data before acceptance)",
                   responses={200: ReferralListOut, **LIST_ERRORS})
    def get(self, request: Request) -> Response:
        query = shaped(ReferralStatusQuery, request.query_params.dict())
        items = selectors.referrals_incoming(actor=request.user,
                                             status=query.get("status") or None)
        return Response(ReferralListOut({"items": items}).data)


class OutgoingReferralsView(ApiView):
    @extend_schema(tags=TAG, operation_id="sharing_referrals_outgoing",
                   parameters=[ReferralStatusQuery], summary="Referrals made by your agency",
                   responses={200: ReferralListOut, **LIST_ERRORS})
    def get(self, request: Request) -> Response:
        query = shaped(ReferralStatusQuery, request.query_params.dict())
        wanted = query.get("status") or None
        if wanted and wanted not in ReferralStatus.values:
            return Response(ReferralListOut({"items": []}).data)
        items = selectors.referrals_outgoing(actor=request.user, status=wanted)
        return Response(ReferralListOut({"items": items}).data)


class ReferralView(ApiView):
    @extend_schema(tags=TAG, operation_id="sharing_referral_retrieve",
                   parameters=[REFERRAL_ID], summary="One referral",
                   responses={200: ReferralDetailOut, **READ_ERRORS})
    def get(self, request: Request, referral_id: int) -> Response:
        detail = selectors.referral_detail(actor=request.user, referral_id=referral_id)
        return Response(ReferralDetailOut(detail).data)


class ReferralAcceptView(ApiView):
    @extend_schema(tags=TAG, operation_id="sharing_referral_accept", parameters=[REFERRAL_ID],
                   request=SharingAcceptIn, summary="Accept a referral to your agency",
                   responses={200: ReferralStateOut, **WRITE_ERRORS})
    def post(self, request: Request, referral_id: int) -> Response:
        data = shaped(SharingAcceptIn, request.data)
        return _referral_state(services.referral_accept(
            actor=request.user, referral_id=referral_id, assign_to_id=data.get("assign_to")))


class ReferralDeclineView(ApiView):
    @extend_schema(tags=TAG, operation_id="sharing_referral_decline",
                   parameters=[REFERRAL_ID], request=SharingReasonIn, summary="Decline a referral",
                   responses={200: ReferralStateOut, **WRITE_ERRORS})
    def post(self, request: Request, referral_id: int) -> Response:
        data = shaped(SharingReasonIn, request.data)
        return _referral_state(services.referral_decline(
            actor=request.user, referral_id=referral_id, reason=data["reason"]))


class ReferralAssignView(ApiView):
    @extend_schema(tags=TAG, operation_id="sharing_referral_assign", parameters=[REFERRAL_ID],
                   request=ReferralAssignIn, summary="Assign an accepted referral (supervisors)",
                   responses={200: ReferralStateOut, **WRITE_ERRORS})
    def post(self, request: Request, referral_id: int) -> Response:
        data = shaped(ReferralAssignIn, request.data)
        return _referral_state(services.referral_assign(
            actor=request.user, referral_id=referral_id, user_id=data["user_id"]))


class ServiceReportsView(ApiView):
    @extend_schema(tags=TAG, operation_id="sharing_referral_report_service",
                   parameters=[REFERRAL_ID], request=ServiceReportIn,
                   summary="Report a service delivered under the referral",
                   responses={201: ServiceReportOut, **WRITE_ERRORS})
    def post(self, request: Request, referral_id: int) -> Response:
        data = shaped(ServiceReportIn, request.data)
        report = services.referral_report_service(
            actor=request.user, referral_id=referral_id, service_type=data["service_type"],
            delivered_on=data["delivered_on"], outcome=data["outcome"])
        return _created(ServiceReportOut(report).data)


class ReferralCloseView(ApiView):
    @extend_schema(tags=TAG, operation_id="sharing_referral_close", parameters=[REFERRAL_ID],
                   request=ReferralCloseIn, summary="Close an accepted referral",
                   responses={200: ReferralStateOut, **WRITE_ERRORS})
    def post(self, request: Request, referral_id: int) -> Response:
        data = shaped(ReferralCloseIn, request.data)
        return _referral_state(services.referral_close(
            actor=request.user, referral_id=referral_id, note=data.get("note") or ""))


class ReferralWithdrawView(ApiView):
    @extend_schema(tags=TAG, operation_id="sharing_referral_withdraw",
                   parameters=[REFERRAL_ID], request=SharingReasonIn,
                   summary="Withdraw a referral (the referring agency)",
                   responses={200: ReferralStateOut, **WRITE_ERRORS})
    def post(self, request: Request, referral_id: int) -> Response:
        data = shaped(SharingReasonIn, request.data)
        return _referral_state(services.referral_withdraw(
            actor=request.user, referral_id=referral_id, reason=data["reason"]))


class SharedRecordView(ApiView):
    @extend_schema(tags=TAG, operation_id="sharing_shared_record", parameters=[CASE_ID],
                   summary="The case's registry and case fields you may see, by category",
                   responses={200: SharedRecordOut, **READ_ERRORS})
    def get(self, request: Request, case_id: int) -> Response:
        record = selectors.shared_case_record(actor=request.user, case_id=case_id)
        return Response(SharedRecordOut(record).data)


# ---------------------------------------------------------------- transfers

class CaseTransfersView(ApiView):
    @extend_schema(tags=TAG, operation_id="sharing_case_transfers", parameters=[CASE_ID],
                   summary="The case's transfer history",
                   responses={200: TransferListOut, **READ_ERRORS})
    def get(self, request: Request, case_id: int) -> Response:
        items = selectors.transfers_for_case(actor=request.user, case_id=case_id)
        return Response(TransferListOut({"items": items.prefetch_related("events__actor")})
                        .data)

    @extend_schema(tags=TAG, operation_id="sharing_transfers_propose", parameters=[CASE_ID],
                   request=TransferIn, summary="Propose a transfer (supervisors)",
                   responses={201: TransferOut, **WRITE_ERRORS})
    def post(self, request: Request, case_id: int) -> Response:
        data = shaped(TransferIn, request.data)
        transfer = services.transfer_propose(actor=request.user, case_id=case_id,
                                             data=services.TransferInput(**data))
        return _created(TransferOut(_transfer(transfer.pk)).data)


class IncomingTransfersView(ApiView):
    @extend_schema(tags=TAG, operation_id="sharing_transfers_incoming",
                   summary="Transfers awaiting your agency (supervisors)",
                   responses={200: IncomingTransferListOut, 401: DetailOut})
    def get(self, request: Request) -> Response:
        items = selectors.transfers_incoming(actor=request.user)
        return Response(IncomingTransferListOut({"items": items}).data)


class TransferAcceptView(ApiView):
    @extend_schema(tags=TAG, operation_id="sharing_transfer_accept", parameters=[TRANSFER_ID],
                   request=SharingAcceptIn, summary="Accept a transfer to your agency",
                   responses={200: TransferOut, **WRITE_ERRORS})
    def post(self, request: Request, transfer_id: int) -> Response:
        data = shaped(SharingAcceptIn, request.data)
        transfer = services.transfer_accept(actor=request.user, transfer_id=transfer_id,
                                            assign_to_id=data.get("assign_to"))
        return Response(TransferOut(_transfer(transfer.pk)).data)


class TransferDeclineView(ApiView):
    @extend_schema(tags=TAG, operation_id="sharing_transfer_decline",
                   parameters=[TRANSFER_ID], request=SharingReasonIn, summary="Decline a transfer",
                   responses={200: TransferOut, **WRITE_ERRORS})
    def post(self, request: Request, transfer_id: int) -> Response:
        data = shaped(SharingReasonIn, request.data)
        transfer = services.transfer_decline(actor=request.user, transfer_id=transfer_id,
                                             reason=data["reason"])
        return Response(TransferOut(_transfer(transfer.pk)).data)


class TransferCancelView(ApiView):
    @extend_schema(tags=TAG, operation_id="sharing_transfer_cancel", parameters=[TRANSFER_ID],
                   request=SharingReasonIn, summary="Cancel a proposed transfer (proposing agency)",
                   responses={200: TransferOut, **WRITE_ERRORS})
    def post(self, request: Request, transfer_id: int) -> Response:
        data = shaped(SharingReasonIn, request.data)
        transfer = services.transfer_cancel(actor=request.user, transfer_id=transfer_id,
                                            reason=data["reason"])
        return Response(TransferOut(_transfer(transfer.pk)).data)


# ---------------------------------------------------------------- break-glass

class BreakGlassView(ApiView):
    @extend_schema(tags=TAG, operation_id="sharing_break_glass_mine",
                   summary="Your emergency accesses", responses={200: BreakGlassListOut,
                                                                 401: DetailOut})
    def get(self, request: Request) -> Response:
        items = selectors.break_glass_mine(actor=request.user)[:200]
        return Response(BreakGlassListOut({"items": items}).data)

    @extend_schema(tags=TAG, operation_id="sharing_break_glass_open", request=BreakGlassIn,
                   summary="Open emergency (break-glass) access to a case",
                   description="Read-only, for the configured time (default 3 hours). The "
                               "case's supervisors and the auditors are notified.",
                   responses={201: BreakGlassOut, **WRITE_ERRORS})
    def post(self, request: Request) -> Response:
        data = shaped(BreakGlassIn, request.data)
        use = services.break_glass_open(actor=request.user, reason=data["reason"],
                                        case_id=data.get("case_id"),
                                        case_number=data.get("case_number"))
        return _created(BreakGlassOut(use).data)


class BreakGlassOneView(ApiView):
    @extend_schema(tags=TAG, operation_id="sharing_break_glass_end",
                   parameters=[BREAK_GLASS_ID], summary="End your emergency access now",
                   responses={200: BreakGlassOut, **READ_ERRORS, 400: ErrorsOut})
    def delete(self, request: Request, break_glass_id: int) -> Response:
        use = services.break_glass_end(actor=request.user, break_glass_id=break_glass_id)
        return Response(BreakGlassOut(use).data)


class BreakGlassReviewListView(ApiView):
    @extend_schema(tags=TAG, operation_id="sharing_break_glass_uses",
                   parameters=[BreakGlassReviewQuery],
                   summary="Emergency accesses to review (auditors; supervisors: their "
                           "agency's cases)",
                   responses={200: BreakGlassReviewListOut, **LIST_ERRORS, 403: DetailOut})
    def get(self, request: Request) -> Response:
        query = BreakGlassReviewQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        items = selectors.break_glass_uses(
            actor=request.user, unreviewed_only=query.validated_data["unreviewed"],
            active_only=query.validated_data["active"])[:200]
        return Response(BreakGlassReviewListOut({"items": items}).data)


class BreakGlassReviewView(ApiView):
    @extend_schema(tags=TAG, operation_id="sharing_break_glass_review",
                   parameters=[BREAK_GLASS_ID], request=ReviewNoteIn,
                   summary="Record the review of an emergency access (auditors)",
                   responses={200: BreakGlassReviewOut, **WRITE_ERRORS})
    def post(self, request: Request, break_glass_id: int) -> Response:
        data = shaped(ReviewNoteIn, request.data)
        use = services.break_glass_review(actor=request.user, break_glass_id=break_glass_id,
                                          note=data["note"])
        return Response(BreakGlassReviewOut(use).data)


# ---------------------------------------------------------------- notifications

class NotificationsView(ApiView):
    @extend_schema(tags=TAG, operation_id="sharing_notifications",
                   summary="Your notifications, newest first",
                   responses={200: NotificationListOut, 401: DetailOut})
    def get(self, request: Request) -> Response:
        qs = selectors.notifications_for(actor=request.user)
        return Response(NotificationListOut({
            "items": qs[:200], "unread": qs.filter(read_at__isnull=True).count()}).data)


class NotificationsReadView(ApiView):
    @extend_schema(tags=TAG, operation_id="sharing_notifications_read",
                   request=NotificationsReadIn,
                   summary="Mark notifications read (all or none)",
                   responses={200: NotificationsMarkedOut, 400: ErrorsOut, 401: DetailOut,
                              404: DetailOut})
    def post(self, request: Request) -> Response:
        data = shaped(NotificationsReadIn, request.data)
        if data.get("all"):
            marked = services.notifications_mark_all_read(actor=request.user)
        elif data.get("ids"):
            marked = services.notifications_mark_read(actor=request.user, ids=data["ids"])
        else:
            raise ValidationFailed.single("ids", "Give the ids to mark read, or all: true.")
        return Response(NotificationsMarkedOut({"marked": marked}).data)


# ---------------------------------------------------------------- data-subject requests

class ExportView(ApiView):
    @extend_schema(tags=TAG, operation_id="sharing_subject_export", parameters=[CASE_ID],
                   summary="Everything held on the child (data-subject request)",
                   description="For the owning agency's caseworker or supervisor (who may "
                               "edit the case); filtered by the data categories they hold. "
                               "Audited as an export.",
                   responses={200: SubjectExportOut, **READ_ERRORS, 403: DetailOut})
    def get(self, request: Request, case_id: int) -> Response:
        export = subject_requests.subject_export(actor=request.user, case_id=case_id,
                                                 fmt="api")
        return Response(SubjectExportOut(export.as_json()).data)


class CorrectionsView(ApiView):
    @extend_schema(tags=TAG, operation_id="sharing_corrections_list", parameters=[CASE_ID],
                   summary="The child's correction requests and their history",
                   responses={200: CorrectionListOut, **READ_ERRORS, 403: DetailOut})
    def get(self, request: Request, case_id: int) -> Response:
        items = subject_requests.corrections_for_case(actor=request.user, case_id=case_id)
        return Response(CorrectionListOut({"items": items}).data)

    @extend_schema(tags=TAG, operation_id="sharing_corrections_record", parameters=[CASE_ID],
                   request=CorrectionIn, summary="Record a correction request",
                   responses={201: CorrectionOut, **WRITE_ERRORS})
    def post(self, request: Request, case_id: int) -> Response:
        data = shaped(CorrectionIn, request.data)
        made = subject_requests.correction_request_record(
            actor=request.user, case_id=case_id,
            data=subject_requests.CorrectionInput(**data))
        return _created(CorrectionOut(made).data)


class CorrectionDecisionView(ApiView):
    @extend_schema(tags=TAG, operation_id="sharing_correction_decide",
                   parameters=[CORRECTION_ID], request=CorrectionDecisionIn,
                   summary="Accept or reject a correction request",
                   description="An accepted correction is then made through the normal "
                               "edit of the case or child (with its version check).",
                   responses={200: CorrectionOut, **WRITE_ERRORS})
    def post(self, request: Request, correction_id: int) -> Response:
        data = shaped(CorrectionDecisionIn, request.data)
        accept = {"accept": True, "reject": False}.get(data["decision"])  # else refused
        done = subject_requests.correction_request_decide(
            actor=request.user, correction_id=correction_id, accept=accept,
            reason=data.get("reason") or "")
        return Response(CorrectionOut(done).data)

