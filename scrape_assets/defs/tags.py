"""The tags this code location puts on runs and assets, or reads from them: each key named once here.

The production run queue limits on two of them (k8s/dagster.yaml): `target` (a ceiling per target)
and `scrape_assets/target_day` (one run per target and day).
"""

from __future__ import annotations

TARGET_TAG = "target"
TARGET_DAY_TAG = "scrape_assets/target_day"
# set on a run to deliver a day whose blocking checks did not pass; its value is the reason
OVERRIDE_TAG = "scrape_assets/deliver_despite_failed_checks"
PROXIES_HEALTHY_TAG = "proxies_healthy"
PARTITION_TAG = "dagster/partition"  # Dagster's own: the run's partition key


def target_tags(target: str) -> dict[str, str]:
    """The tag every asset, job and schedule of a target carries."""
    return {TARGET_TAG: target}


def target_day(target: str, day: str) -> str:
    """The value of the target+day tag (a valid Dagster tag value: no spaces, under 63 characters)."""
    return f"{target}.{day}"
