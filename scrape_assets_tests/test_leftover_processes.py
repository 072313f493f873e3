"""The suite's own guard: a process a test started and left running fails the session, and is killed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

LEAKY_TEST = """
import subprocess, sys

def test_starts_a_process_that_ignores_sigterm_and_leaves_it():
    subprocess.Popen([sys.executable, "-c",
                      "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"])
"""


def test_a_process_left_behind_by_a_test_fails_the_session_and_is_killed(tmp_path: Path):
    (tmp_path / "test_leaky.py").write_text(LEAKY_TEST)
    env = {**os.environ, "SCRAPE_ASSETS_TEST_LEFTOVER_GRACE": "2"}
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "scrape_assets_tests.conftest",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(tmp_path),
            "-c",
            os.devnull,
            str(tmp_path / "test_leaky.py"),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert completed.returncode == 1, completed.stdout[-3000:]
    assert "1 passed" in completed.stdout
    assert "1 process(es) started by the tests outlived them (now killed)" in completed.stdout
    leaked = re.search(r"pid (\d+): .*SIGTERM", completed.stdout)
    assert leaked is not None, completed.stdout[-3000:]
    pid = int(leaked.group(1))
    assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1][:3]
