"""Coercion of loosely typed input (form posts, JSON) into Python values, collecting
field-level errors instead of raising at the first one."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone

Errors = dict[str, list[str]]


def add(errors: Errors, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def to_date(value: Any, *, field: str, errors: Errors, required: bool = False,
            allow_future: bool = False, earliest: date | None = date(1990, 1, 1)) -> date | None:
    if value in (None, ""):
        if required:
            add(errors, field, "This field is required.")
        return None
    if isinstance(value, date):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = date.fromisoformat(value.strip())
        except ValueError:
            add(errors, field, "Not a valid date (use YYYY-MM-DD).")
            return None
    else:
        add(errors, field, "Not a valid date (use YYYY-MM-DD).")
        return None
    if not allow_future and parsed > timezone.localdate():
        add(errors, field, "Cannot be in the future.")
        return None
    if earliest and parsed < earliest:
        add(errors, field, f"Cannot be before {earliest.isoformat()}.")
        return None
    return parsed


def to_choice(value: Any, choices: Any, *, field: str, errors: Errors,
              required: bool = True, default: str | None = None) -> str:
    allowed = {c.value if hasattr(c, "value") else c for c in choices}
    if value in (None, ""):
        if default is not None:
            return default
        if required:
            add(errors, field, "This field is required.")
        return ""
    if not isinstance(value, str) or value not in allowed:
        add(errors, field, f"Must be one of: {', '.join(sorted(allowed))}.")
        return ""
    return value


def to_bool(value: Any, *, field: str, errors: Errors, default: bool = False) -> bool:
    if value in (None, ""):
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "on", "1", "yes"}:
        return True
    if isinstance(value, str) and value.lower() in {"false", "off", "0", "no"}:
        return False
    add(errors, field, "Must be true or false.")
    return default


def to_int(value: Any, *, field: str, errors: Errors, required: bool = False,
           minimum: int | None = None, maximum: int | None = None) -> int | None:
    if value in (None, ""):
        if required:
            add(errors, field, "This field is required.")
        return None
    if isinstance(value, bool):
        add(errors, field, "Must be a whole number.")
        return None
    try:
        number = int(value) if not isinstance(value, float) or value.is_integer() else None
    except (TypeError, ValueError):
        number = None
    if number is None:
        add(errors, field, "Must be a whole number.")
        return None
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        add(errors, field, f"Must be between {minimum} and {maximum}.")
        return None
    return number


def to_decimal(value: Any, *, field: str, errors: Errors, minimum: float = 0,
               maximum: float = 30) -> Decimal | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        add(errors, field, "Must be a number.")
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        add(errors, field, "Must be a number.")
        return None
    if not number.is_finite() or number < Decimal(str(minimum)) or number > Decimal(
            str(maximum)):
        add(errors, field, f"Must be between {minimum} and {maximum}.")
        return None
    return number.quantize(Decimal("0.1"))


def to_list(value: Any, *, field: str, errors: Errors) -> list[Any]:
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        add(errors, field, "Must be a list.")
        return []
    return value


def to_dict(value: Any, *, field: str, errors: Errors) -> dict[str, Any]:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        add(errors, field, "Must be an object.")
        return {}
    return value
