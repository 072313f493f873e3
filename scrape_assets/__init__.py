"""scrape-assets: a Dagster code location that turns scraping scripts into a data supply chain.

`scrape_assets.ScrapeTarget` (the Dagster component of a target, `scrape_assets/components.py`) is
imported only when asked for, so that the crawler processes, which import this package, never load
Dagster."""

from typing import Any

LAZY = {"ScrapeTarget": "scrape_assets.components"}


def __getattr__(name: str) -> Any:
    if name in LAZY:
        from importlib import import_module

        return getattr(import_module(LAZY[name]), name)
    raise AttributeError(f"module 'scrape_assets' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *LAZY])
