"""The asset keys of one target's graph, all prefixed by the target name."""

from __future__ import annotations

from dataclasses import dataclass, fields

from dagster import AssetKey

from scrape_assets.target_config.models import TargetConfig


@dataclass(frozen=True)
class TargetKeys:
    """Keys of `url_frontier -> raw_pages -> parsed_records -> validated_records -> delivered_<target>`
    and `quarantined_records`."""

    url_frontier: AssetKey
    raw_pages: AssetKey
    parsed_records: AssetKey
    validated_records: AssetKey
    quarantined_records: AssetKey
    delivered: AssetKey

    def every(self) -> set[AssetKey]:
        """All of the target's asset keys."""
        return {getattr(self, field.name) for field in fields(self)}


def target_keys(target: TargetConfig) -> TargetKeys:
    prefix = target.name
    return TargetKeys(
        url_frontier=AssetKey([prefix, "url_frontier"]),
        raw_pages=AssetKey([prefix, "raw_pages"]),
        parsed_records=AssetKey([prefix, "parsed_records"]),
        validated_records=AssetKey([prefix, "validated_records"]),
        quarantined_records=AssetKey([prefix, "quarantined_records"]),
        delivered=AssetKey([prefix, target.delivered_table]),
    )
