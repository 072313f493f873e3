"""Delivery refuses a day whose blocking checks failed, across runs, unless explicitly overridden."""

from __future__ import annotations

import pytest
from dagster import AssetKey, AssetMaterialization

from scrape_assets.defs.tags import OVERRIDE_TAG
from scrape_assets_tests.results import failure_cause, materialization_metadata

pytestmark = pytest.mark.e2e

DAY = "2026-11-20"
DELIVERED_ONLY = [AssetKey(["demo_shop", "delivered_demo_shop"])]


def test_a_later_run_of_the_table_alone_refuses_a_day_whose_check_failed(pipeline, start_site):
    site = start_site(60, "--drop-field", "price:0.4")
    checked = pipeline.run_day(site, DAY)
    assert not checked.success  # the blocking check stopped delivery inside its own run
    assert not pipeline.table_exists("delivered_demo_shop")

    refused = pipeline.run_day(site, DAY, selection=DELIVERED_ONLY)

    assert not refused.success
    step, cause = failure_cause(refused)
    assert step == "demo_shop__delivered_demo_shop" and cause.cls_name == "DeliveryBlocked"
    assert (
        f"delivery of {DAY} refused: demo_shop/validated_records:valid_share failed in run {checked.run_id}"
    ) in cause.message
    assert OVERRIDE_TAG in cause.message
    assert not pipeline.table_exists("delivered_demo_shop")

    overridden = pipeline.run_day(
        site, DAY, selection=DELIVERED_ONLY, tags={OVERRIDE_TAG: "partial prices accepted by the pricing team"}
    )

    assert overridden.success
    metadata = materialization_metadata(overridden, "delivered_demo_shop")
    assert metadata["delivery_guard"] == "overridden: partial prices accepted by the pricing team"
    assert metadata["overridden_checks"] == (f"demo_shop/validated_records:valid_share failed in run {checked.run_id}")
    valid = materialization_metadata(checked, "validated_records")["rows"]
    assert pipeline.query("SELECT count(*) FROM delivered_demo_shop") == [(valid,)]


def test_a_day_never_validated_is_refused(pipeline, start_site):
    site = start_site(20)
    result = pipeline.run_day(site, DAY, selection=DELIVERED_ONLY)

    assert not result.success
    _, cause = failure_cause(result)
    assert "demo_shop/validated_records:field_completeness has no evaluation for this day" in cause.message
    assert "demo_shop/validated_records:completeness_drift has no evaluation for this day" in cause.message


def test_a_passing_day_delivers_from_a_later_run_and_records_the_guard(pipeline, start_site):
    site = start_site(30)
    assert pipeline.run_day(
        site,
        DAY,
        selection=[
            AssetKey(["demo_shop", s])
            for s in ("url_frontier", "raw_pages", "parsed_records", "validated_records", "quarantined_records")
        ],
    ).success

    result = pipeline.run_day(site, DAY, selection=DELIVERED_ONLY)

    assert result.success
    assert materialization_metadata(result, "delivered_demo_shop")["delivery_guard"] == "passed"
    evaluation = {e.check_name: e for e in result.get_asset_check_evaluations()}["rows_match_validated"]
    assert evaluation.passed
    assert pipeline.query("SELECT count(*) FROM delivered_demo_shop") == [(30,)]


def test_records_validated_after_the_checks_passed_are_not_vouched_for_by_them(pipeline, start_site):
    """A materialization of validated_records with no evaluation of its own (its step died between the
    two, or it was reported from outside a run) is not delivered on the passing results of earlier data."""
    site = start_site(20)
    upstream = [
        AssetKey(["demo_shop", s])
        for s in ("url_frontier", "raw_pages", "parsed_records", "validated_records", "quarantined_records")
    ]
    assert pipeline.run_day(site, DAY, selection=upstream).success
    pipeline.instance.report_runless_asset_event(
        AssetMaterialization(asset_key=AssetKey(["demo_shop", "validated_records"]), partition=DAY)
    )

    result = pipeline.run_day(site, DAY, selection=DELIVERED_ONLY)

    assert not result.success
    _, cause = failure_cause(result)
    assert cause.cls_name == "DeliveryBlocked"
    assert "demo_shop/validated_records:valid_share has no evaluation of the records validated in run" in cause.message
    assert not pipeline.table_exists("delivered_demo_shop")
