"""`<target>/parsed_records`: the YAML selectors applied to stored pages (never the network)."""

from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
    PartitionsDefinition,
    asset,
)

from scrape_assets.defs.metadata import count_table, share_table
from scrape_assets.defs.resources import PageStoreResource, RecordFiles
from scrape_assets.defs.resources.record_files import Stage
from scrape_assets.defs.target.asset_keys import TargetKeys
from scrape_assets.defs.target.catalog import TargetCatalog
from scrape_assets.defs.target.checks.crawl_complete import crawl_facts
from scrape_assets.defs.target.partitions import require_day
from scrape_assets.page_store import partition_prefix, read_generation, readable_segments
from scrape_assets.target_config.models import TargetConfig


def build_parsed_records(
    target: TargetConfig, keys: TargetKeys, partitions: PartitionsDefinition, catalog: TargetCatalog
) -> AssetsDefinition:
    @asset(
        key=keys.parsed_records,
        deps=[keys.raw_pages],
        partitions_def=partitions,
        kinds={"parquet"},
        **catalog.of(keys.parsed_records),
        description=f"One text record per stored {target.name} record page, with a reference to its page; "
        "a big day is extracted by one process per core.",
    )
    def parsed_records(
        context: AssetExecutionContext, page_store: PageStoreResource, record_files: RecordFiles
    ) -> MaterializeResult:
        day = require_day(context, target)
        out = record_files.path(target.name, day, Stage.PARSED)
        store, prefix = page_store.store(), partition_prefix(target.name, day)
        generation = read_generation(store, prefix)
        if generation is None:
            raise FileNotFoundError(f"no crawl stored under {store.location(prefix)}: materialize raw_pages first")
        segments = readable_segments(store, prefix, generation)
        # imported here: extraction brings pyarrow, which the code location does not need to load
        from scrape_assets.extraction.parallel import extract_day

        extraction = extract_day(target, store, prefix, segments, out)
        summary = extraction.summary
        return MaterializeResult(
            metadata={
                "records": MetadataValue.int(summary.records),
                "record_pages": MetadataValue.int(summary.record_pages),
                "processing_failures": MetadataValue.int(summary.processing_failures),
                "pages_read": MetadataValue.int(summary.pages_read),
                "pages_skipped": count_table("reason", dict(summary.skipped)),
                "charset_fallbacks": MetadataValue.int(summary.charset_fallbacks),
                "field_presence": share_table("field", summary.completeness(target)),
                **crawl_facts(store, prefix, generation),
                "segments": MetadataValue.int(len(segments)),
                "extraction_processes": MetadataValue.int(extraction.processes),
                "extraction_worker_peak_rss_mib": MetadataValue.float(extraction.worker_peak_rss_mib),
                "path": MetadataValue.path(str(out)),
            }
        )

    return parsed_records
