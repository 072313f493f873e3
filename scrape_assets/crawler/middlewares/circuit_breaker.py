"""Per-target circuit breaker: pause the target when most recent answers are 5xx, probe, resume.

Settings (set from `breaker:` in the target YAML; unset, its defaults, `BreakerSpec`):
- `SCRAPE_ASSETS_BREAKER_WINDOW` (seconds, 120), `SCRAPE_ASSETS_BREAKER_ERROR_SHARE` (0.5),
  `SCRAPE_ASSETS_BREAKER_MIN_SAMPLES` (20), `SCRAPE_ASSETS_BREAKER_OPEN_SECONDS` (10, doubled on
  each failed probe), `SCRAPE_ASSETS_BREAKER_MAX_OPEN_SECONDS` (300),
  `SCRAPE_ASSETS_BREAKER_CONSECUTIVE_FAILURES` (30): failures in a row that open it whatever the
  window's share, `SCRAPE_ASSETS_BREAKER_OUTAGE_AFTER` (900): open this long in a row ends the crawl as a target
  outage (close reason `TargetOutage.kind`), keeping every page already stored.
While the breaker is open, requests wait here (not sent); a request that got a 5xx or no answer
while the target is down is re-queued without spending one of its tries.
Stats: `breaker/opened`, `breaker/closed`, `breaker/requeued`, `breaker/transitions`.
"""

from __future__ import annotations

import asyncio
import time
from typing import Self

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from scrape_assets.crawler.extensions.progress import pipes_log
from scrape_assets.crawler.failures import TargetOutage
from scrape_assets.crawler.policies.breaker import CLOSED, OPEN, Breaker, BreakerSettings
from scrape_assets.target_config.models import BreakerSpec


class CircuitBreakerMiddleware:
    """Downloader middleware wrapping one `Breaker` for the crawl's target."""

    def __init__(self, crawler: Crawler, settings: BreakerSettings):
        self.crawler = crawler
        self.breaker = Breaker(settings)
        self.started = time.monotonic()
        self.outage_declared = False
        crawler.signals.connect(self._spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        s, default = crawler.settings, BreakerSpec()  # unset settings take the YAML's defaults
        return cls(
            crawler,
            BreakerSettings(
                window_seconds=s.getfloat("SCRAPE_ASSETS_BREAKER_WINDOW", default.window_seconds),
                error_share=s.getfloat("SCRAPE_ASSETS_BREAKER_ERROR_SHARE", default.error_share),
                min_samples=s.getint("SCRAPE_ASSETS_BREAKER_MIN_SAMPLES", default.min_samples),
                open_seconds=s.getfloat("SCRAPE_ASSETS_BREAKER_OPEN_SECONDS", default.open_seconds),
                max_open_seconds=s.getfloat("SCRAPE_ASSETS_BREAKER_MAX_OPEN_SECONDS", default.max_open_seconds),
                outage_after=s.getfloat("SCRAPE_ASSETS_BREAKER_OUTAGE_AFTER", default.outage_after_seconds),
                probe_timeout=s.getfloat("DOWNLOAD_TIMEOUT") + 5.0,  # Scrapy's own default when unset
                consecutive_failures=s.getint(
                    "SCRAPE_ASSETS_BREAKER_CONSECUTIVE_FAILURES", default.consecutive_failures
                ),
            ),
        )

    def _note_transition(self, before: str) -> None:
        after = self.breaker.state
        if after == before:
            return
        stats = self.crawler.stats
        if after == OPEN and before == CLOSED:
            stats.inc_value("breaker/opened")
            pipes_log(f"circuit breaker OPEN for {self.breaker.pause:.1f}s: most recent answers are errors")
        elif after == OPEN:
            stats.inc_value("breaker/reopened")
            pipes_log(f"circuit breaker probe failed; open again for {self.breaker.pause:.1f}s")
        elif after == CLOSED:
            stats.inc_value("breaker/closed")
            pipes_log("circuit breaker CLOSED: the probe succeeded, crawling resumes")

    async def _declare_outage(self) -> None:
        if self.outage_declared:
            return
        self.outage_declared = True
        self.crawler.stats.set_value("breaker/outage", 1)
        pipes_log(
            f"target outage: circuit breaker open for over {self.breaker.settings.outage_after:.0f}s; "
            "ending the crawl, stored pages are kept"
        )
        await self.crawler.engine.close_spider_async(reason=TargetOutage.kind)

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        while True:
            now = time.monotonic()
            if self.breaker.is_outage(now):
                asyncio.ensure_future(self._declare_outage())
                raise IgnoreRequest(f"target outage: breaker open for over {self.breaker.settings.outage_after:.0f}s")
            before = self.breaker.state
            allowed, wait, probe = self.breaker.allow(now)
            if before != self.breaker.state:
                self.crawler.stats.inc_value("breaker/probes")
            if allowed:
                if probe:
                    request.meta["breaker_probe"] = True
                return None
            await asyncio.sleep(min(wait, 1.0))

    def _record(self, request: Request, failed: bool) -> Request | None:
        before = self.breaker.state
        probe = request.meta.pop("breaker_probe", False)
        self.breaker.record(failed, time.monotonic(), probe=probe)
        self._note_transition(before)
        if failed and self.breaker.state != CLOSED:
            self.crawler.stats.inc_value("breaker/requeued")
            return request.replace(dont_filter=True)
        return None

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        return self._record(request, 500 <= response.status < 600) or response

    def process_exception(self, request: Request, exception: Exception, spider: Spider | None = None) -> Request | None:
        # Through a proxy, a connection error is the proxy's (the pool benches it), not the target's.
        if isinstance(exception, IgnoreRequest) or request.meta.get("proxy_pool_url"):
            return None
        return self._record(request, True)

    def _spider_closed(self, spider: Spider, reason: str) -> None:
        self.crawler.stats.set_value(
            "breaker/transitions", [(round(t - self.started, 3), state) for t, state in self.breaker.transitions]
        )
