"""How a run executes its steps: in the run's own process when nothing in it would run side by side,
else a process per step forked from a forkserver.

A process per step (Dagster's multiprocess executor) is what lets a day's shards crawl side by side;
it costs a process start and Dagster's per-step set-up each time, most of a small day's cost
(bench/control_plane.py). A day that the run's placement rule (`StepPlacementRule`, given by the
target factory) expects to crawl in one shard gains nothing from it, and runs its steps one after the
other in the run's process instead (Dagster's in-process executor). Steps keep their RetryPolicy,
pools and re-execution from failure either way; the crawl itself is always a process of its own.

Run config chooses (`execution: config:`), as with Dagster's `multi_or_in_process_executor`:
`auto: {}` (the default: the rule decides), `multiprocess: {...}` or `in_process: {...}`. `auto` and
`multiprocess` take the multiprocess executor's settings; its steps start from a `forkserver` that
imports the code location once per run unless `start_method` says otherwise."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, cast

from dagster import (
    DagsterEvent,
    DagsterInstance,
    DagsterRun,
    Executor,
    ExecutorDefinition,
    Field,
    InitExecutorContext,
    Selector,
    executor,
    in_process_executor,
    multiprocess_executor,
)

from scrape_assets.dagster_internals import ExecutionPlan, PlanOrchestrationContext, RetryMode, StepDependencyConfig

# Imported once by each run's forkserver, so that no step process imports them again: the code
# location; the libraries most steps of a day import (pandas and pandera, for validation); the
# instance's storage, which every step opens (SQLite here, Postgres in production: a module that is
# not installed is skipped by the forkserver); last, `step_preload`, which resolves the code
# location's repository and freezes the forkserver's objects out of the garbage collector's reach.
STEP_PRELOAD = [
    "scrape_assets.definitions",
    "scrape_assets.validation.split",
    "dagster._core.storage.sqlite_storage",
    "dagster_postgres",
    "scrape_assets.step_preload",
]
FORKSERVER = {"forkserver": {"preload_modules": STEP_PRELOAD}}


@dataclass(frozen=True)
class StepPlacement:
    """Where a run's steps execute, and why (logged at the start of the run)."""

    own_processes: bool
    reason: str


def step_in_run_process() -> bool:
    """Whether the calling step executes in the run's own process (the in-process executor) rather
    than in a step process of the multiprocess executor, which `multiprocessing` started."""
    return multiprocessing.parent_process() is None


StepPlacementRule = Callable[[DagsterInstance, DagsterRun], StepPlacement]
LoadReport = Callable[[], str]  # what the run's process built of the code location


class PlacedStepsExecutor(Executor):
    """Asks the rule at the start of each run (it sees the run and the instance, which the executor's
    creation does not), logs the answer, and executes the plan with the executor it names."""

    def __init__(self, in_process: Executor, multiprocess: Executor, rule: StepPlacementRule, loaded: LoadReport):
        self._in_process, self._multiprocess, self._rule, self._loaded = in_process, multiprocess, rule, loaded

    @property
    def retries(self) -> RetryMode:
        return self._multiprocess.retries

    @property
    def step_dependency_config(self) -> StepDependencyConfig:
        return self._multiprocess.step_dependency_config

    def execute(self, plan_context: PlanOrchestrationContext, execution_plan: ExecutionPlan) -> Iterator[DagsterEvent]:
        placement = self._rule(plan_context.instance, plan_context.dagster_run)
        where = "in processes of their own" if placement.own_processes else "in the run's process"
        plan_context.log.info(f"Steps run {where}: {placement.reason}")
        plan_context.log.info(f"Definitions: {self._loaded()}")
        chosen = self._multiprocess if placement.own_processes else self._in_process
        yield from chosen.execute(plan_context, execution_plan)


def _created(definition: ExecutorDefinition, init_context: InitExecutorContext, config: dict[str, Any]) -> Executor:
    return definition.executor_creation_fn(  # type: ignore[misc]
        InitExecutorContext(
            job=init_context.job, executor_def=definition, executor_config=config, instance=init_context.instance
        )
    )


def _multiprocess_config(config: dict[str, Any]) -> dict[str, Any]:
    return {**config, "start_method": config.get("start_method") or FORKSERVER}


def step_executor(rule: StepPlacementRule, loaded: LoadReport = lambda: "not reported") -> ExecutorDefinition:
    """The code location's executor: `auto` (the default) places each run's steps by `rule`, and logs
    where they run and what of the code location the run's process built (`loaded`)."""

    @executor(
        name="placed_steps",
        config_schema=Field(
            Selector(
                {
                    "auto": multiprocess_executor.config_schema.as_field(),
                    "multiprocess": multiprocess_executor.config_schema.as_field(),
                    "in_process": in_process_executor.config_schema.as_field(),
                }
            ),
            default_value={"auto": {}},
            description="auto: in the run's process when the run expects nothing to run side by side "
            "(one target, one shard), else a process per step; multiprocess or in_process: always.",
        ),
        requirements=lambda config: [] if "in_process" in config else multiprocess_executor.get_requirements({}),
    )
    def placed_steps(init_context: InitExecutorContext) -> Executor:
        (mode, chosen), *_ = init_context.executor_config.items()
        config = cast(dict[str, Any], chosen)
        if mode == "in_process":
            return _created(in_process_executor, init_context, config)
        multiprocess = _created(multiprocess_executor, init_context, _multiprocess_config(config))
        if mode == "multiprocess":
            return multiprocess
        shared: dict[str, Any] = {key: config[key] for key in ("retries", "step_dependency_config") if key in config}
        in_process = _created(in_process_executor, init_context, shared)
        return PlacedStepsExecutor(in_process, multiprocess, rule, loaded)

    return placed_steps
