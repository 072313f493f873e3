"""Shared by the two crawl assets: the Pipes extras of a crawl job for one target and day."""


from datetime import datetime, timezone
from typing import Any

from dagster import AssetExecutionContext

from scrape_assets.defs.resources import PageStoreResource
from scrape_assets.page_store import partition_prefix
from scrape_assets.target_config.models import TargetConfig


def segment_name(context: AssetExecutionContext, mode: str) -> str:
    """A new, chronologically sortable segment name: time, mode, run and try."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    return f"{stamp}-{mode}-{context.run.run_id[:8]}-try{context.retry_number}"


def crawl_extras(context: AssetExecutionContext, target: TargetConfig, page_store: PageStoreResource,
                 mode: str) -> dict[str, Any]:
    """What the crawler process needs to know, sent through Pipes."""
    return {
        "mode": mode,
        "target": target.model_dump(mode="json"),
        "page_store": page_store.spec(),
        "prefix": partition_prefix(target.name, context.partition_key),
        "segment": segment_name(context, mode),
    }
