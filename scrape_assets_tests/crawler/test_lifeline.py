"""The crawler's lifeline (`crawler/lifeline.py`): its launcher's death is one graceful stop, however
many times the kernel says so. A multi-threaded launcher killed at once hands the crawler from a
dying thread to the next, and the kernel signals on each hand-over; here the thread that launched the
crawler ends first (one signal) and then the whole launcher is killed (another)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

# counts SIGTERMs (Scrapy's graceful stop, a second one its unclean shutdown); reports on request
CRAWLER = """
import signal, sys
from scrape_assets.crawler.lifeline import die_with_parent
stops = 0
def stop(signum, frame):
    global stops
    stops += 1
signal.signal(signal.SIGTERM, stop)
assert die_with_parent()
print("ready", flush=True)
sys.stdin.readline()
print("stops", stops, flush=True)
"""

# launches the crawler from a thread that ends once the crawler is ready, then lives on
LAUNCHER = """
import os, subprocess, sys, threading, time
def launch():
    crawler = subprocess.Popen(
        [sys.executable, "-c", sys.argv[1]],
        env={**os.environ, "SCRAPE_ASSETS_PARENT_PID": str(os.getpid())},
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    if crawler.stdout.readline().strip() != "ready":
        raise SystemExit("the crawler did not start")
    os.dup2(crawler.stdin.fileno(), 10)
    os.dup2(crawler.stdout.fileno(), 11)
    launched.append(crawler.pid)
launched = []
thread = threading.Thread(target=launch)
thread.start()
thread.join()  # the thread that launched the crawler has ended: the kernel has signalled it once
print(launched[0], flush=True)
time.sleep(600)
"""


def _parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _wait(condition, what: str, seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {seconds}s")
        time.sleep(0.05)


def test_a_launcher_killed_with_its_threads_stops_the_crawler_once():
    launcher = subprocess.Popen([sys.executable, "-c", LAUNCHER, CRAWLER], stdout=subprocess.PIPE, text=True)
    assert launcher.stdout is not None
    crawler_pid = int(launcher.stdout.readline())
    crawler_in = open(f"/proc/{launcher.pid}/fd/10", "w")  # the pipes the launcher keeps open
    crawler_out = open(f"/proc/{launcher.pid}/fd/11")
    try:
        os.kill(launcher.pid, signal.SIGKILL)
        launcher.wait()
        _wait(lambda: _parent_of(crawler_pid) != launcher.pid, "the crawler handed to init")
        crawler_in.write("report\n")
        crawler_in.flush()
        assert crawler_out.readline().split() == ["stops", "1"]
    finally:
        crawler_in.close()
        crawler_out.close()
        launcher.stdout.close()
        try:
            os.kill(crawler_pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
