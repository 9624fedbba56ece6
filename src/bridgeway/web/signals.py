"""Sign-ins, failed sign-ins and sign-outs go to the audit log (who, from where, when).

Connected in ``WebConfig.ready``. A failed attempt records the username that was tried
(never the password: Django passes the credentials already cleansed)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from bridgeway.audit.models import Action
from bridgeway.audit.services import audit_record


@receiver(user_logged_in, dispatch_uid="bridgeway.web.audit_login")
def audit_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_record(actor=user, action=Action.LOGIN, object_type="user", object_id=user.pk)


@receiver(user_login_failed, dispatch_uid="bridgeway.web.audit_login_failed")
def audit_login_failed(sender: Any, credentials: dict[str, Any], request: Any = None,
                       **kwargs: Any) -> None:
    username = str(credentials.get("username", ""))[:150]
    audit_record(actor=None, action=Action.LOGIN_FAILED, object_type="user",
                 detail={"username": username})


@receiver(user_logged_out, dispatch_uid="bridgeway.web.audit_logout")
def audit_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_record(actor=user, action=Action.LOGOUT, object_type="user", object_id=user.pk)
