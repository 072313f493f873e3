"""Record pages reachable only through listing links: followed live, and from stored listings on resume."""

from __future__ import annotations

import json

import pytest
from dagster import AssetKey

from scrape_assets_tests.results import materialization_metadata

pytestmark = pytest.mark.e2e
DAY = "2026-11-20"
UP_TO_EXTRACTION = [AssetKey(["demo_shop", name]) for name in ("url_frontier", "raw_pages", "parsed_records")]


def test_products_reached_only_through_listing_pagination_are_crawled_and_resumed(pipeline, start_site):
    site = start_site(300)  # 300 products over 8 categories: several ?page= pages per category
    pipeline.configure(sitemap_index="/sitemaps/categories.xml")  # the sitemap lists no product

    result = pipeline.run_day(site, DAY, selection=UP_TO_EXTRACTION)

    assert result.success
    assert materialization_metadata(result, "url_frontier")["record_urls"] == 0
    assert materialization_metadata(result, "parsed_records")["records"] == 300
    assert any("page=2" in path for path in site.stats(with_paths=True)["by_path"])

    # A crawl killed after storing only the listing pages: the next one follows their stored links.
    folder = pipeline.data_dir / "pages" / "demo_shop" / DAY
    generation = json.loads((folder / "generation.json").read_text())
    index = folder / f"{generation['segments'][0]}.idx.jsonl"
    listings = [line for line in index.read_text().splitlines() if "/category/" in json.loads(line)["url"]]
    index.write_text("".join(line + "\n" for line in listings))
    (folder / "generation.json").write_text(json.dumps({**generation, "complete": False}))
    site.reset_stats()

    result = pipeline.run_day(site, DAY, selection=UP_TO_EXTRACTION)

    assert result.success
    served = site.stats()["by_class"]
    assert served.get("listing", 0) == 0 and served["product"] == 300
    assert materialization_metadata(result, "parsed_records")["records"] == 300
