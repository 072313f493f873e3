"""What a process has cost so far, as it reports it about itself (crawlers, extraction workers)."""

from __future__ import annotations

import os
from pathlib import Path


def peak_rss_mib() -> float:
    """This process's peak resident memory in MiB since it started (`VmHWM`: unlike `ru_maxrss`, not
    inflated by the parent's pages before exec); 0.0 where /proc is missing."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def cpu_seconds() -> float:
    """CPU time (user + system) this process has used so far: for a crawler, what the crawl itself
    costs apart from the orchestration around it (bench/control_plane.py subtracts it)."""
    times = os.times()
    return round(times.user + times.system, 3)
