"""`pipeline_metrics` computed from the runs this test makes: an outage retried by Dagster, a success,
and a failure that is ours (a layout change)."""

from __future__ import annotations

import pytest

from scrape_assets_tests.results import materialization_metadata

pytestmark = pytest.mark.e2e

DAY = "2026-11-20"
QUICK_BREAKER = {
    "window_seconds": 1,
    "min_samples": 5,
    "open_seconds": 0.5,
    "max_open_seconds": 1,
    "outage_after_seconds": 2,
}
PACED = {
    "max_tries": 6,
    "backoff_base_seconds": 0.2,
    "backoff_max_seconds": 2.0,
    "rate_limit_per_second": 100,
    "concurrency": 4,
}


@pytest.mark.long
def test_metrics_exclude_outages_count_retries_and_measure_the_critical_path(pipeline, start_site):
    pipeline.configure(
        politeness=PACED,
        breaker=QUICK_BREAKER,
        run_policy={"crawl_step_retries": 1, "crawl_step_retry_delay_seconds": 0},
    )
    down = start_site(100, "--outage-after", "0.3", "--outage-for", "3600")
    port = int(down.url.rsplit(":", 1)[1])
    # raw_pages: TargetOutage, retried once by its RetryPolicy, again an outage: the pages kept are then
    # extracted and validated, and the run fails at the row-count check
    outage = pipeline.run_day(down, DAY)
    assert not outage.success
    down.stop()
    healthy = start_site(100, port=port)
    success = pipeline.run_day(healthy, DAY)
    assert success.success
    healthy.stop()
    broken = start_site(100, "--layout", "v2", port=port)
    # launched as the asset graph's Materialize does (the implicit asset job: no tag, no daily job)
    defs = pipeline.definitions(broken)
    keys = [key for key in defs.resolve_asset_graph().get_all_asset_keys() if key.path[0] == "demo_shop"]
    ours = defs.resolve_implicit_job_def_def_for_assets(keys).execute_in_process(
        partition_key=DAY, instance=pipeline.instance, asset_selection=keys, raise_on_error=False
    )
    assert not ours.success  # SelectorNotFound: a failure the success rate must count

    metrics_job = pipeline.definitions(broken).resolve_job_def("pipeline_metrics_job")
    result = metrics_job.execute_in_process(partition_key=DAY, instance=pipeline.instance)
    figures = materialization_metadata(result, "pipeline_metrics")

    assert figures["runs"] == 3 and figures["outage_runs"] == 1
    assert figures["success_rate"] == 0.5  # 1 success / (3 runs - 1 outage)
    assert figures["demo_shop/success_rate"] == 0.5
    # tries: url_frontier 3, raw_pages' plan_shards 3, crawl_shard[1of1] 2+1+1, combine_shards 3
    # (crawl_complete evaluated there), parsed_records 3, validate 2, delivered 1 = 19 over 7 steps
    assert figures["retry_overhead"] == pytest.approx(19 / 7 - 1)

    steps = {s.step_key: s for s in pipeline.instance.get_run_step_stats(success.run_id)}
    executed = sum(s.end_time - s.start_time for s in steps.values())
    record = next(r for r in pipeline.instance.get_run_records() if r.dagster_run.run_id == success.run_id)
    assert executed <= figures["critical_path_seconds"] <= record.end_time - record.create_timestamp.timestamp()
    assert figures["demo_shop/critical_path"].endswith(
        "along demo_shop__url_frontier -> demo_shop__raw_pages.demo_shop__plan_shards -> "
        "demo_shop__raw_pages.demo_shop__crawl_shard[1of1] -> demo_shop__raw_pages.demo_shop__combine_shards -> "
        "demo_shop__parsed_records -> demo_shop__validate -> demo_shop__delivered_demo_shop"
    )

    crawls = [materialization_metadata(run, "raw_pages") for run in (outage, success, ours)]
    assert figures["request_retry_share"] == pytest.approx(
        sum(c["retries"] for c in crawls) / sum(c["requests"] for c in crawls), abs=1e-6
    )
    table = {row.data["day"]: row.data for row in figures["last_days"].records}
    assert len(table) == 14 and table[DAY]["runs"] == 3 and table["2026-11-19"]["runs"] == 0
    assert table[DAY]["success_rate"] == 0.5
