"""One crawl per target and day, however its runs were launched (schedule, asset graph, backfill, CLI).

Every launch path gives a run the `dagster/partition` tag and either the `daily_<target>` job or an
asset selection, so the instance's run records say which runs crawl which target-day: no tag of ours
is needed. Of the runs in flight (queued, starting, started, canceling) that crawl the same
target-day, the oldest (the first stored, which the run queue launches first) crawls; a newer one stops
at its first crawl step with `DayAlreadyCrawling`,
which no RetryPolicy retries. The rule needs no lock: a run's record exists before any of its steps
run, so of two runs the newer always sees the older. A run whose process died stays STARTED until
run monitoring marks it failed (`local_instance.py`; `run_monitoring` in k8s/dagster.yaml).
"""

from __future__ import annotations

from dagster import (
    AssetExecutionContext,
    DagsterInstance,
    DagsterRunStatus,
    Failure,
    OpExecutionContext,
    RunRecord,
    RunsFilter,
)

from scrape_assets.dagster_internals import WorkerStatus
from scrape_assets.defs.tags import PARTITION_TAG
from scrape_assets.defs.target.asset_keys import TargetKeys
from scrape_assets.defs.target.run_scope import crawls
from scrape_assets.target_config.models import TargetConfig

IN_FLIGHT = [DagsterRunStatus.QUEUED, DagsterRunStatus.STARTING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]


class DayAlreadyCrawling(Failure):
    """Another run already crawls this target-day; a retry cannot help, so none is made."""

    def __init__(self, message: str):
        super().__init__(description=message, allow_retries=False)


class CrawlConflict(Failure):
    """The day's crawl state changed under a running crawl (another crawl of the same day, or a removal)."""

    def __init__(self, message: str):
        super().__init__(description=message, allow_retries=False)


def crawl_pool(target: TargetConfig) -> str:
    """The Dagster pool of a target's crawl steps (frontier and shards): `dagster instance concurrency
    set crawl_<target> N` caps the crawler processes or pods working on one site at once, over all days."""
    return f"crawl_{target.name}"


def older_crawls(
    instance: DagsterInstance, run_id: str, target: TargetConfig, keys: TargetKeys, day: str
) -> list[RunRecord]:
    """Runs in flight, created before `run_id`, that crawl the same target-day."""
    records = instance.get_run_records(RunsFilter(statuses=IN_FLIGHT, tags={PARTITION_TAG: day}))
    mine = next((r for r in records if r.dagster_run.run_id == run_id), None)
    if mine is None:
        mine = instance.get_run_record_by_id(run_id)
    if mine is None:  # not a stored run (a direct invocation): nothing to order against
        return []
    # the order runs were stored in, which is the order the run queue launches them in: two launches of
    # one day at once (two backfills) set their create_timestamp before storing, so those can disagree
    return [
        r
        for r in records
        if r.dagster_run.run_id != run_id
        and crawls(r.dagster_run, target, keys)
        and r.storage_id < mine.storage_id
        and not _worker_dead(instance, r)
    ]


def _worker_dead(instance: DagsterInstance, record: RunRecord) -> bool:
    """Whether a started run's worker process is known gone (asked of the run launcher, as run monitoring
    asks it); such a run is marked failed here, with the launcher's reason."""
    run = record.dagster_run
    launcher = instance.run_launcher
    if run.status != DagsterRunStatus.STARTED or not launcher.supports_check_run_worker_health:
        return False
    health = launcher.check_run_worker_health(run)
    if health.status != WorkerStatus.FAILED:
        return False
    instance.report_run_failed(
        run, f"{health.msg or 'its run worker is gone'}: marked failed by a newer run of the same day, which crawls it"
    )
    return True


def refuse_second_crawl(
    context: AssetExecutionContext | OpExecutionContext, target: TargetConfig, keys: TargetKeys, day: str
) -> None:
    """Raise `DayAlreadyCrawling` if an older run in flight crawls this target-day."""
    older = older_crawls(context.instance, context.run.run_id, target, keys, day)
    if older:
        other = older[0].dagster_run
        raise DayAlreadyCrawling(
            f"{target.name}/{day} is already being crawled by run {other.run_id} ({other.status.value}); "
            "this run stops without fetching anything. Let that run finish (or terminate it), then re-run "
            "the day if it still needs it. A run whose process died is marked failed by the daemon's run "
            "monitoring."
        )
