"""Every save of a filled form enters the care workflow, whichever way it came (web form,
API, ODK client, re-processed submission): a thin adapter to ``care_record_sync``, in the
same transaction as the save."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from bridgeway.forms.models import FormRecord


@receiver(post_save, sender=FormRecord, dispatch_uid="care_record_saved")
def record_saved(sender: Any, instance: FormRecord, raw: bool = False, **kwargs: Any) -> None:
    if raw:  # fixtures being loaded
        return
    from bridgeway.care.services import care_record_sync

    care_record_sync(record=instance)
