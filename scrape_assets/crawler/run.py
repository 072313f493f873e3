"""Run one crawl (frontier or pages) in this process and summarise it. One crawl per process:
Twisted's reactor cannot be restarted."""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any
from urllib.parse import urlparse

from parsel import Selector
from scrapy import Spider
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from w3lib.encoding import html_to_unicode

from scrape_assets.crawler.failures import (
    OUR_SIDE_KINDS,
    FrontierIncomplete,
    PageStoreUnavailable,
    ProxyPoolExhausted,
    RobotsTxtUnreachable,
    TargetOutage,
    TargetUnreachable,
)
from scrape_assets.crawler.links import links_to_follow
from scrape_assets.crawler.middlewares.robots_rfc9309 import UNREACHABLE_STAT as ROBOTS_UNREACHABLE_STAT
from scrape_assets.crawler.our_side import STAT as OUR_SIDE_STAT
from scrape_assets.crawler.settings import DEFAULT_PROGRESS_INTERVAL_SECONDS, scrapy_settings
from scrape_assets.crawler.spiders.frontier import FrontierSpider
from scrape_assets.crawler.spiders.pages import PageSpider
from scrape_assets.page_store import PageStore, iter_pages, latest_entries
from scrape_assets.page_store.day_urls import FAILURES_SUFFIX
from scrape_assets.page_store.frontier import Frontier, read_frontier, write_frontier
from scrape_assets.process_stats import cpu_seconds, peak_rss_mib
from scrape_assets.shards import shard_label, shard_of
from scrape_assets.target_config.models import TargetConfig


def _crawl(spider_cls: type[Spider], settings: dict[str, Any], **kwargs: Any) -> tuple[Any, dict[str, Any], float]:
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(spider_cls)
    process.crawl(crawler, **kwargs)
    started = time.monotonic()
    process.start()
    return crawler.spider, crawler.stats.get_stats(), time.monotonic() - started


def _store_settings(store_spec: dict, prefix: str, segment: str, progress_interval: float) -> dict[str, Any]:
    return {
        "SCRAPE_ASSETS_PAGE_STORE": store_spec,
        "SCRAPE_ASSETS_PAGE_PREFIX": prefix,
        "SCRAPE_ASSETS_SEGMENT": segment,
        "SCRAPE_ASSETS_PROGRESS_INTERVAL": progress_interval,
    }


def run_frontier(
    target: TargetConfig,
    store: PageStore,
    store_spec: dict,
    prefix: str,
    segment: str,
    progress_interval: float = DEFAULT_PROGRESS_INTERVAL_SECONDS,
    redis_url: str = "",
) -> dict[str, Any]:
    """Read robots.txt and the sitemaps; write `frontier.jsonl` and `robots.json` beside the pages."""
    settings = scrapy_settings(
        target,
        redis_url=redis_url,
        ROBOTSTXT_OBEY=False,
        SCRAPE_ASSETS_RATE_LIMIT_MAY_BE_FOUND=True,
        **_store_settings(store_spec, prefix, segment, progress_interval),
    )
    spider, stats, seconds = _crawl(FrontierSpider, settings, target=target)
    _raise_for_our_side(target, stats, {"requests": stats.get("downloader/request_count", 0)})
    robots_url = target.absolute("/robots.txt")
    if stats.get("finish_reason") == ProxyPoolExhausted.kind:  # our proxies, never the target
        raise ProxyPoolExhausted(
            f"target {target.name!r}: every proxy benched for over {target.proxies.exhausted_timeout_seconds:.0f}s "
            f"while the frontier read {robots_url} and the sitemaps; the target is not at fault",
            {"requests": stats.get("downloader/request_count", 0)},
        )
    if not spider.robots_fetched:
        reasons = "; ".join(f.error for f in spider.failures) or "no response"
        raise TargetUnreachable(
            f"target {target.name!r}: {robots_url} unreachable after {target.politeness.max_tries} tries ({reasons})",
            {"url": robots_url, "failures": [f.to_dict() for f in spider.failures]},
        )
    if spider.robots_unreachable:
        raise _robots_unreachable(target, spider.robots_unreachable)
    if spider.failures:
        listed = ", ".join(f"{f.url} ({f.error})" for f in spider.failures[:5])
        raise FrontierIncomplete(
            f"target {target.name!r}: {len(spider.failures)} sitemap request(s) failed: {listed} "
            f"(crawler peak RSS {peak_rss_mib()} MiB)",
            {"failures": [f.to_dict() for f in spider.failures], "peak_rss_mib": peak_rss_mib()},
        )
    if not spider.records and not spider.listings:
        raise FrontierIncomplete(f"target {target.name!r}: the sitemaps and start_urls list no URL to crawl")
    write_frontier(
        store,
        prefix,
        Frontier(sorted(spider.listings), sorted(spider.records), spider.crawl_delay, len(spider.disallowed)),
    )
    return {
        "record_urls": len(spider.records),
        "listing_urls": len(spider.listings),
        "robots_disallowed": len(spider.disallowed),
        "crawl_delay_seconds": spider.crawl_delay,
        "sitemaps_parsed": spider.sitemaps_parsed,
        "sitemap_urls_skipped": spider.skipped,
        "requests": stats.get("downloader/request_count", 0),
        "duration_seconds": round(seconds, 3),
        "peak_rss_mib": peak_rss_mib(),
        "cpu_seconds": cpu_seconds(),
    }


DONE_STATUSES = frozenset({*range(200, 300), 404, 410})
OUR_REFUSALS = frozenset({"robots_denied", "offsite", "offsite_redirect"})


def _resume_state(
    target: TargetConfig, store: PageStore, prefix: str, earlier: list[str], follow_listings: bool
) -> tuple[set[str], list[str]]:
    """URLs an interrupted crawl already finished (from the segment indexes alone), and the links
    found on its stored listing pages (the only bodies read; only for the shard that follows links)."""
    latest = latest_entries(store, prefix, earlier)
    done = {url for url, (_, entry) in latest.items() if entry.status in DONE_STATUSES}
    if not follow_listings:
        return done, []
    listings = [latest[url] for url in sorted(done) if not target.is_record_url(url)]
    links: list[str] = []
    for page in iter_pages(store, prefix, listings):
        if "html" in page.content_type:
            _, text = html_to_unicode(page.headers.get("content-type"), page.body)
            links.extend(links_to_follow(target, page.url, Selector(text=text)))
    return done, links


def run_pages(
    target: TargetConfig,
    store: PageStore,
    store_spec: dict,
    prefix: str,
    segment: str,
    progress_interval: float = DEFAULT_PROGRESS_INTERVAL_SECONDS,
    redis_url: str = "",
    shard: tuple[int, int] = (0, 1),
    resume_segments: list[str] | None = None,
) -> dict[str, Any]:
    """Fetch one shard of the frontier (and, for shard 0, followed listings) into a new segment.

    `shard` is (index, count). Resumes an interrupted crawl of the day: URLs found in
    `resume_segments` are not requested again. The orchestrator opens and closes the day's generation;
    this never writes it. The target's rate limit is shared by the shards: through Redis, or without it
    each process takes 1/count of it.
    """
    index, count = shard
    frontier = read_frontier(store, prefix)
    earlier = list(resume_segments or [])
    done, resume_links = _resume_state(target, store, prefix, earlier, follow_listings=index == 0)
    # Record pages another shard owns are never fetched here, even when a listing links to them;
    # only shard 0 crawls listings, so only it needs to know them.
    theirs = {url for url in frontier.records if shard_of(url, count) != index} if index == 0 and count > 1 else set()
    listings = [url for url in frontier.listings if url not in done] if index == 0 else []
    listings += [url for url in resume_links if url not in done and url not in theirs]
    records = (
        frontier.records
        if count == 1 and not done
        else [url for url in frontier.records if shard_of(url, count) == index and url not in done]
    )
    settings = scrapy_settings(
        target,
        crawl_delay=frontier.crawl_delay,
        redis_url=redis_url,
        processes=count,
        **_store_settings(store_spec, prefix, segment, progress_interval),
    )
    spider, stats, seconds = _crawl(
        PageSpider,
        settings,
        target=target,
        listings=listings,
        records=records,
        already_done=done | theirs if theirs else done,
        follow_links=index == 0,
    )
    responses = stats.get("page_store/responses", 0)
    failures = [f.to_dict() for f in spider.failures]
    summary = crawl_summary(stats, failures, seconds)
    summary.update(
        {
            "segment": f"{store.location(prefix)}/{segment}",
            "shard": shard_label(index, count),
            "resumed_segments": len(earlier),
            "skipped_already_stored": len(done),
            "rate_limit_per_second": settings["SCRAPE_ASSETS_RATE_LIMIT"],
            "rate_limit_backend": "redis" if redis_url else "local",
            "concurrency": settings["CONCURRENT_REQUESTS"],
            "throttle_target_concurrency": settings["AUTOTHROTTLE_TARGET_CONCURRENCY"]
            if settings["AUTOTHROTTLE_ENABLED"]
            else 0.0,
        }
    )
    _raise_for_our_side(target, stats, summary)
    try:
        store.put_artifact(prefix, segment + FAILURES_SUFFIX, json.dumps(failures).encode())
    except OSError as exc:
        raise PageStoreUnavailable(
            f"target {target.name!r}: cannot write the crawl's failure list to the page "
            f"store at {store.location(prefix)} ({exc}); the target is not at fault",
            summary,
        ) from exc
    reason = stats.get("finish_reason")
    if reason == TargetOutage.kind:
        raise TargetOutage(
            f"target {target.name!r}: circuit breaker open for over {target.breaker.outage_after_seconds:.0f}s; "
            f"{responses} responses stored and kept; the next crawl of the day fetches only what is missing",
            summary,
        )
    if reason == ProxyPoolExhausted.kind:
        raise ProxyPoolExhausted(
            f"target {target.name!r}: every proxy benched for over {target.proxies.exhausted_timeout_seconds:.0f}s; "
            f"{responses} responses stored and kept; extraction of stored pages can still run",
            summary,
        )
    # after the stops above (an exhausted pool fails robots.txt too); only the target's own host counts
    unreachable = stats.get(f"{ROBOTS_UNREACHABLE_STAT}/{urlparse(target.base_url).netloc}")
    if unreachable:
        raise _robots_unreachable(target, unreachable, summary)
    pages_answered = responses - stats.get("robotstxt/response_count", 0)
    # requests we refused ourselves (robots.txt, off-domain) say nothing of whether the target answers
    unanswered = [f for f in failures if f["outcome"] not in OUR_REFUSALS]
    if pages_answered <= 0 and unanswered:
        raise TargetUnreachable(
            f"target {target.name!r}: no page answered; first failure: {unanswered[0]['url']} "
            f"({unanswered[0]['error']})",
            {"failures": failures[:50]},
        )
    return summary


def _robots_unreachable(target: TargetConfig, why: str, details: dict[str, Any] | None = None) -> RobotsTxtUnreachable:
    return RobotsTxtUnreachable(
        f"target {target.name!r}: {why} after {target.politeness.max_tries} tries; RFC 9309 disallows the whole "
        "site until robots.txt can be read, so nothing else was fetched; the day is crawled once it answers",
        details,
    )


def _raise_for_our_side(target: TargetConfig, stats: dict, details: dict[str, Any]) -> None:
    """Raise the named failure of our own side that stopped the crawl, if one did: it comes before any
    verdict on the target, whose requests may have failed only because of it."""
    failure = stats.get(OUR_SIDE_STAT)
    if failure:
        raise OUR_SIDE_KINDS[failure["kind"]](
            f"target {target.name!r}: {failure['message']}; the target is not at fault", details
        )


# download errors that mean nobody is there: `try` reports them at once
NOT_THERE = (
    "scrapy.exceptions.CannotResolveHostError",
    "scrapy.exceptions.DownloadConnectionRefusedError",
    "twisted.internet.error.ConnectError",
)


def run_try(target: TargetConfig, urls: list[str], redis_url: str = "") -> tuple[list, list]:
    """Fetch `urls` with the target's politeness (robots.txt, Crawl-delay, rate limit, retries) and
    return (pages, failed requests), nothing stored: `python -m scrape_assets try`. A host that refuses
    connections or does not resolve (a wrong port, a dead site) is not tried again: `try` says so at
    once, where a crawl would retry it with backoff."""
    from scrape_assets.crawler.spiders.try_pages import TrySpider

    settings = scrapy_settings(
        target,
        redis_url=redis_url,
        LOG_LEVEL="ERROR",
        SCRAPE_ASSETS_RATE_LIMIT_MAY_BE_FOUND=True,
        RETRY_EXCEPTIONS=[error for error in Settings().getlist("RETRY_EXCEPTIONS") if error not in NOT_THERE],
    )
    spider, stats, _ = _crawl(TrySpider, settings, target=target, urls=urls)
    _raise_for_our_side(target, stats, {})
    order = {url: number for number, url in enumerate(urls)}
    return sorted(spider.pages, key=lambda page: order.get(page.url, len(urls))), spider.failures


def _prefixed(stats: dict, prefix: str) -> dict[str, Any]:
    return {key[len(prefix) :]: value for key, value in stats.items() if key.startswith(prefix)}


def crawl_summary(stats: dict, failures: list[dict], seconds: float) -> dict[str, Any]:
    """Every counter of a page crawl, for `raw_pages` metadata."""
    responses = stats.get("page_store/responses", 0)
    return {
        "pages": responses,
        "requests": stats.get("downloader/request_count", 0),
        "bytes": stats.get("page_store/bytes", 0),
        "status_counts": dict(sorted(_prefixed(stats, "downloader/response_status_count/").items())),
        "retries": stats.get("retry/count", 0),
        "retries_by_status": _prefixed(stats, "retry/status/"),
        "retries_by_reason": _prefixed(stats, "retry/reason_count/"),
        "responses_429": stats.get("downloader/response_status_count/429", 0),
        "backoff_seconds": round(stats.get("backoff/seconds", 0.0), 3),
        "retry_after_honoured": stats.get("backoff/retry_after", 0),
        "breaker_opened": stats.get("breaker/opened", 0),
        "breaker_closed": stats.get("breaker/closed", 0),
        "breaker_requeued": stats.get("breaker/requeued", 0),
        "breaker_transitions": stats.get("breaker/transitions", []),
        "robots_denied": stats.get("robotstxt/forbidden", 0),
        "proxy_banned": stats.get("proxy/banned", 0),
        "proxy_dead": stats.get("proxy/dead", 0),
        "proxy_exhausted_alerts": stats.get("proxy/exhausted_alerts", 0),
        "proxy_pool": stats.get("proxy/pool", []),
        "rate_limit_waits": stats.get("rate_limit/waits", 0),
        "throttle_429_stepdowns": stats.get("throttle/429_stepdowns", 0),
        "throttle_timeline": stats.get("throttle/timeline", []),
        "failed_requests": len(failures),
        "outcomes": dict(Counter(f["outcome"] for f in failures)),
        "failures": failures[:20],
        "duration_seconds": round(seconds, 3),
        "pages_per_second": round(responses / seconds, 1) if seconds > 0 else 0.0,
        "peak_rss_mib": peak_rss_mib(),
        "cpu_seconds": cpu_seconds(),
    }
