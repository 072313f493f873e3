"""Sensors. For a target with a proxy pool, `proxy_gate_<target>` replaces the daily schedule: it
launches the day's run only when enough proxies answer, and says why it waits otherwise.

It does not wait in silence: `proxies.gate_timeout_hours` after the day's scheduled time, a day still
waiting is alerted once (through `alert_webhook`) and recorded as missed on the delivered table (an
observation of that partition, with the reason), and the gate keeps trying: the day is launched as
soon as the pool is healthy again.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dagster import (
    AssetObservation,
    DefaultSensorStatus,
    JobDefinition,
    MetadataValue,
    PartitionsDefinition,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from scrape_assets.defs.resources import AlertWebhook
from scrape_assets.defs.resources.alert_messages import Alert
from scrape_assets.defs.tags import PROXIES_HEALTHY_TAG, target_tags
from scrape_assets.defs.target.asset_keys import TargetKeys
from scrape_assets.defs.target.proxy_health import check_proxy
from scrape_assets.target_config.models import TargetConfig
from scrape_assets.target_config.secrets import expand_list

MISSED = "missed"  # the observation's metadata key on a missed day


def gate_deadline(target: TargetConfig, day: str) -> datetime:
    """When the gate gives up waiting for `day` (still trying): its scheduled time plus the timeout."""
    schedule = target.schedule
    scheduled = datetime.combine(
        date.fromisoformat(day) + timedelta(days=1),
        time(schedule.hour_of_day, target.scheduled_minute),
        ZoneInfo(schedule.timezone),
    )
    return scheduled + timedelta(hours=target.proxies.gate_timeout_hours)


def proxy_gate_sensor(
    target: TargetConfig, keys: TargetKeys, job: JobDefinition, partitions: PartitionsDefinition
) -> SensorDefinition:
    pool = target.proxies
    health_url = target.absolute(pool.health_path)

    @sensor(
        name=f"proxy_gate_{target.name}",
        job=job,
        minimum_interval_seconds=60,
        default_status=DefaultSensorStatus.STOPPED,
        description=f"Launches {job.name} for the last complete day once at least "
        f"{pool.min_healthy} of {len(pool.urls)} proxies answer {health_url}; alerts and records the day "
        f"as missed {pool.gate_timeout_hours:g} h after its scheduled time, and keeps trying.",
    )
    def proxy_gate(context: SensorEvaluationContext, alert_webhook: AlertWebhook) -> SensorResult | RunRequest:
        day = partitions.get_last_partition_key()
        if day is None:
            return SensorResult(skip_reason=f"{target.name} has no complete day yet")
        # credentials come from this process's environment (SecretNotSet names the field if not)
        checks = [check_proxy(url, health_url) for url in expand_list(pool.urls, "proxies.urls")]
        healthy = [c for c in checks if c.healthy]
        if len(healthy) >= pool.min_healthy:
            return RunRequest(
                run_key=f"{target.name}-{day}",
                partition_key=day,
                tags={**target_tags(target.name), PROXIES_HEALTHY_TAG: f"{len(healthy)}/{len(checks)}"},
            )
        report = "; ".join(f"{c.proxy}: {c.detail}" for c in checks)
        waiting = f"{len(healthy)} of {len(checks)} proxies healthy, need {pool.min_healthy}: {report}"
        deadline = gate_deadline(target, day)
        alerted = set(json.loads(context.cursor)["missed"]) if context.cursor else set()
        if datetime.now(deadline.tzinfo) < deadline or day in alerted:
            return SensorResult(skip_reason=f"{waiting} (waiting for {day} until {deadline.isoformat()})")
        reason = f"no healthy proxy pool {pool.gate_timeout_hours:g} h after {day}'s scheduled time: {waiting}"
        alert_webhook.send(
            Alert(
                kind="day missed",
                target=target.name,
                partition=day,
                failed=f"proxy_gate_{target.name}",
                error=f"{reason}. The gate keeps trying and launches the day once the pool is healthy.",
                run_url=alert_webhook.page_url(f"assets/{keys.delivered.to_user_string()}"),
            ),
            context.log,
        )
        missed = AssetObservation(
            asset_key=keys.delivered,
            partition=day,
            metadata={MISSED: MetadataValue.text(reason), "deadline": MetadataValue.text(deadline.isoformat())},
        )
        kept = sorted(alerted | {day})[-31:]  # a month of alerted days is enough to alert each once
        return SensorResult(
            skip_reason=f"{day} missed: {reason}", asset_events=[missed], cursor=json.dumps({"missed": kept})
        )

    return proxy_gate
