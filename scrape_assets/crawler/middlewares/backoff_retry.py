"""Retries with exponential backoff and jitter, honouring Retry-After, without blocking the reactor.

Replaces Scrapy's RetryMiddleware (which retries at once and ignores Retry-After: scrapy#3849, #802)
and keeps its settings: `RETRY_TIMES`, `RETRY_HTTP_CODES`, `RETRY_EXCEPTIONS`. Adds:
- `SCRAPE_ASSETS_BACKOFF_BASE` (seconds; YAML `politeness.backoff_base_seconds`): the first retry
  waits about this long.
- `SCRAPE_ASSETS_BACKOFF_MAX` (seconds; `politeness.backoff_max_seconds`): cap of the exponential wait.
- `SCRAPE_ASSETS_RETRY_AFTER_MAX` (seconds; `politeness.retry_after_max_seconds`): cap of a server's
  Retry-After.
Unset, each takes the YAML's default (`PolitenessSpec`).
The wait before try n+1 is `base * 2**(n-1)` times a jitter in [0.5, 1.5), capped; a Retry-After
(seconds or an HTTP date) on a 429 or 503 replaces it when longer. The request waits in the
middleware (an asyncio sleep), so other requests keep flowing. A request that exhausts its tries
reaches the spider's errback, which records it in the crawl's failure list.
Stats: `backoff/waits`, `backoff/seconds`, `backoff/retry_after`, `retry/status/<code>`.
"""

from __future__ import annotations

import asyncio
import random

from scrapy import Request, Spider
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.settings import Settings
from scrapy.utils.response import response_status_message

from scrape_assets.crawler.policies.retry_after import parse_retry_after
from scrape_assets.target_config.models import PolitenessSpec

RETRY_AFTER_STATUSES = {429, 503}


class BackoffRetryMiddleware(RetryMiddleware):
    """RetryMiddleware that waits before retrying."""

    def __init__(self, settings: Settings, rng: random.Random | None = None) -> None:
        super().__init__(settings)
        default = PolitenessSpec()  # unset settings take the YAML's defaults
        self.base = settings.getfloat("SCRAPE_ASSETS_BACKOFF_BASE", default.backoff_base_seconds)
        self.cap = settings.getfloat("SCRAPE_ASSETS_BACKOFF_MAX", default.backoff_max_seconds)
        self.retry_after_cap = settings.getfloat("SCRAPE_ASSETS_RETRY_AFTER_MAX", default.retry_after_max_seconds)
        self.rng = rng or random.Random()

    def backoff(self, tries_so_far: int) -> float:
        """Exponential wait with jitter before the next try (`tries_so_far` >= 1)."""
        return min(self.cap, self.base * 2 ** (tries_so_far - 1) * self.rng.uniform(0.5, 1.5))

    def wait_for(self, request: Request, response: Response | None = None) -> tuple[float, bool]:
        """Seconds to wait before retrying, and whether a Retry-After decided it."""
        wait = self.backoff(request.meta.get("retry_times", 0) + 1)
        if response is not None and response.status in RETRY_AFTER_STATUSES:
            asked = parse_retry_after(response.headers.get("Retry-After"))
            if asked is not None and min(asked, self.retry_after_cap) >= wait:
                return min(asked, self.retry_after_cap), True
        return wait, False

    async def _wait_then(self, retry: Request, wait: float, by_retry_after: bool) -> Request:
        stats = self.crawler.stats
        stats.inc_value("backoff/waits")
        stats.inc_value("backoff/seconds", wait)  # type: ignore[arg-type]  # a float sum; Scrapy's stub says int
        if by_retry_after:
            stats.inc_value("backoff/retry_after")
        await asyncio.sleep(wait)
        return retry

    # coroutine methods, which Scrapy runs; RetryMiddleware declares them as plain methods
    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        self.crawler.stats.inc_value(f"retry/status/{response.status}")
        wait, by_retry_after = self.wait_for(request, response)
        return await self._wait_then(retry, wait, by_retry_after)

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception, spider: Spider | None = None
    ) -> Request | None:
        if not isinstance(exception, self.exceptions_to_retry) or request.meta.get("dont_retry", False):
            return None
        retry = self._retry(request, exception)
        if retry is None:
            return None
        wait, _ = self.wait_for(request)
        return await self._wait_then(retry, wait, False)
