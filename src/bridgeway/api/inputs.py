"""Request bodies and query strings of the API, as shapes (see ``api.fields``).

Each class here names the JSON a client sends. The values themselves are judged by the
domain: ``registry.validation.validate_child`` and ``cases.services`` — never here.
"""

from __future__ import annotations

from rest_framework import serializers

from bridgeway.api.fields import (
    DateString,
    EnumString,
    Number,
    StrictBoolean,
    StrictInteger,
    StrictSerializer,
    StrictString,
    optional,
)
from bridgeway.cases.models import (
    AssociationMode,
    ClosureReason,
    GroupType,
    Risk,
    Status,
    VictimStatus,
)
from bridgeway.cases.selectors import MAX_FILTER_AGE
from bridgeway.registry.models import (
    AgeMethod,
    AliasType,
    BirthRegistration,
    IdentifierType,
    NameKind,
    Relationship,
    Sex,
)
from bridgeway.registry.validation import MAX_LIST

MAX_ID = 2**62  # ids beyond any database's integer range are refused before any query
MAX_VERSION = 2**31


def _list_of(serializer: type[serializers.Serializer], **kwargs: object  # type: ignore[type-arg]
             ) -> serializers.Serializer:  # type: ignore[type-arg]
    return serializer(many=True, required=False, allow_null=True, max_length=MAX_LIST,
                      **kwargs)


# --- the child -------------------------------------------------------------------------

class NameIn(StrictSerializer):
    kind = EnumString(choices=NameKind.choices)
    value = StrictString(help_text="The name part as written, in its own script.")
    script = optional(StrictString, help_text="ISO 15924 code; detected when omitted.")
    latin = optional(StrictString, help_text="Latin transliteration; derived when omitted.")


class AliasIn(StrictSerializer):
    alias_type = EnumString(choices=AliasType.choices)
    value = StrictString()
    script = optional(StrictString)
    latin = optional(StrictString)


class AgeAssessmentIn(StrictSerializer):
    method = optional(EnumString, choices=AgeMethod.choices)
    claimed_age_years = optional(StrictInteger)
    claimed_date_of_birth = optional(DateString)
    documents_seen = optional(StrictString)
    assessed_min_years = optional(Number)
    assessed_max_years = optional(Number)
    assessor = optional(StrictString)
    assessed_on = optional(DateString)
    pending = optional(StrictBoolean)
    notes = optional(StrictString)


class IdentifierIn(StrictSerializer):
    id_type = EnumString(choices=IdentifierType.choices)
    value = StrictString()
    issuer = optional(StrictString)


class FamilyMemberIn(StrictSerializer):
    relationship = EnumString(choices=Relationship.choices)
    name = StrictString()
    is_caregiver = optional(StrictBoolean)
    is_legal_guardian = optional(StrictBoolean)
    phone = optional(StrictString)
    address = optional(StrictString)
    notes = optional(StrictString)


class ChildIn(StrictSerializer):
    """A child's identity. Age: give a date of birth or at least one age assessment; the
    lowest plausible age applies, and a person whose lowest plausible age is 18 or more is
    refused."""

    sex = optional(EnumString, choices=Sex.choices)
    date_of_birth = optional(DateString)
    date_of_birth_estimated = optional(StrictBoolean)
    names = _list_of(NameIn, help_text="At least one name part (a nickname alone goes in "
                                       "aliases together with a given name).")
    aliases = _list_of(AliasIn)
    age_assessments = _list_of(AgeAssessmentIn)
    nationalities = optional(serializers.ListField, child=StrictString(),
                             max_length=20, help_text="ISO 3166-1 alpha-2 codes.")
    country_of_birth = optional(StrictString)
    place_of_birth = optional(StrictString)
    born_abroad = optional(StrictBoolean)
    languages = optional(serializers.ListField, child=StrictString(), max_length=20,
                         help_text="ISO 639 codes.")
    birth_registration = optional(EnumString, choices=BirthRegistration.choices)
    identifiers = _list_of(IdentifierIn)
    family = _list_of(FamilyMemberIn)


class ChildReplaceIn(ChildIn):
    """The child's identity, replacing the current one. ``version`` is the child version
    the client read; a newer version on the server gives 409. Age assessments sent here are
    ADDED to the history (earlier ones are kept)."""

    version = StrictInteger(min_value=1, max_value=MAX_VERSION)


# --- the case ----------------------------------------------------------------------------

class CaseDetailsIn(StrictSerializer):
    """Case details a caseworker edits: risk, association context, victim status and any
    alleged offence, recorded side by side."""

    risk_level = optional(EnumString, choices=Risk.choices)
    group_type = optional(EnumString, choices=GroupType.choices)
    association_mode = optional(EnumString, choices=AssociationMode.choices)
    association_from = optional(DateString)
    association_to = optional(DateString)
    association_place = optional(StrictString)
    association_country = optional(StrictString, help_text="ISO 3166-1 alpha-2 code.")
    victim_status = optional(EnumString, choices=VictimStatus.choices)
    victim_recognized_on = optional(DateString)
    victim_recognized_by = optional(StrictString)
    alleged_offence = optional(StrictString)


class CaseOpenIn(CaseDetailsIn):
    assigned_to = optional(StrictInteger, min_value=1, max_value=MAX_ID,
                           help_text="User id of a caseworker of your agency; a caseworker "
                                     "registering is assigned by default.")


class RegisterIn(StrictSerializer):
    child = ChildIn()
    case = CaseOpenIn(required=False, allow_null=True)


class CaseUpdateIn(CaseDetailsIn):
    """Only the keys sent change. ``version`` is the case version the client read."""

    version = StrictInteger(min_value=1, max_value=MAX_VERSION)

    # Sent with PATCH, but never partial: ``version`` is always required. (The schema
    # generator marks PATCH bodies partial; this keeps ``version`` required there too.)
    @property
    def partial(self) -> bool:
        return False

    @partial.setter
    def partial(self, value: bool) -> None:
        pass


class NoteIn(StrictSerializer):
    body = StrictString()


class StatusIn(StrictSerializer):
    status = EnumString(choices=Status.choices,
                        help_text="A working step; closure goes through a closure request.")
    version = StrictInteger(min_value=1, max_value=MAX_VERSION)


class ClosureRequestIn(StrictSerializer):
    reason = EnumString(choices=ClosureReason.choices)
    note = optional(StrictString, help_text="Required when the reason is 'other'.")


class ClosureDecisionIn(StrictSerializer):
    # Not a domain value (the service takes a boolean), so checked here.
    decision = serializers.ChoiceField(choices=[("approve", "Approve: the case closes"),
                                                ("return", "Return it: back to follow-up")])
    comment = optional(StrictString, help_text="Required when the request is returned.")


class ReopenIn(StrictSerializer):
    reason = StrictString()
    status = optional(EnumString, choices=Status.choices,
                      help_text="The working step the case reopens at (default follow-up).")


class AssignIn(StrictSerializer):
    assigned_to = StrictInteger(min_value=1, max_value=MAX_ID,
                                help_text="User id of an active caseworker or supervisor of "
                                          "the case's agency.")


class CaseListQuery(StrictSerializer):
    """Query string of the case list. Without ``q`` closed cases are left out unless a
    status is given; with ``q`` results are ranked by relevance and not paged."""

    q = serializers.CharField(required=False, allow_blank=True, max_length=200,
                              help_text="Any name or alias in any script, a case number or "
                                        "an identifier.")
    status = serializers.ChoiceField(choices=Status.choices, required=False, allow_blank=True)
    risk = serializers.ChoiceField(choices=Risk.choices, required=False, allow_blank=True)
    assigned_to = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    overdue = serializers.BooleanField(required=False, default=False)
    cursor = serializers.CharField(required=False, allow_blank=True, max_length=200,
                                   help_text="``next_cursor`` of the previous page.")
    sex = serializers.ChoiceField(choices=Sex.choices, required=False, allow_blank=True,
                                  help_text="Only children of this sex, and those whose sex "
                                            "is unknown.")
    age_from = serializers.IntegerField(required=False, min_value=0, max_value=MAX_FILTER_AGE,
                                        help_text="Lowest age for all purposes, in years "
                                                  "(children of unknown age are kept).")
    age_to = serializers.IntegerField(required=False, min_value=0, max_value=MAX_FILTER_AGE,
                                      help_text="Highest age for all purposes, in years "
                                                "(children of unknown age are kept).")


# --- tokens ------------------------------------------------------------------------------

class TokenIssueIn(StrictSerializer):
    name = StrictString(help_text="What the token is for, e.g. the client's name.")
    days_valid = StrictInteger(required=False, min_value=1, max_value=365, default=90)
