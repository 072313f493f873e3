"""Health of a target's proxy pool, checked from the orchestrator with one small request per proxy."""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass

from scrape_assets.crawler.policies.proxy_rotation import redact


@dataclass(frozen=True)
class ProxyCheck:
    """One proxy's answer to the health URL: `healthy`, and why not."""

    proxy: str
    healthy: bool
    detail: str


def check_proxy(proxy_url: str, health_url: str, timeout: float = 5.0) -> ProxyCheck:
    """GET `health_url` through the proxy; healthy on a 2xx answer."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": proxy_url, "https": proxy_url}))
    try:
        with opener.open(health_url, timeout=timeout) as response:
            return ProxyCheck(redact(proxy_url), 200 <= response.status < 300, f"HTTP {response.status}")
    except urllib.error.HTTPError as exc:
        return ProxyCheck(redact(proxy_url), False, f"HTTP {exc.code}")
    except (urllib.error.URLError, OSError) as exc:
        return ProxyCheck(redact(proxy_url), False, f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}")
