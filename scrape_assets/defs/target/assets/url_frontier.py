"""`<target>/url_frontier`: robots.txt and the sitemap index -> the day's URLs, crawled in a worker."""

from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
    PartitionsDefinition,
    asset,
)

from scrape_assets.defs.resources import CrawlLauncher, PageStoreResource
from scrape_assets.defs.tags import target_tags
from scrape_assets.defs.target.asset_keys import TargetKeys
from scrape_assets.defs.target.assets.crawl_extras import crawl_extras
from scrape_assets.defs.target.partitions import require_day
from scrape_assets.defs.target.sole_crawl import crawl_pool, refuse_second_crawl
from scrape_assets.page_store import partition_prefix
from scrape_assets.target_config.models import TargetConfig


def build_url_frontier(target: TargetConfig, keys: TargetKeys, partitions: PartitionsDefinition) -> AssetsDefinition:
    @asset(
        key=keys.url_frontier,
        partitions_def=partitions,
        group_name=target.name,
        kinds={"scrapy"},
        pool=crawl_pool(target),
        tags=target_tags(target.name),
        description=f"URLs to crawl for {target.name}: product pages from the sitemaps, listing pages to follow.",
    )
    def url_frontier(
        context: AssetExecutionContext, crawl_launcher: CrawlLauncher, page_store: PageStoreResource
    ) -> MaterializeResult:
        day = require_day(context, target)
        refuse_second_crawl(context, target, keys, day)
        metadata = crawl_launcher.launch(context, crawl_extras(context, target, page_store, "frontier"))
        location = page_store.store().location(partition_prefix(target.name, day))
        return MaterializeResult(metadata={**metadata, "location": MetadataValue.path(location)})

    return url_frontier
