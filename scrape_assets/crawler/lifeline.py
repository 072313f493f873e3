"""The crawler dies with the process that launched it.

A launcher that runs the crawler as its child sets `SCRAPE_ASSETS_PARENT_PID` to its own pid. On
Linux the crawler then asks the kernel for a signal when that parent exits (`prctl(PR_SET_PDEATHSIG)`)
and turns it into one SIGTERM, which Scrapy takes as a graceful stop: requests in flight finish and
are stored. One, not several: the kernel signals again each time the crawler passes from a dying
thread of its parent to another (a multi-threaded run process killed at once), and a second SIGTERM
is Scrapy's unclean shutdown, which would lose the pages in flight. A parent already gone before the
request is noticed at once. In a pod (no such variable) the pod's own lifecycle applies.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from types import FrameType

PARENT_PID_VARIABLE = "SCRAPE_ASSETS_PARENT_PID"
PARENT_DEATH_SIGNAL = signal.SIGHUP  # the parent "hung up"; Scrapy and Twisted leave it alone
_PR_SET_PDEATHSIG = 1


def _stop_once(signum: int, frame: FrameType | None) -> None:
    signal.signal(PARENT_DEATH_SIGNAL, signal.SIG_IGN)
    os.kill(os.getpid(), signal.SIGTERM)


def die_with_parent() -> bool:
    """Arrange one SIGTERM on the launcher's death; False when the launcher is already gone."""
    expected = os.environ.get(PARENT_PID_VARIABLE)
    if not expected:
        return True
    if sys.platform.startswith("linux"):
        signal.signal(PARENT_DEATH_SIGNAL, _stop_once)  # before the request: never the default (exit)
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, PARENT_DEATH_SIGNAL, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    return os.getppid() == int(expected)
