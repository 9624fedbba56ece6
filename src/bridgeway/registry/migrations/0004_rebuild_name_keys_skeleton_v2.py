"""Rebuild every child's search keys after the consonant skeleton changed (an ``h`` inside a
word now counts; ``w``/``y`` and a final ``h`` are dropped) and stored Arabic words with the
article joined also give the keys of the word without it. The vocabulary (``NameTerm``)
follows through its triggers. Chunked, so a large registry is rebuilt in bounded memory."""

from collections import defaultdict

from django.db import migrations

CHUNK = 2000


def rebuild(apps, schema_editor):
    from bridgeway.registry.services import compute_name_keys  # pure: names -> keys

    Child = apps.get_model("registry", "Child")
    ChildName = apps.get_model("registry", "ChildName")
    Alias = apps.get_model("registry", "Alias")
    NameKey = apps.get_model("registry", "NameKey")
    last = 0
    while True:
        ids = list(Child.objects.filter(pk__gt=last).order_by("pk")
                   .values_list("pk", flat=True)[:CHUNK])
        if not ids:
            return
        last = ids[-1]
        own, other = defaultdict(list), defaultdict(list)
        for cid, value, latin in (ChildName.objects.filter(child_id__in=ids)
                                  .order_by("child_id", "position", "pk")
                                  .values_list("child_id", "value", "latin")):
            own[cid].append((value, latin))
        for cid, value, latin in (Alias.objects.filter(child_id__in=ids).order_by("pk")
                                  .values_list("child_id", "value", "latin")):
            other[cid].append((value, latin))
        NameKey.objects.filter(child_id__in=ids).delete()
        NameKey.objects.bulk_create(
            [NameKey(child_id=cid, kind=kind, key=key[:200], from_alias=alias)
             for cid in ids
             for (kind, key), alias in compute_name_keys(own[cid], other[cid]).items()],
            batch_size=5000)


class Migration(migrations.Migration):

    dependencies = [
        ("registry", "0003_identifier_encrypted_blind_index"),
    ]

    operations = [
        migrations.RunPython(rebuild, migrations.RunPython.noop, elidable=True),
    ]
