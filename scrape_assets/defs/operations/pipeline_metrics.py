"""`pipeline_metrics`: the day's pipeline health, per target and overall, from Dagster's own records.

Figures (formulas in `metric_formulas.py`) are numeric metadata, so the UI plots them
over partitions: `success_rate`, `critical_path_seconds` (of the latest successful run; overall: the
slowest target), `retry_overhead`, `request_retry_share`, each also as `<target>/<figure>`. A table
gives the same overall figures for the last `TABLE_DAYS` days.
"""

from collections.abc import Sequence
from datetime import date, timedelta

from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    DailyPartitionsDefinition,
    MaterializeResult,
    MetadataValue,
    TableColumn,
    TableRecord,
    TableSchema,
    asset,
)

from scrape_assets.defs.operations.metric_formulas import (
    RunFacts,
    critical_path,
    request_retry_share,
    retry_overhead,
    success_rate,
)
from scrape_assets.defs.operations.run_history import finished_runs_of_day
from scrape_assets.target_config.models import TargetConfig

TABLE_DAYS = 14
FIGURES = ("success_rate", "critical_path_seconds", "retry_overhead", "request_retry_share")


def metrics_partitions(targets: Sequence[TargetConfig]) -> DailyPartitionsDefinition:
    """Daily, from the earliest target's first day."""
    return DailyPartitionsDefinition(start_date=min(t.schedule.start_date for t in targets).isoformat())


def day_figures(runs: list[RunFacts]) -> dict[str, float | int | None]:
    """The figures of one day's runs (None where a figure has nothing to measure)."""
    latest_success: dict[str, RunFacts] = {}
    for run in runs:  # oldest first: the last success per target wins
        if run.status == "SUCCESS":
            latest_success[run.target] = run
    paths = [path for path in map(critical_path, latest_success.values()) if path is not None]
    return {
        "runs": len(runs),
        "outage_runs": sum(run.outage for run in runs),
        "our_side_runs": sum(run.our_side for run in runs),
        "success_rate": success_rate(runs),
        "critical_path_seconds": max((p.seconds for p in paths), default=None),
        "retry_overhead": retry_overhead(runs),
        "request_retry_share": request_retry_share(runs),
    }


def _numeric(prefix: str, figures: dict[str, float | int | None]) -> dict[str, MetadataValue]:
    out: dict[str, MetadataValue] = {}
    for name, value in figures.items():
        if isinstance(value, int):
            out[prefix + name] = MetadataValue.int(value)
        elif value is not None:
            out[prefix + name] = MetadataValue.float(round(value, 6))
    return out


def _history_table(rows: dict[str, dict[str, float | int | None]]) -> MetadataValue:
    columns = [
        TableColumn("day", "string"),
        TableColumn("runs", "int"),
        TableColumn("outage_runs", "int"),
        TableColumn("our_side_runs", "int"),
        *(TableColumn(name, "float") for name in FIGURES),
    ]
    return MetadataValue.table(
        records=[
            TableRecord({"day": day, **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in figures.items()}})
            for day, figures in rows.items()
        ],
        schema=TableSchema(columns=columns),
    )


def _cause(run: RunFacts) -> str:
    """Who a run's failure is named for: the target (an outage), our side (infrastructure), the pipeline."""
    if run.status == "SUCCESS":
        return "-"
    return "target" if run.outage else "our side" if run.our_side else "pipeline"


def build_pipeline_metrics(targets: Sequence[TargetConfig]) -> AssetsDefinition:
    @asset(
        key="pipeline_metrics",
        partitions_def=metrics_partitions(targets),
        group_name="operations",
        kinds={"dagster"},
        description="Success rate (target outages excluded; failures of our own infrastructure counted), "
        "critical-path latency and retry overhead of "
        "the day's runs, per target and overall, from the Dagster instance's run records.",
    )
    def pipeline_metrics(context: AssetExecutionContext) -> MaterializeResult:
        day = date.fromisoformat(context.partition_key)
        names = [target.name for target in targets]
        runs = finished_runs_of_day(context.instance, day.isoformat(), names)
        metadata = _numeric("", day_figures(runs))
        for target in targets:
            of_target = [r for r in runs if r.target == target.name]
            metadata.update(_numeric(f"{target.name}/", day_figures(of_target)))
            succeeded = [r for r in of_target if r.status == "SUCCESS"]
            path = critical_path(succeeded[-1]) if succeeded else None
            if path is not None:
                metadata[f"{target.name}/critical_path"] = MetadataValue.text(
                    f"queue {path.queue_seconds:.2f}s + execution {path.execution_seconds:.2f}s + "
                    f"waits {path.wait_seconds:.2f}s along {' -> '.join(path.steps)}"
                )
        history = {}
        for back in range(TABLE_DAYS):
            earlier = (day - timedelta(days=back)).isoformat()
            history[earlier] = day_figures(
                runs if back == 0 else finished_runs_of_day(context.instance, earlier, names)
            )
        metadata["last_days"] = _history_table(history)
        run_rows = [f"| {r.target} | {r.run_id[:8]} | {r.status} | {_cause(r)} |" for r in runs]
        metadata["runs_of_day"] = MetadataValue.md(
            "\n".join(["| target | run | status | failed by |", "|---|---|---|---|", *run_rows])
        )
        return MaterializeResult(metadata=metadata)

    return pipeline_metrics
