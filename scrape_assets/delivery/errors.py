"""Why a delivery did not happen, named for who caused it."""

from __future__ import annotations


class WarehouseUnavailable(Exception):
    """The warehouse could not be opened or written (a lock held by another process, a full disk, a
    lost connection): a failure of our own side, never the target's. Names the warehouse."""

    def __init__(self, warehouse: str, day: str, cause: Exception):
        self.warehouse, self.day = warehouse, day
        super().__init__(
            f"warehouse {warehouse} unavailable while delivering {day}: {type(cause).__name__}: "
            f"{cause}. The day's valid records are kept; re-run the delivery once it is back."
        )


class WarehouseBusy(WarehouseUnavailable):
    """Another process holds the embedded warehouse file's lock (a DuckDB CLI, a notebook, another
    delivery): waited for with backoff, then given up on. Names the holder's PID and what to do."""

    def __init__(self, warehouse: str, day: str, holder_pid: int | None, exports: str | None, cause: Exception):
        self.holder_pid = holder_pid
        holder = f"process {holder_pid}" if holder_pid else "another process"
        read = (
            f" To read delivered days without locking the warehouse, query the Parquet exports: "
            f"SELECT * FROM '{exports}/*.parquet'."
            if exports
            else ""
        )
        Exception.__init__(
            self,
            f"warehouse {warehouse} is locked by {holder} while delivering {day}, and stayed locked through "
            f"every retry: close that connection (a DuckDB CLI or notebook keeps the file locked even "
            f"read-only), then re-run the delivery; the day's valid records are kept.{read} ({cause})",
        )
        self.warehouse, self.day = warehouse, day


WAREHOUSE_FAILURES: tuple[type[WarehouseUnavailable], ...] = (WarehouseUnavailable, WarehouseBusy)
