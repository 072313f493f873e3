"""The on-call runbook, end to end: a layout change fails extraction, the selector is patched in the
YAML, and Dagster's re-execution from failure delivers every record without a single request."""

from __future__ import annotations

import pytest
from dagster import DagsterRunStatus, ReexecutionOptions, execute_job

from scrape_assets_tests.reconstructable_jobs import forget_loaded_code, reconstructable_daily_demo_shop
from scrape_assets_tests.results import materialization_metadata

pytestmark = pytest.mark.e2e

DAY = "2026-11-20"
# The demo site's v2 markup, as an engineer would patch the YAML after reading the SelectorNotFound.
V2_SELECTORS = {
    "sku": {"css": "dd.pdp-item-code::text"},
    "title": {"css": "h2.pdp-name::text"},
    "price": {"css": "meta[itemprop=price]::attr(content)"},
    "currency": {"css": "meta[itemprop=priceCurrency]::attr(content)"},
    "availability": {"xpath": "substring-after(//link[@itemprop='availability']/@href, 'schema.org/')"},
    "rating": {"css": "span.stars::attr(title)"},
    "category": {"xpath": "//ol[@class='crumbs']/li[last()]/a/text()"},
    "description": {"css": "section.pdp-copy ::text"},
}


def _patch_selectors(pipeline) -> None:
    import yaml

    path = pipeline.targets_dir / "demo_shop.yaml"
    body = yaml.safe_load(path.read_text())
    for name, selector in V2_SELECTORS.items():
        field = body["record"]["fields"][name]
        field.pop("css", None), field.pop("xpath", None)
        field.update(selector)
    path.write_text(yaml.safe_dump(body))


def _step_statuses(instance, run_id: str) -> dict[str, str]:
    return {s.step_key: s.status.value for s in instance.get_run_step_stats(run_id)}


def test_layout_change_is_fixed_by_reexecution_from_failure_without_requests(pipeline, start_site):
    site = start_site(120, "--layout", "v2")
    pipeline.definitions(site)  # points the YAML at this site
    job = reconstructable_daily_demo_shop()
    with execute_job(job, pipeline.instance, tags={"dagster/partition": DAY}) as first:
        assert not first.success
        assert _step_statuses(pipeline.instance, first.run_id) == {
            "demo_shop__url_frontier": "SUCCESS",
            "demo_shop__raw_pages.demo_shop__plan_shards": "SUCCESS",
            "demo_shop__raw_pages.demo_shop__crawl_shard[1of1]": "SUCCESS",
            "demo_shop__raw_pages.demo_shop__combine_shards": "SUCCESS",  # crawl_complete evaluated here
            "demo_shop__parsed_records": "FAILURE",
        }  # validation and delivery never started
        cause = first.get_step_failure_events()[0].step_failure_data.error.cause
        assert cause.cls_name == "SelectorNotFound"
    assert not pipeline.table_exists("delivered_demo_shop")

    _patch_selectors(pipeline)
    site.reset_stats()
    options = ReexecutionOptions.from_failure(first.run_id, pipeline.instance)
    parent_tags = pipeline.instance.get_run_by_id(first.run_id).tags  # the UI's re-execution keeps them
    # a run launched from the UI loads the code anew in a process of its own: the steps see the
    # patched YAML (this run crawls nothing, so its steps run in the run's process)
    forget_loaded_code()
    with execute_job(job, pipeline.instance, reexecution_options=options, tags=parent_tags) as second:
        assert second.success
        assert set(_step_statuses(pipeline.instance, second.run_id)) == {
            "demo_shop__parsed_records",
            "demo_shop__validate",
            "demo_shop__delivered_demo_shop",
        }
        assert materialization_metadata(second, "parsed_records")["records"] == 120
        assert materialization_metadata(second, "delivered_demo_shop")["delivery_guard"] == "passed"

    assert site.stats()["total"] == 0  # not one request reached the target
    run = pipeline.instance.get_run_by_id(second.run_id)
    assert run.parent_run_id == first.run_id and run.status == DagsterRunStatus.SUCCESS
    assert pipeline.query("SELECT count(*), count(DISTINCT sku), count(availability) FROM delivered_demo_shop") == [
        (120, 120, 120)
    ]
    assert pipeline.query("SELECT DISTINCT availability FROM delivered_demo_shop ORDER BY 1") == [
        ("in_stock",),
        ("out_of_stock",),
        ("preorder",),
    ]


def test_reextracting_past_days_from_stored_pages_makes_no_requests(pipeline, start_site):
    site = start_site(80)
    days = ["2026-11-18", "2026-11-19"]
    for day in days:
        assert pipeline.run_day(site, day).success
    site.reset_stats()
    pipeline.configure(record={"min_row_share": 0.9})  # any YAML change the re-extraction should pick up

    downstream = [
        ["demo_shop", "parsed_records"],
        ["demo_shop", "validated_records"],
        ["demo_shop", "quarantined_records"],
        ["demo_shop", "delivered_demo_shop"],
    ]
    from dagster import AssetKey

    for day in days:  # what a UI backfill of the downstream assets over the range launches: one run per day
        result = pipeline.run_day(site, day, selection=[AssetKey(k) for k in downstream])
        assert result.success
        assert materialization_metadata(result, "parsed_records")["records"] == 80

    assert site.stats()["total"] == 0
    assert pipeline.query(
        "SELECT partition_date::VARCHAR, count(*) FROM delivered_demo_shop GROUP BY 1 ORDER BY 1"
    ) == [(days[0], 80), (days[1], 80)]
