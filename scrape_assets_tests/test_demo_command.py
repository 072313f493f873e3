"""`make demo`'s command: a full day against the demo site, a summary, a JSON last line, an exit status."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from scrape_assets_tests.loopback import free_port

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parent.parent


def _demo(tmp_path: Path, *args: str) -> tuple[int, list[str]]:
    env = {**os.environ, "SCRAPE_ASSETS_DATA_DIR": str(tmp_path / "data")}
    env.pop("DAGSTER_HOME", None)
    env.pop("SCRAPE_ASSETS_TARGETS_DIR", None)
    completed = subprocess.run(
        [sys.executable, "-m", "scrape_assets.demo", "--day", "2026-11-01", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return completed.returncode, completed.stdout.strip().splitlines()


def test_demo_delivers_the_day_and_ends_with_a_json_summary(tmp_path):
    code, lines = _demo(tmp_path, "--products", "150", "--site-port", "0")
    summary = json.loads(lines[-1])

    assert code == 0, "\n".join(lines)
    assert summary["status"] == "SUCCESS" and summary["day"] == "2026-11-01" and summary["target"] == "demo_shop"
    assert summary["delivered_rows"] == 150 and summary["quarantined_rows"] == 0
    assert summary["checks"] == {
        "crawl_complete": True,
        "valid_share": True,
        "field_completeness": True,
        "row_count_vs_frontier": True,
        "row_count_drift": True,
        "completeness_drift": True,
        "rows_match_validated": True,
    }
    assert summary["site_requests"] > 150 and summary["run_id"]
    warehouse = tmp_path / "data" / "warehouse.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM delivered_demo_shop").fetchone() == (150,)
    assert (tmp_path / "data" / "dagster_home").is_dir()
    assert any("demo_shop/delivered_demo_shop" in line for line in lines)


def test_demo_exits_non_zero_and_still_prints_the_summary_when_a_check_blocks(tmp_path):
    code, lines = _demo(tmp_path, "--products", "100", "--site-port", "0", "--site-args", "--drop-field title:0.3")
    summary = json.loads(lines[-1])
    assert code == 1
    assert summary["status"] == "FAILURE" and summary["checks"]["valid_share"] is False
    assert summary["delivered_rows"] == 0 and summary["quarantined_rows"] > 15
    # each failed check with its figure and threshold, in the summary and in the checks printed above it
    quarantined = summary["quarantined_rows"]
    assert re.fullmatch(
        rf"\d+\.\d% valid, minimum 95%: {quarantined} quarantined; top reason title: not_nullable \({quarantined}\)",
        summary["failed_checks"]["valid_share"],
    ), summary["failed_checks"]
    assert any("valid_share" in line and "FAILED" in line and "minimum 95%" in line for line in lines)
    # delivery never ran: its check is skipped, not failed
    assert summary["skipped_checks"] == ["rows_match_validated"] and "rows_match_validated" not in summary["checks"]


@pytest.mark.long
def test_second_demo_of_the_same_day_leaves_the_table_identical(tmp_path):
    port = str(free_port())  # like the default 8765: the same port both times
    dumps = []
    for _ in range(2):
        code, lines = _demo(tmp_path, "--products", "80", "--site-port", port)
        assert code == 0, "\n".join(lines)
        assert json.loads(lines[-1])["quarantined_rows"] == 0
        with duckdb.connect(str(tmp_path / "data" / "warehouse.duckdb"), read_only=True) as conn:
            dumps.append(conn.execute("SELECT * FROM delivered_demo_shop ORDER BY sku").fetchall())
    assert dumps[0] == dumps[1] and len(dumps[0]) == 80
