"""DuckDB delivery: the day replaced on (key, day), rows that disappeared deleted, other days untouched."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from scrape_assets.defs.resources import DuckDBWarehouse
from scrape_assets.delivery import DuplicateKeys, replace_partition
from scrape_assets.extraction.extract import META_COLUMNS
from scrape_assets.target_config import load_target
from scrape_assets.target_config.loader import DEFAULT_TARGETS_DIR
from scrape_assets.validation.schema import arrow_schema

TARGET = load_target(DEFAULT_TARGETS_DIR / "demo_shop.yaml")


def _valid(tmp_path, name: str, prices: dict[int, float]):
    rows = [
        {
            "sku": f"SKU-007-{n:06d}",
            "title": f"T{n}",
            "price": p,
            "currency": "USD",
            "availability": "in_stock",
            "rating": 4.0,
            "category": "Toys",
            "description": "d",
            "source_url": f"u{n}",
            "page_ref": "r",
            "fetched_at": "f",
        }
        for n, p in prices.items()
    ]
    path = tmp_path / f"{name}.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=arrow_schema(TARGET, META_COLUMNS)), path)
    return path


def test_delivery_replaces_the_day_deleting_gone_rows_and_leaves_other_days(tmp_path):
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    replace_partition(conn, TARGET, _valid(tmp_path, "a", {1: 1.0, 2: 2.0}), "2026-01-01")
    replace_partition(conn, TARGET, _valid(tmp_path, "b", {1: 9.0}), "2026-01-02")
    summary = replace_partition(conn, TARGET, _valid(tmp_path, "c", {1: 1.5, 3: 3.0}), "2026-01-01")

    rows = conn.execute("SELECT partition_date::VARCHAR, sku, price FROM delivered_demo_shop ORDER BY 1, 2").fetchall()
    assert rows == [
        ("2026-01-01", "SKU-007-000001", 1.5),
        ("2026-01-01", "SKU-007-000003", 3.0),
        ("2026-01-02", "SKU-007-000001", 9.0),
    ]
    assert (summary.day_rows_before, summary.day_rows_after, summary.table_rows) == (2, 2, 3)


def test_table_of_an_earlier_version_gains_new_columns_and_loses_its_primary_key_keeping_rows(tmp_path):
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    conn.execute(
        "CREATE TABLE delivered_demo_shop (sku VARCHAR, partition_date DATE, source_url VARCHAR, "
        "PRIMARY KEY (sku, partition_date))"
    )
    conn.execute("INSERT INTO delivered_demo_shop VALUES ('SKU-007-000009', DATE '2025-12-31', 'u9')")
    replace_partition(conn, TARGET, _valid(tmp_path, "a", {1: 1.0}), "2026-01-01")
    columns = [row[0] for row in conn.execute("DESCRIBE delivered_demo_shop").fetchall()]
    assert set(TARGET.record.fields) <= set(columns)
    rows = conn.execute("SELECT sku, partition_date::VARCHAR, price FROM delivered_demo_shop ORDER BY 2").fetchall()
    assert rows == [("SKU-007-000009", "2025-12-31", None), ("SKU-007-000001", "2026-01-01", 1.0)]
    assert conn.execute(
        "SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'delivered_demo_shop' "
        "AND constraint_type = 'PRIMARY KEY'"
    ).fetchone() == (0,)


def test_repeated_key_in_the_valid_file_is_refused_naming_the_file_and_leaves_the_day(tmp_path):
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    replace_partition(conn, TARGET, _valid(tmp_path, "a", {1: 1.0, 2: 2.0}), "2026-01-01")
    doubled = tmp_path / "doubled.parquet"
    once = pq.read_table(_valid(tmp_path, "b", {1: 5.0, 3: 3.0}))
    pq.write_table(pa.concat_tables([once, once.slice(0, 1)]), doubled)

    with pytest.raises(DuplicateKeys, match=r"doubled\.parquet: key repeated .* 2026-01-01 .*SKU-007-000001"):
        replace_partition(conn, TARGET, doubled, "2026-01-01")
    rows = conn.execute("SELECT sku, price FROM delivered_demo_shop ORDER BY 1").fetchall()
    assert rows == [("SKU-007-000001", 1.0), ("SKU-007-000002", 2.0)]


def test_a_day_is_delivered_and_redelivered_within_a_small_duckdb_memory_limit(tmp_path):
    # 16 MB: re-delivering 3,000 rows with one MERGE statement runs out of memory in DuckDB (updated rows
    # cannot spill); the warehouse resource's delete + insert does not
    warehouse = DuckDBWarehouse(database=str(tmp_path / "w.duckdb"), memory_limit="16MB")
    valid = _valid(tmp_path, "day", {n: n / 100 for n in range(1, 3001)})

    first = warehouse.replace_partition(TARGET, valid, "2026-01-01")
    again = warehouse.replace_partition(TARGET, valid, "2026-01-01")

    assert (first.day_rows_before, first.day_rows_after) == (0, 3000)
    assert (again.day_rows_before, again.day_rows_after, again.table_rows) == (3000, 3000, 3000)
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as conn:
        assert conn.execute("SELECT count(DISTINCT sku), sum(price) FROM delivered_demo_shop").fetchone() == (
            3000,
            pytest.approx(sum(n / 100 for n in range(1, 3001))),
        )
