"""The daily integrity check of the audit log's hash chain, through the ``django.tasks``
API.

``audit_integrity_check`` walks the whole chain (``audit.services.audit_verify``), which
records an ``IntegrityCheck`` row whatever the outcome; when the chain is broken every
auditor is notified (the message names the first bad entry, never child data) and an
error is logged for the operators' monitoring.

Schedule it once a day: ``manage.py audit_daily_check`` (runs it in the foreground and
exits non-zero when the chain is broken, for cron or a Kubernetes CronJob), or
``manage.py audit_daily_check --enqueue`` and let ``manage.py db_worker`` run the task.
The check only reads the log, so two runs at once are harmless: each records its row.
"""

from __future__ import annotations

import logging
from typing import Any

from django_tasks import task

from bridgeway.audit.services import VerifyResult, audit_verify

log = logging.getLogger("bridgeway.audit.jobs")


def audit_integrity_check() -> VerifyResult:
    """Verify the chain, record the result, notify the auditors if it is broken."""
    result = audit_verify(record=True)
    if result.ok:
        log.info("audit chain verified: %s", result.message)
        return result
    log.error("AUDIT CHAIN BROKEN at #%s: %s", result.first_bad_seq, result.message)
    # The notifications live with the sharing app's (one inbox per user); imported here so
    # that the audit app does not depend on it at import time.
    from bridgeway.referrals.services import notification_send_to_auditors

    notification_send_to_auditors(
        kind="audit_chain_broken",
        message=f"The daily integrity check found the audit log altered at entry "
                f"#{result.first_bad_seq}: {result.message}. See the integrity checks on "
                "the audit log page.")
    return result


@task()
def audit_daily_check() -> dict[str, Any]:
    """The daily task: the check's result as JSON-ready data."""
    result = audit_integrity_check()
    return {"ok": result.ok, "checked": result.checked,
            "first_bad_seq": result.first_bad_seq, "message": result.message}
