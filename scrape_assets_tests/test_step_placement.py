"""Where a run's steps execute (defs/executor.py, defs/target/step_placement.py): a day expected to
crawl in one shard runs its steps in the run's process; a target's first day, a day whose frontier
needed several shards, or a run over several targets, gives each step a process of its own. Run
config overrides the rule either way. Runs go through Dagster's `execute_job` with the code
location's own executor, as the `dagster` command and the daemon run them."""

from __future__ import annotations

import os

import pytest
from dagster import AssetKey, DagsterEventType, DagsterInstance, DagsterRun, execute_job, instance_for_test

from scrape_assets.defs.target.step_placement import step_placement_rule
from scrape_assets.target_config import load_targets
from scrape_assets.target_config.loader import DEFAULT_TARGETS_DIR
from scrape_assets_tests.reconstructable_jobs import reconstructable_daily_demo_shop
from scrape_assets_tests.target_yaml import update_target_yaml

FIRST_DAY, NEXT_DAY = "2026-11-19", "2026-11-20"
PRODUCTS = 20


def _run_day(pipeline, day: str, run_config: dict | None = None) -> str:
    with execute_job(
        reconstructable_daily_demo_shop(), pipeline.instance, run_config=run_config, tags={"dagster/partition": day}
    ) as result:
        assert result.success, [e.message for e in result.all_events if e.is_failure]
        return result.run_id


def _messages(instance: DagsterInstance, run_id: str) -> list[str]:
    return [entry.message for entry in instance.all_logs(run_id)]


def _step_workers(instance: DagsterInstance, run_id: str) -> set[str]:
    """Steps that Dagster started in a worker process of their own."""
    return {
        entry.step_key
        for entry in instance.all_logs(run_id, of_type=DagsterEventType.STEP_WORKER_STARTED)
        if entry.step_key is not None
    }


def _placement_line(instance: DagsterInstance, run_id: str) -> str:
    [line] = [message for message in _messages(instance, run_id) if message.startswith("Steps run ")]
    return line


@pytest.mark.e2e
def test_a_day_expected_in_one_shard_runs_its_steps_in_the_run_process(pipeline, start_site):
    site = start_site(PRODUCTS)
    pipeline.definitions(site)

    first = _run_day(pipeline, FIRST_DAY)
    assert _placement_line(pipeline.instance, first) == (
        "Steps run in processes of their own: demo_shop has no frontier yet, so its shards are not known "
        "before it is read"
    )
    assert any(key.endswith("crawl_shard[1of1]") for key in _step_workers(pipeline.instance, first))
    assert len(_step_workers(pipeline.instance, first)) == 7

    following = _run_day(pipeline, NEXT_DAY)
    assert _placement_line(pipeline.instance, following) == (
        f"Steps run in the run's process: demo_shop's latest frontier ({FIRST_DAY}) had {PRODUCTS} record URLs: "
        "one shard (sharding.urls_per_shard: 2000)"
    )
    assert _step_workers(pipeline.instance, following) == set()
    assert f"Executing steps in process (pid: {os.getpid()})" in _messages(pipeline.instance, following)
    # the same day's work, the crawls still in processes of their own (the crawler's own metadata)
    steps = {e.step_key for e in pipeline.instance.all_logs(following, of_type=DagsterEventType.STEP_SUCCESS)}
    assert len(steps) == 7
    assert pipeline.query(
        "SELECT count(*) FROM delivered_demo_shop WHERE partition_date = CAST(? AS DATE)", [NEXT_DAY]
    ) == [(PRODUCTS,)]


@pytest.mark.e2e
def test_a_day_that_needs_shards_keeps_a_process_per_step_and_run_config_overrides_the_rule(pipeline, start_site):
    pipeline.configure(sharding={"urls_per_shard": 8, "max_shards": 3})
    site = start_site(PRODUCTS)
    pipeline.definitions(site)

    # forced into the run's process on the first day: its 3 shards crawl one after the other, and say so
    first = _run_day(pipeline, FIRST_DAY, {"execution": {"config": {"in_process": {}}}})
    assert not any(m.startswith("Steps run ") for m in _messages(pipeline.instance, first))
    assert _step_workers(pipeline.instance, first) == set()
    assert any(m.startswith("3 shards crawl one after the other") for m in _messages(pipeline.instance, first))

    following = _run_day(pipeline, NEXT_DAY)
    assert _placement_line(pipeline.instance, following) == (
        f"Steps run in processes of their own: demo_shop's latest frontier ({FIRST_DAY}) had {PRODUCTS} record "
        "URLs: more than one shard holds (sharding.urls_per_shard: 8), crawled side by side"
    )
    workers = _step_workers(pipeline.instance, following)
    assert {key.rsplit("[", 1)[1] for key in workers if "crawl_shard[" in key} == {"1of3]", "2of3]", "3of3]"}
    assert pipeline.query("SELECT count(*) FROM delivered_demo_shop") == [(2 * PRODUCTS,)]

    # a one-shard target forced into a process per step
    pipeline.configure(sharding={"max_shards": 1})
    pipeline.definitions(site)
    forced = _run_day(pipeline, NEXT_DAY, {"execution": {"config": {"multiprocess": {}}}})
    assert len(_step_workers(pipeline.instance, forced)) == 7


def test_the_rule_places_by_what_the_run_selects(tmp_path):
    """The rule alone, on run records of each kind: two targets side by side, a run that crawls
    nothing, a one-shard target, and a target whose frontier is unknown."""
    for name, sharding in (("shop_a", {}), ("shop_b", {"max_shards": 1})):
        path = tmp_path / f"{name}.yaml"
        path.write_text((DEFAULT_TARGETS_DIR / "demo_shop.yaml").read_text())
        update_target_yaml(path, {"name": name, "sharding": sharding})
    targets = load_targets(tmp_path)
    place = step_placement_rule(targets)
    a, b = (target.name for target in targets)

    def run(job: str, keys: list[list[str]] | None = None) -> DagsterRun:
        selection = None if keys is None else frozenset(AssetKey(k) for k in keys)
        return DagsterRun(job_name=job, asset_selection=selection)

    with instance_for_test() as instance:
        both = place(instance, run("__ASSET_JOB", [[a, "parsed_records"], [b, "parsed_records"]]))
        assert both.own_processes and "spans 2 targets (shop_a, shop_b)" in both.reason
        extract = place(instance, run("__ASSET_JOB", [[a, "parsed_records"], [a, "validated_records"]]))
        assert not extract.own_processes and "crawls nothing" in extract.reason
        assert place(instance, run("daily_shop_a")).own_processes  # no frontier yet
        one_shard = place(instance, run("__ASSET_JOB", [[b, "raw_pages"]]))
        assert not one_shard.own_processes and "sharding.max_shards: 1" in one_shard.reason
        assert not place(instance, run("pipeline_metrics_job")).own_processes
