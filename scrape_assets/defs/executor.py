"""How a run executes its steps: Dagster's multiprocess executor, each step in a process of its own
(a shard's crawl retried alone, re-execution from failure), started by `forkserver` rather than
Dagster's default `spawn`. The forkserver imports the code location once per run and every step
process is forked from it, instead of a fresh interpreter importing Dagster and the code location for
each step: that import was most of a small day's cost (bench/control_plane.py)."""

from __future__ import annotations

from dagster import ExecutorDefinition, multiprocess_executor

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


def step_executor() -> ExecutorDefinition:
    """The multiprocess executor with forkserver-started steps; `max_concurrent` is Dagster's default,
    the machine's cores, so that a day's shards crawl side by side."""
    return multiprocess_executor.configured(
        {"start_method": {"forkserver": {"preload_modules": STEP_PRELOAD}}}, name="forkserver_multiprocess"
    )
