"""Facts about the daily runs of a day, read from the Dagster instance's run, step and event records."""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from dagster import (
    DagsterEventType,
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    MetadataValue,
    RunRecord,
    RunsFilter,
)

from scrape_assets.crawler.failures import OUR_SIDE_KINDS, TARGET_OUTAGES, ProxyPoolExhausted
from scrape_assets.defs.operations.metric_formulas import RunFacts, StepFacts
from scrape_assets.defs.resources.crawl_launcher import RunWorkerGone
from scrape_assets.defs.tags import PARTITION_TAG, TARGET_TAG
from scrape_assets.defs.target.jobs import DAILY_JOB_PREFIX
from scrape_assets.delivery.errors import WAREHOUSE_FAILURES

FINISHED = [DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED]
_OUTAGE_ERRORS = frozenset(cls.__name__ for cls in TARGET_OUTAGES)
_OUTAGE_STOPS = frozenset(cls.kind for cls in TARGET_OUTAGES)  # a crawl stopped by the target (outage, ban)
_OUR_SIDE_ERRORS = frozenset(
    [
        *(cls.__name__ for cls in OUR_SIDE_KINDS.values()),
        *(cls.__name__ for cls in WAREHOUSE_FAILURES),
        RunWorkerGone.__name__,
        ProxyPoolExhausted.__name__,  # our proxies, not the target
    ]
)
_MAPPING_KEY = re.compile(r"\[[^\]]+\]$")


def target_of(run: DagsterRun, targets: Collection[str]) -> str | None:
    """The target a run worked on, however it was launched: its `target` tag (schedule, sensor), its
    `daily_<target>` job (launchpad, backfill, `dagster job execute`), or the target all its selected
    assets belong to (the asset graph's Materialize, `dagster asset materialize`); None for other runs."""
    tagged = run.tags.get(TARGET_TAG)
    if tagged in targets:
        return tagged
    by_job = run.job_name.removeprefix(DAILY_JOB_PREFIX)
    if run.job_name.startswith(DAILY_JOB_PREFIX) and by_job in targets:
        return by_job
    prefixes = {key.path[0] for key in run.asset_selection or ()}
    return prefixes.pop() if len(prefixes) == 1 and prefixes <= set(targets) else None


def finished_runs_of_day(instance: DagsterInstance, day: str, targets: Collection[str]) -> list[RunFacts]:
    """Every finished run of a target's assets for `day`, oldest first."""
    records = instance.get_run_records(RunsFilter(tags={PARTITION_TAG: day}, statuses=FINISHED), ascending=True)
    found = [(record, target_of(record.dagster_run, targets)) for record in records]
    return [_facts(instance, record, target) for record, target in found if target is not None]


def _facts(instance: DagsterInstance, record: RunRecord, target: str) -> RunFacts:
    run = record.dagster_run
    steps = {
        stats.step_key: StepFacts(start=stats.start_time, end=stats.end_time, attempts=stats.attempts or 1)
        for stats in instance.get_run_step_stats(run.run_id)
        if stats.start_time is not None and stats.end_time is not None
    }
    requests = retries = 0
    stopped_by: set[str] = set()
    for entry in instance.all_logs(run.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION):
        materialization = entry.asset_materialization
        metadata = materialization.metadata if materialization is not None else {}
        if "retries" in metadata and "requests" in metadata:  # raw_pages: a crawl's counters
            requests += _count(metadata["requests"])
            retries += _count(metadata["retries"])
        # a crawl stopped by the target's outage or by our exhausted proxy pool keeps its pages: the run
        # goes on, and fails later (at the checks, or extracting nothing); the stop says whose fault it was
        stopped_by.add(str(getattr(metadata.get("crawl_stopped_by"), "value", "none")))
    failed = run.status == DagsterRunStatus.FAILURE
    errors = _failure_classes(instance, run.run_id) if failed else frozenset()
    return RunFacts(
        run_id=run.run_id,
        target=target,
        status=run.status.value,
        outage=failed and (bool(stopped_by & _OUTAGE_STOPS) or bool(errors & _OUTAGE_ERRORS)),
        our_side=bool(errors & _OUR_SIDE_ERRORS) or (failed and ProxyPoolExhausted.kind in stopped_by),
        created=record.create_timestamp.timestamp(),
        started=record.start_time,
        steps=steps,
        upstream=_upstream_steps(instance, run, set(steps)),
        requests=requests,
        request_retries=retries,
    )


def _failure_classes(instance: DagsterInstance, run_id: str) -> frozenset[str]:
    """Class names of the errors the run's steps failed with, their causes included."""
    names = set()
    for entry in instance.all_logs(run_id, of_type=DagsterEventType.STEP_FAILURE):
        error = entry.dagster_event.step_failure_data.error if entry.dagster_event is not None else None
        while error is not None:
            if error.cls_name:
                names.add(error.cls_name)
            error = error.cause
    return frozenset(names)


def _count(value: MetadataValue[Any]) -> int:
    """An integer metadata value (a crawl counter)."""
    number = value.value
    return int(number) if isinstance(number, int | float | str) else 0


def _unresolved(step_key: str) -> str:
    """A mapped step's key as the execution plan snapshot has it: `op[1of3]` -> `op[?]`."""
    return _MAPPING_KEY.sub("[?]", step_key)


def _upstream_steps(instance: DagsterInstance, run: DagsterRun, executed: set[str]) -> dict[str, frozenset[str]]:
    """Direct upstream steps of each executed step. The plan names mapped steps `op[?]`: a step that
    collects them (raw_pages' `combine_shards`) depends on every instance that ran."""
    if not run.execution_plan_snapshot_id:
        return {}
    plan = instance.get_execution_plan_snapshot(run.execution_plan_snapshot_id)
    planned = {
        step.key: [handle.step_key for step_input in step.inputs for handle in step_input.upstream_output_handles]
        for step in plan.steps
    }
    upstream = {}
    for step in executed:
        resolved: set[str] = set()
        for parent in planned.get(_unresolved(step), []):
            resolved.update(key for key in executed if _unresolved(key) == parent)
        upstream[step] = frozenset(resolved)
    return upstream
