"""Which process executes a run: the run worker reports its pid in the run's event log ("Started process
for run (pid: N)", or the executor's engine event) before it loads the run's job. Run monitoring's
worker health check (`local_instance.py`) and the code location's choice of what to build for a run
(`defs/location.py`) both read it."""

from __future__ import annotations

from dagster import AssetCheckKey, AssetKey, DagsterEventType, DagsterInstance, DagsterRunStatus, RunsFilter

STARTING = [DagsterRunStatus.STARTING, DagsterRunStatus.STARTED]
RUNS_LOOKED_AT = 200


def run_worker_pid(instance: DagsterInstance, run_id: str) -> tuple[int, float] | None:
    """(pid, event time) of the process that executes the run, from its first engine event naming one."""
    records = instance.get_records_for_run(run_id, of_type=DagsterEventType.ENGINE_EVENT, limit=50).records
    for record in records:
        event = record.event_log_entry.dagster_event
        data = event.engine_event_data if event is not None else None
        pid = data.metadata.get("pid") if data is not None else None
        if pid is not None and isinstance(pid.value, int | str):
            return int(pid.value), record.event_log_entry.timestamp
    return None


def selection_executed_here(
    instance: DagsterInstance, job_name: str, pid: int
) -> tuple[frozenset[AssetKey], frozenset[AssetCheckKey]] | None:
    """The asset and check selection of the run of `job_name` whose worker is process `pid`, among
    the runs starting now; None when no such run is found (or it selects the whole job)."""
    runs = instance.get_runs(RunsFilter(job_name=job_name, statuses=STARTING), limit=RUNS_LOOKED_AT)
    for run in runs:
        found = run_worker_pid(instance, run.run_id)
        if found is not None and found[0] == pid:
            if run.asset_selection is None and run.asset_check_selection is None:
                return None
            return frozenset(run.asset_selection or ()), frozenset(run.asset_check_selection or ())
    return None
