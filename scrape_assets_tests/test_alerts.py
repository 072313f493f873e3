"""Alert sensors post failed runs and failed checks to a Slack-compatible webhook on loopback."""

from __future__ import annotations

import logging

import pytest
from dagster import build_sensor_context

from scrape_assets.defs.resources import AlertDeliveryFailed, AlertWebhook
from scrape_assets.defs.resources.alert_messages import Alert
from scrape_assets_tests.deployment import LocalDeployment
from scrape_assets_tests.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.e2e

DAY = "2026-11-20"
UI = "http://dagster.internal:3000"


def _tick(defs, name: str, instance, cursor: str | None):
    repository = defs.get_repository_def()
    # the daemon hands a sensor the code location's resources; a test context must be given them
    context = build_sensor_context(
        instance=instance,
        cursor=cursor,
        repository_def=repository,
        resources={"alert_webhook": repository.get_top_level_resources()["alert_webhook"]},
    )
    sensor = repository.get_sensor_def(name)
    sensor.evaluate_tick(context)
    return context.cursor


def test_failed_run_and_failed_check_reach_the_webhook_with_a_link_to_the_run(pipeline, start_site, monkeypatch):
    with WebhookReceiver() as receiver:
        monkeypatch.setenv("SCRAPE_ASSETS_ALERT_WEBHOOK_URL", receiver.url)
        monkeypatch.setenv("SCRAPE_ASSETS_UI_URL", UI)
        site = start_site(60, "--drop-field", "price:0.4")
        defs = pipeline.definitions(site)
        run_cursor = _tick(defs, "alert_on_run_failure", pipeline.instance, None)
        check_cursor = _tick(defs, "alert_on_check_failure", pipeline.instance, None)
        assert receiver.bodies == []  # first ticks only start from "now"

        failed = pipeline.run_day(site, DAY)
        assert not failed.success
        _tick(defs, "alert_on_run_failure", pipeline.instance, run_cursor)
        check_cursor = _tick(defs, "alert_on_check_failure", pipeline.instance, check_cursor)

        assert len(receiver.bodies) == 2
        run_alert, check_alert = receiver.bodies
        assert run_alert["text"].startswith(f"[scrape-assets] run failed: demo_shop {DAY} at demo_shop__validate: ")
        assert "blocking" in run_alert["text"].lower()
        fields = {f["text"].split("\n")[0]: f["text"].split("\n")[1] for f in run_alert["blocks"][1]["fields"]}
        assert fields["*Target*"] == "demo_shop" and fields["*Partition*"] == DAY
        assert fields["*Run*"] == f"<{UI}/runs/{failed.run_id}|open in Dagster>"
        assert check_alert["text"] == (
            f"[scrape-assets] check failed: demo_shop {DAY} at demo_shop/validated_records:valid_share: "
            "check valid_share did not pass (68.3% valid, minimum 95%: 19 quarantined; "
            "top reason price: not_nullable (19))"
        )
        assert f"{UI}/runs/{failed.run_id}" in str(check_alert["blocks"])

        # a later tick with nothing new sends nothing again
        _tick(defs, "alert_on_check_failure", pipeline.instance, check_cursor)
        assert len(receiver.bodies) == 2


def test_a_webhook_that_fails_for_a_while_is_tried_again_with_backoff(caplog):
    with WebhookReceiver() as receiver:
        receiver.first_statuses = [503, 429]
        webhook = AlertWebhook(url=receiver.url, backoff_seconds=0.01)
        alert = Alert("run failed", "demo_shop", DAY, "demo_shop__raw_pages", "TargetOutage: down", "u")
        with caplog.at_level(logging.WARNING):
            webhook.send(alert, logging.getLogger("test"))
    assert len(receiver.bodies) == 3  # two refusals that may pass, then delivered
    assert "HTTP 503" in caplog.text and "try 1 of 4" in caplog.text and "try 2 of 4" in caplog.text


def test_a_refusing_webhook_fails_the_tick_logs_why_and_never_reveals_its_url(caplog):
    with WebhookReceiver() as receiver:
        receiver.status = 500
        webhook = AlertWebhook(url=receiver.url, max_tries=3, backoff_seconds=0.01)
        alert = Alert("run failed", "demo_shop", DAY, "demo_shop__raw_pages", "TargetOutage: down", "u")
        with caplog.at_level(logging.ERROR), pytest.raises(AlertDeliveryFailed) as error:
            webhook.send(alert, logging.getLogger("test"))
        assert len(receiver.bodies) == 3
        receiver.status, receiver.bodies = 400, []  # refused for good: not tried again
        with pytest.raises(AlertDeliveryFailed):
            webhook.send(alert, logging.getLogger("test"))
        assert len(receiver.bodies) == 1
    assert "HTTP 500" in str(error.value) and "after 3 tries" in str(error.value)
    assert "alert not delivered after 3 tries" in caplog.text
    assert "secret-token" not in str(error.value) and "secret-token" not in caplog.text
    assert error.value.__cause__ is None and error.value.__suppress_context__


def test_without_a_webhook_alerts_are_logged(caplog):
    alert = Alert("check failed", "demo_shop", DAY, "x:field_completeness", "failing_fields=price", "u")
    with caplog.at_level(logging.ERROR):
        AlertWebhook().send(alert, logging.getLogger("alerts"))
    assert alert.text in caplog.text


@pytest.fixture
def local(tmp_path, monkeypatch):
    """A deployment of the embedded instance (`make dev`'s), and this process pointed at it so that its
    sensors can be ticked here."""
    made: list[LocalDeployment] = []

    def make(site_url: str, webhook_url: str) -> LocalDeployment:
        deployment = LocalDeployment(tmp_path, site_url)
        deployment.env["SCRAPE_ASSETS_ALERT_WEBHOOK_URL"] = webhook_url
        deployment.env["SCRAPE_ASSETS_UI_URL"] = UI
        for name in ("DAGSTER_HOME", "SCRAPE_ASSETS_DATA_DIR", "SCRAPE_ASSETS_TARGETS_DIR", "DEMO_SHOP_URL"):
            monkeypatch.setenv(name, deployment.env[name])
        monkeypatch.setenv("SCRAPE_ASSETS_ALERT_WEBHOOK_URL", webhook_url)
        monkeypatch.setenv("SCRAPE_ASSETS_UI_URL", UI)
        made.append(deployment)
        return deployment

    yield make
    for deployment in made:
        deployment.close()


def test_a_check_that_fails_after_a_tick_planned_it_is_alerted_once(local, start_site):
    """Dagster plans a run's check evaluations when it creates the run; a tick while the run crawls sees
    them planned, not finished. The evaluation that fails later is still alerted, once."""
    site = start_site(60, "--drop-field", "price:0.4", "--hold-after-pages", "10")
    with WebhookReceiver() as receiver:
        deployment = local(site.url, receiver.url)
        deployment.configure(politeness={"timeout_seconds": 600})
        from scrape_assets.definitions import build_definitions

        defs = build_definitions()
        cursor = _tick(defs, "alert_on_check_failure", deployment.instance, None)
        run = deployment.job_execute(DAY)
        deployment.wait_for(lambda: site.stats()["held"] > 0, "the run crawls, its checks planned")
        cursor = _tick(defs, "alert_on_check_failure", deployment.instance, cursor)
        assert receiver.bodies == []

        site.release()
        assert deployment.wait_finished(run, seconds=420) != 0  # valid_share fails: blocking
        cursor = _tick(defs, "alert_on_check_failure", deployment.instance, cursor)
        _tick(defs, "alert_on_check_failure", deployment.instance, cursor)

    texts = [body["text"] for body in receiver.bodies]
    assert texts == [
        f"[scrape-assets] check failed: demo_shop {DAY} at demo_shop/validated_records:valid_share: "
        "check valid_share did not pass (68.3% valid, minimum 95%: 19 quarantined; "
        "top reason price: not_nullable (19))"
    ]


@pytest.mark.long
def test_the_daemon_alerts_a_failed_run_of_dagster_asset_materialize_naming_target_and_day(local, start_site):
    """Runs started outside the code location's daemon-side origin (`dagster asset materialize`, `make
    demo`) are alerted too, named by their target and day, not by the asset job."""
    site = start_site(60, "--drop-field", "price:0.4")
    with WebhookReceiver() as receiver:
        deployment = local(site.url, receiver.url)
        deployment.start_daemon()
        deployment.wait_for(
            lambda: "alert_on_run_failure" in deployment.output("daemon.log"), "the daemon ticks the sensors"
        )
        assert deployment.wait_finished(deployment.asset_materialize(DAY)) != 0
        run_id = deployment.runs(DAY)[-1].dagster_run.run_id
        deployment.wait_for(
            lambda: any(body["text"].startswith("[scrape-assets] run failed") for body in receiver.bodies),
            "the run's failure is alerted",
            seconds=420,
        )
        run_alert = next(body for body in receiver.bodies if body["text"].startswith("[scrape-assets] run failed"))

    assert run_alert["text"].startswith(f"[scrape-assets] run failed: demo_shop {DAY} at demo_shop__validate: ")
    assert f"{UI}/runs/{run_id}" in str(run_alert["blocks"])
