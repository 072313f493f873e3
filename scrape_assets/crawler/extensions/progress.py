"""Report crawl progress to the Dagster run log through Pipes, every few seconds.

Settings:
- `SCRAPE_ASSETS_PROGRESS_INTERVAL` (float seconds, default 5.0; 0 disables).

Each line: responses so far, rate over the last interval, and queue length. Without a Pipes
session (a bare `scrapy crawl`), lines go to the Python log only.
"""

from __future__ import annotations

import logging
from typing import Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from scrape_assets.crawler.settings import DEFAULT_PROGRESS_INTERVAL_SECONDS

logger = logging.getLogger(__name__)


def pipes_log(message: str, level: str = "info") -> None:
    """Send a line to the Dagster run log (live) when a Pipes session is open, else to the Python log."""
    from dagster_pipes import PipesContext

    target = PipesContext.get().log if PipesContext.is_initialized() else logger
    getattr(target, level)(message)


class PipesProgress:
    """Scrapy extension logging `pages, rate, queue` at a fixed interval."""

    def __init__(self, crawler: Crawler, interval: float):
        self.crawler = crawler
        self.interval = interval
        self._last = 0
        self._loop: task.LoopingCall | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        interval = crawler.settings.getfloat("SCRAPE_ASSETS_PROGRESS_INTERVAL", DEFAULT_PROGRESS_INTERVAL_SECONDS)
        if interval <= 0:
            raise NotConfigured
        return cls(crawler, interval)

    def spider_opened(self, spider: Spider) -> None:
        self._loop = task.LoopingCall(self.report)
        self._loop.start(self.interval, now=False)

    def report(self) -> None:
        stats = self.crawler.stats
        pages = stats.get_value("response_received_count", 0)
        queued = stats.get_value("scheduler/enqueued", 0) - stats.get_value("scheduler/dequeued", 0)
        rate = (pages - self._last) / self.interval
        self._last = pages
        pipes_log(f"crawl progress: {pages} pages, {rate:.1f} pages/s, {queued} queued")

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
