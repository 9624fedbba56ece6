"""Coercion of justice input (JSON or form posts) with field-level errors.

Times: the services accept only *aware* datetimes (a ``datetime`` with tzinfo or an ISO
8601 string with an offset, ``Z`` included). A naive time is refused rather than guessed:
"08:00" in a police station in Jakarta and on a server in UTC are seven hours apart, and
a 24-hour deadline computed from the wrong one is wrong. Pages take the local wall-clock
time of the facility (or of the zone chosen on the form) and convert it with
``local_to_aware`` before calling a service.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bridgeway.core.coerce import Errors, add
from bridgeway.core.errors import ValidationFailed

#: Clock skew tolerated between a device and the server before a time is "in the future".
FUTURE_TOLERANCE = timedelta(minutes=5)
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)


@cache
def zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def is_zone(name: object) -> bool:
    return isinstance(name, str) and name in zone_names()


def to_zone(value: Any, *, field: str, errors: Errors, default: str = "") -> str:
    if value in (None, ""):
        if not default:
            add(errors, field, "This field is required.")
        return default
    if not is_zone(value):
        add(errors, field, f"Unknown time zone {value!r} (use a name like Asia/Jakarta).")
        return default
    return str(value)


def to_aware(value: Any, *, field: str, errors: Errors, now: datetime,
             required: bool = False) -> datetime | None:
    """An aware datetime in UTC, not in the future (beyond ``FUTURE_TOLERANCE``)."""
    if value in (None, ""):
        if required:
            add(errors, field, "This field is required.")
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            add(errors, field, "Not a valid date and time (use ISO 8601, e.g. "
                               "2025-03-01T08:00:00+07:00).")
            return None
    else:
        add(errors, field, "Not a valid date and time.")
        return None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        add(errors, field, "Give the time zone: a UTC offset such as +07:00 or Z. "
                           "Times without a zone are not accepted.")
        return None
    parsed = parsed.astimezone(UTC)
    if parsed > now + FUTURE_TOLERANCE:
        add(errors, field, "Cannot be in the future.")
        return None
    if parsed < EARLIEST:
        add(errors, field, f"Cannot be before {EARLIEST:%Y-%m-%d}.")
        return None
    return parsed


_TRUE = {"yes", "true", "1", "on"}
_FALSE = {"no", "false", "0", "off"}
_UNKNOWN = {"", "unknown", "null", "none"}


def to_tristate(value: Any, *, field: str, errors: Errors) -> bool | None:
    """Yes / no / not recorded. Not recorded is not "no": the rules treat them apart."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        low = value.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        if low in _UNKNOWN:
            return None
    add(errors, field, "Must be yes, no or unknown.")
    return None


def to_text_list(value: Any, *, field: str, errors: Errors, max_items: int = 20,
                 max_length: int = 300) -> list[str]:
    """A list of short texts; a form's textarea gives one item per line."""
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = value.splitlines()
    if not isinstance(value, list | tuple):
        add(errors, field, "Must be a list of texts.")
        return []
    out: list[str] = []
    for i, item in enumerate(value):
        if not isinstance(item, str):
            add(errors, f"{field}[{i}]", "Must be text.")
            continue
        text = item.strip()
        if len(text) > max_length:
            add(errors, f"{field}[{i}]", f"At most {max_length} characters.")
        elif text:
            out.append(text)
    if len(out) > max_items:
        add(errors, field, f"At most {max_items} items.")
    return out


def local_to_aware(value: str, zone: str, *, field: str) -> str:
    """A form's local wall-clock time (``2025-03-01T08:00``) on ``zone``'s clock, as an ISO
    string with the offset, for the services. A time that does not exist on that clock
    (skipped by a daylight-saving change) is refused; a time that occurs twice is read as
    the earlier one, which dates deadlines earlier — never later — for the child."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        naive = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationFailed.single(field, "Not a valid date and time.") from None
    if naive.tzinfo is not None:
        return naive.isoformat()
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed.single(field, f"Unknown time zone {zone!r}.") from None
    aware = naive.replace(tzinfo=tz, fold=0)
    if aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive:
        raise ValidationFailed.single(
            field, f"{value} does not exist in {zone} (the clocks changed): check the time.")
    return aware.isoformat()


def local_parts(at: datetime | None, zone: str) -> dict[str, str]:
    """``at`` on ``zone``'s clock for display: value for a datetime-local input, label
    with the zone name and offset."""
    if at is None:
        return {"input": "", "label": "", "zone": zone}
    local = at.astimezone(ZoneInfo(zone)) if is_zone(zone) else at.astimezone(UTC)
    offset = local.strftime("%z")
    offset = f"{offset[:3]}:{offset[3:]}" if offset else "+00:00"
    return {"input": local.strftime("%Y-%m-%dT%H:%M"),
            "label": f"{local:%Y-%m-%d %H:%M} {zone} (UTC{offset})", "zone": zone}
