"""A request-rate limit for the target, shared by every crawler process of the target.

Settings:
- `SCRAPE_ASSETS_RATE_LIMIT` (requests/s, default 0 = none yet). The crawl sets it to the smaller of
  the YAML's `politeness.rate_limit_per_second` and 1 / robots.txt Crawl-delay.
- `SCRAPE_ASSETS_RATE_LIMIT_BURST` (default 1): tokens that may be saved up.
- `SCRAPE_ASSETS_RATE_LIMIT_KEY` (default `scrape_assets:rate:<spider>`): the shared bucket's name.
- `SCRAPE_ASSETS_RATE_LIMIT_MAY_BE_FOUND` (default false): the crawl may learn its limit while it runs
  (the frontier reads robots.txt's Crawl-delay); without it and without a limit, the middleware is not
  installed, so that an unlimited crawl pays nothing per request.
- `SCRAPE_ASSETS_REDIS_URL` (default empty): when set, the bucket lives in Redis (an atomic Lua
  script timed by the Redis clock), so the limit holds across processes and pods; otherwise it is
  in this process, and starts empty (a new process cannot know when the last request went).
Every request waits here (asyncio sleep) for a token right before it is downloaded. A crawl that learns
its limit while it runs (the frontier reads robots.txt's Crawl-delay) sends the `rate_limit_found`
signal: the limit holds from then on, and the requests already sent count against it.
When Redis does not answer, the crawl stops at once as `RateLimiterUnavailable`: no request goes
without its token, and the failure is ours, not the target's.
Stats: `rate_limit/waits`, `rate_limit/seconds`.
"""

from __future__ import annotations

import asyncio
from typing import Self

from protego import Protego
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured

from scrape_assets.crawler.failures import RateLimiterUnavailable
from scrape_assets.crawler.our_side import stop_for_our_side
from scrape_assets.crawler.policies.token_buckets import LocalTokenBucket, RedisTokenBucket, TokenBucket
from scrape_assets.crawler.settings import effective_rate_limit
from scrape_assets.target_config.models import PolitenessSpec, TargetConfig

# signal(rate: float): the target's request limit became known while crawling
rate_limit_found = object()


def announce_crawl_delay(crawler: Crawler, target: TargetConfig, robots: Protego) -> float:
    """robots.txt's Crawl-delay for the target's user agent, sent as the crawl's rate limit (with the
    YAML's, the stricter) so that every request after robots.txt keeps to it. Returns the delay."""
    delay = float(robots.crawl_delay(target.politeness.user_agent) or 0.0)
    crawler.signals.send_catch_log(signal=rate_limit_found, rate=effective_rate_limit(target, delay))
    return delay


def _backend_errors(redis_url: str) -> tuple[type[Exception], ...]:
    """What a failing bucket raises; redis (about 0.1 s to import) only where it is used."""
    if not redis_url:
        return (OSError,)
    from redis.exceptions import RedisError

    return (RedisError, OSError)


class RateLimitMiddleware:
    """Downloader middleware taking a token per request from the target's bucket."""

    def __init__(self, crawler: Crawler, burst: float, redis_url: str, key: str):
        self.crawler = crawler
        self.burst, self.redis_url, self.key = burst, redis_url, key
        self.backend_errors = _backend_errors(redis_url)
        self.bucket: TokenBucket | None = None
        self.sent = 0  # requests let through before the limit was known
        self.to_charge = 0
        crawler.signals.connect(self._spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.set_rate, signal=rate_limit_found)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        s = crawler.settings
        rate = s.getfloat("SCRAPE_ASSETS_RATE_LIMIT", 0.0)
        if rate <= 0 and not s.getbool("SCRAPE_ASSETS_RATE_LIMIT_MAY_BE_FOUND"):
            raise NotConfigured("no rate limit")
        url = s.get("SCRAPE_ASSETS_REDIS_URL") or ""
        key = s.get("SCRAPE_ASSETS_RATE_LIMIT_KEY") or f"scrape_assets:rate:{crawler.spidercls.name}"
        middleware = cls(
            crawler, s.getfloat("SCRAPE_ASSETS_RATE_LIMIT_BURST", PolitenessSpec().rate_limit_burst), url, key
        )
        middleware.set_rate(rate)
        return middleware

    def set_rate(self, rate: float) -> None:
        """Limit requests to `rate`/s from now on (0: no limit known). The first limit found charges
        the requests already sent, so that the gap after them holds too."""
        if rate <= 0:
            return
        if self.bucket is None:
            self.bucket = (
                RedisTokenBucket(self.redis_url, self.key, rate, self.burst)
                if self.redis_url
                else LocalTokenBucket(rate, self.burst, start_empty=True)
            )
            self.to_charge = self.sent if self.redis_url else 0
        self.bucket.rate = min(self.bucket.rate, rate)
        self.crawler.stats.set_value("rate_limit/backend", "redis" if self.redis_url else "local")
        self.crawler.stats.set_value("rate_limit/per_second", self.bucket.rate)

    async def _take(self, bucket: TokenBucket) -> float:
        try:
            while self.to_charge:
                self.to_charge -= 1
                await bucket.take()
            return await bucket.take()
        except self.backend_errors as exc:
            stop_for_our_side(
                self.crawler,
                RateLimiterUnavailable,
                f"the shared rate limiter (Redis, from SCRAPE_ASSETS_REDIS_URL) did not answer: {exc}",
            )
            raise IgnoreRequest(f"{RateLimiterUnavailable.kind}: {exc}") from exc

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if self.bucket is None:
            self.sent += 1
            return None
        while True:
            wait = await self._take(self.bucket)
            if wait <= 0:
                return None
            self.crawler.stats.inc_value("rate_limit/waits")
            self.crawler.stats.inc_value("rate_limit/seconds", wait)  # type: ignore[arg-type]  # a float sum
            await asyncio.sleep(wait)

    async def _spider_closed(self, spider: Spider, reason: str) -> None:
        if self.bucket is not None:
            await self.bucket.close()
