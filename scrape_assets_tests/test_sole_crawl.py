"""The sole-crawl rule's order of runs (`defs/target/sole_crawl.py`) on real run records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dagster import DagsterRun, DagsterRunStatus, instance_for_test

from scrape_assets.defs.target.asset_keys import target_keys
from scrape_assets.defs.target.sole_crawl import older_crawls
from scrape_assets.target_config import load_target
from scrape_assets.target_config.loader import DEFAULT_TARGETS_DIR

TARGET = load_target(DEFAULT_TARGETS_DIR / "demo_shop.yaml")
DAY = "2026-11-20"


def _starting(instance, run_id: str, created: datetime) -> str:
    """A run of the day stored now, stamped `created` (what a concurrent launch's clock or transaction
    said when it began)."""
    run = DagsterRun(
        job_name="daily_demo_shop", run_id=run_id, status=DagsterRunStatus.STARTING, tags={"dagster/partition": DAY}
    )
    instance.run_storage.add_historical_run(run, run_creation_time=created)
    return run_id


def test_the_run_stored_first_crawls_as_the_run_queue_launches_it_whatever_the_ids_and_stamps():
    """Two launches of one day at once (two backfills): each stamps its run when it begins and stores it
    when it can, so the run stored first may carry the later stamp. The queue launches the run stored
    first; the rule must call that one the older."""
    keys = target_keys(TARGET)
    now = datetime.now(UTC)
    with instance_for_test() as instance:
        first = _starting(instance, "ffffffff-0000-4000-8000-000000000000", now)
        second = _starting(instance, "00000000-0000-4000-8000-000000000000", now - timedelta(seconds=1))

        assert [r.dagster_run.run_id for r in older_crawls(instance, second, TARGET, keys, DAY)] == [first]
        assert older_crawls(instance, first, TARGET, keys, DAY) == []
