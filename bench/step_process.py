"""One measured process for the pipeline benchmarks (bench/pipeline_figures.py).

  python bench/step_process.py dagster DAY STEP   materialize one step of daily_demo_shop for DAY
  python bench/step_process.py bare DAY           the same page crawl without Dagster or Pipes:
                                                  the crawler's own entry (`run_pages`) in this process
  python bench/step_process.py unthrottled DAY    `bare` with politeness off (no robots.txt, no
                                                  adaptive delay, no Crawl-delay, 16 concurrent)

The environment says where (SCRAPE_ASSETS_DATA_DIR, DAGSTER_HOME, DEMO_SHOP_URL). Prints one JSON
line: seconds spent in the work itself, pages (crawls), and the peak resident memory (VmHWM) of this
process and, through Dagster, of the crawler process or the extraction or validation worker it
started, in MiB.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

STEPS = {  # step -> asset keys it materializes
    "url_frontier": [["demo_shop", "url_frontier"]],
    "raw_pages": [["demo_shop", "raw_pages"]],
    "parsed_records": [["demo_shop", "parsed_records"]],
    "validate": [["demo_shop", "validated_records"], ["demo_shop", "quarantined_records"]],
    "delivered": [["demo_shop", "delivered_demo_shop"]],
}


def dagster_step(day: str, step: str) -> dict:
    from dagster import AssetKey, DagsterInstance

    from scrape_assets.definitions import build_definitions

    job = build_definitions().resolve_job_def("daily_demo_shop")
    started = time.perf_counter()
    result = job.execute_in_process(
        partition_key=day,
        instance=DagsterInstance.get(),
        raise_on_error=True,
        asset_selection=[AssetKey(k) for k in STEPS[step]],
    )
    seconds = time.perf_counter() - started
    figures = {"seconds": seconds, "pages": 0, "crawler_peak_rss_mib": 0.0, "worker_peak_rss_mib": 0.0}
    for event in result.get_asset_materialization_events():
        metadata = event.step_materialization_data.materialization.metadata
        for worker in ("extraction_worker_peak_rss_mib", "validation_worker_peak_rss_mib"):
            if worker in metadata:  # the step's work ran in worker processes: the largest of them
                figures["worker_peak_rss_mib"] = float(str(metadata[worker].value))
        if "peak_rss_mib" in metadata:  # a crawl step: the crawler process's own peak
            figures["crawler_peak_rss_mib"] = float(str(metadata["peak_rss_mib"].value))
            figures["pages"] = int(str(metadata["pages"].value)) if "pages" in metadata else 0
    return figures


def bare_crawl(day: str, politeness_off: bool = False) -> dict:
    import os

    from scrape_assets.crawler.run import run_pages
    from scrape_assets.page_store import LocalPageStore, partition_prefix
    from scrape_assets.target_config import load_target
    from scrape_assets.target_config.loader import DEFAULT_TARGETS_DIR

    target = load_target(DEFAULT_TARGETS_DIR / "demo_shop.yaml")
    if politeness_off:
        target = target.model_copy(
            update={
                "politeness": target.politeness.model_copy(
                    update={
                        "obey_robots": False,
                        "respect_crawl_delay": False,
                        "adaptive": False,
                        "download_delay_seconds": 0.0,
                        "rate_limit_per_second": 0.0,
                        "concurrency": 16,
                    }
                )
            }
        )
    store = LocalPageStore(Path(os.environ["SCRAPE_ASSETS_DATA_DIR"]) / "pages")  # no Dagster import here
    started = time.perf_counter()
    summary = run_pages(
        target,
        store,
        store.spec(),
        partition_prefix(target.name, day),
        f"{time.strftime('%Y%m%dT%H%M%S')}{time.perf_counter_ns() % 1_000_000:06d}-pages-1of1-bare-try0",
    )
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "crawl_seconds": summary["duration_seconds"],
        "pages": summary["pages"],
        "crawler_peak_rss_mib": 0.0,
    }


def main() -> int:
    mode, day = sys.argv[1], sys.argv[2]
    if mode == "dagster":
        figures = dagster_step(day, sys.argv[3])
    else:
        figures = bare_crawl(day, politeness_off=mode == "unthrottled")
    from scrape_assets.process_stats import peak_rss_mib

    figures["peak_self_mib"] = peak_rss_mib()
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
