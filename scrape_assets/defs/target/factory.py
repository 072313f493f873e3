"""The asset factory: the same graph, checks, job and schedule for every target YAML.

A target's definitions stand alone: its job is resolved here, against the target's own assets, with
the resources and executor it runs with. So a code location of many targets holds finished jobs
(building one costs the same whatever the number of targets: no job is resolved against the whole
graph), and a run of one target can be rebuilt from that target alone (`defs/location.py`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagster import Definitions, ExecutorDefinition

from scrape_assets.dagster_internals import resolve_asset_job
from scrape_assets.defs.resources import Warehouse
from scrape_assets.defs.target.asset_keys import target_keys
from scrape_assets.defs.target.assets.delivered import build_delivered
from scrape_assets.defs.target.assets.parsed_records import build_parsed_records
from scrape_assets.defs.target.assets.raw_pages import build_raw_pages
from scrape_assets.defs.target.assets.url_frontier import build_url_frontier
from scrape_assets.defs.target.assets.validated_records import build_validated_records
from scrape_assets.defs.target.catalog import TargetCatalog
from scrape_assets.defs.target.jobs import daily_job
from scrape_assets.defs.target.partitions import daily_partitions, partitioned_checks
from scrape_assets.defs.target.schedules import daily_schedule
from scrape_assets.defs.target.sensors import proxy_gate_sensor
from scrape_assets.target_config.models import TargetConfig

BUILDERS = (build_url_frontier, build_raw_pages, build_parsed_records, build_validated_records, build_delivered)


def target_definitions(
    target: TargetConfig, resources: Mapping[str, Any], executor: ExecutorDefinition, source: Path | None = None
) -> Definitions:
    """Assets (group = target name), the daily job, and what launches it: a schedule, or for a
    target behind a proxy pool, a sensor that waits for enough healthy proxies. The job is resolved
    with `resources` and `executor`, which the code location must also carry (they are not
    included here, so that many targets' definitions merge). `source` is the file that declares the
    target (the catalog's code reference)."""
    keys = target_keys(target)
    partitions = daily_partitions(target)
    warehouse = resources.get("warehouse")
    catalog = TargetCatalog(
        target,
        keys,
        source,
        table_name=warehouse.table_name(target) if isinstance(warehouse, Warehouse) else None,
        delivered_types=warehouse.column_types(target) if isinstance(warehouse, Warehouse) else {},
    )
    with partitioned_checks():
        assets = [build(target, keys, partitions, catalog) for build in BUILDERS]
    job = resolve_asset_job(daily_job(target), assets, executor, resources)
    gated = bool(target.proxies.urls)
    return Definitions(
        assets=assets,
        jobs=[job],
        schedules=[] if gated else [daily_schedule(target, job)],
        sensors=[proxy_gate_sensor(target, keys, job, partitions)] if gated else [],
    )
