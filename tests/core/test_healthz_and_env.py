from __future__ import annotations

import base64

import pytest

from bridgeway.core import env


def test_healthz_answers_small_json(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert len(response.content) < 100


@pytest.mark.parametrize("raw,expected", [("true", True), ("0", False), ("", True)])
def test_env_bool(monkeypatch, raw, expected):
    monkeypatch.setenv("BW_TEST_FLAG", raw)
    assert env.env_bool("BW_TEST_FLAG", True) is expected


def test_env_bool_rejects_garbage(monkeypatch):
    monkeypatch.setenv("BW_TEST_FLAG", "maybe")
    with pytest.raises(ValueError):
        env.env_bool("BW_TEST_FLAG", False)


def test_secret_from_file(monkeypatch, tmp_path):
    secret = tmp_path / "key"
    secret.write_text("s3cret\n")
    monkeypatch.setenv("BW_TEST_SECRET_FILE", str(secret))
    assert env.env_str("BW_TEST_SECRET", "") == "s3cret"


def test_env_int_and_list(monkeypatch):
    monkeypatch.setenv("BW_TEST_INT", "x")
    with pytest.raises(ValueError):
        env.env_int("BW_TEST_INT", 1)
    monkeypatch.setenv("BW_TEST_LIST", "a, b,,c")
    assert env.env_list("BW_TEST_LIST", []) == ["a", "b", "c"]


def test_production_settings_require_secret_key(tmp_path):
    """Outside DEBUG, settings refuse to start without a SECRET_KEY."""
    import os
    import subprocess
    import sys

    environment = {k: v for k, v in os.environ.items()
                   if k not in {"SECRET_KEY", "BRIDGEWAY_INSECURE_DEV_KEY", "DEBUG"}}
    environment.update({"BRIDGEWAY_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE":
                        "bridgeway.settings"})
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"],
                            env=environment, capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_settings_pass_check_deploy(tmp_path):
    import os
    import subprocess
    import sys

    # Browser tests in the same run may have set DJANGO_ALLOW_ASYNC_UNSAFE (not production).
    environment = {k: v for k, v in os.environ.items()
                   if k not in {"BRIDGEWAY_INSECURE_DEV_KEY", "DEBUG", "BRIDGEWAY_TESTING",
                                "DJANGO_ALLOW_ASYNC_UNSAFE", "BRIDGEWAY_MASTER_KEYS",
                                "BRIDGEWAY_BLIND_INDEX_KEY"}}
    master = tmp_path / "master_keys"  # secrets as *_FILE, as a container would mount them
    master.write_text("prod1:" + base64.b64encode(b"m" * 32).decode() + "\n")
    environment.update({"BRIDGEWAY_VAR_DIR": str(tmp_path),
                        "SECRET_KEY": "k" * 20 + "-production-like-secret-key-for-test-0123456789",
                        "ALLOWED_HOSTS": "bridgeway.example.org",
                        "BRIDGEWAY_MASTER_KEYS_FILE": str(master),
                        "BRIDGEWAY_BLIND_INDEX_KEY": "blind-index-key-for-the-test"})
    command = [sys.executable, "-m", "django", "check", "--deploy",
               "--fail-level", "WARNING", "--settings=bridgeway.settings"]
    result = subprocess.run(command, env=environment, capture_output=True, text=True,  # noqa: S603
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    # Without the encryption keys, production refuses to start.
    del environment["BRIDGEWAY_MASTER_KEYS_FILE"], environment["BRIDGEWAY_BLIND_INDEX_KEY"]
    result = subprocess.run(command, env=environment, capture_output=True, text=True,  # noqa: S603
                            check=False)
    assert result.returncode != 0
    assert "bridgeway.E001" in result.stderr and "bridgeway.E002" in result.stderr
