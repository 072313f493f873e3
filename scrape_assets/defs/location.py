"""The code location over a folder of targets: the whole repository where Dagster needs the whole
graph, one target's own where a run needs only that target.

Every process that loads a Dagster code location builds its definitions: the code server (and so
the UI and the daemon's schedules and sensors), but also each run's process, each step process and
`dagster job execute`. With many targets, building them all in every run made each run pay for every
other target. Here the code location's repository (`ScopedRepository`) is built lazily:

- A run or step of one target (its `daily_<target>` job, or the asset job with a selection inside one
  target: the UI's Materialize, `dagster asset materialize`, backfills) rebuilds its job from that
  target's file alone, with the same resources and executor: the same job, at the cost of a
  one-target code location, whatever the number of targets.
- Dagster's run worker first loads the run's job without its selection ("load the job early"): for
  the asset job, the selection is then read from the run this process executes (the run worker has
  reported its pid in the run's events by then: `defs/run_worker.py`), so an asset-graph run of one
  target is built from that target alone too.
- Anything else (the code server's snapshot of the whole graph, schedules, sensors, `pipeline_metrics`,
  a run across targets) builds every target once. Each target's job is resolved against the
  target's own assets (`target_definitions`), so this grows linearly with the number of targets.

A target file that does not load leaves out its own target only: the others load, the error is
logged and kept in sight by the `target_files` sensor. A run of the bad target itself fails with
the file's error. Where definitions are being validated (`strict`: `dagster definitions validate`,
`dg check defs`) any bad file fails the load, every one named."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

from dagster import AssetCheckKey, AssetKey, DagsterInstance, Definitions, ExecutorDefinition, RepositoryDefinition

from scrape_assets.dagster_internals import ScopedRepository
from scrape_assets.defs.executor import step_executor
from scrape_assets.defs.operations.factory import operations_definitions
from scrape_assets.defs.run_worker import selection_executed_here
from scrape_assets.defs.target.factory import target_definitions
from scrape_assets.defs.target.jobs import DAILY_JOB_PREFIX
from scrape_assets.defs.target.step_placement import step_placement_rule
from scrape_assets.target_config import FolderLoad, TargetConfig, TargetFilesInvalid, TargetFolder

LOG = logging.getLogger(__name__)
IMPLICIT_ASSET_JOB = "__ASSET_JOB"  # the job Dagster runs for assets materialized outside a job of ours
REPOSITORY_NAME = "__repository__"  # what `Definitions` names its repository: UI paths stay the same


def definitions_of(target: TargetConfig, resources: Mapping[str, Any], source: Path | None = None) -> Definitions:
    """One target's definitions with the resources and executor it runs with: a code location of it
    alone (what a project that loads the `ScrapeTarget` component with Dagster's loader gets)."""
    executor = step_executor(step_placement_rule([target]))
    return Definitions.merge(
        target_definitions(target, resources, executor, source), Definitions(resources=resources, executor=executor)
    )


class TargetsLocation:
    """The definitions of a folder of targets, built whole or one target at a time, once each per
    process. `resources` builds the resources of this environment (once, when first needed);
    `instance` gives this process's Dagster instance, or None where it has none; `strict` fails the
    load on any bad file (validation)."""

    def __init__(
        self,
        folder: TargetFolder,
        resources: Callable[[], Mapping[str, Any]],
        instance: Callable[[], DagsterInstance | None] = lambda: None,
        strict: bool = False,
    ):
        self.folder = folder
        self.strict = strict
        self._resources = resources
        self._instance = instance
        self._parts: dict[str, Definitions] = {}  # each target's own definitions, built once
        self._alone: dict[str, Definitions] = {}  # the code location as if it held one target

    @cached_property
    def resources(self) -> Mapping[str, Any]:
        return dict(self._resources())

    def _executor(self, targets: list[TargetConfig]) -> ExecutorDefinition:
        return step_executor(step_placement_rule(targets), loaded=self.loaded)

    def _target_part(self, target: TargetConfig) -> Definitions:
        if target.name not in self._parts:
            source = self.folder.source(target.name)
            self._parts[target.name] = target_definitions(target, self.resources, self._executor([target]), source)
        return self._parts[target.name]

    @cached_property
    def load(self) -> FolderLoad:
        """Every target file of the folder, loaded (or its error)."""
        loaded = self.folder.load_every()
        if loaded.errors and (self.strict or not loaded.targets):
            raise TargetFilesInvalid(loaded.errors)
        for error in loaded.errors:
            LOG.error("target left out of the code location: %s", error)
        return loaded

    @cached_property
    def whole(self) -> Definitions:
        """Every target that loads, what operates them together, the resources and the executor."""
        targets = list(self.load.targets)
        return Definitions.merge(
            *(self._target_part(target) for target in targets),
            operations_definitions(targets, self.load.errors),
            Definitions(resources=self.resources, executor=self._executor(targets)),
        )

    def one_target(self, name: str) -> Definitions:
        """The code location as if `name` were its only target (its file's error if it does not load)."""
        if name not in self._alone:
            target = self.folder.load(name)
            self._alone[name] = Definitions.merge(
                self._target_part(target), Definitions(resources=self.resources, executor=self._executor([target]))
            )
        return self._alone[name]

    def target_of(self, job_name: str, assets: frozenset[AssetKey], checks: frozenset[AssetCheckKey]) -> str | None:
        """The one target a job and selection lie within; None when they reach beyond one target."""
        if job_name.startswith(DAILY_JOB_PREFIX):
            name = job_name.removeprefix(DAILY_JOB_PREFIX)
            owners = {key.path[0] for key in assets} | {check.asset_key.path[0] for check in checks} | {name}
        elif job_name == IMPLICIT_ASSET_JOB:
            if not (assets or checks):
                executed = self._selection_executed_here(job_name)
                if executed is None:
                    return None
                assets, checks = executed
            owners = {key.path[0] for key in assets} | {check.asset_key.path[0] for check in checks}
        else:
            return None
        (name, *others) = owners
        return name if not others and name in self.folder else None

    def _selection_executed_here(self, job_name: str) -> tuple[frozenset[AssetKey], frozenset[AssetCheckKey]] | None:
        instance = self._instance()
        return None if instance is None else selection_executed_here(instance, job_name, os.getpid())

    def _part_for(
        self, job_name: str, assets: frozenset[AssetKey], checks: frozenset[AssetCheckKey]
    ) -> RepositoryDefinition | None:
        name = self.target_of(job_name, assets, checks)
        return None if name is None else self.one_target(name).get_repository_def()

    def repository(self) -> ScopedRepository:
        """The code location's repository: whole on first use, one target where a run needs one."""
        return ScopedRepository(REPOSITORY_NAME, lambda: self.whole.get_repository_def(), self._part_for)

    def loaded(self) -> str:
        """What this process has built, for the run's log."""
        total = len(self.folder.names())
        if "whole" in self.__dict__:  # the cached property has been computed in this process
            return f"this process built every target's definitions ({total} target files)"
        built = ", ".join(sorted(self._parts)) or "none"
        return f"this process built the definitions of {len(self._parts)} of {total} targets ({built})"
