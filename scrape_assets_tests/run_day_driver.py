"""Run part of the daily job for one day in its own process, as a second worker would:
`python -m scrape_assets_tests.run_day_driver DAY ASSET [ASSET ...]` (asset names of demo_shop).

Uses the environment (DAGSTER_HOME, SCRAPE_ASSETS_*, DEMO_SHOP_URL, REDIS_URL) like the code
location does; prints the run id and exits 0 when the run succeeded.
"""

from __future__ import annotations

import sys

from dagster import AssetKey, DagsterInstance

from scrape_assets.definitions import build_definitions

if __name__ == "__main__":
    day, *assets = sys.argv[1:]
    job = build_definitions().resolve_job_def("daily_demo_shop")
    result = job.execute_in_process(
        partition_key=day,
        instance=DagsterInstance.get(),
        raise_on_error=False,
        asset_selection=[AssetKey(["demo_shop", name]) for name in assets],
    )
    print(result.run_id, flush=True)
    sys.exit(0 if result.success else 1)
