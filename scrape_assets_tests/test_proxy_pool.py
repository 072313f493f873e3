"""The proxy pool end to end: real HTTP proxies on loopback, one dying, all dying, and the sensor."""

from __future__ import annotations

import pytest
from dagster import AssetKey, build_sensor_context

from scrape_assets_tests.loopback import free_port
from scrape_assets_tests.processes import stop
from scrape_assets_tests.results import failure_cause, materialization_metadata
from scrape_assets_tests.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.e2e
DAY = "2026-11-20"
FAST = {
    "max_tries": 6,
    "backoff_base_seconds": 0.2,
    "backoff_max_seconds": 1.0,
    "concurrency": 4,
    "rate_limit_per_second": 60,
}
NO_STEP_RETRY = {"crawl_step_retries": 0, "crawl_step_retry_delay_seconds": 0}


def _gate_context(defs, instance, cursor: str | None = None):
    """A tick's context as the daemon gives it: the code location's resources (the gate alerts)."""
    webhook = defs.get_repository_def().get_top_level_resources()["alert_webhook"]
    return build_sensor_context(
        instance=instance, definitions=defs, cursor=cursor, resources={"alert_webhook": webhook}
    )


def test_one_proxy_dying_mid_crawl_is_benched_and_the_others_finish(pipeline, start_site, start_proxy):
    site = start_site(60)
    urls = [start_proxy()[0], start_proxy()[0], start_proxy("--die-after", "15")[0]]
    pipeline.configure(politeness=FAST, proxies={"urls": urls, "bench_seconds": 60}, run_policy=NO_STEP_RETRY)

    result = pipeline.run_day(site, DAY)

    assert result.success
    assert pipeline.query("SELECT count(DISTINCT sku) FROM delivered_demo_shop")[0][0] == 60
    raw = materialization_metadata(result, "raw_pages")
    assert raw["proxy_dead"] >= 1 and raw["failed_requests"] == 0
    pool = {entry["proxy"]: entry for entry in raw["proxy_pool"]}
    dead = urls[2].split("//", 1)[1]
    assert pool[dead]["failures"] >= 1 and pool[dead]["strikes"] >= 1
    assert all(pool[u.split("//", 1)[1]]["used"] > 10 and pool[u.split("//", 1)[1]]["failures"] == 0 for u in urls[:2])


def test_all_proxies_dead_pauses_alerts_extracts_what_was_stored_and_delivery_waits(pipeline, start_site, start_proxy):
    site = start_site(60)
    urls = [start_proxy("--die-after", "8")[0] for _ in range(3)]
    pipeline.configure(
        politeness=FAST,
        run_policy=NO_STEP_RETRY,
        proxies={"urls": urls, "bench_seconds": 0.5, "exhausted_timeout_seconds": 3},
    )

    result = pipeline.run_day(site, DAY)

    alerts = [
        e for e in pipeline.instance.all_logs(result.run_id) if "ALERT proxy pool exhausted" in (e.user_message or "")
    ]
    assert alerts and alerts[0].level >= 40  # logged at ERROR, live in the run
    # the same run went on with the pages stored: extracted, validated, not delivered
    raw = materialization_metadata(result, "raw_pages")
    assert raw["crawl_complete"] is False and raw["crawl_stopped_by"] == "proxy_pool_exhausted"
    parsed = materialization_metadata(result, "parsed_records")
    assert 0 < parsed["records"] < 60 and parsed["crawl_complete"] is False
    assert not result.success and result.get_step_failure_events()[0].step_key == "demo_shop__validate"
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert not checks["crawl_complete"].passed and not checks["row_count_vs_frontier"].passed
    assert not pipeline.table_exists("delivered_demo_shop")
    stored = parsed["records"]

    # healthy proxies again: the next run fetches only what is missing and delivers the whole day
    site.reset_stats()
    pipeline.configure(proxies={"urls": [start_proxy()[0], start_proxy()[0]]})
    resumed = pipeline.run_day(site, DAY)
    assert resumed.success
    assert site.stats()["by_class"]["product"] == 60 - stored
    assert pipeline.query("SELECT count(DISTINCT sku) FROM delivered_demo_shop")[0][0] == 60


def test_gate_sensor_launches_the_day_only_with_enough_healthy_proxies(pipeline, start_site, start_proxy):
    site = start_site(5)
    proxies = [start_proxy() for _ in range(3)]
    pipeline.configure(proxies={"urls": [url for url, _ in proxies], "min_healthy": 2})
    defs = pipeline.definitions(site)
    gate = defs.resolve_sensor_def("proxy_gate_demo_shop")
    assert not [s for s in defs.schedules or [] if s.name == "daily_demo_shop_schedule"]

    tick = gate.evaluate_tick(_gate_context(defs, pipeline.instance))
    assert len(tick.run_requests) == 1
    request = tick.run_requests[0]
    assert request.tags["proxies_healthy"] == "3/3" and request.partition_key

    for _, process in proxies[:2]:
        stop(process)
    tick = gate.evaluate_tick(_gate_context(defs, pipeline.instance))
    assert not tick.run_requests
    assert "1 of 3 proxies healthy, need 2" in tick.skip_message
    assert "ConnectionRefusedError" in tick.skip_message or "URLError" in tick.skip_message


def _metrics(pipeline, site) -> dict:
    job = pipeline.definitions(site).resolve_job_def("pipeline_metrics_job")
    return materialization_metadata(
        job.execute_in_process(partition_key=DAY, instance=pipeline.instance), "pipeline_metrics"
    )


def test_a_dead_proxy_pool_at_the_frontier_is_ours_never_the_targets(pipeline, start_site):
    site = start_site(20)
    dead = [f"http://127.0.0.1:{free_port()}" for _ in range(2)]  # nothing listens there
    pipeline.configure(
        politeness=FAST,
        run_policy=NO_STEP_RETRY,
        proxies={"urls": dead, "bench_seconds": 0.5, "exhausted_timeout_seconds": 2},
    )

    result = pipeline.run_day(site, DAY)

    step, cause = failure_cause(result)
    assert step == "demo_shop__url_frontier" and cause.cls_name == "ProxyPoolExhausted"
    assert "the target is not at fault" in cause.message
    assert site.stats()["total"] == 0
    figures = _metrics(pipeline, site)
    assert figures["our_side_runs"] == 1 and figures["outage_runs"] == 0 and figures["success_rate"] == 0.0


def test_a_proxy_pool_dead_when_the_page_crawl_starts_counts_as_ours(pipeline, start_site):
    site = start_site(20)
    assert pipeline.run_day(site, DAY, selection=[AssetKey(["demo_shop", "url_frontier"])]).success
    dead = [f"http://127.0.0.1:{free_port()}" for _ in range(2)]
    pipeline.configure(
        politeness=FAST,
        run_policy=NO_STEP_RETRY,
        proxies={"urls": dead, "bench_seconds": 0.5, "exhausted_timeout_seconds": 2},
    )
    below_the_frontier = [
        AssetKey(["demo_shop", name])
        for name in ("raw_pages", "parsed_records", "validated_records", "quarantined_records", "delivered_demo_shop")
    ]

    result = pipeline.run_day(site, DAY, selection=below_the_frontier)

    assert not result.success
    assert materialization_metadata(result, "raw_pages")["crawl_stopped_by"] == "proxy_pool_exhausted"
    figures = _metrics(pipeline, site)
    # two runs: the frontier's (a success) and this one, which stopped on our proxies
    assert figures["runs"] == 2 and figures["our_side_runs"] == 1 and figures["outage_runs"] == 0
    assert "| FAILURE | our side |" in figures["runs_of_day"]


def test_the_gate_alerts_once_and_records_the_day_missed_after_its_deadline_and_keeps_trying(
    pipeline, start_site, start_proxy, monkeypatch
):
    with WebhookReceiver() as receiver:
        monkeypatch.setenv("SCRAPE_ASSETS_ALERT_WEBHOOK_URL", receiver.url)
        site = start_site(5)
        dead = [f"http://127.0.0.1:{free_port()}"]
        # scheduled at 00:00 the day after each partition: a deadline of 48 h is always ahead, 0 h always past
        pipeline.configure(
            proxies={"urls": dead, "gate_timeout_hours": 48}, schedule={"hour_of_day": 0, "minute_of_hour": 0}
        )
        defs = pipeline.definitions(site)
        waiting = defs.resolve_sensor_def("proxy_gate_demo_shop").evaluate_tick(_gate_context(defs, pipeline.instance))
        assert not waiting.run_requests and "waiting for" in waiting.skip_message and receiver.bodies == []

        pipeline.configure(proxies={"urls": dead, "gate_timeout_hours": 0})
        defs = pipeline.definitions(site)
        gate = defs.resolve_sensor_def("proxy_gate_demo_shop")
        missed = gate.evaluate_tick(_gate_context(defs, pipeline.instance))
        for event in missed.asset_events:  # what the daemon stores of a tick's asset events
            pipeline.instance.report_runless_asset_event(event)
        again = gate.evaluate_tick(_gate_context(defs, pipeline.instance, missed.cursor))

        [alert] = receiver.bodies
        day = missed.asset_events[0].partition
        assert alert["text"].startswith(f"[scrape-assets] day missed: demo_shop {day} at proxy_gate_demo_shop: ")
        assert "0 of 1 proxies healthy, need 1" in alert["text"]
        assert not again.run_requests and again.skip_message.startswith("0 of 1 proxies healthy")
        observed = pipeline.instance.fetch_observations(AssetKey(["demo_shop", "delivered_demo_shop"]), limit=1)
        [record] = observed.records
        assert (
            record.partition_key == day
            and "no healthy proxy pool 0 h after" in record.asset_observation.metadata["missed"].value
        )

        # the gate keeps trying: once a proxy answers, the missed day is launched
        pipeline.configure(proxies={"urls": [start_proxy()[0]], "gate_timeout_hours": 0})
        defs = pipeline.definitions(site)
        healthy = defs.resolve_sensor_def("proxy_gate_demo_shop").evaluate_tick(
            _gate_context(defs, pipeline.instance, missed.cursor)
        )
        assert [request.partition_key for request in healthy.run_requests] == [day]
