"""Pipeline health figures computed from facts about runs (no Dagster imports: pure formulas)."""

from scrape_assets.metrics.formulas import (
    CriticalPath,
    RunFacts,
    StepFacts,
    critical_path,
    request_retry_share,
    retry_overhead,
    success_rate,
)

__all__ = [
    "CriticalPath",
    "RunFacts",
    "StepFacts",
    "critical_path",
    "request_retry_share",
    "retry_overhead",
    "success_rate",
]
