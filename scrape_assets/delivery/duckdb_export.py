"""A Parquet copy of each delivered day of the embedded warehouse, for readers.

DuckDB lets one process hold a database file, readers included: a notebook with the file open blocks
delivery, and a delivery blocks it. The delivered day is therefore also written as
`<exports>/<table>/<day>.parquet` (written aside, then renamed into place: a reader sees the old day
or the new one, never half of one), which DuckDB, pandas or any BI tool reads at any time.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import duckdb

from scrape_assets.delivery.columns import PARTITION_COLUMN
from scrape_assets.delivery.duckdb_replace import _q


def export_day(conn: duckdb.DuckDBPyConnection, table: str, day: str, exports: Path) -> Path:
    """Write the table's rows of `day` to `<exports>/<table>/<day>.parquet`; returns the path."""
    date.fromisoformat(day)  # a day key, never SQL: it is inlined into COPY, which takes no parameters
    folder = exports / table
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{day}.parquet"
    partial = folder / f".{day}.parquet.partial"
    conn.execute(
        f"COPY (SELECT * FROM {_q(table)} WHERE {_q(PARTITION_COLUMN)} = DATE '{day}') TO '{partial}' (FORMAT parquet)"
    )
    os.replace(partial, final)
    return final
