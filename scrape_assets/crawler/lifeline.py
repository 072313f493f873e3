"""The crawler dies with the process that launched it.

A launcher that runs the crawler as its child sets `SCRAPE_ASSETS_PARENT_PID` to its own pid. On
Linux the crawler then asks the kernel for SIGTERM when that parent exits (`prctl(PR_SET_PDEATHSIG)`),
which Scrapy takes as a graceful stop. A parent already gone before the request is noticed at once.
In a pod (no such variable) the pod's own lifecycle applies.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PARENT_PID_VARIABLE = "SCRAPE_ASSETS_PARENT_PID"
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> bool:
    """Arrange SIGTERM on the launcher's death; False when the launcher is already gone."""
    expected = os.environ.get(PARENT_PID_VARIABLE)
    if not expected:
        return True
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    return os.getppid() == int(expected)
