"""Headless Chromium for browser tests (Playwright with the system's /usr/bin/chromium).

Use the ``browser`` and ``live_server`` fixtures (re-export them from a conftest:
``from tests.browser_support import browser, chromium_path, live_server  # noqa: F401``). Without Chromium or Playwright the test is
skipped with the reason, except under ``CI=true`` where a missing component fails the run.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("BRIDGEWAY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def missing(reason: str) -> None:
    """Skip, or fail under CI=true (where every component must be present)."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (required under CI=true)")
    pytest.skip(reason)


@pytest.fixture
def chromium_path() -> str:
    if not Path(CHROMIUM).exists():
        missing(f"headless Chromium not found at {CHROMIUM}")
    return CHROMIUM


@pytest.fixture
def browser(chromium_path: str) -> Iterator[Any]:
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the
    # test itself (fixtures, assertions) are still synchronous and safe here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("the playwright package is not installed")
    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS,
                                      headless=True)
        try:
            yield instance
        finally:
            instance.close()


# --- a live server per browser test --------------------------------------------------------

def _audit_trigger_sql() -> Any:
    return importlib.import_module("bridgeway.audit.migrations.0002_append_only_triggers")


def _run_sql(statements: list[str]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def _let_flush_clear_audit_log() -> None:
    """A transactional test ends with ``flush``, which deletes every row — and the audit
    log's append-only triggers refuse that. Drop them for the flush and put them back as
    soon as it is done (``flush`` sends ``post_migrate`` when it has finished)."""
    from django.db import connection
    from django.db.models.signals import post_migrate

    sql = _audit_trigger_sql()
    create = {"sqlite": sql.SQLITE, "postgresql": sql.POSTGRES}.get(connection.vendor)
    drop = {"sqlite": sql.SQLITE_DROP, "postgresql": sql.POSTGRES_DROP}.get(connection.vendor)
    if not create or not drop:
        return
    _run_sql(drop)

    def restore(**kwargs: Any) -> None:
        post_migrate.disconnect(dispatch_uid="bridgeway.tests.restore_audit_triggers")
        _run_sql(create)

    post_migrate.connect(restore, weak=False,
                         dispatch_uid="bridgeway.tests.restore_audit_triggers")


@pytest.fixture
def live_server(settings: Any) -> Iterator[Any]:
    """pytest-django's live server, but one per test and started AFTER the test's settings:
    middleware reads settings once when the server starts, and the session-wide server would
    keep production's HTTPS redirect and secure-only cookies, which plain-HTTP localhost
    cannot use."""
    from pytest_django.live_server_helper import LiveServer

    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.SECURE_HSTS_SECONDS = 0
    server = LiveServer(os.environ.get("DJANGO_LIVE_TEST_SERVER_ADDRESS", "localhost"))
    try:
        yield server
    finally:
        server.stop()
        _let_flush_clear_audit_log()
