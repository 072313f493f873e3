"""The page crawl fans out to shards (`sharding` in the target YAML): Dagster maps one crawl step
per shard, runs them in parallel, retries a shard on its own, and a re-execution from failure reruns
only the shards that failed. Faults are real: a shard's crawler process is killed with SIGKILL, as
the kernel's OOM killer or a node loss would."""

from __future__ import annotations

import os
import signal
import threading
import time
from itertools import pairwise
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml
from dagster import AssetKey, ReexecutionOptions, execute_job

from scrape_assets.demo_site.process import DemoSite
from scrape_assets.page_store import LocalPageStore
from scrape_assets.page_store.frontier import read_frontier
from scrape_assets.page_store.store import INDEX_SUFFIX
from scrape_assets.page_store.warc import IndexEntry
from scrape_assets.shards import shard_of
from scrape_assets_tests.conftest import Pipeline
from scrape_assets_tests.processes import pipes_extras
from scrape_assets_tests.reconstructable_jobs import reconstructable_daily_demo_shop
from scrape_assets_tests.results import failure_cause, materialization_metadata

pytestmark = pytest.mark.e2e
DAY = "2026-11-20"
PRODUCTS = 60
CRAWL = "demo_shop__raw_pages.demo_shop__crawl_shard"
THREE_SHARDS = {"max_shards": 3, "urls_per_shard": 20}
PACED = {"concurrency": 2, "backoff_base_seconds": 0.1, "backoff_max_seconds": 0.5}


def _shard_of_process(pid: int) -> int | None:
    """The shard a crawler process crawls, from its Pipes bootstrap (None if not a page crawl)."""
    shard = (pipes_extras(pid) or {}).get("shard")
    return None if shard is None else shard["index"]


class ShardKiller(threading.Thread):
    """Kills the first crawler process of shard `index` of 3 once `after_pages` of that shard's product
    pages are served by the demo site (`stored=False`: no flush lag) or stored in the day's page store,
    flushed to a segment index a resumed crawl reads (`stored=True`): an event of the crawl, never a time."""

    def __init__(self, index: int, pipeline: Pipeline, site: DemoSite, after_pages: int = 2, stored: bool = False):
        super().__init__(daemon=True)
        self.index, self.pipeline, self.site, self.after_pages = index, pipeline, site, after_pages
        self.stored = stored
        self.killed, self._halt = False, threading.Event()

    def _owned(self, paths) -> int:
        try:
            owners = _product_owners(self.pipeline)
        except (FileNotFoundError, ValueError):  # the frontier is not (fully) written yet
            return 0
        return sum(1 for path in paths if owners.get(path) == self.index)

    def _done(self) -> int:
        if not self.stored:
            return self._owned(self.site.stats(with_paths=True)["by_path"])
        # only the flushed indexes: a segment still being written has none yet, and its tail may be partial
        folder = self.pipeline.data_dir / "pages" / "demo_shop" / DAY
        paths = set()
        for index in folder.glob(f"*{INDEX_SUFFIX}"):
            with open(index, encoding="utf-8") as lines:
                paths |= {urlparse(IndexEntry.from_json(line).url).path for line in lines if line.endswith("\n")}
        return self._owned(paths)

    def run(self) -> None:
        while not self._halt.is_set() and not self.killed:
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit():
                    continue
                pid = int(entry.name)
                try:
                    cmdline = (entry / "cmdline").read_bytes()
                except OSError:
                    continue
                if b"scrape_assets.crawler" not in cmdline or _shard_of_process(pid) != self.index:
                    continue
                if self._done() >= self.after_pages:
                    os.kill(pid, signal.SIGKILL)
                    self.killed = True
                    break
            time.sleep(0.05)

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=5)


def _steps(instance, run_id: str) -> dict:
    return {s.step_key: s for s in instance.get_run_step_stats(run_id)}


def _product_owners(pipeline) -> dict[str, int]:
    """Product path -> the shard that owns it, from the day's stored frontier."""
    frontier = read_frontier(LocalPageStore(pipeline.data_dir / "pages"), f"demo_shop/{DAY}")
    return {urlparse(url).path: shard_of(url, 3) for url in frontier.records}


def test_shards_crawl_in_parallel_and_a_killed_shard_is_retried_alone(pipeline, start_site):
    pipeline.configure(
        sharding=THREE_SHARDS,
        politeness=PACED,
        run_policy={"crawl_step_retries": 1, "crawl_step_retry_delay_seconds": 0},
    )
    site = start_site(PRODUCTS, "--latency-ms", "150")
    pipeline.definitions(site)  # points the YAML at this site
    killer = ShardKiller(index=1, pipeline=pipeline, site=site)
    killer.start()
    try:
        with execute_job(reconstructable_daily_demo_shop(), pipeline.instance, tags={"dagster/partition": DAY}) as run:
            assert run.success
            metadata = materialization_metadata(run, "raw_pages")
    finally:
        killer.stop()
    assert killer.killed

    steps = _steps(pipeline.instance, run.run_id)
    shards = {key: steps[key] for key in steps if key.startswith(CRAWL)}
    assert sorted(shards) == [f"{CRAWL}[{i}of3]" for i in range(1, 4)]
    # the killed shard was retried by its own RetryPolicy; the others ran once
    assert {key: s.attempts for key, s in shards.items()} == {
        f"{CRAWL}[1of3]": 1,
        f"{CRAWL}[2of3]": 2,
        f"{CRAWL}[3of3]": 1,
    }
    windows = sorted((s.start_time, s.end_time) for s in shards.values())
    assert any(later[0] < earlier[1] for earlier, later in pairwise(windows)), windows  # in parallel

    assert metadata["shards"] == 3 and len(metadata["per_shard"].records) == 3
    assert sorted(row.data["shard"] for row in metadata["per_shard"].records) == ["1of3", "2of3", "3of3"]
    owners = _product_owners(pipeline)
    assert set(owners.values()) == {0, 1, 2}
    requests = site.stats(with_paths=True)["by_path"]
    # pages of the shards that were not killed were fetched exactly once
    assert all(requests[path] == 1 for path, shard in owners.items() if shard != 1)
    assert pipeline.query("SELECT count(*), count(DISTINCT sku) FROM delivered_demo_shop") == [(PRODUCTS, PRODUCTS)]


@pytest.mark.long
def test_reexecution_from_failure_reruns_only_the_failed_shard(pipeline, start_site):
    pipeline.configure(sharding=THREE_SHARDS, politeness=PACED, run_policy={"crawl_step_retries": 0})
    site = start_site(PRODUCTS, "--latency-ms", "300")
    pipeline.definitions(site)
    job = reconstructable_daily_demo_shop()
    # part-way through its crawl, once some of its pages are stored for the re-execution to resume
    killer = ShardKiller(index=2, pipeline=pipeline, site=site, after_pages=5, stored=True)
    killer.start()
    try:
        with execute_job(job, pipeline.instance, tags={"dagster/partition": DAY}) as first:
            assert not first.success
    finally:
        killer.stop()
    statuses = {key: s.status.value for key, s in _steps(pipeline.instance, first.run_id).items()}
    assert {key: statuses[key] for key in statuses if key.startswith(CRAWL)} == {
        f"{CRAWL}[1of3]": "SUCCESS",
        f"{CRAWL}[2of3]": "SUCCESS",
        f"{CRAWL}[3of3]": "FAILURE",
    }
    assert "demo_shop__raw_pages.demo_shop__combine_shards" not in statuses  # the asset was not materialized

    site.reset_stats()
    options = ReexecutionOptions.from_failure(first.run_id, pipeline.instance)
    parent_tags = pipeline.instance.get_run_by_id(first.run_id).tags
    with execute_job(job, pipeline.instance, reexecution_options=options, tags=parent_tags) as second:
        assert second.success
        metadata = materialization_metadata(second, "raw_pages")
    rerun = set(_steps(pipeline.instance, second.run_id))
    assert {key for key in rerun if key.startswith("demo_shop__raw_pages.")} == {
        f"{CRAWL}[3of3]",
        "demo_shop__raw_pages.demo_shop__combine_shards",
    }
    assert "demo_shop__url_frontier" not in rerun

    # only shard 2's pages were requested again, and only those its killed try had not stored
    owners = _product_owners(pipeline)
    requested = {path for path in site.stats(with_paths=True)["by_path"] if path.startswith("/product/")}
    assert requested and all(owners[path] == 2 for path in requested)
    assert len(requested) < sum(1 for shard in owners.values() if shard == 2)
    assert metadata["shards"] == 3  # the report combines the rerun shard with the two loaded from the first run
    assert pipeline.query("SELECT count(*), count(DISTINCT sku) FROM delivered_demo_shop") == [(PRODUCTS, PRODUCTS)]


def test_a_yaml_with_no_sharding_or_concurrency_lines_fans_out_to_the_cores_at_full_concurrency(pipeline, start_site):
    """Fast by default: with no `max_shards`, a day big enough for several shards gets one per core the
    crawlers may use, crawled side by side by the default executor, each at the default concurrency
    with AutoThrottle aiming at that concurrency (not throttling a healthy site down)."""
    body = yaml.safe_load((pipeline.targets_dir / "demo_shop.yaml").read_text())
    assert "sharding" not in body and "concurrency" not in body["politeness"]  # the bundled YAML sets neither
    pipeline.configure(sharding={"urls_per_shard": 20})  # 60 products: three shards' worth
    site = start_site(PRODUCTS, "--latency-ms", "100")
    pipeline.definitions(site)
    cores = len(os.sched_getaffinity(0))
    with execute_job(reconstructable_daily_demo_shop(), pipeline.instance, tags={"dagster/partition": DAY}) as run:
        assert run.success
        metadata = materialization_metadata(run, "raw_pages")
    expected = min(3, cores)
    assert metadata["shards"] == expected
    assert metadata["concurrency"] == (16 if expected == 1 else [16] * expected)
    assert metadata["throttle_target_concurrency"] == (16.0 if expected == 1 else [16.0] * expected)
    shards = {k: s for k, s in _steps(pipeline.instance, run.run_id).items() if k.startswith(CRAWL)}
    assert len(shards) == expected
    if expected > 1:  # side by side, not one after the other
        windows = sorted((s.start_time, s.end_time) for s in shards.values())
        assert any(later[0] < earlier[1] for earlier, later in pairwise(windows)), windows
    assert pipeline.query("SELECT count(DISTINCT sku) FROM delivered_demo_shop") == [(PRODUCTS,)]


def test_a_shard_that_exhausted_its_retries_leaves_a_partial_day_that_no_later_run_delivers(pipeline, start_site):
    """A shard killed on its last try fails with an error that is not a stop (CrawlerExited): raw_pages is
    not materialized and the generation stays open. A later run of the stages below the crawl extracts and
    validates the partial day, and every record check passes on it (thresholds lowered, as a user might):
    the crawl's completeness alone refuses it, until the day is crawled to its end."""
    pipeline.configure(
        sharding=THREE_SHARDS,
        politeness=PACED,
        run_policy={"crawl_step_retries": 0},
        record={"min_row_share": 0.1, "max_row_drop": 1.0},
    )
    site = start_site(PRODUCTS, "--latency-ms", "300")
    pipeline.definitions(site)
    killer = ShardKiller(index=1, pipeline=pipeline, site=site, after_pages=2, stored=True)
    killer.start()
    try:
        with execute_job(reconstructable_daily_demo_shop(), pipeline.instance, tags={"dagster/partition": DAY}) as run:
            assert not run.success
            crashed = run.run_id
    finally:
        killer.stop()
    assert killer.killed
    failures = {s.step_key: s.status.value for s in pipeline.instance.get_run_step_stats(crashed)}
    assert failures[f"{CRAWL}[2of3]"] == "FAILURE"

    below_the_crawl = [
        AssetKey(["demo_shop", name])
        for name in ("parsed_records", "validated_records", "quarantined_records", "delivered_demo_shop")
    ]
    later = pipeline.run_day(site, DAY, selection=below_the_crawl)

    assert not later.success
    checks = {e.check_name: e.passed for e in later.get_asset_check_evaluations()}
    assert checks["valid_share"] and checks["row_count_vs_frontier"]  # the partial day looks fine by its records
    step, cause = failure_cause(later)
    assert step == "demo_shop__delivered_demo_shop" and cause.cls_name == "DeliveryBlocked"
    assert (
        f"demo_shop/raw_pages:crawl_complete failed: the records validated in run {later.run_id} come from a "
        "crawl that did not complete"
    ) in cause.message
    assert materialization_metadata(later, "validated_records")["crawl_complete"] is False
    assert not pipeline.table_exists("delivered_demo_shop")

    # the day crawled again resumes the open generation and is delivered whole
    assert pipeline.run_day(site, DAY).success
    assert pipeline.query("SELECT count(DISTINCT sku) FROM delivered_demo_shop") == [(PRODUCTS,)]
