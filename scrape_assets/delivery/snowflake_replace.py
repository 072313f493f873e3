"""The day's valid records into Snowflake: staged in a transient table, applied with one MERGE.

Dagster-free and connector-agnostic: takes an open DB-API connection (qmark paramstyle), as
`dagster_snowflake.SnowflakeResource.get_connection()` gives. Staging binds whole Arrow batches per
INSERT (the connector uploads large binds through a temporary stage by itself); one MERGE upserts on
(record key, partition date) and deletes the day's rows the new data no longer has, so the day's slice
always equals the day's valid records.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow.parquet as pq

from scrape_assets.delivery.columns import PARTITION_COLUMN, delivered_columns, snowflake_type
from scrape_assets.delivery.duckdb_replace import DeliverySummary
from scrape_assets.target_config.models import TargetConfig

if TYPE_CHECKING:  # the connector is imported only where Snowflake is configured
    from snowflake.connector import SnowflakeConnection
    from snowflake.connector.cursor import SnowflakeCursor

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]{0,254}$")
STAGE_BATCH_ROWS = 16_384
GONE = '"_SCRAPE_ASSETS_GONE"'


class InvalidIdentifier(ValueError):
    """A database, schema or table name from configuration that is not a plain Snowflake identifier."""


def identifier(value: str, what: str) -> str:
    """`value` upper-cased and double-quoted, after checking it is a plain identifier."""
    if not IDENTIFIER.match(value or ""):
        raise InvalidIdentifier(f"Snowflake {what} {value!r} is not a plain identifier ([A-Za-z_][A-Za-z0-9_$]*)")
    return f'"{value.upper()}"'


def _fetch_one(cursor: SnowflakeCursor, sql: str, params: list[Any] | None = None) -> Any:
    cursor.execute(sql, params or [])
    row = cursor.fetchone()
    if row is None:
        raise RuntimeError(f"Snowflake returned no row for an aggregate query: {sql}")
    return row[0]


def replace_partition_snowflake(
    conn: SnowflakeConnection,
    target: TargetConfig,
    valid_path: Path,
    day: str,
    database: str,
    schema: str,
) -> DeliverySummary:
    """Create or extend the table, stage the day's Parquet, then one MERGE that upserts and deletes what is gone."""
    where = f"{identifier(database, 'database')}.{identifier(schema, 'schema')}"
    table = f"{where}.{identifier(target.delivered_table, 'table')}"
    # one stage per day: deliveries of different days of a target may run at once
    stage_name = target.delivered_table + "__stage_" + day.replace("-", "")
    stage = f"{where}.{identifier(stage_name, 'table')}"
    columns = delivered_columns(target)
    names = [identifier(name, "column") for name in columns]
    key, part = identifier(target.record.key, "column"), identifier(PARTITION_COLUMN, "column")
    typed = ", ".join(f"{n} {snowflake_type(t)}" for n, t in zip(names, columns.values(), strict=True))
    # lists are staged as JSON text and parsed into ARRAYs by the MERGE
    lists = {n for n, t in zip(names, columns.values(), strict=True) if t.endswith("[]")}
    staged = ", ".join(
        f"{n} {'VARCHAR' if n in lists else snowflake_type(t)}" for n, t in zip(names, columns.values(), strict=True)
    )
    cursor = conn.cursor()
    cursor.execute(f"CREATE TABLE IF NOT EXISTS {table} ({typed})")
    cursor.execute(f"CREATE OR REPLACE TRANSIENT TABLE {stage} ({staged})")
    existing = _existing_columns(cursor, database, schema, target.delivered_table)
    for name, sql_type in zip(names, columns.values(), strict=True):
        if name.strip('"') not in existing:
            cursor.execute(f"ALTER TABLE {table} ADD COLUMN {name} {snowflake_type(sql_type)}")

    insert = f"INSERT INTO {stage} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
    source = pq.ParquetFile(valid_path, pre_buffer=False)  # pre-buffered reads would hold the whole file
    for batch in source.iter_batches(
        batch_size=STAGE_BATCH_ROWS, columns=[c for c in columns if c != PARTITION_COLUMN]
    ):
        rows = batch.to_pylist()
        cursor.executemany(
            insert,
            [
                [
                    _staged(row.get(c), n in lists) if c != PARTITION_COLUMN else day
                    for c, n in zip(columns, names, strict=True)
                ]
                for row in rows
            ],
        )

    updates = ", ".join(f"t.{n} = s.{n}" for n in names if n not in (key, part))
    listed = ", ".join(names)
    # one MERGE (atomic on its own) upserts the staged rows and deletes the day's rows that are gone:
    # the source is the stage plus the day's vanished keys flagged for deletion
    from_stage = ", ".join(f"PARSE_JSON({n})::ARRAY AS {n}" if n in lists else n for n in names)
    source = (
        f"SELECT {from_stage}, FALSE AS {GONE} FROM {stage} UNION ALL "
        f"SELECT {listed}, TRUE FROM {table} WHERE {part} = ? AND {key} NOT IN (SELECT {key} FROM {stage})"
    )
    try:
        before = _fetch_one(cursor, f"SELECT count(*) FROM {table} WHERE {part} = ?", [day])
        cursor.execute(
            f"MERGE INTO {table} t USING ({source}) s ON t.{key} = s.{key} AND t.{part} = s.{part} "
            f"WHEN MATCHED AND s.{GONE} THEN DELETE "
            f"WHEN MATCHED THEN UPDATE SET {updates} "
            f"WHEN NOT MATCHED THEN INSERT ({listed}) VALUES ({', '.join('s.' + n for n in names)})",
            [day],
        )
        after = _fetch_one(cursor, f"SELECT count(*) FROM {table} WHERE {part} = ?", [day])
        total = _fetch_one(cursor, f"SELECT count(*) FROM {table}")
    finally:
        cursor.execute(f"DROP TABLE IF EXISTS {stage}")
    return DeliverySummary(table=table, day_rows_before=before, day_rows_after=after, table_rows=total)


def _staged(value: Any, is_list: bool) -> Any:
    return json.dumps(value, default=str) if is_list and value is not None else value


def _existing_columns(cursor: SnowflakeCursor, database: str, schema: str, table: str) -> set[str]:
    cursor.execute(
        f"SELECT column_name FROM {identifier(database, 'database')}.information_schema.columns "
        "WHERE table_schema = ? AND table_name = ?",
        [schema.upper(), table.upper()],
    )
    return {row[0].upper() for row in cursor.fetchall()}
