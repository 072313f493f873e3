"""Resources for external systems: the crawl launcher, the page store, record files, the warehouse."""

from scrape_assets.defs.resources.crawl_launcher import CrawlLauncher, SubprocessCrawlLauncher
from scrape_assets.defs.resources.page_store import LocalPageStoreResource, PageStoreResource
from scrape_assets.defs.resources.record_files import RecordFiles

__all__ = ["CrawlLauncher", "LocalPageStoreResource", "PageStoreResource", "RecordFiles", "SubprocessCrawlLauncher"]
