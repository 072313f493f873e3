"""Sensors. For a target with a proxy pool, `proxy_gate_<target>` replaces the daily schedule: it
launches the day's run only when enough proxies answer, and says why it waits otherwise."""

from __future__ import annotations

from dagster import (
    DefaultSensorStatus,
    PartitionsDefinition,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from scrape_assets.dagster_internals import UnresolvedAssetJobDefinition
from scrape_assets.defs.tags import PROXIES_HEALTHY_TAG, target_tags
from scrape_assets.defs.target.proxy_health import check_proxy
from scrape_assets.target_config.models import TargetConfig
from scrape_assets.target_config.secrets import expand_list


def proxy_gate_sensor(
    target: TargetConfig, job: UnresolvedAssetJobDefinition, partitions: PartitionsDefinition
) -> SensorDefinition:
    pool = target.proxies
    health_url = target.absolute(pool.health_path)

    @sensor(
        name=f"proxy_gate_{target.name}",
        job=job,
        minimum_interval_seconds=60,
        default_status=DefaultSensorStatus.STOPPED,
        description=f"Launches {job.name} for the last complete day once at least "
        f"{pool.min_healthy} of {len(pool.urls)} proxies answer {health_url}.",
    )
    def proxy_gate(context: SensorEvaluationContext) -> SkipReason | RunRequest:
        # credentials come from this process's environment (SecretNotSet names the field if not)
        checks = [check_proxy(url, health_url) for url in expand_list(pool.urls, "proxies.urls")]
        healthy = [c for c in checks if c.healthy]
        report = "; ".join(f"{c.proxy}: {c.detail}" for c in checks)
        if len(healthy) < pool.min_healthy:
            return SkipReason(f"{len(healthy)} of {len(checks)} proxies healthy, need {pool.min_healthy}: {report}")
        day = partitions.get_last_partition_key()
        return RunRequest(
            run_key=f"{target.name}-{day}",
            partition_key=day,
            tags={**target_tags(target.name), PROXIES_HEALTHY_TAG: f"{len(healthy)}/{len(checks)}"},
        )

    return proxy_gate
