"""One day end to end through Dagster against the demo site, with a real subprocess crawl."""

from __future__ import annotations

import csv
import io
import json
import os

import pyarrow.parquet as pq
import pytest
from dagster import AssetCheckKey, AssetKey

from scrape_assets.page_store import LocalPageStore, iter_latest_pages, partition_prefix
from scrape_assets_tests.results import materialization_metadata

pytestmark = pytest.mark.e2e

DAY = "2026-11-20"
FIELDS = ("sku", "title", "price", "currency", "availability", "rating", "category", "description")
VALIDATED = AssetKey(["demo_shop", "validated_records"])
DELIVERED = AssetKey(["demo_shop", "delivered_demo_shop"])


def _materialized(result) -> set[str]:
    return {
        e.event_specific_data.materialization.asset_key.to_user_string()
        for e in result.get_asset_materialization_events()
    }


def _table_dump(pipeline) -> bytes:
    rows = pipeline.query(
        "SELECT * FROM delivered_demo_shop WHERE partition_date = CAST(? AS DATE) ORDER BY sku", [DAY]
    )
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def test_day_delivers_every_product_with_all_fields(pipeline, start_site):
    site = start_site(400)
    result = pipeline.run_day(site, DAY)

    assert result.success
    assert _materialized(result) == {
        "demo_shop/url_frontier",
        "demo_shop/raw_pages",
        "demo_shop/parsed_records",
        "demo_shop/validated_records",
        "demo_shop/quarantined_records",
        "demo_shop/delivered_demo_shop",
    }
    assert pipeline.query(
        "SELECT count(*), count(DISTINCT sku) FROM delivered_demo_shop WHERE partition_date = CAST(? AS DATE)", [DAY]
    ) == [(400, 400)]
    null_checks = " OR ".join(f"{f} IS NULL" for f in FIELDS)
    assert pipeline.query(f"SELECT count(*) FROM delivered_demo_shop WHERE {null_checks}") == [(0,)]
    # the record matches what the site shows for that product
    from scrape_assets.demo_site.catalog import Catalog

    product = Catalog(400, 7).product(7)
    assert pipeline.query(
        "SELECT sku, title, price, currency, availability, rating, category "
        "FROM delivered_demo_shop WHERE source_url = ?",
        [f"{site.url}/product/7"],
    ) == [
        (
            product.sku,
            product.title,
            product.price,
            product.currency,
            product.availability,
            product.rating,
            product.category.title(),
        )
    ]

    # every product page was fetched exactly once, and the crawl's metadata says so
    stats = site.stats()
    assert stats["by_class"]["product"] == 400
    raw = materialization_metadata(result, "demo_shop/raw_pages")
    assert raw["status_counts"] == {"200": raw["pages"]}
    assert raw["pages"] == stats["total"] - stats["by_class"]["sitemap"] - 1  # the frontier's robots.txt
    assert raw["bytes"] > 400 * 1000 and raw["pages_per_second"] > 0
    assert materialization_metadata(result, "demo_shop/url_frontier")["record_urls"] == 400
    assert materialization_metadata(result, "demo_shop/quarantined_records")["rows"] == 0

    # checks passed, recorded against the partition
    for check in ("field_completeness", "row_count_vs_frontier"):
        record = pipeline.instance.event_log_storage.get_asset_check_execution_history(
            AssetCheckKey(VALIDATED, check), limit=1
        )[0]
        assert record.partition == DAY
        assert record.event.dagster_event.event_specific_data.passed


@pytest.mark.long
def test_same_day_three_times_leaves_an_identical_table(pipeline, start_site):
    site = start_site(150)
    dumps = []
    for _ in range(3):
        assert pipeline.run_day(site, DAY).success
        dumps.append(_table_dump(pipeline))
    assert dumps[0] == dumps[1] == dumps[2]
    assert pipeline.query("SELECT count(*) FROM delivered_demo_shop") == [(150,)]


def test_missing_required_field_blocks_delivery_and_fills_quarantine(pipeline, start_site):
    good = start_site(200)
    assert pipeline.run_day(good, DAY).success
    delivered_before = _table_dump(pipeline)
    good.stop()

    # the same site (same URLs) after a change that drops the price from 37% of product pages
    bad = start_site(200, "--drop-field", "price:0.4", port=int(good.url.rsplit(":", 1)[1]))
    result = pipeline.run_day(bad, DAY)

    assert not result.success
    materialized = _materialized(result)
    assert "demo_shop/quarantined_records" in materialized
    assert "demo_shop/delivered_demo_shop" not in materialized
    assert _table_dump(pipeline) == delivered_before  # the delivered table is untouched

    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    # a required field missing quarantines its records: the valid share drops, with the reason named
    assert not evaluations["valid_share"].passed
    meta = {k: getattr(v, "value", v) for k, v in evaluations["valid_share"].metadata.items()}
    assert meta["share"] == pytest.approx(1 - 74 / 200) and meta["quarantined_records"] == 74
    assert ("price: not_nullable", 74) in [
        (r.data["field: check"], r.data["count"]) for r in meta["top_reasons"].records
    ]
    # what would be delivered is complete: completeness is measured on the valid records
    assert evaluations["field_completeness"].passed
    assert evaluations["field_completeness"].metadata["completeness/price"].value == 1.0
    # validated_records tells the two apart, per day: what the pages held, and what survived the checks
    validated = {
        e.event_specific_data.materialization.asset_key.path[-1]: e.event_specific_data.materialization.metadata
        for e in result.get_asset_materialization_events()
    }["validated_records"]
    assert validated["raw_completeness/price"].value == pytest.approx(1 - 74 / 200)
    assert validated["completeness/price"].value == 1.0
    assert validated["valid_share"].value == pytest.approx(1 - 74 / 200)
    failure = result.get_step_failure_events()[0]
    assert "blocking asset check" in failure.step_failure_data.error.message

    quarantine = pq.read_table(pipeline.data_dir / "records" / "demo_shop" / DAY / "quarantined.parquet").to_pylist()
    assert len(quarantine) == 74
    assert all("price: not_nullable" in row["quarantine_reason"] for row in quarantine)
    assert all(row["page_ref"].startswith(f"demo_shop/{DAY}/") for row in quarantine)


def test_layout_change_fails_extraction_and_keeps_raw_pages(pipeline, start_site):
    site = start_site(120, "--layout", "v2")
    result = pipeline.run_day(site, DAY)

    assert not result.success
    assert "demo_shop/raw_pages" in _materialized(result)
    assert "demo_shop/parsed_records" not in _materialized(result)
    failure = result.get_step_failure_events()[0]
    error = failure.step_failure_data.error
    assert failure.step_key == "demo_shop__parsed_records"
    assert error.cause.cls_name == "SelectorNotFound"
    assert "required field 'sku' selector 'css:span.sku::text' matched nothing on 120 of 120" in error.cause.message
    assert f"{site.url}/product/" in error.cause.message

    stored = list(iter_latest_pages(LocalPageStore(pipeline.data_dir / "pages"), partition_prefix("demo_shop", DAY)))
    assert sum(1 for page in stored if "/product/" in page.url) == 120
    assert not (pipeline.data_dir / "records" / "demo_shop" / DAY / "parsed.parquet").exists()


def test_unreachable_start_url_fails_the_frontier_naming_the_url(pipeline, start_site):
    site = start_site(10)
    site.stop()  # the port is now closed: nothing answers there
    pipeline.configure(run_policy={"crawl_step_retries": 0})  # the frontier retries an outage (test_robots.py)
    result = pipeline.run_day(site, DAY)

    assert not result.success
    failure = result.get_step_failure_events()[0]
    assert failure.step_key == "demo_shop__url_frontier"
    assert failure.step_failure_data.error.cause.cls_name == "TargetUnreachable"
    message = failure.step_failure_data.error.cause.message
    assert f"{site.url}/robots.txt unreachable after 4 tries" in message
    assert "ConnectionRefusedError" in message
    assert _materialized(result) == set()


@pytest.mark.long
def test_crawl_after_an_interrupted_one_fetches_only_what_is_missing(pipeline, start_site):
    site = start_site(100)
    assert pipeline.run_day(site, DAY).success
    # Simulate a crawler killed after 30 responses: its generation is still open, its index shorter.
    folder = pipeline.data_dir / "pages" / "demo_shop" / DAY
    generation = json.loads((folder / "generation.json").read_text())
    index = folder / f"{generation['segments'][0]}.idx.jsonl"
    kept = index.read_text().splitlines()[:30]
    index.write_text("".join(line + "\n" for line in kept))
    (folder / "generation.json").write_text(json.dumps({**generation, "complete": False}))
    kept_products = sum(1 for line in kept if "/product/" in json.loads(line)["url"])
    site.reset_stats()

    result = pipeline.run_day(site, DAY)

    assert result.success
    assert site.stats()["by_class"]["product"] == 100 - kept_products
    raw = materialization_metadata(result, "demo_shop/raw_pages")
    assert raw["resumed_segments"] == 1 and raw["skipped_already_stored"] == 30
    assert materialization_metadata(result, "demo_shop/parsed_records")["records"] == 100
    assert pipeline.query("SELECT count(DISTINCT sku) FROM delivered_demo_shop") == [(100,)]


@pytest.mark.long
def test_a_big_day_is_extracted_on_every_core_and_validated_in_a_worker_with_the_records_of_one_process(
    pipeline, start_site, tmp_path, monkeypatch
):
    """Enough pages for two extraction processes: with two cores or more, two workers extract the day
    and their files are joined into the same records, in the same order, as one process writes. A day
    this big (the threshold lowered to it) is then validated in a worker process of its own, into the
    same files as a validation in this process."""
    from scrape_assets.extraction import extract_records
    from scrape_assets.extraction.parallel import PAGES_PER_WORKER
    from scrape_assets.page_store import read_generation, readable_segments
    from scrape_assets.target_config import load_target
    from scrape_assets.validation.split import validate_records

    products = 2 * PAGES_PER_WORKER
    site = start_site(products)
    stages = [AssetKey(["demo_shop", name]) for name in ("url_frontier", "raw_pages", "parsed_records")]
    result = pipeline.run_day(site, DAY, selection=stages)
    assert result.success
    metadata = materialization_metadata(result, "parsed_records")
    assert metadata["extraction_processes"] == min(2, len(os.sched_getaffinity(0)))
    assert metadata["records"] == products

    store, prefix = LocalPageStore(pipeline.data_dir / "pages"), partition_prefix("demo_shop", DAY)
    generation = read_generation(store, prefix)
    assert generation is not None
    serial = tmp_path / "one_process.parquet"
    target = load_target(pipeline.targets_dir / "demo_shop.yaml")
    extract_records(target, iter_latest_pages(store, prefix, readable_segments(store, prefix, generation)), serial)
    parallel = pq.read_table(metadata["path"])
    assert parallel.equals(pq.read_table(serial))
    assert len(set(parallel.column("sku").to_pylist())) == products

    monkeypatch.setattr("scrape_assets.validation.worker.ROWS_FOR_A_WORKER", products)
    validation = [AssetKey(["demo_shop", name]) for name in ("validated_records", "quarantined_records")]
    result = pipeline.run_day(site, DAY, selection=validation)
    assert result.success
    validated = materialization_metadata(result, "validated_records")
    assert validated["validation_worker_peak_rss_mib"] > 0 and validated["rows"] == products
    here = validate_records(target, serial, tmp_path / "valid.parquet", tmp_path / "quarantined.parquet")
    assert pq.read_table(validated["path"]).equals(pq.read_table(tmp_path / "valid.parquet"))
    assert here.valid == products and here.quarantined == validated["quarantined_rows"] == 0
