"""Adaptive concurrency: Scrapy's AutoThrottle, plus stepping down on 429 (scrapy#6837), recorded.

AutoThrottle sets the target's download delay from response latency so that about
`AUTOTHROTTLE_TARGET_CONCURRENCY` requests are in flight. It ignores 429s; here a 429 doubles the
delay (at least 50 ms, at most `AUTOTHROTTLE_MAX_DELAY`). Settings are AutoThrottle's own
(`AUTOTHROTTLE_ENABLED`, `_TARGET_CONCURRENCY`, `_START_DELAY`, `_MAX_DELAY`) plus
`SCRAPE_ASSETS_THROTTLE_SAMPLE_INTERVAL` (seconds, default 1): how often the delay, the number of
requests in flight and the last latency are recorded.
Stats: `throttle/429_stepdowns`, `throttle/timeline` (list of [seconds, delay, in_flight, latency]).
"""

from __future__ import annotations

import time

from scrapy import Spider, signals
from scrapy.core.downloader import Slot
from scrapy.crawler import Crawler
from scrapy.extensions.throttle import AutoThrottle
from scrapy.http import Response
from twisted.internet import task

MIN_STEPDOWN_DELAY = 0.05
TIMELINE_POINTS = 600


class AdaptiveThrottle(AutoThrottle):
    """AutoThrottle that also backs off on 429 and records its delay over time."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.interval = crawler.settings.getfloat("SCRAPE_ASSETS_THROTTLE_SAMPLE_INTERVAL", 1.0)
        self.timeline: list[list[float]] = []
        self.last_latency = 0.0
        self.started = time.monotonic()
        self._loop: task.LoopingCall | None = None
        crawler.signals.connect(self._closed, signal=signals.spider_closed)

    def _spider_opened(self, spider: Spider) -> None:
        super()._spider_opened(spider)
        self._loop = task.LoopingCall(self._sample)
        self._loop.start(self.interval, now=True)

    def _adjust_delay(self, slot: Slot, latency: float, response: Response) -> None:
        self.last_latency = latency
        if response.status == 429:
            slot.delay = min(max(slot.delay * 2, MIN_STEPDOWN_DELAY, self.mindelay), self.maxdelay)
            self.crawler.stats.inc_value("throttle/429_stepdowns")
            return
        super()._adjust_delay(slot, latency, response)

    def _sample(self) -> None:
        slots = self.crawler.engine.downloader.slots if self.crawler.engine else {}
        delay = max((slot.delay for slot in slots.values()), default=0.0)
        in_flight = sum(len(slot.transferring) for slot in slots.values())
        point = [round(time.monotonic() - self.started, 2), round(delay, 4), in_flight, round(self.last_latency, 4)]
        if len(self.timeline) >= TIMELINE_POINTS:
            self.timeline = self.timeline[::2]  # keep the whole crawl, at half the resolution
        self.timeline.append(point)

    def _closed(self, spider: Spider, reason: str) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        self.crawler.stats.set_value("throttle/timeline", self.timeline)
