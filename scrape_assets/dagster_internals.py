"""The one place that reaches into Dagster beyond its public API, where 1.13 has no public way yet:
asset check history per partition, record cursors, run worker health for run monitoring, pool limits, and the types
of a few values Dagster's public functions return or take (an executor's, among them).

Each function is pinned by `scrape_assets_tests/test_dagster_internals.py`, which fails on the first
Dagster release that moves or changes what it uses, before delivery or monitoring can break unnoticed.
"""

from __future__ import annotations

from typing import Any

from dagster import AssetCheckKey, DagsterInstance, EventLogRecord
from dagster._config import process_config
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition
from dagster._core.event_api import PartitionKeyFilter
from dagster._core.execution.context.system import PlanOrchestrationContext
from dagster._core.execution.plan.plan import ExecutionPlan
from dagster._core.execution.retries import RetryMode
from dagster._core.execution.step_dependency_config import StepDependencyConfig
from dagster._core.launcher import CheckRunHealthResult, WorkerStatus
from dagster._core.storage.asset_check_execution_record import (
    COMPLETED_ASSET_CHECK_EXECUTION_RECORD_STATUSES,
    AssetCheckExecutionRecord,
)
from dagster_shared.error import SerializableErrorInfo

__all__ = [
    "AssetCheckExecutionRecord",
    "CheckRunHealthResult",
    "ExecutionPlan",
    "PlanOrchestrationContext",
    "RetryMode",
    "SerializableErrorInfo",
    "StepDependencyConfig",
    "UnresolvedAssetJobDefinition",
    "WorkerStatus",
    "config_errors",
    "cursor_after",
    "check_evaluations_of_day",
    "latest_check_evaluation",
    "set_pool_limit",
]


def latest_check_evaluation(
    instance: DagsterInstance, check: AssetCheckKey, day: str
) -> AssetCheckExecutionRecord | None:
    """The latest completed evaluation of a partitioned check for one day, or None."""
    records = check_evaluations_of_day(instance, check, day, limit=1)
    return records[0] if records else None


def check_evaluations_of_day(
    instance: DagsterInstance, check: AssetCheckKey, day: str, limit: int
) -> list[AssetCheckExecutionRecord]:
    """The newest completed evaluations of a partitioned check for one day (newest first); each says
    which materialization it evaluated (`evaluation.target_materialization_data`)."""
    return list(
        instance.event_log_storage.get_asset_check_execution_history(
            check,
            limit=limit,
            status=set(COMPLETED_ASSET_CHECK_EXECUTION_RECORD_STATUSES),
            partition_filter=PartitionKeyFilter(key=day),
        )
    )


def cursor_after(record: EventLogRecord) -> str:
    """The cursor of `instance.fetch_run_status_changes` (and other record queries) that resumes just
    after `record`: what the query returns for its last record, for a record in the middle of a page."""
    # here, not at the top: the event_log package imports SQLAlchemy and alembic (about 290 modules and
    # 27 MB), which no process loading the code location should pay for
    from dagster._core.storage.event_log.base import EventLogCursor

    return EventLogCursor.from_storage_id(record.storage_id).to_string()


def set_pool_limit(instance: DagsterInstance, pool: str, limit: int) -> None:
    """What `dagster instance concurrency set POOL LIMIT` does, without starting a process."""
    instance.event_log_storage.set_concurrency_slots(pool, limit)


def config_errors(config_type: Any, value: Any) -> list[str]:
    """Why `value` does not fit a configurable class's schema (its `config_type()`); empty when it does.
    The manifest tests check the production instance file's run launcher config with it."""
    checked = process_config(config_type, value)
    return [] if checked.success else [error.message for error in checked.errors or []]
