"""Forms defined as XLSForms, the records filled with them, and what ODK clients send.

* ``FormDefinition``: one form (its XForm id) and the case-management step it serves.
* ``FormVersion``: one uploaded workbook, immutable. Records point at the exact version
  they were filled with, so a new version never changes how an old record reads or
  validates.
* ``FormRecord``: a filled form on a case. The ``care`` app builds its workflow
  (approvals, plan goals, reviews) on top of these rows and their ``status``.
* ``RawSubmission`` / ``Attachment``: everything an ODK client sent, stored before it is
  parsed, so nothing collected in the field is lost when processing fails.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from bridgeway.core.crypto import EncryptedJSONField


class Purpose(models.TextChoices):
    INITIAL_ASSESSMENT = "initial_assessment", _("Initial assessment")
    PSYCHOSOCIAL_ASSESSMENT = "psychosocial_assessment", _("Psychosocial assessment")
    BIA_SHORT = "bia_short", _("Best-interests assessment (short)")
    BIA_COMPREHENSIVE = "bia_comprehensive", _("Best-interests assessment (comprehensive)")
    BID_PANEL = "bid_panel", _("Best-interests determination panel")
    REINTEGRATION_PLAN = "reintegration_plan", _("Reintegration plan")
    PLAN_REVIEW = "plan_review", _("Plan review")
    FOLLOW_UP = "follow_up", _("Follow-up visit")
    CLOSURE = "closure", _("Case closure")
    OTHER = "other", _("Other")


class FormDefinition(models.Model):
    form_id = models.CharField(max_length=100, unique=True)
    purpose = models.CharField(max_length=30, choices=Purpose.choices)
    title = models.CharField(max_length=255)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["form_id"]

    def __str__(self) -> str:
        return self.form_id

    def current_version(self) -> FormVersion | None:
        return self.versions.order_by("-uploaded_at", "-id").first()


class ImmutableError(Exception):
    """Raised when code tries to change a stored form version."""


class FormVersion(models.Model):
    """One uploaded XLSForm. Never updated: a correction is a new version."""

    form = models.ForeignKey(FormDefinition, on_delete=models.PROTECT, related_name="versions")
    version = models.CharField(max_length=100)
    title = models.CharField(max_length=255)
    xlsx = models.BinaryField()
    sha256 = models.CharField(max_length=64, db_index=True)
    xform = models.TextField()
    xform_md5 = models.CharField(max_length=32)
    schema = models.JSONField()
    warnings = models.JSONField(default=list, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["form__form_id", "-uploaded_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["form", "version"],
                                               name="form_version_unique")]

    def __str__(self) -> str:
        return f"{self.form.form_id} v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Integrity guard, not a business rule: records rely on the exact version.
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ImmutableError("A form version is immutable; upload a new version.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ImmutableError("A form version is never deleted.")


class RecordStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned for changes")


class Channel(models.TextChoices):
    WEB = "web", _("Web")
    ODK = "odk", _("ODK client")


class FormRecord(models.Model):
    """A filled form on a case.

    ``data`` maps field names to values as ODK stores them: text, numbers as text,
    dates as ``YYYY-MM-DD``, select_multiple answers separated by spaces, repeats as
    lists of objects. Groups do not nest (field names are unique in a form).
    ``version`` is bumped on every change, for optimistic concurrency.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="form_records")
    form_version = models.ForeignKey(FormVersion, on_delete=models.PROTECT,
                                     related_name="records")
    instance_id = models.CharField(max_length=100, unique=True)
    # Earlier instanceIDs of this record (ODK edits send a new id plus ``deprecatedID``).
    previous_instance_ids = models.JSONField(default=list, blank=True)
    # Encrypted at rest (core/crypto.py): answers include psychosocial and health detail.
    data = EncryptedJSONField(default=dict)
    status = models.CharField(max_length=12, choices=RecordStatus.choices,
                              default=RecordStatus.SUBMITTED)
    channel = models.CharField(max_length=5, choices=Channel.choices)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["case", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.form_version} on case {self.case_id}"


class RawStatus(models.TextChoices):
    RECEIVED = "received", _("Received, not processed yet")
    PROCESSED = "processed", _("Processed")
    FAILED = "failed", _("Failed")
    SUPERSEDED = "superseded", _("Superseded by a later submission")


class RawSubmission(models.Model):
    """What an ODK client posted, kept as received. Never deleted, except by the retention
    job (``cases.retention``) with the rest of a case past its retention date.

    ``xml`` is never changed. A supervisor who corrects a failed submission stores the
    corrected answers in ``fixed_values``; re-processing uses those.
    """

    instance_id = models.CharField(max_length=100, blank=True, db_index=True)
    form_id = models.CharField(max_length=100, blank=True)
    form_version_label = models.CharField(max_length=100, blank=True)
    xml = models.BinaryField()
    xml_sha256 = models.CharField(max_length=64)
    received_at = models.DateTimeField()
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    status = models.CharField(max_length=12, choices=RawStatus.choices,
                              default=RawStatus.RECEIVED)
    error_kind = models.CharField(max_length=30, blank=True)
    errors = models.JSONField(default=dict, blank=True)
    # The case, once known and visible to the submitter (drives who reviews failures).
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="+")
    fixed_values = models.JSONField(null=True, blank=True)
    fixed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 null=True, blank=True, related_name="+")
    processed_at = models.DateTimeField(null=True, blank=True)
    record = models.ForeignKey(FormRecord, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="raw_submissions")
    attempts = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["status", "-received_at"])]

    def __str__(self) -> str:
        return f"raw {self.instance_id or self.pk} ({self.status})"

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ImmutableError("Raw submissions are never deleted.")


class Attachment(models.Model):
    """A file sent with an ODK submission (photos, audio ... as the form allows)."""

    raw_submission = models.ForeignKey(RawSubmission, on_delete=models.PROTECT,
                                       related_name="attachments")
    record = models.ForeignKey(FormRecord, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="attachments")
    name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    file = models.FileField(upload_to="odk/%Y/%m/")
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["raw_submission", "name"],
                                               name="attachment_name_unique")]

    def __str__(self) -> str:
        return self.name
