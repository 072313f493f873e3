"""The one place that reads the environment: which targets to load and which resources to use.

Embedded defaults (no server): data under `./data` (override with `SCRAPE_ASSETS_DATA_DIR`), DuckDB
file `data/warehouse.duckdb`, WARC files under `data/pages`, the crawler as a subprocess.
Targets come from `scrape_assets/targets/` unless `SCRAPE_ASSETS_TARGETS_DIR` names another folder.
`REDIS_URL`, when set, makes every crawler process of a target share one rate limit through Redis.
`SCRAPE_ASSETS_ALERT_WEBHOOK_URL` (a secret), when set, is where alerts are posted (else they are
logged); `SCRAPE_ASSETS_UI_URL` is the Dagster UI's address used in their run links.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from dagster import EnvVar
from dagster_duckdb import DuckDBResource

from scrape_assets.defs.resources import AlertWebhook, LocalPageStoreResource, RecordFiles, SubprocessCrawlLauncher
from scrape_assets.target_config.loader import DEFAULT_TARGETS_DIR


def data_dir() -> Path:
    """Root of everything the pipeline writes locally."""
    return Path(os.environ.get("SCRAPE_ASSETS_DATA_DIR", "data")).resolve()


def targets_dir() -> Path:
    """Folder of target YAML files."""
    return Path(os.environ.get("SCRAPE_ASSETS_TARGETS_DIR", str(DEFAULT_TARGETS_DIR)))


def warehouse_path() -> Path:
    """The embedded warehouse file."""
    return data_dir() / "warehouse.duckdb"


def resources_from_environment() -> dict[str, Any]:
    """Resource instances keyed by the names the assets ask for."""
    root = data_dir()
    return {
        "crawl_launcher": SubprocessCrawlLauncher(
            progress_interval_seconds=float(os.environ.get("SCRAPE_ASSETS_PROGRESS_INTERVAL", "5")),
            redis_url=EnvVar("REDIS_URL") if os.environ.get("REDIS_URL") else None,
        ),
        "page_store": LocalPageStoreResource(root=str(root / "pages")),
        "record_files": RecordFiles(root=str(root / "records")),
        "warehouse": DuckDBResource(database=str(warehouse_path())),
        "alert_webhook": AlertWebhook(
            url=EnvVar("SCRAPE_ASSETS_ALERT_WEBHOOK_URL") if os.environ.get("SCRAPE_ASSETS_ALERT_WEBHOOK_URL") else None,
            ui_base_url=os.environ.get("SCRAPE_ASSETS_UI_URL", "http://127.0.0.1:3000"),
        ),
    }
