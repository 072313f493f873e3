"""The one place that reaches into Dagster beyond its public API, where 1.13 has no public way yet:
asset check history per partition, record cursors, run worker health for run monitoring, pool limits, a repository
that rebuilds a run's job from part of itself (`ScopedRepository`), and the types of a few values Dagster's
public functions return or take (an executor's, among them).

Each function is pinned by `scrape_assets_tests/test_dagster_internals.py`, which fails on the first
Dagster release that moves or changes what it uses, before delivery or monitoring can break unnoticed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from dagster import (
    AssetCheckKey,
    AssetKey,
    AssetsDefinition,
    DagsterInstance,
    EventLogRecord,
    ExecutorDefinition,
    JobDefinition,
    RepositoryData,
    RepositoryDefinition,
    ResourceDefinition,
    ScheduleDefinition,
    SensorDefinition,
    SourceAsset,
)
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
    "ScopedRepository",
    "SerializableErrorInfo",
    "StepDependencyConfig",
    "UnresolvedAssetJobDefinition",
    "WorkerStatus",
    "config_errors",
    "instance_config_errors",
    "cursor_after",
    "resolve_asset_job",
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


def instance_config_errors(instance: Mapping[str, Any]) -> list[str]:
    """Why an instance file (`dagster.yaml`, parsed) does not fit Dagster's instance schema; empty when it
    does. The production file's tests check its whole shape with it (thread counts, queue settings)."""
    from dagster import Shape
    from dagster._config import validate_config
    from dagster._core.instance.config import dagster_instance_config_schema

    # validated, not processed: `env:` values name variables of the production environment, unset here
    checked = validate_config(Shape(dagster_instance_config_schema()), dict(instance))
    return [] if checked.success else [error.message for error in checked.errors or []]


def set_pool_limit(instance: DagsterInstance, pool: str, limit: int) -> None:
    """What `dagster instance concurrency set POOL LIMIT` does, without starting a process."""
    instance.event_log_storage.set_concurrency_slots(pool, limit)


def config_errors(config_type: Any, value: Any) -> list[str]:
    """Why `value` does not fit a configurable class's schema (its `config_type()`); empty when it does.
    The manifest tests check the production instance file's run launcher config with it."""
    checked = process_config(config_type, value)
    return [] if checked.success else [error.message for error in checked.errors or []]


class _DeferredRepositoryData(RepositoryData):
    """A repository's members, built by `build` when first asked for (RepositoryData is Dagster's public
    base for lazily built repositories)."""

    def __init__(self, build: Callable[[], RepositoryDefinition]):
        self._build = build
        self._data: RepositoryData | None = None

    @property
    def built(self) -> bool:
        return self._data is not None

    @property
    def data(self) -> RepositoryData:
        if self._data is None:
            self._data = self._build()._repository_data
        return self._data

    def get_top_level_resources(self) -> Mapping[str, ResourceDefinition]:
        return self.data.get_top_level_resources()

    def get_env_vars_by_top_level_resource(self) -> Mapping[str, Any]:
        return self.data.get_env_vars_by_top_level_resource()

    def get_all_jobs(self) -> Sequence[JobDefinition]:
        return self.data.get_all_jobs()

    def get_job_names(self) -> Sequence[str]:
        return self.data.get_job_names()

    def has_job(self, job_name: str) -> bool:
        return self.data.has_job(job_name)

    def get_job(self, job_name: str) -> JobDefinition:
        return self.data.get_job(job_name)

    def get_schedule_names(self) -> Sequence[str]:
        return self.data.get_schedule_names()

    def get_all_schedules(self) -> Sequence[ScheduleDefinition]:
        return self.data.get_all_schedules()

    def get_schedule(self, schedule_name: str) -> ScheduleDefinition:
        return self.data.get_schedule(schedule_name)

    def has_schedule(self, schedule_name: str) -> bool:
        return self.data.has_schedule(schedule_name)

    def get_all_sensors(self) -> Sequence[SensorDefinition]:
        return self.data.get_all_sensors()

    def get_sensor_names(self) -> Sequence[str]:
        return self.data.get_sensor_names()

    def get_sensor(self, sensor_name: str) -> SensorDefinition:
        return self.data.get_sensor(sensor_name)

    def has_sensor(self, sensor_name: str) -> bool:
        return self.data.has_sensor(sensor_name)

    def get_source_assets_by_key(self) -> Mapping[AssetKey, SourceAsset]:
        return self.data.get_source_assets_by_key()

    def get_assets_defs_by_key(self) -> Mapping[AssetKey, AssetsDefinition]:
        return self.data.get_assets_defs_by_key()

    def get_asset_checks_defs_by_key(self) -> Mapping[AssetCheckKey, Any]:
        return self.data.get_asset_checks_defs_by_key()

    def get_component_tree(self) -> Any:
        return self.data.get_component_tree()

    def get_asset_job_nodes(self) -> Sequence[Any]:
        return self.data.get_asset_job_nodes()

    def load_all_definitions(self) -> None:
        self.data.load_all_definitions()


JobScope = Callable[[str, frozenset[AssetKey], frozenset[AssetCheckKey]], RepositoryDefinition | None]


class ScopedRepository(RepositoryDefinition):
    """A repository whose whole contents are built on first use (`whole`), and which rebuilds a run's
    job from a part of itself where one suffices.

    Every run worker, step process and `dagster job execute` gets its job through
    `ReconstructableJob.get_definition`, which loads the repository from the run's code pointer and
    calls `get_maybe_subset_job_def(job name, selection)` on it: here `part` is asked first for a
    repository that holds that job and selection, and the whole is built only when it answers None
    (or is built already). Everything else (the code server's snapshot, schedules, sensors, the UI)
    sees the whole repository, built once."""

    def __init__(self, name: str, whole: Callable[[], RepositoryDefinition], part: JobScope):
        self._deferred = _DeferredRepositoryData(whole)
        super().__init__(name, repository_data=self._deferred)
        self._part = part

    @property
    def whole_built(self) -> bool:
        """Whether this process has built the whole repository."""
        return self._deferred.built

    def get_maybe_subset_job_def(
        self,
        job_name: str,
        op_selection: Any = None,
        asset_selection: Any = None,
        asset_check_selection: Any = None,
    ) -> JobDefinition:
        part = None
        if not self._deferred.built and not op_selection:
            part = self._part(job_name, frozenset(asset_selection or ()), frozenset(asset_check_selection or ()))
        if part is None:
            return super().get_maybe_subset_job_def(job_name, op_selection, asset_selection, asset_check_selection)
        return part.get_maybe_subset_job_def(job_name, op_selection, asset_selection, asset_check_selection)


def resolve_asset_job(
    job: UnresolvedAssetJobDefinition,
    assets: Sequence[AssetsDefinition],
    executor: ExecutorDefinition,
    resources: Mapping[str, Any],
) -> JobDefinition:
    """The job as a repository of these assets alone would resolve it (what `Definitions.resolve_job_def`
    does), without building that repository: its asset graph, the resources bound, the executor set."""
    from dagster._core.definitions.assets.graph.asset_graph import AssetGraph
    from dagster._core.execution.with_resources import wrap_resources_for_execution

    resolved = job.resolve(
        asset_graph=AssetGraph.from_assets(list(assets)),
        default_executor_def=executor,
        resource_defs=wrap_resources_for_execution(resources),
    )
    resolved.validate_resource_requirements_satisfied()
    return resolved if resolved.has_specified_executor else resolved.with_executor_def(executor)
