"""Resources for external systems: the crawl launcher, the page store, record files, the warehouse,
the alert webhook."""

from scrape_assets.defs.resources.alert_webhook import AlertDeliveryFailed, AlertWebhook
from scrape_assets.defs.resources.crawl_launcher import CrawlLauncher, SubprocessCrawlLauncher
from scrape_assets.defs.resources.page_store import LocalPageStoreResource, PageStoreResource, S3PageStoreResource
from scrape_assets.defs.resources.record_files import RecordFiles
from scrape_assets.defs.resources.warehouse import (
    DEFAULT_DUCKDB_LOCK_WAIT_SECONDS,
    DEFAULT_DUCKDB_MEMORY_LIMIT,
    DuckDBWarehouse,
    SnowflakeWarehouse,
    Warehouse,
)

__all__ = [
    "DEFAULT_DUCKDB_LOCK_WAIT_SECONDS",
    "DEFAULT_DUCKDB_MEMORY_LIMIT",
    "S3PageStoreResource",
    "DuckDBWarehouse",
    "SnowflakeWarehouse",
    "Warehouse",
    "AlertDeliveryFailed",
    "AlertWebhook",
    "CrawlLauncher",
    "LocalPageStoreResource",
    "PageStoreResource",
    "RecordFiles",
    "SubprocessCrawlLauncher",
]
