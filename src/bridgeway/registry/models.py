"""The child registry: identity, names in many scripts, aliases, age, documents, family.

Ages are never stored as a single number: a child has a date of birth (exact or estimated)
and any number of age-assessment records. "Age for all purposes" is always the LOWEST
plausible age across them (benefit of the doubt, CRC General Comment 6 para 31); it is
derived in ``bridgeway.registry.age`` and denormalized here as ``youngest_birth_date`` (the
latest plausible date of birth) so lists and queries can use it.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from bridgeway.core.crypto import EncryptedTextField, blind_index
from bridgeway.core.models import TimeStampedModel


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Unknown")


class BirthRegistration(models.TextChoices):
    REGISTERED = "registered", _("Birth registered")
    NOT_REGISTERED = "not_registered", _("Birth not registered")
    UNKNOWN = "unknown", _("Unknown")


class Child(TimeStampedModel):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    date_of_birth = models.DateField(null=True, blank=True)
    date_of_birth_estimated = models.BooleanField(default=False)
    # Derived: latest plausible date of birth = lowest plausible age (see registry.age).
    youngest_birth_date = models.DateField(null=True, blank=True, db_index=True)
    nationalities = models.JSONField(default=list, blank=True)  # ISO 3166-1 alpha-2 codes
    country_of_birth = models.CharField(max_length=2, blank=True)
    place_of_birth = models.CharField(max_length=200, blank=True)
    born_abroad = models.BooleanField(default=False)
    languages = models.JSONField(default=list, blank=True)  # ISO 639 codes
    birth_registration = models.CharField(
        max_length=20, choices=BirthRegistration.choices, default=BirthRegistration.UNKNOWN
    )
    # Display name (Latin) kept denormalized for lists; the names table is the source.
    display_name = models.CharField(max_length=300, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    registered_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_reason = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "children"

    def __str__(self) -> str:
        return f"Child {self.public_id}"


class NameKind(models.TextChoices):
    GIVEN = "given", _("Given name")
    MIDDLE = "middle", _("Middle name")
    FAMILY = "family", _("Family name")
    PATRONYMIC = "patronymic", _("Patronymic / father's name")
    GRANDFATHER = "grandfather", _("Grandfather's name")
    OTHER = "other", _("Other")


class ChildName(models.Model):
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="names")
    kind = models.CharField(max_length=20, choices=NameKind.choices)
    value = models.CharField(max_length=200)
    script = models.CharField(max_length=4)  # ISO 15924
    latin = models.CharField(max_length=200, blank=True)  # transliteration, for search
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]


class AliasType(models.TextChoices):
    NICKNAME = "nickname", _("Nickname")
    GROUP_NAME = "group_name", _("Name used in a group")
    PREVIOUS = "previous", _("Previous name")
    SPELLING = "spelling", _("Other spelling")
    OTHER = "other", _("Other")


class Alias(models.Model):
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="aliases")
    alias_type = models.CharField(max_length=20, choices=AliasType.choices)
    value = models.CharField(max_length=200)
    script = models.CharField(max_length=4)
    latin = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name_plural = "aliases"


class NameKey(models.Model):
    """Search index: one row per (child, key kind, key) derived from names and aliases.
    Rebuilt by the registry services whenever names change; never edited by hand.

    ``(kind, key, child)`` is one index so that the children holding a key are read from the
    index alone (an index-only scan on PostgreSQL), never from the table's pages; the unique
    ``(child, kind, key)`` index answers "which of these keys does this child hold"."""

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8)  # latin | skel | native
    key = models.CharField(max_length=200)
    from_alias = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["kind", "key", "child"], name="namekey_posting")]
        constraints = [
            models.UniqueConstraint(fields=["child", "kind", "key"], name="namekey_unique")
        ]


class NameTerm(models.Model):
    """The vocabulary of the search index: each distinct (kind, key) of ``NameKey`` with the
    number of rows holding it (``df``, document frequency).

    Search reads it to weigh keys (a rare key says more than ``al`` or ``muhammad``), to
    decide which keys' children to read first, and to find the known names one or two
    typing errors away from a query word (a trigram index on PostgreSQL). Database triggers
    on ``NameKey`` maintain it (migration ``0002_name_search_vocabulary``), so every writer —
    the services, the bulk loader, a data migration — keeps it exact without calling
    anything. Rows whose ``df`` fell to 0 stay and are ignored."""

    kind = models.CharField(max_length=8)
    key = models.CharField(max_length=200)
    df = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="nameterm_unique")]


class AgeMethod(models.TextChoices):
    CLAIMED = "claimed", _("Claimed by the child or family")
    DOCUMENT = "document", _("Documents seen")
    INTERVIEW = "interview", _("Psychosocial interview")
    PHYSICAL = "physical", _("Physical development assessment")
    MEDICAL = "medical", _("Medical / dental examination")
    MULTIDISCIPLINARY = "multidisciplinary", _("Multidisciplinary assessment")


class AgeAssessment(models.Model):
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="age_assessments")
    method = models.CharField(max_length=20, choices=AgeMethod.choices)
    claimed_age_years = models.PositiveSmallIntegerField(null=True, blank=True)
    claimed_date_of_birth = models.DateField(null=True, blank=True)
    documents_seen = models.TextField(blank=True)
    assessed_min_years = models.DecimalField(max_digits=4, decimal_places=1, null=True,
                                             blank=True)
    assessed_max_years = models.DecimalField(max_digits=4, decimal_places=1, null=True,
                                             blank=True)
    assessor = models.CharField(max_length=200, blank=True)
    assessed_on = models.DateField()
    pending = models.BooleanField(default=False)
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        ordering = ["assessed_on", "id"]


class IdentifierType(models.TextChoices):
    NATIONAL_ID = "national_id", _("National ID")
    PASSPORT = "passport", _("Passport")
    BIRTH_CERTIFICATE = "birth_certificate", _("Birth certificate")
    CAMP_REGISTRATION = "camp_registration", _("Camp registration number")
    FACILITY_REGISTRATION = "facility_registration", _("Facility registration number")
    AGENCY_ID = "agency_id", _("Other agency's ID")
    OTHER = "other", _("Other")


class Identifier(models.Model):
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="identifiers")
    id_type = models.CharField(max_length=30, choices=IdentifierType.choices)
    # Document numbers are encrypted at rest (core/crypto.py); searches compare the blind
    # index: a keyed hash of the number upper-cased, without spaces or dashes.
    value = EncryptedTextField()
    value_index = models.CharField(max_length=64, db_index=True)
    issuer = models.CharField(max_length=200, blank=True)  # country or agency

    @staticmethod
    def index_for(value: str) -> str:
        """The blind index searches compare for document number ``value``."""
        from bridgeway.registry.validation import normalize_identifier

        return blind_index(normalize_identifier(value))


class Relationship(models.TextChoices):
    MOTHER = "mother", _("Mother")
    FATHER = "father", _("Father")
    SIBLING = "sibling", _("Sibling")
    GRANDPARENT = "grandparent", _("Grandparent")
    AUNT_UNCLE = "aunt_uncle", _("Aunt / uncle")
    LEGAL_GUARDIAN = "legal_guardian", _("Legal guardian")
    FOSTER = "foster", _("Foster carer")
    OTHER_RELATIVE = "other_relative", _("Other relative")
    OTHER = "other", _("Other")


class FamilyMember(models.Model):
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="family")
    relationship = models.CharField(max_length=20, choices=Relationship.choices)
    name = models.CharField(max_length=300)
    is_caregiver = models.BooleanField(default=False)
    is_legal_guardian = models.BooleanField(default=False)
    # Where to reach the family is encrypted at rest (core/crypto.py): a leaked phone
    # number or address leads to the child's home. The notes are encrypted too: free text
    # about a relative or carer is where "lives with her brother in ..." ends up. The
    # name and relationship stay plain (search on names keeps working, as for the child).
    # Lengths are checked by ``registry.validation`` (phone 40, address 1000, notes 2000).
    phone = EncryptedTextField(blank=True)
    address = EncryptedTextField(blank=True)
    notes = EncryptedTextField(blank=True)
