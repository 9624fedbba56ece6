"""Response bodies of the API.

Serializers here only *present* what a selector or service returned; they never query on
their own beyond the relations the selector already loaded (list items use the
``select_related`` of ``cases.selectors.case_list``, so the list costs the same number of
queries for 1 case or 25).

Data categories: fields of child data belong to a category (``access.policy.Category``).
A serializer given ``categories`` in its context blanks (``null``) whatever the acting
user's grants do not cover, so when later grant sources (referrals, consent scopes) give
partial access, the API follows without changes to the views.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from bridgeway.access import fields
from bridgeway.access.policy import ALL_CATEGORIES, Category, Perm
from bridgeway.registry import age

# Which data category each field of child data belongs to: the one map in
# ``access.fields`` (shared with the shared record and the data-subject export).
CASE_FIELD_CATEGORY = fields.CASE_FIELDS
CHILD_FIELD_CATEGORY = fields.CHILD_FIELDS
FAMILY_MEMBER_FIELD_CATEGORY = fields.FAMILY_MEMBER_FIELDS
DETAIL_FIELD_CATEGORY = fields.CASE_PARTS


def _categories(serializer: serializers.Serializer) -> frozenset[Category]:  # type: ignore[type-arg]
    return serializer.context.get("categories", ALL_CATEGORIES)


_blank_outside = fields.blank_outside


class UserRefOut(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.SerializerMethodField()

    def get_name(self, user: Any) -> str:
        return str(user.get_full_name() or user.username)


class ChildRefOut(serializers.Serializer):  # type: ignore[type-arg]
    """The few identity fields a list shows."""

    public_id = serializers.UUIDField()
    display_name = serializers.CharField(allow_null=True)
    sex = serializers.CharField(allow_null=True)
    age = serializers.SerializerMethodField(
        help_text="Age for all purposes today: the lowest plausible age.")
    version = serializers.IntegerField()

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_age(self, child: Any) -> int | None:
        return age.age_on(child.youngest_birth_date, timezone.localdate())

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        return _blank_outside(data, CHILD_FIELD_CATEGORY, _categories(self))


class CaseListItemOut(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    case_number = serializers.CharField()
    status = serializers.CharField()
    risk_level = serializers.CharField()
    opened_at = serializers.DateTimeField()
    first_assessment_due = serializers.DateTimeField(allow_null=True)
    overdue = serializers.BooleanField(source="has_overdue",
                                       help_text="An open task is past its due date.")
    owning_agency = serializers.CharField(source="owning_agency.code")
    assigned_to = UserRefOut(allow_null=True)
    version = serializers.IntegerField()
    child = ChildRefOut()


class CasePageOut(serializers.Serializer):  # type: ignore[type-arg]
    items = CaseListItemOut(many=True)
    next_cursor = serializers.CharField(allow_null=True,
                                        help_text="Pass as ``cursor`` for the next page; "
                                                  "null on the last page and for searches.")


class CaseOut(serializers.Serializer):  # type: ignore[type-arg]
    """A case. Fields of a data category the user is not granted are null."""

    id = serializers.IntegerField()
    case_number = serializers.CharField()
    version = serializers.IntegerField(help_text="Send back to edit (optimistic concurrency).")
    status = serializers.CharField(allow_null=True)
    risk_level = serializers.CharField(allow_null=True)
    opened_at = serializers.DateTimeField(allow_null=True)
    first_assessment_due = serializers.DateTimeField(allow_null=True)
    first_assessment_done_at = serializers.DateTimeField(allow_null=True)
    owning_agency = serializers.CharField(source="owning_agency.code")
    assigned_to = UserRefOut(allow_null=True)
    group_type = serializers.CharField(allow_null=True)
    association_mode = serializers.CharField(allow_null=True)
    association_from = serializers.DateField(allow_null=True)
    association_to = serializers.DateField(allow_null=True)
    association_place = serializers.CharField(allow_null=True)
    association_country = serializers.CharField(allow_null=True)
    victim_status = serializers.CharField(allow_null=True)
    victim_recognized_on = serializers.DateField(allow_null=True)
    victim_recognized_by = serializers.CharField(allow_null=True)
    alleged_offence = serializers.CharField(allow_null=True)
    closure_reason = serializers.CharField(allow_null=True)
    closure_note = serializers.CharField(allow_null=True)
    closure_requested_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    child = ChildRefOut()

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        return _blank_outside(data, CASE_FIELD_CATEGORY, _categories(self))


class NameOut(serializers.Serializer):  # type: ignore[type-arg]
    kind = serializers.CharField()
    value = serializers.CharField()
    script = serializers.CharField()
    latin = serializers.CharField()


class AliasOut(serializers.Serializer):  # type: ignore[type-arg]
    alias_type = serializers.CharField()
    value = serializers.CharField()
    script = serializers.CharField()
    latin = serializers.CharField()


class AgeAssessmentOut(serializers.Serializer):  # type: ignore[type-arg]
    method = serializers.CharField()
    claimed_age_years = serializers.IntegerField(allow_null=True)
    claimed_date_of_birth = serializers.DateField(allow_null=True)
    documents_seen = serializers.CharField()
    assessed_min_years = serializers.DecimalField(max_digits=4, decimal_places=1,
                                                  allow_null=True, coerce_to_string=False)
    assessed_max_years = serializers.DecimalField(max_digits=4, decimal_places=1,
                                                  allow_null=True, coerce_to_string=False)
    assessor = serializers.CharField()
    assessed_on = serializers.DateField()
    pending = serializers.BooleanField()
    notes = serializers.CharField()


class IdentifierOut(serializers.Serializer):  # type: ignore[type-arg]
    id_type = serializers.CharField()
    value = serializers.CharField()
    issuer = serializers.CharField()


class FamilyMemberOut(serializers.Serializer):  # type: ignore[type-arg]
    relationship = serializers.CharField()
    name = serializers.CharField()
    is_caregiver = serializers.BooleanField()
    is_legal_guardian = serializers.BooleanField()
    phone = serializers.CharField(allow_null=True)
    address = serializers.CharField(allow_null=True)
    notes = serializers.CharField()

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        # Only the contact fields: the family list as a whole is blanked by ChildOut.
        contact = {name: cat for name, cat in FAMILY_MEMBER_FIELD_CATEGORY.items()
                   if cat == Category.CONTACT_LOCATION}
        return _blank_outside(data, contact, _categories(self))


class ChildOut(serializers.Serializer):  # type: ignore[type-arg]
    """The child's identity. ``version`` is what ``PUT /cases/{id}/child/`` expects."""

    public_id = serializers.UUIDField()
    version = serializers.IntegerField()
    display_name = serializers.CharField(allow_null=True)
    sex = serializers.CharField(allow_null=True)
    date_of_birth = serializers.DateField(allow_null=True)
    date_of_birth_estimated = serializers.BooleanField(allow_null=True)
    youngest_birth_date = serializers.DateField(
        allow_null=True, help_text="Latest plausible date of birth (benefit of the doubt).")
    age = serializers.SerializerMethodField(help_text="Age for all purposes today.")
    turned_18_on = serializers.SerializerMethodField(
        help_text="Set when the child has turned 18 during the case; the record stays.")
    nationalities = serializers.ListField(allow_null=True, child=serializers.CharField())
    country_of_birth = serializers.CharField(allow_null=True)
    place_of_birth = serializers.CharField(allow_null=True)
    born_abroad = serializers.BooleanField(allow_null=True)
    languages = serializers.ListField(allow_null=True, child=serializers.CharField())
    birth_registration = serializers.CharField(allow_null=True)
    names = NameOut(allow_null=True, many=True, source="names.all")
    aliases = AliasOut(allow_null=True, many=True, source="aliases.all")
    age_assessments = AgeAssessmentOut(allow_null=True, many=True, source="age_assessments.all")
    identifiers = IdentifierOut(allow_null=True, many=True, source="identifiers.all")
    family = FamilyMemberOut(many=True, source="family.all", allow_null=True)

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_age(self, child: Any) -> int | None:
        return age.age_on(child.youngest_birth_date, timezone.localdate())

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_turned_18_on(self, child: Any) -> str | None:
        birthday = age.eighteenth_birthday(child.youngest_birth_date)
        if birthday is None or birthday > timezone.localdate():
            return None
        return birthday.isoformat()

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        return _blank_outside(data, CHILD_FIELD_CATEGORY, _categories(self))


class NoteOut(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    body = serializers.CharField()
    author = UserRefOut()
    created_at = serializers.DateTimeField()


class TaskOut(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    title = serializers.CharField()
    due_at = serializers.DateTimeField(allow_null=True)
    status = serializers.CharField()
    overdue = serializers.SerializerMethodField()

    def get_overdue(self, task: Any) -> bool:
        return bool(task.status == "open" and task.due_at and task.due_at < timezone.now())


class EventOut(serializers.Serializer):  # type: ignore[type-arg]
    kind = serializers.CharField()
    at = serializers.DateTimeField()
    actor = UserRefOut(allow_null=True)
    params = serializers.DictField(help_text="What changed: ids, codes and field names, "
                                   "never the content.")
    comment = serializers.SerializerMethodField(
        help_text="What the person wrote with the change (why a case was reopened, why a "
                  "closure was returned or approved); '' for other kinds.")

    def get_comment(self, event: Any) -> str:
        from bridgeway.cases.events import shown_comment

        return shown_comment(event)


class CaseDetailOut(serializers.Serializer):  # type: ignore[type-arg]
    """One case with the child's identity, its latest notes, open tasks and timeline.
    ``permissions`` lists what the user may do on it (so a client can hide buttons)."""

    case = CaseOut()
    child = ChildOut()
    notes = NoteOut(many=True, allow_null=True)
    tasks = TaskOut(allow_null=True, many=True)
    events = EventOut(allow_null=True, many=True)
    permissions = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(
        child=serializers.ChoiceField(choices=[p.value for p in Perm])))
    def get_permissions(self, detail: Any) -> list[str]:
        return sorted(str(p) for p in detail.perms)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        return _blank_outside(data, DETAIL_FIELD_CATEGORY, instance.categories)


class DuplicateCaseOut(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    case_number = serializers.CharField()
    status = serializers.CharField()
    owning_agency = serializers.CharField(source="owning_agency.code")


class DuplicateOut(serializers.Serializer):  # type: ignore[type-arg]
    """A child you may see who could be the one being registered."""

    public_id = serializers.UUIDField(source="child.public_id")
    display_name = serializers.CharField(source="child.display_name")
    sex = serializers.CharField(source="child.sex")
    youngest_birth_date = serializers.DateField(source="child.youngest_birth_date",
                                                allow_null=True)
    names = NameOut(many=True, source="child.names.all")
    cases = DuplicateCaseOut(many=True)


class DuplicatesOut(serializers.Serializer):  # type: ignore[type-arg]
    items = DuplicateOut(many=True)


class TokenOut(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="First characters, to recognise the token.")
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    last_used_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
    active = serializers.SerializerMethodField()

    def get_active(self, token: Any) -> bool:
        return bool(token.is_active())


class TokenListOut(serializers.Serializer):  # type: ignore[type-arg]
    items = TokenOut(many=True)


class TokenIssuedOut(TokenOut):
    token = serializers.CharField(source="raw", help_text="The secret. Shown once, never again: send it "
                                            "as 'Authorization: Bearer <token>'.")


# --- errors ------------------------------------------------------------------------------

class ErrorsOut(serializers.Serializer):  # type: ignore[type-arg]
    """400: every problem at once, by field path (``child.names[0].value``); ``__all__``
    for problems with the request as a whole. Nothing was stored."""

    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class DetailOut(serializers.Serializer):  # type: ignore[type-arg]
    """401, 403, 404 (the same body whether the record does not exist or is not yours)."""

    detail = serializers.CharField()


class ConflictOut(serializers.Serializer):  # type: ignore[type-arg]
    """409: somebody saved a newer version first; nothing was changed."""

    detail = serializers.CharField()
    current_version = serializers.IntegerField()


# Response maps for ``@extend_schema(responses=...)``, shared by every API module.
READ_ERRORS: dict[int, Any] = {401: DetailOut, 404: DetailOut}
WRITE_ERRORS: dict[int, Any] = {**READ_ERRORS, 400: ErrorsOut, 403: DetailOut}
VERSIONED_WRITE_ERRORS: dict[int, Any] = {**WRITE_ERRORS, 409: ConflictOut}
