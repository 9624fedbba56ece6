"""Add the search keys of the Latin spelling of a whole name to children registered in
another script: the pairs of neighbouring words across name parts ("karim" + "al-najjar")
were made from the name as written only, so the exact Latin query of a child registered in
Arabic or Thaana script scored below a Latin-registered namesake. Keys are only added
(``compute_name_keys`` gives a superset of the keys held), in chunks, skipping those held;
the vocabulary (``NameTerm``) follows through its triggers, which see inserted rows only."""

from collections import defaultdict

from django.db import migrations
from django.db.models import F

CHUNK = 2000


def add_latin_pairs(apps, schema_editor):
    from bridgeway.registry.services import compute_name_keys  # pure: names -> keys

    ChildName = apps.get_model("registry", "ChildName")
    Alias = apps.get_model("registry", "Alias")
    NameKey = apps.get_model("registry", "NameKey")
    spelled = (ChildName.objects.exclude(latin="").exclude(latin=F("value"))
               .values_list("child_id", flat=True).distinct().order_by("child_id"))
    last = 0
    while True:
        ids = list(spelled.filter(child_id__gt=last)[:CHUNK])
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
        NameKey.objects.bulk_create(
            [NameKey(child_id=cid, kind=kind, key=key[:200], from_alias=alias)
             for cid in ids
             for (kind, key), alias in compute_name_keys(own[cid], other[cid]).items()],
            batch_size=5000, ignore_conflicts=True)


class Migration(migrations.Migration):

    dependencies = [
        ("registry", "0005_encrypt_family_contacts"),
    ]

    operations = [
        migrations.RunPython(add_latin_pairs, migrations.RunPython.noop, elidable=True),
    ]
