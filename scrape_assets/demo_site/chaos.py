"""The demo site's misbehaviour, driven by the chaos knobs: rate limits, errors, outages, latency,
connection resets, truncated and oversized bodies, wrong charsets, non-HTML and off-domain redirects.

Site-wide chaos applies to page requests (home, listings, products), never to robots.txt, sitemaps
or `/__stats`. Per-product chaos picks a stable share of product ids; resets and truncations hit only
the first request of a page, so a retrying crawler recovers.
"""

from __future__ import annotations

import asyncio
import random
import socket
import struct
import time
from collections import Counter

from aiohttp import web

from scrape_assets.crawler.policies.token_buckets import LocalTokenBucket
from scrape_assets.demo_site.catalog import Catalog
from scrape_assets.demo_site.knobs import SiteKnobs

OFFSITE_HOST = "offsite.invalid"


CAPTCHA_PAGE = (
    "<!DOCTYPE html><html><head><title>Just a moment</title></head><body><h1>Access denied</h1>"
    '<form id="challenge" action="/verify"><div class="g-recaptcha"></div><p>Please verify you are a human.</p>'
    "</form></body></html>"
)


class NotServed(Exception):
    """A held request whose client went away before the hold was released: nothing was served, so
    nothing is counted."""


class Chaos:
    """State of the site's misbehaviour (token bucket, outage clock, first-attempt tracking, the hold)."""

    def __init__(self, knobs: SiteKnobs, catalog: Catalog):
        self.knobs = knobs
        self.catalog = catalog
        self.rng = random.Random(knobs.seed)
        self.first_page_at: float | None = None
        # the site's own limit: up to a second's worth of requests may arrive in a burst
        rate = knobs.rate_limit
        self.bucket = LocalTokenBucket(rate, burst=max(1.0, rate)) if rate > 0 else None
        self.attempts: Counter[str] = Counter()
        self.pages_answered = 0
        self.products_let_through = 0
        self.held = 0
        self.released: asyncio.Event | None = None  # made in the server's event loop, on first use

    async def hold(self, request: web.Request) -> None:
        """Past `--hold-after-pages` product requests, wait for `release()`; raise NotServed if the
        client has gone by then."""
        if self.knobs.hold_after_pages < 0:
            return
        if self.released is None:
            self.released = asyncio.Event()
        if self.products_let_through < self.knobs.hold_after_pages or self.released.is_set():
            self.products_let_through += 1
            return
        self.held += 1
        try:
            await self.released.wait()
        finally:
            self.held -= 1
        if request.transport is None or request.transport.is_closing():
            raise NotServed(request.path)

    def release(self) -> None:
        """Answer every held request, and every later one, normally."""
        if self.released is None:
            self.released = asyncio.Event()
        self.released.set()

    def in_outage(self, now: float) -> bool:
        if self.knobs.outage_after < 0 or self.first_page_at is None:
            return False
        started = self.first_page_at + self.knobs.outage_after
        return started <= now < started + self.knobs.outage_for

    async def page_gate(self, request: web.Request) -> web.StreamResponse | None:
        """Answer a page request with a failure, or None to serve it normally."""
        now = time.monotonic()
        if self.first_page_at is None:
            self.first_page_at = now
        if self.knobs.latency_ms:
            await asyncio.sleep(self.knobs.latency_ms / 1000)
        if self.in_outage(now) or 0 <= self.knobs.outage_after_pages <= self.pages_answered:
            return web.Response(status=503, text="outage")
        self.pages_answered += 1
        if self.bucket is not None and self.bucket.take_now() > 0:
            return web.Response(status=429, text="slow down", headers={"Retry-After": self.knobs.retry_after})
        if self.knobs.error_rate and self.rng.random() < self.knobs.error_rate:
            return web.Response(status=503, text="busy")
        return None

    def picks(self, knob: str, product_id: int) -> bool:
        share = getattr(self.knobs, knob)
        return share > 0 and self.catalog.is_dropped(knob, product_id, share)

    async def product_gate(self, request: web.Request, product_id: int) -> web.StreamResponse | None:
        """Per-product misbehaviour that replaces the response, or None."""
        first = self.attempts[request.path] == 0
        self.attempts[request.path] += 1
        if first and self.picks("throttle_share", product_id):
            return web.Response(status=429, text="slow down", headers={"Retry-After": self.knobs.retry_after})
        if first and self.picks("reset_share", product_id):
            _reset(request)
            return web.Response(status=200)
        if self.picks("offsite_redirect_share", product_id):
            raise web.HTTPFound(f"http://{OFFSITE_HOST}/product/{product_id}")
        if self.picks("captcha_share", product_id):
            return web.Response(text=CAPTCHA_PAGE, content_type="text/html", charset="utf-8")
        if self.picks("non_html_share", product_id):
            return web.Response(body=b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", content_type="application/pdf")
        return None

    async def shape_product(self, request: web.Request, product_id: int, html: str) -> web.StreamResponse:
        """Serve a product page, oversized, with a wrong charset, or truncated on its first request."""
        body = html.encode("utf-8")
        charset = "utf-8"
        if self.picks("oversize_share", product_id):
            body += b"<!--" + b"x" * max(0, self.knobs.oversize_bytes - len(body)) + b"-->"
        if self.picks("bad_charset_share", product_id):
            charset = "klingon-8"
        if self.attempts[request.path] == 1 and self.picks("truncate_share", product_id):
            response = web.StreamResponse(headers={"Content-Type": "text/html; charset=utf-8"})
            response.content_length = len(body)
            await response.prepare(request)
            await response.write(body[: len(body) // 2])
            _reset(request)
            return response
        return web.Response(body=body, headers={"Content-Type": f"text/html; charset={charset}"})


def _reset(request: web.Request) -> None:
    """Close the connection with a TCP reset (SO_LINGER 0), as a crashing server would."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
