"""A proxy pool's health (pure logic, clock passed in), used by the proxy pool middleware.

Proxies are handed out round-robin. A proxy that fails (connection error, or a ban status from the
target through it) is benched for `bench_seconds`, doubled on each consecutive failure, then tried
again: the next request through it is its health check. A success clears its strikes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit


def redact(url: str) -> str:
    """host:port of a proxy URL, never its credentials (for logs and metadata)."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)


@dataclass
class ProxyHealth:
    url: str
    strikes: int = 0
    benched_until: float = 0.0
    used: int = 0
    failures: int = 0


@dataclass
class ProxyRotation:
    """The proxies in turn, each with its health; `bench_seconds` is the YAML's (`proxies.bench_seconds`)."""

    urls: list[str]
    bench_seconds: float
    proxies: list[ProxyHealth] = field(init=False)
    _next: int = 0

    def __post_init__(self) -> None:
        self.proxies = [ProxyHealth(url) for url in self.urls]

    def healthy(self, now: float) -> list[ProxyHealth]:
        return [p for p in self.proxies if p.benched_until <= now]

    def pick(self, now: float) -> str | None:
        """The next usable proxy, or None when every proxy is benched."""
        for offset in range(len(self.proxies)):
            proxy = self.proxies[(self._next + offset) % len(self.proxies)]
            if proxy.benched_until <= now:
                self._next = (self._next + offset + 1) % len(self.proxies)
                proxy.used += 1
                return proxy.url
        return None

    def _get(self, url: str) -> ProxyHealth:
        return next(p for p in self.proxies if p.url == url)

    def failed(self, url: str, now: float) -> float:
        """Bench a proxy; returns how long."""
        proxy = self._get(url)
        proxy.failures += 1
        proxy.strikes += 1
        bench = self.bench_seconds * 2 ** (proxy.strikes - 1)
        proxy.benched_until = now + bench
        return bench

    def succeeded(self, url: str) -> None:
        self._get(url).strikes = 0

    def seconds_until_one_returns(self, now: float) -> float:
        return max(0.0, min((p.benched_until for p in self.proxies), default=0.0) - now)

    def report(self) -> list[dict]:
        return [
            {"proxy": redact(p.url), "used": p.used, "failures": p.failures, "strikes": p.strikes} for p in self.proxies
        ]
