"""Every state change of a case writes a CaseEvent in the same transaction: the case
timeline is read from these.

Decision (issue 5, field encryption): the timeline says *what* changed, not the content.
``params`` hold only ids, choice codes, field names, dates and usernames — never a note, a
reason, a name, an address, a health or psychosocial detail or the association history.
Those live in their own rows, behind their own data category and, for the sensitive
ones, encrypted at rest; copying them into ``params`` (a plain JSON column shown to
everyone who sees case management) would leak them past both. ``case_event`` enforces
the shape: a string with whitespace or longer than ``MAX_PARAM_TEXT`` characters is
refused, as a programming error.

The words a person writes *with* a change, when no other row keeps them (why a case is
reopened, why a closure request is returned, the supervisor's comment on approving it),
go to ``CaseEvent.comment``, encrypted at rest, and are shown for ``COMMENTED_KINDS``
only — to the same users who saw them before.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from bridgeway.cases.models import Case, CaseEvent

#: Event kinds whose ``comment`` the timeline shows (page and API).
COMMENTED_KINDS = frozenset({"reopened", "closure_approved", "closure_returned"})
#: The longest string a parameter may be (an ISO datetime, a code, a username).
MAX_PARAM_TEXT = 64


def _check_param(key: str, value: Any) -> None:
    if value is None or isinstance(value, bool | int | float):
        return
    if isinstance(value, str):
        if len(value) > MAX_PARAM_TEXT or any(ch.isspace() for ch in value):
            raise ValueError(f"case event parameter {key!r} looks like free text: keep the "
                             "content in its own row and put its id here")
        return
    if isinstance(value, list | tuple):
        for item in value:
            _check_param(key, item)
        return
    raise ValueError(f"case event parameter {key!r}: only ids, codes and lists of them")


def case_event(*, case: Case, actor: Any, kind: str, params: dict[str, Any] | None = None,
               comment: str = "") -> CaseEvent:
    for key, value in (params or {}).items():
        _check_param(key, value)
    return CaseEvent.objects.create(case=case, actor=actor if getattr(actor, "pk", None)
                                    else None, kind=kind, at=timezone.now(),
                                    params=params or {}, comment=comment or "")


def shown_comment(event: CaseEvent) -> str:
    """The comment the timeline shows for ``event`` ('' for other kinds)."""
    return event.comment if event.kind in COMMENTED_KINDS else ""
