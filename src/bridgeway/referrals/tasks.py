"""Tasks derived from sharing: an overdue referral response, and a withdrawn consent that
awaits the supervisor's best-interests review. Registered with ``cases.tasks`` on import
(``ReferralsConfig.ready``); ``case_derive_tasks`` reconciles them by ``source_key``."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from bridgeway.cases.models import Case
from bridgeway.cases.tasks import WantedTask, deriver
from bridgeway.referrals.models import Consent, Referral, ReferralStatus

WITHDRAWAL_REVIEW_DAYS = 7


@deriver
def referral_responses(case: Case) -> list[WantedTask]:
    """A pending referral past its response deadline becomes a task for the case's
    caseworker (follow up with the receiving agency, or withdraw and refer elsewhere)."""
    now = timezone.now()
    overdue = (Referral.objects.filter(case_id=case.pk, status=ReferralStatus.PENDING,
                                       respond_by__lte=now)
               .select_related("receiving_agency").order_by("pk"))
    return [WantedTask(f"referral_response:{r.pk}",
                       f"Referral #{r.pk} to {r.receiver_label}: no response by the "
                       f"deadline; follow up or refer elsewhere"[:200], r.respond_by)
            for r in overdue]


@deriver
def consent_withdrawal_reviews(case: Case) -> list[WantedTask]:
    pending = Consent.objects.filter(case_id=case.pk, withdrawn_at__isnull=False,
                                     withdrawal_reviewed_at__isnull=True).order_by("pk")
    return [WantedTask(f"consent_withdrawal:{c.pk}",
                       f"Consent #{c.pk} was withdrawn: review in the child's best interests",
                       c.withdrawn_at + timedelta(days=WITHDRAWAL_REVIEW_DAYS),
                       for_supervisor=True)
            for c in pending if c.withdrawn_at is not None]
