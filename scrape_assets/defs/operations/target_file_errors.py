"""`target_files`: the target YAML files that did not load, kept in sight.

A file that does not load takes only its own target out of the code location (the others load and
run). So that it is not missed, this sensor fails every tick while any file is bad, its error naming
each file, field and problem (the UI shows the failed ticks on the sensor's page), and posts one alert
through `alert_webhook` per bad file and tick (an hour apart). With every file good it skips."""

from __future__ import annotations

from collections.abc import Sequence

from dagster import DefaultSensorStatus, SensorDefinition, SensorEvaluationContext, SkipReason, sensor

from scrape_assets.defs.resources import AlertWebhook
from scrape_assets.defs.resources.alert_messages import Alert
from scrape_assets.target_config import TargetConfigError

TICK_SECONDS = 3600


class TargetFilesInvalid(Exception):
    """Target files that did not load: each with its file, field and problem."""


def target_file_errors_sensor(errors: Sequence[TargetConfigError]) -> SensorDefinition:
    """The sensor over the errors of this code location's load."""

    @sensor(
        name="target_files",
        minimum_interval_seconds=TICK_SECONDS,
        default_status=DefaultSensorStatus.RUNNING,
        description="Fails while a target YAML file does not load (that target is left out), naming the "
        "file, field and problem; alerts each bad file.",
    )
    def target_files(context: SensorEvaluationContext, alert_webhook: AlertWebhook) -> SkipReason:
        if not errors:
            return SkipReason("every target file loads")
        for error in errors:
            alert = Alert(
                kind="target file invalid",
                target=error.path.stem,
                partition="-",
                failed=f"{error.path.name} field '{error.field}'",
                error=str(error),
                run_url=alert_webhook.page_url("automation"),
            )
            alert_webhook.send(alert, context.log)
        listed = "\n".join(f"- {error}" for error in errors)
        raise TargetFilesInvalid(f"{len(errors)} target file(s) did not load; their targets are left out:\n{listed}")

    return target_files
