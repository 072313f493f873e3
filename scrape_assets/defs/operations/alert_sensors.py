"""Alerts for the on-call engineer: a run-failure sensor and a check-failure sensor, both sending
through the `alert_webhook` resource. Both start RUNNING and, like Dagster's run status sensors,
begin from "now" on their first tick.

- `alert_on_run_failure` watches every run of the instance, whatever launched it (a schedule, the UI's
  asset graph, `dagster asset materialize`, `make demo`: runs of other code location origins too), and
  names the target and day from the run itself, not from a job name (`__ASSET_JOB` says nothing).
- `alert_on_check_failure` reads the runs that ended since its cursor (Dagster's run status change
  records, one cursor per kind of end) and the failed check evaluations each of them stored: an
  evaluation is alerted once, when its run has ended, however long after the run was planned, and a
  tick costs as many reads as runs ended, whether the deployment has seven checks or seven thousand.
  The cursor moves past a run only once its alerts were delivered: a webhook that is down is tried
  again on the next tick.
"""

from __future__ import annotations

import json
from collections.abc import Collection

from dagster import (
    AssetCheckEvaluation,
    DagsterEventType,
    DagsterInstance,
    DefaultSensorStatus,
    EventLogRecord,
    RunFailureSensorContext,
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    run_failure_sensor,
    sensor,
)

from scrape_assets.dagster_internals import SerializableErrorInfo, cursor_after
from scrape_assets.defs.operations.run_history import target_of
from scrape_assets.defs.resources import AlertDeliveryFailed, AlertWebhook
from scrape_assets.defs.resources.alert_messages import Alert
from scrape_assets.defs.tags import PARTITION_TAG

RUNS_PER_TICK = 200
RUN_ENDS = (DagsterEventType.RUN_SUCCESS, DagsterEventType.RUN_FAILURE, DagsterEventType.RUN_CANCELED)


def _error_text(error: SerializableErrorInfo) -> str:
    """The user's error behind Dagster's wrappers, with its class name."""
    while error.cause is not None:
        error = error.cause
    if error.cls_name is None:
        return error.message
    return f"{error.cls_name}: {error.message}".strip()


def _step_target(step_key: str, targets: Collection[str]) -> str | None:
    """The target a step of ours belongs to: its key starts with `<target>__`."""
    name = step_key.split("__", 1)[0]
    return name if name in targets else None


def build_run_failure_sensor(targets: Collection[str]) -> SensorDefinition:
    """`alert_on_run_failure` for a code location of these targets."""

    @run_failure_sensor(
        name="alert_on_run_failure",
        default_status=DefaultSensorStatus.RUNNING,
        monitor_all_code_locations=True,
        description="Posts every failed run, whatever launched it (target, day, first failed step, error, link).",
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
        target = target_of(run, targets) or (_step_target(failed, targets) if failures else None)
        alert_webhook.send(
            Alert(
                kind="run failed",
                target=target or run.job_name,
                partition=run.tags.get(PARTITION_TAG, "unpartitioned"),
                failed=failed,
                error=error,
                run_url=alert_webhook.run_url(run.run_id),
            ),
            context.log,
        )

    return alert_on_run_failure


def _check_alert(record: EventLogRecord, evaluation: AssetCheckEvaluation, webhook: AlertWebhook) -> Alert:
    metadata = evaluation.metadata
    detail = evaluation.description or ", ".join(
        f"{name}={getattr(metadata[name], 'value', metadata[name])}"
        for name in ("failing_fields", "share", "delivered_day_rows")
        if name in metadata
    )
    return Alert(
        kind="check failed",
        target=evaluation.asset_key.path[0],
        partition=evaluation.partition or record.partition_key or "unpartitioned",
        failed=f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}",
        error=f"check {evaluation.check_name} did not pass" + (f" ({detail})" if detail else ""),
        run_url=webhook.run_url(record.run_id),
    )


def _cursors_now(instance: DagsterInstance) -> dict[str, str | None]:
    """Per kind of run end, a cursor at its newest record (None: none yet, so every later one is new)."""
    cursors: dict[str, str | None] = {}
    for kind in RUN_ENDS:
        newest = instance.fetch_run_status_changes(kind, limit=1, ascending=False)
        cursors[kind.value] = newest.cursor if newest.records else None
    return cursors


def _failed_evaluations(instance: DagsterInstance, run_id: str) -> list[tuple[EventLogRecord, AssetCheckEvaluation]]:
    """The failed check evaluations a run stored, in order."""
    found = []
    for record in instance.get_records_for_run(run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION).records:
        event = record.event_log_entry.dagster_event
        evaluation = event.asset_check_evaluation_data if event is not None else None
        if evaluation is not None and not evaluation.passed:
            found.append((record, evaluation))
    return found


@sensor(
    name="alert_on_check_failure",
    default_status=DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=60,
    description="Posts every failed asset check evaluation once, when its run has ended.",
)
def alert_on_check_failure(context: SensorEvaluationContext, alert_webhook: AlertWebhook) -> SkipReason:
    if context.cursor is None:
        context.update_cursor(json.dumps(_cursors_now(context.instance)))
        return SkipReason("first tick: alerting on check evaluations of runs that end from now on")
    cursors = json.loads(context.cursor)
    sent = 0
    for kind in RUN_ENDS:
        ended = context.instance.fetch_run_status_changes(
            kind, limit=RUNS_PER_TICK, cursor=cursors.get(kind.value), ascending=True
        )
        for record in ended.records:
            for stored, evaluation in _failed_evaluations(context.instance, record.run_id):
                try:
                    alert_webhook.send(_check_alert(stored, evaluation, alert_webhook), context.log)
                except AlertDeliveryFailed as failed:
                    context.update_cursor(json.dumps(cursors))
                    return SkipReason(f"{sent} alerted; {failed}; run {record.run_id} is tried again next tick")
                sent += 1
            cursors[kind.value] = cursor_after(record)
    context.update_cursor(json.dumps(cursors))
    return SkipReason(f"{sent} failed check evaluation(s) alerted")


def alert_sensors(targets: Collection[str]) -> list[SensorDefinition]:
    """Both alert sensors of a code location of these targets."""
    return [build_run_failure_sensor(targets), alert_on_check_failure]
