"""Domain parameters read from the environment are range-checked at startup: a non-integer,
zero or negative, or absurd value stops the server with ``ImproperlyConfigured`` naming the
variable and the allowed range (a typo must not silently move every case's deadline)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from bridgeway.core.env import env_int_in

# (variable, default, minimum, maximum) exactly as settings.py reads them.
RANGED = [("BRIDGEWAY_PLAN_REVIEW_MONTHS", 3, 1, 12),
          ("FIRST_ASSESSMENT_HOURS_HIGH", 24, 1, 720),
          ("FIRST_ASSESSMENT_HOURS_MEDIUM", 72, 1, 720),
          ("FIRST_ASSESSMENT_HOURS_LOW", 168, 1, 720)]


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
@pytest.mark.parametrize("raw", ["abc", "2.5", "3 months", "1e3", "0", "-1", "-24",
                                 "above", "99999999999999999999"])
def test_bad_values_stop_startup_naming_the_variable_and_range(monkeypatch, name, default,
                                                               low, high, raw):
    monkeypatch.setenv(name, str(high + 1) if raw == "above" else raw)
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
    env = {**os.environ, name: raw, "DJANGO_SETTINGS_MODULE": "bridgeway.settings",
           "BRIDGEWAY_INSECURE_DEV_KEY": "1"}
    done = subprocess.run([sys.executable, "-c", "import django; django.setup()"],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr and name in done.stderr
