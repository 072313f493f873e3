"""Extraction from stored pages: selectors, skipped pages, and SelectorNotFound."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from scrape_assets.demo_site.catalog import Catalog
from scrape_assets.demo_site.pages import product_page
from scrape_assets.extraction import NoRecordPages, SelectorNotFound, extract_fields, extract_records
from scrape_assets.page_store import StoredPage
from scrape_assets.target_config import load_target
from scrape_assets.target_config.loader import DEFAULT_TARGETS_DIR

TARGET = load_target(DEFAULT_TARGETS_DIR / "demo_shop.yaml")
BASE = TARGET.base_url.rstrip("/")


def _page(url: str, body: str, status: int = 200, content_type: str = "text/html; charset=utf-8") -> StoredPage:
    return StoredPage(
        url=url,
        status=status,
        headers={"content-type": content_type},
        body=body.encode(),
        fetched_at="2026-01-01T00:00:00Z",
        ref=f"t/d/s#{hash(url) & 0xFFFF}",
    )


def test_demo_selectors_read_every_field_of_a_v1_product_page():
    product = Catalog(10, 7).product(3)
    values = extract_fields(product_page(product, "v1", set()), TARGET.record.fields)
    assert values == {
        "sku": product.sku,
        "title": product.title,
        "price": f"{product.price:.2f}",
        "currency": product.currency,
        "availability": product.availability,
        "rating": f"{product.rating:.1f}",
        "category": product.category.title(),
        "description": product.description,
    }


def test_omitted_field_is_none_not_an_empty_string():
    product = Catalog(10, 7).product(3)
    values = extract_fields(product_page(product, "v1", {"price", "rating"}), TARGET.record.fields)
    assert values["price"] is None and values["rating"] is None and values["sku"] == product.sku


def test_records_keep_their_page_reference_and_non_record_pages_are_skipped(tmp_path):
    catalog = Catalog(3, 7)
    pages = [_page(f"{BASE}/product/{i}", product_page(catalog.product(i), "v1", set())) for i in (1, 2, 3)]
    pages += [
        _page(f"{BASE}/category/toys", "<html></html>"),
        _page(f"{BASE}/product/99", "gone", status=404),
        _page(f"{BASE}/product/98", "{}", content_type="application/json"),
    ]
    summary = extract_records(TARGET, pages, tmp_path / "parsed.parquet")
    rows = pq.read_table(tmp_path / "parsed.parquet").to_pylist()
    assert summary.records == 3 and len(rows) == 3
    assert dict(summary.skipped) == {"not_a_record_page": 1, "status_404": 1, "not_html": 1}
    assert rows[0]["page_ref"] == pages[0].ref and rows[0]["source_url"] == pages[0].url


def test_layout_change_raises_selector_not_found_and_writes_nothing(tmp_path):
    catalog = Catalog(6, 7)
    pages = [_page(f"{BASE}/product/{i}", product_page(catalog.product(i), "v2", set())) for i in range(1, 7)]
    with pytest.raises(SelectorNotFound) as raised:
        extract_records(TARGET, pages, tmp_path / "parsed.parquet")
    assert raised.value.field == "sku" and raised.value.selector == "css:span.sku::text"
    assert raised.value.missing == 6 and len(raised.value.examples) == 5
    assert not list(tmp_path.iterdir())


def test_missing_share_at_or_below_the_limit_is_data_quality_not_a_layout_change(tmp_path):
    catalog = Catalog(4, 7)
    pages = [
        _page(f"{BASE}/product/{i}", product_page(catalog.product(i), "v1", {"price"} if i <= 2 else set()))
        for i in range(1, 5)
    ]
    summary = extract_records(TARGET, pages, tmp_path / "parsed.parquet")
    assert summary.missing["price"] == 2 and summary.completeness(TARGET)["price"] == 0.5


def test_no_record_pages_is_an_error_naming_what_was_seen(tmp_path):
    with pytest.raises(NoRecordPages, match="none of the 1 stored pages"):
        extract_records(TARGET, [_page(f"{BASE}/category/toys", "<html></html>")], tmp_path / "p.parquet")


def test_structured_paths_read_json_ld_and_microdata_walking_graphs_and_lists():
    from scrape_assets.target_config.models import FieldSpec

    html = (
        '<html><head><script type="application/ld+json">{"@context": "https://schema.org", "@graph": ['
        '{"@type": "BreadcrumbList"}, {"@type": "Product", "sku": "A1", "offers": ['
        '{"@type": "Offer", "price": 12.5}, {"@type": "Offer", "price": "13.00"}]}]}</script></head>'
        '<body><div itemscope itemtype="https://schema.org/Product"><span itemprop="sku">B2</span>'
        '<div itemprop="offers" itemscope itemtype="https://schema.org/Offer">'
        '<meta itemprop="priceCurrency" content="EUR"></div></div></body></html>'
    )
    fields = {
        "sku": FieldSpec(jsonld="Product.sku"),
        "prices": FieldSpec(jsonld="Product.offers.price", multiple=True),
        "first_price": FieldSpec(jsonld="Product.offers.price", processors=[{"regex": r"^\S+"}, "price"]),
        "micro_sku": FieldSpec(microdata="Product.sku"),
        "currency": FieldSpec(microdata="Product.offers.priceCurrency"),
        "missing": FieldSpec(jsonld="Product.gtin13"),
    }
    assert extract_fields(html, fields) == {
        "sku": "A1",
        "prices": ["12.5", "13.00"],
        "first_price": "12.5",
        "micro_sku": "B2",
        "currency": "EUR",
        "missing": None,
    }
