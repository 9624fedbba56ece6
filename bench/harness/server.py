"""A production-like server on loopback for the end-to-end measurements: gunicorn (gthread
workers), DEBUG off, static files collected into a temporary STATIC_ROOT and served by
WhiteNoise with hashed names and precompressed (gzip/brotli) copies, GZip middleware on
pages. HTTPS-only settings are switched off because loopback has no TLS; two-factor login
is off (the load clients log in with a password or a session); the API's per-user throttle
is raised so 50 simulated users sharing accounts measure the server, not the throttle."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.harness.common import ROOT

WORKERS = 3
THREADS = 4
# Longer than the simulated users' think time: with gunicorn's default (2 s) the server
# closes a kept-alive connection just as a client reuses it, and the client sees a
# dropped connection that is not the application's doing.
KEEP_ALIVE = 15


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(static_root: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost", "STATIC_ROOT": static_root,
        "BRIDGEWAY_REQUIRE_MFA": "false", "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false", "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0", "SECURE_HSTS_PRELOAD": "false",
        "API_THROTTLE_USER": "100000000/hour", "LOG_LEVEL": "ERROR",
        "DJANGO_SETTINGS_MODULE": "bridgeway.settings",
    })
    env.pop("BRIDGEWAY_TESTING", None)
    env.pop("BRIDGEWAY_INSECURE_DEV_KEY", None)
    return env


@contextmanager
def production_server(static_root: str) -> Iterator[str]:
    """Yield the base URL of a running gunicorn serving the static files collected in
    ``static_root``; stop it (only it) afterwards."""
    env = server_env(static_root)
    python = sys.executable
    port = _free_port()
    gunicorn = str(Path(python).parent / "gunicorn")
    proc = subprocess.Popen(
        [gunicorn, "bridgeway.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--worker-class", "gthread", "--workers", str(WORKERS), "--threads", str(THREADS),
         "--timeout", "120", "--keep-alive", str(KEEP_ALIVE), "--log-level", "error"],
        env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.5)
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def describe() -> dict[str, object]:
    return {"server": "gunicorn", "worker_class": "gthread", "workers": WORKERS,
            "threads": THREADS, "keep_alive_s": KEEP_ALIVE, "debug": False,
            "static": "collectstatic + WhiteNoise CompressedManifestStaticFilesStorage",
            "compression": "django.middleware.gzip.GZipMiddleware (pages); precompressed "
                           "static files", "mfa": "off (bench only)",
            "api_throttle": "raised (bench only)"}
