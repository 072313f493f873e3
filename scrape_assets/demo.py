"""`make demo`: materialize one day of the demo_shop target against the bundled demo site, on
embedded defaults (SQLite instance, DuckDB, local files, subprocess crawler), and print a summary.

The last line printed is a one-line JSON summary, whether the run succeeded or not. The exit status
is non-zero when a step failed or a blocking check stopped delivery.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import traceback
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dagster import DagsterEventType

from scrape_assets.local_instance import local_home, prepare_local_instance

TARGET = "demo_shop"


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    parser = argparse.ArgumentParser(prog="python -m scrape_assets.demo", description=__doc__)
    parser.add_argument("--day", default="", help=f"partition to run (default: yesterday UTC, {yesterday})")
    parser.add_argument("--products", type=int, default=2000, help="demo site catalog size")
    parser.add_argument("--site-args", default="", help="extra demo site flags, e.g. '--layout v2'")
    parser.add_argument(
        "--site-port",
        type=int,
        default=8765,
        help="demo site port; stable so that URLs (and so the delivered table) repeat across runs",
    )
    args = parser.parse_args(argv)
    args.day = args.day or yesterday
    return args


def _metadata_value(value: Any) -> Any:
    return getattr(value, "value", value)


def _run(args: argparse.Namespace, summary: dict[str, Any]) -> bool:
    from scrape_assets.demo_site.process import DemoSite

    try:
        site = DemoSite(products=args.products, extra_args=shlex.split(args.site_args), port=args.site_port).start()
    except RuntimeError as exc:
        if "address already in use" not in str(exc).lower():
            raise
        print(f"port {args.site_port} is busy; serving the demo site on a free port (source_url values will differ)")
        site = DemoSite(products=args.products, extra_args=shlex.split(args.site_args)).start()
    with site:
        os.environ["DEMO_SHOP_URL"] = site.url
        print(f"demo site: {site.url} ({args.products} products {args.site_args})".rstrip(), flush=True)
        from dagster import DagsterInstance

        from scrape_assets.definitions import targets_location
        from scrape_assets.defs.environment import warehouse_path
        from scrape_assets.defs.target.jobs import daily_job_name

        instance = DagsterInstance.get()
        job = targets_location().one_target(TARGET).resolve_job_def(daily_job_name(TARGET))
        result = job.execute_in_process(
            partition_key=args.day,
            instance=instance,
            raise_on_error=False,
            tags={"launched_by": "make demo"},
            run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
        )
        summary["run_id"] = result.run_id
        summary["site_requests"] = site.stats()["total"]

    print(f"\nrun {result.run_id}: {'SUCCESS' if result.success else 'FAILURE'}")
    print("\nassets materialized for", args.day)
    rows: dict[str, int | None] = {}
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        meta = {k: _metadata_value(v) for k, v in materialization.metadata.items()}
        count = next((meta[k] for k in ("day_rows", "rows", "records", "pages", "record_urls") if k in meta), None)
        key = materialization.asset_key.to_user_string()
        rows[key] = count
        where = meta.get("path") or meta.get("location") or meta.get("segment") or meta.get("table") or ""
        print(f"  {key:40s} {count!s:>8}  {where}")
    for failure in result.get_step_failure_events():
        error = failure.step_failure_data.error
        print(f"  step {failure.step_key} FAILED: {error.cls_name}: {error.message.strip()}" if error else "")
    checks = {}
    failed_checks = {}
    print("\nchecks")
    for evaluation in result.get_asset_check_evaluations():
        checks[evaluation.check_name] = evaluation.passed
        outcome = "passed" if evaluation.passed else "FAILED"
        found = f"  {evaluation.description}" if evaluation.description else ""  # the figure against its threshold
        print(f"  {evaluation.asset_key.to_user_string()}:{evaluation.check_name:28s} {outcome}{found}")
        if not evaluation.passed:
            failed_checks[evaluation.check_name] = evaluation.description or "failed"
    # planned for the run but never evaluated: their step did not run (delivery stopped or refused)
    planned = [  # the instance records them when the run is created, not in the run's own events
        record.event_log_entry.dagster_event.asset_check_planned_data
        for record in instance.get_records_for_run(
            result.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED
        ).records
        if record.event_log_entry.dagster_event is not None
    ]
    skipped = sorted({(p.asset_key.to_user_string(), p.check_name) for p in planned if p.check_name not in checks})
    for asset, name in skipped:
        print(f"  {asset}:{name:28s} skipped (its step did not run)")
    summary["checks"] = checks
    summary["failed_checks"] = failed_checks
    summary["skipped_checks"] = [name for _, name in skipped]
    summary["quarantined_rows"] = rows.get(f"{TARGET}/quarantined_records")
    summary["delivered_rows"] = _delivered_rows(warehouse_path(), args.day)
    print(f"\nwarehouse: {warehouse_path()} table delivered_{TARGET} ({summary['delivered_rows']} rows for {args.day})")
    print(f"dagster instance: {os.environ['DAGSTER_HOME']} (open it with `make dev`)")
    return result.success


def _delivered_rows(path: Path, day: str) -> int:
    import duckdb

    from scrape_assets.delivery.duckdb_replace import scalar

    if not path.exists():
        return 0
    with duckdb.connect(str(path), read_only=True) as conn:
        found = scalar(
            conn, "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [f"delivered_{TARGET}"]
        )
        if not found:
            return 0
        return int(
            scalar(conn, f'SELECT count(*) FROM "delivered_{TARGET}" WHERE partition_date = CAST(? AS DATE)', [day])
        )


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    data = Path(os.environ.setdefault("SCRAPE_ASSETS_DATA_DIR", "data")).resolve()
    prepare_local_instance(local_home(data)).dispose()  # created before any run starts
    summary: dict[str, Any] = {
        "day": args.day,
        "target": TARGET,
        "run_id": None,
        "status": "FAILURE",
        "delivered_rows": 0,
        "quarantined_rows": None,
        "checks": {},
        "failed_checks": {},
        "skipped_checks": [],
        "site_requests": None,
    }
    ok = False
    try:
        ok = _run(args, summary)
    except Exception as exc:  # reported in the summary line, and the exit status says it failed
        traceback.print_exc()
        summary["error"] = f"{type(exc).__name__}: {exc}"
    summary["status"] = "SUCCESS" if ok else "FAILURE"
    print(json.dumps(summary, sort_keys=True), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
