"""System checks: a mistyped sector policy or break-glass setting must stop the server at
start-up, not silently grant (or deny) access."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register

from bridgeway.access import sectors
from bridgeway.accounts.models import Role, Sector


@register()
def sharing_settings(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    errors = [Error(msg, id="bridgeway.E_SECTORS") for msg in sectors.config_errors()]
    roles = getattr(settings, "BRIDGEWAY_BREAK_GLASS_ROLES", None)
    if roles is not None:
        if not isinstance(roles, dict):
            errors.append(Error("BRIDGEWAY_BREAK_GLASS_ROLES must be a dict of sector -> "
                                "roles.", id="bridgeway.E_BREAK_GLASS"))
        else:
            for sector, names in roles.items():
                if sector not in Sector.values:
                    errors.append(Error(f"BRIDGEWAY_BREAK_GLASS_ROLES: unknown sector "
                                        f"{sector!r}.", id="bridgeway.E_BREAK_GLASS"))
                if isinstance(names, str) or not all(n in Role.values for n in names):
                    errors.append(Error(f"BRIDGEWAY_BREAK_GLASS_ROLES[{sector!r}]: expected "
                                        f"a list of roles from {sorted(Role.values)}.",
                                        id="bridgeway.E_BREAK_GLASS"))
    for name in ("BRIDGEWAY_BREAK_GLASS_HOURS", "BRIDGEWAY_REFERRAL_RESPONSE_HOURS",
                 "BRIDGEWAY_CONSENT_MAX_DAYS", "BRIDGEWAY_MIN_REASON_LENGTH"):
        value = getattr(settings, name, None)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)
                                  or value <= 0):
            errors.append(Error(f"{name} must be a positive number.",
                                id="bridgeway.E_SHARING"))
    return errors
