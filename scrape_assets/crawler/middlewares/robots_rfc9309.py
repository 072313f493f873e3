"""robots.txt for the page crawl, as RFC 9309 reads it (in place of Scrapy's RobotsTxtMiddleware).

Scrapy's middleware parses whatever robots.txt answers, so a 503 page reads as "allow everything", and
a robots.txt it cannot download allows everything too. RFC 9309 (2.3.1.3, 2.3.1.4) says otherwise:
- 2xx: the rules it holds;
- 4xx ("unavailable"): no rules, everything may be crawled;
- 5xx, or no answer at all ("unreachable"): everything is disallowed until it can be read.
Every request waits for its host's robots.txt (fetched once per host, through the downloader
middlewares, so with the crawl's retries and backoff). While a host's robots.txt is unreachable no
request to it leaves: each is refused (`IgnoreRequest`) and the stat `robotstxt/unreachable/<host>`
holds the reason, so that a crawl whose target's own host is unreachable ends as
`RobotsTxtUnreachable` (the target's side) instead of as a crawl of nothing. A robots.txt our own side
refuses to fetch (an off-domain host, reached by a redirect) reads as no rules: the request it is for
meets the same refusal.

Enabled when `ROBOTSTXT_OBEY` is on (the target's `politeness.obey_robots`). Stats as Scrapy's:
`robotstxt/request_count`, `robotstxt/response_count`, `robotstxt/response_status_count/<status>`,
`robotstxt/forbidden`; plus `robotstxt/unreachable/<host>`.
"""

from __future__ import annotations

import asyncio
from typing import Self

from protego import Protego
from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.httpobj import urlparse_cached

UNREACHABLE_STAT = "robotstxt/unreachable"
ALLOW_ALL = Protego.parse("")
DISALLOW_ALL = Protego.parse("User-agent: *\nDisallow: /")


def rules_for(status: int, body: str) -> tuple[Protego, str | None]:
    """RFC 9309's rules for a robots.txt answer: (rules, why it is unreachable or None)."""
    if 200 <= status < 300:
        return Protego.parse(body), None
    if 400 <= status < 500:
        return ALLOW_ALL, None
    return DISALLOW_ALL, f"robots.txt answered HTTP {status}"


class Rfc9309RobotsTxtMiddleware:
    """Downloader middleware: refuse requests robots.txt disallows, reading robots.txt as RFC 9309 says."""

    DOWNLOAD_PRIORITY = 1000

    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.getbool("ROBOTSTXT_OBEY"):
            raise NotConfigured
        self.crawler = crawler
        self.user_agent: str = crawler.settings.get("ROBOTSTXT_USER_AGENT") or crawler.settings["USER_AGENT"]
        self._rules: dict[str, asyncio.Future[Protego]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if request.meta.get("dont_obey_robotstxt") or request.url.startswith(("data:", "file:")):
            return
        parsed = urlparse_cached(request)
        netloc = parsed.netloc
        if netloc not in self._rules:
            self._rules[netloc] = asyncio.get_running_loop().create_future()
            self._rules[netloc].set_result(await self._fetch(netloc, f"{parsed.scheme}://{netloc}/robots.txt"))
        rules = await self._rules[netloc]
        if not rules.can_fetch(request.url, self.user_agent):
            stats = self.crawler.stats
            if stats is not None:
                stats.inc_value("robotstxt/forbidden")
            raise IgnoreRequest("Forbidden by robots.txt")

    async def _fetch(self, netloc: str, url: str) -> Protego:
        stats = self.crawler.stats
        robots = Request(url, priority=self.DOWNLOAD_PRIORITY, meta={"dont_obey_robotstxt": True}, callback=NO_CALLBACK)
        if stats is not None:
            stats.inc_value("robotstxt/request_count")
        engine = self.crawler.engine
        if engine is None:
            raise RuntimeError("robots.txt requested before the crawl's engine started")
        try:
            response: Response = await engine.download_async(robots)
        except IgnoreRequest:  # refused on our side (an off-domain host, a redirect off the target)
            return ALLOW_ALL  # the request it is for meets the same refusal
        except Exception as exc:  # any download error, after the crawl's retries: unreachable
            if stats is not None:
                stats.set_value(f"{UNREACHABLE_STAT}/{netloc}", f"{url} did not answer ({type(exc).__name__}: {exc})")
            return DISALLOW_ALL
        if stats is not None:
            stats.inc_value("robotstxt/response_count")
            stats.inc_value(f"robotstxt/response_status_count/{response.status}")
        text = response.body.decode("utf-8", errors="replace")
        rules, unreachable = rules_for(response.status, text)
        if unreachable is not None and stats is not None:
            stats.set_value(f"{UNREACHABLE_STAT}/{netloc}", f"{url}: {unreachable}")
        return rules
