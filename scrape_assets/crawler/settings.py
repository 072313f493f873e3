"""Scrapy settings for a target, built from its YAML (`politeness`, `breaker`, `proxies`)."""

from __future__ import annotations

from typing import Any

from scrape_assets.crawler.failures import SecretMissing
from scrape_assets.target_config.models import TargetConfig
from scrape_assets.target_config.secrets import SecretNotSet, expand_list

RETRY_HTTP_CODES = [408, 429, 500, 502, 503, 504, 522, 524]
MIDDLEWARES = "scrape_assets.crawler.middlewares"
# seconds between progress reports, unless the launcher sets SCRAPE_ASSETS_PROGRESS_INTERVAL (here,
# not beside the progress extension, so that the code location reads it without importing Scrapy)
DEFAULT_PROGRESS_INTERVAL_SECONDS = 5.0


def effective_rate_limit(target: TargetConfig, crawl_delay: float) -> float:
    """Requests/s for the shared bucket: the YAML's limit and robots.txt's Crawl-delay, the stricter."""
    limits = []
    if target.politeness.rate_limit_per_second > 0:
        limits.append(target.politeness.rate_limit_per_second)
    if target.politeness.respect_crawl_delay and crawl_delay > 0:
        limits.append(1.0 / crawl_delay)
    return min(limits, default=0.0)


def proxy_urls(target: TargetConfig) -> list[str]:
    """The proxy URLs with their `${VAR}` credentials read from this (the crawler's) environment."""
    try:
        return expand_list(target.proxies.urls, "proxies.urls")
    except SecretNotSet as missing:
        raise SecretMissing(
            f"target {target.name!r}: {missing}", {"field": missing.field, "variable": missing.variable}
        ) from None


def required_field_selectors(target: TargetConfig) -> list[dict[str, str]]:
    """The CSS / XPath selectors of the target's required fields (within `record.item` when it has one):
    a record page none of them matches may be a block page (soft_ban.py)."""
    item = target.record.item
    if item is not None:  # a page of items: its item selector stands for the fields
        return [item.model_dump(exclude_none=True)]
    return [
        {kind: getattr(spec, kind)}
        for spec in target.record.fields.values()
        if spec.required
        for kind in ("css", "xpath")
        if getattr(spec, kind) is not None
    ]


def scrapy_settings(
    target: TargetConfig, crawl_delay: float = 0.0, redis_url: str = "", processes: int = 1, **overrides: Any
) -> dict[str, Any]:
    """Settings for one crawl of `target`. `crawl_delay` is robots.txt's Crawl-delay; it becomes a
    rate limit shared by every crawler process of the target (through Redis when `redis_url`).
    `processes` may crawl the target at once (its shards): without Redis to share the rate limit,
    each takes 1/processes of it. Concurrency, as in Scrapy, is per process: shards may run one after
    the other (Dagster's in-process executor), and dividing it would slow them down for nothing."""
    polite, breaker, proxies = target.politeness, target.breaker, target.proxies
    rate_limit = effective_rate_limit(target, crawl_delay)
    if not redis_url:
        rate_limit /= processes
    settings: dict[str, Any] = {
        "BOT_NAME": "scrape_assets",
        "USER_AGENT": polite.user_agent,
        "ROBOTSTXT_OBEY": polite.obey_robots,
        "CONCURRENT_REQUESTS": polite.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": polite.concurrency,
        # Our spiders yield requests, never items (pages are kept by the page store extension), and
        # Scrapy starts CONCURRENT_ITEMS asyncio tasks for every callback's output: at its default
        # of 100 that task churn was the largest cost per page in the crawl's profile (bench/).
        "CONCURRENT_ITEMS": 1,
        "DOWNLOAD_DELAY": polite.download_delay_seconds,
        "DOWNLOAD_TIMEOUT": polite.timeout_seconds,
        "DOWNLOAD_MAXSIZE": polite.max_page_bytes,
        "DOWNLOAD_WARNSIZE": 0,
        "RETRY_ENABLED": True,
        "RETRY_TIMES": polite.max_tries - 1,
        "RETRY_HTTP_CODES": RETRY_HTTP_CODES,
        "COOKIES_ENABLED": False,
        # the crawl's bounds from the YAML: Scrapy's DepthMiddleware and CloseSpider extension (0 = none)
        "DEPTH_LIMIT": target.max_depth,
        "CLOSESPIDER_PAGECOUNT": target.max_pages,
        # no control port in a crawler: Scrapy's telnet console, and since 2.19 its remote-control HTTP
        # server, which runs Python sent to it (with a token it writes under the user's home) and
        # could read the secrets in this process's environment
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
        "LOG_LEVEL": "INFO",
        "LOGSTATS_INTERVAL": 30.0,
        "SCRAPE_ASSETS_BACKOFF_BASE": polite.backoff_base_seconds,
        "SCRAPE_ASSETS_BACKOFF_MAX": polite.backoff_max_seconds,
        "SCRAPE_ASSETS_RETRY_AFTER_MAX": polite.retry_after_max_seconds,
        "SCRAPE_ASSETS_RATE_LIMIT": rate_limit,
        "SCRAPE_ASSETS_RATE_LIMIT_BURST": polite.rate_limit_burst,
        "SCRAPE_ASSETS_RATE_LIMIT_KEY": f"scrape_assets:rate:{target.name}",
        "SCRAPE_ASSETS_REDIS_URL": redis_url,
        "SCRAPE_ASSETS_BREAKER_WINDOW": breaker.window_seconds,
        "SCRAPE_ASSETS_BREAKER_ERROR_SHARE": breaker.error_share,
        "SCRAPE_ASSETS_BREAKER_MIN_SAMPLES": breaker.min_samples,
        "SCRAPE_ASSETS_BREAKER_OPEN_SECONDS": breaker.open_seconds,
        "SCRAPE_ASSETS_BREAKER_MAX_OPEN_SECONDS": breaker.max_open_seconds,
        "SCRAPE_ASSETS_BREAKER_OUTAGE_AFTER": breaker.outage_after_seconds,
        "SCRAPE_ASSETS_BREAKER_CONSECUTIVE_FAILURES": breaker.consecutive_failures,
        "SCRAPE_ASSETS_BLOCKED_MARKERS": [marker.model_dump(exclude_none=True) for marker in target.blocked_when],
        "SCRAPE_ASSETS_BLOCKED_COMMON_MARKERS": target.blocked_common_markers,
        "SCRAPE_ASSETS_BLOCKED_FIELD_SELECTORS": required_field_selectors(target),
        "SCRAPE_ASSETS_RECORD_URL_PATTERN": target.record_url_pattern,
        "SCRAPE_ASSETS_PROXY_URLS": proxy_urls(target),
        "SCRAPE_ASSETS_PROXY_BAN_STATUSES": proxies.ban_statuses,
        "SCRAPE_ASSETS_PROXY_BENCH_SECONDS": proxies.bench_seconds,
        "SCRAPE_ASSETS_PROXY_EXHAUSTED_TIMEOUT": proxies.exhausted_timeout_seconds,
        "AUTOTHROTTLE_ENABLED": polite.adaptive,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": polite.throttle_target(),
        "AUTOTHROTTLE_START_DELAY": polite.download_delay_seconds,
        "AUTOTHROTTLE_MAX_DELAY": polite.adaptive_max_delay_seconds,
        "DOWNLOADER_MIDDLEWARES": {
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            # robots.txt as RFC 9309 reads it: a 5xx or unreachable one disallows everything
            "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
            f"{MIDDLEWARES}.robots_rfc9309.Rfc9309RobotsTxtMiddleware": 100,
            f"{MIDDLEWARES}.backoff_retry.BackoffRetryMiddleware": 550,
            f"{MIDDLEWARES}.proxy_pool.ProxyPoolMiddleware": 740,
            # after the pool in the response chain (a higher number): it flags a block page for the pool
            f"{MIDDLEWARES}.soft_ban.SoftBanMiddleware": 745,
            f"{MIDDLEWARES}.circuit_breaker.CircuitBreakerMiddleware": 880,
            f"{MIDDLEWARES}.rate_limit.RateLimitMiddleware": 900,
        },
        "EXTENSIONS": {
            "scrapy.extensions.throttle.AutoThrottle": None,
            "scrape_assets.crawler.extensions.adaptive_throttle.AdaptiveThrottle": 0,
            "scrape_assets.crawler.extensions.page_store_writer.PageStoreWriter": 100,
            "scrape_assets.crawler.extensions.progress.PipesProgress": 110,
        },
    }
    settings.update(overrides)
    return settings
