"""Field encryption at rest: tokens, the key ring, the raw database, key rotation."""

from __future__ import annotations

import base64
import os
from typing import Any

import pytest
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from bridgeway.core import crypto
from bridgeway.core.checks import encryption_keys_check
from tests.care.conftest import builtin, fill  # noqa: F401
from tests.justice.conftest import ago, born_years_ago, episode_data, iso, jakarta  # noqa: F401
from tests.raw_db import cells_holding

MARK = "ZQX-canary-7731"


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@pytest.fixture
def ring(settings: Any) -> dict[str, str]:
    keys = {"k1": _key(), "k2": _key()}
    settings.BRIDGEWAY_MASTER_KEYS = f"k1:{keys['k1']}"
    return keys


# ------------------------------------------------------------------ tokens


def test_round_trip_and_a_fresh_data_key_per_value(ring: Any) -> None:
    a = crypto.encrypt("Kabul, 2019", context="cases.Case.association_place")
    b = crypto.encrypt("Kabul, 2019", context="cases.Case.association_place")
    assert a != b and "Kabul" not in a
    assert a.split(":")[2] != b.split(":")[2]  # different wrapped data keys
    assert crypto.token_key_id(a) == "k1"
    assert crypto.decrypt(a, context="cases.Case.association_place") == "Kabul, 2019"
    assert crypto.decrypt(crypto.encrypt("ü — عائشة", context="x"), context="x") == "ü — عائشة"


def test_tampered_ciphertext_is_refused(ring: Any) -> None:
    token = crypto.encrypt("secret", context="c")
    head, sealed = token.rsplit(":", 1)
    raw = bytearray(base64.urlsafe_b64decode(sealed + "=" * (-len(sealed) % 4)))
    raw[-1] ^= 1
    forged = head + ":" + base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    with pytest.raises(crypto.DecryptionError, match="failed authentication"):
        crypto.decrypt(forged, context="c")
    with pytest.raises(crypto.DecryptionError, match="bad token"):
        crypto.decrypt("secret", context="c")


def test_value_moved_to_another_column_is_refused(ring: Any) -> None:
    token = crypto.encrypt("secret", context="cases.CaseNote.body")
    with pytest.raises(crypto.DecryptionError, match=r"justice\.JusticeEvent\.notes"):
        crypto.decrypt(token, context="justice.JusticeEvent.notes")


def test_unknown_key_id_gives_a_clear_error(ring: Any, settings: Any) -> None:
    token = crypto.encrypt("secret", context="c")
    settings.BRIDGEWAY_MASTER_KEYS = f"k2:{ring['k2']}"
    with pytest.raises(crypto.DecryptionError, match="'k1' is not in BRIDGEWAY_MASTER_KEYS"):
        crypto.decrypt(token, context="c")
    settings.BRIDGEWAY_MASTER_KEYS = f"k1:{ring['k2']}"  # same id, other key material
    with pytest.raises(crypto.DecryptionError, match="could not be unwrapped"):
        crypto.decrypt(token, context="c")


def test_rewrap_keeps_the_sealed_data_and_changes_the_key(ring: Any, settings: Any) -> None:
    token = crypto.encrypt("secret", context="c")
    settings.BRIDGEWAY_MASTER_KEYS = f"k2:{ring['k2']},k1:{ring['k1']}"
    new = crypto.rewrap(token)
    assert crypto.token_key_id(new) == "k2"
    assert new.rsplit(":", 1)[1] == token.rsplit(":", 1)[1]
    assert crypto.rewrap(new) == new
    settings.BRIDGEWAY_MASTER_KEYS = f"k2:{ring['k2']}"
    assert crypto.decrypt(new, context="c") == "secret"


@pytest.mark.parametrize("raw", ["k1", "k1:notbase64!", "k1:" + base64.b64encode(b"short").decode(),
                                 "bad id:" + base64.b64encode(bytes(32)).decode(),
                                 "a:{k},a:{k}".format(k=base64.b64encode(bytes(32)).decode())])
def test_malformed_rings_are_refused(settings: Any, raw: str) -> None:
    settings.BRIDGEWAY_MASTER_KEYS = raw
    with pytest.raises(ImproperlyConfigured):
        crypto.key_ring()


def test_blind_index_is_keyed(settings: Any) -> None:
    settings.BRIDGEWAY_BLIND_INDEX_KEY = "one"
    first = crypto.blind_index("AH12345")
    assert first == crypto.blind_index("AH12345") and len(first) == 64
    assert "AH12345" not in first
    settings.BRIDGEWAY_BLIND_INDEX_KEY = "two"
    assert crypto.blind_index("AH12345") != first


def test_production_check_refuses_missing_keys(settings: Any) -> None:
    settings.BRIDGEWAY_ALLOW_DEV_CRYPTO_KEYS = False
    settings.BRIDGEWAY_MASTER_KEYS = ""
    settings.BRIDGEWAY_BLIND_INDEX_KEY = ""
    assert {e.id for e in encryption_keys_check()} == {"bridgeway.E001", "bridgeway.E002"}
    with pytest.raises(ImproperlyConfigured):
        crypto.encrypt("x", context="c")
    settings.BRIDGEWAY_MASTER_KEYS = f"k1:{_key()}"
    settings.BRIDGEWAY_BLIND_INDEX_KEY = "index-key"
    assert encryption_keys_check() == []
    settings.BRIDGEWAY_ALLOW_DEV_CRYPTO_KEYS = True
    settings.BRIDGEWAY_MASTER_KEYS = ""
    assert encryption_keys_check() == []  # dev keys in DEBUG/tests


# ------------------------------------------------------------------ through the services


def _write_everything(people: Any, register: Any, facility: Any, fill: Any,  # noqa: F811
                      marker: str) -> Any:
    """Known plaintext in every encrypted column, written through the services."""
    from bridgeway.care.services import approval_decide, approval_request
    from bridgeway.cases.services import case_add_note, case_request_closure
    from bridgeway.justice.services import (
        detention_open,
        detention_release,
        justice_event_record,
        justice_involvement_add,
    )

    case = register(
        date_of_birth=born_years_ago(16),
        identifiers=[{"id_type": "passport", "value": f"{marker}-P"}],
        family=[{"relationship": "aunt_uncle", "name": "Nur Hidayah", "is_caregiver": True,
                 "phone": f"+62 811 {marker}", "address": f"{marker} Jalan Melati 4",
                 "notes": f"{marker} reachable after dark"}],
        case={"risk_level": "high", "association_place": f"{marker} place",
              "alleged_offence": f"{marker} offence"})
    justice_involvement_add(actor=people.caseworker, case_id=case.pk,
                            agency_id=people.agency_police.pk,
                            reason=f"{marker} arresting unit")
    # A best-interests determination returned with a comment, then sent again with a note.
    bid = fill("bw_bid_panel", case)
    approval_decide(actor=people.supervisor, record_id=bid.pk, approve=False,
                    comment=f"{marker} returned: the aunt's views are missing")
    approval_request(actor=people.caseworker, record_id=bid.pk,
                     note=f"{marker} the aunt was heard on Monday")
    # A referral to the clinic with the child's views, accepted, and the service reported.
    from bridgeway.referrals import services as sharing
    from tests.referrals.conftest import child_consent, make_referral

    consent = child_consent(people.caseworker, case, people.agency_health,
                            ["identity", "health"], child_views=f"{marker} wants a doctor")
    referral = make_referral(people.caseworker, case, consent, ["identity", "health"])
    sharing.referral_accept(actor=people.health_worker, referral_id=referral.pk)
    sharing.referral_report_service(actor=people.health_worker, referral_id=referral.pk,
                                    service_type="check-up",
                                    delivered_on=timezone.localdate(),
                                    outcome=f"{marker} asthma treated")
    case_add_note(actor=people.caseworker, case_id=case.pk, body=f"{marker} note")
    justice_event_record(actor=people.caseworker, case_id=case.pk, data={
        "kind": "arrest", "at": iso(ago(hours=30)), "time_zone": "Asia/Jakarta",
        "alleged_offence": f"{marker} event offence", "notes": f"{marker} event notes",
        "parent_notified_at": iso(ago(hours=29))})
    episode = detention_open(actor=people.caseworker, case_id=case.pk, data=episode_data(
        facility, ago(hours=28), health_problems=f"{marker} health",
        last_resort_justification=f"{marker} last resort", reason=f"{marker} held for",
        separated_from_adults="no", not_separated_reason=f"{marker} not separated",
        family_contact=f"{marker} aunt, +62 811 555 0101"))
    detention_release(actor=people.caseworker, episode_id=episode.pk,
                      released_at=iso(ago(hours=2)), note=f"{marker} released to the aunt")
    case_request_closure(actor=people.caseworker, case_id=case.pk,
                         reason="goals_met", note=f"{marker} closure")
    return case


def _raw_columns() -> dict[str, list[Any]]:
    q = connection.ops.quote_name
    out: dict[str, list[Any]] = {}
    with connection.cursor() as cursor:
        for model, fields in crypto.encrypted_models():
            for field in fields:
                cursor.execute(f"SELECT {q(field.column)} FROM "  # noqa: S608
                               f"{q(model._meta.db_table)}")
                out[field.crypto_context] = [row[0] for row in cursor.fetchall()]
    return out


EXPECTED = {"registry.Identifier.value", "cases.Case.association_place",
            "cases.Case.alleged_offence", "cases.Case.closure_note", "cases.CaseNote.body",
            "justice.JusticeEvent.alleged_offence", "justice.JusticeEvent.notes",
            "justice.DetentionEpisode.health_problems",
            "justice.DetentionEpisode.last_resort_justification",
            "justice.DetentionEpisode.reason", "justice.DetentionEpisode.not_separated_reason",
            "justice.DetentionEpisode.family_contact",
            "registry.FamilyMember.phone", "registry.FamilyMember.address",
            "registry.FamilyMember.notes", "justice.JusticeInvolvement.reason",
            "care.Approval.comment", "care.Approval.request_note",
            "justice.DetentionEpisode.release_note", "referrals.Consent.child_views",
            "referrals.ServiceReport.outcome"}


def test_raw_database_holds_no_plaintext(people: Any, register: Any, jakarta: Any,  # noqa: F811
                                         fill: Any) -> None:  # noqa: F811
    from bridgeway.care.models import Approval
    from bridgeway.cases.models import CaseNote
    from bridgeway.justice.models import DetentionEpisode, JusticeInvolvement
    from bridgeway.registry.models import FamilyMember

    case = _write_everything(people, register, jakarta, fill, MARK)
    raw = _raw_columns()
    assert set(raw) >= EXPECTED
    for context in EXPECTED:
        assert any(v for v in raw[context]), f"nothing written to {context}"
    for context, values in raw.items():
        for value in values:
            assert MARK not in (value or ""), context
            assert value in ("", None) or crypto.is_token(value), context
    # ...and the whole database, every table, text columns included.
    assert cells_holding(MARK) == []
    # The application still reads plaintext.
    case.refresh_from_db()
    assert case.association_place == f"{MARK} place"
    assert CaseNote.objects.get(case=case).body == f"{MARK} note"
    episode = DetentionEpisode.objects.get(case=case)
    assert episode.health_problems == f"{MARK} health"
    assert (episode.reason, episode.not_separated_reason, episode.family_contact) == (
        f"{MARK} held for", f"{MARK} not separated", f"{MARK} aunt, +62 811 555 0101")
    member = FamilyMember.objects.get(child_id=case.child_id)
    assert (member.phone, member.address, member.notes) == (
        f"+62 811 {MARK}", f"{MARK} Jalan Melati 4", f"{MARK} reachable after dark")
    assert JusticeInvolvement.objects.get(
        case=case, agency=people.agency_police).reason == f"{MARK} arresting unit"
    assert sorted((a.comment, a.request_note) for a in Approval.objects.filter(case=case)) == [
        ("", f"{MARK} the aunt was heard on Monday"),
        (f"{MARK} returned: the aunt's views are missing", "")]
    assert episode.release_note == f"{MARK} released to the aunt"
    from bridgeway.referrals.models import Consent, ServiceReport

    assert Consent.objects.get(case=case).child_views == f"{MARK} wants a doctor"
    assert ServiceReport.objects.get().outcome == f"{MARK} asthma treated"


def test_database_lookups_on_ciphertext_are_refused(people: Any) -> None:
    from bridgeway.cases.models import CaseNote

    with pytest.raises(FieldError, match="encrypted at rest"):
        list(CaseNote.objects.filter(body="x"))
    with pytest.raises(FieldError, match="encrypted at rest"):
        list(CaseNote.objects.filter(body__icontains="x"))
    assert list(CaseNote.objects.filter(body__isnull=True)) == []


# ------------------------------------------------------------------ rotation


def _key_ids() -> dict[str, set[str]]:
    return {ctx: {crypto.token_key_id(v) for v in values if v}
            for ctx, values in _raw_columns().items()}


def _read_all() -> list[Any]:
    out = []
    for model, fields in crypto.encrypted_models():
        out += list(model.objects.values_list(*(f.name for f in fields)))
    return out


def _notes(people: Any, register: Any, n: int) -> Any:
    from bridgeway.cases.services import case_add_note

    case = register()
    for i in range(n):
        case_add_note(actor=people.caseworker, case_id=case.pk, body=f"note {i}")
    return case


def test_rotation_rewraps_everything_and_old_key_can_go(
        people: Any, register: Any, jakarta: Any, fill: Any,  # noqa: F811
        ring: Any, settings: Any) -> None:
    _write_everything(people, register, jakarta, fill, MARK)
    before = _read_all()
    sealed_before = {v.rsplit(":", 1)[1] for vs in _raw_columns().values() for v in vs if v}
    settings.BRIDGEWAY_MASTER_KEYS = f"k2:{ring['k2']},k1:{ring['k1']}"
    counts = crypto.rotate_keys(batch_size=2)
    assert counts["cases.Case.association_place"] == 1 and sum(counts.values()) >= 8
    assert all(counts[f"registry.FamilyMember.{name}"] == 1
               for name in ("phone", "address", "notes"))
    from bridgeway.justice.models import JusticeInvolvement

    assert counts["justice.JusticeInvolvement.reason"] == sum(
        1 for link in JusticeInvolvement.objects.all() if link.reason) >= 1
    assert (counts["care.Approval.comment"], counts["care.Approval.request_note"]) == (1, 1)
    assert (counts["justice.DetentionEpisode.release_note"],
            counts["referrals.Consent.child_views"],
            counts["referrals.ServiceReport.outcome"]) == (1, 1, 1)
    assert all(ids <= {"k2"} for ids in _key_ids().values())
    sealed_after = {v.rsplit(":", 1)[1] for vs in _raw_columns().values() for v in vs if v}
    assert sealed_after == sealed_before  # data ciphertext untouched
    settings.BRIDGEWAY_MASTER_KEYS = f"k2:{ring['k2']}"
    assert _read_all() == before
    assert sum(crypto.rotate_keys().values()) == 0  # idempotent


def test_interrupted_rotation_is_restartable_and_nothing_is_unreadable(
        people: Any, register: Any, ring: Any, settings: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    _notes(people, register, 7)
    before = _read_all()
    settings.BRIDGEWAY_MASTER_KEYS = f"k2:{ring['k2']},k1:{ring['k1']}"
    real = crypto._rewrap_batch
    calls = {"n": 0}

    def dies_on_the_second_batch(model: Any, field: Any, rows: Any) -> int:
        if field.crypto_context == "cases.CaseNote.body":
            calls["n"] += 1
            if calls["n"] == 2:
                raise KeyboardInterrupt("killed")
        return real(model, field, rows)

    monkeypatch.setattr(crypto, "_rewrap_batch", dies_on_the_second_batch)
    with pytest.raises(KeyboardInterrupt):
        crypto.rotate_keys(batch_size=3)
    halfway = _key_ids()
    assert halfway["cases.CaseNote.body"] == {"k1", "k2"}  # mixed, as after a kill
    assert _read_all() == before  # every value readable under the old or new key
    monkeypatch.setattr(crypto, "_rewrap_batch", real)
    counts = crypto.rotate_keys(batch_size=3)
    assert counts["cases.CaseNote.body"] == 7 - 3  # the first batch is not redone
    assert all(ids <= {"k2"} for ids in _key_ids().values())
    settings.BRIDGEWAY_MASTER_KEYS = f"k2:{ring['k2']}"
    assert _read_all() == before


def test_rotation_command_dry_run_and_unknown_key(
        people: Any, register: Any, ring: Any, settings: Any, capsys: Any) -> None:
    _notes(people, register, 3)
    settings.BRIDGEWAY_MASTER_KEYS = f"k2:{ring['k2']},k1:{ring['k1']}"
    call_command("crypto_rotate_keys", "--dry-run")
    out = capsys.readouterr().out
    assert "cases.CaseNote.body: 3 to re-wrap" in out
    assert _key_ids()["cases.CaseNote.body"] == {"k1"}  # dry run changed nothing
    call_command("crypto_rotate_keys", "--batch-size", "2")
    assert "cases.CaseNote.body: 3 re-wrapped" in capsys.readouterr().out
    call_command("crypto_rotate_keys", "--dry-run")
    assert "total to re-wrap under key 'k2': 0" in capsys.readouterr().out
    # A value under a key no longer in the ring stops the command with a clear message.
    settings.BRIDGEWAY_MASTER_KEYS = f"k1:{ring['k1']}"
    _notes(people, register, 1)
    settings.BRIDGEWAY_MASTER_KEYS = f"k3:{_key()}"
    with pytest.raises(CommandError, match=r"rotation stopped.*'k[12]' is not in BRIDGEWAY_MAS"):
        call_command("crypto_rotate_keys")


def test_data_migration_encrypts_existing_rows_and_reverses(people: Any,
                                                            register: Any) -> None:
    from types import SimpleNamespace

    from django.apps import apps

    from bridgeway.cases.models import CaseNote

    case = _notes(people, register, 1)
    note = CaseNote.objects.get(case=case)
    with connection.cursor() as cursor:  # as the previous schema stored it
        cursor.execute("UPDATE cases_casenote SET body = %s WHERE id = %s",
                       [f"{MARK} old", note.pk])
    editor = SimpleNamespace(connection=connection)
    crypto.encrypt_columns(apps, editor, model="cases.CaseNote", fields=("body",), batch=1)
    crypto.encrypt_columns(apps, editor, model="cases.CaseNote", fields=("body",))  # re-run
    assert CaseNote.objects.get(pk=note.pk).body == f"{MARK} old"
    assert not any(MARK in v for v in _raw_columns()["cases.CaseNote.body"])
    crypto.encrypt_columns(apps, editor, model="cases.CaseNote", fields=("body",),
                           decrypting=True)
    assert f"{MARK} old" in _raw_columns()["cases.CaseNote.body"]


def test_detention_register_migration_encrypts_existing_rows_and_reverses(
        people: Any, register: Any, jakarta: Any) -> None:  # noqa: F811
    """Migration 0004 of justice: the reasons and the family contact already in the
    detention register (stored as plaintext before it) are encrypted in place; reversed,
    they are plaintext again."""
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import migrations

    from bridgeway.justice.models import DetentionEpisode
    from bridgeway.justice.services import detention_open

    case = register(date_of_birth=born_years_ago(16))
    episode = detention_open(actor=people.caseworker, case_id=case.pk,
                             data=episode_data(jakarta, ago(hours=5)))
    old = {"reason": f"{MARK} reason", "not_separated_reason": f"{MARK} exception",
           "family_contact": f"{MARK} uncle"}
    with connection.cursor() as cursor:  # as the previous schema stored them
        cursor.execute("UPDATE justice_detentionepisode SET reason = %s, "
                       "not_separated_reason = %s, family_contact = %s WHERE id = %s",
                       [*old.values(), episode.pk])
    migration = importlib.import_module(
        "bridgeway.justice.migrations.0004_encrypt_detention_reasons").Migration
    [data_step] = [op for op in migration.operations if isinstance(op, migrations.RunPython)]
    editor = SimpleNamespace(connection=connection)
    data_step.code(apps, editor)
    data_step.code(apps, editor)  # a re-run after a failure is harmless
    raw = _raw_columns()
    for name in old:
        stored = raw[f"justice.DetentionEpisode.{name}"]
        assert stored and all(crypto.is_token(v) for v in stored if v), name
        assert not any(MARK in (v or "") for v in stored), name
    fresh = DetentionEpisode.objects.get(pk=episode.pk)
    assert {name: getattr(fresh, name) for name in old} == old
    data_step.reverse_code(apps, editor)
    raw = _raw_columns()
    assert all(value in raw[f"justice.DetentionEpisode.{name}"] for name, value in old.items())


def test_family_contacts_migration_encrypts_existing_rows_and_reverses(
        people: Any, register: Any) -> None:
    """Migration 0005 of the registry: family members' phone, address and notes already
    stored as plaintext are encrypted in place; reversed, they are plaintext again."""
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import migrations

    from bridgeway.registry.models import FamilyMember

    case = register()
    member = FamilyMember.objects.get(child_id=case.child_id)
    old = {"phone": "+62 812 7731 0001", "address": f"{MARK} Gang Mawar 2",
           "notes": f"{MARK} the grandmother keeps the phone"}
    with connection.cursor() as cursor:  # as the previous schema stored them
        cursor.execute("UPDATE registry_familymember SET phone = %s, address = %s, "
                       "notes = %s WHERE id = %s", [*old.values(), member.pk])
    migration = importlib.import_module(
        "bridgeway.registry.migrations.0005_encrypt_family_contacts").Migration
    [data_step] = [op for op in migration.operations if isinstance(op, migrations.RunPython)]
    editor = SimpleNamespace(connection=connection)
    data_step.code(apps, editor)
    data_step.code(apps, editor)  # a re-run after a failure is harmless
    raw = _raw_columns()
    for name, value in old.items():
        stored = raw[f"registry.FamilyMember.{name}"]
        assert stored and all(crypto.is_token(v) for v in stored if v), name
        assert value not in stored and not any(MARK in (v or "") for v in stored), name
    fresh = FamilyMember.objects.get(pk=member.pk)
    assert {name: getattr(fresh, name) for name in old} == old
    data_step.reverse_code(apps, editor)
    raw = _raw_columns()
    assert all(value in raw[f"registry.FamilyMember.{name}"] for name, value in old.items())


def test_approval_and_involvement_migrations_encrypt_existing_rows_and_reverse(
        people: Any, register: Any, fill: Any) -> None:  # noqa: F811
    """Migrations care 0002 and justice 0005: a care approval's comment and request note,
    and why a justice agency is involved, already stored as plaintext, are encrypted in
    place; a re-run is harmless; reversed, they are plaintext again."""
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import migrations

    from bridgeway.care.models import Approval
    from bridgeway.justice.models import JusticeInvolvement
    from bridgeway.justice.services import justice_involvement_add

    case = register(date_of_birth=born_years_ago(16))
    link = justice_involvement_add(actor=people.caseworker, case_id=case.pk,
                                   agency_id=people.agency_police.pk, reason="linked")
    approval = Approval.objects.get(care_record__record=fill("bw_bid_panel", case))
    old = {("care.Approval", "comment"): f"{MARK} see the school report",
           ("care.Approval", "request_note"): f"{MARK} the aunt was heard",
           ("justice.JusticeInvolvement", "reason"): f"{MARK} arresting unit"}
    with connection.cursor() as cursor:  # as the previous schema stored them
        cursor.execute("UPDATE care_approval SET comment = %s, request_note = %s "
                       "WHERE id = %s", [old["care.Approval", "comment"],
                                         old["care.Approval", "request_note"], approval.pk])
        cursor.execute("UPDATE justice_justiceinvolvement SET reason = %s WHERE id = %s",
                       [old["justice.JusticeInvolvement", "reason"], link.pk])
    editor = SimpleNamespace(connection=connection)
    steps = []
    for module in ("bridgeway.care.migrations.0002_encrypt_approval_notes",
                   "bridgeway.justice.migrations.0005_encrypt_involvement_reason"):
        operations = importlib.import_module(module).Migration.operations
        steps += [op for op in operations if isinstance(op, migrations.RunPython)]
    assert len(steps) == 2
    for step in steps:
        step.code(apps, editor)
        step.code(apps, editor)  # a re-run after a failure is harmless
    raw = _raw_columns()
    for (model, name), value in old.items():
        stored = raw[f"{model}.{name}"]
        assert stored and all(crypto.is_token(v) for v in stored if v), name
        assert value not in stored and not any(MARK in (v or "") for v in stored), name
    fresh = Approval.objects.get(pk=approval.pk)
    assert (fresh.comment, fresh.request_note) == (old["care.Approval", "comment"],
                                                   old["care.Approval", "request_note"])
    assert JusticeInvolvement.objects.get(pk=link.pk).reason == old[
        "justice.JusticeInvolvement", "reason"]
    for step in steps:
        step.reverse_code(apps, editor)
    raw = _raw_columns()
    assert all(value in raw[f"{model}.{name}"] for (model, name), value in old.items())


def test_views_outcome_and_release_note_migrations_encrypt_existing_rows_and_reverse(
        people: Any, register: Any, jakarta: Any) -> None:  # noqa: F811
    """Migrations referrals 0003 and justice 0006: the child's views at consent, a
    referral's reported outcome and a release note, already stored as plaintext, are
    encrypted in place; a re-run is harmless; reversed, they are plaintext again."""
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import migrations

    from bridgeway.justice.models import DetentionEpisode
    from bridgeway.justice.services import detention_open, detention_release
    from bridgeway.referrals import services as sharing
    from bridgeway.referrals.models import Consent, ServiceReport
    from tests.referrals.conftest import child_consent, make_referral

    case = register(date_of_birth=born_years_ago(16))
    episode = detention_open(actor=people.caseworker, case_id=case.pk,
                             data=episode_data(jakarta, ago(hours=5)))
    detention_release(actor=people.caseworker, episode_id=episode.pk,
                      released_at=iso(ago(hours=1)), note="released")
    consent = child_consent(people.caseworker, case, people.agency_health,
                            ["identity", "health"], child_views="views")
    referral = make_referral(people.caseworker, case, consent, ["identity", "health"])
    sharing.referral_accept(actor=people.health_worker, referral_id=referral.pk)
    report = sharing.referral_report_service(
        actor=people.health_worker, referral_id=referral.pk, service_type="check-up",
        delivered_on=timezone.localdate(), outcome="done")
    old = {("justice_detentionepisode", "release_note", episode.pk,
            "justice.DetentionEpisode"): f"{MARK} released to the uncle",
           ("referrals_consent", "child_views", consent.pk,
            "referrals.Consent"): f"{MARK} wants to see a doctor",
           ("referrals_servicereport", "outcome", report.pk,
            "referrals.ServiceReport"): f"{MARK} asthma treated"}
    with connection.cursor() as cursor:  # as the previous schema stored them
        for (table, column, pk, _), value in old.items():
            cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s",  # noqa: S608
                           [value, pk])
    editor = SimpleNamespace(connection=connection)
    steps = []
    for module in ("bridgeway.referrals.migrations.0003_encrypt_child_views_and_outcomes",
                   "bridgeway.justice.migrations.0006_encrypt_release_note"):
        operations = importlib.import_module(module).Migration.operations
        steps += [op for op in operations if isinstance(op, migrations.RunPython)]
    assert len(steps) == 3
    for step in steps:
        step.code(apps, editor)
        step.code(apps, editor)  # a re-run after a failure is harmless
    raw = _raw_columns()
    for (_, column, _, model), value in old.items():
        stored = raw[f"{model}.{column}"]
        assert stored and all(crypto.is_token(v) for v in stored if v), column
        assert value not in stored and not any(MARK in (v or "") for v in stored), column
    assert [DetentionEpisode.objects.get(pk=episode.pk).release_note,
            Consent.objects.get(pk=consent.pk).child_views,
            ServiceReport.objects.get(pk=report.pk).outcome] == list(old.values())
    for step in steps:
        step.reverse_code(apps, editor)
    raw = _raw_columns()
    assert all(value in raw[f"{model}.{column}"]
               for (_, column, _, model), value in old.items())
