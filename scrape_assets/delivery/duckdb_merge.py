"""One set-based MERGE per partition into DuckDB, keyed on (record key, partition date).

Rows of the day that the new data no longer has are deleted, so the day's slice always equals the
day's valid records: running the same day any number of times leaves the same table.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from scrape_assets.target_config.models import TargetConfig

SQL_TYPES = {"string": "VARCHAR", "int": "BIGINT", "float": "DOUBLE", "bool": "BOOLEAN", "date": "DATE"}
PARTITION_COLUMN = "partition_date"


@dataclass(frozen=True)
class DeliverySummary:
    """Row counts of the delivered day before and after, and the table's total."""

    table: str
    day_rows_before: int
    day_rows_after: int
    table_rows: int


def _q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def delivered_columns(target: TargetConfig) -> dict[str, str]:
    """Column name -> SQL type of the delivered table, in order."""
    columns = {name: SQL_TYPES[spec.type] for name, spec in target.record.fields.items()}
    columns[PARTITION_COLUMN] = "DATE"
    columns["source_url"] = "VARCHAR"
    return columns


def ensure_table(conn: duckdb.DuckDBPyConnection, target: TargetConfig) -> None:
    """Create the table, or add columns that new fields in the YAML introduced."""
    table = target.delivered_table
    columns = delivered_columns(target)
    key = target.record.key
    column_sql = ", ".join(f"{_q(n)} {t}" for n, t in columns.items())
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {_q(table)} ({column_sql}, PRIMARY KEY ({_q(key)}, {_q(PARTITION_COLUMN)}))"
    )
    existing = {row[0] for row in conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]
    ).fetchall()}
    for name, sql_type in columns.items():
        if name not in existing:
            conn.execute(f"ALTER TABLE {_q(table)} ADD COLUMN {_q(name)} {sql_type}")


def _count_day(conn: duckdb.DuckDBPyConnection, table: str, day: str) -> int:
    return conn.execute(f"SELECT count(*) FROM {_q(table)} WHERE {_q(PARTITION_COLUMN)} = CAST(? AS DATE)", [day]).fetchone()[0]


def merge_partition(conn: duckdb.DuckDBPyConnection, target: TargetConfig, valid_path: Path, day: str) -> DeliverySummary:
    """Upsert the day's valid records from Parquet and delete the day's rows that are gone, in one transaction."""
    table = target.delivered_table
    key = target.record.key
    columns = list(delivered_columns(target))
    source_columns = ", ".join(
        f"CAST(? AS DATE) AS {_q(c)}" if c == PARTITION_COLUMN else _q(c) for c in columns
    )
    updates = ", ".join(f"{_q(c)} = s.{_q(c)}" for c in columns if c not in (key, PARTITION_COLUMN))
    merge_sql = (
        f"MERGE INTO {_q(table)} AS t "
        f"USING (SELECT {source_columns} FROM read_parquet(?)) AS s "
        f"ON t.{_q(key)} = s.{_q(key)} AND t.{_q(PARTITION_COLUMN)} = s.{_q(PARTITION_COLUMN)} "
        f"WHEN MATCHED THEN UPDATE SET {updates} "
        f"WHEN NOT MATCHED THEN INSERT ({', '.join(_q(c) for c in columns)}) "
        f"VALUES ({', '.join('s.' + _q(c) for c in columns)}) "
        f"WHEN NOT MATCHED BY SOURCE AND t.{_q(PARTITION_COLUMN)} = CAST(? AS DATE) THEN DELETE"
    )
    conn.execute("BEGIN TRANSACTION")
    try:
        ensure_table(conn, target)
        before = _count_day(conn, table, day)
        conn.execute(merge_sql, [day, str(valid_path), day])
        after = _count_day(conn, table, day)
        total = conn.execute(f"SELECT count(*) FROM {_q(table)}").fetchone()[0]
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return DeliverySummary(table=table, day_rows_before=before, day_rows_after=after, table_rows=total)
