"""One day of demo_shop executed as Dagster's run worker executes a launched run: the job rebuilt from
the code location's pointer (`ReconstructableJob.get_definition`, as `dagster api execute_run` and the
code server's run process do), then executed with the instance's settings (steps in this process or in
processes of their own, as the code location's executor places them).

`python bench/run_of_one_target.py DAY` with DAGSTER_HOME, SCRAPE_ASSETS_TARGETS_DIR and DEMO_SHOP_URL
set; exits non-zero if the run failed. `dagster job execute` is not used here because the CLI lists
the code location's jobs before it runs one (a whole load of every target that the daemon's and the
UI's launches do not pay)."""

from __future__ import annotations

import sys

from dagster import DagsterInstance, execute_job
from dagster._core.definitions.reconstruct import ReconstructableRepository


def main(day: str) -> int:
    repository = ReconstructableRepository.for_module("scrape_assets.definitions", "defs")
    job = repository.get_reconstructable_job("daily_demo_shop")
    with DagsterInstance.get() as instance, execute_job(job, instance, tags={"dagster/partition": day}) as result:
        return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
