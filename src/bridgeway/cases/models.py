"""Cases: the case-management steps, risk, ownership, association context, victim status,
notes, tasks and the case timeline (events).

Victim status and any alleged offence are separate fields on purpose: recognition as a
victim does not exclude accountability, and an alleged offence never erases victim status
(ECOSOC 2024/12 para 3; GA 79/188 para 7).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from bridgeway.core.crypto import EncryptedTextField
from bridgeway.core.models import TimeStampedModel


class Status(models.TextChoices):
    REGISTRATION = "registration", _("Identification and registration")
    ASSESSMENT = "assessment", _("Assessment")
    PLANNING = "planning", _("Case planning")
    IMPLEMENTATION = "implementation", _("Implementing the plan")
    FOLLOW_UP = "follow_up", _("Follow-up and review")
    CLOSURE_REQUESTED = "closure_requested", _("Closure awaiting approval")
    CLOSED = "closed", _("Closed")


# The steps a caseworker moves through by hand; closure goes through request + approval.
WORK_STEPS = [Status.REGISTRATION, Status.ASSESSMENT, Status.PLANNING,
              Status.IMPLEMENTATION, Status.FOLLOW_UP]


class Risk(models.TextChoices):
    HIGH = "high", _("High: significant harm or death likely without intervention")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")
    NONE = "none", _("No risk")


class GroupType(models.TextChoices):
    TERRORIST = "terrorist", _("Terrorist group")
    ARMED = "armed", _("Armed group")
    ORGANIZED_CRIMINAL = "organized_criminal", _("Organized criminal group")
    GANG = "gang", _("Gang")
    UNKNOWN = "unknown", _("Unknown")


class AssociationMode(models.TextChoices):
    RECRUITED = "recruited", _("Recruited")
    ABDUCTED = "abducted", _("Abducted")
    BORN_INTO = "born_into", _("Born into the group")
    THROUGH_FAMILY = "through_family", _("Through family")
    ONLINE = "online", _("Recruited online")
    UNKNOWN = "unknown", _("Unknown")


class VictimStatus(models.TextChoices):
    RECOGNIZED = "recognized", _("Recognized as a victim")
    PENDING = "pending", _("Recognition pending")
    NOT_RECOGNIZED = "not_recognized", _("Not (yet) recognized")


class ClosureReason(models.TextChoices):
    GOALS_MET = "goals_met", _("Plan goals met, reintegration sustained")
    TRANSFERRED = "transferred", _("Transferred to another agency")
    MOVED = "moved", _("Child moved out of the area")
    TURNED_ADULT = "turned_adult", _("Reached adulthood, handed to adult services")
    DECEASED = "deceased", _("Child died")
    DECLINED = "declined", _("The child or family declined further support")
    DUPLICATE = "duplicate", _("Duplicate record")
    OTHER = "other", _("Other")


class Case(TimeStampedModel):
    case_number = models.CharField(max_length=30, unique=True)
    child = models.ForeignKey("registry.Child", on_delete=models.PROTECT, related_name="cases")
    owning_agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT,
                                      related_name="cases")
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="assigned_cases")
    status = models.CharField(max_length=20, choices=Status.choices,
                              default=Status.REGISTRATION)
    risk_level = models.CharField(max_length=10, choices=Risk.choices, default=Risk.MEDIUM)
    opened_at = models.DateTimeField()
    first_assessment_due = models.DateTimeField(null=True, blank=True)
    first_assessment_done_at = models.DateTimeField(null=True, blank=True)

    group_type = models.CharField(max_length=20, choices=GroupType.choices,
                                  default=GroupType.UNKNOWN)
    association_mode = models.CharField(max_length=20, choices=AssociationMode.choices,
                                        default=AssociationMode.UNKNOWN)
    association_from = models.DateField(null=True, blank=True)
    association_to = models.DateField(null=True, blank=True)
    # Encrypted at rest (core/crypto.py): association history, justice and free-text notes.
    association_place = EncryptedTextField(blank=True)
    association_country = models.CharField(max_length=2, blank=True)

    victim_status = models.CharField(max_length=20, choices=VictimStatus.choices,
                                     default=VictimStatus.PENDING)
    victim_recognized_on = models.DateField(null=True, blank=True)
    victim_recognized_by = models.CharField(max_length=200, blank=True)
    alleged_offence = EncryptedTextField(blank=True)

    closure_reason = models.CharField(max_length=20, choices=ClosureReason.choices, blank=True)
    closure_note = EncryptedTextField(blank=True)
    closure_requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                             on_delete=models.PROTECT, related_name="+")
    closure_requested_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closure_approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                            on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["child", "owning_agency"], condition=~Q(status="closed"),
                name="one_open_case_per_child_per_agency",
            )
        ]
        indexes = [
            models.Index(fields=["owning_agency", "status", "-opened_at"]),
            models.Index(fields=["assigned_to", "status"]),
            models.Index(fields=["-opened_at", "-id"]),
            # The case list filtered by step and risk, newest first: read in order, the
            # access policy's OR checked on the few rows read (see docs/performance.md).
            models.Index(fields=["status", "risk_level", "-opened_at", "-id"],
                         name="cases_case_status_risk_opened"),
        ]

    def __str__(self) -> str:
        return self.case_number

    @property
    def is_open(self) -> bool:
        return self.status != Status.CLOSED


class CaseNumberCounter(models.Model):
    """Per-prefix, per-year counter; locked while a number is issued."""

    prefix = models.CharField(max_length=20)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["prefix", "year"], name="case_counter")]


class CaseNote(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+")
    body = EncryptedTextField()  # may hold psychosocial detail: encrypted at rest
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]


class CaseEvent(models.Model):
    """The case timeline: every state change writes one, in the same transaction.

    ``params`` say *what* changed, never the content: ids of the rows concerned, codes of
    choices, names of the fields edited (``cases.events.case_event`` refuses anything
    else). The timeline is shown to everyone who sees case management, and ``params`` is
    a plain JSON column: a note, a reason, a name or an address put there would escape
    both the category filter and the encryption at rest of the field it came from.

    ``comment`` holds the words a person wrote *with* the change when nothing else keeps
    them — why a case was reopened, why a closure request was returned — encrypted at
    rest (``core.crypto``); ``cases.events.COMMENTED_KINDS`` says which kinds show it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              null=True, related_name="+")
    kind = models.CharField(max_length=40)
    at = models.DateTimeField()
    params = models.JSONField(default=dict, blank=True)
    comment = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Task(models.Model):
    """A to-do on a case. Derived tasks carry a ``source_key`` so that deriving them again
    (on every change and in the daily job) never duplicates them."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    source_key = models.CharField(max_length=80)
    title = models.CharField(max_length=200)
    due_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=TaskStatus.choices,
                              default=TaskStatus.OPEN)
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="tasks")
    created_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "source_key"], name="task_source_unique")
        ]
        indexes = [models.Index(fields=["status", "due_at"])]
