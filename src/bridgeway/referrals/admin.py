"""The referrals app has nothing in the Django admin, on purpose.

Consents (with the child's views and the representative's name), referrals (reasons,
reported outcomes), transfers, break-glass accesses, notifications and correction requests
are all child data. The admin is a system administrator's configuration tool, and a system
administrator sees configuration but no child records (the access policy, ``access.policy``);
an admin page would also be a second way in to these rows that bypasses the policy, the
sector caps and the audit log. They are read and changed only through
``referrals.selectors`` / ``referrals.services`` (validated, audited, with case events).

The sharing configuration is not kept in the database: the sector policy
(``access.sectors``) and the break-glass and referral settings come from the settings and
are checked at startup (``referrals.checks``)."""
