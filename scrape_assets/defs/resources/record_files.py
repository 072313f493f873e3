"""Where the orchestrator keeps records between steps: Parquet files per target, day and stage."""

from __future__ import annotations

from pathlib import Path

from dagster import ConfigurableResource


class RecordFiles(ConfigurableResource):
    """Parquet files under `root/<target>/<day>/<stage>.parquet` (stages: parsed, valid, quarantined)."""

    root: str

    def path(self, target: str, day: str, stage: str) -> Path:
        return Path(self.root) / target / day / f"{stage}.parquet"
