"""Field encryption at rest (envelope encryption) and blind indexes.

Why envelope encryption: every stored value gets its own random 256-bit data key (DEK);
the value is sealed with AES-256-GCM under that DEK, and the DEK itself is sealed
("wrapped") with AES-256-GCM under a *master key* that never touches the database. A
person who reads the database (a dump, a backup, a replica) sees only ciphertext. Rotating
the master key only re-wraps the small DEKs: the sealed data is left untouched, so a
rotation is cheap, can run while the system is in use, and can stop and restart anywhere
(``manage.py crypto_rotate_keys``).

Token format (text, versioned and self-describing)::

    bw1:<master key id>:<b64url nonce+wrapped DEK>:<b64url nonce+ciphertext>

The master key id says which key of the ring unwraps the DEK, so old and new keys can be
in use side by side during a rotation.

Associated data: the value is bound to ``"<app_label.Model>.<field>"`` (for example
``"cases.CaseNote.body"``). The row's primary key is *not* part of it because it is not
known before the first insert; the binding still stops a ciphertext copied into another
column from being decrypted there. The wrapped DEK is bound to its master key id.

Keys come from settings (``bridgeway.settings``), read with ``env_str`` so each may also be
given as a ``*_FILE`` secret:

* ``BRIDGEWAY_MASTER_KEYS``: ``"id1:<b64 32-byte key>,id2:<b64 key>"``; the first is the
  current key (new values and rotations use it), the others only decrypt.
* ``BRIDGEWAY_BLIND_INDEX_KEY``: the HMAC key of the blind index (kept separate so that the
  index key can never decrypt anything and the master key never derives index values).

When unset, DEBUG and test runs use keys derived from ``SECRET_KEY`` (key id ``dev``);
anywhere else every use raises ``ImproperlyConfigured`` and the system check
``bridgeway.E001``/``E002`` (``core.checks``) stops ``migrate``/``runserver``/``check``.

The cryptography itself is the ``cryptography`` library's AESGCM and HMAC; only the token
layout is written here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import models

from bridgeway.core.kill_points import kill_point

VERSION = "bw1"
DEV_KEY_ID = "dev"
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_B64 = r"[A-Za-z0-9_-]+={0,2}"
_TOKEN = re.compile(rf"^{VERSION}:([A-Za-z0-9_-]{{1,32}}):({_B64}):({_B64})$")
_NONCE = 12


class DecryptionError(Exception):
    """A stored value could not be decrypted: unknown key id, tampering, or a value moved
    from another column. Never carries the value itself."""


@dataclass(frozen=True)
class KeyRing:
    current_id: str
    keys: dict[str, bytes]

    def key(self, key_id: str) -> bytes:
        try:
            return self.keys[key_id]
        except KeyError:
            raise DecryptionError(
                f"master key id {key_id!r} is not in BRIDGEWAY_MASTER_KEYS; keep retired "
                "keys in the ring until crypto_rotate_keys has re-wrapped every value"
            ) from None


# ------------------------------------------------------------------ configuration


def dev_keys_allowed() -> bool:
    return bool(getattr(settings, "BRIDGEWAY_ALLOW_DEV_CRYPTO_KEYS", settings.DEBUG))


def _derive(label: str) -> bytes:
    return hmac.new(settings.SECRET_KEY.encode(), label.encode(), hashlib.sha256).digest()


@lru_cache(maxsize=8)
def _parse_ring(raw: str) -> KeyRing:
    keys: dict[str, bytes] = {}
    order: list[str] = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        key_id, sep, encoded = item.partition(":")
        if not sep or not _KEY_ID.match(key_id):
            raise ImproperlyConfigured(
                "BRIDGEWAY_MASTER_KEYS entries must be 'id:base64key' (id: letters, digits, "
                "'-' or '_')")
        text = encoded.strip().replace("-", "+").replace("_", "/")
        try:
            key = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
        except ValueError as exc:
            raise ImproperlyConfigured(f"master key {key_id!r} is not valid base64") from exc
        if len(key) != 32:
            raise ImproperlyConfigured(f"master key {key_id!r} must be 32 bytes (AES-256)")
        if key_id in keys:
            raise ImproperlyConfigured(f"master key id {key_id!r} appears twice")
        keys[key_id] = key
        order.append(key_id)
    if not order:
        raise ImproperlyConfigured("BRIDGEWAY_MASTER_KEYS holds no key")
    return KeyRing(current_id=order[0], keys=keys)


def key_ring() -> KeyRing:
    """The master key ring from settings (re-read each call, parsed once per value)."""
    raw = getattr(settings, "BRIDGEWAY_MASTER_KEYS", "") or ""
    if raw.strip():
        return _parse_ring(raw)
    if dev_keys_allowed():
        return KeyRing(current_id=DEV_KEY_ID,
                       keys={DEV_KEY_ID: _derive("bridgeway master key (dev only)")})
    raise ImproperlyConfigured(
        "BRIDGEWAY_MASTER_KEYS (or BRIDGEWAY_MASTER_KEYS_FILE) must be set outside DEBUG")


def blind_index_key() -> bytes:
    raw = getattr(settings, "BRIDGEWAY_BLIND_INDEX_KEY", "") or ""
    if raw.strip():
        return raw.strip().encode()
    if dev_keys_allowed():
        return _derive("bridgeway blind index key (dev only)")
    raise ImproperlyConfigured(
        "BRIDGEWAY_BLIND_INDEX_KEY (or BRIDGEWAY_BLIND_INDEX_KEY_FILE) must be set "
        "outside DEBUG")


def generate_key() -> str:
    """A fresh master key, base64, for an operator to put in the ring."""
    return base64.b64encode(os.urandom(32)).decode()


# ------------------------------------------------------------------ tokens


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _wrap_aad(key_id: str) -> bytes:
    return f"{VERSION}:dek:{key_id}".encode()


def is_token(value: Any) -> bool:
    return isinstance(value, str) and _TOKEN.match(value) is not None


def token_key_id(token: str) -> str:
    match = _TOKEN.match(token)
    if match is None:
        raise DecryptionError("not an encrypted value (bad token format)")
    return match.group(1)


def encrypt(plaintext: str, *, context: str) -> str:
    """Seal ``plaintext`` under a fresh data key wrapped by the current master key."""
    ring = key_ring()
    dek = AESGCM.generate_key(bit_length=256)
    data_nonce = os.urandom(_NONCE)
    sealed = AESGCM(dek).encrypt(data_nonce, plaintext.encode(), context.encode())
    wrap_nonce = os.urandom(_NONCE)
    wrapped = AESGCM(ring.key(ring.current_id)).encrypt(wrap_nonce, dek,
                                                        _wrap_aad(ring.current_id))
    return (f"{VERSION}:{ring.current_id}:{_b64(wrap_nonce + wrapped)}:"
            f"{_b64(data_nonce + sealed)}")


def _unwrap(ring: KeyRing, key_id: str, wrapped: str) -> bytes:
    raw = _unb64(wrapped)
    try:
        return AESGCM(ring.key(key_id)).decrypt(raw[:_NONCE], raw[_NONCE:],
                                                _wrap_aad(key_id))
    except InvalidTag:
        raise DecryptionError(
            f"the data key could not be unwrapped with master key {key_id!r} "
            "(wrong key material or tampered value)") from None


def decrypt(token: str, *, context: str) -> str:
    """Open a token made by ``encrypt`` with the same ``context``."""
    match = _TOKEN.match(token)
    if match is None:
        raise DecryptionError("not an encrypted value (bad token format)")
    key_id, wrapped, sealed = match.groups()
    dek = _unwrap(key_ring(), key_id, wrapped)
    raw = _unb64(sealed)
    try:
        return AESGCM(dek).decrypt(raw[:_NONCE], raw[_NONCE:], context.encode()).decode()
    except InvalidTag:
        raise DecryptionError(
            f"value failed authentication for {context!r} (tampered, or moved from "
            "another column)") from None


def rewrap(token: str) -> str:
    """The same sealed value with its data key re-wrapped under the current master key.
    The data ciphertext is kept byte for byte; a token already current is returned as is."""
    match = _TOKEN.match(token)
    if match is None:
        raise DecryptionError("not an encrypted value (bad token format)")
    key_id, wrapped, sealed = match.groups()
    ring = key_ring()
    if key_id == ring.current_id:
        return token
    dek = _unwrap(ring, key_id, wrapped)
    nonce = os.urandom(_NONCE)
    new = AESGCM(ring.key(ring.current_id)).encrypt(nonce, dek, _wrap_aad(ring.current_id))
    return f"{VERSION}:{ring.current_id}:{_b64(nonce + new)}:{sealed}"


def blind_index(value: str) -> str:
    """Keyed hash (HMAC-SHA256, hex) of an already normalized value: equal values give
    equal indexes, so exact search works, while the index reveals nothing without the key
    (a plain hash of a short document number could be reversed by trying them all)."""
    return hmac.new(blind_index_key(), value.encode(), hashlib.sha256).hexdigest()


# ------------------------------------------------------------------ model fields


class EncryptedTextField(models.TextField):
    """A text column stored encrypted. Reads decrypt, writes encrypt (a new data key per
    write); '' and NULL are stored as they are (their presence is not secret). Database
    lookups other than ``isnull`` cannot work on ciphertext and are refused."""

    def contribute_to_class(self, cls: type[models.Model], name: str,
                            private_only: bool = False) -> None:
        super().contribute_to_class(cls, name, private_only=private_only)
        self.crypto_context = f"{cls._meta.label}.{name}"

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name != "isnull":
            raise FieldError(
                f"{self.crypto_context} is encrypted at rest: the database cannot compare "
                f"it ('{lookup_name}' lookup); use a blind index or filter in Python")
        return super().get_lookup(lookup_name)

    def get_transform(self, lookup_name: str) -> Any:
        raise FieldError(f"{self.crypto_context} is encrypted at rest: no '{lookup_name}'")

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return decrypt(value, context=self.crypto_context)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value, context=self.crypto_context)


class EncryptedJSONField(EncryptedTextField):
    """A JSON value (dict, list, ...) stored as one encrypted token in a text column. Reads
    give back the Python value, as ``models.JSONField`` does; key lookups inside it cannot
    work on ciphertext and are refused like any other lookup."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return None if value is None else {}
        return json.loads(decrypt(value, context=self.crypto_context))

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        return encrypt(json.dumps(value, ensure_ascii=False), context=self.crypto_context)

    def to_python(self, value: Any) -> Any:
        return value

    def value_to_string(self, obj: models.Model) -> str:
        return json.dumps(self.value_from_object(obj), ensure_ascii=False)


def encrypted_models() -> list[tuple[type[models.Model], list[EncryptedTextField]]]:
    """Every installed model with encrypted columns (for rotation and the raw-data test)."""
    from django.apps import apps

    found = []
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if fields:
            found.append((model, fields))
    return found


# ------------------------------------------------------------------ key rotation


def _stale_batch(model: type[models.Model], field: EncryptedTextField, prefix: str,
                 after: Any, size: int) -> list[tuple[Any, str]]:
    """Raw (pk, token) of values not yet wrapped under the current key, after pk ``after``.
    Raw SQL: the field itself would decrypt what it reads."""
    from django.db import connection

    q = connection.ops.quote_name
    col, pk = q(field.column), q(model._meta.pk.column)
    where = [f"{col} IS NOT NULL", f"{col} <> ''", f"SUBSTR({col}, 1, {len(prefix)}) <> %s"]
    params: list[Any] = [prefix]
    if after is not None:
        where.append(f"{pk} > %s")
        params.append(after)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {pk}, {col} FROM {q(model._meta.db_table)} "  # noqa: S608
                       f"WHERE {' AND '.join(where)} ORDER BY {pk} LIMIT {int(size)}", params)
        return list(cursor.fetchall())


def _rewrap_batch(model: type[models.Model], field: EncryptedTextField,
                  rows: list[tuple[Any, str]]) -> int:
    """Re-wrap one batch in one transaction. Each row is updated only if it still holds
    the token read (compare-and-set), so a value the application rewrote meanwhile (already
    under the current key) is never overwritten with an older one."""
    from django.db import connection, transaction

    q = connection.ops.quote_name
    col, pk = q(field.column), q(model._meta.pk.column)
    done = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for key, token in rows:
            cursor.execute(f"UPDATE {q(model._meta.db_table)} SET {col} = %s "  # noqa: S608
                           f"WHERE {pk} = %s AND {col} = %s", [rewrap(token), key, token])
            done += cursor.rowcount
        kill_point("crypto_rotate_keys")
    return done


def rotate_keys(*, batch_size: int = 500, dry_run: bool = False) -> dict[str, int]:
    """Re-wrap every encrypted value's data key under the current master key, batch by
    batch, each batch committed on its own. Values already under the current key are not
    read again, so an interrupted run is simply run again; until it has finished, the old
    keys must stay in the ring (every value is readable under the old or the new key).
    Returns, per ``label.field``, the values re-wrapped (``dry_run``: still to re-wrap)."""
    ring = key_ring()
    prefix = f"{VERSION}:{ring.current_id}:"
    counts: dict[str, int] = {}
    for model, fields in encrypted_models():
        for field in fields:
            total, after = 0, None
            while True:
                rows = _stale_batch(model, field, prefix, after, batch_size)
                if not rows:
                    break
                total += len(rows) if dry_run else _rewrap_batch(model, field, rows)
                after = rows[-1][0]
            counts[field.crypto_context] = total
    return counts


# ------------------------------------------------------------------ data migrations


def encrypt_columns(apps: Any, schema_editor: Any, *, model: str,
                    fields: tuple[str, ...], decrypting: bool = False,
                    batch: int = 500) -> None:
    """RunPython body: encrypt (or, reversed, decrypt) the plaintext already in
    ``fields`` of ``model`` ("app_label.Model"). Raw SQL, because the historical model's
    field would try to decrypt the plaintext it reads; values already encrypted are left
    alone, so a re-run after a failure is harmless."""
    historical = apps.get_model(model)
    table = historical._meta.db_table
    pk = historical._meta.pk.column
    connection = schema_editor.connection
    q = connection.ops.quote_name
    columns = {name: historical._meta.get_field(name).column for name in fields}
    last = None
    while True:
        with connection.cursor() as cursor:
            where = f"WHERE {q(pk)} > %s " if last is not None else ""
            cursor.execute(
                f"SELECT {q(pk)}, {', '.join(q(c) for c in columns.values())} FROM {q(table)} "  # noqa: S608
                f"{where}ORDER BY {q(pk)} LIMIT {int(batch)}",
                [last] if last is not None else [])
            rows = cursor.fetchall()
            if not rows:
                return
            for row in rows:
                sets, params = [], []
                for (name, column), value in zip(columns.items(), row[1:], strict=True):
                    context = f"{model}.{name}"
                    if decrypting and is_token(value):
                        sets.append(f"{q(column)} = %s")
                        params.append(decrypt(value, context=context))
                    elif not decrypting and value and not is_token(value):
                        sets.append(f"{q(column)} = %s")
                        params.append(encrypt(str(value), context=context))
                if sets:
                    cursor.execute(f"UPDATE {q(table)} SET {', '.join(sets)} "  # noqa: S608
                                   f"WHERE {q(pk)} = %s", [*params, row[0]])
            last = rows[-1][0]


def encrypt_columns_op(model: str, *fields: str) -> Any:
    """A reversible ``migrations.RunPython`` for ``encrypt_columns``."""
    from django.db import migrations

    def forward(apps: Any, schema_editor: Any) -> None:
        encrypt_columns(apps, schema_editor, model=model, fields=fields)

    def backward(apps: Any, schema_editor: Any) -> None:
        encrypt_columns(apps, schema_editor, model=model, fields=fields, decrypting=True)

    return migrations.RunPython(forward, backward, elidable=False)


__all__ = [
    "DecryptionError", "EncryptedJSONField", "EncryptedTextField", "KeyRing", "blind_index", "decrypt",
    "encrypt", "encrypt_columns", "encrypt_columns_op", "encrypted_models",
    "generate_key", "is_token", "key_ring", "rewrap", "rotate_keys", "token_key_id",
]
