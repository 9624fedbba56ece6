"""Writes for consent, referrals, transfers and break-glass.

Each function is one business operation: who may do it (through ``access.policy`` — a case
the actor may not see raises ``NotFound``, exactly as a case that does not exist), then
validation (every problem at once, ``ValidationFailed``), then the write with its case
event, audit entry and notifications, in one transaction. Log lines go out after commit.

Row locks are taken in one order everywhere: case, then consent, then referral/transfer.

Receiving agencies cannot see a case before they accept it, so their services look the
referral or transfer up by id *within their own agency*; an id from another agency is
``NotFound``. Notification texts carry a case number at most, never child data.
"""

from bridgeway.referrals.services.break_glass import (
                                                      break_glass_end,
                                                      break_glass_open,
                                                      break_glass_review,
)
from bridgeway.referrals.services.consent import (
                                                      CONSENT_AGE,
                                                      ConsentInput,
                                                      consent_record,
                                                      consent_review_withdrawal,
                                                      consent_withdraw,
                                                      is_guardian,
)
from bridgeway.referrals.services.notifications import (
                                                      notification_mark_read,
                                                      notification_send,
                                                      notification_send_to_auditors,
                                                      notifications_mark_all_read,
                                                      notifications_mark_read,
)
from bridgeway.referrals.services.referral import (
                                                      ReferralInput,
                                                      SweepResult,
                                                      may_refer,
                                                      may_report_service,
                                                      referral_accept,
                                                      referral_assign,
                                                      referral_close,
                                                      referral_create,
                                                      referral_decline,
                                                      referral_report_service,
                                                      referral_withdraw,
                                                      referrals_sweep,
)
from bridgeway.referrals.services.transfer import (
                                                      TransferInput,
                                                      transfer_accept,
                                                      transfer_cancel,
                                                      transfer_decline,
                                                      transfer_propose,
)

__all__ = [
    "CONSENT_AGE", "ConsentInput", "ReferralInput", "SweepResult", "TransferInput",
    "break_glass_end", "break_glass_open", "break_glass_review", "consent_record",
    "consent_review_withdrawal", "consent_withdraw", "is_guardian", "may_refer",
    "may_report_service",
    "notification_mark_read", "notification_send", "notification_send_to_auditors",
    "notifications_mark_all_read", "notifications_mark_read", "referral_accept", "referral_assign", "referral_close",
    "referral_create", "referral_decline", "referral_report_service", "referral_withdraw",
    "referrals_sweep", "transfer_accept", "transfer_cancel", "transfer_decline",
    "transfer_propose",
]
