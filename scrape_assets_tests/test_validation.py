"""The pandera schema built from the YAML, and the valid/quarantine split."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from scrape_assets.extraction.extract import record_schema
from scrape_assets.target_config import load_target
from scrape_assets.target_config.loader import DEFAULT_TARGETS_DIR
from scrape_assets.validation.split import validate_records

TARGET = load_target(DEFAULT_TARGETS_DIR / "demo_shop.yaml")


def _row(n: int, **overrides) -> dict:
    row = {
        "sku": f"SKU-007-{n:06d}",
        "title": f"Lamp {n}",
        "price": "12.50",
        "currency": "USD",
        "availability": "in_stock",
        "rating": "4.5",
        "category": "Lighting",
        "description": "A lamp.",
        "source_url": f"http://shop/product/{n}",
        "page_ref": f"shop/d/s#{n}",
        "fetched_at": "2026-01-01T00:00:00Z",
    }
    row.update(overrides)
    return row


def _split(tmp_path, rows):
    tmp_path.mkdir(parents=True, exist_ok=True)
    parsed = tmp_path / "parsed.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=record_schema(TARGET)), parsed)
    summary = validate_records(TARGET, parsed, tmp_path / "valid.parquet", tmp_path / "quarantined.parquet")
    valid = pq.read_table(tmp_path / "valid.parquet")
    quarantined = pq.read_table(tmp_path / "quarantined.parquet").to_pylist()
    return summary, valid, {row["source_url"].rsplit("/", 1)[1]: row["quarantine_reason"] for row in quarantined}


def test_valid_rows_are_typed_and_invalid_rows_quarantined_with_the_failing_check(tmp_path):
    rows = [
        _row(1),
        _row(2, price=None),
        _row(3, price="-4"),
        _row(4, currency="XYZ"),
        _row(5, price="twelve"),
        _row(6, rating=None),  # optional: still valid
        _row(7, sku="bad-sku"),
        _row(6, rating="3.0", source_url="http://shop/product/8"),  # the key of row 6, another rating
    ]
    summary, valid, reasons = _split(tmp_path, rows)

    assert valid.num_rows == 1 and summary.valid == 1 and summary.quarantined == 7
    assert valid.schema.field("price").type == pa.float64()
    assert valid.column("price").to_pylist() == [12.5]
    assert valid.column("rating").to_pylist() == [4.5]
    assert reasons["2"].startswith("price: not_nullable")
    assert reasons["3"].startswith("price: greater_than(0.0) (got -4.0)")
    assert reasons["4"].startswith("currency: isin(")
    assert reasons["5"].startswith("price: coerce_dtype('float64')")
    assert reasons["7"].startswith("sku: str_matches(")
    assert reasons["6"] == (
        "sku: conflicting records under one key (got 'SKU-007-000006'; also on http://shop/product/8)"
    )
    assert reasons["8"] == (
        "sku: conflicting records under one key (got 'SKU-007-000006'; also on http://shop/product/6)"
    )


def test_completeness_counts_only_values_that_survived_validation(tmp_path):
    # rating is optional: "ten" fails its type, so that row is quarantined and its rating counts nowhere
    rows = [_row(1), _row(2, price=None), _row(3, rating="ten"), _row(4, rating=None), _row(5, rating=None)]
    summary, _, _ = _split(tmp_path, rows)
    completeness = summary.completeness(TARGET)
    assert summary.valid == 3 and summary.valid_share == 3 / 5
    assert completeness["price"] == 1.0 and completeness["rating"] == 1 / 3 and completeness["sku"] == 1.0
    reasons = dict(summary.top_reasons())
    assert reasons["price: not_nullable"] == 1 and reasons["rating: coerce_dtype('float64')"] == 1


def test_a_day_without_valid_rows_has_no_completeness(tmp_path):
    summary, valid, _ = _split(tmp_path, [_row(1, price="n/a"), _row(2, price="n/a")])
    assert valid.num_rows == 0 and summary.valid_share == 0.0
    assert set(summary.completeness(TARGET).values()) == {0.0}


def _bool_target(**words):
    body = TARGET.model_dump()
    body["record"]["fields"]["in_stock"] = {"css": "p::text", "type": "bool", "required": True, **words}
    return type(TARGET).model_validate(body)


def test_bool_reads_common_words_in_any_case_and_the_yaml_words(tmp_path):
    target = _bool_target(true_values=["In stock"], false_values=["Sold out"])
    texts = ["true", "False", "TRUE", "yes", "No", "1", "0", "on", "OFF", " In Stock ", "sold out", "maybe"]
    rows = [{**_row(n), "in_stock": text} for n, text in enumerate(texts, start=1)]
    parsed = tmp_path / "parsed.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=record_schema(target)), parsed)
    summary = validate_records(target, parsed, tmp_path / "valid.parquet", tmp_path / "quarantined.parquet")
    valid = pq.read_table(tmp_path / "valid.parquet")
    assert valid.column("in_stock").to_pylist() == [
        True,
        False,
        True,
        True,
        False,
        True,
        False,
        True,
        False,
        True,
        False,
    ]
    quarantined = pq.read_table(tmp_path / "quarantined.parquet").to_pylist()
    assert summary.quarantined == 1 and quarantined[0]["in_stock"] == "maybe"
    assert quarantined[0]["quarantine_reason"] == "in_stock: coerce_dtype('boolean') (got 'maybe')"


def test_identical_records_under_one_key_collapse_to_one_and_count_for_nothing(tmp_path, monkeypatch):
    """The same record on two pages (a listing's `/` and `/page/1/`) is one record, in whatever batch."""
    monkeypatch.setattr("scrape_assets.validation.split.BATCH_ROWS", 2)
    rows = [_row(1), _row(2), _row(1, source_url="http://shop/product/9")]
    summary, valid, reasons = _split(tmp_path, rows)
    assert valid.column("source_url").to_pylist() == ["http://shop/product/1", "http://shop/product/2"]
    assert reasons == {} and summary.collapsed == 1 and summary.quarantined == 0
    assert summary.rows == 3 and summary.valid_share == 1.0


@pytest.mark.parametrize("batch_rows", [1, 2, 3, 10_000])
def test_the_split_does_not_depend_on_where_batches_begin(tmp_path, monkeypatch, batch_rows):
    """Duplicates are decided on the whole day: a record with an extraction error takes no part, records
    that differ under one key are quarantined together, identical ones collapse."""
    monkeypatch.setattr("scrape_assets.validation.split.BATCH_ROWS", batch_rows)
    rows = [
        _row(1, extraction_errors="price: parse_price failed (got 'call us')"),  # A: key k, an extraction error
        _row(1, source_url="http://shop/product/2"),  # B: key k
        _row(3),  # C
        _row(4, price="9.99"),
        _row(4, price="8.99", source_url="http://shop/product/5"),  # conflicts with row 4
        _row(3, source_url="http://shop/product/6"),  # identical to C
        _row(7, sku=None),
        _row(8),
    ]
    summary, valid, reasons = _split(tmp_path, rows)
    assert valid.column("source_url").to_pylist() == [f"http://shop/product/{n}" for n in (2, 3, 8)]
    assert sorted(reasons) == ["1", "4", "5", "7"] and summary.quarantined == 4 and summary.collapsed == 1
    assert reasons["1"] == "price: parse_price failed (got 'call us')"
    assert reasons["4"].endswith("also on http://shop/product/5)") and reasons["5"].endswith(
        "on http://shop/product/4)"
    )
    assert reasons["7"].startswith("sku: not_nullable")


def test_list_fields_check_every_element_and_a_failed_processor_quarantines_with_the_raw_text(tmp_path):
    body = TARGET.model_dump()
    body["record"]["fields"]["tags"] = {
        "css": "a.tag::text",
        "multiple": True,
        "required": True,
        "checks": {"min_length": 2},
    }
    body["record"]["fields"]["sizes"] = {"css": "li::text", "multiple": True, "type": "int", "checks": {"gt": 0}}
    target = type(TARGET).model_validate(body)
    rows = [
        {**_row(1), "tags": ["love", "life"], "sizes": ["1", "2"]},
        {**_row(2), "tags": ["love", "x"], "sizes": []},  # one element too short
        {**_row(3), "tags": [], "sizes": None},  # required list empty
        {**_row(4), "tags": ["ok"], "sizes": ["3", "-1"]},  # one element fails its check
        {**_row(5), "tags": ["ok"], "sizes": ["three"]},  # one element is not an int
        {
            **_row(6, price="£abc"),
            "tags": ["ok"],
            "sizes": None,
            "extraction_errors": "price: price processor found no amount in '£abc'",
        },
    ]
    parsed = tmp_path / "parsed.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=record_schema(target)), parsed)
    summary = validate_records(target, parsed, tmp_path / "valid.parquet", tmp_path / "quarantined.parquet")

    valid = pq.read_table(tmp_path / "valid.parquet")
    assert valid.schema.field("sizes").type == pa.list_(pa.int64())
    assert valid.column("tags").to_pylist() == [["love", "life"]] and valid.column("sizes").to_pylist() == [[1, 2]]
    reasons = {
        row["source_url"].rsplit("/", 1)[1]: row["quarantine_reason"]
        for row in pq.read_table(tmp_path / "quarantined.parquet").to_pylist()
    }
    assert reasons["2"] == "tags: element str_length(2, None) (got 'x')"
    assert reasons["3"] == "tags: not_nullable (got [])"
    assert reasons["4"] == "sizes: element greater_than(0.0) (got -1)"
    assert reasons["5"].startswith("sizes: element coerce_dtype('Int64') (got 'three')")
    assert reasons["6"] == "price: price processor found no amount in '£abc'"
    assert summary.valid == 1 and summary.completeness(target)["tags"] == 1.0
