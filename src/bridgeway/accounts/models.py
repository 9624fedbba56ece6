"""Agencies, sectors, users and roles, and revocable API tokens."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as BaseUserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Sector(models.TextChoices):
    CHILD_PROTECTION = "child_protection", _("Child protection / social welfare")
    HEALTH = "health", _("Health")
    EDUCATION = "education", _("Education")
    POLICE = "police", _("Justice: police")
    PROSECUTION = "prosecution", _("Justice: prosecution")
    COURT = "court", _("Justice: courts")
    LEGAL_AID = "legal_aid", _("Justice: legal aid")
    DETENTION = "detention", _("Justice: detention")
    COMMUNITY = "community", _("Community / civil society")
    INTERNATIONAL = "international", _("International organization")


JUSTICE_SECTORS = frozenset(
    {Sector.POLICE, Sector.PROSECUTION, Sector.COURT, Sector.LEGAL_AID, Sector.DETENTION}
)


class Role(models.TextChoices):
    CASEWORKER = "caseworker", _("Caseworker")
    SUPERVISOR = "supervisor", _("Supervisor")
    AGENCY_ADMIN = "agency_admin", _("Agency administrator")
    SYSTEM_ADMIN = "system_admin", _("System administrator")
    ANALYST = "analyst", _("Analyst")
    AUDITOR = "auditor", _("Auditor")


class Agency(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    sector = models.CharField(max_length=32, choices=Sector.choices)
    # Jurisdiction: ISO 3166-1 alpha-2 country and optional region code.
    country = models.CharField(max_length=2)
    region = models.CharField(max_length=40, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        verbose_name_plural = "agencies"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_justice(self) -> bool:
        return self.sector in JUSTICE_SECTORS


class UserManager(BaseUserManager):  # type: ignore[type-arg]
    """``create_superuser`` (``manage.py createsuperuser``) makes a system administrator
    belonging to no agency: a superuser with a role that reads child records would break
    separation of duties (``accounts.services``). Any other role, or an agency, is refused
    with nothing created. The creation is audited like one in the admin, with no actor (the
    command line)."""

    def create_superuser(self, username: str, email: str | None = None,
                         password: str | None = None, **extra_fields: Any) -> User:
        role = extra_fields.setdefault("role", Role.SYSTEM_ADMIN)
        if role != Role.SYSTEM_ADMIN:
            raise ValueError(
                f"A superuser has the role {Role.SYSTEM_ADMIN.value!r}, not {role!r}: a role "
                "that reads child records never goes with administrator powers "
                "(separation of duties).")
        if extra_fields.get("agency") is not None or extra_fields.get("agency_id"):
            raise ValueError("A superuser (a system administrator) belongs to no agency.")
        from django.db import transaction

        from bridgeway.audit.models import Action
        from bridgeway.audit.services import audit_record

        with transaction.atomic(using=self.db):
            user = super().create_superuser(username, email, password, **extra_fields)
            audit_record(actor=None, action=Action.CREATE, object_type="user",
                         object_id=user.pk,
                         detail={"username": user.username, "role": user.role, "agency": "",
                                 "is_active": user.is_active, "is_staff": user.is_staff,
                                 "is_superuser": user.is_superuser,
                                 "via": "create_superuser"})
        return user


class User(AbstractUser):
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.CASEWORKER)
    language = models.CharField(max_length=10, blank=True)

    objects = UserManager()  # type: ignore[misc]

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class ApiToken(models.Model):
    """A bearer token issued to a logged-in user. Only a hash is stored; the token is
    shown once at creation. Revoked or expired tokens stop working immediately."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_active(self, now: timezone.datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
