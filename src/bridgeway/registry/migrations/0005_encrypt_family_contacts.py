"""The contact details of a child's family members and caregivers encrypted at rest
(``core/crypto.py``): phone, address and the free-text notes. Existing plaintext rows are
encrypted in place; reversed, they are decrypted again (the phone column then goes back
to ``varchar(40)``, which every stored number fits: ``registry.validation`` caps it)."""

from django.db import migrations

import bridgeway.core.crypto
from bridgeway.core.crypto import encrypt_columns_op


class Migration(migrations.Migration):

    dependencies = [
        ("registry", "0004_rebuild_name_keys_skeleton_v2"),
    ]

    operations = [
        migrations.AlterField(
            model_name="familymember",
            name="phone",
            field=bridgeway.core.crypto.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="familymember",
            name="address",
            field=bridgeway.core.crypto.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="familymember",
            name="notes",
            field=bridgeway.core.crypto.EncryptedTextField(blank=True),
        ),
        encrypt_columns_op("registry.FamilyMember", "phone", "address", "notes"),
    ]
