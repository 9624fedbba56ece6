"""The test-only crash point is inert in production: ``BRIDGEWAY_TEST_DIE_AFTER`` is read
only by a DEBUG or test process (the "killed midway" tests start such a process)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.process_support import PROJECT_DIR

READ = "import bridgeway.settings as s; print(s.BRIDGEWAY_TEST_DIE_AFTER)"


@pytest.mark.parametrize("debug,testing,expected", [
    ("0", "0", "None"),  # production: ignored, whatever the environment says
    ("1", "0", "2"),
    ("0", "1", "2"),
])
def test_die_after_is_honoured_only_in_debug_or_test_processes(debug, testing, expected):
    env = {**os.environ, "DEBUG": debug, "BRIDGEWAY_TESTING": testing,
           "SECRET_KEY": "k" * 50, "BRIDGEWAY_TEST_DIE_AFTER": "2"}
    result = subprocess.run([sys.executable, "-c", READ], env=env, cwd=PROJECT_DIR,  # noqa: S603
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_kill_point_does_nothing_without_the_setting(settings):
    from bridgeway.core.kill_points import kill_point

    settings.BRIDGEWAY_TEST_DIE_AFTER = None
    for _ in range(3):
        kill_point("retention")  # still alive
