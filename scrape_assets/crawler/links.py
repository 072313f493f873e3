"""Which links on a page the crawl follows: links matching a `follow` regex or picked by a `follow`
selector, and record pages, on allowed domains. URLs are compared in canonical form (w3lib's, as
Scrapy's request fingerprints are), so `?b=2&a=1` and `?a=1&b=2` are one page."""

from __future__ import annotations

from collections.abc import Container
from urllib.parse import urldefrag, urljoin, urlparse

from parsel import Selector
from w3lib.url import canonicalize_url

from scrape_assets.target_config.models import TargetConfig


def canonical(url: str) -> str:
    """The URL's canonical form, for de-duplication (not for requesting)."""
    return canonicalize_url(url)


def _selected_hrefs(target: TargetConfig, page: Selector) -> list[str]:
    """Hrefs picked by the follow selectors: from `<a>` elements, or the text nodes/attributes selected."""
    hrefs = []
    for rule in target.follow_selectors:
        for node in page.css(rule.css) if rule.css is not None else page.xpath(str(rule.xpath)):
            # a selected text or attribute is the href itself; an element gives its href attribute
            href = node.get() if isinstance(node.root, str) else node.attrib.get("href")
            if href:
                hrefs.append(href)
    return hrefs


def on_allowed_domain(target: TargetConfig, url: str) -> bool:
    """True when the URL's host is one of the target's allowed domains or a subdomain of one."""
    host = (urlparse(url).hostname or "").lower()
    return any(host == d or host.endswith("." + d) for d in target.allowed_domains)


def links_to_follow(
    target: TargetConfig, page_url: str, page: Selector, skip: Container[str] = frozenset()
) -> list[str]:
    """Absolute URLs linked from the page that a follow rule picks or that are record pages, in page
    order, each once, leaving out those whose canonical form is in `skip`. `page` is the parsed page: a
    live response's selector, or one built from a stored body."""
    seen: set[str] = set()
    kept = []
    picked = [(href, True) for href in _selected_hrefs(target, page)]
    for href, chosen in [*picked, *((href, False) for href in page.css("a::attr(href)").getall())]:
        url = urldefrag(urljoin(page_url, href.strip()))[0]
        key = canonical(url)
        if key in seen or key in skip or not on_allowed_domain(target, url):
            continue
        if chosen or target.is_follow_url(url) or target.is_record_url(url):
            seen.add(key)
            kept.append(url)
    return kept
