"""Test-only crash points for the "killed midway" tests.

A job that must survive being killed (the retention run, key rotation) calls
``kill_point(name)`` inside each unit of work, after its writes and before its commit.
With ``BRIDGEWAY_TEST_DIE_AFTER=N`` in the environment of a DEBUG or test process
(``settings.BRIDGEWAY_TEST_DIE_AFTER``), the process sends itself SIGKILL at the (N+1)-th
call for that name: N units are committed, the next one dies with its transaction open,
exactly as if an operator had killed it there. Anywhere else the call does nothing.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

from django.conf import settings

_passes: Counter[str] = Counter()


def kill_point(name: str) -> None:
    limit = getattr(settings, "BRIDGEWAY_TEST_DIE_AFTER", None)
    if not limit:
        return
    _passes[name] += 1
    if _passes[name] > limit:
        os.kill(os.getpid(), signal.SIGKILL)
