"""Text validation shared by services: length limits and control characters."""

from __future__ import annotations

import unicodedata

from django.conf import settings

from bridgeway.core.errors import ValidationFailed


def clean_text(value: object, *, field: str, required: bool = False,
               max_length: int | None = None, errors: dict[str, list[str]] | None = None,
               ) -> str:
    """Return ``value`` stripped and NFC-normalized, or record an error for ``field``.

    With ``errors`` given, problems are appended there (so a service can report every field
    at once); without it, the first problem raises ``ValidationFailed``.
    """
    limit = max_length or settings.BRIDGEWAY_MAX_TEXT
    problem = None
    if value is None:
        value = ""
    if not isinstance(value, str):
        problem = "Must be text."
        text = ""
    else:
        text = unicodedata.normalize("NFC", value).strip()
        if required and not text:
            problem = "This field is required."
        elif len(text) > limit:
            problem = f"At most {limit} characters (got {len(text)})."
        elif any(unicodedata.category(ch) == "Cc" and ch not in "\n\r\t" for ch in text):
            problem = "Contains control characters."
    if problem:
        if errors is None:
            raise ValidationFailed.single(field, problem)
        errors.setdefault(field, []).append(problem)
    return text
