"""A request-rate limit for the target, shared by every crawler process of the target.

Settings:
- `SCRAPE_ASSETS_RATE_LIMIT` (requests/s, default 0 = off). The crawl sets it to the smaller of the
  YAML's `politeness.rate_limit_per_second` and 1 / robots.txt Crawl-delay.
- `SCRAPE_ASSETS_RATE_LIMIT_BURST` (default 1): tokens that may be saved up.
- `SCRAPE_ASSETS_RATE_LIMIT_KEY` (default `scrape_assets:rate:<spider>`): the shared bucket's name.
- `SCRAPE_ASSETS_REDIS_URL` (default empty): when set, the bucket lives in Redis (an atomic Lua
  script timed by the Redis clock), so the limit holds across processes and pods; otherwise it is
  in this process.
Every request waits here (asyncio sleep) for a token right before it is downloaded.
Stats: `rate_limit/waits`, `rate_limit/seconds`.
"""

from __future__ import annotations

import asyncio

from scrapy import signals
from scrapy.exceptions import NotConfigured

from scrape_assets.crawler.rate_limit import LocalTokenBucket, RedisTokenBucket


class RateLimitMiddleware:
    """Downloader middleware taking a token per request from the target's bucket."""

    def __init__(self, crawler, bucket):  # type: ignore[no-untyped-def]
        self.crawler = crawler
        self.bucket = bucket
        crawler.signals.connect(self._spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):  # type: ignore[no-untyped-def]
        s = crawler.settings
        rate = s.getfloat("SCRAPE_ASSETS_RATE_LIMIT", 0.0)
        if rate <= 0:
            raise NotConfigured("no rate limit")
        burst = s.getfloat("SCRAPE_ASSETS_RATE_LIMIT_BURST", 1.0)
        url = s.get("SCRAPE_ASSETS_REDIS_URL") or ""
        key = s.get("SCRAPE_ASSETS_RATE_LIMIT_KEY") or f"scrape_assets:rate:{crawler.spidercls.name}"
        bucket = RedisTokenBucket(url, key, rate, burst) if url else LocalTokenBucket(rate, burst)
        crawler.stats.set_value("rate_limit/backend", "redis" if url else "local")
        crawler.stats.set_value("rate_limit/per_second", rate)
        return cls(crawler, bucket)

    async def process_request(self, request, spider=None):  # type: ignore[no-untyped-def]
        while True:
            wait = await self.bucket.take()
            if wait <= 0:
                return None
            self.crawler.stats.inc_value("rate_limit/waits")
            self.crawler.stats.inc_value("rate_limit/seconds", wait)
            await asyncio.sleep(wait)

    async def _spider_closed(self, spider, reason) -> None:  # type: ignore[no-untyped-def]
        await self.bucket.close()
