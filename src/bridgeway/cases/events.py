"""Every state change of a case writes a CaseEvent in the same transaction: the case
timeline is read from these."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from bridgeway.cases.models import Case, CaseEvent


def case_event(*, case: Case, actor: Any, kind: str, params: dict[str, Any] | None = None
               ) -> CaseEvent:
    return CaseEvent.objects.create(case=case, actor=actor if getattr(actor, "pk", None)
                                    else None, kind=kind, at=timezone.now(),
                                    params=params or {})
