"""Stop a crawl because our own side failed (Redis, the page store, disk), naming the part at fault.

The crawl ends at once with the failure's kind as its close reason, and the runner raises the named
`OurSideFailure`: a crawl must never go on fetching what it cannot rate-limit or keep, nor report our
failure as the target's.
"""

from __future__ import annotations

import asyncio

from scrapy.crawler import Crawler

from scrape_assets.crawler.extensions.progress import pipes_log
from scrape_assets.crawler.failures import OurSideFailure

STAT = "our_side/failure"


def stop_for_our_side(crawler: Crawler, failure: type[OurSideFailure], message: str, close: bool = True) -> None:
    """Record the first failure of our side in the crawl's stats and close the spider with its kind
    (`close=False` once it is closing already); later calls (requests already in flight) change nothing."""
    if crawler.stats.get_value(STAT):
        return
    crawler.stats.set_value(STAT, {"kind": failure.kind, "message": message})
    pipes_log(f"{failure.kind}: {message}; stopping the crawl", "error")
    if close:
        asyncio.ensure_future(crawler.engine.close_spider_async(reason=failure.kind))
