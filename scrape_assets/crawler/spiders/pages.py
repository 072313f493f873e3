"""PageSpider: fetch the frontier's URLs (listings first) and follow links by the target's rules, from
listing pages and (unless `follow_from_record_pages` is off) record pages; Scrapy's DEPTH_LIMIT and
CLOSESPIDER_PAGECOUNT bound it (`max_depth`, `max_pages`). Pages are kept by the
page store extension as they arrive; this spider yields no items. URLs in `already_done` (fetched
by an interrupted crawl of the same day) are not requested again."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from collections.abc import Set as AbstractSet
from typing import Any, Self

import scrapy
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from scrape_assets.crawler.failed_requests import FailedRequest, failed_request
from scrape_assets.crawler.links import canonical, links_to_follow, on_allowed_domain
from scrape_assets.target_config.models import TargetConfig


class PageSpider(scrapy.Spider):
    """Crawls one target's frontier. `failures` lists requests that exhausted their tries."""

    name = "pages"

    def __init__(
        self,
        target: TargetConfig,
        listings: list[str],
        records: list[str],
        already_done: AbstractSet[str] = frozenset(),
        follow_links: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.target = target
        self.allowed_domains = list(target.allowed_domains)
        self.listings = listings
        self.records = records
        self.already_done = already_done
        self._done_canonical: set[str] | None = None
        self.follow_links = follow_links  # only one shard follows links, so no page is fetched twice
        self.failures: list[FailedRequest] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.request_scheduled, signal=signals.request_scheduled)
        return spider

    def request_scheduled(self, request: Request, spider: Spider | None = None) -> None:
        """Scrapy's OffsiteMiddleware drops off-domain requests (a redirect off the target, say) as
        they are scheduled, without an errback: record them here as failures."""
        if on_allowed_domain(self.target, request.url) or request.dont_filter or request.meta.get("allow_offsite"):
            return
        redirected_from = request.meta.get("redirect_urls") or []
        self.failures.append(
            FailedRequest(
                url=redirected_from[0] if redirected_from else request.url,
                status=None,
                tries=request.meta.get("retry_times", 0) + 1,
                error=f"refused off-domain request to {request.url}",
                outcome="offsite_redirect" if redirected_from else "offsite",
            )
        )

    async def start(self) -> AsyncIterator[Request]:
        # Listings first: they discover record pages that the sitemap may have missed.
        for url in itertools.chain(self.listings, self.records):
            # Lazy start (Scrapy's documented idiom): while the downloader is full, wait for the
            # scheduler to drain instead of queueing the whole frontier as Request objects, so that
            # memory does not grow with the size of the day.
            if self.crawler.engine.needs_backout():
                await self.crawler.signals.wait_for(signals.scheduler_empty)
            yield scrapy.Request(url, callback=self.parse, errback=self.on_error)

    def parse(self, response: Response) -> Iterator[Request]:
        if not isinstance(response, TextResponse) or not self.follow_links:
            return
        if self.target.is_record_url(response.url) and not self.target.follow_from_record_pages:
            return
        for url in links_to_follow(self.target, response.url, response.selector, skip=self._done()):
            yield scrapy.Request(url, callback=self.parse, errback=self.on_error)

    def _done(self) -> set[str]:
        """`already_done` in canonical form, made when a page's links are first followed: only the shard
        that follows links needs it, and at 50,000 URLs it takes about a second."""
        if self._done_canonical is None:
            self._done_canonical = {canonical(url) for url in self.already_done}
        return self._done_canonical

    def on_error(self, failure: Failure) -> None:
        self.failures.append(failed_request(failure, self.target.politeness.max_tries))
