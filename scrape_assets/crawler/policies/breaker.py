"""The circuit breaker's state machine (pure logic, clock passed in), used by the breaker middleware.

CLOSED: results go into a sliding window; when at least `min_samples` results are in it and more
than `error_share` of them are failures (5xx or no response), the breaker OPENs for `open_seconds`.
It also OPENs on `consecutive_failures` failures in a row, however many good answers the window
holds: an outage after a long healthy stretch would otherwise take as many failures to show.
OPEN: nothing is sent until the pause ends; then one probe request is let through (HALF_OPEN).
HALF_OPEN: the probe succeeding CLOSEs the breaker (window cleared); failing re-OPENs it with the
pause doubled, up to `max_open_seconds`. Staying out of CLOSED for `outage_after` seconds in a row
is a target outage.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


@dataclass
class BreakerSettings:
    """The breaker's thresholds; their defaults are the target YAML's (`BreakerSpec`), set by the
    middleware."""

    window_seconds: float
    error_share: float
    min_samples: int
    open_seconds: float
    max_open_seconds: float
    outage_after: float
    probe_timeout: float
    consecutive_failures: int


@dataclass
class Breaker:
    """State, window and history of one target's breaker."""

    settings: BreakerSettings
    state: str = CLOSED
    window: deque = field(default_factory=deque)
    window_failures: int = 0  # failures in `window`, kept as results enter and leave it
    failure_run: int = 0  # failures in a row since the last good answer
    open_until: float = 0.0
    pause: float = 0.0
    down_since: float | None = None
    probe_sent_at: float | None = None
    transitions: list[tuple[float, str]] = field(default_factory=list)

    def _move(self, state: str, now: float) -> None:
        self.state = state
        self.transitions.append((now, state))

    def _open(self, now: float, pause: float) -> None:
        self.pause = pause
        self.open_until = now + pause
        self.probe_sent_at = None
        if self.down_since is None:
            self.down_since = now
        self._move(OPEN, now)

    def record(self, failed: bool, now: float, probe: bool = False) -> None:
        """Take the result of one request."""
        if self.state == HALF_OPEN and probe:
            if failed:
                self._open(now, min(self.pause * 2, self.settings.max_open_seconds))
            else:
                self.window.clear()
                self.window_failures = 0
                self.failure_run = 0
                self.down_since = None
                self.probe_sent_at = None
                self._move(CLOSED, now)
            return
        if self.state != CLOSED:
            return  # answers to requests sent before the breaker opened
        self.window.append((now, failed))
        self.window_failures += failed
        self.failure_run = self.failure_run + 1 if failed else 0
        while self.window and self.window[0][0] < now - self.settings.window_seconds:
            self.window_failures -= self.window.popleft()[1]
        samples = len(self.window)
        too_many = samples >= self.settings.min_samples and self.window_failures / samples > self.settings.error_share
        if too_many or self.failure_run >= self.settings.consecutive_failures:
            self.failure_run = 0
            self._open(now, self.settings.open_seconds)

    def allow(self, now: float) -> tuple[bool, float, bool]:
        """May a request go now? Returns (allowed, seconds to wait otherwise, is it the probe)."""
        if self.state == CLOSED:
            return True, 0.0, False
        if self.state == OPEN:
            if now < self.open_until:
                return False, self.open_until - now, False
            self._move(HALF_OPEN, now)
            self.probe_sent_at = now
            return True, 0.0, True
        # HALF_OPEN: one probe at a time; a lost probe is replaced after a while
        if self.probe_sent_at is not None and now - self.probe_sent_at > self.settings.probe_timeout:
            self.probe_sent_at = now
            return True, 0.0, True
        return False, 0.1, False

    def is_outage(self, now: float) -> bool:
        """True when the target has been down (breaker not closed) for `outage_after` seconds."""
        return self.down_since is not None and now - self.down_since >= self.settings.outage_after
