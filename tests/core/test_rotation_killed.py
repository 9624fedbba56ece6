"""Key rotation killed for real (PostgreSQL): ``manage.py crypto_rotate_keys`` runs in its
own process and is SIGKILLed inside its second batch, after that batch's updates and
before its commit (``BRIDGEWAY_TEST_DIE_AFTER``, core/kill_points.py). The first batch
stays re-wrapped, the second is not touched, every value still decrypts with the ring of
old and new keys, and a rerun finishes: then the old key can go.

Its own module, without a module-level ``django_db`` mark: ``flushable_audit_on_postgresql``
must be set up before the transactional database (see tests/conftest.py).
"""

from __future__ import annotations

import base64
import os

import pytest

from bridgeway.core import crypto
from tests.core.test_crypto import _key_ids, _notes, _raw_columns, _read_all
from tests.process_support import KILLED, describe, run_command

BATCH = 3


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@pytest.mark.postgres
def test_rotation_killed_midway_is_restartable_and_nothing_is_unreadable(
        flushable_audit_on_postgresql, transactional_db, people, register, settings):
    k1, k2 = _key(), _key()
    settings.BRIDGEWAY_MASTER_KEYS = f"k1:{k1}"
    _notes(people, register, 7)
    before = _read_all()
    stale = sum(1 for values in _raw_columns().values() for v in values if v)
    assert stale > 2 * BATCH
    # The rotation goes column by column in this order, BATCH values at a time.
    first_batch = min(BATCH, next(n for values in _raw_columns().values()
                                  if (n := sum(1 for v in values if v))))
    both = f"k2:{k2},k1:{k1}"
    settings.BRIDGEWAY_MASTER_KEYS = both

    killed = run_command("crypto_rotate_keys", "--batch-size", str(BATCH),
                         env={"BRIDGEWAY_MASTER_KEYS": both, "BRIDGEWAY_TEST_DIE_AFTER": "1"})
    assert killed.returncode == KILLED, describe(killed)

    ids = _key_ids()
    rewrapped = sum(1 for values in _raw_columns().values() for v in values
                    if v and crypto.token_key_id(v) == "k2")
    # The first batch is committed, the killed one left nothing behind.
    assert rewrapped == first_batch
    assert set().union(*ids.values()) == {"k1", "k2"}
    assert _read_all() == before  # every value readable under the old or the new key
    settings.BRIDGEWAY_MASTER_KEYS = f"k1:{k1}"
    with pytest.raises(crypto.DecryptionError):
        _read_all()  # the old key alone no longer opens the re-wrapped values

    settings.BRIDGEWAY_MASTER_KEYS = both
    rerun = run_command("crypto_rotate_keys", "--batch-size", str(BATCH),
                        env={"BRIDGEWAY_MASTER_KEYS": both})
    assert rerun.returncode == 0, describe(rerun)
    assert f"total re-wrapped under key 'k2': {stale - first_batch}" in rerun.stdout
    assert all(found <= {"k2"} for found in _key_ids().values())
    settings.BRIDGEWAY_MASTER_KEYS = f"k2:{k2}"  # the old key can go
    assert _read_all() == before

    dry = run_command("crypto_rotate_keys", "--dry-run", env={"BRIDGEWAY_MASTER_KEYS": both})
    assert dry.returncode == 0 and "total to re-wrap under key 'k2': 0" in dry.stdout
