"""The care workflow on top of filled forms: assessments, the reintegration plan's goals and
actions, services delivered, plan reviews and supervisor approvals.

The answers themselves stay in ``forms.FormRecord`` (the exact XLSForm version they were
filled with). This app keeps what the workflow needs beside them:

* ``CareRecord``: a submitted form on a case, by purpose (initial assessment, psychosocial
  assessment, best-interests assessment and determination, plan, follow-up, closure), and
  which version of it has already been applied to the workflow.
* ``PlanGoal`` / ``PlanAction``: the plan's goals and actions as rows, so their status can
  change between plan versions without re-validating the form (a due date that was "today
  or later" when the plan was written is in the past a month later, and that is fine).
  A new plan version supersedes the rows of the previous one; superseded rows are kept.
* ``ServiceDelivered``: what a provider actually did for the child.
* ``PlanReview``: a review of the plan in force, with the child's views; it moves the
  next review date.
* ``Approval``: one request for a supervisor's decision on a plan, a best-interests
  determination or a closure form, and the decision (approved, or returned with a
  comment). Every round is kept.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from bridgeway.core.crypto import EncryptedTextField
from bridgeway.forms.models import FormRecord, Purpose


class CareRecord(models.Model):
    """A submitted (never a draft) form of a care step on a case."""

    record = models.OneToOneField(FormRecord, on_delete=models.PROTECT,
                                  related_name="care")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT,
                             related_name="care_records")
    purpose = models.CharField(max_length=30, choices=Purpose.choices)
    # The ``FormRecord.version`` whose answers were last applied (risk level, plan rows,
    # approval request): applying the same version again changes nothing.
    synced_version = models.PositiveIntegerField(default=0)
    # What this record last set on the case (e.g. {"risk_level": "high"}), so an edit of an
    # old assessment does not overwrite a later decision unless its own answer changed.
    applied = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["case", "purpose", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.purpose} record {self.record_id} on case {self.case_id}"


class GoalStatus(models.TextChoices):
    """The built-in reintegration plan's ``goal_status`` list."""

    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    ACHIEVED = "achieved", _("Achieved")
    REVISED = "revised", _("Revised")
    DISCONTINUED = "discontinued", _("Discontinued")


class ActionStatus(models.TextChoices):
    """The built-in reintegration plan's ``action_status`` list."""

    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    DELAYED = "delayed", _("Delayed")
    CANCELLED = "cancelled", _("Cancelled")


# An action in one of these states is finished: its due date no longer makes a task.
FINISHED_ACTION_STATUSES = frozenset({ActionStatus.DONE, ActionStatus.CANCELLED})


class GoalDomain(models.TextChoices):
    """The built-in plan's domains of reintegration."""

    FAMILY = "family", _("Family")
    EDUCATION = "education", _("Education")
    HEALTH = "health", _("Health")
    PSYCHOSOCIAL = "psychosocial", _("Psychosocial well-being")
    LIVELIHOOD = "livelihood", _("Livelihood and skills")
    COMMUNITY = "community", _("Community life")
    LEGAL_DOCUMENTATION = "legal_documentation", _("Legal and civil documentation")


class PlanGoal(models.Model):
    """One goal of one version of a reintegration plan."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    record = models.ForeignKey(FormRecord, on_delete=models.PROTECT,
                               related_name="plan_goals")
    record_version = models.PositiveIntegerField()
    position = models.PositiveSmallIntegerField()  # 1-based row of the ``goal`` repeat
    # Plans written with other (uploaded) forms may use other domain names: kept as given.
    domain = models.CharField(max_length=40)
    # The goal in the plan's words (speaks of the child): encrypted at rest, like the plan
    # form's answers it comes from. Matched across plan versions in Python, never in SQL.
    text = EncryptedTextField()
    status = models.CharField(max_length=30)
    # The status the plan form gave; a status changed through the workflow survives a new
    # plan version unless the new version itself changes the form's status.
    form_status = models.CharField(max_length=30, blank=True)
    # The first row of this goal's history: stable across plan versions.
    origin = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+")
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                          null=True, blank=True, related_name="+")
    created_at = models.DateTimeField()
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["case", "superseded_at"])]

    def __str__(self) -> str:
        return f"goal {self.position} of plan {self.record_id} v{self.record_version}"


class PlanAction(models.Model):
    """One action under a plan goal."""

    goal = models.ForeignKey(PlanGoal, on_delete=models.PROTECT, related_name="actions")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()
    text = EncryptedTextField()  # the action in the plan's words: encrypted at rest
    # Who is responsible, as the plan names them (an agency or service, not the child).
    responsible_agency_text = models.CharField(max_length=300, blank=True)
    # Set when the text names a registered agency (by code or name).
    responsible_agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT,
                                           null=True, blank=True, related_name="+")
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=30)
    form_status = models.CharField(max_length=30, blank=True)
    origin = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+")
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                          null=True, blank=True, related_name="+")
    created_at = models.DateTimeField()
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["case", "superseded_at", "due_date"])]

    def __str__(self) -> str:
        return f"action {self.position} of {self.goal}"

    @property
    def lineage_id(self) -> int:
        return self.origin_id or self.pk


class ServiceType(models.TextChoices):
    PSYCHOSOCIAL = "psychosocial", _("Psychosocial support")
    MENTAL_HEALTH = "mental_health", _("Mental health care")
    HEALTH = "health", _("Health care")
    EDUCATION = "education", _("Education")
    VOCATIONAL = "vocational", _("Vocational training")
    LIVELIHOOD = "livelihood", _("Livelihood support")
    FAMILY_SUPPORT = "family_support", _("Family support")
    FAMILY_TRACING = "family_tracing", _("Family tracing and reunification")
    ALTERNATIVE_CARE = "alternative_care", _("Alternative care")
    LEGAL_AID = "legal_aid", _("Legal aid")
    DOCUMENTATION = "documentation", _("Civil documentation")
    COMMUNITY = "community", _("Community-based support")
    RECREATION = "recreation", _("Recreation and sport")
    OTHER = "other", _("Other")


class ServiceDelivered(models.Model):
    """A service a provider delivered to the child (or is delivering: no end date yet)."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT,
                             related_name="services_delivered")
    service_type = models.CharField(max_length=30, choices=ServiceType.choices)
    # What was done and what came of it, in the provider's words (psychosocial and health
    # detail): encrypted at rest; the service caps each at 5,000 characters.
    description = EncryptedTextField(blank=True)
    provider_agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT,
                                        null=True, blank=True, related_name="+")
    provider_name = models.CharField(max_length=200, blank=True)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    outcome = EncryptedTextField(blank=True)
    action = models.ForeignKey(PlanAction, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="services")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-start_date", "-id"]
        indexes = [models.Index(fields=["case", "-start_date"])]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__isnull=True)
                                   | Q(end_date__gte=models.F("start_date")),
                                   name="care_service_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.service_type} from {self.start_date}"

    @property
    def provider_label(self) -> str:
        if self.provider_agency_id and self.provider_agency is not None:
            return self.provider_agency.name
        return self.provider_name


class PlanReview(models.Model):
    """A review of the plan in force. The child's views are part of every review."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT,
                             related_name="plan_reviews")
    plan_record = models.ForeignKey(FormRecord, on_delete=models.PROTECT,
                                    related_name="plan_reviews")
    reviewed_on = models.DateField()
    # Progress and decisions, what the child said and how it weighed: encrypted at rest
    # (the service caps each at 5,000 characters).
    summary = EncryptedTextField()
    child_views = EncryptedTextField()
    child_views_weight = EncryptedTextField()
    plan_change_needed = models.BooleanField(default=False)
    # Earlier than the regular interval when the reviewers want it sooner.
    next_review_on = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-reviewed_on", "-id"]
        indexes = [models.Index(fields=["case", "-reviewed_on"])]

    def __str__(self) -> str:
        return f"plan review {self.reviewed_on} on case {self.case_id}"


class Decision(models.TextChoices):
    PENDING = "pending", _("Waiting for a supervisor")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned for changes")


class Approval(models.Model):
    """One round of supervisor approval of a decision record."""

    care_record = models.ForeignKey(CareRecord, on_delete=models.PROTECT,
                                    related_name="approvals")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    record_version = models.PositiveIntegerField()  # as requested; as decided once decided
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    requested_at = models.DateTimeField()
    # Free text that may speak of the child (psychosocial detail): encrypted at rest.
    request_note = EncryptedTextField(blank=True)  # e.g. what changed since it was returned
    decision = models.CharField(max_length=10, choices=Decision.choices,
                                default=Decision.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["case", "decision"])]
        constraints = [
            models.UniqueConstraint(fields=["care_record"], condition=Q(decision="pending"),
                                    name="care_one_pending_approval"),
        ]

    def __str__(self) -> str:
        return f"approval {self.pk} of {self.care_record_id} ({self.decision})"
