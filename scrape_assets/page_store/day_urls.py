"""The day's record URLs: every record page the day's crawl knew of, wherever it learnt of it."""

from __future__ import annotations

import json
from collections.abc import Callable

from scrape_assets.page_store.frontier import read_frontier
from scrape_assets.page_store.generation import read_generation, readable_segments
from scrape_assets.page_store.store import PageStore, latest_entries

FAILURES_SUFFIX = ".failures.json"


def day_record_urls(store: PageStore, prefix: str, is_record_url: Callable[[str], bool]) -> int:
    """How many distinct record URLs the day has: the frontier's (sitemaps), those the crawl stored an
    answer for (found by following links, redirects), and those it gave up on without an answer. A
    target without a sitemap learns its records while crawling: this is its frontier."""
    urls = set(read_frontier(store, prefix).records)
    generation = read_generation(store, prefix)
    if generation is None:
        return len(urls)
    segments = readable_segments(store, prefix, generation)
    urls.update(url for url in latest_entries(store, prefix, segments) if is_record_url(url))
    for segment in segments:
        failures = store.get_artifact(prefix, segment + FAILURES_SUFFIX)
        if failures:
            urls.update(f["url"] for f in json.loads(failures) if is_record_url(f["url"]))
    return len(urls)
