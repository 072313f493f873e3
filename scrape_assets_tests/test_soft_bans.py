"""Soft bans: pages answered 200 with a block page (a captcha) are the target blocking us, not bad data.
They are retried, never stored, counted, and above `blocked_max_share` the day's crawl fails as a ban."""

from __future__ import annotations

import pytest

from scrape_assets_tests.results import materialization_metadata

pytestmark = pytest.mark.e2e

DAY = "2026-11-20"
FAST_TRIES = {"max_tries": 2, "backoff_base_seconds": 0.05, "backoff_max_seconds": 0.1}


def _checks(result) -> dict:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def test_a_day_with_3_percent_captcha_pages_fails_its_crawl_as_a_ban_not_as_bad_data(pipeline, start_site):
    site = start_site(100, "--captcha-share", "0.03")
    pipeline.configure(politeness=FAST_TRIES)

    result = pipeline.run_day(site, DAY)

    assert not result.success
    raw = materialization_metadata(result, "raw_pages")
    blocked = raw["blocked_pages"]
    assert 1 <= blocked <= 10 and raw["outcomes"]["blocked"] == blocked
    assert raw["crawl_stopped_by"] == "target_blocked" and raw["crawl_complete"] is False
    crawl = _checks(result)["crawl_complete"]
    assert not crawl.passed and crawl.metadata["stopped_by"].value == "target_blocked"
    assert "a ban, not bad data" in crawl.metadata["message"].value
    # the block pages were not stored, so not one record is quarantined for them
    validated = materialization_metadata(result, "validated_records")
    assert validated["quarantined_rows"] == 0 and validated["rows"] == 100 - blocked
    assert not pipeline.table_exists("delivered_demo_shop")
    paths = site.stats(with_paths=True)["by_path"]
    assert sorted(count for path, count in paths.items() if path.startswith("/product/"))[-blocked:] == [2] * blocked

    metrics = pipeline.definitions(site).resolve_job_def("pipeline_metrics_job")
    figures = materialization_metadata(
        metrics.execute_in_process(partition_key=DAY, instance=pipeline.instance), "pipeline_metrics"
    )
    assert figures["outage_runs"] == 1  # the target's side: left out of the success rate


def test_blocked_pages_within_the_share_pass_and_a_yaml_marker_names_a_block_page(pipeline, start_site):
    site = start_site(100, "--captcha-share", "0.03")
    pipeline.configure(
        politeness=FAST_TRIES,
        blocked_when=[{"css": "form#challenge"}],
        blocked_common_markers=False,
        blocked_max_share=0.1,
        record={"min_row_share": 0.9},
    )

    result = pipeline.run_day(site, DAY)

    assert result.success
    raw = materialization_metadata(result, "raw_pages")
    assert raw["blocked_pages"] >= 1 and raw["crawl_complete"] is True
    assert pipeline.query("SELECT count(*) FROM delivered_demo_shop")[0][0] == 100 - raw["blocked_pages"]
