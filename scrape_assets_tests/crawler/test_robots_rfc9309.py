"""robots.txt as RFC 9309 reads it, the middleware on its own: Scrapy's `get_crawler` and fake answers."""

from __future__ import annotations

import asyncio

import pytest
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, TextResponse
from scrapy.utils.test import get_crawler

from scrape_assets.crawler.middlewares.robots_rfc9309 import UNREACHABLE_STAT, Rfc9309RobotsTxtMiddleware


class FakeEngine:
    """Answers robots.txt requests by host: a status and body, or an exception to raise."""

    def __init__(self, answers: dict):
        self.answers = answers
        self.asked: list[str] = []

    async def download_async(self, request: Request) -> TextResponse:
        self.asked.append(request.url)
        answer = self.answers[request.url]
        if isinstance(answer, Exception):
            raise answer
        status, body = answer
        return TextResponse(request.url, status=status, body=body.encode(), encoding="utf-8")


def _middleware(answers: dict) -> tuple[Rfc9309RobotsTxtMiddleware, object]:
    crawler = get_crawler(settings_dict={"ROBOTSTXT_OBEY": True, "USER_AGENT": "scrape-assets"})
    crawler.engine = FakeEngine(answers)  # type: ignore[assignment]
    return Rfc9309RobotsTxtMiddleware.from_crawler(crawler), crawler


def _allowed(middleware: Rfc9309RobotsTxtMiddleware, url: str) -> bool:
    try:
        asyncio.run(middleware.process_request(Request(url)))
    except IgnoreRequest:
        return False
    return True


@pytest.mark.parametrize(
    ("answer", "allowed", "unreachable"),
    [
        ((200, "User-agent: *\nDisallow: /private/"), True, False),
        ((404, "not found"), True, False),
        ((403, "forbidden"), True, False),
        ((503, "User-agent: *\nAllow: /"), False, True),  # a 5xx body is no rules: everything disallowed
        (ConnectionRefusedError("nobody there"), False, True),
    ],
)
def test_each_robots_answer_is_read_as_rfc_9309_says(answer, allowed, unreachable):
    middleware, crawler = _middleware({"http://shop/robots.txt": answer})
    assert _allowed(middleware, "http://shop/product/1") is allowed
    assert bool(crawler.stats.get_value(f"{UNREACHABLE_STAT}/shop")) is unreachable


def test_rules_hold_and_robots_txt_is_fetched_once_per_host():
    middleware, crawler = _middleware({"http://shop/robots.txt": (200, "User-agent: *\nDisallow: /private/")})
    assert _allowed(middleware, "http://shop/product/1") and not _allowed(middleware, "http://shop/private/2")
    assert crawler.engine.asked == ["http://shop/robots.txt"]
    assert crawler.stats.get_value("robotstxt/forbidden") == 1


def test_a_robots_txt_our_side_refuses_to_fetch_is_no_rules_and_marks_nothing_unreachable():
    """A redirect off the target reaches another host; the off-domain filter refuses its robots.txt."""
    middleware, crawler = _middleware({"http://elsewhere/robots.txt": IgnoreRequest("Filtered offsite request")})
    assert _allowed(middleware, "http://elsewhere/page")
    assert crawler.stats.get_value(f"{UNREACHABLE_STAT}/elsewhere") is None
