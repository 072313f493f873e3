"""Send requests through a pool of HTTP proxies, benching dead or banned ones.

Settings (from `proxies:` in the target YAML; unset, its defaults, `ProxySpec`):
- `SCRAPE_ASSETS_PROXY_URLS` (list; empty = direct connections, the middleware is off).
- `SCRAPE_ASSETS_PROXY_BAN_STATUSES` (list): answers that mean "this proxy is banned".
- `SCRAPE_ASSETS_PROXY_BENCH_SECONDS`: first bench; doubled on each consecutive failure.
- `SCRAPE_ASSETS_PROXY_EXHAUSTED_TIMEOUT`: when every proxy stays benched this long, the crawl ends
  (close reason `ProxyPoolExhausted.kind`), keeping every page already stored.
When every proxy is benched the fetch pauses (requests wait here) and an alert is logged to the
Dagster run at ERROR level. A request that failed because of its proxy (or got a block page,
flagged by the soft-ban middleware) is re-queued through another proxy without spending one of its
tries. Runs before Scrapy's HttpProxyMiddleware, which applies
`request.meta["proxy"]`. Stats: `proxy/banned`, `proxy/dead`, `proxy/exhausted_alerts`, `proxy/pool`.
"""

from __future__ import annotations

import asyncio
import time
from typing import Self

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response

from scrape_assets.crawler.extensions.progress import pipes_log
from scrape_assets.crawler.failures import ProxyPoolExhausted
from scrape_assets.crawler.middlewares.soft_ban import SOFT_BAN_FLAG
from scrape_assets.crawler.policies.proxy_rotation import ProxyRotation, redact
from scrape_assets.target_config.models import ProxySpec


class ProxyPoolMiddleware:
    """Downloader middleware assigning a healthy proxy to each request."""

    def __init__(self, crawler: Crawler, pool: ProxyRotation, ban_statuses: set[int], exhausted_timeout: float):
        self.crawler = crawler
        self.pool = pool
        self.ban_statuses = ban_statuses
        self.exhausted_timeout = exhausted_timeout
        self.exhausted_since: float | None = None
        self.closing = False
        crawler.signals.connect(self._spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        s = crawler.settings
        urls = s.getlist("SCRAPE_ASSETS_PROXY_URLS")
        if not urls:
            raise NotConfigured("no proxies: direct connections")
        default = ProxySpec()  # unset settings take the YAML's defaults
        pool = ProxyRotation(urls, s.getfloat("SCRAPE_ASSETS_PROXY_BENCH_SECONDS", default.bench_seconds))
        bans = {int(code) for code in s.getlist("SCRAPE_ASSETS_PROXY_BAN_STATUSES", default.ban_statuses)}
        timeout = s.getfloat("SCRAPE_ASSETS_PROXY_EXHAUSTED_TIMEOUT", default.exhausted_timeout_seconds)
        return cls(crawler, pool, bans, timeout)

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        while True:
            now = time.monotonic()
            url = self.pool.pick(now)
            if url is not None:
                if self.exhausted_since is not None:
                    pipes_log(
                        f"proxy pool recovered: {redact(url)} is back after "
                        f"{now - self.exhausted_since:.1f}s; fetching resumes"
                    )
                    self.exhausted_since = None
                request.meta["proxy"] = url
                request.meta["proxy_pool_url"] = url
                return None
            if self.exhausted_since is None:
                self.exhausted_since = now
                self.crawler.stats.inc_value("proxy/exhausted_alerts")
                pipes_log(
                    f"ALERT proxy pool exhausted: 0 of {len(self.pool.proxies)} proxies healthy; "
                    "fetching is paused until one returns from the bench",
                    level="error",
                )
            if now - self.exhausted_since >= self.exhausted_timeout:
                if not self.closing:
                    self.closing = True
                    asyncio.ensure_future(self.crawler.engine.close_spider_async(reason=ProxyPoolExhausted.kind))
                raise IgnoreRequest(f"proxy pool exhausted for over {self.exhausted_timeout:.0f}s")
            await asyncio.sleep(min(1.0, max(0.05, self.pool.seconds_until_one_returns(now))))

    def _bench(self, request: Request, kind: str) -> Request | None:
        url = request.meta.get("proxy_pool_url")
        if url is None:
            return None
        bench = self.pool.failed(url, time.monotonic())
        self.crawler.stats.inc_value(f"proxy/{kind}")
        pipes_log(f"proxy {redact(url)} {kind}; benched for {bench:.1f}s")
        return request.replace(dont_filter=True)

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        url = request.meta.get("proxy_pool_url")
        if url is not None and (response.status in self.ban_statuses or SOFT_BAN_FLAG in response.flags):
            return self._bench(request, "banned") or response
        if url is not None:
            self.pool.succeeded(url)
        return response

    def process_exception(self, request: Request, exception: Exception, spider: Spider | None = None) -> Request | None:
        if isinstance(exception, IgnoreRequest):
            return None
        return self._bench(request, "dead")

    def _spider_closed(self, spider: Spider, reason: str) -> None:
        self.crawler.stats.set_value("proxy/pool", self.pool.report())
