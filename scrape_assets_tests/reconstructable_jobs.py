"""Jobs rebuilt from the environment, as Dagster's re-execution needs (`reconstructable`)."""

from __future__ import annotations

from dagster import reconstructable


def daily_demo_shop():
    """The `daily_demo_shop` job of the code location as the environment configures it now."""
    from scrape_assets.definitions import build_definitions

    return build_definitions().resolve_job_def("daily_demo_shop")


def reconstructable_daily_demo_shop():
    return reconstructable(daily_demo_shop)
