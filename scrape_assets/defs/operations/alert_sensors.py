"""Alerts for the on-call engineer: a run-failure sensor and a check-failure sensor, both sending
through the `alert_webhook` resource. Both start RUNNING and, like Dagster's run status sensors,
begin from "now" on their first tick."""

from __future__ import annotations

import json

from dagster import (
    AssetCheckKey,
    DefaultSensorStatus,
    RunFailureSensorContext,
    SensorEvaluationContext,
    SkipReason,
    run_failure_sensor,
    sensor,
)

from scrape_assets.dagster_internals import (
    AssetCheckExecutionRecord,
    SerializableErrorInfo,
    check_failed,
    check_history,
)
from scrape_assets.defs.resources import AlertWebhook
from scrape_assets.defs.resources.alert_messages import Alert
from scrape_assets.defs.tags import PARTITION_TAG, TARGET_TAG

RECORDS_PER_CHECK_PER_TICK = 100


def _error_text(error: SerializableErrorInfo) -> str:
    """The user's error behind Dagster's wrappers, with its class name."""
    while error.cause is not None:
        error = error.cause
    if error.cls_name is None:
        return error.message
    return f"{error.cls_name}: {error.message}".strip()


@run_failure_sensor(
    name="alert_on_run_failure",
    default_status=DefaultSensorStatus.RUNNING,
    description="Posts every failed run (target, partition, failed step, error, link).",
)
def alert_on_run_failure(context: RunFailureSensorContext, alert_webhook: AlertWebhook) -> None:
    run = context.dagster_run
    failures = context.get_step_failure_events()
    if failures:
        error_info = failures[0].step_failure_data.error
        failed = str(failures[0].step_key)
        error = _error_text(error_info) if error_info is not None else "the step failed without an error"
    else:
        failed, error = "run", context.failure_event.message or "the run failed before any step ran"
    alert_webhook.send(
        Alert(
            kind="run failed",
            target=run.tags.get(TARGET_TAG, run.job_name),
            partition=run.tags.get(PARTITION_TAG, "unpartitioned"),
            failed=failed,
            error=error,
            run_url=alert_webhook.run_url(run.run_id),
        ),
        context.log,
    )


def _check_keys(context: SensorEvaluationContext) -> list[AssetCheckKey]:
    repository = context.repository_def
    if repository is None:  # a sensor evaluated outside a code location has no checks to watch
        return []
    return sorted(repository.asset_graph.asset_check_keys, key=lambda k: k.to_user_string())


def _check_alert(key: AssetCheckKey, record: AssetCheckExecutionRecord, webhook: AlertWebhook) -> Alert:
    metadata = record.evaluation.metadata if record.evaluation else {}
    detail = ", ".join(
        f"{name}={getattr(metadata[name], 'value', metadata[name])}"
        for name in ("failing_fields", "share", "delivered_day_rows")
        if name in metadata
    )
    return Alert(
        kind="check failed",
        target=key.asset_key.path[0],
        partition=record.partition or "unpartitioned",
        failed=f"{key.asset_key.to_user_string()}:{key.name}",
        error=f"check {key.name} did not pass" + (f" ({detail})" if detail else ""),
        run_url=webhook.run_url(record.run_id),
    )


@sensor(
    name="alert_on_check_failure",
    default_status=DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=60,
    description="Posts every failed asset check evaluation since the last tick.",
)
def alert_on_check_failure(context: SensorEvaluationContext, alert_webhook: AlertWebhook) -> SkipReason:
    history = {key: check_history(context.instance, key, RECORDS_PER_CHECK_PER_TICK) for key in _check_keys(context)}
    newest = max((record.id for records in history.values() for record in records), default=0)
    if context.cursor is None:
        context.update_cursor(json.dumps({"after_id": newest}))
        return SkipReason(f"first tick: alerting on check evaluations after record {newest}")
    after = json.loads(context.cursor)["after_id"]
    sent = 0
    for key, records in history.items():
        for record in sorted(records, key=lambda r: r.id):
            if record.id > after and check_failed(record):
                alert_webhook.send(_check_alert(key, record, alert_webhook), context.log)
                sent += 1
    context.update_cursor(json.dumps({"after_id": max(newest, after)}))
    return SkipReason(f"{sent} failed check evaluation(s) alerted")
