"""The page store: raw responses kept as WARC segments per target and day, so that extraction,
validation and delivery can be re-run without touching the network. Dagster-free."""

from scrape_assets.page_store.day_urls import day_record_urls
from scrape_assets.page_store.generation import (
    Generation,
    close_generation,
    generation_segments,
    open_generation,
    read_generation,
    readable_segments,
    shard_mark,
    write_generation,
)
from scrape_assets.page_store.store import (
    LocalPageStore,
    PageStore,
    iter_latest_pages,
    iter_pages,
    latest_entries,
    page_store_from_spec,
    partition_prefix,
)
from scrape_assets.page_store.warc import IndexEntry, SegmentWriter, StoredPage

__all__ = [
    "Generation",
    "IndexEntry",
    "day_record_urls",
    "LocalPageStore",
    "PageStore",
    "SegmentWriter",
    "StoredPage",
    "close_generation",
    "generation_segments",
    "open_generation",
    "read_generation",
    "readable_segments",
    "shard_mark",
    "write_generation",
    "iter_latest_pages",
    "iter_pages",
    "latest_entries",
    "page_store_from_spec",
    "partition_prefix",
]
