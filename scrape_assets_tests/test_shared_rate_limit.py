"""Crawl-delay becomes a rate limit shared by every crawler process of the target."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import DagsterInstance

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parent.parent
CRAWL = ("url_frontier", "raw_pages")


def _page_request_times(site) -> list[float]:
    return sorted(
        t for t, kind, _status, _path in site.stats(with_times=True)["times"] if kind in ("listing", "product")
    )


def _rate(times: list[float]) -> float:
    return (len(times) - 1) / (times[-1] - times[0])


def test_crawl_delay_limits_one_process_and_progress_shows_live(pipeline, start_site):
    site = start_site(8, "--crawl-delay", "0.5")
    pipeline.configure(politeness={"concurrency": 8})

    result = pipeline.run_day(site, "2026-11-20")

    assert result.success
    times = _page_request_times(site)
    assert len(times) >= 16
    assert _rate(times) == pytest.approx(2.0, rel=0.1)
    raw = next(
        e.event_specific_data.materialization.metadata
        for e in result.get_asset_materialization_events()
        if e.event_specific_data.materialization.asset_key.path[-1] == "raw_pages"
    )
    assert raw["rate_limit_per_second"].value == 2.0 and raw["rate_limit_backend"].value == "local"
    progress = [
        entry.user_message
        for entry in pipeline.instance.all_logs(result.run_id)
        if "crawl progress:" in (entry.user_message or "")
    ]
    assert len(progress) >= 3  # one a second, while the crawl ran, in the run's own log


@pytest.mark.long
def test_two_processes_sharing_redis_stay_within_the_limit_together(pipeline, start_site, redis_url, tmp_path):
    site = start_site(8, "--crawl-delay", "0.5")
    pipeline.configure(politeness={"concurrency": 8})
    home = tmp_path / "dagster_home"
    home.mkdir()
    instance = _instance(home)  # create the instance's tables once, before two workers race to
    env = {**os.environ, "DAGSTER_HOME": str(home), "DEMO_SHOP_URL": site.url, "REDIS_URL": redis_url}
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "scrape_assets_tests.run_day_driver", day, *CRAWL],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for day in ("2026-11-20", "2026-11-21")
    ]
    run_ids = [worker.communicate(timeout=480)[0].strip().splitlines()[-1] for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0]

    # the two crawls overlapped for most of their time ...
    spans = [
        next(
            (s.start_time, s.end_time)
            for s in instance.get_run_step_stats(run_id)
            if s.step_key == "demo_shop__raw_pages.demo_shop__crawl_shard[1of1]"
        )
        for run_id in run_ids
    ]
    overlap = min(end for _, end in spans) - max(start for start, _ in spans)
    assert overlap > 0.7 * min(end - start for start, end in spans)
    # ... and together they stayed within 10% of the one limit (2 requests/s)
    times = _page_request_times(site)
    assert len(times) >= 32
    assert _rate(times) == pytest.approx(2.0, rel=0.1)


def _instance(home: Path) -> DagsterInstance:
    previous = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(home)
    try:
        return DagsterInstance.get()
    finally:
        if previous is None:
            del os.environ["DAGSTER_HOME"]
        else:
            os.environ["DAGSTER_HOME"] = previous
