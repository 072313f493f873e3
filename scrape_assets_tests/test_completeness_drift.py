"""A field whose completeness falls well below its recent median blocks delivery, even above its
fixed threshold."""

from __future__ import annotations

import pytest
from dagster import AssetCheckKey, AssetKey

pytestmark = pytest.mark.e2e

VALIDATED = AssetKey(["demo_shop", "validated_records"])


def _drift(result):
    return {e.check_name: e for e in result.get_asset_check_evaluations()}["completeness_drift"]


def _values(evaluation) -> dict:
    return {k: getattr(v, "value", v) for k, v in evaluation.metadata.items()}


@pytest.mark.long
def test_drop_against_trailing_median_blocks_delivery_above_the_fixed_threshold(pipeline, start_site):
    pipeline.configure(record={"completeness_drift": {"max_drop": 0.1, "window": 7, "min_history": 2}})
    site = start_site(80)
    first = pipeline.run_day(site, "2026-11-16")
    assert first.success
    assert _values(_drift(first))["note"].startswith("0 earlier day(s) materialized, 2 needed")
    for day in ("2026-11-17", "2026-11-18"):
        assert pipeline.run_day(site, day).success
    site.stop()

    # descriptions vanish from about 30% of pages: completeness ~0.7, above the fixed 0.5 minimum
    thinner = start_site(80, "--drop-field", "description:0.3", port=int(site.url.rsplit(":", 1)[1]))
    result = pipeline.run_day(thinner, "2026-11-19")

    assert not result.success
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks["field_completeness"].passed  # the fixed threshold alone would have let it through
    drift = _values(checks["completeness_drift"])
    assert not checks["completeness_drift"].passed
    assert drift["failing_fields"] == "description"
    assert drift["baseline_days"] == 3 and drift["baseline_window"] == "2026-11-16 .. 2026-11-18"
    assert drift["baseline/description"] == 1.0
    assert 0.2 < drift["drop/description"] < 0.45
    assert "| description | 100.00% |" in drift["fields"]
    assert pipeline.query("SELECT count(*) FROM delivered_demo_shop WHERE partition_date = DATE '2026-11-19'") == [(0,)]
    # the failed evaluation is recorded against the day, where the delivery guard will find it
    latest = pipeline.instance.event_log_storage.get_asset_check_execution_history(
        AssetCheckKey(VALIDATED, "completeness_drift"), limit=1
    )[0]
    assert latest.partition == "2026-11-19" and not latest.evaluation.passed


def test_drift_config_errors_name_the_field(tmp_path):
    from scrape_assets.target_config import TargetConfigError
    from scrape_assets.target_config.loader import DEFAULT_TARGETS_DIR, load_target

    body = (
        (DEFAULT_TARGETS_DIR / "demo_shop.yaml")
        .read_text()
        .replace("min_row_share: 0.99", "min_row_share: 0.99\n  completeness_drift: {window: 3, min_history: 5}")
    )
    path = tmp_path / "demo_shop.yaml"
    path.write_text(body)
    with pytest.raises(TargetConfigError) as error:
        load_target(path)
    assert "record.completeness_drift" in str(error.value) and "min_history (5) exceeds window (3)" in str(error.value)
