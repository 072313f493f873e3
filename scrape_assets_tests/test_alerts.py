"""Alert sensors post failed runs and failed checks to a Slack-compatible webhook on loopback."""

from __future__ import annotations

import logging

import pytest
from dagster import build_sensor_context

from scrape_assets.defs.resources import AlertDeliveryFailed, AlertWebhook
from scrape_assets.defs.resources.alert_messages import Alert
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
            "check valid_share did not pass (share=0.683333)"
        )
        assert f"{UI}/runs/{failed.run_id}" in str(check_alert["blocks"])

        # a later tick with nothing new sends nothing again
        _tick(defs, "alert_on_check_failure", pipeline.instance, check_cursor)
        assert len(receiver.bodies) == 2


def test_a_refusing_webhook_fails_the_tick_without_revealing_its_url(caplog):
    with WebhookReceiver() as receiver:
        receiver.status = 500
        webhook = AlertWebhook(url=receiver.url)
        alert = Alert("run failed", "demo_shop", DAY, "demo_shop__raw_pages", "TargetOutage: down", "u")
        with pytest.raises(AlertDeliveryFailed) as error:
            webhook.send(alert, logging.getLogger("test"))
    assert "HTTP 500" in str(error.value) and "secret-token" not in str(error.value)
    assert error.value.__cause__ is None and error.value.__suppress_context__


def test_without_a_webhook_alerts_are_logged(caplog):
    alert = Alert("check failed", "demo_shop", DAY, "x:field_completeness", "failing_fields=price", "u")
    with caplog.at_level(logging.ERROR):
        AlertWebhook().send(alert, logging.getLogger("alerts"))
    assert alert.text in caplog.text
