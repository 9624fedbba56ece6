"""Django system checks for configuration that must never be silently defaulted.

Why a check and not only an error at first use: ``migrate``, ``runserver`` and
``manage.py check --deploy`` run the checks before touching data, so a production
installation without its encryption keys stops before it writes a single record.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured


@register("security")
def encryption_keys_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """E001: the master key ring is missing or malformed; E002: the blind-index key is
    missing. In DEBUG (or with BRIDGEWAY_INSECURE_DEV_KEY) dev-only keys are derived."""
    from bridgeway.core import crypto

    errors: list[Error] = []
    try:
        crypto.key_ring()
    except ImproperlyConfigured as exc:
        errors.append(Error(str(exc), hint="Set BRIDGEWAY_MASTER_KEYS or "
                            "BRIDGEWAY_MASTER_KEYS_FILE ('id:<base64 32 bytes>', newest "
                            "first).", id="bridgeway.E001"))
    if not (getattr(settings, "BRIDGEWAY_BLIND_INDEX_KEY", "") or "").strip() \
            and not crypto.dev_keys_allowed():
        errors.append(Error("BRIDGEWAY_BLIND_INDEX_KEY is not set", hint="Set "
                            "BRIDGEWAY_BLIND_INDEX_KEY or BRIDGEWAY_BLIND_INDEX_KEY_FILE.",
                            id="bridgeway.E002"))
    return errors
