"""Sharing a case beyond its owning agency: consent records, referrals, transfers of
ownership, break-glass access, and the notifications they send.

Each of these *feeds* the single access policy (``access.policy``) through a grant source
in ``referrals.grants``; nothing here decides access on its own. Rows are written only by
``referrals.services`` (validation, case event and audit entry in one transaction).

Consent (shared/STANDARDS.md, "Personal data protection"): under 13 the child's
representative consents and the child's assent and views are recorded; from 13 the child
consents personally, with the caregiver's involvement noted; a supervisor may record a
best-interests decision instead, with a written reason. A consent is scoped (categories,
purpose, receiving agency or named service, validity period) and can be withdrawn, which
ends every access that rests on it at once.
"""

from __future__ import annotations

from datetime import date, datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bridgeway.core.crypto import EncryptedTextField


class ConsentGiver(models.TextChoices):
    CHILD = "child", _("The child (13 and over)")
    REPRESENTATIVE = "representative", _("Parent or legal guardian, with the child's assent")
    BEST_INTERESTS = "best_interests", _("Supervisor's best-interests decision")


class ConsentPurpose(models.TextChoices):
    REFERRAL = "referral", _("Referral to a service")
    TRANSFER = "transfer", _("Transfer of the case to another agency")


class Consent(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(max_length=10, choices=ConsentPurpose.choices,
                            default=ConsentPurpose.REFERRAL)
    given_by = models.CharField(max_length=20, choices=ConsentGiver.choices)
    # The representative who consented. Family rows are rewritten when the child's record
    # is edited, so the name and relationship are kept here as they were at consent.
    family_member = models.ForeignKey("registry.FamilyMember", on_delete=models.SET_NULL,
                                      null=True, blank=True, related_name="+")
    representative_name = models.CharField(max_length=300, blank=True)
    representative_relationship = models.CharField(max_length=20, blank=True)
    # The lowest plausible age on the day of consent; None when no age evidence exists.
    child_age = models.PositiveSmallIntegerField(null=True, blank=True)
    child_assent = models.BooleanField(null=True, blank=True)
    # The child's own words (may speak of their psychosocial situation): encrypted at rest.
    child_views = EncryptedTextField(blank=True)
    # The free text of a consent speaks of the child and their family (how the caregiver
    # was involved, why a supervisor decided in the child's best interests, what the
    # sharing is for, why it was withdrawn): encrypted at rest like the child's views.
    caregiver_involvement = EncryptedTextField(blank=True)
    override_reason = EncryptedTextField(blank=True)

    categories = models.JSONField(default=list)  # access.policy.Category values
    purpose = EncryptedTextField()
    receiving_agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT,
                                         null=True, blank=True, related_name="+")
    receiving_service = models.CharField(max_length=200, blank=True)
    consented_on = models.DateField()
    valid_until = models.DateField()  # inclusive, in the server's time zone

    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_on = models.DateField(null=True, blank=True)  # the day the person withdrew
    withdrawn_reason = EncryptedTextField(blank=True)
    withdrawn_recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                              on_delete=models.PROTECT, related_name="+")
    # "Withdrawal is reviewed in the child's best interests" (STANDARDS.md): a supervisor
    # records the review; until then a task stays open.
    withdrawal_reviewed_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                               blank=True, on_delete=models.PROTECT,
                                               related_name="+")
    withdrawal_review_note = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["case", "kind"])]

    def __str__(self) -> str:
        return f"Consent #{self.pk} ({self.get_given_by_display()})"

    def is_valid_on(self, day: date) -> bool:
        return (self.withdrawn_at is None and self.consented_on <= day <= self.valid_until)

    def is_valid_now(self) -> bool:
        return self.is_valid_on(timezone.localdate())


def consent_valid_q(today: date, prefix: str = "") -> Q:
    """Consents (reached through ``prefix``, e.g. ``"consent__"``) valid on ``today``."""
    return Q(**{f"{prefix}withdrawn_at__isnull": True, f"{prefix}consented_on__lte": today,
                f"{prefix}valid_until__gte": today})


class ReferralStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting a response")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    EXPIRED = "expired", _("Expired")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    CLOSED = "closed", _("Closed")


OPEN_REFERRAL_STATUSES = (ReferralStatus.PENDING, ReferralStatus.ACCEPTED)


class Referral(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="referrals")
    consent = models.ForeignKey(Consent, on_delete=models.PROTECT, related_name="referrals")
    referred_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    from_agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT,
                                    related_name="+")
    # Another agency using Bridgeway, or a named service outside it (then nobody in the
    # system is granted anything: the information leaves on paper, under the consent).
    receiving_agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT,
                                         null=True, blank=True,
                                         related_name="incoming_referrals")
    service_name = models.CharField(max_length=200, blank=True)
    plan_action_id = models.CharField(max_length=64, blank=True)  # a plan service line
    categories = models.JSONField(default=list)
    # Free text about the child (why referred, why declined, why ended): encrypted at rest.
    purpose = EncryptedTextField()
    status = models.CharField(max_length=10, choices=ReferralStatus.choices,
                              default=ReferralStatus.PENDING)
    created_at = models.DateTimeField()
    respond_by = models.DateTimeField()
    access_until = models.DateField()  # inclusive; never later than the consent
    responded_at = models.DateTimeField(null=True, blank=True)
    responded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    decline_reason = EncryptedTextField(blank=True)
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL,
                                    related_name="received_referrals")
    ended_at = models.DateTimeField(null=True, blank=True)  # withdrawn, expired or closed
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    end_note = EncryptedTextField(blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["receiving_agency", "status"]),
            models.Index(fields=["case", "status"]),
            models.Index(fields=["status", "respond_by"]),
        ]

    def __str__(self) -> str:
        return f"Referral #{self.pk}"

    @property
    def receiver_label(self) -> str:
        agency = self.receiving_agency
        return agency.name if agency is not None else self.service_name

    def is_overdue(self, now: datetime | None = None) -> bool:
        return (self.status == ReferralStatus.PENDING
                and self.respond_by <= (now or timezone.now()))


class ServiceReport(models.Model):
    """What the receiving agency delivered under a referral."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE,
                                 related_name="service_reports")
    service_type = models.CharField(max_length=200)
    delivered_on = models.DateField()
    # What was done and found (health or psychosocial detail): encrypted at rest.
    outcome = EncryptedTextField()
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    reported_at = models.DateTimeField()

    class Meta:
        ordering = ["delivered_on", "id"]

    def __str__(self) -> str:
        return f"Service report #{self.pk} on referral #{self.referral_id}"


class TransferStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    CANCELLED = "cancelled", _("Cancelled")


class Transfer(models.Model):
    """A move of case ownership from one agency to another. The case row itself only
    changes ``owning_agency`` on acceptance; the history is here and in the case events."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="transfers")
    consent = models.ForeignKey(Consent, on_delete=models.PROTECT, related_name="transfers")
    from_agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT,
                                    related_name="+")
    to_agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT,
                                  related_name="incoming_transfers")
    # Why the case moves, and the receiving supervisor's note: encrypted at rest.
    reason = EncryptedTextField()
    status = models.CharField(max_length=10, choices=TransferStatus.choices,
                              default=TransferStatus.PROPOSED)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    proposed_at = models.DateTimeField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = EncryptedTextField(blank=True)
    # Read access the former owner keeps after acceptance (its supervisors and the
    # caseworker assigned at that moment), only when the transfer says so.
    retain_access = models.BooleanField(default=False)
    retained_categories = models.JSONField(default=list, blank=True)
    retained_until = models.DateField(null=True, blank=True)
    former_assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                        on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-proposed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=Q(status="proposed"),
                                    name="one_proposed_transfer_per_case"),
        ]
        indexes = [models.Index(fields=["to_agency", "status"]),
                   models.Index(fields=["from_agency", "status"])]

    def __str__(self) -> str:
        return f"Transfer #{self.pk}"


class TransferEvent(models.Model):
    """The transfer's own history (proposed, accepted, declined, cancelled, consent
    withdrawn), kept even when the case later moves again."""

    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT,
                              related_name="+")
    at = models.DateTimeField()
    params = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} (transfer #{self.transfer_id})"


class BreakGlass(models.Model):
    """Emergency, time-limited read access to a case outside the user's scope."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="break_glass_uses")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE,
                             related_name="break_glass_uses")
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    owning_agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT,
                                      related_name="+")
    # The emergency, in the user's words, and the reviewer's note: encrypted at rest (the
    # reason is also the audit entry's reason, which auditors read: ``audit``).
    reason = EncryptedTextField()
    categories = models.JSONField(default=list)  # what the grant gave, for the review
    started_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)  # ended early by the user
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    review_note = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = "break-glass use"
        indexes = [models.Index(fields=["user", "expires_at"]),
                   models.Index(fields=["case", "started_at"])]

    def __str__(self) -> str:
        return f"Break-glass #{self.pk}"

    def is_active(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.ended_at is None and self.started_at <= now < self.expires_at


class Notification(models.Model):
    """A message to one user about a sharing event. The text never carries child data —
    a case number at most — because the recipient may not be entitled to any of it."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="sharing_notifications")
    kind = models.CharField(max_length=40)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, null=True, blank=True,
                             related_name="+")
    object_type = models.CharField(max_length=20, blank=True)
    object_id = models.CharField(max_length=20, blank=True)
    message = models.CharField(max_length=500)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}"


class CorrectionRequester(models.TextChoices):
    CHILD = "child", _("The child")
    REPRESENTATIVE = "representative", _("Parent or legal guardian")


class CorrectionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class CorrectionRequest(models.Model):
    """A data-subject request to correct the child's record (issue 5, item 7): what the
    child or their guardian says is wrong and what they ask for instead. The caseworker
    decides; an accepted correction is applied through the normal edit of the record (so
    the change has its own version, event and audit entry), and the request keeps the
    history. ``category`` is the data category of the data concerned: the request is
    shown only to users who may see that category."""

    child = models.ForeignKey("registry.Child", on_delete=models.CASCADE,
                              related_name="correction_requests")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    requested_by = models.CharField(max_length=20, choices=CorrectionRequester.choices)
    # As for consent: the guardian's name and relationship as they were on the day.
    family_member = models.ForeignKey("registry.FamilyMember", on_delete=models.SET_NULL,
                                      null=True, blank=True, related_name="+")
    representative_name = models.CharField(max_length=300, blank=True)
    representative_relationship = models.CharField(max_length=20, blank=True)
    category = models.CharField(max_length=30)  # access.policy.Category
    # What the child or guardian say, in their words, and the decision: encrypted at rest.
    item = EncryptedTextField()  # which part of the record; at most 200 characters
    statement = EncryptedTextField()  # what they say is wrong
    requested_change = EncryptedTextField()
    received_on = models.DateField()
    status = models.CharField(max_length=10, choices=CorrectionStatus.choices,
                              default=CorrectionStatus.OPEN)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["child", "status"])]

    def __str__(self) -> str:
        return f"Correction request #{self.pk}"
