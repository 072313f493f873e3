"""Why a delivery did not happen, named for who caused it."""

from __future__ import annotations


class WarehouseUnavailable(Exception):
    """The warehouse could not be opened or written (a lock held by another process, a full disk, a
    lost connection): a failure of our own side, never the target's. Names the warehouse."""

    def __init__(self, warehouse: str, day: str, cause: Exception):
        self.warehouse, self.day = warehouse, day
        super().__init__(f"warehouse {warehouse} unavailable while delivering {day}: {type(cause).__name__}: "
                         f"{cause}. The day's valid records are kept; re-run the delivery once it is back.")
