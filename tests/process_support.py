"""Run a real management command in its own process against the test database.

For the "killed midway" tests: the rows a transactional test commits are visible to a
second process on PostgreSQL (the SQLite test database lives in memory, so these tests
are PostgreSQL only). The child process reads the test database's connection settings
from ``DATABASE_URL``, as ``bridgeway.settings`` does in production, and runs as a test
process (``BRIDGEWAY_TESTING``), so ``BRIDGEWAY_TEST_DIE_AFTER`` is honoured there.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

PROJECT_DIR = Path(__file__).resolve().parent.parent
KILLED = -signal.SIGKILL  # subprocess's return code for a process ended by SIGKILL


def shared_database_url() -> str:
    """The URL of the database this test runs on (the ``test_…`` one, not the
    configured one)."""
    from django.db import connection

    s = connection.settings_dict
    if connection.vendor != "postgresql":
        raise RuntimeError("a second process can only share a PostgreSQL test database")
    auth = quote(s["USER"] or "", safe="")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"], safe="")
    host = s["HOST"] or "localhost"
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{quote(s['NAME'], safe='')}"


def run_command(*args: str, env: dict[str, str] | None = None,
                timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """``python -m django <args>`` in a new process on the test database."""
    child_env = {**os.environ, "DATABASE_URL": shared_database_url(),
                 "DJANGO_SETTINGS_MODULE": "bridgeway.settings", "BRIDGEWAY_TESTING": "1",
                 "BRIDGEWAY_INSECURE_DEV_KEY": "1", "DB_CONN_MAX_AGE": "0"}
    child_env.pop("BRIDGEWAY_TEST_DIE_AFTER", None)
    child_env.update(env or {})
    return subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "django", *args, "--settings=bridgeway.settings"],
        env=child_env, cwd=PROJECT_DIR, capture_output=True, text=True, timeout=timeout,
        check=False)


def describe(result: subprocess.CompletedProcess[Any]) -> str:
    return f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
