# The access policy is code (policy.py). Consent records, referral scopes and break-glass
# grants that feed it live with their own capability (referrals app) as they land.
