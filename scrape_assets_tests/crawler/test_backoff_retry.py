"""Backoff and Retry-After arithmetic of the retry middleware."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from scrapy.http import Request, Response
from scrapy.settings import Settings

from scrape_assets.crawler.middlewares.backoff_retry import BackoffRetryMiddleware
from scrape_assets.crawler.policies.retry_after import parse_retry_after

NOW = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("7", 7.0),
        (b"0", 0.0),
        ("Wed, 25 Nov 2026 12:00:30 GMT", 30.0),
        ("Wed, 25 Nov 2026 11:00:00 GMT", 0.0),
        ("soon", None),
        (None, None),
    ],
)
def test_retry_after_as_seconds_or_http_date(header, seconds):
    assert parse_retry_after(header, now=NOW) == seconds


def _middleware(**settings) -> BackoffRetryMiddleware:
    base = {
        "RETRY_ENABLED": True,
        "RETRY_TIMES": 5,
        "RETRY_HTTP_CODES": [429, 503],
        "SCRAPE_ASSETS_BACKOFF_BASE": 1.0,
        "SCRAPE_ASSETS_BACKOFF_MAX": 10.0,
        "SCRAPE_ASSETS_RETRY_AFTER_MAX": 20.0,
        **settings,
    }
    return BackoffRetryMiddleware(Settings(base), rng=random.Random(1))


def test_backoff_doubles_with_jitter_and_is_capped():
    middleware = _middleware()
    waits = [middleware.backoff(n) for n in range(1, 7)]
    for n, wait in enumerate(waits[:4], start=1):
        assert 0.5 * 2 ** (n - 1) <= wait < 1.5 * 2 ** (n - 1)
    assert waits[-1] == 10.0


def test_retry_after_replaces_a_shorter_backoff_and_is_capped():
    middleware = _middleware()
    request = Request("http://x/1")
    assert middleware.wait_for(request, Response("http://x/1", status=429, headers={"Retry-After": "5"})) == (5.0, True)
    assert middleware.wait_for(request, Response("http://x/1", status=503, headers={"Retry-After": "999"})) == (
        20.0,
        True,
    )
    wait, by_header = middleware.wait_for(request, Response("http://x/1", status=500, headers={"Retry-After": "5"}))
    assert not by_header and wait < 1.5
