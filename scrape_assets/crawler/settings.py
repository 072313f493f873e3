"""Scrapy settings for a target, built from its YAML politeness section."""

from __future__ import annotations

from typing import Any

from scrape_assets.target_config.models import TargetConfig

RETRY_HTTP_CODES = [408, 429, 500, 502, 503, 504, 522, 524]


def scrapy_settings(target: TargetConfig, crawl_delay: float = 0.0, **overrides: Any) -> dict[str, Any]:
    """Settings for one crawl of `target`. `crawl_delay` is robots.txt's Crawl-delay, applied when
    the target respects it and it is larger than the YAML's own delay."""
    polite = target.politeness
    delay = polite.download_delay_seconds
    if polite.respect_crawl_delay:
        delay = max(delay, crawl_delay)
    settings: dict[str, Any] = {
        "BOT_NAME": "scrape_assets",
        "USER_AGENT": polite.user_agent,
        "ROBOTSTXT_OBEY": polite.obey_robots,
        "CONCURRENT_REQUESTS": polite.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": polite.concurrency,
        "DOWNLOAD_DELAY": delay,
        "DOWNLOAD_TIMEOUT": polite.timeout_seconds,
        "DOWNLOAD_MAXSIZE": polite.max_page_bytes,
        "DOWNLOAD_WARNSIZE": 0,
        "RETRY_ENABLED": True,
        "RETRY_TIMES": polite.max_tries - 1,
        "RETRY_HTTP_CODES": RETRY_HTTP_CODES,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "INFO",
        "LOGSTATS_INTERVAL": 30.0,
        "EXTENSIONS": {
            "scrape_assets.crawler.extensions.page_store_writer.PageStoreWriter": 100,
            "scrape_assets.crawler.extensions.progress.PipesProgress": 110,
        },
    }
    settings.update(overrides)
    return settings
