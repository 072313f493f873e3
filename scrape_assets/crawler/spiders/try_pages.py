"""TrySpider: fetch a few pages of a target, politely, for `python -m scrape_assets try`: robots.txt
first (its rules and Crawl-delay hold for the pages), then the pages, kept in memory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import scrapy
from protego import Protego
from scrapy import Request
from scrapy.http import Response
from twisted.python.failure import Failure

from scrape_assets.crawler.failed_requests import FailedRequest, failed_request
from scrape_assets.crawler.middlewares.rate_limit import announce_crawl_delay
from scrape_assets.page_store import StoredPage
from scrape_assets.target_config.models import TargetConfig


class TrySpider(scrapy.Spider):
    """`pages`: what each URL answered (any status); `failures`: URLs that did not answer."""

    name = "try"

    def __init__(self, target: TargetConfig, urls: list[str], **kwargs: Any):
        super().__init__(**kwargs)
        self.target, self.urls = target, urls
        self.pages: list[StoredPage] = []
        self.failures: list[FailedRequest] = []

    async def start(self) -> AsyncIterator[Request]:
        yield scrapy.Request(
            self.target.absolute("/robots.txt"),
            callback=self.parse_robots,
            errback=self.on_error,
            meta={"handle_httpstatus_list": [404, 410]},
            dont_filter=True,
        )

    def parse_robots(self, response: Response) -> Iterator[Request]:
        if response.status == 200:
            announce_crawl_delay(self.crawler, self.target, Protego.parse(response.text))
        for url in self.urls:
            yield scrapy.Request(
                url, callback=self.keep, errback=self.on_error, dont_filter=True, meta={"handle_httpstatus_all": True}
            )

    def keep(self, response: Response) -> None:
        headers = {
            key.decode("latin-1").lower(): values[-1].decode("latin-1")
            for key, values in response.headers.items()
            if values
        }
        self.pages.append(
            StoredPage(
                url=response.url,
                status=response.status,
                headers=headers,
                body=response.body,
                fetched_at=datetime.now(UTC).isoformat(),
                ref="live",
            )
        )

    def on_error(self, failure: Failure) -> None:
        self.failures.append(failed_request(failure, self.target.politeness.max_tries))
