"""The code location loads, and builds the same graph, checks, job and schedule for every target."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from dagster import AssetCheckKey, AssetKey, build_schedule_context, build_sensor_context

from scrape_assets.target_config.loader import DEFAULT_TARGETS_DIR

REPO = Path(__file__).resolve().parent.parent
STAGES = ("url_frontier", "raw_pages", "parsed_records", "validated_records", "quarantined_records")


def _add_second_target(targets_dir: Path) -> None:
    body = yaml.safe_load((DEFAULT_TARGETS_DIR / "demo_shop.yaml").read_text())
    body["base_url"] = "http://127.0.0.1:9/"
    body["schedule"]["hour_of_day"] = 5
    body["schedule"]["minute_of_hour"] = 0  # set in the YAML: kept as it is
    (targets_dir / "book_shop.yaml").write_text(yaml.safe_dump(body))


def test_targets_without_a_minute_are_spread_over_their_hour_each_at_the_same_minute_every_time(pipeline):
    """Like cron's `H`: a minute derived from the name, stable across loads, so that a fleet scheduled at
    the same hour is not launched all at once; the freshness deadline follows the same minute."""
    body = yaml.safe_load((DEFAULT_TARGETS_DIR / "demo_shop.yaml").read_text())
    assert "minute_of_hour" not in body.get("schedule", {})
    names = [f"shop_{n:03d}" for n in range(60)]
    for name in names:
        (pipeline.targets_dir / f"{name}.yaml").write_text(yaml.safe_dump(body))

    def crons() -> dict[str, str]:
        defs = pipeline.definitions()
        return {name: defs.resolve_schedule_def(f"daily_{name}_schedule").cron_schedule for name in names}

    first, again = crons(), crons()
    assert first == again
    minutes = {int(cron.split()[0]) for cron in first.values()}
    assert all(cron.endswith(" 3 * * *") for cron in first.values())
    assert len(minutes) >= 25 and minutes <= set(range(60))  # 60 targets land on many minutes, not on :00
    defs = pipeline.definitions()
    delivered = defs.resolve_assets_def(AssetKey(["shop_007", "delivered_shop_007"]))
    policy = delivered.specs_by_key[AssetKey(["shop_007", "delivered_shop_007"])].freshness_policy
    assert policy.deadline_cron.split()[0] == first["shop_007"].split()[0]


def test_every_asset_check_job_and_schedule_exists_for_two_targets(pipeline):
    _add_second_target(pipeline.targets_dir)
    defs = pipeline.definitions()
    graph = defs.resolve_asset_graph()

    for target in ("demo_shop", "book_shop"):
        keys = {AssetKey([target, stage]) for stage in STAGES} | {AssetKey([target, f"delivered_{target}"])}
        assert keys <= set(graph.get_all_asset_keys())
        for key in keys:
            node = graph.get(key)
            assert node.group_name == target
            assert node.partitions_def is not None and node.partitions_def.get_partition_keys()[0] == "2026-01-01"
        assert graph.get(AssetKey([target, "raw_pages"])).parent_keys == {AssetKey([target, "url_frontier"])}
        assert graph.get(AssetKey([target, f"delivered_{target}"])).parent_keys == {
            AssetKey([target, "validated_records"])
        }
        for check in (
            "valid_share",
            "field_completeness",
            "row_count_vs_frontier",
            "row_count_drift",
            "completeness_drift",
        ):
            check_key = AssetCheckKey(AssetKey([target, "validated_records"]), check)
            assert check_key in graph.asset_check_keys
            assert graph.get_check_spec(check_key).blocking
        crawl_complete = AssetCheckKey(AssetKey([target, "raw_pages"]), "crawl_complete")
        assert crawl_complete in graph.asset_check_keys and not graph.get_check_spec(crawl_complete).blocking
        job = defs.resolve_job_def(f"daily_{target}")
        assert job.tags["target"] == target
        assert job.partitions_def is not None
        schedule = defs.resolve_schedule_def(f"daily_{target}_schedule")
        assert schedule.job_name == f"daily_{target}"
    assert defs.resolve_schedule_def("daily_book_shop_schedule").cron_schedule == "0 5 * * *"

    # a schedule tick's run carries the tags the production run queue limits on (k8s/dagster.yaml)
    context = build_schedule_context(
        instance=pipeline.instance,
        repository_def=defs.get_repository_def(),
        scheduled_execution_time=datetime(2026, 11, 21, 6, tzinfo=UTC),
    )
    [request] = defs.resolve_schedule_def("daily_book_shop_schedule").evaluate_tick(context).run_requests
    assert request.partition_key == "2026-11-20"
    assert request.tags["target"] == "book_shop"
    assert request.tags["scrape_assets/target_day"] == "book_shop.2026-11-20"
    crawl = defs.resolve_assets_def(AssetKey(["demo_shop", "raw_pages"])).node_def.node_named("demo_shop__crawl_shard")
    assert crawl.definition.retry_policy.max_retries == 2  # each shard of the crawl retries on its own


def test_code_location_validates_with_the_dagster_cli(tmp_path):
    env = {**os.environ, "SCRAPE_ASSETS_DATA_DIR": str(tmp_path), "DAGSTER_HOME": str(tmp_path)}
    dagster = Path(sys.executable).with_name("dagster")
    completed = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "Validation successful for code location scrape_assets" in completed.stdout + completed.stderr


def _validate_with_cli(tmp_path: Path, targets_dir: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "SCRAPE_ASSETS_DATA_DIR": str(tmp_path),
        "DAGSTER_HOME": str(tmp_path),
        "SCRAPE_ASSETS_TARGETS_DIR": str(targets_dir),
    }
    dagster = Path(sys.executable).with_name("dagster")
    return subprocess.run(
        [str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_bad_selectors_fail_the_load_naming_file_field_and_parser_message(tmp_path):
    body = yaml.safe_load((DEFAULT_TARGETS_DIR / "demo_shop.yaml").read_text())
    targets = tmp_path / "targets"
    targets.mkdir()
    for field, selector, message in (
        ("title", {"css": "h1.product-title[::text"}, "Expected"),
        ("category", {"xpath": "//nav[@class='breadcrumb'/a"}, "Invalid predicate"),
        ("sku", {"css": "span.sku::text()"}, "pseudo-element ::text() is unknown"),
    ):
        broken = yaml.safe_load(yaml.safe_dump(body))
        broken["record"]["fields"][field] = {
            **{k: v for k, v in broken["record"]["fields"][field].items() if k not in ("css", "xpath")},
            **selector,
        }
        (targets / "broken_shop.yaml").write_text(yaml.safe_dump(broken))
        completed = _validate_with_cli(tmp_path, targets)
        output = completed.stdout + completed.stderr
        kind = next(iter(selector))
        assert completed.returncode != 0, output
        assert f"broken_shop.yaml: field 'record.fields.{field}.{kind}'" in output, output
        assert f"{kind} selector {selector[kind]!r} does not compile" in output and message in output, output


def test_validation_fails_on_a_bad_target_file_among_good_ones_naming_each(tmp_path):
    body = yaml.safe_load((DEFAULT_TARGETS_DIR / "demo_shop.yaml").read_text())
    targets = tmp_path / "targets"
    targets.mkdir()
    (targets / "good_shop.yaml").write_text(yaml.safe_dump(body))
    for name, field in (("broken_shop", "type"), ("other_shop", "css")):
        broken = yaml.safe_load(yaml.safe_dump(body))
        broken["record"]["fields"]["price"][field] = "money" if field == "type" else "span[::text"
        (targets / f"{name}.yaml").write_text(yaml.safe_dump(broken))
    completed = _validate_with_cli(tmp_path, targets)
    output = completed.stdout + completed.stderr
    assert completed.returncode != 0, output
    assert "2 target file(s) did not load" in output, output
    assert "broken_shop.yaml: field 'record.fields.price.type'" in output, output
    assert "other_shop.yaml: field 'record.fields.price.css'" in output, output


def test_bad_target_file_leaves_out_its_own_target_and_the_target_files_sensor_names_it(pipeline):
    body = yaml.safe_load((DEFAULT_TARGETS_DIR / "demo_shop.yaml").read_text())

    def tick(defs):
        webhook = defs.get_repository_def().get_top_level_resources()["alert_webhook"]
        context = build_sensor_context(
            instance=pipeline.instance, definitions=defs, resources={"alert_webhook": webhook}
        )
        return defs.resolve_sensor_def("target_files")(context)

    assert "every target file loads" in str(tick(pipeline.definitions()))
    body["record"]["fields"]["price"]["type"] = "money"
    (pipeline.targets_dir / "broken_shop.yaml").write_text(yaml.safe_dump(body))
    defs = pipeline.definitions()
    groups = {key.path[0] for key in defs.resolve_asset_graph().get_all_asset_keys()}
    assert "demo_shop" in groups and "broken_shop" not in groups
    assert defs.resolve_job_def("daily_demo_shop").name == "daily_demo_shop"
    with pytest.raises(Exception, match="did not load") as failed:
        tick(defs)
    assert "broken_shop.yaml: field 'record.fields.price.type'" in str(failed.value)


# what only a step needs, imported by that step (or the forkserver), never by every process that
# loads the code location (the `dagster` command, the webserver, the daemon): about 2 s together. And
# alembic (with Dagster's SQL event log storage, about 290 modules and 27 MB): the processes that open
# the instance import it, a code server that only loads definitions does not
STEP_ONLY_LIBRARIES = ("pandera", "pandas", "pyarrow", "numpy", "duckdb", "scrapy", "twisted", "alembic")


def test_loading_the_code_location_imports_no_step_only_library():
    probe = (
        "import sys, scrape_assets.definitions as d; d.defs.load_all_definitions(); "
        f"print(*[name for name in {STEP_ONLY_LIBRARIES!r} if name in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.split() == [], f"loading the code location imported {out.stdout.strip()}"


def test_every_step_preload_module_imports_and_the_last_freezes_the_forkserver_without_building_targets():
    # the forkserver skips a preload module that fails to import without a word: each is imported here;
    # a step process builds only its own target, so the forkserver builds none (defs/location.py)
    probe = (
        "import gc, importlib, sys\n"
        "from scrape_assets.defs.executor import STEP_PRELOAD\n"
        "for name in STEP_PRELOAD: importlib.import_module(name)\n"
        "from scrape_assets.definitions import defs\n"
        "print(STEP_PRELOAD[-1], defs.whole_built, gc.get_freeze_count() > 0)"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["scrape_assets.step_preload", "False", "True"], out.stdout


@pytest.mark.parametrize("value", ["soon", "-1", "nan"])
def test_a_bad_warehouse_lock_wait_fails_at_load_naming_the_variable(monkeypatch, value):
    from scrape_assets.defs import environment

    monkeypatch.setenv("SCRAPE_ASSETS_DUCKDB_LOCK_WAIT_SECONDS", value)
    with pytest.raises(environment.EnvironmentConfigError, match="SCRAPE_ASSETS_DUCKDB_LOCK_WAIT_SECONDS must be a"):
        environment.resources_from_environment()
