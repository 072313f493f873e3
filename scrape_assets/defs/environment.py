"""The one place that reads the environment: which targets to load and which resources to use.

`SCRAPE_ASSETS_ENV=local` (default) gives the embedded defaults, no server: data under `./data`
(`SCRAPE_ASSETS_DATA_DIR`), DuckDB file `data/warehouse.duckdb` (delivering within
`SCRAPE_ASSETS_DUCKDB_MEMORY_LIMIT`, DuckDB's `memory_limit`, default 128MB), WARC files under
`data/pages`, the crawler as a subprocess. `SCRAPE_ASSETS_ENV=prod` switches to S3, Snowflake and
Kubernetes pods. Each backend can also be chosen on its own: `SCRAPE_ASSETS_PAGE_STORE=local|s3`,
`SCRAPE_ASSETS_WAREHOUSE=duckdb|snowflake`, `SCRAPE_ASSETS_CRAWL_LAUNCHER=subprocess|k8s`.
The variables each backend reads are listed in README "Deploying to Kubernetes".
Targets come from `scrape_assets/targets/` unless `SCRAPE_ASSETS_TARGETS_DIR` names another folder,
and from the component folders under `scrape_assets/sites/` unless `SCRAPE_ASSETS_SITES_DIR` names another.
`REDIS_URL`, when set, makes every crawler process of a target share one rate limit through Redis.
A crawler subprocess sees an allow-list of the environment (`resources/crawler_environment.py`);
`SCRAPE_ASSETS_CRAWLER_PASS_ENV` names further variables it may see (comma-separated).
`SCRAPE_ASSETS_ALERT_WEBHOOK_URL` (a secret), when set, is where alerts are posted (else they are
logged); `SCRAPE_ASSETS_UI_URL` is the Dagster UI's address used in their run links.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from dagster import DagsterInstance, EnvVar, FilesystemIOManager

from scrape_assets.crawler.settings import DEFAULT_PROGRESS_INTERVAL_SECONDS
from scrape_assets.defs.resources import (
    DEFAULT_DUCKDB_LOCK_WAIT_SECONDS,
    DEFAULT_DUCKDB_MEMORY_LIMIT,
    AlertWebhook,
    CrawlLauncher,
    DuckDBWarehouse,
    LocalPageStoreResource,
    PageStoreResource,
    RecordFiles,
    S3PageStoreResource,
    SnowflakeWarehouse,
    SubprocessCrawlLauncher,
    Warehouse,
)
from scrape_assets.target_config.loader import DEFAULT_SITES_DIR, DEFAULT_TARGETS_DIR

PROFILES = {  # SCRAPE_ASSETS_ENV -> default backend of each resource
    "local": {"page_store": "local", "warehouse": "duckdb", "crawl_launcher": "subprocess"},
    "prod": {"page_store": "s3", "warehouse": "snowflake", "crawl_launcher": "k8s"},
}
CHOICES = {"page_store": ("local", "s3"), "warehouse": ("duckdb", "snowflake"), "crawl_launcher": ("subprocess", "k8s")}


class EnvironmentConfigError(ValueError):
    """The environment names a backend that does not exist or lacks a variable it needs."""


def _required(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise EnvironmentConfigError(
            f"environment variable {name} is required by the configured backends and is not set"
        )
    return value


def _secret(name: str) -> EnvVar:
    _required(name)  # fail at load, naming the variable; the value itself is read by Dagster at use
    return EnvVar(name)


def _seconds_setting(name: str, default: float) -> float:
    """A duration in seconds (a number, zero or more); errors name the variable."""
    raw = os.environ.get(name) or str(default)
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise EnvironmentConfigError(f"{name} must be a number of seconds, zero or more, got {raw!r}")
    return value


def _json_setting(name: str, default: str, kind: type) -> Any:
    """A JSON-valued variable, parsed and checked for its type; errors name the variable."""
    raw = os.environ.get(name) or default
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise EnvironmentConfigError(f"{name} is not valid JSON ({exc}): {raw!r}") from exc
    if not isinstance(value, kind):
        raise EnvironmentConfigError(f"{name} must be a JSON {kind.__name__}, got {type(value).__name__}: {raw!r}")
    return value


def data_dir() -> Path:
    """Root of everything the pipeline writes locally."""
    return Path(os.environ.get("SCRAPE_ASSETS_DATA_DIR", "data")).resolve()


def targets_dir() -> Path:
    """Folder of target YAML files."""
    return Path(os.environ.get("SCRAPE_ASSETS_TARGETS_DIR", str(DEFAULT_TARGETS_DIR)))


def sites_dir() -> Path:
    """Where targets declared as Dagster components live (`<sites>/<name>/defs.yaml`): dg's defs folder,
    `scrape_assets/sites`, unless `SCRAPE_ASSETS_SITES_DIR` names another."""
    return Path(os.environ.get("SCRAPE_ASSETS_SITES_DIR", str(DEFAULT_SITES_DIR)))


def warehouse_path() -> Path:
    """The embedded warehouse file."""
    return data_dir() / "warehouse.duckdb"


def backend(resource: str) -> str:
    """The backend chosen for `resource`: its own variable, else the profile's default."""
    profile = os.environ.get("SCRAPE_ASSETS_ENV", "local")
    if profile not in PROFILES:
        raise EnvironmentConfigError(f"SCRAPE_ASSETS_ENV={profile!r}: expected one of {sorted(PROFILES)}")
    variable = f"SCRAPE_ASSETS_{resource.upper()}"
    choice = os.environ.get(variable) or PROFILES[profile][resource]
    if choice not in CHOICES[resource]:
        raise EnvironmentConfigError(f"{variable}={choice!r}: expected one of {list(CHOICES[resource])}")
    return choice


def page_store() -> PageStoreResource:
    if backend("page_store") == "s3":
        return S3PageStoreResource(
            bucket=_required("SCRAPE_ASSETS_S3_BUCKET"),
            prefix=os.environ.get("SCRAPE_ASSETS_S3_PREFIX", "pages"),
            endpoint_url=os.environ.get("SCRAPE_ASSETS_S3_ENDPOINT_URL") or None,
            region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None,
        )
    return LocalPageStoreResource(root=str(data_dir() / "pages"))


def warehouse() -> Warehouse:
    if backend("warehouse") == "snowflake":
        connection_args: dict[str, Any] = {}
        for name in ("host", "port", "protocol"):  # a Snowflake-compatible endpoint (or a private link)
            value = os.environ.get(f"SNOWFLAKE_{name.upper()}")
            if value:
                connection_args[name] = int(value) if name == "port" else value
        return SnowflakeWarehouse(
            account=_secret("SNOWFLAKE_ACCOUNT"),
            user=_secret("SNOWFLAKE_USER"),
            password=_secret("SNOWFLAKE_PASSWORD"),
            database=_required("SNOWFLAKE_DATABASE"),
            schema_name=_required("SNOWFLAKE_SCHEMA"),
            warehouse=os.environ.get("SNOWFLAKE_WAREHOUSE") or None,
            role=os.environ.get("SNOWFLAKE_ROLE") or None,
            connection_args=connection_args,
        )
    memory_limit = os.environ.get("SCRAPE_ASSETS_DUCKDB_MEMORY_LIMIT") or DEFAULT_DUCKDB_MEMORY_LIMIT
    lock_wait = _seconds_setting("SCRAPE_ASSETS_DUCKDB_LOCK_WAIT_SECONDS", DEFAULT_DUCKDB_LOCK_WAIT_SECONDS)
    return DuckDBWarehouse(
        database=str(warehouse_path()),
        memory_limit=memory_limit,
        exports=str(data_dir() / "exports"),
        lock_wait_seconds=lock_wait,
    )


def crawler_shares_this_environment() -> bool:
    """Whether crawlers run with this process's environment (subprocesses), so the secrets a target
    YAML references must be set here; a pod gets them from its own Secret instead."""
    return backend("crawl_launcher") == "subprocess"


def crawl_launcher() -> CrawlLauncher:
    common: dict[str, Any] = {
        "progress_interval_seconds": _seconds_setting(
            "SCRAPE_ASSETS_PROGRESS_INTERVAL", DEFAULT_PROGRESS_INTERVAL_SECONDS
        ),
    }
    if backend("crawl_launcher") == "k8s":
        from scrape_assets.defs.resources.k8s_crawl_launcher import K8sCrawlLauncher, unknown_pod_fields

        tolerations = _json_setting("SCRAPE_ASSETS_K8S_TOLERATIONS", "[]", list)
        if not all(isinstance(item, dict) for item in tolerations):
            raise EnvironmentConfigError("SCRAPE_ASSETS_K8S_TOLERATIONS must be a JSON list of objects")
        unknown = unknown_pod_fields("V1Toleration", tolerations)
        if unknown:
            raise EnvironmentConfigError(f"SCRAPE_ASSETS_K8S_TOLERATIONS: unknown toleration field(s) {unknown}")
        owner = (os.environ.get("SCRAPE_ASSETS_RUN_POD_NAME"), os.environ.get("SCRAPE_ASSETS_RUN_POD_UID"))
        if any(owner) and not all(owner):
            raise EnvironmentConfigError(
                "SCRAPE_ASSETS_RUN_POD_NAME and SCRAPE_ASSETS_RUN_POD_UID (the run pod's "
                "downward API fields, k8s/dagster.yaml) must be set together"
            )
        return K8sCrawlLauncher(
            **common,
            owner_pod_name=owner[0] or None,
            owner_pod_uid=owner[1] or None,
            image=_required("SCRAPE_ASSETS_CRAWLER_IMAGE"),
            namespace=os.environ.get("SCRAPE_ASSETS_K8S_NAMESPACE", "scrape-assets"),
            service_account=os.environ.get("SCRAPE_ASSETS_K8S_SERVICE_ACCOUNT", "scrape-assets-crawler"),
            env_secret=os.environ.get("SCRAPE_ASSETS_K8S_ENV_SECRET", "scrape-assets-crawler"),
            node_selector=_json_setting("SCRAPE_ASSETS_K8S_NODE_SELECTOR", "{}", dict),
            tolerations=tolerations,
            max_parallel_pods=_json_setting("SCRAPE_ASSETS_K8S_MAX_PARALLEL_PODS", "8", int),
            # inside the cluster the run pod's service account is used; outside, a kubeconfig file
            load_incluster_config=not os.environ.get("SCRAPE_ASSETS_K8S_KUBECONFIG"),
            kubeconfig_file=os.environ.get("SCRAPE_ASSETS_K8S_KUBECONFIG") or None,
        )
    return SubprocessCrawlLauncher(
        **common,
        redis_url=EnvVar("REDIS_URL") if os.environ.get("REDIS_URL") else None,
        pass_env=[
            name.strip() for name in os.environ.get("SCRAPE_ASSETS_CRAWLER_PASS_ENV", "").split(",") if name.strip()
        ],
    )


def validating_definitions() -> bool:
    """Whether this process validates definitions (`dagster definitions validate`, `dg check defs` set
    DAGSTER_IS_DEFS_VALIDATION_CLI): there a bad target file fails the load instead of being left out."""
    return os.environ.get("DAGSTER_IS_DEFS_VALIDATION_CLI") == "1"


def instance_of_this_process() -> DagsterInstance | None:
    """The Dagster instance DAGSTER_HOME names, or None where it is not set (a process with no instance:
    a code server of `dagster dev` without it, a test building definitions)."""
    return DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else None


def resources_from_environment() -> dict[str, Any]:
    """Resource instances keyed by the names the assets ask for."""
    return {
        "crawl_launcher": crawl_launcher(),
        "page_store": page_store(),
        "record_files": RecordFiles(root=str(data_dir() / "records")),
        # step outputs (the crawl's shard plan and shard summaries) beside the records, so that a
        # re-execution from failure (a new process, or a new run pod on the shared volume) loads them
        "io_manager": FilesystemIOManager(base_dir=str(data_dir() / "step_outputs")),
        "warehouse": warehouse(),
        "alert_webhook": AlertWebhook(
            url=_secret("SCRAPE_ASSETS_ALERT_WEBHOOK_URL")
            if os.environ.get("SCRAPE_ASSETS_ALERT_WEBHOOK_URL")
            else None,
            ui_base_url=os.environ.get("SCRAPE_ASSETS_UI_URL", "http://127.0.0.1:3000"),
        ),
    }
