"""Where delivered tables live: `Warehouse` is what the delivered asset asks for.

`DuckDBWarehouse` (embedded default) and `SnowflakeWarehouse` (through
dagster-snowflake's `SnowflakeResource`, imported only when a Snowflake delivery runs: it costs ~7 s).
"""

from __future__ import annotations

import re
import time
from abc import abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dagster import ConfigurableResource

from scrape_assets.delivery import DeliverySummary, WarehouseUnavailable, replace_partition
from scrape_assets.delivery.columns import delivered_columns, snowflake_type
from scrape_assets.delivery.errors import WarehouseBusy
from scrape_assets.target_config.models import TargetConfig

if TYPE_CHECKING:
    import duckdb

DEFAULT_DUCKDB_MEMORY_LIMIT = "128MB"
DEFAULT_DUCKDB_LOCK_WAIT_SECONDS = 100.0  # what dagster-duckdb's resource waits, in 10 fixed tries
WAREHOUSE_POOL = "warehouse"  # Dagster pool of the delivered assets: one delivery at a time per instance
_LOCK_HOLDER = re.compile(r"Conflicting lock is held in .*?\(PID (\d+)\)")


class Warehouse(ConfigurableResource):
    """Applies a day's valid records (Parquet) to the target's table, idempotently."""

    @abstractmethod
    def replace_partition(self, target: TargetConfig, valid_path: Path, day: str) -> DeliverySummary:
        """Make the day's rows equal its valid records, atomically, and return the row counts."""

    @abstractmethod
    def table_name(self, target: TargetConfig) -> str:
        """The delivered table's full name in this warehouse (the catalog's `dagster/table_name`)."""

    def column_types(self, target: TargetConfig) -> dict[str, str]:
        """The delivered table's columns and their types as this warehouse names them."""
        return delivered_columns(target)


class DuckDBWarehouse(Warehouse):
    """An embedded DuckDB file. `memory_limit` is DuckDB's own setting for the delivering connection:
    beyond it the day's rows spill to a temporary folder beside the file, so the step's memory does
    not grow with the size of the day."""

    database: str
    memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT
    # each delivered day is also written here as <table>/<day>.parquet, readable while we deliver
    exports: str | None = None
    # how long a lock held by another process is waited for (backoff from 0.1 s, doubling, at most 10 s
    # apart) before the delivery fails as WarehouseBusy. dagster-duckdb's DuckDBResource waits a fixed
    # ~100 s that cannot be set, so the connection is opened here.
    lock_wait_seconds: float = DEFAULT_DUCKDB_LOCK_WAIT_SECONDS

    def table_name(self, target: TargetConfig) -> str:
        return f"{Path(self.database).stem}.main.{target.delivered_table}"

    def replace_partition(self, target: TargetConfig, valid_path: Path, day: str) -> DeliverySummary:
        # row order in the table means nothing (readers ORDER BY); without it DuckDB inserts in parallel
        import duckdb

        from scrape_assets.delivery.duckdb_export import export_day

        where = f"DuckDB file {self.database}"
        try:
            with self._connect() as conn:
                summary = replace_partition(conn, target, valid_path, day)
                if self.exports:
                    export_day(conn, target.delivered_table, day, Path(self.exports))
                return summary
        except (duckdb.IOException, OSError) as exc:  # a lock held elsewhere, a full or lost disk
            holder = _LOCK_HOLDER.search(str(exc))
            if holder or "Could not set lock" in str(exc):
                exports = str(Path(self.exports) / target.delivered_table) if self.exports else None
                raise WarehouseBusy(where, day, int(holder.group(1)) if holder else None, exports, exc) from exc
            raise WarehouseUnavailable(where, day, exc) from exc

    def _connect(self) -> duckdb.DuckDBPyConnection:
        """A connection to the file, waiting up to `lock_wait_seconds` while another process holds its
        lock; any other error, or the lock still held, is raised."""
        import duckdb

        config: dict[str, str | bool | int | float | list[str]] = {
            "memory_limit": self.memory_limit,
            "preserve_insertion_order": False,
        }
        deadline, delay = time.monotonic() + self.lock_wait_seconds, 0.1
        while True:
            try:
                return duckdb.connect(self.database, read_only=False, config=config)
            except duckdb.IOException as exc:
                left = deadline - time.monotonic()
                if "lock" not in str(exc).lower() or left <= 0:
                    raise
                time.sleep(min(delay, left))
                delay = min(delay * 2, 10.0)


class SnowflakeWarehouse(Warehouse):
    """Snowflake: credentials come from `EnvVar`s; `connection_args` carries extra connector arguments
    (e.g. host, port and protocol of a Snowflake-compatible endpoint)."""

    account: str
    user: str
    password: str
    database: str
    schema_name: str
    warehouse: str | None = None
    role: str | None = None
    connection_args: dict[str, Any] = {}

    def table_name(self, target: TargetConfig) -> str:
        return f"{self.database}.{self.schema_name}.{target.delivered_table}"

    def column_types(self, target: TargetConfig) -> dict[str, str]:
        return {name: snowflake_type(kind) for name, kind in delivered_columns(target).items()}

    def replace_partition(self, target: TargetConfig, valid_path: Path, day: str) -> DeliverySummary:
        from dagster_snowflake import SnowflakeResource  # ~7 s: only where Snowflake is configured

        from scrape_assets.delivery.snowflake_replace import identifier, replace_partition_snowflake

        # names from configuration are checked before they reach the connector's login request
        identifier(self.database, "database")
        identifier(self.schema_name, "schema")
        for value, what in ((self.warehouse, "warehouse"), (self.role, "role")):
            if value is not None:
                identifier(value, what)
        resource = SnowflakeResource(
            account=self.account,
            user=self.user,
            password=self.password,
            database=self.database,
            schema=self.schema_name,
            warehouse=self.warehouse,
            role=self.role,
            paramstyle="qmark",
            additional_snowflake_connection_args=self.connection_args or None,
        )
        with resource.get_connection() as conn:
            return replace_partition_snowflake(conn, target, valid_path, day, self.database, self.schema_name)
