"""`python -m scrape_assets try`: a target YAML tried on live pages and on stored pages, as a command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from scrape_assets.demo_site.catalog import Catalog
from scrape_assets.target_config.loader import DEFAULT_TARGETS_DIR
from scrape_assets_tests.loopback import free_port

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parent.parent
DAY = "2026-11-20"


def _try(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "scrape_assets", "try", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **env},
    )


def test_try_prints_each_field_its_verdict_and_what_a_broken_selector_matched_nearby(tmp_path, start_site):
    site = start_site(12)
    body = yaml.safe_load((DEFAULT_TARGETS_DIR / "demo_shop.yaml").read_text())
    body["record"]["fields"]["title"]["css"] = "h1.product-titel::text"  # a typo
    body["record"]["fields"]["price"]["checks"] = {"gt": 1000}  # no demo price is that high
    (tmp_path / "demo_shop.yaml").write_text(yaml.safe_dump(body))

    done = _try(str(tmp_path / "demo_shop.yaml"), "/product/3", "/product/4", env={"DEMO_SHOP_URL": site.url})

    assert done.returncode == 1, done.stdout + done.stderr
    product = Catalog(12, 7).product(3)
    assert f"record 1 of {site.url}/product/3: INVALID" in done.stdout
    assert f"'{product.sku}'" in done.stdout and "css:h1.product-titel::text matched nothing" in done.stdout
    assert f"nearby: h1.product-title -> '{product.title}'" in done.stdout
    assert "not_nullable (got None)" in done.stdout and "greater_than(1000.0) (got" in done.stdout
    assert "2 record(s), 0 valid, 2 invalid" in done.stdout
    assert site.stats()["by_class"]["product"] == 2  # the two pages, and robots.txt, nothing else


def test_try_reads_stored_pages_without_a_request(pipeline, start_site):
    site = start_site(20)
    assert pipeline.run_day(site, DAY).success
    site.reset_stats()

    done = _try(
        "demo_shop",
        "--stored",
        DAY,
        env={
            "DEMO_SHOP_URL": site.url,
            "SCRAPE_ASSETS_DATA_DIR": str(pipeline.data_dir),
            "SCRAPE_ASSETS_TARGETS_DIR": str(pipeline.targets_dir),
        },
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 record(s), 3 valid, 0 invalid" in done.stdout
    assert site.stats()["total"] == 0


def test_try_names_a_target_that_does_not_exist(tmp_path):
    done = _try("no_such_shop", "/", env={"SCRAPE_ASSETS_TARGETS_DIR": str(tmp_path)})
    assert done.returncode == 2 and "no_such_shop.yaml: field '<file>': no such target file" in done.stderr


def test_try_against_a_port_nobody_listens_on_says_so_at_once_naming_the_url(tmp_path):
    port = free_port()
    body = yaml.safe_load((DEFAULT_TARGETS_DIR / "demo_shop.yaml").read_text())
    body["base_url"] = f"http://127.0.0.1:{port}/"
    (tmp_path / "demo_shop.yaml").write_text(yaml.safe_dump(body))

    done = _try(str(tmp_path / "demo_shop.yaml"), "/product/3", env={})

    assert done.returncode == 1
    assert f"not read: http://127.0.0.1:{port}/robots.txt:" in done.stdout and "refused" in done.stdout.lower()
    assert "Gave up retrying" not in done.stdout + done.stderr  # tried once: nobody is there
