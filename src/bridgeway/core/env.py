"""Small typed helpers that read configuration from the environment.

Each helper also accepts ``NAME_FILE``: the value is read from that file, so secrets can
come from Docker or Kubernetes secret mounts and never sit in the environment or the repo.
"""

from __future__ import annotations

import os
from itertools import pairwise
from pathlib import Path


def _raw(name: str) -> str | None:
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text(encoding="utf-8").strip()
    return os.environ.get(name)


def env_str(name: str, default: str) -> str:
    value = _raw(name)
    return default if value is None else value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{name} must be a boolean (true/false), got {value!r}")


def env_int(name: str, default: int) -> int:
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {value!r}") from exc


def env_int_in(name: str, default: int, *, minimum: int, maximum: int) -> int:
    """An integer setting that must lie in ``minimum..maximum`` (a domain parameter whose
    wrong value would silently move every deadline). Anything else stops the server at
    startup with ``ImproperlyConfigured`` naming the variable and the allowed range."""
    from django.core.exceptions import ImproperlyConfigured

    allowed = f"an integer from {minimum} to {maximum}"
    value = _raw(name)
    if value is None or value.strip() == "":
        return default
    try:
        number = int(value.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be {allowed}, got {value!r}.") from None
    if not minimum <= number <= maximum:
        raise ImproperlyConfigured(f"{name} must be {allowed}, got {number}.")
    return number


def require_ordered(*values: tuple[str, int], meaning: str) -> None:
    """Settings read from the environment whose values must not decrease in the order given
    (``(name, value)`` pairs): otherwise the server stops at startup with
    ``ImproperlyConfigured`` naming both variables, their values and the rule."""
    from django.core.exceptions import ImproperlyConfigured

    for (first, low), (second, high) in pairwise(values):
        if low > high:
            order = " <= ".join(name for name, _ in values)
            raise ImproperlyConfigured(
                f"{first} ({low}) must not be greater than {second} ({high}): "
                f"{order} ({meaning}).")


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None or value == "":
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]
