"""Jobs rebuilt from the environment, as Dagster's re-execution needs (`reconstructable`)."""

from __future__ import annotations

from dagster import reconstructable


def daily_demo_shop():
    """The `daily_demo_shop` job of the code location as the environment configures it now."""
    from scrape_assets.definitions import build_definitions

    return build_definitions().resolve_job_def("daily_demo_shop")


def reconstructable_daily_demo_shop():
    return reconstructable(daily_demo_shop)


def forget_loaded_code() -> None:
    """Drop the job Dagster keeps from the last time a reconstructable job was resolved in this
    process (`lru_cache`), so that the next run executed here loads the code location anew, as the
    fresh process of a run launched from the UI or the daemon does."""
    from dagster._core.definitions.reconstruct import ReconstructableJob

    ReconstructableJob.get_definition.cache_clear()
    ReconstructableJob.get_repository_definition.cache_clear()
