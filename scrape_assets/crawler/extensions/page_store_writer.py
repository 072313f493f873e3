"""Write every response to the page store as it arrives.

Settings:
- `SCRAPE_ASSETS_PAGE_STORE` (dict, required): the store spec (`{"kind": "local", "root": ...}`).
- `SCRAPE_ASSETS_PAGE_PREFIX` (str, required): the partition prefix, `<target>/<day>`.
- `SCRAPE_ASSETS_SEGMENT` (str, required): the segment name this crawl writes (never reused).
- `SCRAPE_ASSETS_FLUSH_EVERY` (int, default 100): flush files every N responses...
- `SCRAPE_ASSETS_FLUSH_SECONDS` (float, default 1.0): ...and at least this often while responses are
  waiting to be flushed (a timer: a crawl that stalls, on a held site or a long Retry-After, flushes
  too), so that a crawler killed outright (SIGKILL, OOM, a lost node) loses at most about a second of
  responses; what was flushed is resumed, not fetched again.

Every response is kept, retried errors included, so the partition is an audit trail as well as the
input of extraction. A response that cannot be written (a full disk, a lost store) stops the crawl at
once as `PageStoreUnavailable`: nothing more is fetched that could not be kept.
Stats: `page_store/responses`, `page_store/bytes`.
"""

from __future__ import annotations

import time
from http import HTTPStatus
from typing import Self

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.asyncio import create_looping_call

from scrape_assets.crawler.failures import PageStoreUnavailable
from scrape_assets.crawler.our_side import stop_for_our_side
from scrape_assets.page_store import SegmentWriter, page_store_from_spec


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


class PageStoreWriter:
    """Scrapy extension that appends each response to a WARC segment."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        spec = settings.getdict("SCRAPE_ASSETS_PAGE_STORE")
        self.prefix = settings.get("SCRAPE_ASSETS_PAGE_PREFIX")
        self.segment = settings.get("SCRAPE_ASSETS_SEGMENT")
        if not spec or not self.prefix or not self.segment:
            raise NotConfigured("page store writer needs SCRAPE_ASSETS_PAGE_STORE, _PAGE_PREFIX and _SEGMENT")
        self.flush_every = settings.getint("SCRAPE_ASSETS_FLUSH_EVERY", 100)
        self.flush_seconds = settings.getfloat("SCRAPE_ASSETS_FLUSH_SECONDS", 1.0)
        self._flushed_at = time.monotonic()
        self._unflushed = 0
        self._timer = create_looping_call(self._flush_due)
        self.crawler, self.stats = crawler, crawler.stats
        self.store = page_store_from_spec(spec)
        self._context = self.store.segment_writer(self.prefix, self.segment)
        self._writer: SegmentWriter | None = None
        self._failed = False
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.response_received, signal=signals.response_received)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def _store_failed(self, exc: OSError, closing: bool = False) -> None:
        self._failed = True
        stored = self.stats.get_value("page_store/responses", 0)
        stop_for_our_side(
            self.crawler,
            PageStoreUnavailable,
            f"cannot write to the page store at {self.store.location(self.prefix)}/{self.segment} "
            f"({exc}); {stored} responses stored before it",
            close=not closing,
        )

    def spider_opened(self, spider: Spider) -> None:
        try:
            self._writer = self._context.__enter__()
        except OSError as exc:
            self._store_failed(exc)
            return
        self._timer.start(self.flush_seconds / 2, now=False)

    def _flush(self) -> None:
        if self._writer is not None:
            self._writer.flush()
        self._flushed_at, self._unflushed = time.monotonic(), 0

    def _flush_due(self) -> None:
        """The timer's tick: flush what waits longer than the flush interval (a stalled crawl's last pages)."""
        if self._failed or not self._unflushed or time.monotonic() - self._flushed_at < self.flush_seconds:
            return
        try:
            self._flush()
        except OSError as exc:
            self._store_failed(exc)

    def response_received(self, response: Response, request: Request, spider: Spider) -> None:
        if self._failed or self._writer is None:
            return
        try:
            self._write(response)
        except OSError as exc:
            self._store_failed(exc)

    def _write(self, response: Response) -> None:
        if self._writer is None:
            return
        headers = [
            (key.decode("latin-1"), value.decode("latin-1"))
            for key, values in response.headers.items()
            for value in values
        ]
        self._writer.write(response.url, response.status, _reason(response.status), headers, response.body)
        self.stats.inc_value("page_store/responses")
        self.stats.inc_value("page_store/bytes", len(response.body))
        self._unflushed += 1
        if self._writer.records % self.flush_every == 0 or time.monotonic() - self._flushed_at >= self.flush_seconds:
            self._flush()

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self._timer.running:
            self._timer.stop()
        if self._writer is None:
            return
        try:
            self._context.__exit__(None, None, None)
        except OSError as exc:
            self._store_failed(exc, closing=True)
