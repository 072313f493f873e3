"""What operates all targets together: the `pipeline_metrics` asset with its daily job and schedule,
the alert sensors, and the sensor that keeps target files that did not load in sight."""

from __future__ import annotations

from collections.abc import Sequence

from dagster import AssetSelection, Definitions, build_schedule_from_partitioned_job, define_asset_job

from scrape_assets.defs.operations.alert_sensors import alert_sensors
from scrape_assets.defs.operations.pipeline_metrics import build_pipeline_metrics
from scrape_assets.defs.operations.target_file_errors import target_file_errors_sensor
from scrape_assets.target_config import TargetConfigError
from scrape_assets.target_config.models import TargetConfig

METRICS_HOUR = 12  # after every target's scheduled day has had time to finish (and retry)


def operations_definitions(targets: Sequence[TargetConfig], errors: Sequence[TargetConfigError] = ()) -> Definitions:
    metrics = build_pipeline_metrics(targets)
    job = define_asset_job(
        "pipeline_metrics_job",
        selection=AssetSelection.assets(metrics),
        description="Compute the day's pipeline health figures from the run records.",
    )
    return Definitions(
        assets=[metrics],
        jobs=[job],
        schedules=[
            build_schedule_from_partitioned_job(job, name="pipeline_metrics_schedule", hour_of_day=METRICS_HOUR)
        ],
        sensors=[*alert_sensors([target.name for target in targets]), target_file_errors_sensor(errors)],
    )
