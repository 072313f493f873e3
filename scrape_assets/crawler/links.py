"""Which links on a page the crawl follows: listing pagination and record pages, on allowed domains."""

from __future__ import annotations

from urllib.parse import urldefrag, urljoin, urlparse

from parsel import Selector

from scrape_assets.target_config.models import TargetConfig


def on_allowed_domain(target: TargetConfig, url: str) -> bool:
    """True when the URL's host is one of the target's allowed domains or a subdomain of one."""
    host = (urlparse(url).hostname or "").lower()
    return any(host == d or host.endswith("." + d) for d in target.allowed_domains)


def links_to_follow(target: TargetConfig, page_url: str, page: Selector) -> list[str]:
    """Absolute URLs linked from the page that match a follow rule or the record pattern, in page
    order. `page` is the parsed page: a live response's selector, or one built from a stored body."""
    seen: set[str] = set()
    kept = []
    for href in page.css("a::attr(href)").getall():
        url = urldefrag(urljoin(page_url, href.strip()))[0]
        if url in seen or not on_allowed_domain(target, url):
            continue
        if target.is_follow_url(url) or target.is_record_url(url):
            seen.add(url)
            kept.append(url)
    return kept
