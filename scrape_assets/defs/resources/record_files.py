"""Where the orchestrator keeps records between steps: Parquet files per target, day and stage."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from dagster import ConfigurableResource


class Stage(StrEnum):
    """The record files of a day: what extraction wrote, and the two halves validation split it into."""

    PARSED = "parsed"
    VALID = "valid"
    QUARANTINED = "quarantined"


class RecordFiles(ConfigurableResource):
    """Parquet files under `root/<target>/<day>/<stage>.parquet`."""

    root: str

    def path(self, target: str, day: str, stage: Stage) -> Path:
        return Path(self.root) / target / day / f"{stage.value}.parquet"
