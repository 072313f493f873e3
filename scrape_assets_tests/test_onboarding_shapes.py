"""Sites of other shapes, each onboarded with one YAML file from `scrape_assets/targets/examples/` and
delivered exactly, end to end through Dagster against the demo site."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest
import yaml

from scrape_assets.demo_site.books import book
from scrape_assets.demo_site.catalog import Catalog
from scrape_assets.target_config.loader import DEFAULT_TARGETS_DIR
from scrape_assets_tests.results import failure_cause, materialization_metadata

pytestmark = pytest.mark.e2e

DAY = "2026-11-20"
EXAMPLES = DEFAULT_TARGETS_DIR / "examples"


def _add_example(pipeline, name: str, **changes) -> None:
    body = yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text())
    body.update(changes)
    (pipeline.targets_dir / f"{name}.yaml").write_text(yaml.safe_dump(body, allow_unicode=True))


def test_a_listing_only_catalogue_with_processors_and_lists_is_delivered_exactly(pipeline, start_site):
    site = start_site(95, "--no-sitemap")  # ten listing pages of ten books, the last with five
    _add_example(pipeline, "demo_books", start_urls=["/catalogue"])  # which redirects to /books

    result = pipeline.run_day(site, DAY, target="demo_books")

    assert result.success
    served = site.stats(with_paths=True)
    assert served["by_class"] == {"robots": 2, "other": 1, "books": 10}  # each page once; no product page
    rows = pipeline.query(
        "SELECT code, title, price, currency, published, rating, in_stock, tags "
        "FROM delivered_demo_books WHERE partition_date = CAST(? AS DATE) ORDER BY code",
        [DAY],
    )
    catalog = Catalog(95, 7)
    expected = [book(catalog, n) for n in range(1, 96)]
    assert rows == [(b.code, b.title, b.price, b.currency, b.published, b.rating, b.in_stock, b.tags) for b in expected]
    # each record keeps its page and its item's index on the page
    valid = pq.read_table(pipeline.data_dir / "records" / "demo_books" / DAY / "valid.parquet").to_pylist()
    refs = {row["code"]: (row["source_url"], row["page_ref"]) for row in valid}
    assert refs["BK-000013"][0].endswith("/books?page=2") and refs["BK-000013"][1].endswith(":item2")
    assert refs["BK-000001"][0] == f"{site.url}/books"  # a redirected record page keeps its final URL
    assert any(b.in_stock == 0 for b in expected) and any(len(b.tags) == 3 for b in expected)
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks["row_count_vs_frontier"].metadata["day_record_urls"].value == 10
    parsed = materialization_metadata(result, "parsed_records")
    assert parsed["records"] == 95 and parsed["record_pages"] == 10 and parsed["processing_failures"] == 0


def test_max_depth_and_max_pages_bound_a_crawl_that_follows_links(pipeline, start_site):
    site = start_site(95, "--no-sitemap")
    _add_example(pipeline, "demo_books", max_depth=2)  # the start page and two pages beyond it

    assert pipeline.run_day(site, DAY, target="demo_books").success
    assert site.stats()["by_class"]["books"] == 3
    assert pipeline.query("SELECT count(*) FROM delivered_demo_books WHERE partition_date = ?", [DAY]) == [(30,)]

    site.reset_stats()
    _add_example(pipeline, "demo_books", max_pages=5)  # five responses: robots.txt and four pages
    assert pipeline.run_day(site, "2026-11-21", target="demo_books").success
    assert site.stats()["by_class"]["books"] == 4
    assert pipeline.query("SELECT count(*) FROM delivered_demo_books WHERE partition_date = ?", ["2026-11-21"]) == [
        (40,)
    ]


def test_a_shop_that_carries_only_json_ld_is_delivered_exactly_without_a_selector(pipeline, start_site):
    site = start_site(60, "--layout", "jsonld")
    _add_example(pipeline, "demo_jsonld_shop")

    result = pipeline.run_day(site, DAY, target="demo_jsonld_shop")

    assert result.success
    assert site.stats()["by_class"].get("listing", 0) == 0  # the sitemap's category pages were not asked for
    rows = pipeline.query(
        "SELECT sku, title, price, currency, availability, rating, category, description "
        "FROM delivered_demo_jsonld_shop ORDER BY sku"
    )
    catalog = Catalog(60, 7)
    products = [catalog.product(n) for n in range(1, 61)]
    assert rows == [
        (p.sku, p.title, p.price, p.currency, p.availability, p.rating, p.category.title(), p.description)
        for p in products
    ]


def test_a_missing_listing_page_blocks_a_day_of_many_records_per_page(pipeline, start_site):
    site = start_site(95, "--no-sitemap", "--outage-after-pages", "5")  # page 6 and beyond answer 503
    _add_example(pipeline, "demo_books", politeness={"max_tries": 2, "backoff_base_seconds": 0.1})

    result = pipeline.run_day(site, DAY, target="demo_books")

    assert not result.success
    row_count = {e.check_name: e for e in result.get_asset_check_evaluations()}["row_count_vs_frontier"]
    meta = {name: value.value for name, value in row_count.metadata.items()}
    # 50 records is five times the day's record URLs, but one of its six pages is missing
    assert meta["parsed_rows"] == 50 and meta["record_pages_extracted"] == 5 and meta["day_record_urls"] == 6
    assert not row_count.passed and not pipeline.table_exists("delivered_demo_books")


def test_a_site_found_through_robots_txt_alone_is_delivered_and_one_with_no_way_in_is_named(pipeline, start_site):
    """No sitemap_index, no start_urls: the Sitemap lines of robots.txt are the way in (the README's
    "leave out"). A site whose robots.txt has none fails its frontier by name, not at load."""
    pipeline.configure(sitemap_index=None, start_urls=[])
    site = start_site(30)

    result = pipeline.run_day(site, DAY)

    assert result.success
    assert materialization_metadata(result, "url_frontier")["record_urls"] == 30
    assert pipeline.query("SELECT count(DISTINCT sku) FROM delivered_demo_shop") == [(30,)]

    bare = start_site(30, "--no-sitemap")
    failed = pipeline.run_day(bare, "2026-11-21")
    step, cause = failure_cause(failed)
    assert step == "demo_shop__url_frontier" and cause.cls_name == "FrontierIncomplete"
    assert "target 'demo_shop': the sitemaps and start_urls list no URL to crawl" in cause.message


def test_a_listing_served_at_two_addresses_delivers_its_records_once_without_quarantine(pipeline, start_site):
    """`/books` and `/books?page=1` are one page at two URLs: its ten records arrive twice, identical.
    They collapse to one each (counted), not quarantined as duplicates against the valid share."""
    site = start_site(30, "--no-sitemap")
    _add_example(pipeline, "demo_books", start_urls=["/books", "/books?page=1"])

    result = pipeline.run_day(site, DAY, target="demo_books")

    assert result.success
    validated = materialization_metadata(result, "validated_records")
    assert validated["duplicates_collapsed"] == 10 and validated["quarantined_rows"] == 0
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks["valid_share"].metadata["share"].value == 1.0
    assert pipeline.query("SELECT count(*), count(DISTINCT code) FROM delivered_demo_books") == [(30, 30)]
