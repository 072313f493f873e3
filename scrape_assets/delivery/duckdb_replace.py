"""Delivery into DuckDB: the day's slice of the table replaced by its valid records, in one transaction.

The day is replaced as DELETE of the day + INSERT of its valid records, keyed on (record key,
partition date) (dlt calls this merge strategy "delete-insert"): the day's slice always equals the day's valid records,
so running the same day any number of times leaves the same table, and readers never see half a day.
Not a MERGE statement: DuckDB keeps a transaction's updated rows in memory it cannot spill, so a MERGE
of a day needs memory in proportion to the day (a 1,000,000-row day fails under a 256 MB limit), while
a delete and an insert spill to disk and stay within the connection's `memory_limit` at any size.
The table has no PRIMARY KEY for the same reason (the index of a deleted and re-inserted key is held
in memory too); uniqueness of (key, day) is checked inside the transaction instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrape_assets.delivery.columns import PARTITION_COLUMN, delivered_columns
from scrape_assets.target_config.models import TargetConfig

if TYPE_CHECKING:  # the caller opens the connection: the code location loads without duckdb
    import duckdb


class DuplicateKeys(ValueError):
    """The valid records of a day hold a key more than once; nothing was delivered."""

    def __init__(self, table: str, day: str, valid_path: Path, keys: list[str]):
        super().__init__(
            f"{valid_path}: key repeated in the valid records of {day} for table {table} "
            f"(e.g. {', '.join(keys)}); the table was left as it was"
        )
        self.keys = keys


@dataclass(frozen=True)
class DeliverySummary:
    """Row counts of the delivered day before and after, and the table's total."""

    table: str
    day_rows_before: int
    day_rows_after: int
    table_rows: int


def _q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def ensure_table(conn: duckdb.DuckDBPyConnection, target: TargetConfig) -> None:
    """Create the table, add columns that new fields in the YAML introduced, and drop the PRIMARY KEY
    that tables made by earlier versions carry (rebuilt once, rows kept)."""
    table = target.delivered_table
    columns = delivered_columns(target)
    column_sql = ", ".join(f"{_q(n)} {t}" for n, t in columns.items())
    conn.execute(f"CREATE TABLE IF NOT EXISTS {_q(table)} ({column_sql})")
    primary_keys = scalar(
        conn,
        "SELECT count(*) FROM duckdb_constraints() WHERE table_name = ? AND constraint_type = 'PRIMARY KEY'",
        [table],
    )
    if primary_keys:
        conn.execute(f"CREATE TABLE {_q(table + '__rebuild')} AS SELECT * FROM {_q(table)}")
        conn.execute(f"DROP TABLE {_q(table)}")
        conn.execute(f"ALTER TABLE {_q(table + '__rebuild')} RENAME TO {_q(table)}")
    existing = {
        row[0]
        for row in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]
        ).fetchall()
    }
    for name, sql_type in columns.items():
        if name not in existing:
            conn.execute(f"ALTER TABLE {_q(table)} ADD COLUMN {_q(name)} {sql_type}")


def scalar(conn: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> Any:
    """The first column of the first row of a query that always returns one (an aggregate)."""
    row = conn.execute(sql, params or []).fetchone()
    if row is None:
        raise RuntimeError(f"DuckDB returned no row for an aggregate query: {sql}")
    return row[0]


def _count_day(conn: duckdb.DuckDBPyConnection, table: str, day: str) -> int:
    return int(scalar(conn, f"SELECT count(*) FROM {_q(table)} WHERE {_q(PARTITION_COLUMN)} = CAST(? AS DATE)", [day]))


def replace_partition(
    conn: duckdb.DuckDBPyConnection, target: TargetConfig, valid_path: Path, day: str
) -> DeliverySummary:
    """Replace the day's rows with its valid records from Parquet, in one transaction."""
    table = target.delivered_table
    key = target.record.key
    columns = list(delivered_columns(target))
    source_columns = ", ".join(f"CAST(? AS DATE) AS {_q(c)}" if c == PARTITION_COLUMN else _q(c) for c in columns)
    in_day = f"{_q(PARTITION_COLUMN)} = CAST(? AS DATE)"
    conn.execute("BEGIN TRANSACTION")
    try:
        ensure_table(conn, target)
        before = _count_day(conn, table, day)
        conn.execute(f"DELETE FROM {_q(table)} WHERE {in_day}", [day])
        conn.execute(
            f"INSERT INTO {_q(table)} ({', '.join(_q(c) for c in columns)}) "
            f"SELECT {source_columns} FROM read_parquet(?)",
            [day, str(valid_path)],
        )
        repeated = [
            row[0]
            for row in conn.execute(
                f"SELECT {_q(key)} FROM {_q(table)} WHERE {in_day} GROUP BY 1 HAVING count(*) > 1 ORDER BY 1 LIMIT 5",
                [day],
            ).fetchall()
        ]
        if repeated:
            raise DuplicateKeys(table, day, valid_path, repeated)
        after = _count_day(conn, table, day)
        total = scalar(conn, f"SELECT count(*) FROM {_q(table)}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return DeliverySummary(table=table, day_rows_before=before, day_rows_after=after, table_rows=total)
