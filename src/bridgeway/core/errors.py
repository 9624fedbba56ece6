"""Domain errors shared by every app.

Services raise these; views and the API translate them (400 with field messages, 404, 409).
A service that raises has changed nothing: every write runs inside ``transaction.atomic``.
"""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    """A business rule refused the operation; ``message`` is shown to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationFailed(DomainError):
    """Input is invalid. ``errors`` maps a field name (or ``"__all__"``) to messages."""

    def __init__(self, errors: Mapping[str, list[str] | str]) -> None:
        normalized = {k: ([v] if isinstance(v, str) else list(v)) for k, v in errors.items()}
        self.errors: dict[str, list[str]] = normalized
        first = next(iter(normalized.values()), ["invalid input"])
        super().__init__(first[0] if first else "invalid input")

    @classmethod
    def single(cls, field: str, message: str) -> ValidationFailed:
        return cls({field: [message]})


class NotFound(DomainError):
    """The record does not exist *or the acting user may not see it*: the two are never
    distinguished, so nothing leaks about records outside a user's scope."""

    def __init__(self, message: str = "Not found.") -> None:
        super().__init__(message)


class Conflict(DomainError):
    """Optimistic concurrency: somebody saved a newer version first."""

    def __init__(self, message: str, *, current_version: int) -> None:
        super().__init__(message)
        self.current_version = current_version


class NotAllowed(DomainError):
    """The user may see the record but not perform this action on it."""
