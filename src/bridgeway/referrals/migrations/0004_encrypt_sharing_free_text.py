"""The free text of consents, referrals, transfers, break-glass uses and correction
requests encrypted at rest (``core/crypto.py``): what a sharing is for, how the caregiver
was involved, best-interests and withdrawal reasons, why a referral was declined or ended,
why a case moves, the emergency stated for break-glass and its review, and what the child
or guardian ask to correct. They speak of the child (issue 5, item 5). Existing plaintext
rows are encrypted in place; reversed, they are plaintext again (a correction request's
``item`` goes back to ``varchar(200)``, which every stored item fits: the service caps it
at 200 characters).

Nothing filtered, ordered or searched on these columns (pages, API and the data-subject
export read them per row, after decryption)."""

from django.db import migrations

import bridgeway.core.crypto
from bridgeway.core.crypto import encrypt_columns_op


class Migration(migrations.Migration):

    dependencies = [
        ("referrals", "0003_encrypt_child_views_and_outcomes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="consent",
            name="caregiver_involvement",
            field=bridgeway.core.crypto.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="consent",
            name="override_reason",
            field=bridgeway.core.crypto.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="consent",
            name="purpose",
            field=bridgeway.core.crypto.EncryptedTextField(),
        ),
        migrations.AlterField(
            model_name="consent",
            name="withdrawn_reason",
            field=bridgeway.core.crypto.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="consent",
            name="withdrawal_review_note",
            field=bridgeway.core.crypto.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="referral",
            name="purpose",
            field=bridgeway.core.crypto.EncryptedTextField(),
        ),
        migrations.AlterField(
            model_name="referral",
            name="decline_reason",
            field=bridgeway.core.crypto.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="referral",
            name="end_note",
            field=bridgeway.core.crypto.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="transfer",
            name="reason",
            field=bridgeway.core.crypto.EncryptedTextField(),
        ),
        migrations.AlterField(
            model_name="transfer",
            name="decision_note",
            field=bridgeway.core.crypto.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="breakglass",
            name="reason",
            field=bridgeway.core.crypto.EncryptedTextField(),
        ),
        migrations.AlterField(
            model_name="breakglass",
            name="review_note",
            field=bridgeway.core.crypto.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="correctionrequest",
            name="item",
            field=bridgeway.core.crypto.EncryptedTextField(),
        ),
        migrations.AlterField(
            model_name="correctionrequest",
            name="statement",
            field=bridgeway.core.crypto.EncryptedTextField(),
        ),
        migrations.AlterField(
            model_name="correctionrequest",
            name="requested_change",
            field=bridgeway.core.crypto.EncryptedTextField(),
        ),
        migrations.AlterField(
            model_name="correctionrequest",
            name="decision_reason",
            field=bridgeway.core.crypto.EncryptedTextField(blank=True),
        ),
        encrypt_columns_op("referrals.Consent", "caregiver_involvement", "override_reason", "purpose", "withdrawn_reason", "withdrawal_review_note"),
        encrypt_columns_op("referrals.Referral", "purpose", "decline_reason", "end_note"),
        encrypt_columns_op("referrals.Transfer", "reason", "decision_note"),
        encrypt_columns_op("referrals.BreakGlass", "reason", "review_note"),
        encrypt_columns_op("referrals.CorrectionRequest", "item", "statement", "requested_change", "decision_reason"),
    ]
