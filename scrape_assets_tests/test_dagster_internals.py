"""Contract of `scrape_assets/dagster_internals.py`: what it takes from Dagster beyond the public API
still works as the delivery guard, the alert sensor, run monitoring and the local instance expect.
The first Dagster release that moves or changes one of these fails here."""

from __future__ import annotations

import os

from dagster import (
    AssetCheckKey,
    AssetCheckResult,
    DagsterEventType,
    DailyPartitionsDefinition,
    Definitions,
    asset,
    asset_check,
    instance_for_test,
)

from scrape_assets.dagster_internals import (
    WorkerStatus,
    check_evaluations_of_day,
    config_errors,
    cursor_after,
    latest_check_evaluation,
    set_pool_limit,
)
from scrape_assets.defs.run_worker import run_worker_pid
from scrape_assets.defs.target.partitions import partitioned_checks
from scrape_assets.local_instance import LocalRunLauncher

DAYS = DailyPartitionsDefinition(start_date="2026-01-01")


@asset(partitions_def=DAYS)
def table() -> None:
    return None


with partitioned_checks():

    @asset_check(asset=table, partitions_def=DAYS)
    def rows_present(context) -> AssetCheckResult:
        return AssetCheckResult(passed=context.partition_key != "2026-01-02")


def test_check_history_per_day_and_failures_read_as_the_guard_and_the_alerts_need():
    job = Definitions(assets=[table], asset_checks=[rows_present]).resolve_implicit_global_asset_job_def()
    key = AssetCheckKey(table.key, "rows_present")
    with instance_for_test() as instance:
        assert latest_check_evaluation(instance, key, "2026-01-01") is None
        for day in ("2026-01-01", "2026-01-02"):
            assert job.execute_in_process(partition_key=day, instance=instance).success
        passed, failed = (latest_check_evaluation(instance, key, day) for day in ("2026-01-01", "2026-01-02"))
        assert passed.evaluation.passed and not failed.evaluation.passed
        assert passed.run_id != failed.run_id
        assert job.execute_in_process(partition_key="2026-01-01", instance=instance).success
        again = check_evaluations_of_day(instance, key, "2026-01-01", limit=10)
        assert [record.run_id for record in again][1:] == [passed.run_id]  # newest first, that day only
        # each evaluation names the materialization it evaluated (the same run's)
        target = again[0].evaluation.target_materialization_data
        latest = instance.fetch_materializations(table.key, limit=1).records[0]
        assert target is not None and target.storage_id == latest.storage_id and target.run_id == again[0].run_id


def test_a_cursor_after_a_record_resumes_a_run_status_query_just_after_it():
    job = Definitions(assets=[table]).resolve_implicit_global_asset_job_def()
    with instance_for_test() as instance:
        runs = [
            job.execute_in_process(partition_key=day, instance=instance).run_id for day in ("2026-01-01", "2026-01-02")
        ]
        ended = instance.fetch_run_status_changes(DagsterEventType.RUN_SUCCESS, limit=10, ascending=True).records
        assert [record.run_id for record in ended] == runs
        after_first = instance.fetch_run_status_changes(
            DagsterEventType.RUN_SUCCESS, limit=10, cursor=cursor_after(ended[0]), ascending=True
        )
        assert [record.run_id for record in after_first.records] == runs[1:]


def test_pool_limits_and_run_worker_health_as_the_local_instance_uses_them():
    job = Definitions(assets=[table]).resolve_implicit_global_asset_job_def()
    with instance_for_test() as instance:
        set_pool_limit(instance, "warehouse", 1)
        assert instance.event_log_storage.get_concurrency_info("warehouse").slot_count == 1
        result = job.execute_in_process(partition_key="2026-01-01", instance=instance)
        run = instance.get_run_by_id(result.run_id)
        assert run_worker_pid(instance, run.run_id)[0] == os.getpid()  # in-process: the worker is this process
        launcher = LocalRunLauncher()
        launcher.register_instance(instance)
        assert launcher.check_run_worker_health(run).status == WorkerStatus.RUNNING  # this very process


def test_config_errors_name_what_does_not_fit_a_schema():
    schema = LocalRunLauncher.config_type()  # DefaultRunLauncher's: no fields
    assert config_errors(schema, {}) == []
    assert config_errors(schema, {"unknown_field": 1})


def test_a_run_worker_rebuilds_a_job_of_one_target_through_the_scoped_repository(tmp_path):
    """What `ScopedRepository` relies on: Dagster's run worker gets its job through
    `ReconstructableJob.get_definition` -> `get_maybe_subset_job_def`, so the whole repository is never
    built for a job of one target; and `resolve_asset_job` gives the job the whole repository would."""
    import subprocess
    import sys
    from pathlib import Path

    probe = (
        "from dagster._core.definitions.reconstruct import ReconstructableRepository\n"
        "import scrape_assets.definitions as location\n"
        "repository = ReconstructableRepository.for_module('scrape_assets.definitions', 'defs')\n"
        "job = repository.get_reconstructable_job('daily_demo_shop').get_definition()\n"
        "print(job.name, location.defs.whole_built)\n"
        "whole = location.defs.get_job('daily_demo_shop')\n"
        "print([n.name for n in job.nodes_in_topological_order] == [n.name for n in whole.nodes_in_topological_order])"
    )
    env = {**os.environ, "SCRAPE_ASSETS_DATA_DIR": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["daily_demo_shop", "False", "True"], out.stdout


def test_the_instance_schema_check_names_a_misspelt_setting():
    from scrape_assets.dagster_internals import instance_config_errors

    assert instance_config_errors({"schedules": {"use_threads": True, "num_workers": 4}}) == []
    assert instance_config_errors({"schedules": {"num_wrkers": 4}})
