"""Justice endpoints (``/api/v1/justice/…``): thin adapters over ``justice.selectors`` and
``justice.services``, with explicit input (shape only) and output serializers.

The same access policy and audit as the pages: a case whose justice record the user may
not see answers 404; justice users get identity and justice fields only (health problems
noted in the register are ``null`` for them); every read and write is audited by the
domain function the view calls.

Times: input times must carry an offset (``2025-03-01T08:00:00+07:00`` or ``Z``); output
gives each time in UTC plus the local wall-clock label of the facility or event zone.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from bridgeway.access import policy
from bridgeway.access.policy import Category
from bridgeway.api.base import ApiView, shaped
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
    VERSIONED_WRITE_ERRORS,
    WRITE_ERRORS,
    DetailOut,
    ErrorsOut,
)
from bridgeway.justice import models as m
from bridgeway.justice import selectors, services
from bridgeway.justice.adapters import FIGURES
from bridgeway.justice.inputs import local_parts
from bridgeway.justice.rules import EpisodeKind, EventKind

TAG = ["justice"]
ID = OpenApiParameter("id", int, OpenApiParameter.PATH,
                      description="A record you may not see answers 404, exactly like one "
                                  "that does not exist.")

Time = StrictString  # an ISO 8601 date-time string with an offset; the domain parses it


# ---------------------------------------------------------------- input shapes


class JusticeEventIn(StrictSerializer):
    kind = EnumString(choices=[k.value for k in EventKind])
    at = Time(help_text="ISO 8601 with offset, e.g. 2025-03-01T08:00:00+07:00.")
    time_zone = optional(StrictString, help_text="IANA zone the time was given on "
                                                 "(for display); default: the facility's.")
    authority = optional(StrictString)
    place = optional(StrictString)
    legal_basis = optional(StrictString)
    legal_representation_present = optional(StrictBoolean)
    parent_notified_at = optional(Time)
    interpreter = optional(EnumString, choices=m.Interpreter.values)
    alleged_offence = optional(StrictString)
    alleged_offence_on = optional(DateString)
    diversion_type = optional(StrictString)
    reviews_detention = optional(StrictBoolean)
    treats_as_criminally_responsible = optional(StrictBoolean)
    sentence_custodial = optional(StrictBoolean)
    notes = optional(StrictString)


class EpisodeConditionsIn(StrictSerializer):
    """What the register records about any stay, whether it opens by admission or transfer
    (Havana Rules 20-22)."""

    commitment_order_ref = optional(
        StrictString, help_text="Required for every episode, police custody included (the "
        "custody order or record); a transfer carries it over unless given.")
    reason = optional(StrictString)
    authority = optional(StrictString)
    separated_from_adults = optional(EnumString, choices=m.Separation.values)
    not_separated_reason = optional(StrictString)
    family_contact = optional(StrictString)
    family_notified_at = optional(Time)
    health_problems = optional(StrictString)
    legal_counsel_access_at = optional(Time)
    last_resort_justification = optional(StrictString)
    alternatives_considered = optional(serializers.ListField, child=StrictString())


class DetentionEpisodeIn(EpisodeConditionsIn):
    kind = EnumString(choices=[k.value for k in EpisodeKind])
    facility = StrictInteger(min_value=1)
    admitted_at = Time()
    released_at = optional(Time)
    release_note = optional(StrictString)


class DetentionReleaseIn(StrictSerializer):
    released_at = Time()
    note = optional(StrictString)
    version = optional(StrictInteger, help_text="The version you loaded (409 if stale).")


class DetentionTransferIn(EpisodeConditionsIn):
    at = Time(help_text="The instant the child leaves one facility and enters the other.")
    facility = StrictInteger(min_value=1)
    kind = optional(EnumString, choices=[k.value for k in EpisodeKind])


class JusticeCorrectionIn(StrictSerializer):
    version = StrictInteger(min_value=1)
    changes = serializers.DictField(help_text="Fields to change, as on creation.")
    reason = StrictString()


class JusticeInvolvementIn(StrictSerializer):
    agency = StrictInteger(min_value=1)
    reason = optional(StrictString)


class JurisdictionRulesIn(StrictSerializer):
    country = StrictString()
    region = optional(StrictString)
    valid_from = StrictString(help_text="YYYY-MM-DD (00:00 UTC) or a date-time with offset.")
    params = serializers.DictField(help_text="Every figure: " + ", ".join(FIGURES)
                                             + ", and diversion_types (list).")
    reason = StrictString()


# ---------------------------------------------------------------------- outputs


class JusticeLocalTimeOut(serializers.Serializer):  # type: ignore[type-arg]
    utc = serializers.DateTimeField(allow_null=True)
    local = serializers.CharField(help_text="Wall-clock time, zone name and offset.")


def _time(at: Any, zone: str) -> dict[str, Any]:
    return {"utc": at, "local": local_parts(at, zone)["label"]}


class JusticeEventOut(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField(source="pk")
    version = serializers.IntegerField()
    kind = serializers.CharField()
    at = serializers.SerializerMethodField()
    time_zone = serializers.CharField()
    authority = serializers.CharField()
    place = serializers.CharField()
    legal_basis = serializers.CharField()
    legal_representation_present = serializers.BooleanField(allow_null=True)
    parent_notified_at = serializers.SerializerMethodField()
    interpreter = serializers.CharField()
    alleged_offence = serializers.CharField()
    alleged_offence_on = serializers.DateField(allow_null=True)
    diversion_type = serializers.CharField()
    reviews_detention = serializers.BooleanField(allow_null=True)
    treats_as_criminally_responsible = serializers.BooleanField(allow_null=True)
    sentence_custodial = serializers.BooleanField(allow_null=True)
    notes = serializers.CharField()
    recorded_at = serializers.DateTimeField()

    def get_at(self, obj: m.JusticeEvent) -> dict[str, Any]:
        return JusticeLocalTimeOut(_time(obj.at, obj.time_zone)).data

    def get_parent_notified_at(self, obj: m.JusticeEvent) -> dict[str, Any]:
        return JusticeLocalTimeOut(_time(obj.parent_notified_at, obj.time_zone)).data


class DetentionFacilityOut(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    kind = serializers.CharField()
    country = serializers.CharField()
    region = serializers.CharField()
    time_zone = serializers.CharField()


class DetentionEpisodeOut(serializers.Serializer):  # type: ignore[type-arg]
    """``health_problems`` is null for users whose access does not cover health."""

    id = serializers.IntegerField(source="pk")
    version = serializers.IntegerField()
    kind = serializers.CharField()
    facility = DetentionFacilityOut()
    commitment_order_ref = serializers.CharField()
    reason = serializers.CharField()
    authority = serializers.CharField()
    admitted_at = serializers.SerializerMethodField()
    released_at = serializers.SerializerMethodField()
    release_note = serializers.CharField()
    transferred_from = serializers.IntegerField(source="transferred_from_id", allow_null=True)
    separated_from_adults = serializers.CharField()
    not_separated_reason = serializers.CharField()
    family_contact = serializers.CharField()
    family_notified_at = serializers.SerializerMethodField()
    legal_counsel_access_at = serializers.SerializerMethodField()
    health_problems = serializers.SerializerMethodField()
    last_resort_justification = serializers.CharField()
    alternatives_considered = serializers.ListField(child=serializers.CharField())

    def _t(self, obj: m.DetentionEpisode, name: str) -> dict[str, Any]:
        return JusticeLocalTimeOut(_time(getattr(obj, name), obj.facility.time_zone)).data

    def get_admitted_at(self, obj: m.DetentionEpisode) -> dict[str, Any]:
        return self._t(obj, "admitted_at")

    def get_released_at(self, obj: m.DetentionEpisode) -> dict[str, Any]:
        return self._t(obj, "released_at")

    def get_family_notified_at(self, obj: m.DetentionEpisode) -> dict[str, Any]:
        return self._t(obj, "family_notified_at")

    def get_legal_counsel_access_at(self, obj: m.DetentionEpisode) -> dict[str, Any]:
        return self._t(obj, "legal_counsel_access_at")

    def get_health_problems(self, obj: m.DetentionEpisode) -> str | None:
        sees = Category.HEALTH in self.context.get("categories", frozenset())
        return obj.health_problems if sees else None


class SafeguardFindingOut(serializers.Serializer):  # type: ignore[type-arg]
    code = serializers.CharField()
    title = serializers.CharField()
    citation = serializers.CharField()
    description = serializers.CharField()
    subject = serializers.CharField()
    subject_label = serializers.CharField()
    severity = serializers.CharField()
    status = serializers.CharField(help_text="Deadlines: pending, met, late, overdue. "
                                             "Violations: ongoing, past.")
    due_at = serializers.DateTimeField(allow_null=True)
    due_local = serializers.CharField(source="due.label")
    since_at = serializers.DateTimeField(allow_null=True)
    since_local = serializers.CharField(source="since.label")
    until_at = serializers.DateTimeField(allow_null=True)
    met_by = serializers.CharField()


class JusticeVictimOut(serializers.Serializer):  # type: ignore[type-arg]
    status = serializers.CharField(source="victim_status")
    recognized_on = serializers.DateField(source="victim_recognized_on", allow_null=True)
    recognized_by = serializers.CharField(source="victim_recognized_by")


class JusticeInvolvementOut(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField(source="pk")
    agency = serializers.CharField(source="agency.code")
    agency_name = serializers.CharField(source="agency.name")
    sector = serializers.CharField(source="agency.sector")
    reason = serializers.CharField()
    added_at = serializers.DateTimeField()


class JurisdictionRulesInForceOut(serializers.Serializer):  # type: ignore[type-arg]
    jurisdiction = serializers.CharField()
    valid_from = serializers.DateTimeField(allow_null=True, help_text="null: the built-in "
                                           "defaults, in force since always")
    figures = serializers.DictField(child=serializers.IntegerField())
    diversion_types = serializers.ListField(child=serializers.CharField())
    concerns = serializers.ListField(child=serializers.CharField())


class JusticeRecordOut(serializers.Serializer):  # type: ignore[type-arg]
    case_id = serializers.IntegerField()
    case_number = serializers.CharField()
    child_name = serializers.CharField()
    lowest_age = serializers.IntegerField(allow_null=True)
    victim = JusticeVictimOut()
    alleged_offences = serializers.ListField(child=serializers.CharField())
    events = JusticeEventOut(many=True)
    episodes = DetentionEpisodeOut(many=True)
    deadlines = SafeguardFindingOut(many=True)
    violations = SafeguardFindingOut(many=True)
    involvements = JusticeInvolvementOut(many=True)
    rules = JurisdictionRulesInForceOut()
    evaluated_at = serializers.DateTimeField()
    sealed_part = serializers.BooleanField(
        help_text="The case was reopened after its justice record was sealed: an earlier, "
                  "sealed part is left out (named roles only are told; they open it with "
                  "a reason through timeline/sealed/).")


def _record_out(record: selectors.JusticeRecord) -> dict[str, Any]:
    rules = record.rules_now
    data = {
        "case_id": record.case.pk, "case_number": record.case.case_number,
        "child_name": record.case.child.display_name, "lowest_age": record.lowest_age,
        "victim": record.case, "alleged_offences": record.alleged_offences,
        "events": [v.event for v in record.events],
        "episodes": [v.episode for v in record.episodes],
        "deadlines": record.deadlines, "violations": record.violations,
        "involvements": record.involvements,
        "rules": {"jurisdiction": record.rules_label, "valid_from": rules.valid_from
                  if rules.valid_from.year > 1 else None,
                  "figures": {n: getattr(rules, n) for n in FIGURES},
                  "diversion_types": sorted(rules.diversion_types),
                  "concerns": list(record.rules_concerns)},
        "evaluated_at": record.now, "sealed_part": record.sealed_part,
    }
    return JusticeRecordOut(data, context={"categories": record.categories}).data


class DeprivedOfLibertyOut(serializers.Serializer):  # type: ignore[type-arg]
    case_id = serializers.IntegerField(source="case.pk")
    case_number = serializers.CharField(source="case.case_number")
    child_name = serializers.CharField(source="case.child.display_name")
    facility = serializers.CharField(source="episode.facility.name")
    episode_id = serializers.IntegerField(source="episode.pk")
    episode_kind = serializers.CharField(source="episode.kind")
    held_since_local = serializers.CharField(source="held_since.label")
    days_held = serializers.IntegerField()
    next_deadline = SafeguardFindingOut(allow_null=True)
    violations = SafeguardFindingOut(many=True)


class JurisdictionRuleSetOut(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField(source="pk")
    country = serializers.CharField()
    region = serializers.CharField()
    valid_from = serializers.DateTimeField()
    figures = serializers.SerializerMethodField()
    diversion_types = serializers.ListField(child=serializers.CharField())
    reason = serializers.CharField()
    created_by = serializers.CharField(source="created_by.username")
    created_at = serializers.DateTimeField()

    def get_figures(self, obj: m.JurisdictionRuleSet) -> dict[str, int]:
        return {n: getattr(obj, n) for n in FIGURES}


class JurisdictionRuleVersionOut(serializers.Serializer):  # type: ignore[type-arg]
    rule_set = JurisdictionRuleSetOut(source="row")
    in_force_now = serializers.BooleanField()
    superseded = serializers.BooleanField()


class JurisdictionHistoryOut(serializers.Serializer):  # type: ignore[type-arg]
    jurisdiction = serializers.CharField(source="label")
    country = serializers.CharField()
    region = serializers.CharField()
    versions = JurisdictionRuleVersionOut(many=True)


# ------------------------------------------------------------------------- views


def _episode_response(request: Request, episode: m.DetentionEpisode, code: int) -> Response:
    case = policy.case_for(request.user, pk=episode.case_id)
    categories = policy.categories_for(request.user, case)
    episode = m.DetentionEpisode.objects.select_related("facility").get(pk=episode.pk)
    return Response(DetentionEpisodeOut(episode, context={"categories": categories}).data, status=code)


class TimelineView(ApiView):
    @extend_schema(tags=TAG, operation_id="justice_timeline", parameters=[ID],
                   summary="A case's justice record: timeline, detention register, deadlines "
                           "and violations (evaluated now), victim status beside alleged "
                           "offences (403: sealed, see timeline/sealed/)",
                   responses={200: JusticeRecordOut, **READ_ERRORS, 403: DetailOut})
    def get(self, request: Request, pk: int) -> Response:
        record = selectors.justice_record(actor=request.user, case_id=pk)
        return Response(_record_out(record))


class SealedReasonIn(serializers.Serializer):  # type: ignore[type-arg]
    reason = serializers.CharField()


class SealedTimelineView(ApiView):
    @extend_schema(tags=TAG, operation_id="justice_timeline_sealed", parameters=[ID],
                   request=SealedReasonIn,
                   summary="A sealed justice record, opened with a stated reason (named roles "
                           "only; the reason is audited)",
                   responses={200: JusticeRecordOut, **WRITE_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        data = shaped(SealedReasonIn, request.data)
        record = selectors.justice_record(actor=request.user, case_id=pk,
                                          sealed_reason=str(data.get("reason", "")))
        return Response(_record_out(record))


class EventsView(ApiView):
    @extend_schema(tags=TAG, operation_id="justice_event_record", parameters=[ID],
                   request=JusticeEventIn, responses={201: JusticeEventOut, **WRITE_ERRORS},
                   summary="Record a justice event")
    def post(self, request: Request, pk: int) -> Response:
        data = shaped(JusticeEventIn, request.data)
        event = services.justice_event_record(actor=request.user, case_id=pk, data=data)
        return Response(JusticeEventOut(event).data, status=status.HTTP_201_CREATED)


class EventCorrectionView(ApiView):
    @extend_schema(tags=TAG, operation_id="justice_event_correct", parameters=[ID],
                   request=JusticeCorrectionIn, responses={200: JusticeEventOut, **VERSIONED_WRITE_ERRORS},
                   summary="Correct a recorded justice event (with a reason)")
    def post(self, request: Request, pk: int) -> Response:
        data = shaped(JusticeCorrectionIn, request.data)
        event = services.justice_event_correct(
            actor=request.user, event_id=pk, expected_version=data["version"],
            changes=data["changes"], reason=data["reason"])
        return Response(JusticeEventOut(event).data)


class EpisodesView(ApiView):
    @extend_schema(tags=TAG, operation_id="justice_episode_open", parameters=[ID],
                   request=DetentionEpisodeIn, responses={201: DetentionEpisodeOut, **WRITE_ERRORS},
                   summary="Record a deprivation of liberty (detention register entry)")
    def post(self, request: Request, pk: int) -> Response:
        data = shaped(DetentionEpisodeIn, request.data)
        episode = services.detention_open(actor=request.user, case_id=pk, data=data)
        return _episode_response(request, episode, status.HTTP_201_CREATED)


class ReleaseView(ApiView):
    @extend_schema(tags=TAG, operation_id="justice_episode_release", parameters=[ID],
                   request=DetentionReleaseIn, responses={200: DetentionEpisodeOut, **VERSIONED_WRITE_ERRORS},
                   summary="Release the child from an open episode")
    def post(self, request: Request, pk: int) -> Response:
        data = shaped(DetentionReleaseIn, request.data)
        episode = services.detention_release(
            actor=request.user, episode_id=pk, released_at=data.get("released_at"),
            note=data.get("note") or "", expected_version=data.get("version"))
        return _episode_response(request, episode, status.HTTP_200_OK)


class TransferView(ApiView):
    @extend_schema(tags=TAG, operation_id="justice_episode_transfer", parameters=[ID],
                   request=DetentionTransferIn, responses={201: DetentionEpisodeOut, **WRITE_ERRORS},
                   summary="Transfer the child to another facility (closes this episode and "
                           "opens the next at the same instant); returns the new episode")
    def post(self, request: Request, pk: int) -> Response:
        data = shaped(DetentionTransferIn, request.data)
        episode = services.detention_transfer(actor=request.user, episode_id=pk, data=data)
        return _episode_response(request, episode, status.HTTP_201_CREATED)


class EpisodeCorrectionView(ApiView):
    @extend_schema(tags=TAG, operation_id="justice_episode_correct", parameters=[ID],
                   request=JusticeCorrectionIn, responses={200: DetentionEpisodeOut, **VERSIONED_WRITE_ERRORS},
                   summary="Correct a detention register entry (with a reason)")
    def post(self, request: Request, pk: int) -> Response:
        data = shaped(JusticeCorrectionIn, request.data)
        episode = services.detention_correct(
            actor=request.user, episode_id=pk, expected_version=data["version"],
            changes=data["changes"], reason=data["reason"])
        return _episode_response(request, episode, status.HTTP_200_OK)


class InvolvementsView(ApiView):
    @extend_schema(tags=TAG, operation_id="justice_agency_link", parameters=[ID],
                   request=JusticeInvolvementIn, responses={201: JusticeInvolvementOut, **WRITE_ERRORS},
                   summary="Involve a justice agency in the case (its staff then see the "
                           "child's identity and justice record only)")
    def post(self, request: Request, pk: int) -> Response:
        data = shaped(JusticeInvolvementIn, request.data)
        link = services.justice_involvement_add(actor=request.user, case_id=pk,
                                                agency_id=data["agency"],
                                                reason=data.get("reason") or "")
        return Response(JusticeInvolvementOut(link).data, status=status.HTTP_201_CREATED)


class DeprivedView(ApiView):
    @extend_schema(tags=TAG, operation_id="justice_deprived_of_liberty",
                   responses={200: DeprivedOfLibertyOut(many=True), 401: DetailOut},
                   summary="Children currently deprived of liberty in the cases you may see, "
                           "most urgent first")
    def get(self, request: Request) -> Response:
        rows = selectors.deprived_of_liberty(actor=request.user)
        return Response(DeprivedOfLibertyOut(rows, many=True).data)


class RulesView(ApiView):
    @extend_schema(tags=TAG, operation_id="justice_rules_list",
                   responses={200: JurisdictionHistoryOut(many=True), 401: DetailOut},
                   summary="Every jurisdiction's rules with their history")
    def get(self, request: Request) -> Response:
        return Response(JurisdictionHistoryOut(selectors.jurisdictions_overview(), many=True).data)

    @extend_schema(tags=TAG, operation_id="justice_rules_change", request=JurisdictionRulesIn,
                   responses={201: JurisdictionRuleSetOut, 400: ErrorsOut, 401: DetailOut,
                              403: DetailOut},
                   summary="Record a new version of a jurisdiction's rules (system "
                           "administrators)")
    def post(self, request: Request) -> Response:
        data = shaped(JurisdictionRulesIn, request.data)
        row = services.jurisdiction_rules_change(
            actor=request.user, country=data["country"], region=data.get("region") or "",
            valid_from=data["valid_from"], params=data["params"], reason=data["reason"])
        return Response(JurisdictionRuleSetOut(row).data, status=status.HTTP_201_CREATED)


class FacilitiesView(ApiView):
    @extend_schema(tags=TAG, operation_id="justice_facilities",
                   responses={200: DetentionFacilityOut(many=True), 401: DetailOut},
                   summary="Active places of deprivation of liberty")
    def get(self, request: Request) -> Response:
        return Response(DetentionFacilityOut(m.Facility.objects.filter(active=True), many=True).data)
