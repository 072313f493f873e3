"""Processes the tests start: stopped for sure, and none left behind when the session ends.

Every process started during a session inherits `SESSION_VARIABLE` (set once in conftest), so the
processes of this session can be found even after they were orphaned (their parent killed, they were
reparented to PID 1), and told apart from those of any other session running beside it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from dagster_pipes import decode_param

SESSION_VARIABLE = "SCRAPE_ASSETS_TEST_SESSION"
# helpers Python's multiprocessing starts for the test process itself (Dagster's multiprocess executor
# uses it): they belong to the session's own process and exit with it, so they are not leftovers
_INTERPRETER_HELPERS = (
    "from multiprocessing.resource_tracker import main",
    "from multiprocessing.forkserver import main",
)


def stop(process: subprocess.Popen, grace_seconds: float = 30.0, group: bool = False) -> None:
    """SIGTERM (to its process group when it leads one), then SIGKILL if it is still there after the
    grace: a process that ignores SIGTERM is stopped too."""
    if process.poll() is not None:
        return
    send = (lambda sig: os.killpg(process.pid, sig)) if group else process.send_signal
    try:
        send(signal.SIGTERM)
        process.wait(timeout=grace_seconds)
    except subprocess.TimeoutExpired:
        send(signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        process.wait()


def session_processes(session: str) -> list[tuple[int, str]]:
    """(pid, command line) of live processes, other than this one, started in the given session."""
    marker = f"{SESSION_VARIABLE}={session}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:  # exited meanwhile
            continue
        state, parent = stat.rsplit(")", 1)[1].split()[:2]
        helper = int(parent) == os.getpid() and any(mark in command for mark in _INTERPRETER_HELPERS)
        if state != "Z" and not helper:
            found.append((int(entry.name), command))
    return found


def leftovers(session: str, grace_seconds: float = 30.0) -> list[tuple[int, str]]:
    """Processes of the session still alive once the grace has passed (polled: exiting ones may)."""
    deadline = time.monotonic() + grace_seconds
    left = session_processes(session)
    while left and time.monotonic() < deadline:
        time.sleep(0.5)
        left = session_processes(session)
    return left


def dev_command(ui_port: int, site_port: int, products: int) -> list[str]:
    """`make dev`'s command on these ports, with default signal handling: its SIGTERM, forwarded to
    `dagster dev` as SIGINT, stops it whatever shell started the tests."""
    return [
        "env",
        "--default-signal=INT,QUIT",
        sys.executable,
        "-m",
        "scrape_assets.dev",
        "--port",
        str(ui_port),
        "--site-port",
        str(site_port),
        "--products",
        str(products),
    ]


def pipes_extras(pid: int) -> dict | None:
    """The Pipes extras a crawler process was started with (its job: mode, shard, page store...), read
    from its bootstrap environment; None for a process that is not a crawler (or is gone)."""
    try:
        if b"scrape_assets.crawler" not in Path(f"/proc/{pid}/cmdline").read_bytes():
            return None
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return None
    encoded = next((e.split(b"=", 1)[1] for e in environ if e.startswith(b"DAGSTER_PIPES_CONTEXT=")), None)
    if encoded is None:
        return None
    params = decode_param(encoded.decode())
    try:
        context = json.loads(Path(params["path"]).read_text()) if "path" in params else params["data"]
    except (OSError, ValueError):
        return None
    return context.get("extras") or {}
