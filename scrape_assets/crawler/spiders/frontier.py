"""FrontierSpider: robots.txt and the sitemap index -> the day's list of URLs to crawl."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from protego import Protego
from scrapy import Request
from scrapy.http import Response
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap
from twisted.python.failure import Failure

from scrape_assets.crawler.failed_requests import FailedRequest, failed_request
from scrape_assets.crawler.links import on_allowed_domain
from scrape_assets.crawler.middlewares.rate_limit import announce_crawl_delay
from scrape_assets.crawler.middlewares.robots_rfc9309 import rules_for
from scrape_assets.target_config.models import TargetConfig


class FrontierSpider(scrapy.Spider):
    """Reads robots.txt (Crawl-delay, Sitemap lines) and walks the sitemap index to list URLs; every
    request after robots.txt keeps to its Crawl-delay and the YAML's rate limit.

    It requests no product page. Results stay on the spider for the runner to write:
    `records`, `listings`, `crawl_delay`, `robots_fetched`, `robots_unreachable`, `failures`, `disallowed`.
    robots.txt is read as RFC 9309 says (`robots_rfc9309.rules_for`): a 4xx allows everything, a 5xx
    disallows everything, sitemaps included.
    """

    name = "frontier"

    def __init__(self, target: TargetConfig, **kwargs: Any):
        super().__init__(**kwargs)
        self.target = target
        self.allowed_domains = list(target.allowed_domains)
        self.robots: Protego | None = None
        self.robots_fetched = False
        self.robots_unreachable: str | None = None
        self.crawl_delay = 0.0
        self.records: set[str] = set()
        self.listings: set[str] = {target.absolute(url) for url in target.start_urls}
        self.disallowed: set[str] = set()
        self.failures: list[FailedRequest] = []
        self.sitemaps_parsed = 0
        self.skipped = 0

    async def start(self) -> AsyncIterator[Request]:
        yield scrapy.Request(
            self.target.absolute("/robots.txt"),
            callback=self.parse_robots,
            errback=self.on_error,
            meta={"handle_httpstatus_all": True},  # every status has a meaning (RFC 9309)
            dont_filter=True,
        )

    def parse_robots(self, response: Response) -> Iterator[Request]:
        self.robots_fetched = True
        sitemaps: list[str] = []
        rules, unreachable = rules_for(response.status, response.body.decode("utf-8", errors="replace"))
        if unreachable is not None:  # RFC 9309: everything disallowed, sitemaps included
            self.robots_unreachable = f"{response.url}: {unreachable}"
            return
        if 200 <= response.status < 300:
            self.robots = rules
            # the sitemap requests that follow keep to the Crawl-delay too, counted from robots.txt's
            self.crawl_delay = announce_crawl_delay(self.crawler, self.target, self.robots)
            sitemaps = list(self.robots.sitemaps)
        if self.target.sitemap_index is not None:
            sitemaps = [self.target.absolute(self.target.sitemap_index)]
        for url in sitemaps:
            if on_allowed_domain(self.target, url):
                yield scrapy.Request(url, callback=self.parse_sitemap, errback=self.on_error)

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        body = response.body
        if body[:2] == b"\x1f\x8b":  # a .xml.gz file; a gzip Content-Encoding is bounded by Scrapy already
            limit = self.target.politeness.max_page_bytes
            try:
                body = gunzip(body, max_size=limit)
            except ValueError:  # Scrapy's size error: stopped at the limit, never expanded in full
                self.failures.append(
                    FailedRequest(
                        response.url,
                        response.status,
                        1,
                        f"gzipped sitemap expands beyond politeness.max_page_bytes ({limit} bytes); not read",
                        "oversized",
                    )
                )
                return
            except OSError as exc:
                self.failures.append(FailedRequest(response.url, response.status, 1, f"not a gzip file: {exc}"))
                return
        try:
            sitemap = Sitemap(body)
        except Exception as exc:  # lxml raises several types; all mean the same: not a sitemap
            self.failures.append(FailedRequest(response.url, response.status, 1, f"not a sitemap: {exc}"))
            return
        self.sitemaps_parsed += 1
        for entry in sitemap:
            url = entry.get("loc", "").strip()
            if not url or not on_allowed_domain(self.target, url):
                continue
            if sitemap.type == "sitemapindex":
                yield scrapy.Request(url, callback=self.parse_sitemap, errback=self.on_error)
            elif not self._allowed_by_robots(url):
                self.disallowed.add(url)
            elif self.target.is_record_url(url):
                self.records.add(url)
            elif self.target.is_follow_url(url):
                self.listings.add(url)
            else:
                self.skipped += 1  # a page the target's rules do not ask for

    def _allowed_by_robots(self, url: str) -> bool:
        if not self.target.politeness.obey_robots or self.robots is None:
            return True
        return self.robots.can_fetch(url, self.target.politeness.user_agent)

    def on_error(self, failure: Failure) -> None:
        self.failures.append(failed_request(failure, self.target.politeness.max_tries))
