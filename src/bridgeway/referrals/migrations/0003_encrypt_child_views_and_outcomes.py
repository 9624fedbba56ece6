"""The child's views recorded with a consent, and the outcome a receiving agency reports
for a referral (health or psychosocial detail), encrypted at rest (``core/crypto.py``).
Existing plaintext rows are encrypted in place; reversed, they are plaintext again."""

from django.db import migrations

import bridgeway.core.crypto
from bridgeway.core.crypto import encrypt_columns_op


class Migration(migrations.Migration):

    dependencies = [
        ("referrals", "0002_correction_request"),
        ("cases", "0004_caseevent_comment"),
    ]

    operations = [
        migrations.AlterField(
            model_name="consent",
            name="child_views",
            field=bridgeway.core.crypto.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="servicereport",
            name="outcome",
            field=bridgeway.core.crypto.EncryptedTextField(),
        ),
        encrypt_columns_op("referrals.Consent", "child_views"),
        encrypt_columns_op("referrals.ServiceReport", "outcome"),
    ]
