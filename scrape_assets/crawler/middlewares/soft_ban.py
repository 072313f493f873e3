"""Soft bans: a page that answers 200 but is a block page (a captcha, "access denied") is not a page.

Settings (from the target YAML; `crawler/settings.py`):
- `SCRAPE_ASSETS_BLOCKED_MARKERS` (list of `{"css"|"xpath"|"text": ...}`, `blocked_when`): a page any of
  them matches is a block page, whatever its URL;
- `SCRAPE_ASSETS_BLOCKED_COMMON_MARKERS` (bool, `blocked_common_markers`): also a record page
  (`SCRAPE_ASSETS_RECORD_URL_PATTERN`) whose required fields (`SCRAPE_ASSETS_BLOCKED_FIELD_SELECTORS`,
  their CSS / XPath selectors) all match nothing and whose text has a common block marker
  (`COMMON_MARKERS`);
- `RETRY_TIMES`: how often a block page is tried again.
A block page is never stored. Through a proxy pool it is flagged (`SOFT_BAN_FLAG`) so that the pool
benches that proxy and sends the request through another; without one it is retried (Scrapy's
`get_retry_request`). Once its tries are spent the request is given up as `blocked` (the crawl's
failure list), counted in `blocked/pages`; `blocked/responses` counts every block page seen.
"""

from __future__ import annotations

import re
from typing import Any, Self

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse

SOFT_BAN_FLAG = "soft_ban"
BLOCKED_MESSAGE = "blocked by the target"  # in the IgnoreRequest: the failure list's outcome `blocked`
COMMON_MARKERS = re.compile(
    r"captcha|are you (?:a )?(?:human|robot)|verify (?:that )?you are (?:a )?human|unusual traffic|"
    r"access denied|request (?:was )?blocked|cf-challenge|challenge-platform|px-captcha|"
    r"please enable (?:javascript|cookies) to continue",
    re.IGNORECASE,
)


def _matches(response: TextResponse, marker: dict[str, str]) -> bool:
    if "css" in marker:
        return bool(response.css(marker["css"]))
    if "xpath" in marker:
        return bool(response.xpath(marker["xpath"]))
    return marker["text"].lower() in response.text.lower()


class SoftBanMiddleware:
    """Downloader middleware: tell block pages served with 200 from pages, retry them, then give up."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.markers: list[dict[str, str]] = list(settings.getlist("SCRAPE_ASSETS_BLOCKED_MARKERS"))
        self.common = settings.getbool("SCRAPE_ASSETS_BLOCKED_COMMON_MARKERS", True)
        self.fields: list[dict[str, str]] = list(settings.getlist("SCRAPE_ASSETS_BLOCKED_FIELD_SELECTORS"))
        pattern = settings.get("SCRAPE_ASSETS_RECORD_URL_PATTERN")
        self.record_url = re.compile(pattern) if pattern else None
        self.max_tries = settings.getint("RETRY_TIMES") + 1

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def block_marker(self, response: TextResponse) -> str | None:
        """What marks the response as a block page, or None for a page. Cheap on an ordinary page: the
        common markers are one regular-expression search, and the page is parsed (once: Scrapy keeps the
        selector for the spider's own callback) only for a selector marker or a suspect record page."""
        for marker in self.markers:
            if _matches(response, marker):
                return f"blocked_when {marker}"
        if not (self.common and self.fields and self.record_url and self.record_url.search(response.url)):
            return None
        found = COMMON_MARKERS.search(response.text)
        if found is None or any(_matches(response, field) for field in self.fields):
            return None
        return f"no required field, and the page says {found.group(0)!r}"

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Any:
        if response.status != 200 or not isinstance(response, TextResponse) or request.meta.get("dont_obey_robotstxt"):
            return response
        marker = self.block_marker(response)
        if marker is None:
            return response
        stats = self.crawler.stats
        if stats is not None:
            stats.inc_value("blocked/responses")
        tries = request.meta.get("soft_ban_tries", 0) + 1
        request.meta["soft_ban_tries"] = tries
        if tries < self.max_tries:
            if request.meta.get("proxy_pool_url"):  # the pool benches this proxy and tries another
                response.flags.append(SOFT_BAN_FLAG)
                return response
            owner = spider or self.crawler.spider
            retry = None if owner is None else get_retry_request(request, spider=owner, reason="blocked")
            if retry is not None:
                return retry
        if stats is not None:
            stats.inc_value("blocked/pages")
        raise IgnoreRequest(f"{BLOCKED_MESSAGE} after {tries} tries ({marker})")
