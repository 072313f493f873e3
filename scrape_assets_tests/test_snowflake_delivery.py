"""Delivery to Snowflake through dagster-snowflake, against fakesnow's server (Snowflake SQL over the
real connector's HTTP protocol): idempotent MERGE, validated identifiers, a lazy import."""

from __future__ import annotations

import subprocess
import sys

import pytest
import snowflake.connector

from scrape_assets_tests.results import failure_cause, materialization_metadata

pytestmark = pytest.mark.e2e

DAY = "2026-11-20"


def _configure(monkeypatch, server: dict, schema: str = "SCRAPED") -> None:
    monkeypatch.setenv("SCRAPE_ASSETS_WAREHOUSE", "snowflake")
    for name, value in (
        ("ACCOUNT", server["account"]),
        ("USER", server["user"]),
        ("PASSWORD", server["password"]),
        ("DATABASE", "ANALYTICS"),
        ("SCHEMA", schema),
        ("HOST", server["host"]),
        ("PORT", str(server["port"])),
        ("PROTOCOL", server["protocol"]),
    ):
        monkeypatch.setenv(f"SNOWFLAKE_{name}", value)


def _connect(server: dict):
    return snowflake.connector.connect(**server, database="ANALYTICS", schema="SCRAPED")


def _day_rows(server: dict) -> list[tuple]:
    with _connect(server) as conn:
        return (
            conn.cursor()
            .execute(
                "SELECT sku, title, price, currency, availability, partition_date "
                "FROM ANALYTICS.SCRAPED.DELIVERED_DEMO_SHOP ORDER BY sku"
            )
            .fetchall()
        )


def test_the_same_day_three_times_leaves_the_same_snowflake_table(pipeline, start_site, snowflake_server, monkeypatch):
    with _connect(snowflake_server) as conn:
        conn.cursor().execute("CREATE DATABASE IF NOT EXISTS ANALYTICS")
        conn.cursor().execute("CREATE SCHEMA IF NOT EXISTS ANALYTICS.SCRAPED")
    _configure(monkeypatch, snowflake_server)
    site = start_site(70)

    snapshots = []
    for _ in range(3):
        result = pipeline.run_day(site, DAY)
        assert result.success
        snapshots.append(_day_rows(snowflake_server))
    assert snapshots[0] == snapshots[1] == snapshots[2]
    assert len(snapshots[0]) == 70 and len({row[0] for row in snapshots[0]}) == 70
    metadata = materialization_metadata(result, "delivered_demo_shop")
    assert metadata["table"] == '"ANALYTICS"."SCRAPED"."DELIVERED_DEMO_SHOP"'
    assert metadata["day_rows"] == 70 and metadata["day_rows_before"] == 70
    assert not pipeline.table_exists("delivered_demo_shop")  # nothing went to DuckDB

    # a day that shrinks: rows the new data no longer has are deleted, the rest upserted
    site.stop()
    smaller = start_site(50, port=int(site.url.rsplit(":", 1)[1]))
    assert pipeline.run_day(smaller, DAY).success
    assert len(_day_rows(snowflake_server)) == 50


def test_a_schema_name_that_is_not_an_identifier_fails_delivery_naming_it(
    pipeline, start_site, snowflake_server, monkeypatch
):
    _configure(monkeypatch, snowflake_server, schema='SCRAPED"; DROP TABLE x; --')
    result = pipeline.run_day(start_site(10), DAY)

    assert not result.success
    step, cause = failure_cause(result)
    assert step == "demo_shop__delivered_demo_shop" and cause.cls_name == "InvalidIdentifier"
    assert "Snowflake schema 'SCRAPED\"; DROP TABLE x; --' is not a plain identifier" in cause.message


def test_loading_the_code_location_never_imports_dagster_snowflake(snowflake_server):
    probe = (
        "import sys, scrape_assets.definitions as d; d.defs.load_all_definitions(); "
        "print('dagster_snowflake' in sys.modules, 'snowflake.connector' in sys.modules)"
    )
    for backend in ("duckdb", "snowflake"):
        env = {
            "SCRAPE_ASSETS_WAREHOUSE": backend,
            "SNOWFLAKE_ACCOUNT": "a",
            "SNOWFLAKE_USER": "u",
            "SNOWFLAKE_PASSWORD": "p",
            "SNOWFLAKE_DATABASE": "D",
            "SNOWFLAKE_SCHEMA": "S",
        }
        out = subprocess.run(
            [sys.executable, "-c", probe],
            env={**__import__("os").environ, **env},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        assert out == ["False", "False"], (backend, out)


def test_list_fields_are_delivered_as_arrays(pipeline, start_site, snowflake_server, monkeypatch):
    import json

    import yaml

    from scrape_assets.demo_site.books import book
    from scrape_assets.demo_site.catalog import Catalog
    from scrape_assets.target_config.loader import DEFAULT_TARGETS_DIR

    with _connect(snowflake_server) as conn:
        conn.cursor().execute("CREATE DATABASE IF NOT EXISTS ANALYTICS")
        conn.cursor().execute("CREATE SCHEMA IF NOT EXISTS ANALYTICS.SCRAPED")
    _configure(monkeypatch, snowflake_server)
    body = yaml.safe_load((DEFAULT_TARGETS_DIR / "examples" / "demo_books.yaml").read_text())
    (pipeline.targets_dir / "demo_books.yaml").write_text(yaml.safe_dump(body, allow_unicode=True))
    site = start_site(25, "--no-sitemap")

    for _ in range(2):  # the second delivery of the day replaces the first
        assert pipeline.run_day(site, DAY, target="demo_books").success

    with _connect(snowflake_server) as conn:
        rows = (
            conn.cursor()
            .execute("SELECT code, tags FROM ANALYTICS.SCRAPED.DELIVERED_DEMO_BOOKS ORDER BY code")
            .fetchall()
        )
    catalog = Catalog(25, 7)
    assert [(code, json.loads(tags)) for code, tags in rows] == [
        (book(catalog, n).code, book(catalog, n).tags) for n in range(1, 26)
    ]


def test_the_catalog_names_the_snowflake_table_and_its_column_types():
    from scrape_assets.defs.resources import SnowflakeWarehouse
    from scrape_assets.target_config import load_target
    from scrape_assets.target_config.loader import DEFAULT_TARGETS_DIR

    target = load_target(DEFAULT_TARGETS_DIR / "demo_shop.yaml")
    warehouse = SnowflakeWarehouse(account="a", user="u", password="p", database="ANALYTICS", schema_name="SCRAPED")
    assert warehouse.table_name(target) == "ANALYTICS.SCRAPED.delivered_demo_shop"
    types = warehouse.column_types(target)
    assert (types["price"], types["sku"], types["partition_date"]) == ("FLOAT", "VARCHAR", "DATE")
