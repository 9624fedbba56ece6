"""Domain parameters read from the environment are range-checked at startup: a non-integer,
zero or negative, or absurd value stops the server with ``ImproperlyConfigured`` naming the
variable and the allowed range (a typo must not silently move every case's deadline)."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from bridgeway.core.env import env_int_in, require_ordered

# (variable, default, minimum, maximum) exactly as settings.py reads them.
RANGED = [("BRIDGEWAY_PLAN_REVIEW_MONTHS", 3, 1, 12),
          ("FIRST_ASSESSMENT_HOURS_HIGH", 24, 1, 720),
          ("FIRST_ASSESSMENT_HOURS_MEDIUM", 72, 1, 720),
          ("FIRST_ASSESSMENT_HOURS_LOW", 168, 1, 720),
          ("BRIDGEWAY_APPROVAL_WAIT_DAYS", 7, 1, 90),
          ("BRIDGEWAY_IDLE_TIMEOUT", 900, 60, 86_400),
          ("BRIDGEWAY_DAILY_JOBS_HOUR", 1, 0, 23),
          ("BRIDGEWAY_JUSTICE_JOB_WORKERS", 2, 1, 64),
          ("BRIDGEWAY_BREAK_GLASS_HOURS", 3, 1, 24),
          ("BRIDGEWAY_REFERRAL_RESPONSE_HOURS", 72, 1, 720),
          ("BRIDGEWAY_CONSENT_MAX_DAYS", 365, 1, 1825),
          ("BRIDGEWAY_MIN_REASON_LENGTH", 20, 1, 500),
          ("BRIDGEWAY_CASE_RETENTION_YEARS", 10, 1, 100),
          ("BRIDGEWAY_MAX_TEXT", 10_000, 100, 1_000_000),
          ("BRIDGEWAY_ODK_MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024, 1024, 100 * 1024 * 1024)]
ASSESSMENT = ("FIRST_ASSESSMENT_HOURS_HIGH", "FIRST_ASSESSMENT_HOURS_MEDIUM",
              "FIRST_ASSESSMENT_HOURS_LOW")


def _startup(**env: str) -> subprocess.CompletedProcess[str]:
    """A real startup (settings imported, Django set up) with ``env`` added."""
    full = {**{k: v for k, v in os.environ.items()
               if not k.startswith(("BRIDGEWAY_", "FIRST_ASSESSMENT_HOURS_"))},
            **env, "DJANGO_SETTINGS_MODULE": "bridgeway.settings",
            "BRIDGEWAY_INSECURE_DEV_KEY": "1"}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import "
         "settings; print(settings.BRIDGEWAY_FIRST_ASSESSMENT_HOURS, "
         "settings.BRIDGEWAY_APPROVAL_WAIT_DAYS)"],
        env=full, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize(("name", "default", "low", "high"), RANGED)
def test_unset_or_empty_gives_the_default(monkeypatch, name, default, low, high):
    monkeypatch.delenv(name, raising=False)
    assert env_int_in(name, default, minimum=low, maximum=high) == default
    monkeypatch.setenv(name, "  ")
    assert env_int_in(name, default, minimum=low, maximum=high) == default


@pytest.mark.parametrize(("name", "default", "low", "high"), RANGED)
def test_values_at_both_ends_of_the_range_are_taken(monkeypatch, name, default, low, high):
    for value in (low, high):
        monkeypatch.setenv(name, f" {value} ")
        assert env_int_in(name, default, minimum=low, maximum=high) == value


@pytest.mark.parametrize(("name", "default", "low", "high"), RANGED)
@pytest.mark.parametrize("raw", ["abc", "2.5", "3 months", "1e3", "below", "-1", "-24",
                                 "above", "99999999999999999999"])
def test_bad_values_stop_startup_naming_the_variable_and_range(monkeypatch, name, default,
                                                               low, high, raw):
    outside = {"above": str(high + 1), "below": str(low - 1)}
    monkeypatch.setenv(name, outside.get(raw, raw))
    with pytest.raises(ImproperlyConfigured) as exc:
        env_int_in(name, default, minimum=low, maximum=high)
    assert name in str(exc.value)
    assert f"an integer from {low} to {high}" in str(exc.value)


def test_the_value_may_come_from_a_file(monkeypatch, tmp_path):
    path = tmp_path / "months"
    path.write_text("0\n")
    monkeypatch.setenv("BRIDGEWAY_PLAN_REVIEW_MONTHS_FILE", str(path))
    with pytest.raises(ImproperlyConfigured, match="BRIDGEWAY_PLAN_REVIEW_MONTHS"):
        env_int_in("BRIDGEWAY_PLAN_REVIEW_MONTHS", 3, minimum=1, maximum=12)


@pytest.mark.parametrize(("name", "raw"), [("BRIDGEWAY_PLAN_REVIEW_MONTHS", "24"),
                                           ("FIRST_ASSESSMENT_HOURS_HIGH", "0")])
def test_settings_read_them_through_the_check(name, raw):
    """One real startup per kind of parameter: settings.py uses the checked helper."""
    done = _startup(**{name: raw})
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr and name in done.stderr


SETTINGS_PY = Path(__file__).resolve().parents[2] / "src" / "bridgeway" / "settings.py"


def _read_settings(monkeypatch: Any, **env: str) -> dict[str, Any]:
    """settings.py executed afresh with ``env`` (Django's own settings are not touched)."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS_PY))


def test_no_integer_bridgeway_setting_is_read_unchecked():
    assert 'env_int("BRIDGEWAY_' not in SETTINGS_PY.read_text(encoding="utf-8")


@pytest.mark.parametrize(("name", "default", "low", "high"), RANGED)
def test_settings_py_checks_each_with_its_range(monkeypatch, name, default, low, high):
    setting = name if name.startswith("BRIDGEWAY_") else "BRIDGEWAY_FIRST_ASSESSMENT_HOURS"
    for value in (low, high):
        if name.startswith("FIRST_ASSESSMENT_HOURS_"):  # keep HIGH <= MEDIUM <= LOW
            for other in ASSESSMENT:
                monkeypatch.setenv(other, str(value))
        read = _read_settings(monkeypatch, **{name: str(value)})[setting]
        assert (read[name.rsplit("_", 1)[1].lower()] if isinstance(read, dict)
                else read) == value
    for value in (low - 1, high + 1):
        with pytest.raises(ImproperlyConfigured,
                           match=f"{name} must be an integer from {low} to {high}"):
            _read_settings(monkeypatch, **{name: str(value)})


def test_a_bad_approval_wait_stops_a_real_startup():
    done = _startup(BRIDGEWAY_APPROVAL_WAIT_DAYS="0")
    assert done.returncode != 0
    assert "BRIDGEWAY_APPROVAL_WAIT_DAYS must be an integer from 1 to 90" in done.stderr


def test_valid_values_start_the_server():
    done = _startup(BRIDGEWAY_APPROVAL_WAIT_DAYS="14", FIRST_ASSESSMENT_HOURS_HIGH="12",
                    FIRST_ASSESSMENT_HOURS_MEDIUM="12", FIRST_ASSESSMENT_HOURS_LOW="96")
    assert done.returncode == 0, done.stderr
    assert "{'high': 12, 'medium': 12, 'low': 96} 14" in done.stdout


@pytest.mark.parametrize(("env", "named"), [
    ({"FIRST_ASSESSMENT_HOURS_HIGH": "100"},  # above the default medium (72)
     ("FIRST_ASSESSMENT_HOURS_HIGH (100)", "FIRST_ASSESSMENT_HOURS_MEDIUM (72)")),
    ({"FIRST_ASSESSMENT_HOURS_MEDIUM": "12"},
     ("FIRST_ASSESSMENT_HOURS_HIGH (24)", "FIRST_ASSESSMENT_HOURS_MEDIUM (12)")),
    ({"FIRST_ASSESSMENT_HOURS_LOW": "48"},
     ("FIRST_ASSESSMENT_HOURS_MEDIUM (72)", "FIRST_ASSESSMENT_HOURS_LOW (48)")),
    ({"FIRST_ASSESSMENT_HOURS_HIGH": "168", "FIRST_ASSESSMENT_HOURS_LOW": "24"},
     ("FIRST_ASSESSMENT_HOURS_HIGH (168)", "FIRST_ASSESSMENT_HOURS_MEDIUM (72)"))])
def test_inverted_first_assessment_hours_stop_startup(env, named):
    """A high-risk child is assessed first: HIGH <= MEDIUM <= LOW, or no server."""
    done = _startup(**env)
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr
    for text in named:
        assert text in done.stderr
    assert "a higher-risk child is assessed first" in done.stderr


def test_the_order_rule_names_the_variables_and_accepts_equal_values():
    require_ordered(("A", 1), ("B", 1), ("C", 2), meaning="m")
    with pytest.raises(ImproperlyConfigured) as exc:
        require_ordered(("A", 1), ("B", 3), ("C", 2), meaning="m")
    assert str(exc.value) == "B (3) must not be greater than C (2): A <= B <= C (m)."
