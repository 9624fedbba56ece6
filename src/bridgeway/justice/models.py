"""The justice record: jurisdiction rules with history, facilities, justice events, the
detention register (Havana Rules 20-22), which justice agencies are involved in a case,
and the safeguards engine's cached output (evaluations, alerts, notifications).

Every datetime is stored in UTC (``USE_TZ``); pages show it in the facility's (or the
event's) own time zone, named, because "arrested at 23:30" means nothing without the
place's clock.

Victim status stays on the case (``cases.Case.victim_status``); the alleged offences
recorded here sit beside it and never overwrite it (ECOSOC 2024/12 para 3).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from bridgeway.core.crypto import EncryptedJSONField, EncryptedTextField
from bridgeway.justice.rules import EpisodeKind, EventKind

# --------------------------------------------------------------------- rules


class JurisdictionRuleSet(models.Model):
    """One version of a jurisdiction's figures, in force from ``valid_from``.

    Rows are never changed: editing the rules of a jurisdiction writes a new row (a later
    ``valid_from`` for a change in the law, or the same ``valid_from`` to correct a
    mistake, in which case the newest row wins). Old rows stay as the history, so a
    deadline can always be explained by the figures that produced it.
    """

    country = models.CharField(max_length=2)
    region = models.CharField(max_length=40, blank=True)
    valid_from = models.DateTimeField()
    macr_years = models.PositiveSmallIntegerField()
    max_hours_to_appearance = models.PositiveIntegerField()
    pretrial_review_days = models.PositiveIntegerField()
    days_to_charge = models.PositiveIntegerField()
    max_pretrial_days = models.PositiveIntegerField()
    sealing_years = models.PositiveSmallIntegerField()
    expungement_years = models.PositiveSmallIntegerField()
    age_of_majority = models.PositiveSmallIntegerField()
    diversion_types = models.JSONField(default=list, blank=True)
    parent_notification_hours = models.PositiveIntegerField()
    legal_counsel_access_hours = models.PositiveIntegerField()
    continuity_gap_hours = models.PositiveIntegerField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField()
    reason = models.TextField()

    class Meta:
        ordering = ["country", "region", "valid_from", "created_at", "id"]
        indexes = [models.Index(fields=["country", "region", "valid_from"])]

    def __str__(self) -> str:
        where = f"{self.country}-{self.region}" if self.region else self.country
        return f"{where} from {self.valid_from:%Y-%m-%d}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise RuntimeError("Rule sets are history: record a new version instead.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("Rule sets are history and are never deleted.")

    @property
    def jurisdiction(self) -> str:
        return f"{self.country}-{self.region}" if self.region else self.country


# ------------------------------------------------------------------ facilities


class FacilityKind(models.TextChoices):
    POLICE_STATION = "police_station", _("Police station")
    PRETRIAL_CENTRE = "pretrial_centre", _("Pretrial detention centre")
    JUVENILE_FACILITY = "juvenile_facility", _("Juvenile detention facility")
    PRISON = "prison", _("Prison")
    IMMIGRATION_CENTRE = "immigration_centre", _("Immigration detention centre")
    SECURITY_FACILITY = "security_facility", _("Security detention facility")
    REHABILITATION_CENTRE = "rehabilitation_centre", _("Closed rehabilitation facility")
    OTHER = "other", _("Other place of deprivation of liberty")


class Facility(models.Model):
    """A place where children are deprived of liberty. ``time_zone`` is an IANA name
    ("Asia/Jakarta"): times recorded there are entered and shown on its clock.
    ``agency`` (optional) runs it; opening an episode there involves that agency."""

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=30, choices=FacilityKind.choices)
    country = models.CharField(max_length=2)
    region = models.CharField(max_length=40, blank=True)
    time_zone = models.CharField(max_length=64)
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, null=True,
                               blank=True, related_name="facilities")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["country", "name"]
        verbose_name_plural = "facilities"

    def __str__(self) -> str:
        return self.name


# ---------------------------------------------------------------------- events

EVENT_KIND_CHOICES = [
    (EventKind.POLICE_CONTACT.value, _("Contact with police")),
    (EventKind.ARREST.value, _("Apprehension / arrest")),
    (EventKind.FIRST_APPEARANCE.value, _("First appearance before a competent authority")),
    (EventKind.CHARGE.value, _("Formal charge")),
    (EventKind.HEARING.value, _("Hearing")),
    (EventKind.DIVERSION_OFFERED.value, _("Diversion offered")),
    (EventKind.DIVERSION_ACCEPTED.value, _("Diversion accepted")),
    (EventKind.DIVERSION_COMPLETED.value, _("Diversion completed")),
    (EventKind.PRETRIAL_MEASURE.value, _("Pretrial measure ordered")),
    (EventKind.JUDGMENT.value, _("Judgment")),
    (EventKind.SENTENCE.value, _("Sentence")),
    (EventKind.APPEAL.value, _("Appeal")),
    (EventKind.RELEASE.value, _("Release")),
]

EPISODE_KIND_CHOICES = [
    (EpisodeKind.POLICE_CUSTODY.value, _("Police custody")),
    (EpisodeKind.PRETRIAL.value, _("Pretrial detention")),
    (EpisodeKind.SENTENCE.value, _("Serving a custodial sentence")),
    (EpisodeKind.ADMINISTRATIVE.value, _("Administrative detention")),
    (EpisodeKind.IMMIGRATION.value, _("Immigration detention")),
    (EpisodeKind.SECURITY.value, _("Security detention")),
    (EpisodeKind.CLOSED_REHABILITATION.value, _("Closed rehabilitation facility")),
]


class Interpreter(models.TextChoices):
    NOT_NEEDED = "not_needed", _("Not needed")
    PROVIDED = "provided", _("Provided")
    NEEDED_NOT_PROVIDED = "needed_not_provided", _("Needed but not provided")
    UNKNOWN = "unknown", _("Not recorded")


class JusticeEvent(models.Model):
    """One step of the child's contact with the justice system."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT,
                             related_name="justice_events")
    kind = models.CharField(max_length=30, choices=EVENT_KIND_CHOICES)
    at = models.DateTimeField()
    # The clock the time was given on (IANA name): the page shows ``at`` in it.
    time_zone = models.CharField(max_length=64)
    authority = models.CharField(max_length=200, blank=True)
    place = models.CharField(max_length=200, blank=True)
    legal_basis = models.CharField(max_length=500, blank=True)
    legal_representation_present = models.BooleanField(null=True, blank=True)
    parent_notified_at = models.DateTimeField(null=True, blank=True)
    interpreter = models.CharField(max_length=30, choices=Interpreter.choices,
                                   default=Interpreter.UNKNOWN)
    # Encrypted at rest (core/crypto.py): justice notes and health detail.
    alleged_offence = EncryptedTextField(blank=True)
    alleged_offence_on = models.DateField(null=True, blank=True)
    diversion_type = models.CharField(max_length=60, blank=True)
    reviews_detention = models.BooleanField(null=True, blank=True)
    treats_as_criminally_responsible = models.BooleanField(null=True, blank=True)
    sentence_custodial = models.BooleanField(null=True, blank=True)
    notes = EncryptedTextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    recording_agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT,
                                         null=True, related_name="+")
    recorded_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"])]

    def __str__(self) -> str:
        return f"{self.kind} at {self.at:%Y-%m-%d %H:%M} UTC"


# -------------------------------------------------------------------- episodes


class Separation(models.TextChoices):
    YES = "yes", _("Separated from adults")
    NO = "no", _("Not separated from adults")
    UNKNOWN = "unknown", _("Not recorded")


class DetentionEpisode(models.Model):
    """An entry of the detention register: one stay in one facility on one legal basis.
    ``released_at`` empty: the child is still held. A transfer closes one episode and
    opens the next at the same instant (``transferred_from``)."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT,
                             related_name="detention_episodes")
    kind = models.CharField(max_length=30, choices=EPISODE_KIND_CHOICES)
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="episodes")
    commitment_order_ref = models.CharField(max_length=120, blank=True)
    # Encrypted at rest (core/crypto.py), like the other free text of the register: why
    # the child is held, why not separated from adults, how to reach the family.
    reason = EncryptedTextField(blank=True)
    authority = models.CharField(max_length=200, blank=True)
    admitted_at = models.DateTimeField()
    released_at = models.DateTimeField(null=True, blank=True)
    release_note = EncryptedTextField(blank=True)  # at most 500 characters (services)
    transferred_from = models.OneToOneField("self", on_delete=models.PROTECT, null=True,
                                            blank=True, related_name="transferred_to")
    separated_from_adults = models.CharField(max_length=10, choices=Separation.choices,
                                             default=Separation.UNKNOWN)
    not_separated_reason = EncryptedTextField(blank=True)
    family_contact = EncryptedTextField(blank=True)
    family_notified_at = models.DateTimeField(null=True, blank=True)
    # Havana Rule 21(e): known health problems. Category HEALTH: never shown to justice users.
    health_problems = EncryptedTextField(blank=True)
    legal_counsel_access_at = models.DateTimeField(null=True, blank=True)
    last_resort_justification = EncryptedTextField(blank=True)
    # The rest of the last-resort justification (a list of texts), one encrypted JSON token.
    alternatives_considered = EncryptedJSONField(default=list, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    recording_agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT,
                                         null=True, related_name="+")
    recorded_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["admitted_at", "id"]
        indexes = [
            models.Index(fields=["case", "admitted_at"]),
            models.Index(fields=["released_at"], condition=Q(released_at__isnull=True),
                         name="justice_episode_open"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} at {self.facility_id} from {self.admitted_at:%Y-%m-%d %H:%M} UTC"

    @property
    def is_open(self) -> bool:
        return self.released_at is None

    @property
    def separated(self) -> bool | None:
        return {Separation.YES: True, Separation.NO: False}.get(
            Separation(self.separated_from_adults))


# ----------------------------------------------------------------- involvement


class JusticeInvolvement(models.Model):
    """Which justice agency is involved in which case: the grant source that lets its
    users see the case's identity and justice record (``justice.access``)."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE,
                             related_name="justice_involvements")
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT,
                               related_name="justice_involvements")
    # Why the agency is involved (justice category): encrypted at rest; at most 300
    # characters (``services.justice_involvement_add``).
    reason = EncryptedTextField(blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 related_name="+")
    added_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "agency"], condition=Q(ended_at__isnull=True),
                                    name="one_active_involvement_per_agency"),
        ]
        indexes = [models.Index(fields=["agency", "case"])]

    def __str__(self) -> str:
        return f"{self.agency_id} in case {self.case_id}"


# --------------------------------------------------------- evaluations, alerts


class SafeguardEvaluation(models.Model):
    """The engine's latest output for a case (cache: the pages evaluate live; lists of
    many cases, tasks and alerts read this). ``needs_attention`` marks what the daily job
    re-evaluates: an open episode, a pending deadline or an ongoing violation."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE,
                                related_name="safeguard_evaluation")
    evaluated_at = models.DateTimeField()
    deadlines = models.JSONField(default=list)
    violations = models.JSONField(default=list)
    rule_set_ids = models.JSONField(default=list)  # JurisdictionRuleSet ids; 0 = defaults
    jurisdiction = models.CharField(max_length=50, blank=True)
    held_since = models.DateTimeField(null=True, blank=True)
    next_due_at = models.DateTimeField(null=True, blank=True)
    ongoing_violations = models.PositiveIntegerField(default=0)
    needs_attention = models.BooleanField(default=False)
    digest = models.CharField(max_length=64, blank=True)

    class Meta:
        indexes = [models.Index(fields=["needs_attention"], condition=Q(needs_attention=True),
                                name="justice_eval_attention")]

    def __str__(self) -> str:
        return f"evaluation of case {self.case_id} at {self.evaluated_at:%Y-%m-%d %H:%M} UTC"


class AlertStatus(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")


class SafeguardAlert(models.Model):
    """One violation of one safeguard about one event or episode, kept across runs so
    that it is notified once and its resolution is dated. ``since`` is part of its
    identity: one pretrial episode can miss several successive reviews, each a violation
    of its own. A correction that re-dates a violation resolves the old alert and opens
    a new one (the record then says something different)."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE,
                             related_name="safeguard_alerts")
    code = models.CharField(max_length=60)
    subject = models.CharField(max_length=60)  # "episode:12", "event:7"
    since = models.DateTimeField()
    until = models.DateTimeField(null=True, blank=True)
    severity = models.CharField(max_length=10)
    detail = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=AlertStatus.choices,
                              default=AlertStatus.OPEN)
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    # Incremented when a resolved alert opens again: each opening is notified once.
    round = models.PositiveIntegerField(default=1)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["case", "since", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "code", "subject", "since"],
                                    name="one_alert_per_violation"),
        ]
        indexes = [models.Index(fields=["status", "case"])]

    def __str__(self) -> str:
        return f"{self.code} {self.subject} ({self.status})"


class Notification(models.Model):
    """A message to one user about one new safeguard alert (the outbox: delivery
    channels read these rows; today the page lists them and a log line is written)."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="justice_notifications")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    alert = models.ForeignKey(SafeguardAlert, on_delete=models.CASCADE,
                              related_name="notifications")
    # The alert can re-open after being resolved; each opening is notified once.
    round = models.PositiveIntegerField(default=1)
    message = models.CharField(max_length=500)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["alert", "recipient", "round"],
                                    name="one_notification_per_alert_round"),
        ]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return f"to {self.recipient_id}: {self.message[:60]}"


# ------------------------------------------------- retention: seals and runs


class JusticeSeal(models.Model):
    """The justice record of a case is sealed (Havana Rule 19): from ``sealed_at`` no
    justice grant reaches it and the named roles (``BRIDGEWAY_SEALED_ACCESS_ROLES``) see it
    only after stating a reason, which is audited (``justice.retention``). Written by the
    retention job once the case has been closed for the jurisdiction's ``sealing_years``;
    removed with the record itself when it is expunged. It seals the rows recorded up to
    ``sealed_at``: when the case is reopened the seal stays, and what is recorded after
    it is the record's open part (moved forward when the case, closed again, is due)."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE,
                                related_name="justice_seal")
    sealed_at = models.DateTimeField()
    reason = models.CharField(max_length=300)

    def __str__(self) -> str:
        return f"seal of case {self.case_id} at {self.sealed_at:%Y-%m-%d}"


class RetentionRun(models.Model):
    """One run (or dry run) of the retention job. ``counts`` holds numbers only (cases
    sealed, expunged, anonymised, deleted), never what was removed."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    dry_run = models.BooleanField(default=False)
    counts = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"retention run {self.pk} ({'dry' if self.dry_run else 'real'})"


class RetentionActionKind(models.TextChoices):
    SEAL = "seal", _("Justice record sealed")
    EXPUNGE = "expunge", _("Justice record expunged")
    ANONYMISE = "anonymise", _("Case record anonymised")
    DELETE = "delete", _("Case record deleted")


class RetentionAction(models.Model):
    """What the retention job did to one case, written in the same transaction as the
    change itself. ``case_id`` is a plain number (the case may no longer exist) and
    ``counts`` holds row counts per kind, never content. An ``anonymise`` row is also
    the marker that makes the job idempotent (an anonymised case is not done again)."""

    run = models.ForeignKey(RetentionRun, on_delete=models.PROTECT, related_name="actions")
    case_id = models.BigIntegerField(db_index=True)
    action = models.CharField(max_length=20, choices=RetentionActionKind.choices)
    at = models.DateTimeField()
    counts = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action} case {self.case_id}"
