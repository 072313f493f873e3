"""A deployment of many targets: a run of one target builds that target alone, through the daemon and
through the UI's launch path, and delivers its day exactly; a bad file among them takes only itself out."""

from __future__ import annotations

import json
import urllib.request

import duckdb
import pytest
import yaml
from dagster import DagsterRunStatus

from scrape_assets.demo_site.catalog import Catalog
from scrape_assets.target_config.loader import DEFAULT_TARGETS_DIR
from scrape_assets_tests.deployment import LocalDeployment
from scrape_assets_tests.loopback import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.long]

GENERATED = 49  # beside demo_shop and one bad file: 51 target files
PRODUCTS = 20
BACKFILL_DAY, JOB_DAY, ASSETS_DAY = "2026-11-17", "2026-11-18", "2026-11-19"
DEMO_KEYS = ("url_frontier", "raw_pages", "parsed_records", "validated_records", "quarantined_records")


def _graphql(port: int, query: str, variables: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


LAUNCH = """
mutation Launch($params: ExecutionParams!) {
  launchPipelineExecution(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on InvalidSubsetError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}"""

CATALOG = """
query Catalog($path: [String!]!) {
  assetNodeOrError(assetKey: {path: $path}) {
    ... on AssetNode {
      owners { ... on UserAssetOwner { email } ... on TeamAssetOwner { team } }
      tags { key value }
      metadataEntries {
        label
        ... on TextMetadataEntry { text }
        ... on TableSchemaMetadataEntry {
          schema { columns { name type description constraints { nullable } } }
        }
        ... on CodeReferencesMetadataEntry { codeReferences { ... on LocalFileCodeReference { filePath } } }
      }
    }
  }
}"""

SENSOR_TICKS = """
{ sensorOrError(sensorSelector: {repositoryLocationName: "scrape_assets", repositoryName: "__repository__",
                                 sensorName: "target_files"}) {
    ... on Sensor { sensorState { ticks(limit: 5) { status error { message causes { message } } } } } } }"""


def _generate_targets(deployment: LocalDeployment) -> None:
    body = (DEFAULT_TARGETS_DIR / "demo_shop.yaml").read_text()
    targets = deployment.target_yaml.parent
    for number in range(1, GENERATED + 1):
        (targets / f"shop_{number:03d}.yaml").write_text(body)
    broken = yaml.safe_load(body)
    broken["record"]["fields"]["price"]["type"] = "money"
    (targets / "broken_shop.yaml").write_text(yaml.safe_dump(broken))


def _delivered(deployment: LocalDeployment, day: str) -> list[tuple]:
    with duckdb.connect(str(deployment.data_dir / "warehouse.duckdb"), read_only=True) as conn:
        return conn.execute(
            "SELECT sku, title, price FROM delivered_demo_shop WHERE partition_date = CAST(? AS DATE) ORDER BY sku",
            [day],
        ).fetchall()


def _definitions_line(deployment: LocalDeployment, run_id: str) -> str:
    logs = deployment.instance.all_logs(run_id)
    [line] = [e.user_message for e in logs if e.user_message.startswith("Definitions: ")]
    return line


def _finished(deployment: LocalDeployment, run_id: str):
    run = deployment.instance.get_run_by_id(run_id)
    return run if run is not None and run.is_finished else None


def test_one_target_among_fifty_is_built_alone_through_the_daemon_and_the_ui_and_delivers_exactly(tmp_path, start_site):
    site = start_site(PRODUCTS)
    deployment = LocalDeployment(tmp_path, site.url)
    try:
        _generate_targets(deployment)
        # the catalog's facts from the YAML: owners, tags, a field's description
        deployment.configure(owners=["data@example.com", "team:scraping"], tags={"tier": "gold"})
        body = yaml.safe_load(deployment.target_yaml.read_text())
        body["record"]["fields"]["price"]["description"] = "Price in the shop's currency."
        deployment.target_yaml.write_text(yaml.safe_dump(body))
        port = free_port()
        deployment.start("-w", "workspace.yaml", "-p", str(port), log="webserver.log", program="dagster-webserver")
        deployment.start_daemon()

        # the daemon: a backfill of the target's job, launched from the queue by the daemon
        assert deployment.wait_finished(deployment.backfill(BACKFILL_DAY), seconds=600) == 0
        backfilled = deployment.wait_for(lambda: deployment.runs(BACKFILL_DAY), "the backfill's run", 600)[0]

        def launch(pipeline_name: str, day: str, selection: list | None = None) -> str:
            selector = {
                "repositoryLocationName": "scrape_assets",
                "repositoryName": "__repository__",
                "pipelineName": pipeline_name,
                **({"assetSelection": selection} if selection else {}),
            }
            params = {
                "selector": selector,
                "mode": "default",
                "executionMetadata": {"tags": [{"key": "dagster/partition", "value": day}]},
            }

            def answered() -> dict | None:
                try:
                    return _graphql(port, LAUNCH, {"params": params})["data"]["launchPipelineExecution"]
                except OSError:
                    return None  # the webserver is still loading the code location

            answer = deployment.wait_for(answered, "the webserver answered the launch", 600)
            assert answer["__typename"] == "LaunchRunSuccess", answer
            return answer["run"]["runId"]

        # the UI's launch of the target's job for a day, and its Materialize on the target's assets in
        # the asset graph (the asset job with a selection)
        job_run = launch("daily_demo_shop", JOB_DAY)
        assets = [{"path": ["demo_shop", key]} for key in (*DEMO_KEYS, "delivered_demo_shop")]
        assets_run = launch("__ASSET_JOB", ASSETS_DAY, assets)

        expected = sorted(
            (product.sku, product.title, product.price)
            for product in (Catalog(PRODUCTS, 7).product(n) for n in range(1, PRODUCTS + 1))
            if product is not None
        )
        runs = ((backfilled.dagster_run.run_id, BACKFILL_DAY), (job_run, JOB_DAY), (assets_run, ASSETS_DAY))
        for run_id, day in runs:
            run = deployment.wait_for(lambda run_id=run_id: _finished(deployment, run_id), f"run {run_id}", 600)
            assert run.status == DagsterRunStatus.SUCCESS, deployment.output("daemon.log")[-3000:]
            assert _delivered(deployment, day) == expected
        # each run's process built demo_shop alone, not the 50 other files: the asset job's run too, whose
        # worker loads the job before its selection (the selection is read from the run it executes)
        for run_id, _day in runs:
            assert _definitions_line(deployment, run_id) == (
                f"Definitions: this process built the definitions of 1 of {GENERATED + 2} targets (demo_shop)"
            )

        # the catalog, as the UI reads it: column schema and table name of the delivered table, owners,
        # tags and a code reference to the target's YAML on every asset
        def catalog(*path: str) -> dict:
            return _graphql(port, CATALOG, {"path": list(path)})["data"]["assetNodeOrError"]

        delivered = catalog("demo_shop", "delivered_demo_shop")
        entries = {entry["label"]: entry for entry in delivered["metadataEntries"]}
        columns = {c["name"]: c for c in entries["dagster/column_schema"]["schema"]["columns"]}
        assert list(columns) == [*body["record"]["fields"], "partition_date", "source_url"]  # the YAML's order
        assert (columns["price"]["type"], columns["price"]["description"]) == (
            "DOUBLE",
            "Price in the shop's currency.",
        )
        assert columns["price"]["constraints"]["nullable"] is False and columns["rating"]["constraints"]["nullable"]
        assert entries["dagster/table_name"]["text"] == "warehouse.main.delivered_demo_shop"
        [reference] = entries["dagster/code_references"]["codeReferences"]
        assert reference["filePath"] == str(deployment.target_yaml.resolve())
        for stage in (*DEMO_KEYS, "delivered_demo_shop"):
            node = catalog("demo_shop", stage)
            assert {o.get("email") or o.get("team") for o in node["owners"]} == {"data@example.com", "scraping"}
            assert {"key": "tier", "value": "gold"} in node["tags"]
        validated = {e["label"]: e for e in catalog("demo_shop", "validated_records")["metadataEntries"]}
        typed = {c["name"]: c["type"] for c in validated["dagster/column_schema"]["schema"]["columns"]}
        assert (typed["price"], typed["sku"], typed["page_ref"]) == ("float", "string", "string")

        # the bad file is named by the target_files sensor, whose ticks fail while it stays bad
        def failed_tick() -> dict | None:
            ticks = _graphql(port, SENSOR_TICKS)["data"]["sensorOrError"]["sensorState"]["ticks"]
            return next((tick for tick in ticks if tick["status"] == "FAILURE"), None)

        tick = deployment.wait_for(failed_tick, "a failed target_files tick", 300)
        messages = " ".join([tick["error"]["message"], *(cause["message"] for cause in tick["error"]["causes"])])
        assert "broken_shop.yaml: field 'record.fields.price.type'" in messages, messages
    finally:
        deployment.close()
