"""Account operations: API tokens, and users changed by an administrator (audited)."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from bridgeway.access import policy
from bridgeway.accounts.models import Agency, ApiToken, Role, Sector, User
from bridgeway.audit.models import Action, AuditEntry
from bridgeway.audit.services import audit_record
from bridgeway.core.errors import NotAllowed, NotFound, ValidationFailed
from bridgeway.core.text import clean_text

TOKEN_PREFIX = "bw_"  # noqa: S105 - a prefix, not a secret


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_token_issue(*, user: User, name: str, days_valid: int | None = 90) -> tuple[ApiToken, str]:
    """Issue a token; returns the stored record and the raw token (shown once, never stored)."""
    name = clean_text(name, field="name", required=True, max_length=100)
    if days_valid is not None and not (1 <= days_valid <= 365):
        raise ValidationFailed.single("days_valid", "Between 1 and 365 days.")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=raw[:10], key_hash=hash_token(raw),
        expires_at=timezone.now() + timedelta(days=days_valid) if days_valid else None,
    )
    audit_record(actor=user, action=Action.TOKEN_ISSUE, object_type="api_token",
                 object_id=token.pk, detail={"prefix": token.prefix,
                                             "expires_at": token.expires_at})
    return token, raw


@transaction.atomic
def api_token_revoke(*, user: User, token_id: int) -> ApiToken:
    token = ApiToken.objects.select_for_update().filter(pk=token_id, user=user).first()
    if token is None:
        raise NotFound()
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=user, action=Action.TOKEN_REVOKE, object_type="api_token",
                     object_id=token.pk, detail={"prefix": token.prefix})
    return token


@transaction.atomic
def api_token_revoke_as_admin(*, actor: User, token_ids: list[int]) -> int:
    """An administrator revokes other users' tokens (a lost phone, a user who left): a
    system admin any token, an agency admin those of their agency's users. Each revocation
    is audited under the administrator's name; returns how many were revoked now."""
    if not policy.may_configure(actor):
        raise NotAllowed("Only administrators revoke other users' tokens.")
    tokens = ApiToken.objects.select_for_update().select_related("user").filter(
        pk__in=list(token_ids)).order_by("pk")
    if getattr(actor, "role", "") != "system_admin":
        tokens = tokens.filter(user__agency_id=actor.agency_id, user__agency__isnull=False)
    revoked = 0
    now = timezone.now()
    for token in tokens:
        if token.revoked_at is not None:
            continue
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action=Action.TOKEN_REVOKE, object_type="api_token",
                     object_id=token.pk, detail={"prefix": token.prefix,
                                                 "owner_id": token.user_id})
        revoked += 1
    return revoked


def api_token_authenticate(raw: str) -> User | None:
    token = ApiToken.objects.select_related("user", "user__agency").filter(
        key_hash=hash_token(raw)).first()
    if token is None or not token.is_active() or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


# --- users: administration -------------------------------------------------------------
#
# Who a user is for the access policy — role, agency, active or not, and the Django admin
# flags (staff, superuser) — changes only here, audited under the administrator's name.
# Three rules hold whatever the channel (the admin, a command, a later API):
#
# * Four eyes on privilege: nobody changes their own role, agency, active state or admin
#   flags. The refusal is audited as ``refused`` and nothing else changes.
# * Separation of duties: a role that reads child records (``CHILD_RECORD_ROLES``) never
#   goes with administrator powers (staff, superuser). Roles are single-valued, so a user
#   is never "caseworker and system admin" at once; but the admin flags are separate
#   columns, so a caseworker with ``is_superuser`` would be exactly that. Staff goes only
#   with an administrator role, superuser only with the system administrator role.
# * A system administrator changes any other user; an agency administrator only the users
#   of their own agency, within it, to a role of the agency, and never the admin flags.

# The roles the access policy grants child records to (``policy._agency_filter``, the
# referral and justice grants); ``tests/accounts/test_user_services.py`` holds them to it.
CHILD_RECORD_ROLES = frozenset({Role.CASEWORKER, Role.SUPERVISOR})
ADMIN_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.AGENCY_ADMIN})
# Roles that work for one agency, and system-wide roles that belong to none.
AGENCY_ROLES = frozenset({Role.CASEWORKER, Role.SUPERVISOR, Role.AGENCY_ADMIN})
SYSTEM_WIDE_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.AUDITOR})
# What an agency administrator may give within their agency.
AGENCY_ADMIN_GRANTS = frozenset({Role.CASEWORKER, Role.SUPERVISOR, Role.AGENCY_ADMIN,
                                 Role.ANALYST})

PRIVILEGE_FIELDS = ("role", "agency", "is_active", "is_staff", "is_superuser")
PROFILE_FIELDS = ("username", "first_name", "last_name", "email", "language")
FLAG_FIELDS = ("is_active", "is_staff", "is_superuser")

OWN_PRIVILEGE = ("Nobody changes their own role, agency, active state or administrator "
                 "flags: another administrator does (four eyes). Nothing was changed.")


def _role_label(role: str) -> str:
    return str(Role(role).label) if role in Role.values else role


def _agency_code(agency_id: int | None) -> str:
    if not agency_id:
        return ""
    return Agency.objects.filter(pk=agency_id).values_list("code", flat=True).first() or ""


def _is_system_admin(actor: Any) -> bool:
    return getattr(actor, "role", "") == Role.SYSTEM_ADMIN


def _check_actor(actor: Any) -> None:
    if not (policy.may_configure(actor) and getattr(actor, "is_active", False)):
        raise NotAllowed("Only administrators change users.")


def _refuse_taken(model: Any, field: str, value: str, current: Any,
                  errors: dict[str, list[str]], message: str) -> None:
    """Add ``message`` to ``errors[field]`` when another row than ``current`` holds
    ``value`` in ``field``, letter case ignored."""
    taken = model.objects.filter(**{f"{field}__iexact": value})
    if current is not None:
        taken = taken.exclude(pk=current.pk)
    if taken.exists():
        errors.setdefault(field, []).append(message)


def _clean_user_input(data: Mapping[str, Any], *, creating: bool,
                      current: User | None) -> dict[str, Any]:
    """The fields present in ``data``, validated and normalized; every problem at once."""
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    if creating or "username" in data:
        username = clean_text(data.get("username"), field="username", required=True,
                              max_length=150, errors=errors)
        if username:
            try:
                UnicodeUsernameValidator()(username)
            except DjangoValidationError as exc:
                errors.setdefault("username", []).extend(exc.messages)
            _refuse_taken(User, "username", username, current, errors,
                          "A user with that username already exists.")
        out["username"] = username
    for name in ("first_name", "last_name"):
        if name in data:
            out[name] = clean_text(data.get(name), field=name, max_length=150, errors=errors)
    if "email" in data:
        email = clean_text(data.get("email"), field="email", max_length=254, errors=errors)
        if email:
            try:
                validate_email(email)
            except DjangoValidationError:
                errors.setdefault("email", []).append("Enter a valid email address.")
        out["email"] = email
    if "language" in data:
        language = data.get("language") or ""
        if language not in {"", *(code for code, _name in settings.LANGUAGES)}:
            errors.setdefault("language", []).append("Unknown language.")
        out["language"] = language
    if creating or "role" in data:
        role = data.get("role")
        if role not in Role.values:
            errors.setdefault("role", []).append(
                "Unknown role: choose one of " + ", ".join(Role.values) + ".")
        out["role"] = role
    if creating or "agency" in data:
        raw = data.get("agency")
        raw = getattr(raw, "pk", raw)
        agency_id: int | None = None
        if raw not in (None, ""):
            agency_id = int(raw) if str(raw).isdecimal() else None
            if agency_id is None or not Agency.objects.filter(pk=agency_id).exists():
                errors.setdefault("agency", []).append("Unknown agency.")
                agency_id = None
        out["agency"] = agency_id
    for name in FLAG_FIELDS:
        if name in data:
            value = data[name]
            if not isinstance(value, bool):
                errors.setdefault(name, []).append("Must be true or false.")
            out[name] = value
    if errors:
        raise ValidationFailed(errors)
    return out


def _check_combination(state: dict[str, Any], *, agency_changed: bool) -> None:
    """The user as they would be after the change: role, agency and flags that fit."""
    errors: dict[str, list[str]] = {}
    role, agency_id = state["role"], state["agency"]
    label = _role_label(role)
    if role in AGENCY_ROLES and not agency_id:
        errors["agency"] = [f"A user with the role {label} works for an agency: choose one."]
    if role in SYSTEM_WIDE_ROLES and agency_id:
        errors["agency"] = [f"A user with the role {label} works across agencies and "
                            "belongs to none: leave the agency empty."]
    if agency_changed and agency_id and not Agency.objects.filter(pk=agency_id,
                                                                  active=True).exists():
        errors["agency"] = ["This agency is deactivated: nobody joins it."]
    if errors:
        raise ValidationFailed(errors)


def _separation_of_duties(state: dict[str, Any]) -> str:
    """Empty when the role and the admin flags may go together, else why not."""
    role = state["role"]
    label = _role_label(role)
    if role in CHILD_RECORD_ROLES and (state["is_staff"] or state["is_superuser"]):
        return (f"A user with the role {label} reads child records, so they get no "
                "administrator powers (staff or superuser): separation of duties. Untick "
                "them, or choose an administrator role.")
    if state["is_superuser"] and role != Role.SYSTEM_ADMIN:
        return "Only a system administrator is a superuser."
    if state["is_staff"] and role not in ADMIN_ROLES:
        return (f"A user with the role {label} does not use the administration site: only "
                "system and agency administrators are staff.")
    return ""


def _agency_admin_scope(actor: User, before: dict[str, Any] | None,
                        after: dict[str, Any]) -> str:
    """Empty when the actor may make this change, else why not. A system administrator may
    change anyone (but themselves: see the callers); an agency administrator only users of
    their own agency, and never the administrator flags."""
    if _is_system_admin(actor):
        return ""
    own = actor.agency_id
    if not own:
        return "An agency administrator without an agency changes no user."
    if before is not None and (before["agency"] != own or before["is_superuser"]
                               or before["role"] not in AGENCY_ADMIN_GRANTS):
        return "An agency administrator changes only the users of their own agency."
    if after["role"] not in AGENCY_ADMIN_GRANTS:
        return (f"An agency administrator does not give the role "
                f"{_role_label(after['role'])}: a system administrator does.")
    if after["agency"] != own:
        return "An agency administrator places users only in their own agency."
    flags = ("is_staff", "is_superuser")
    if any(after[k] != (before[k] if before else False) for k in flags):
        return "Only a system administrator gives or takes administrator powers."
    return ""


def _state(user: User) -> dict[str, Any]:
    return {"role": user.role, "agency": user.agency_id, "is_active": user.is_active,
            "is_staff": user.is_staff, "is_superuser": user.is_superuser}


def _describe(state: dict[str, Any]) -> dict[str, Any]:
    return {**state, "agency": _agency_code(state["agency"])}


def _refuse(*, actor: User, user_id: object, username: str, attempted: str, rule: str,
            requested: dict[str, Any], message: str) -> NotAllowed:
    """Audit a refused change (it commits with nothing else written) and return the error
    for the caller to raise once the transaction block is left."""
    audit_record(actor=actor, action=Action.REFUSED, object_type="user", object_id=user_id,
                 detail={"attempted": attempted, "rule": rule, "username": username,
                         "requested": _describe(requested) if requested else {}})
    return NotAllowed(message)


def user_create_as_admin(*, actor: User, data: Mapping[str, Any],
                         password: str | None = None) -> User:
    """An administrator registers a user: role, agency and flags checked as for a change;
    ``password`` None leaves the user without a usable password (single sign-on, or set
    later). Audited as ``create`` with the role and agency given."""
    _check_actor(actor)
    values = _clean_user_input(data, creating=True, current=None)
    after = {"role": values["role"], "agency": values["agency"],
             "is_active": values.get("is_active", True),
             "is_staff": values.get("is_staff", False),
             "is_superuser": values.get("is_superuser", False)}
    _check_combination(after, agency_changed=True)
    if password is not None:
        try:
            password_validation.validate_password(
                password, User(username=values["username"], email=values.get("email", ""),
                               first_name=values.get("first_name", ""),
                               last_name=values.get("last_name", "")))
        except DjangoValidationError as exc:
            raise ValidationFailed({"password": exc.messages}) from exc
    refusal: NotAllowed | None = None
    with transaction.atomic():
        for rule, why in (("separation_of_duties", _separation_of_duties(after)),
                          ("agency_scope", _agency_admin_scope(actor, None, after))):
            if why:
                refusal = _refuse(actor=actor, user_id="", username=values["username"],
                                  attempted="create", rule=rule, requested=after,
                                  message=why)
                break
        if refusal is None:
            user = User(**{k: v for k, v in values.items() if k not in ("agency",)})
            user.agency_id = after["agency"]
            user.is_active, user.is_staff = after["is_active"], after["is_staff"]
            user.is_superuser = after["is_superuser"]
            if password is None:
                user.set_unusable_password()
            else:
                user.set_password(password)
            user.save()
            audit_record(actor=actor, action=Action.CREATE, object_type="user",
                         object_id=user.pk, detail={"username": user.username,
                                                    **_describe(after)})
            return user
    raise refusal


def user_update_as_admin(*, actor: User, user_id: int, data: Mapping[str, Any]) -> User:
    """An administrator changes another user: the fields present in ``data``. Role,
    agency, active state and flags are audited old and new as ``update``; profile fields
    by name only. Changing one's own privileges is refused (audited, nothing changed)."""
    _check_actor(actor)
    refusal: NotAllowed | None = None
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id).first()
        if user is None:
            raise NotFound()
        values = _clean_user_input(data, creating=False, current=user)
        before = _state(user)
        after = {**before, **{k: v for k, v in values.items() if k in PRIVILEGE_FIELDS}}
        changed = [k for k in PRIVILEGE_FIELDS if after[k] != before[k]]
        profile = [k for k in PROFILE_FIELDS if k in values and values[k] != getattr(user, k)]
        if changed and user.pk == actor.pk:
            refusal = _refuse(actor=actor, user_id=user.pk, username=user.username,
                              attempted="update", rule="four_eyes",
                              requested={**after}, message=OWN_PRIVILEGE)
        else:
            _check_combination(after, agency_changed="agency" in changed)
            for rule, why in (("separation_of_duties",
                               _separation_of_duties(after) if changed else ""),
                              ("agency_scope", _agency_admin_scope(actor, before, after))):
                if why:
                    refusal = _refuse(actor=actor, user_id=user.pk, username=user.username,
                                      attempted="update", rule=rule, requested=after,
                                      message=why)
                    break
        if refusal is None:
            if not changed and not profile:
                return user
            for name in profile:
                setattr(user, name, values[name])
            user.role, user.agency_id = after["role"], after["agency"]
            user.is_active, user.is_staff = after["is_active"], after["is_staff"]
            user.is_superuser = after["is_superuser"]
            user.save(update_fields=[*profile, *(("agency_id" if k == "agency" else k)
                                                  for k in changed)])
            old, new = _describe(before), _describe(after)
            audit_record(actor=actor, action=Action.UPDATE, object_type="user",
                         object_id=user.pk,
                         detail={"username": user.username,
                                 "changed": {k: {"old": old[k], "new": new[k]}
                                             for k in changed},
                                 "profile": profile, "role": new["role"],
                                 "agency": new["agency"]})
            return user
    raise refusal


def _password_reset_refusal(actor: User, user: User, *, usable: bool) -> NotAllowed | None:
    """Raise for one's own password or a user out of reach; return the (audited) refusal
    when the same administrator reset the user's second factor recently."""
    if user.pk == actor.pk:
        raise NotAllowed("Change your own password on your own password page.")
    why = _agency_admin_scope(actor, _state(user), _state(user))
    if why:
        raise NotAllowed(why)
    if usable and _recently_reset(actor, user, "second_factor"):
        return _refuse(actor=actor, user_id=user.pk, username=user.username,
                       attempted="password", rule="four_eyes_recovery", requested={},
                       message=RECOVERY)
    return None


def user_password_reset_check(*, actor: User, user_id: int, usable: bool = True) -> None:
    """Whether ``actor`` may set this user's password (``usable`` False: remove it); raises
    as ``user_set_password_as_admin`` would, writing nothing but the ``refused`` entry. The
    admin's password form calls it while validating, so a refusal is a form error."""
    _check_actor(actor)
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id).first()
        if user is None:
            raise NotFound()
        refusal = _password_reset_refusal(actor, user, usable=usable)
    if refusal is not None:
        raise refusal


def user_set_password_as_admin(*, actor: User, user_id: int, password: str | None) -> User:
    """An administrator sets another user's password (``None``: no usable password, e.g.
    single sign-on only). Audited, without the password: a reset is also a way to act as
    that user. One's own password is changed on one's own password page (old one asked).
    Refused (audited) when the same administrator reset the user's second factor within
    ``RECOVERY_WINDOW``: see ``user_second_factor_reset_as_admin``."""
    _check_actor(actor)
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id).first()
        if user is None:
            raise NotFound()
        refusal = _password_reset_refusal(actor, user, usable=password is not None)
        if refusal is None:
            if password is None:
                user.set_unusable_password()
            else:
                try:
                    password_validation.validate_password(password, user)
                except DjangoValidationError as exc:
                    raise ValidationFailed({"password": exc.messages}) from exc
                user.set_password(password)
            user.save(update_fields=["password"])
            audit_record(actor=actor, action=Action.UPDATE, object_type="user",
                         object_id=user.pk, detail={"username": user.username,
                                                    "profile": ["password"],
                                                    "usable": password is not None})
    if refusal is not None:
        raise refusal
    return user


# --- second factor: reset by an administrator ------------------------------------------
#
# A user enrols their second-factor device themselves, on the sign-in page (``web.views.
# account.mfa``), and only they see its secret. Django-otp's own admin pages (add a device
# for anybody, see its key and QR code) are not offered (``accounts.admin``): with a
# password reset they would let an administrator sign in as that user unaudited. What an
# administrator may do is *remove* a user's devices (a lost phone), which forces the user
# to enrol again at their next request; audited, with no secret in the entry.


# The same administrator never resets both a user's password and their second factor within
# this window: the two together let them sign in as the user (and enrol a device of their
# own). Another administrator does the second half (four eyes), or it waits.
RECOVERY_WINDOW = timedelta(hours=24)
RECOVERY = ("You reset this user's password or second factor recently: resetting the "
            "other one too would let you sign in as them. Another administrator does it "
            "(four eyes), or it waits 24 hours. Nothing was changed.")


def _recently_reset(actor: User, user: User, what: str) -> bool:
    """Whether ``actor`` reset ``user``'s ``password`` or ``second_factor`` within
    ``RECOVERY_WINDOW`` (from the audit log, the record of both)."""
    details = AuditEntry.objects.filter(
        actor_id=actor.pk, object_type="user", object_id=str(user.pk),
        action__in=[Action.UPDATE, Action.DELETE],
        at__gte=timezone.now() - RECOVERY_WINDOW).values_list("detail", flat=True)
    for detail in details:
        if what == "password" and "password" in (detail.get("profile") or []) \
                and detail.get("usable", True):
            return True
        if what == "second_factor" and detail.get("second_factor") == "reset":
            return True
    return False


def _otp_devices(user: User) -> list[Any]:
    from django_otp import devices_for_user

    return list(devices_for_user(user, confirmed=None))


def user_second_factor_reset_as_admin(*, actor: User, user_ids: list[int]) -> int:
    """Remove every second-factor device of these users; they enrol again when they next
    sign in (a signed-in session stops counting as verified at its next request). A system
    administrator for any other user, an agency administrator for their agency's users;
    never one's own devices. One audit entry per user whose devices were removed (device
    type, name and whether confirmed: no key). Returns how many users were reset. Refused
    as a whole, nothing removed, if any user is out of the actor's reach, or (audited as
    ``refused``) if the actor set one of these users' passwords within ``RECOVERY_WINDOW``:
    the two together would let them sign in as the user."""
    _check_actor(actor)
    refusal: NotAllowed | None = None
    with transaction.atomic():
        users = list(User.objects.select_for_update().filter(
            pk__in=list(user_ids)).order_by("pk"))
        if len(users) != len(set(user_ids)):
            raise NotFound()
        for user in users:
            if user.pk == actor.pk:
                raise NotAllowed("Nobody resets their own second factor as an administrator: "
                                 "another administrator does (four eyes). Nothing was "
                                 "changed.")
            why = _agency_admin_scope(actor, _state(user), _state(user))
            if why:
                raise NotAllowed(why + " Nothing was changed.")
        for user in users:
            if _recently_reset(actor, user, "password"):
                refusal = _refuse(actor=actor, user_id=user.pk, username=user.username,
                                  attempted="second_factor", rule="four_eyes_recovery",
                                  requested={}, message=RECOVERY)
                break
        reset = 0
        for user in users if refusal is None else []:
            devices = _otp_devices(user)
            if not devices:
                continue
            removed = [{"type": device._meta.label_lower, "name": device.name,
                        "confirmed": bool(device.confirmed)} for device in devices]
            for device in devices:
                device.delete()
            audit_record(actor=actor, action=Action.DELETE, object_type="user",
                         object_id=user.pk,
                         detail={"username": user.username, "second_factor": "reset",
                                 "removed": removed})
            reset += 1
    if refusal is not None:
        raise refusal
    return reset


# --- agencies ----------------------------------------------------------------------------
#
# An agency's sector decides what its users see (the access policy grants child-record
# categories by sector) and deactivating it stops anyone joining; so an agency is created and
# changed only here, by a system administrator, audited with old and new values.

AGENCY_FIELDS = ("code", "name", "sector", "country", "region", "active")


def _clean_agency_input(data: Mapping[str, Any], *, creating: bool,
                        current: Agency | None) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    if creating or "code" in data:
        code = clean_text(data.get("code"), field="code", required=True, max_length=40,
                          errors=errors)
        if code:
            if not re.fullmatch(r"[-a-zA-Z0-9_]+", code):
                errors.setdefault("code", []).append(
                    "Letters, digits, hyphens and underscores only.")
            _refuse_taken(Agency, "code", code, current, errors,
                          "An agency with that code already exists.")
        out["code"] = code
    if creating or "name" in data:
        out["name"] = clean_text(data.get("name"), field="name", required=True,
                                 max_length=200, errors=errors)
    if creating or "sector" in data:
        sector = data.get("sector")
        if sector not in Sector.values:
            errors.setdefault("sector", []).append(
                "Unknown sector: choose one of " + ", ".join(Sector.values) + ".")
        out["sector"] = sector
    if creating or "country" in data:
        country = (clean_text(data.get("country"), field="country", required=True,
                              max_length=2, errors=errors) or "").upper()
        if country and not re.fullmatch(r"[A-Z]{2}", country):
            errors.setdefault("country", []).append(
                "A two-letter country code (ISO 3166-1 alpha-2).")
        out["country"] = country
    if "region" in data:
        out["region"] = clean_text(data.get("region"), field="region", max_length=40,
                                   errors=errors)
    if "active" in data:
        if not isinstance(data["active"], bool):
            errors.setdefault("active", []).append("Must be true or false.")
        out["active"] = data["active"]
    if errors:
        raise ValidationFailed(errors)
    return out


def _check_agency_actor(actor: Any) -> None:
    if not (_is_system_admin(actor) and getattr(actor, "is_active", False)):
        raise NotAllowed("Only a system administrator creates or changes agencies: an "
                         "agency's sector decides what its users see.")


@transaction.atomic
def agency_create_as_admin(*, actor: User, data: Mapping[str, Any]) -> Agency:
    """A system administrator registers an agency. Audited as ``create`` with every
    field."""
    _check_agency_actor(actor)
    values = _clean_agency_input(data, creating=True, current=None)
    agency = Agency.objects.create(**values)
    audit_record(actor=actor, action=Action.CREATE, object_type="agency",
                 object_id=agency.pk,
                 detail={name: getattr(agency, name) for name in AGENCY_FIELDS})
    return agency


@transaction.atomic
def agency_update_as_admin(*, actor: User, agency_id: int,
                           data: Mapping[str, Any]) -> Agency:
    """A system administrator changes an agency: the fields present in ``data``. Audited as
    ``update`` with old and new of every changed field, and always the sector and active
    state before and after (what its users may see)."""
    _check_agency_actor(actor)
    agency = Agency.objects.select_for_update().filter(pk=agency_id).first()
    if agency is None:
        raise NotFound()
    values = _clean_agency_input(data, creating=False, current=agency)
    changed = {name: {"old": getattr(agency, name), "new": value}
               for name, value in values.items() if getattr(agency, name) != value}
    if not changed:
        return agency
    before = {"sector": agency.sector, "active": agency.active}
    for name, change in changed.items():
        setattr(agency, name, change["new"])
    agency.save(update_fields=list(changed))
    audit_record(actor=actor, action=Action.UPDATE, object_type="agency",
                 object_id=agency.pk,
                 detail={"code": agency.code, "changed": changed,
                         "sector": {"old": before["sector"], "new": agency.sector},
                         "active": {"old": before["active"], "new": agency.active},
                         "users": agency.users.count()})
    return agency
